//! Compiles the containers' seccomp filter into hoody-enter (see `src/filter_program.rs`): two
//! programs, for containers that allow nested user namespaces and for those that do not, in
//! OUT_DIR, which `src/seccomp.rs` embeds.

#[path = "src/filter_program.rs"]
mod filter_program;
#[path = "../runtime/src/seccomp_profile.rs"]
#[allow(dead_code)]
mod profile;

fn main() {
    println!("cargo:rerun-if-changed=../runtime/src/seccomp_profile.rs");
    println!("cargo:rerun-if-changed=src/filter_program.rs");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").expect("cargo sets CARGO_CFG_TARGET_ARCH");
    for (nesting, name) in [(true, "seccomp-nesting.bpf"), (false, "seccomp.bpf")] {
        let program = filter_program::program(nesting, &arch, &out.join("libseccomp.bpf"))
            .unwrap_or_else(|e| panic!("{e} (Debian: apt-get install libseccomp-dev)"));
        std::fs::write(out.join(name), program).unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
    }
}
