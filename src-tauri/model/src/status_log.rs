use crate::ids::{ContainerId, Id};
use crate::status::{ContainerStatus, Trigger};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One change of a container's status (`GET /containers/{id}/status-logs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct StatusLogEntry {
    pub id: Id,
    pub container_id: ContainerId,
    /// Null for the first entry, when the container came into being.
    pub from_status: Option<ContainerStatus>,
    pub to_status: ContainerStatus,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// How long the container had been in `from_status`, in milliseconds.
    pub duration_ms: Option<u64>,
    pub triggered_by: Trigger,
    pub reason: Option<String>,
}
