//! The platform's response shapes: `{"statusCode","message","data"}` on success and
//! `{"statusCode","error","message","code"}` on failure.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hoody_engine::EngineError;
use hoody_model::{ErrorCode, ModelError};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Envelope<T> {
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    pub message: String,
    pub data: T,
}

/// A success response.
pub(crate) fn reply<T: Serialize>(status: StatusCode, message: &str, data: T) -> Response {
    (status, Json(Envelope { status_code: status.as_u16(), message: message.to_owned(), data })).into_response()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    /// The HTTP reason phrase ("Bad Request").
    pub error: String,
    pub message: String,
    pub code: ErrorCode,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = status_of(code);
        Self {
            status_code: status.as_u16(),
            error: status.canonical_reason().unwrap_or("Error").to_owned(),
            message: message.into(),
            code,
        }
    }
}

/// The HTTP status of each error code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status_code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        if matches!(e, EngineError::Store(_)) {
            tracing::error!("{e}");
        }
        Self::new(e.code(), e.to_string())
    }
}

impl From<ModelError> for ApiError {
    fn from(e: ModelError) -> Self {
        Self::new(e.code, e.message)
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;
