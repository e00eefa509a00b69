//! `hoodyd`'s command line on its own (the servers it runs are tested end to end in the
//! top-level `tests/`). Also why `cargo test` builds the binary those suites run.

use std::process::Command;

fn hoodyd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hoodyd")).args(args).env("HOODY_LOG", "error").output().unwrap()
}

#[test]
fn an_unknown_command_is_refused_with_the_usage() {
    let out = hoodyd(&["explode"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage"), "{out:?}");
}

#[test]
fn importing_what_is_not_a_rootfs_tarball_says_so_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_tarball = dir.path().join("notes.txt");
    std::fs::write(&not_a_tarball, "not a tarball").unwrap();
    let data = dir.path().join("data");
    let out =
        hoodyd(&["image", "import", "broken/1", not_a_tarball.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert!(!out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a rootfs tarball"), "{out:?}");
    let images = std::fs::read_dir(data.join("runtime/images")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(images, 0, "a refused import leaves no image behind");
}
