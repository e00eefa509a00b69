//! A container carried from one server to another (a Hoody Desktop addition to the API, what a
//! copy with another server's `target_server_id` is made of): the source **exports** its
//! files — its upper layer as one tar, with its SHA-256 — and its settings; the target
//! **imports** them: the bytes arrive at an offset (so a cut transfer goes on where it
//! stopped), are checked against the announced size and SHA-256, and only then become a
//! container, whole.

use crate::container::Container;
use crate::ids::{ContainerId, Id, ProjectId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// `POST /containers/{id}/exports`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ExportCreate {
    /// Export this snapshot's files rather than the container's current ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source_snapshot: Option<String>,
}

/// A container's files and settings, ready to be read (`GET /exports/{export}/layer`, which
/// honours `Range: bytes=N-`) until deleted or expired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ContainerExport {
    pub id: Id,
    pub container_id: ContainerId,
    /// The container's settings as they were when it was exported.
    pub container: Container,
    /// The snapshot whose files these are, when one was asked for.
    pub source_snapshot: Option<String>,
    /// The layer's size, in bytes.
    #[ts(type = "number")]
    pub size_bytes: u64,
    /// The layer's SHA-256, lowercase hex.
    pub sha256: String,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub expires_at: DateTime<Utc>,
}

/// `POST /projects/{id}/imports`: what is coming, announced before its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ImportCreate {
    /// The source's settings (as its export gives them): the new container has them, as a copy
    /// has its source's, with its own id, project and status.
    pub source: Box<Container>,
    /// The new container's name; absent: the source's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    /// Its own SSH key (the source's identifies the source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ssh_public_key: Option<String>,
    /// Keep the source's network setting; otherwise the default: on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub copy_network_rules: Option<bool>,
    /// The layer's size and SHA-256 (lowercase hex), as its export gives them.
    #[ts(type = "number")]
    pub size_bytes: u64,
    pub sha256: String,
}

/// An import under way: `received_bytes` of `size_bytes` so far (`PUT
/// /imports/{import}/layer?offset=N` adds from there on; `POST /imports/{import}/container`
/// makes the container once all are in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ContainerImport {
    pub id: Id,
    pub project_id: ProjectId,
    /// The container it becomes: its id (taken once it is made) and name.
    pub container_id: ContainerId,
    pub name: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
    #[ts(type = "number")]
    pub received_bytes: u64,
    pub sha256: String,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub expires_at: DateTime<Utc>,
}
