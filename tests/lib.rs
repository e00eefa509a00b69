//! What the end-to-end suites share: where the workspace and its built programs are.

use std::path::{Path, PathBuf};

/// The workspace's root directory.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `target/debug/NAME`, the workspace's own build of a program (`cargo test --workspace` builds
/// it through its crate's tests).
pub fn program(name: &str) -> PathBuf {
    let path = root().join("target/debug").join(name);
    assert!(path.exists(), "{} is missing: cargo build -p {name}", path.display());
    path
}

/// Where the suites' screenshots go: `target/screenshots` (made when missing).
pub fn screenshots() -> String {
    let dir = root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots can be made");
    dir.display().to_string()
}

/// Runs the browser spec `tests/browser/SPEC` with node and `args`; answers what it printed,
/// once it succeeded (a failure panics with its output).
pub async fn browser_spec(spec: &str, args: &[&str]) -> String {
    let out = tokio::process::Command::new("node")
        .arg(root().join("tests/browser").join(spec))
        .args(args)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{spec} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}
