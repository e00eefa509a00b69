use crate::WorkProgress;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An image a server has, is fetching, or can fetch: `GET /images/public` lists what containers
/// can be created from (held or offered by the image server), `GET /images/user` what the
/// server holds and fetches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Image {
    /// `os/release`, the name containers are created with.
    pub alias: String,
    pub os: String,
    pub release: String,
    /// The sha256 of what it was made from (for an offered image: what the server lists).
    pub fingerprint: String,
    /// On disk, unpacked; for an offered image, its download.
    #[ts(type = "number")]
    pub size_bytes: u64,
    pub description: String,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub status: ImageStatus,
    /// How far a download is, while `downloading`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub progress: Option<WorkProgress>,
    /// Why the last download failed, when `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    /// Containers created from it (not deleted): an image in use cannot be deleted.
    #[serde(default)]
    pub used_by: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ImageStatus {
    /// In the store: containers are created from it at once.
    #[default]
    Ready,
    /// Offered by the server's image server: a create (or a pull) downloads it first.
    Available,
    Downloading,
    /// The last download failed (`error` says why); pulling again retries.
    Failed,
}
