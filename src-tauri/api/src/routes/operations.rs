//! Every operation of the engine's declaration ([`OPERATIONS`]) as a route: the request is
//! parsed into the operation's [`Request`](hoody_engine::server::Request), which this
//! machine's engine answers for the authenticated caller, in the platform's envelope.

use crate::AppState;
use crate::envelope::{ApiError, ApiResult, reply};
use crate::extract::{Body, Caller};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::routing::{MethodFilter, MethodRouter, on};
use hoody_engine::server::{HttpInput, LocalServer, Method, OPERATIONS, OperationSpec};
use hoody_model::ErrorCode;
use std::collections::BTreeMap;

/// Each declared operation at its path (and, for paths that end in a word, at the same path
/// with the trailing slash toggled, as the platform answers both).
pub(crate) fn routes() -> Vec<(String, MethodRouter<AppState>)> {
    let mut by_path: BTreeMap<String, MethodRouter<AppState>> = BTreeMap::new();
    for spec in OPERATIONS {
        for method in spec.methods {
            for path in paths_of(spec.path) {
                let handler = move |State(s): State<AppState>, request: Request| serve(s, spec, request);
                let entry = by_path.remove(&path).unwrap_or_default();
                by_path.insert(path, entry.merge(on(filter(*method), handler)));
            }
        }
    }
    by_path.into_iter().collect()
}

fn paths_of(path: &str) -> Vec<String> {
    if path.ends_with('}') {
        return vec![path.to_owned()];
    }
    let twin = match path.strip_suffix('/') {
        Some(bare) => bare.to_owned(),
        None => format!("{path}/"),
    };
    vec![path.to_owned(), twin]
}

fn filter(method: Method) -> MethodFilter {
    match method {
        Method::GET => MethodFilter::GET,
        Method::POST => MethodFilter::POST,
        Method::PUT => MethodFilter::PUT,
        Method::PATCH => MethodFilter::PATCH,
        Method::DELETE => MethodFilter::DELETE,
    }
}

/// A request that sends no body: no content type, and a length of 0 or none.
fn without_body(parts: &axum::http::request::Parts) -> bool {
    let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    header(axum::http::header::CONTENT_TYPE).is_none()
        && header(axum::http::header::CONTENT_LENGTH).is_none_or(|len| len.trim() == "0")
        && header(axum::http::header::TRANSFER_ENCODING).is_none()
}

/// Authenticates, parses the path, query and body into the operation, has the engine do it.
async fn serve(state: AppState, spec: &'static OperationSpec, request: Request) -> ApiResult {
    let (mut parts, body) = request.into_parts();
    let Caller(caller) = Caller::from_request_parts(&mut parts, &state).await?;
    let params = match spec.path.contains('{') {
        true => Path::<Vec<(String, String)>>::from_request_parts(&mut parts, &state).await.map(|Path(p)| p).map_err(
            |e| ApiError::new(ErrorCode::InvalidRequest, format!("the path is malformed: {}", e.body_text())),
        )?,
        false => Vec::new(),
    };
    let mut query = super::query(Query::<Vec<(String, String)>>::from_request_parts(&mut parts, &state).await)?;
    // The contract's one header parameter, If-Match, travels with the query's pairs.
    if let Some(etag) = parts.headers.get(axum::http::header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        query.push(("if-match".into(), etag.to_owned()));
    }
    let body = match spec.body {
        // No body at all is `null`: an operation whose body fields all have defaults takes it.
        Some(_) if without_body(&parts) => serde_json::Value::Null,
        Some(_) => Body::<serde_json::Value>::from_request(Request::from_parts(parts, body), &state).await?.0,
        None => serde_json::Value::Null,
    };
    let message = spec.message_for(&params);
    let request = (spec.parse)(HttpInput { params, query, body })?;
    hoody_engine::server::permissions::check(&caller, &request)?;
    // A grant of a project reaches it only as far as its level allows this operation.
    let reads = spec.methods == [Method::GET];
    let caller = caller.acting_at(hoody_engine::server::permissions::level(&request, reads));
    let data = request.send_to(&LocalServer::new(state.engine.clone(), caller)).await?;
    Ok(reply(StatusCode::from_u16(spec.status).unwrap_or(StatusCode::OK), &message, data))
}
