use super::containers::list_in;
use super::{PageParams, query};
use crate::AppState;
use crate::envelope::{ApiResult, created, ok};
use crate::extract::{Body, Caller};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use hoody_model::{ProjectCreate, ProjectId, ProjectUpdate};
use serde_json::json;

pub(crate) async fn create(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(req): Body<ProjectCreate>,
) -> ApiResult {
    Ok(created("Project created successfully", s.engine.create_project(&who, req).await?))
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
    q: Result<Query<PageParams>, QueryRejection>,
) -> ApiResult {
    let page = query(q)?.parse()?;
    let (projects, pagination) = s.engine.list_projects(&who, page).await?;
    Ok(ok("Projects retrieved successfully", json!({ "projects": projects, "pagination": pagination })))
}

pub(crate) async fn get(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let id = ProjectId::parse(&id)?;
    Ok(ok("Project retrieved successfully", s.engine.project(&who, &id).await?))
}

pub(crate) async fn update(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Body(req): Body<ProjectUpdate>,
) -> ApiResult {
    let id = ProjectId::parse(&id)?;
    Ok(ok("Project updated successfully", s.engine.update_project(&who, &id, req).await?))
}

pub(crate) async fn delete(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let id = ProjectId::parse(&id)?;
    Ok(ok("Project deleted successfully", s.engine.delete_project(&who, &id).await?))
}

/// `GET /projects/{id}/containers`: the container list, narrowed to the project.
pub(crate) async fn containers(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    q: Result<Query<super::containers::ListParams>, QueryRejection>,
) -> ApiResult {
    let id = ProjectId::parse(&id)?;
    s.engine.project(&who, &id).await?;
    list_in(&s, &who, query(q)?, Some(id)).await
}
