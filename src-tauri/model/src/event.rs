use crate::ids::{ContainerId, ProjectId, RealmId};
use crate::status::ContainerStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EventKind {
    /// The container's status changed (`to` is the new one; `deleted` when it is gone).
    Status,
    /// The container's configuration changed; its status did not.
    Updated,
}

/// What `GET /api/v1/events` streams: one event per change of a container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ContainerEvent {
    pub kind: EventKind,
    pub container_id: ContainerId,
    pub project_id: ProjectId,
    pub realm_ids: Vec<RealmId>,
    pub from: Option<ContainerStatus>,
    pub to: ContainerStatus,
    pub reason: Option<String>,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
}
