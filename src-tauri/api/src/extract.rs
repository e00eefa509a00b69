//! Request extractors whose failures answer in the platform's error shape.

use crate::AppState;
use crate::envelope::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use hoody_engine::Principal;
use hoody_model::ErrorCode;
use serde::de::DeserializeOwned;

/// The authenticated caller, from `Authorization: Bearer …` (or `?token=` for the event
/// stream, which browsers' EventSource cannot send headers for).
#[derive(Debug)]
pub(crate) struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let secret = match header {
            Some(h) => h
                .strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::new(ErrorCode::Unauthorized, "the Authorization header must be \"Bearer <token>\"")
                })?
                .to_owned(),
            // An `EventSource` cannot send headers: the live stream takes the token in the query.
            None if wants_stream(parts) => query_token(parts).ok_or_else(missing)?,
            None => return Err(missing()),
        };
        Ok(Self(state.engine.authenticate(&secret).await?))
    }
}

fn wants_stream(parts: &Parts) -> bool {
    let path = parts.uri.path().trim_end_matches('/');
    let accept = parts.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    path.ends_with("/events/stream") || (path.ends_with("/events") && accept.contains("text/event-stream"))
}

fn missing() -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, "this request needs an API token: send \"Authorization: Bearer <token>\"")
}

fn query_token(parts: &Parts) -> Option<String> {
    parts.uri.query()?.split('&').find_map(|kv| kv.strip_prefix("token=")).map(str::to_owned)
}

/// A JSON body; a body that does not parse is a 400 that names the problem.
#[derive(Debug)]
pub(crate) struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(ApiError::new(ErrorCode::InvalidRequest, body_message(&rejection))),
        }
    }
}

fn body_message(rejection: &JsonRejection) -> String {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with \"Content-Type: application/json\"".into()
        }
        JsonRejection::JsonSyntaxError(e) => format!("the body is not valid JSON: {}", inner(e)),
        JsonRejection::JsonDataError(e) => {
            format!("the body does not fit this request: {}", inner(e))
        }
        other => other.body_text(),
    }
}

fn inner(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    msg
}
