#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// The runtime cannot act on this machine at all (no runc, not root…).
    #[error("{0}")]
    Unavailable(String),
    /// An image alias the local store does not hold.
    #[error("{0}")]
    UnknownImage(String),
    /// An image that containers or snapshots are made from (the message names them).
    #[error("{0}")]
    ImageInUse(String),
    /// No image server is configured to download images from.
    #[error("{0}")]
    NoImageServer(String),
    /// A request the runtime refuses (a bad tarball, a missing snapshot…); nothing changed.
    #[error("{0}")]
    Invalid(String),
    /// The work was tried and failed; the message says where.
    #[error("{0}")]
    Failed(String),
}

pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;

impl RuntimeError {
    pub(crate) fn io(what: impl std::fmt::Display, e: impl std::fmt::Display) -> Self {
        Self::Failed(format!("{what}: {e}"))
    }
}
