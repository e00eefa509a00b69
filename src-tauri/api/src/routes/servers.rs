use crate::AppState;
use crate::envelope::{ApiResult, created, ok};
use crate::extract::{Body, Caller};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use hoody_model::{RealmCreate, ServerId, TokenCreate};

pub(crate) async fn rentals(State(s): State<AppState>, Caller(_): Caller) -> ApiResult {
    Ok(ok("Rentals retrieved successfully", s.engine.rentals().await?))
}

pub(crate) async fn list(State(s): State<AppState>, Caller(_): Caller) -> ApiResult {
    Ok(ok("Servers retrieved successfully", s.engine.servers().await?))
}

pub(crate) async fn get(State(s): State<AppState>, Caller(_): Caller, Path(id): Path<String>) -> ApiResult {
    let id = ServerId::parse(&id)?;
    Ok(ok("Server retrieved successfully", s.engine.server(&id).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ImageParams {
    os: Option<String>,
}

pub(crate) async fn images(
    State(s): State<AppState>,
    Caller(_): Caller,
    q: Result<Query<ImageParams>, QueryRejection>,
) -> ApiResult {
    let params = super::query(q)?;
    Ok(ok("Images retrieved successfully", s.engine.images(params.os.as_deref()).await?))
}

pub(crate) async fn realms(State(s): State<AppState>, Caller(who): Caller) -> ApiResult {
    Ok(ok("Realms retrieved successfully", s.engine.list_realms(&who).await?))
}

pub(crate) async fn create_realm(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(req): Body<RealmCreate>,
) -> ApiResult {
    Ok(created("Realm created successfully", s.engine.create_realm(&who, req).await?))
}

pub(crate) async fn create_token(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(req): Body<TokenCreate>,
) -> ApiResult {
    Ok(created("Token created successfully", s.engine.create_token(&who, req).await?))
}

/// The OpenAPI document of this server (public: it holds no data).
pub(crate) async fn openapi() -> axum::response::Response {
    axum::Json(crate::openapi::document()).into_response()
}
