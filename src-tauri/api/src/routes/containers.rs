use super::{flag, query};
use crate::AppState;
use crate::envelope::{ApiResult, created, ok};
use crate::extract::{Body, Caller};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use hoody_engine::Principal;
use hoody_model::{
    ContainerCreate, ContainerId, ContainerListQuery, ContainerStatus, ContainerUpdate, ErrorCode, Operation,
    ProjectId, RealmId, SnapshotCreate, SortField, SortOrder,
};
use serde_json::json;

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ListParams {
    page: Option<String>,
    limit: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    realm_id: Option<String>,
    project_id: Option<String>,
    status: Option<String>,
    name: Option<String>,
    runtime: Option<String>,
}

impl ListParams {
    fn parse(self) -> Result<ContainerListQuery, crate::ApiError> {
        Ok(ContainerListQuery {
            page: super::page(self.page.as_deref(), self.limit.as_deref())?,
            sort_by: self.sort_by.as_deref().map(SortField::parse).transpose()?.unwrap_or_default(),
            sort_order: self.sort_order.as_deref().map(SortOrder::parse).transpose()?.unwrap_or_default(),
            realm_id: self.realm_id.as_deref().map(RealmId::parse).transpose()?,
            project_id: self.project_id.as_deref().map(ProjectId::parse).transpose()?,
            status: self.status.as_deref().map(ContainerStatus::parse).transpose()?,
            name: self.name.filter(|n| !n.is_empty()),
            with_runtime: flag("runtime", self.runtime.as_deref())?,
        })
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct GetParams {
    runtime: Option<String>,
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
    q: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult {
    list_in(&s, &who, query(q)?, None).await
}

pub(crate) async fn list_in(
    s: &AppState,
    who: &Principal,
    params: ListParams,
    project: Option<ProjectId>,
) -> ApiResult {
    let mut q = params.parse()?;
    if project.is_some() {
        q.project_id = project;
    }
    let (containers, pagination) = s.engine.list_containers(who, &q).await?;
    Ok(ok("Containers retrieved successfully", json!({ "containers": containers, "pagination": pagination })))
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(project): Path<String>,
    Body(req): Body<ContainerCreate>,
) -> ApiResult {
    let project = ProjectId::parse(&project)?;
    Ok(created("Container created successfully", s.engine.create_container(&who, &project, req).await?))
}

pub(crate) async fn get(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    q: Result<Query<GetParams>, QueryRejection>,
) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    let container = if flag("runtime", query(q)?.runtime.as_deref())? {
        s.engine.container_with_runtime(&who, &id).await?
    } else {
        s.engine.container(&who, &id).await?
    };
    Ok(ok("Container retrieved successfully", container))
}

pub(crate) async fn update(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Body(req): Body<ContainerUpdate>,
) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    Ok(ok("Container updated successfully", s.engine.update_container(&who, &id, req).await?))
}

pub(crate) async fn delete(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    Ok(ok("Container deleted successfully", s.engine.delete_container(&who, &id).await?))
}

pub(crate) async fn operate(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, op)): Path<(String, String)>,
) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    let Some(op) = Operation::parse(&op) else {
        let names: Vec<_> = Operation::ALL.iter().map(|o| o.as_str()).collect();
        return Err(crate::ApiError::new(
            ErrorCode::NotFound,
            format!("'{op}' is not a container operation; use one of {}", names.join(", ")),
        ));
    };
    let container = s.engine.operate(&who, &id, op).await?;
    Ok(ok(&format!("Container {} successful", op.as_str()), container))
}

pub(crate) async fn copy(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    Ok(created("Container copy started", s.engine.copy_container(&who, &id).await?))
}

pub(crate) async fn snapshots(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    Ok(ok("Snapshots retrieved successfully", s.engine.snapshots(&who, &id).await?))
}

pub(crate) async fn snapshot(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Body(req): Body<SnapshotCreate>,
) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    Ok(created("Snapshot created successfully", s.engine.create_snapshot(&who, &id, req).await?))
}

pub(crate) async fn restore(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    Ok(ok("Snapshot restored successfully", s.engine.restore_snapshot(&who, &id, &name).await?))
}

pub(crate) async fn delete_snapshot(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    Ok(ok("Snapshot deleted successfully", s.engine.delete_snapshot(&who, &id, &name).await?))
}

pub(crate) async fn stats(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    Ok(ok("Container stats retrieved successfully", s.engine.stats(&who, &id).await?))
}

pub(crate) async fn status_logs(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let id = ContainerId::parse(&id)?;
    Ok(ok("Status logs retrieved successfully", s.engine.status_logs(&who, &id).await?))
}
