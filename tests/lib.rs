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
