//! "Generate a new ed25519 key for this container": the key pair is written under the user's
//! `~/.ssh` as `hoody-<name>` (private, 0600) and `hoody-<name>.pub`, and the public half goes
//! into the container's `ssh_public_key`. An existing file is never overwritten.

use crate::CommandError;
use hoody_model::{ErrorCode, validate};
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::{HashAlg, LineEnding, PrivateKey};
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// A key pair just written: what the UI puts in the form and tells the user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GeneratedSshKey {
    /// `ssh-ed25519 AAAA… hoody-<name>`, for the container's `ssh_public_key`.
    pub public_key: String,
    /// Where the private key was saved (mode 0600).
    pub private_key_path: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

/// Generates an ed25519 key pair for container `name` in `ssh_dir` (created 0700 if missing).
pub fn generate(ssh_dir: &Path, name: &str) -> Result<GeneratedSshKey, CommandError> {
    let name = validate::container_name(name.trim()).map_err(|e| {
        CommandError::new(ErrorCode::InvalidName, format!("{}; the key file is named after the container", e.message))
    })?;
    let private_path = ssh_dir.join(format!("hoody-{name}"));
    let public_path = PathBuf::from(format!("{}.pub", private_path.display()));
    for path in [&private_path, &public_path] {
        if path.exists() {
            return Err(CommandError::new(
                ErrorCode::DuplicateSshKey,
                format!(
                    "{} already exists and is kept: paste the public key from {} or use another name",
                    path.display(),
                    public_path.display()
                ),
            ));
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| internal("the OS gave no randomness", e))?;
    let keypair = KeypairData::Ed25519(Ed25519Keypair::from_seed(&seed));
    let key = PrivateKey::new(keypair, format!("hoody-{name}")).map_err(|e| internal("cannot build the key", e))?;
    let private_text = key.to_openssh(LineEnding::LF).map_err(|e| internal("cannot encode the private key", e))?;
    let public_text = key.public_key().to_openssh().map_err(|e| internal("cannot encode the public key", e))?;

    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(ssh_dir)
        .map_err(|e| internal(&format!("cannot create {}", ssh_dir.display()), e))?;
    write_new(&private_path, private_text.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&public_path, format!("{public_text}\n").as_bytes(), 0o644) {
        let _ = std::fs::remove_file(&private_path);
        return Err(e);
    }
    Ok(GeneratedSshKey {
        public_key: public_text,
        private_key_path: private_path.display().to_string(),
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
    })
}

/// The user's `~/.ssh`.
pub fn user_ssh_dir() -> Result<PathBuf, CommandError> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(".ssh"))
        .ok_or_else(|| CommandError::new(ErrorCode::Internal, "HOME is not set: there is no ~/.ssh to save the key in"))
}

/// Creates `path` with `mode` (never replacing a file) and writes `bytes`.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), CommandError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| internal(&format!("cannot create {}", path.display()), e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| internal(&format!("cannot write {}", path.display()), e))
}

fn internal(what: &str, e: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorCode::Internal, format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_a_key_pair_that_the_engine_accepts() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".ssh");
        let key = generate(&dir, "web-1").unwrap();
        assert!(key.public_key.starts_with("ssh-ed25519 AAAA") && key.public_key.ends_with(" hoody-web-1"));
        assert!(key.fingerprint.starts_with("SHA256:"));
        let private = dir.join("hoody-web-1");
        assert_eq!(key.private_key_path, private.display().to_string());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&private), 0o600);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("hoody-web-1.pub")), 0o644);
        // The private key reads back as the same key; the engine's own check accepts the public one.
        let read = PrivateKey::from_openssh(std::fs::read_to_string(&private).unwrap()).unwrap();
        assert_eq!(read.public_key().to_openssh().unwrap(), key.public_key);
        assert_eq!(validate::ssh_public_key(&key.public_key).unwrap().fingerprint, key.fingerprint);
        // Two keys are never the same.
        assert_ne!(generate(&dir, "web-2").unwrap().public_key, key.public_key);
    }

    #[test]
    fn never_overwrites_and_refuses_names_that_are_not_container_names() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".ssh");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("hoody-web-1"), "mine").unwrap();
        let e = generate(&dir, "web-1").unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (409, "duplicate_ssh_key"), "{e:?}");
        assert_eq!(std::fs::read_to_string(dir.join("hoody-web-1")).unwrap(), "mine");
        assert!(!dir.join("hoody-web-1.pub").exists());
        for bad in ["../evil", "a/b", "x", ""] {
            let e = generate(&dir, bad).unwrap_err();
            assert_eq!(e.code, "invalid_name", "{bad}: {e:?}");
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }
}
