//! The key the engine seals the secrets of its database with (see `hoody_engine::sealed`): in
//! the OS keyring, when the session has a Secret Service to keep it across reboots. Otherwise
//! (and wherever a key file was made before, which stays the key) the engine keeps it in a file
//! of the data directory, readable by the user alone.

use crate::secrets::{SecretStore, Secrets};
use hoody_engine::sealed::SealingKey;
use std::path::Path;

/// The key for the engine on `data_dir`; None: its key file.
pub async fn sealing_key(data_dir: &Path, secrets: &Secrets) -> Option<SealingKey> {
    if SealingKey::has_key_file(data_dir) {
        return None;
    }
    let account = format!("sealing-key:{}", data_dir.display());
    match secrets.get(&account).await {
        Ok(Some(text)) => match SealingKey::from_text(&text) {
            Some(key) => return Some(key),
            None => {
                tracing::warn!("the keyring's sealing key for {} is not a key: a new one is made", data_dir.display())
            }
        },
        Ok(None) => {}
        Err(e) => {
            tracing::warn!("the keyring cannot be read ({}): the sealing key goes to a file", e.message);
            return None;
        }
    }
    let key = SealingKey::generate();
    match secrets.set(&account, &key.to_text()).await {
        Ok(SecretStore::SecretService) => Some(key),
        // The kernel's key store forgets at reboot: sealed secrets would be lost with it.
        Ok(SecretStore::KernelKeyring) => {
            let _ = secrets.delete(&account).await;
            tracing::info!("no Secret Service in this session: the sealing key goes to a file of the data directory");
            None
        }
        Err(e) => {
            tracing::warn!("the keyring refused the sealing key ({}): it goes to a file", e.message);
            None
        }
    }
}
