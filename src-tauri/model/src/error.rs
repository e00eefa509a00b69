use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A stable machine code carried by every error that reaches the UI or REST. Clients branch on
/// this code, never on the message text, so a variant's spelling never changes once shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// The request body or query could not be read (bad JSON, unknown field, wrong type).
    InvalidRequest,
    InvalidId,
    InvalidName,
    InvalidColor,
    InvalidSshKey,
    InvalidImage,
    InvalidEnvironment,
    InvalidField,
    InvalidPagination,
    UnknownRealm,
    ImmutableField,
    ContainerMustBeStopped,
    ProjectQuotaExceeded,
    DuplicateName,
    DuplicateSshKey,
    /// The token already has a grant of the project: change that one instead.
    AlreadyGranted,
    WrongState,
    /// An image containers (or their snapshots) are made from cannot be deleted.
    ImageInUse,
    /// This server has no image server to download images from.
    NoImageServer,
    NotFound,
    Unauthorized,
    ForbiddenRealm,
    /// The token's permissions do not allow this (`permissions.…` off).
    PermissionDenied,
    /// A write's `If-Match` names an ETag that is no longer current.
    PreconditionFailed,
    RuntimeUnavailable,
    RuntimeFailed,
    /// The route exists but this build cannot do it yet; the message says what is missing.
    NotImplemented,
    /// The operation is the Hoody cloud's (its marketplace, billing, rentals): a self-hosted
    /// server has nothing of the kind, and the message says where it is done instead.
    NotOffered,
    /// A server answered 429 (asked too often); the message says when to ask again.
    RateLimited,
    /// The bytes a transfer received are not the ones it was announced with (their SHA-256 or
    /// their count differs); nothing was made from them.
    ChecksumMismatch,
    /// The data directory's disk has no room for the work; the message names the directory
    /// and the space missing. Nothing was changed; it works again once space is freed.
    InsufficientStorage,
    Internal,
}

impl ErrorCode {
    /// The HTTP status that carries this code, on the REST API and through the desktop's
    /// commands alike.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidRequest
            | InvalidId
            | InvalidName
            | InvalidColor
            | InvalidSshKey
            | InvalidImage
            | InvalidEnvironment
            | InvalidField
            | InvalidPagination
            | UnknownRealm
            | ImmutableField
            | ContainerMustBeStopped
            | ProjectQuotaExceeded
            | ChecksumMismatch => 400,
            DuplicateName | DuplicateSshKey | AlreadyGranted | WrongState | ImageInUse | NoImageServer => 409,
            NotFound | NotOffered => 404,
            Unauthorized => 401,
            ForbiddenRealm => 403,
            PermissionDenied => 403,
            PreconditionFailed => 412,
            RuntimeUnavailable => 503,
            NotImplemented => 501,
            InsufficientStorage => 507,
            RateLimited => 429,
            RuntimeFailed | Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidId => "invalid_id",
            Self::InvalidName => "invalid_name",
            Self::InvalidColor => "invalid_color",
            Self::InvalidSshKey => "invalid_ssh_key",
            Self::InvalidImage => "invalid_image",
            Self::InvalidEnvironment => "invalid_environment",
            Self::InvalidField => "invalid_field",
            Self::InvalidPagination => "invalid_pagination",
            Self::UnknownRealm => "unknown_realm",
            Self::ImmutableField => "immutable_field",
            Self::ContainerMustBeStopped => "container_must_be_stopped",
            Self::ProjectQuotaExceeded => "project_quota_exceeded",
            Self::DuplicateName => "duplicate_name",
            Self::DuplicateSshKey => "duplicate_ssh_key",
            Self::AlreadyGranted => "already_granted",
            Self::RateLimited => "rate_limited",
            Self::ChecksumMismatch => "checksum_mismatch",
            Self::WrongState => "wrong_state",
            Self::ImageInUse => "image_in_use",
            Self::NoImageServer => "no_image_server",
            Self::NotFound => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::ForbiddenRealm => "forbidden_realm",
            Self::PermissionDenied => "permission_denied",
            Self::PreconditionFailed => "precondition_failed",
            Self::RuntimeUnavailable => "runtime_unavailable",
            Self::RuntimeFailed => "runtime_failed",
            Self::NotImplemented => "not_implemented",
            Self::NotOffered => "not_offered",
            Self::InsufficientStorage => "insufficient_storage",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule of the Hoody API that some input broke. The message is a sentence the user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ModelError {
    pub code: ErrorCode,
    pub message: String,
}

impl ModelError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}
