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
    /// How far the work on it is (a download, build or import), while under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub progress: Option<WorkProgress>,
    /// Why the last work on it failed, when `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    /// Containers created from it (not deleted): an image in use cannot be deleted.
    #[serde(default)]
    pub used_by: u32,
    /// What is being done to it, or was when it failed (what a retry does again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub work: Option<ImageWork>,
}

/// How a server comes to hold an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ImageWork {
    /// From its image server (simplestreams).
    Download,
    /// With debootstrap (debian/N), on the server.
    Build,
    /// From a rootfs tarball on the server.
    Import,
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
    /// Being built on the server (debootstrap).
    Building,
    /// Being imported from a rootfs tarball on the server.
    Importing,
    /// The last download, build or import failed (`error` says why, `work` which it was).
    Failed,
}

/// `POST /images/build/{alias}`: build a Debian image on the server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ImageBuild {
    /// The Debian mirror to build from (Debian's own when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub mirror: Option<String>,
}

/// `POST /images/user/{alias}`: import a rootfs tarball (plain, gzip, xz or zstd) that is on
/// the server, read as the server's user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ImageImport {
    /// The tarball's absolute path on the server.
    pub tarball: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
}
