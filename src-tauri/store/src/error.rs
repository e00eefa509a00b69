use std::path::PathBuf;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The database's disk is full (SQLITE_FULL, ENOSPC, EDQUOT): nothing was written.
    #[error("the database cannot grow: {0}")]
    Full(String),
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row holds a value the model refuses; the file was edited by hand or is damaged.
    #[error("the database holds an invalid {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("a container named '{name}' already exists in this project")]
    DuplicateName { name: String },
    #[error("the container already has a snapshot named '{name}'")]
    DuplicateSnapshot { name: String },
    #[error("this SSH public key is already used by another container")]
    DuplicateSshKey,
    #[error("the project allows at most {max} containers and has {count}")]
    QuotaExceeded { max: u32, count: u32 },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The row changed status under us (another request won the race).
    #[error("the container is {actual} now")]
    StatusChanged { actual: hoody_model::ContainerStatus },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if disk_full(&e) { Self::Full(e.to_string()) } else { Self::Database(e) }
    }
}

/// Whether SQLite failed for want of space (its code 13, SQLITE_FULL, or an I/O error of a
/// full disk or quota).
fn disk_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code == "13"),
        sqlx::Error::Io(io) => matches!(io.raw_os_error(), Some(28 | 122)),
        _ => false,
    }
}

/// Whether SQLite found the file damaged or not a database at all (SQLITE_CORRUPT, SQLITE_NOTADB).
fn damaged(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().is_some_and(|code| code == "11" || code == "26"))
}

impl StoreError {
    /// Whether the database file is damaged (or not a database): it needs `hoodyd recover`.
    pub fn is_damaged(&self) -> bool {
        match self {
            Self::Database(e) | Self::Migrate(sqlx::migrate::MigrateError::Execute(e)) => damaged(e),
            _ => false,
        }
    }

    /// Whether the error is a full disk.
    pub fn is_full(&self) -> bool {
        match self {
            Self::Full(_) => true,
            Self::Migrate(sqlx::migrate::MigrateError::Execute(e)) => disk_full(e),
            _ => false,
        }
    }

    pub(crate) fn corrupt(what: &'static str, detail: impl std::fmt::Display) -> Self {
        Self::Corrupt { what, detail: detail.to_string() }
    }
}

/// Maps a violated unique index of the containers table to the rule it enforces.
pub(crate) fn container_conflict(err: sqlx::Error, name: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &err
        && db.is_unique_violation()
    {
        let msg = db.message();
        if msg.contains("ssh_key_fingerprint") {
            return StoreError::DuplicateSshKey;
        }
        if msg.contains("containers.name") {
            return StoreError::DuplicateName { name: name.to_owned() };
        }
    }
    StoreError::from(err)
}
