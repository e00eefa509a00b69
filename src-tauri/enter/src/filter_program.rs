//! The containers' seccomp filter, compiled: libseccomp's program for the profile
//! (`hoody_runtime::confine`'s [`SYSCALLS`]) behind a stub that answers "no such call" (ENOSYS)
//! to every system call newer than the newest the profile names — as runc patches the filters
//! it compiles: a C library falls back to an older call on ENOSYS (glibc's fchmodat on
//! fchmodat2, say), not on EPERM.
//!
//! Run when hoody-enter is built (its `build.rs` has this file as a module, and the profile as
//! `crate::profile`), so that no process compiles it at run time (libseccomp took ~7 ms of every
//! kit process's start); the crate's tests have it too.

use crate::profile::{ABSENT, ABSENT_ERRNO, ArgTest, REFUSED_ERRNO, SYSCALLS};
use libseccomp::{ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall};
use std::path::Path;

/// Bytes of one BPF instruction (`struct sock_filter`).
pub const INSN: usize = 8;

/// The filter for a container that allows nested user namespaces or not (`nesting`), for the
/// architecture `target_arch` (Rust's name: `x86_64`, `aarch64`) and the compat ones its kernel
/// also serves, as raw `struct sock_filter`s. libseccomp exports through the file `scratch`.
pub fn program(nesting: bool, target_arch: &str, scratch: &Path) -> Result<Vec<u8>, String> {
    let arches = architectures(target_arch)?;
    let filter = build(nesting, &arches).map_err(|e| format!("cannot compile the seccomp profile: {e}"))?;
    let file = std::fs::File::create(scratch).map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    filter.export_bpf(&file).map_err(|e| format!("cannot export the seccomp filter: {e}"))?;
    let compiled = std::fs::read(scratch).map_err(|e| format!("cannot read {}: {e}", scratch.display()))?;
    let mut program: Vec<u8> = stub(&newest_named(&arches)).iter().flat_map(|i| encode(*i)).collect();
    program.extend(compiled);
    if program.len() / INSN > usize::from(u16::MAX) {
        return Err("the seccomp filter is too long".into());
    }
    Ok(program)
}

/// The system call tables of `target_arch`'s kernels: its own first, then the compat ones (as
/// runc adds them).
fn architectures(target_arch: &str) -> Result<Vec<ScmpArch>, String> {
    match target_arch {
        "x86_64" => Ok(vec![ScmpArch::X8664, ScmpArch::X86, ScmpArch::X32]),
        "aarch64" => Ok(vec![ScmpArch::Aarch64, ScmpArch::Arm]),
        other => Err(format!("no seccomp filter is made for {other}")),
    }
}

fn build(nesting: bool, arches: &[ScmpArch]) -> Result<ScmpFilterContext, libseccomp::error::SeccompError> {
    let mut filter = ScmpFilterContext::new(ScmpAction::Errno(REFUSED_ERRNO as i32))?;
    // The filter starts with the building machine's own table: the target's replace it.
    for arch in arches.iter().filter(|arch| **arch != ScmpArch::native()) {
        filter.add_arch(*arch)?;
    }
    if !arches.contains(&ScmpArch::native()) {
        filter.remove_arch(ScmpArch::native())?;
    }
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

/// x32's system calls: x86-64's numbers with this bit set.
const X32_BIT: u32 = 0x4000_0000;

/// Per architecture of the filter (its audit number), the newest system call the profile names
/// that libseccomp knows there; for x86-64 also x32's.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Newest {
    audit_arch: u32,
    last: u32,
    last_x32: Option<u32>,
}

fn newest_named(arches: &[ScmpArch]) -> Vec<Newest> {
    let names = SYSCALLS.iter().flat_map(|rule| rule.names.iter()).chain(ABSENT.iter());
    let names: Vec<&str> = names.copied().collect();
    let newest = |arch: ScmpArch| {
        names
            .iter()
            .filter_map(|name| ScmpSyscall::from_name_by_arch(name, arch).ok())
            .map(|s| s.as_raw_syscall())
            // Negative: a call this architecture multiplexes (socketcall's), not a number.
            .filter_map(|nr| u32::try_from(nr).ok())
            .max()
    };
    arches
        .iter()
        .copied()
        .filter(|arch| *arch != ScmpArch::X32)
        .filter_map(|arch| {
            Some(Newest {
                audit_arch: audit_arch(arch)?,
                last: newest(arch)?,
                last_x32: (arch == ScmpArch::X8664).then(|| newest(ScmpArch::X32)).flatten(),
            })
        })
        .collect()
}

/// The kernel's AUDIT_ARCH_ number of `arch` (linux/audit.h), for the architectures we build for.
fn audit_arch(arch: ScmpArch) -> Option<u32> {
    match arch {
        ScmpArch::X8664 => Some(0xC000_003E),
        ScmpArch::X86 => Some(0x4000_0003),
        ScmpArch::Aarch64 => Some(0xC000_00B7),
        ScmpArch::Arm => Some(0x4000_0028),
        _ => None,
    }
}

/// One BPF instruction: opcode, jump offsets (true, false), constant.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Insn(u16, u8, u8, u32);

const LD_ABS_W: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JGT: u16 = (libc::BPF_JMP | libc::BPF_JGT | libc::BPF_K) as u16;
const JSET: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
const RET: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
/// Offsets of `nr` and `arch` in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;

