//! Compiles the container's first program, `init/hoody-init.c`, into a static executable that
//! the runtime embeds (see `src/init_shim.rs`). Static because it runs in the container's own
//! root, which may have no C library at all (busybox) or another one; C because a static Rust
//! program on glibc needs a target feature cargo cannot set for one binary of a workspace.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let source = "init/hoody-init.c";
    println!("cargo:rerun-if-changed={source}");
    println!("cargo:rerun-if-env-changed=CC");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("hoody-init");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&compiler)
        .args(["-static", "-Os", "-s", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&out)
        .arg(source)
        .status()
        .unwrap_or_else(|e| {
            panic!("cannot run the C compiler {compiler}: {e} (Debian: apt-get install gcc libc6-dev)")
        });
    assert!(status.success(), "{compiler} could not build {source} (a static build needs libc6-dev's libc.a)");
}
