//! One engine per data directory: a second engine, or a recovery, in another process is
//! refused instead of fighting over the same containers and database (`DIR/engine.lock`).

use crate::{EngineError, Result};
use std::path::{Path, PathBuf};

/// The lock an engine holds on its data directory while it runs: an engine or a recovery in
/// another process is refused instead of fighting over the same containers and database. In
/// one process (an engine started again while the old one's tasks wind down) the lock is shared.
#[derive(Debug, Clone)]
pub struct DataDirLock {
    _file: std::sync::Arc<std::fs::File>,
}

/// How long a lock held by another process is waited for before that is an answer.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

type HeldLocks = std::sync::Mutex<std::collections::HashMap<PathBuf, std::sync::Weak<std::fs::File>>>;
static HELD: std::sync::LazyLock<HeldLocks> = std::sync::LazyLock::new(Default::default);

impl DataDirLock {
    pub fn take(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join("engine.lock");
        let mut held = HELD.lock().expect("data dir locks");
        if let Some(file) = held.get(&path).and_then(std::sync::Weak::upgrade) {
            return Ok(Self { _file: file });
        }
        let file = std::os::unix::fs::OpenOptionsExt::mode(&mut std::fs::OpenOptions::new(), 0o600)
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| EngineError::Runtime(format!("cannot open {}: {e}", path.display())))?;
        // An engine killed a moment ago may still have a child between fork and exec holding
        // the lock: it is asked again for a little while before another engine is named.
        let deadline = std::time::Instant::now() + LOCK_PATIENCE;
        let mut locked = rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive);
        while locked == Err(rustix::io::Errno::WOULDBLOCK) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
            locked = rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive);
        }
        match locked {
            Ok(()) => {
                let file = std::sync::Arc::new(file);
                held.insert(path, std::sync::Arc::downgrade(&file));
                Ok(Self { _file: file })
            }
            Err(rustix::io::Errno::WOULDBLOCK) => Err(EngineError::rule(
                hoody_model::ErrorCode::WrongState,
                format!("an engine (hoodyd or the desktop app) is running on {}: stop it first", data_dir.display()),
            )),
            Err(e) => Err(EngineError::Runtime(format!("cannot lock {}: {e}", path.display()))),
        }
    }
}
