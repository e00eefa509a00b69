//! The kit's one error type. Every service refuses the same way: an HTTP status, a stable code
//! (the `error` field of the JSON body, written as the platform's kit services write it) and a
//! message a person can act on. Clients branch on the code, never on the message.

use crate::proxy::{Body, json};
use hyper::{Response, StatusCode};

/// The stable codes of the kit services' refusals; each has its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KitCode {
    /// A parameter, the query or the body is malformed or missing.
    InvalidParameters,
    InvalidJson,
    NotFound,
    MethodNotAllowed,
    /// The operation is not allowed (a write through a read-only path).
    ReadOnly,
    /// The caller may not do this (a cross-site request, a path outside the container).
    Forbidden,
    Conflict,
    /// A write's precondition (`if_match`) does not hold: the value changed.
    PreconditionFailed,
    PayloadTooLarge,
    /// The container's side cannot be reached (not running, its helper did not start).
    ContainerUnreachable,
    /// A process the service relies on in the container did not answer as it should.
    BadGateway,
    TooManyRequests,
    Timeout,
    DiskFull,
    /// A documented parameter this service does not honour yet (the message names it).
    NotImplemented,
    /// Something went wrong in the service; the message says what.
    Internal,
    // sqlite
    InvalidDbPath,
    DbNotFound,
    PathIsDirectory,
    InvalidSqliteHeader,
    ConstraintViolation,
    DatabaseBusy,
    SqlError,
    KeyNotFound,
    TooManyRows,
}

impl KitCode {
    pub fn status(self) -> StatusCode {
        use KitCode::*;
        match self {
            InvalidParameters | InvalidJson | InvalidDbPath | PathIsDirectory | InvalidSqliteHeader | SqlError
            | TooManyRows => StatusCode::BAD_REQUEST,
            ReadOnly | Forbidden => StatusCode::FORBIDDEN,
            NotFound | DbNotFound | KeyNotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Conflict | ConstraintViolation => StatusCode::CONFLICT,
            PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ContainerUnreachable | DatabaseBusy => StatusCode::SERVICE_UNAVAILABLE,
            BadGateway => StatusCode::BAD_GATEWAY,
            TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Timeout => StatusCode::GATEWAY_TIMEOUT,
            DiskFull => StatusCode::INSUFFICIENT_STORAGE,
            NotImplemented => StatusCode::NOT_IMPLEMENTED,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl KitCode {
    /// The general code of an HTTP status, for refusals no more particular code names.
    pub fn of_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::FORBIDDEN => Self::Forbidden,
            StatusCode::CONFLICT => Self::Conflict,
            StatusCode::PRECONDITION_FAILED => Self::PreconditionFailed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::TOO_MANY_REQUESTS => Self::TooManyRequests,
            StatusCode::SERVICE_UNAVAILABLE => Self::ContainerUnreachable,
            StatusCode::BAD_GATEWAY => Self::BadGateway,
            StatusCode::GATEWAY_TIMEOUT => Self::Timeout,
            StatusCode::INSUFFICIENT_STORAGE => Self::DiskFull,
            StatusCode::NOT_IMPLEMENTED => Self::NotImplemented,
            s if s.is_client_error() => Self::InvalidParameters,
            _ => Self::Internal,
        }
    }
}

/// A refusal as a response: the general code of `status` (see [`KitCode::of_status`]).
pub(crate) fn refuse(status: StatusCode, message: &str) -> Response<Body> {
    KitError::of_status(status, message).into_response()
}

/// A kit service's refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KitError {
    pub code: KitCode,
    pub message: String,
}

impl KitError {
    pub fn new(code: KitCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// A refusal with the general code of `status` (see [`KitCode::of_status`]).
    pub fn of_status(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(KitCode::of_status(status), message)
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// `{"statusCode", "error": CODE, "message"}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "statusCode": self.status().as_u16(), "error": self.code, "message": self.message })
    }

    pub fn into_response(self) -> Response<Body> {
        json(self.status(), &self.body())
    }
}

#[cfg(test)]
mod tests {
    use super::{KitCode, KitError};

    #[test]
    fn a_refusal_carries_its_status_and_code() {
        let e = KitError::new(KitCode::DbNotFound, "there is no database app.db");
        assert_eq!(e.status().as_u16(), 404);
        assert_eq!(
            e.body(),
            serde_json::json!({ "statusCode": 404, "error": "DB_NOT_FOUND", "message": "there is no database app.db" })
        );
        assert_eq!(serde_json::to_value(KitCode::ContainerUnreachable).unwrap(), "CONTAINER_UNREACHABLE");
    }

    #[test]
    fn a_general_code_keeps_its_status() {
        for status in [400, 403, 404, 405, 409, 413, 429, 500, 502, 503, 504, 507] {
            let status = hyper::StatusCode::from_u16(status).unwrap();
            assert_eq!(KitCode::of_status(status).status(), status);
        }
    }
}
