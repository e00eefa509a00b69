//! Rolling online backups of the database: a consistent copy of the live database at start and
//! every hour, the newest three kept in `DIR/backups` (`hoody-TIME.db`). `hoodyd recover
//! --from-backup latest` puts one back. A disk without room for one skips it (and says so).

use crate::{Engine, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) const EVERY: Duration = Duration::from_secs(3600);
const KEEP: usize = 3;

/// The backups of `data_dir`, newest first.
pub fn backups(data_dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(data_dir.join("backups"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| {
        p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("hoody-"))
            && p.extension().is_some_and(|e| e == "db")
    });
    found.sort();
    found.reverse();
    found
}

impl Engine {
    /// Takes a backup now and drops the oldest beyond three; the new backup's path.
    pub async fn backup(&self) -> Result<PathBuf> {
        let dir = self.inner.data_dir.join("backups");
        crate::private::create_dir(&dir)
            .map_err(|e| crate::EngineError::Runtime(format!("cannot make {}: {e}", dir.display())))?;
        let size = std::fs::metadata(self.inner.store.path()).map_or(0, |m| m.len());
        self.inner.space.check("a backup of the database", size)?;
        let name = format!("hoody-{}.db", crate::now().format("%Y%m%d-%H%M%S%.3f"));
        let (partial, done) = (dir.join(format!("{name}.partial")), dir.join(&name));
        let _ = std::fs::remove_file(&partial);
        let made = self.inner.store.backup_to(&partial).await;
        if let Err(e) = made {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
        // SQLite makes the copy as it makes any database: readable by everyone.
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        std::fs::set_permissions(&partial, private)
            .map_err(|e| crate::EngineError::Runtime(format!("cannot make {} private: {e}", partial.display())))?;
        std::fs::rename(&partial, &done)
            .map_err(|e| crate::EngineError::Runtime(format!("cannot name the backup {}: {e}", done.display())))?;
        for old in backups(&self.inner.data_dir).into_iter().skip(KEEP) {
            let _ = std::fs::remove_file(old);
        }
        Ok(done)
    }
}
