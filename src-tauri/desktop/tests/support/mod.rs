//! Shared by the desktop core's tests.

use std::path::{Path, PathBuf};

/// Fails when `secret` is in any file under `dir` (tokens belong in the keyring only).
pub fn assert_nowhere_under(dir: &Path, secret: &str) {
    for file in walk(dir) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the secret is in {}", file.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            files.extend(walk(&path));
        } else if path.is_file() {
            files.push(path);
        }
    }
    files
}
