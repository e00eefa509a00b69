use crate::container::double_option;
use crate::ids::{ProjectId, RealmId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Project {
    pub id: ProjectId,
    pub alias: String,
    pub color: Option<String>,
    /// Containers this project may hold; null means no limit.
    pub max_containers: Option<u32>,
    pub realm_ids: Vec<RealmId>,
    pub container_count: u32,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProjectCreate {
    pub alias: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_containers: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub realm_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProjectUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub alias: Option<String>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub color: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number | null")]
    #[schema(value_type = Option<i64>)]
    pub max_containers: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub realm_ids: Option<Vec<String>>,
}

/// `GET /projects/{id}/stats`: the project's containers counted by status, with the live
/// figures of those that run (read from the runtime at the time of asking).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ProjectStats {
    pub project_id: ProjectId,
    /// Containers the project holds (deleted ones not counted).
    pub container_count: u32,
    /// How many are in each status (`running`, `stopped`, …); statuses none is in are left out.
    #[ts(type = "Record<string, number>")]
    pub containers_by_status: std::collections::BTreeMap<String, u32>,
    /// Null when the project may hold any number.
    pub max_containers: Option<u32>,
    /// Snapshots of the project's containers.
    pub snapshot_count: u32,
    /// CPU time the running containers have used since each started, in nanoseconds.
    #[ts(type = "number")]
    pub cpu_usage_ns: u64,
    /// Memory charged to the running containers' cgroups, in bytes.
    #[ts(type = "number")]
    pub memory_bytes: u64,
    /// Processes in the running containers.
    pub process_count: u32,
}
