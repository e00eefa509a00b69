use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An image in the local store, as `GET /images/public` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Image {
    /// `os/release`, the name containers are created with.
    pub alias: String,
    pub os: String,
    pub release: String,
    pub fingerprint: String,
    pub size_bytes: u64,
    pub description: String,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}
