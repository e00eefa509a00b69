//! Loads the container's seccomp filter ([`hoody_runtime::confine::SYSCALLS`]) into this
//! process, compiled by libseccomp as runc compiles the init's: the same rules, the same
//! compiler, so a kit process is refused exactly what the container's own processes are.

use hoody_runtime::confine::{ABSENT, ABSENT_ERRNO, ArgTest, REFUSED_ERRNO, SYSCALLS};
use libseccomp::{ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall};

/// `nesting`: the container allows nested user namespaces, and so does this process.
pub fn load(nesting: bool) -> Result<(), String> {
    build(nesting)
        .and_then(|filter| filter.load())
        .map_err(|e| format!("cannot load the container's seccomp filter: {e}"))
}

fn build(nesting: bool) -> Result<ScmpFilterContext, libseccomp::error::SeccompError> {
    let mut filter = ScmpFilterContext::new(ScmpAction::Errno(REFUSED_ERRNO as i32))?;
    if ScmpArch::native() == ScmpArch::X8664 {
        // The 32-bit system call tables the kernel also serves, as runc adds them.
        filter.add_arch(ScmpArch::X86)?;
        filter.add_arch(ScmpArch::X32)?;
    }
    // As runc does for a process that holds CAP_SYS_ADMIN: no_new_privs stays as it was, so
    // set-user-ID programs inside keep working as they do for the container's own processes.
    filter.set_ctl_nnp(false)?;
    for rule in SYSCALLS {
        for name in rule.names {
            // A name this libseccomp does not know is a call this kernel cannot make either.
            let Ok(syscall) = ScmpSyscall::from_name(name) else { continue };
            match rule.test_for(nesting) {
                None => filter.add_rule(ScmpAction::Allow, syscall)?,
                Some(ArgTest::Equal { index, value }) => filter.add_rule_conditional(
                    ScmpAction::Allow,
                    syscall,
                    &[ScmpArgCompare::new(index, ScmpCompareOp::Equal, value)],
                )?,
                Some(ArgTest::NotEqual { index, value }) => filter.add_rule_conditional(
                    ScmpAction::Allow,
                    syscall,
                    &[ScmpArgCompare::new(index, ScmpCompareOp::NotEqual, value)],
                )?,
                Some(ArgTest::NoBitsOf { index, mask }) => filter.add_rule_conditional(
                    ScmpAction::Allow,
                    syscall,
                    &[ScmpArgCompare::new(index, ScmpCompareOp::MaskedEqual(mask), 0)],
                )?,
            };
        }
    }
    for name in ABSENT {
        let Ok(syscall) = ScmpSyscall::from_name(name) else { continue };
        filter.add_rule(ScmpAction::Errno(ABSENT_ERRNO as i32), syscall)?;
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_profile_compiles() {
        for nesting in [false, true] {
            let filter = super::build(nesting).expect("every rule compiles");
            let out = tempfile_in_memory();
            filter.export_bpf(&out).unwrap();
            assert!(out.metadata().unwrap().len() > 0, "an empty program");
        }
    }

    fn tempfile_in_memory() -> std::fs::File {
        let fd = rustix::fs::memfd_create("bpf", rustix::fs::MemfdFlags::CLOEXEC).unwrap();
        std::fs::File::from(fd)
    }
}
