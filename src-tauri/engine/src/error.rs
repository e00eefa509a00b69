use hoody_model::{ErrorCode, ModelError};
use hoody_runtime::RuntimeError;
use hoody_store::StoreError;

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A rule of the API was broken: bad input, a duplicate, a wrong state. The code says which.
    #[error(transparent)]
    Rule(#[from] ModelError),
    #[error("{what}{}{id} not found", if id.is_empty() { "" } else { " " })]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the container runtime is not available: {0}")]
    RuntimeUnavailable(String),
    #[error("the container runtime failed: {0}")]
    Runtime(String),
    #[error("{0}")]
    NotImplemented(String),
    #[error("the engine's storage failed: {0}")]
    Store(StoreError),
    /// The data directory's disk has no room: what could not be written (the engine's
    /// [`explain`](crate::Engine::explain) adds where and how much is missing).
    #[error("{0}")]
    NoSpace(String),
    /// The database is missing or damaged; the message gives both ways back (`hoodyd recover`).
    #[error("{0}")]
    NeedsRecovery(String),
    /// Another server's answer: its refusal.
    #[error("{message}")]
    Remote { code: ErrorCode, message: String },
    /// Another server gave no answer (refused, timed out, cut off): the message says which.
    #[error("{0}")]
    Unanswered(String),
}

impl EngineError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Rule(e) => e.code,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::ForbiddenRealm,
            Self::RuntimeUnavailable(_) => ErrorCode::RuntimeUnavailable,
            Self::Runtime(_) => ErrorCode::RuntimeFailed,
            Self::NotImplemented(_) => ErrorCode::NotImplemented,
            Self::Store(_) => ErrorCode::Internal,
            Self::NoSpace(_) => ErrorCode::InsufficientStorage,
            Self::NeedsRecovery(_) => ErrorCode::Internal,
            Self::Remote { code, .. } => *code,
            Self::Unanswered(_) => ErrorCode::RuntimeUnavailable,
        }
    }

    pub(crate) fn rule(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Rule(ModelError::new(code, message))
    }

    /// The Hoody cloud's `what` (its marketplace, billing, rentals), which a self-hosted server
    /// does not have; `instead` says what to do here.
    pub(crate) fn not_offered(what: &str, instead: &str) -> Self {
        Self::rule(
            ErrorCode::NotOffered,
            format!("{what} is the Hoody cloud's; this server (a self-hosted hoodyd) offers none: {instead}"),
        )
    }

    pub(crate) fn not_found(what: &'static str, id: impl std::fmt::Display) -> Self {
        Self::NotFound { what, id: id.to_string() }
    }
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DuplicateName { name } => Self::rule(
                ErrorCode::DuplicateName,
                format!("a container named '{name}' already exists in this project; choose another name"),
            ),
            StoreError::DuplicateSnapshot { name } => Self::rule(
                ErrorCode::DuplicateName,
                format!("the container already has a snapshot named '{name}'; choose another alias"),
            ),
            StoreError::DuplicateSshKey => Self::rule(
                ErrorCode::DuplicateSshKey,
                "this SSH public key is already used by another container; each container needs its own key (ssh-keygen -t ed25519 -f ~/.ssh/hoody-NAME)",
            ),
            StoreError::QuotaExceeded { max, count } => Self::rule(
                ErrorCode::ProjectQuotaExceeded,
                format!(
                    "the project allows at most {max} containers and already has {count}; delete one or raise max_containers"
                ),
            ),
            StoreError::StatusChanged { actual } => Self::rule(
                ErrorCode::WrongState,
                format!("the container changed to {actual} while this request ran; look again and retry"),
            ),
            StoreError::NotFound { what } => Self::NotFound { what, id: String::new() },
            full if full.is_full() => Self::NoSpace(format!("the engine's database could not be written ({full})")),
            other => Self::Store(other),
        }
    }
}

impl From<RuntimeError> for EngineError {
    fn from(e: RuntimeError) -> Self {
        match e {
            RuntimeError::Unavailable(reason) => Self::RuntimeUnavailable(reason),
            RuntimeError::Failed(reason) if crate::space::says_disk_full(&reason) => Self::NoSpace(reason),
            RuntimeError::Failed(reason) => Self::Runtime(reason),
            RuntimeError::UnknownImage(reason) => Self::Rule(ModelError::new(ErrorCode::InvalidImage, reason)),
            RuntimeError::Invalid(reason) => Self::Rule(ModelError::new(ErrorCode::InvalidField, reason)),
            RuntimeError::ImageInUse(reason) => Self::Rule(ModelError::new(ErrorCode::ImageInUse, reason)),
            RuntimeError::NoImageServer(reason) => Self::Rule(ModelError::new(ErrorCode::NoImageServer, reason)),
        }
    }
}
