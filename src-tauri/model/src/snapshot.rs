use crate::ids::{ContainerId, SnapshotId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Snapshot {
    pub id: SnapshotId,
    pub container_id: ContainerId,
    pub name: String,
    /// The name again, under the platform's word for it (its clients read `alias`).
    #[serde(default)]
    pub alias: String,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub expires_at: Option<DateTime<Utc>>,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SnapshotCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub expiry_days: Option<u32>,
}

/// `PATCH /containers/{id}/snapshots/{name}/alias`: the snapshot's new name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SnapshotAlias {
    /// Required; `null` is refused (a snapshot is always reached by its name).
    pub alias: Option<String>,
}
