use crate::container::double_option;
use crate::ids::{Id, ProjectId, RealmId, TokenId};
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

/// How far a grant on a project reaches; each level includes the ones below it. `read` shows
/// the project, its containers, their logs and its events; `write` also changes and operates
/// its containers (create, start, stop, update, delete, snapshots); `admin` also changes or
/// deletes the project and manages its grants. The token's own `permissions.*` flags still
/// apply on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum PermissionLevel {
    Read,
    Write,
    Admin,
}

impl PermissionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Read, Self::Write, Self::Admin].into_iter().find(|level| level.as_str() == s)
    }
}

impl std::fmt::Display for PermissionLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `GET /projects/{id}/permissions`: a grant of one project to one token (this server's users
/// are its tokens), which reaches the project whatever realms the token is restricted to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ProjectPermission {
    pub id: Id,
    pub project_id: ProjectId,
    /// The token the grant is for.
    pub user_id: TokenId,
    /// That token's alias, to show whose grant it is.
    pub user_alias: Option<String>,
    pub permission_level: PermissionLevel,
    /// The token that made or last changed the grant.
    pub granted_by: Option<TokenId>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProjectPermissionCreate {
    /// The id of the token to grant the project to.
    pub user_id: String,
    pub permission_level: PermissionLevel,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProjectPermissionUpdate {
    pub permission_level: PermissionLevel,
}
