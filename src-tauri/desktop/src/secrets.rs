//! Tokens in the OS keyring, never in a file or a log: the Secret Service (GNOME Keyring,
//! KWallet) when the session has one, else the kernel's key store (keyutils, which keeps them
//! until logout or reboot). The keyring's calls block, so they run on a thread of their own.

use crate::CommandError;
use hoody_model::ErrorCode;
use keyring::{Entry, Error as KeyringError};

/// Where a secret went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SecretStore {
    SecretService,
    /// The kernel's key store: no Secret Service in this session; gone after a reboot.
    KernelKeyring,
}

/// The app's secrets, one per account (a remote endpoint's URL), under one service name.
#[derive(Debug, Clone)]
pub struct Secrets {
    service: String,
}

impl Secrets {
    pub fn new(service: impl Into<String>) -> Self {
        Self { service: service.into() }
    }

    /// Stores `secret` for `account`, replacing what was there.
    pub async fn set(&self, account: &str, secret: &str) -> Result<SecretStore, CommandError> {
        let (service, account, secret) = (self.service.clone(), account.to_owned(), secret.to_owned());
        blocking(move || match secret_service(&service, &account).and_then(|e| e.set_password(&secret)) {
            Ok(()) => Ok(SecretStore::SecretService),
            // A bus without a keyring on it answers "no entry" to a write.
            Err(e) if unavailable(&e) || matches!(e, KeyringError::NoEntry) => {
                tracing::info!("no Secret Service ({e}); the token goes to the kernel key store");
                let write = || kernel(&service, &account).and_then(|e| e.set_password(&secret));
                // A process's first write finds no session keyring yet: it is made then, and
                // keyring-rs reports "no entry". The second write lands.
                write()
                    .or_else(|e| if matches!(e, KeyringError::NoEntry) { write() } else { Err(e) })
                    .map_err(refused)?;
                Ok(SecretStore::KernelKeyring)
            }
            Err(e) => Err(refused(e)),
        })
        .await
    }

    /// The secret of `account`, from whichever store holds it.
    pub async fn get(&self, account: &str) -> Result<Option<String>, CommandError> {
        let (service, account) = (self.service.clone(), account.to_owned());
        blocking(move || {
            match secret_service(&service, &account).and_then(|e| e.get_password()) {
                Ok(secret) => return Ok(Some(secret)),
                Err(KeyringError::NoEntry) => {}
                Err(e) if unavailable(&e) => {}
                Err(e) => return Err(refused(e)),
            }
            match kernel(&service, &account).and_then(|e| e.get_password()) {
                Ok(secret) => Ok(Some(secret)),
                Err(KeyringError::NoEntry) => Ok(None),
                Err(e) if unavailable(&e) => Ok(None),
                Err(e) => Err(refused(e)),
            }
        })
        .await
    }

    /// Forgets the secret of `account` in both stores (absent is fine).
    pub async fn delete(&self, account: &str) -> Result<(), CommandError> {
        let (service, account) = (self.service.clone(), account.to_owned());
        blocking(move || {
            for entry in [secret_service(&service, &account), kernel(&service, &account)] {
                match entry.and_then(|e| e.delete_credential()) {
                    Ok(()) | Err(KeyringError::NoEntry) => {}
                    Err(e) if unavailable(&e) => {}
                    Err(e) => return Err(refused(e)),
                }
            }
            Ok(())
        })
        .await
    }
}

fn secret_service(service: &str, account: &str) -> keyring::Result<Entry> {
    // Without a session bus there is no Secret Service; asking anyway would make D-Bus launch a
    // bus of its own through X11, which then lingers.
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|a| a.is_empty()) {
        return Err(KeyringError::PlatformFailure("no D-Bus session bus".into()));
    }
    let credential = keyring::secret_service::SsCredential::new_with_target(None, service, account)?;
    Ok(Entry::new_with_credential(Box::new(credential)))
}

fn kernel(service: &str, account: &str) -> keyring::Result<Entry> {
    let credential = keyring::keyutils::KeyutilsCredential::new_with_target(None, service, account)?;
    Ok(Entry::new_with_credential(Box::new(credential)))
}

/// The store is not there (no D-Bus session, no Secret Service), as opposed to refusing.
fn unavailable(e: &KeyringError) -> bool {
    matches!(e, KeyringError::PlatformFailure(_) | KeyringError::NoStorageAccess(_))
}

fn refused(e: KeyringError) -> CommandError {
    CommandError::new(ErrorCode::Internal, format!("the OS keyring refused: {e}"))
}

/// Runs keyring work on the one thread that does it all. The keyring's calls block (D-Bus),
/// and the kernel store's session keyring belongs to a thread's credentials: a key written
/// from one pool thread could be missing, or stale, when read from another.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    type Job = Box<dyn FnOnce() + Send>;
    static WORKER: std::sync::OnceLock<std::sync::mpsc::Sender<Job>> = std::sync::OnceLock::new();
    let worker = WORKER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("keyring".into())
            .spawn(move || rx.into_iter().for_each(|job| job()))
            .expect("a thread for the keyring");
        tx
    });
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    let stopped = || CommandError::new(ErrorCode::Internal, "the keyring thread stopped");
    worker.send(job).map_err(|_| stopped())?;
    result.await.map_err(|_| stopped())?
}
