use crate::ids::{Id, ServerId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ServerStatus {
    Ready,
    Maintenance,
}

/// A machine that runs containers. For `hoodyd` that is the machine it runs on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Server {
    pub id: ServerId,
    pub name: String,
    pub status: ServerStatus,
    pub hostname: String,
    pub cpu_count: u32,
    pub memory_bytes: u64,
    /// The container runtime in use, or null when none is available.
    pub runtime: Option<String>,
    /// Why containers cannot run here, when `runtime` is null.
    pub runtime_unavailable_reason: Option<String>,
    pub container_count: u32,
    /// Free room on the disk of its data directory (for its unprivileged users), when it
    /// tells: containers, snapshots and images live there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub disk_free_bytes: Option<u64>,
    /// The size of that disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub disk_total_bytes: Option<u64>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

/// A server the caller may place containers on (`GET /rentals`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Rental {
    pub id: Id,
    pub server_id: ServerId,
    pub server_name: String,
    pub status: ServerStatus,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

/// How a server of the fleet answered the last time it was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ServerReach {
    /// It answered.
    Connected,
    /// Nothing answered (refused, timed out, its stream ended).
    Unreachable,
    /// It answered 401: the token is wrong, disabled or expired.
    TokenRefused,
    /// It answered 429 (or 503 with Retry-After): asked too often.
    RateLimited,
    /// It answered with a failure, or not as the Hoody API does.
    Failing,
}

/// A server's health in the fleet: its reach, why, and when it last answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ServerHealth {
    pub state: ServerReach,
    /// What went wrong, when it is not connected.
    pub reason: Option<String>,
    /// When it last answered (never, when null).
    #[ts(type = "string | null")]
    pub last_contact: Option<DateTime<Utc>>,
    /// Since when it is in this state.
    #[ts(type = "string")]
    pub since: DateTime<Utc>,
}
