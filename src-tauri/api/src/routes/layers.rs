//! The bytes of containers carried between servers (see `hoody_engine`'s transfers), which are
//! not JSON and so not declared operations: `GET /exports/{export}/layer` gives an export's
//! tar (from the byte `Range: bytes=N-` asks, 206), `PUT /imports/{import}/layer?offset=N`
//! adds to an import from byte N (answers how far it has got, in the envelope).

use crate::AppState;
use crate::envelope::{ApiError, ApiResult, reply};
use crate::extract::Caller;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use hoody_engine::server::{LocalServer, Server};
use hoody_model::{ErrorCode, Id, PermissionLevel};

pub(crate) const EXPORT: &str = "/exports/{export}/layer";
pub(crate) const IMPORT: &str = "/imports/{import}/layer";

pub(crate) async fn export(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(export): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    who.require("containers.read")?;
    let export = Id::parse(&export)?;
    let offset = range_start(&headers)?;
    let server = LocalServer::new(s.engine.clone(), who.acting_at(PermissionLevel::Read));
    let size = server.get_export(export.clone(), (), ()).await?.size_bytes;
    let bytes = server.export_bytes(export, offset).await?;
    let mut response = Body::from_stream(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, "application/x-tar".parse().expect("a header value"));
    headers.insert(header::ACCEPT_RANGES, "bytes".parse().expect("a header value"));
    headers.insert(header::CONTENT_LENGTH, (size - offset).into());
    if offset > 0 {
        let range = format!("bytes {offset}-{}/{size}", size.saturating_sub(1));
        headers.insert(header::CONTENT_RANGE, range.parse().expect("a header value"));
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(response)
}

#[derive(serde::Deserialize)]
pub(crate) struct Offset {
    offset: Option<String>,
}

pub(crate) async fn import(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(import): Path<String>,
    query: Result<Query<Offset>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> ApiResult {
    who.require("containers.create")?;
    let import = Id::parse(&import)?;
    let offset = super::query(query)?.offset;
    let offset = offset.as_deref().unwrap_or("0").parse::<u64>().map_err(|_| {
        ApiError::new(ErrorCode::InvalidField, "offset: the byte the body starts at, a whole number (0 to start)")
    })?;
    let bytes = request.into_body().into_data_stream().map_err(std::io::Error::other);
    let server = LocalServer::new(s.engine.clone(), who.acting_at(PermissionLevel::Write));
    let state = server.import_bytes(import, offset, Box::pin(bytes)).await?;
    Ok(reply(StatusCode::OK, "Import bytes received successfully", state))
}

/// Where a `Range: bytes=N-` header asks the answer to start (0 without one).
fn range_start(headers: &HeaderMap) -> Result<u64, ApiError> {
    let Some(range) = headers.get(header::RANGE) else { return Ok(0) };
    let start = range
        .to_str()
        .ok()
        .and_then(|r| r.trim().strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<u64>().ok());
    start.ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidRequest, "Range: only bytes=N- (from byte N to the end) is served")
    })
}
