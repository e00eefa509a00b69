//! `hoody-enter` as the engine runs it. (These tests are also why `cargo test --workspace`
//! builds the binary that every runtime, kit and engine test finds in `target/debug`.)

use std::process::{Command, Output};

const ENTER: &str = env!("CARGO_BIN_EXE_hoody-enter");
/// The range a root engine gives its containers (runtime::idmap).
const BASE: u32 = 0x7000_0000;

fn enter(args: &[&str]) -> Output {
    Command::new(ENTER).args(args).output().expect("hoody-enter runs")
}

fn userns(program: &[&str]) -> Output {
    let (uids, gids) = (format!("0:{BASE}:65536"), format!("0:{BASE}:65536"));
    let mut args = vec!["userns", "--uid-map", &uids, "--gid-map", &gids, "--"];
    args.extend_from_slice(program);
    enter(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn an_unknown_command_is_its_own_failure_with_the_usage() {
    let out = enter(&["escape"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out.stderr).contains("usage: hoody-enter userns|join|identity"), "{}", text(&out.stderr));
}

#[test]
fn userns_needs_a_program_and_well_formed_maps() {
    let out = enter(&["userns", "--uid-map", "0:1:1", "--gid-map", "0:1:1"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out.stderr).contains("no program to run"), "{}", text(&out.stderr));

    let out = enter(&["userns", "--uid-map", "zero", "--gid-map", "0:1:1", "--", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
}

#[test]
fn userns_runs_the_program_as_the_root_of_the_mapped_range() {
    let out = userns(&["sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Vec<String>> =
        text(&out.stdout).lines().map(|l| l.split_whitespace().map(str::to_owned).collect()).collect();
    assert_eq!(lines[0], ["0"], "the program is the namespace's root");
    for map in &lines[1..] {
        assert_eq!(map, &["0".to_owned(), BASE.to_string(), "65536".to_owned()]);
    }
}

#[test]
fn the_program_keeps_its_exit_status_and_one_that_cannot_run_is_named() {
    assert_eq!(userns(&["sh", "-c", "exit 7"]).status.code(), Some(7));
    let out = userns(&["/nonexistent/program"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("cannot run /nonexistent/program"), "{}", text(&out.stderr));
}

#[test]
fn the_namespaces_root_is_not_the_hosts_root() {
    // A file of the host's root, readable by all: its owner is unmapped in the namespace, and
    // the namespace's root may not write or change it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("host-owned");
    std::fs::write(&file, "host").unwrap();
    let path = file.to_str().unwrap();
    let script = format!(
        "stat -c %u {path}; echo x >> {path} && echo wrote; chmod 777 {path} && echo changed; \
         mount -t tmpfs none {dir} && echo mounted; exit 0",
        dir = dir.path().display()
    );
    let out = userns(&["sh", "-c", &script]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().next(), Some("65534"), "the host's root shows as nobody: {stdout}");
    for forbidden in ["wrote", "changed"] {
        assert!(!stdout.contains(forbidden), "{forbidden}: {stdout}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "host");
    // Its own mounts (a tmpfs over the directory) stay in its own mount namespace.
    assert!(stdout.contains("mounted"), "{stdout}");
    assert!(file.exists(), "the host still sees the file under the namespace's mount");
}
