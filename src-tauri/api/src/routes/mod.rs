mod containers;
mod events;
mod projects;
mod servers;

use crate::AppState;
use crate::envelope::ApiError;
use axum::Router;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::routing::{get, post};
use hoody_model::{ErrorCode, PageRequest};
use serde::de::DeserializeOwned;

pub(crate) fn router() -> Router<AppState> {
    let api = Router::new()
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/", get(projects::list).post(projects::create))
        .route(
            "/projects/{id}",
            get(projects::get).put(projects::update).patch(projects::update).delete(projects::delete),
        )
        .route("/projects/{id}/containers", get(projects::containers).post(containers::create))
        .route("/containers", get(containers::list))
        .route("/containers/", get(containers::list))
        .route(
            "/containers/{id}",
            get(containers::get).put(containers::update).patch(containers::update).delete(containers::delete),
        )
        .route("/containers/{id}/copy", post(containers::copy))
        .route("/containers/{id}/snapshots", get(containers::snapshots).post(containers::snapshot))
        .route(
            "/containers/{id}/snapshots/{name}",
            axum::routing::put(containers::restore).delete(containers::delete_snapshot),
        )
        .route("/containers/{id}/stats", get(containers::stats))
        .route("/containers/{id}/status-logs", get(containers::status_logs))
        .route("/containers/{id}/{operation}", post(containers::operate))
        .route("/rentals", get(servers::rentals))
        .route("/servers", get(servers::list))
        .route("/servers/{id}", get(servers::get))
        .route("/images/public", get(servers::images))
        .route("/realms", get(servers::realms).post(servers::create_realm))
        .route("/realms/", get(servers::realms).post(servers::create_realm))
        .route("/auth/tokens", post(servers::create_token))
        .route("/events", get(events::stream))
        .route("/openapi.json", get(servers::openapi));
    Router::new().nest("/api/v1", api).fallback(not_found).method_not_allowed_fallback(method_not_allowed)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no route {}: see /api/v1/openapi.json for the routes this server has", uri.path()),
    )
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut e = ApiError::new(ErrorCode::InvalidRequest, format!("{method} is not allowed on {}", uri.path()));
    e.status_code = 405;
    e.error = "Method Not Allowed".into();
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(e)).into_response()
}

/// Query parameters as given; a malformed query string is a 400 in the platform's shape.
pub(crate) fn query<T: DeserializeOwned + Default>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v).map_err(|e| {
        ApiError::new(ErrorCode::InvalidRequest, format!("the query string is malformed: {}", e.body_text()))
    })
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct PageParams {
    page: Option<String>,
    limit: Option<String>,
}

pub(crate) fn page(page: Option<&str>, limit: Option<&str>) -> Result<PageRequest, ApiError> {
    Ok(PageRequest::new(number("page", page)?, number("limit", limit)?)?)
}

impl PageParams {
    pub(crate) fn parse(&self) -> Result<PageRequest, ApiError> {
        page(self.page.as_deref(), self.limit.as_deref())
    }
}

fn number(name: &str, v: Option<&str>) -> Result<Option<i64>, ApiError> {
    v.map(|s| {
        s.parse::<i64>().map_err(|_| {
            ApiError::new(ErrorCode::InvalidPagination, format!("{name} must be a whole number (got '{s}')"))
        })
    })
    .transpose()
}

pub(crate) fn flag(name: &str, v: Option<&str>) -> Result<bool, ApiError> {
    match v {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(other) => {
            Err(ApiError::new(ErrorCode::InvalidField, format!("{name} must be true or false (got '{other}')")))
        }
    }
}
