use std::path::PathBuf;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
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

impl StoreError {
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
    StoreError::Database(err)
}
