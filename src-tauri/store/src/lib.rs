//! SQLite storage for the Hoody engine. One file in the data directory, WAL mode, migrations
//! embedded. Rows are mapped to `hoody-model` types here; no sqlx type leaves this crate.
//!
//! Writes go through a single-connection pool, so a read-check-write transaction (a project's
//! quota, a unique name) cannot race another writer of this process; a second process (the
//! `hoodyd token` command) waits on SQLite's busy timeout.

mod containers;
mod digest;
mod error;
mod event_log;
mod fleet_cache;
mod meta;
mod project_permissions;
mod projects;
mod proxy_gates;
mod realms;
mod rows;
mod snapshots;
mod storage_shares;
mod tokens;

pub use containers::{ContainerFilter, NewContainer, StatusChange};
pub use error::{Result, StoreError};
pub use meta::ServerRecord;
pub use project_permissions::Visible;
pub use storage_shares::ShareRecord;
pub use tokens::TokenRecord;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The name of the database file inside the data directory.
pub const DB_FILE: &str = "hoody.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone)]
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Io { path: data_dir.to_owned(), source: e })?;
        let path = data_dir.join(DB_FILE);
        create_private(&path).map_err(|e| StoreError::Io { path: path.clone(), source: e })?;
        // WAL + synchronous=NORMAL: a committed transaction is in the WAL before commit returns,
        // so a killed process loses nothing it acknowledged (only a power cut could).
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // What is deleted or overwritten is zeroed, not left in free pages for a copy of
            // the file to show (a secret that was replaced, say).
            .pragma("secure_delete", "on");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { writer, reader, path })
    }

    /// Moves everything the WAL holds into the database and empties it: what an overwrite
    /// replaced is then nowhere in the files (with `secure_delete`, not in free pages either).
    pub async fn checkpoint(&self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.writer).await?;
        Ok(())
    }

    /// Writes a consistent copy of the live database to `to` (SQLite's `VACUUM INTO`: one
    /// read snapshot, writers not held up). `to` must not exist.
    pub async fn backup_to(&self, to: &Path) -> Result<()> {
        let target = to.to_str().ok_or_else(|| StoreError::corrupt("backup path", "not UTF-8"))?;
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.reader).await?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Makes the database file, when missing, readable by its owner alone: SQLite would make it
/// 0644, and its WAL and shared-memory files take the database's mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}