/// The stub: per architecture, a call numbered above its newest goes to ENOSYS, any other to
/// the program that follows (which judges the architecture itself too).
fn stub(newest: &[Newest]) -> Vec<Insn> {
    let block_len = |n: &Newest| if n.last_x32.is_some() { 5 } else { 3 };
    let enosys = 1 + newest.iter().map(block_len).sum::<usize>();
    let program = enosys + 1;
    // A forward jump from the instruction at `from` to `to`.
    let jump = |from: usize, to: usize| u8::try_from(to - from - 1).expect("a short stub");
    let mut code = vec![Insn(LD_ABS_W, 0, 0, ARCH)];
    for n in newest {
        let next = code.len() + block_len(n);
        let at = code.len();
        code.push(Insn(JEQ, 0, jump(at, if next == enosys { program } else { next }), n.audit_arch));
        code.push(Insn(LD_ABS_W, 0, 0, NR));
        if let Some(last_x32) = n.last_x32 {
            code.push(Insn(JSET, 1, 0, X32_BIT));
            let at = code.len();
            code.push(Insn(JGT, jump(at, enosys), jump(at, program), n.last));
            let at = code.len();
            code.push(Insn(JGT, jump(at, enosys), jump(at, program), last_x32));
        } else {
            let at = code.len();
            code.push(Insn(JGT, jump(at, enosys), jump(at, program), n.last));
        }
    }
    code.push(Insn(RET, 0, 0, libc::SECCOMP_RET_ERRNO | ABSENT_ERRNO));
    debug_assert_eq!(code.len(), program);
    code
}

fn encode(Insn(code, jt, jf, k): Insn) -> [u8; INSN] {
    let mut out = [0; INSN];
    out[..2].copy_from_slice(&code.to_ne_bytes());
    out[2] = jt;
    out[3] = jf;
    out[4..].copy_from_slice(&k.to_ne_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    fn program_here(nesting: bool) -> Vec<u8> {
        let scratch = tempfile::NamedTempFile::new().unwrap();
        program(nesting, std::env::consts::ARCH, scratch.path()).expect("every rule compiles")
    }

    #[test]
    fn the_profile_compiles_behind_its_stub() {
        let arches = architectures(std::env::consts::ARCH).unwrap();
        for nesting in [false, true] {
            let program = program_here(nesting);
            assert_eq!(program.len() % INSN, 0);
            assert!(
                program.len() / INSN > stub(&newest_named(&arches)).len() + 10,
                "libseccomp's program follows the stub"
            );
        }
        if std::env::consts::ARCH == "x86_64" {
            let x86_64 = newest_named(&arches)[0];
            assert!(x86_64.last > 400 && x86_64.last < 1024, "{x86_64:?}");
            assert!(x86_64.last_x32.is_some_and(|n| n > X32_BIT), "x32's numbers carry their bit: {x86_64:?}");
        }
    }

    /// What the build embeds is what the profile compiles to here.
    #[test]
    fn the_embedded_filters_are_the_profiles() {
        assert_eq!(crate::seccomp::program(true), program_here(true));
        assert_eq!(crate::seccomp::program(false), program_here(false));
    }

    #[test]
    fn the_stub_jumps_to_enosys_or_the_program() {
        let newest = [
            Newest { audit_arch: 1, last: 100, last_x32: Some(X32_BIT | 120) },
            Newest { audit_arch: 2, last: 50, last_x32: None },
        ];
        let code = stub(&newest);
        // ld arch; [jeq 1; ld nr; jset x32; jgt 100; jgt x32|120]; [jeq 2; ld nr; jgt 50]; ret
        assert_eq!(code.len(), 10);
        let target = |at: usize, offset: u8| at + 1 + usize::from(offset);
        let (enosys, program) = (9, 10);
        assert_eq!(code[enosys].3, libc::SECCOMP_RET_ERRNO | 38);
        assert_eq!((target(1, code[1].1), target(1, code[1].2)), (2, 6), "arch 1, else the next block");
        assert_eq!((target(3, code[3].1), target(3, code[3].2)), (5, 4), "x32 numbers to their own test");
        for at in [4, 5, 8] {
            assert_eq!((target(at, code[at].1), target(at, code[at].2)), (enosys, program));
        }
        assert_eq!(target(6, code[6].2), program, "an architecture of none of the blocks goes to the program");
    }

    /// In a child of this test, under the filter: a call numbered past the profile's newest
    /// answers ENOSYS (glibc's cue to fall back), a refused one EPERM, an allowed one works.
    #[test]
    fn the_kernel_answers_as_the_profile_says() {
        let program = program_here(true);
        let script = "syscall(1000); my $new = $! + 0; syscall(250, 0, -3, 0); my $refused = $! + 0; \
                      print \"$new $refused \", getppid() > 0 ? \"allowed\" : \"broken\"";
        let mut perl = std::process::Command::new("perl");
        perl.args(["-e", script]);
        // As numbers: a closure run between fork and exec must be Send.
        let (len, at) = ((program.len() / INSN) as u16, program.as_ptr() as usize);
        #[allow(unsafe_code)]
        // SAFETY: between fork and exec: two system calls, no allocation; `program` outlives them.
        unsafe {
            perl.pre_exec(move || {
                let filter = libc::sock_fprog { len, filter: at as *mut libc::sock_filter };
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, 0, &filter) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = perl.output().expect("perl runs under the filter");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "38 1 allowed", "{}", String::from_utf8_lossy(&out.stderr));
    }
}
