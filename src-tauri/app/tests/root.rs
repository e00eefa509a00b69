//! The app's own binary refuses root (the tests run as root; the end-to-end suites in the
//! top-level `tests/` run it as an ordinary user). Also why `cargo test` builds the binary.

#[test]
fn run_as_root_it_refuses() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hoody-desktop")).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("never as root"), "{out:?}");
}
