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
    /// Long work on the container moved on (`progress` says how far); its status did not change.
    Progress,
}

/// How far long work on a container has got (an image download while it is created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct WorkProgress {
    /// What is under way, in words: `downloading debian/13 (rootfs)`.
    pub stage: String,
    #[ts(type = "number")]
    pub done: u64,
    /// 0 when unknown.
    #[ts(type = "number")]
    pub total: u64,
}

/// What the live stream (`GET /api/v1/events/stream`) sends: one event per change of a container.
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
    /// Who caused a status change (`kind: status` only): a user stopping it, or the engine
    /// finding that it stopped by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub trigger: Option<crate::Trigger>,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// With `kind: progress` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub progress: Option<WorkProgress>,
}
