//! Storage shares (`/containers/{id}/storage/shares`, `…/storage/incoming`, as on the platform):
//! a container gives one of its directories to another container, or to every container of a
//! project. The directory becomes a shared one: it moves out of the source's own layer into a
//! directory of the server's (a copy of what was there is taken when the share is made), which
//! the source mounts back at the same path and each target mounts at `/mnt/shares/{name}`,
//! read-only or read-write. Containers mount shares when they start.

use crate::container::double_option;
use crate::error::{ErrorCode, ModelError};
use crate::ids::{ContainerId, Id, ProjectId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where targets see a share: `/mnt/shares/{name}`.
pub const SHARES_DIR: &str = "/mnt/shares";

/// A share as its source's owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct StorageShare {
    pub id: Id,
    /// Its alias, or `share-` and the start of its id: the directory targets see it as.
    pub name: String,
    pub alias: Option<String>,
    pub label: Option<String>,
    pub description: Option<String>,
    /// Who it is for: `container` or `project`.
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub target_type: String,
    pub source_container_id: ContainerId,
    /// The source's directory, mounted back in its place.
    pub source_path: String,
    pub target_container_id: Option<ContainerId>,
    pub target_project_id: Option<ProjectId>,
    /// `ro` or `rw`, for the targets (the source always writes).
    pub mode: String,
    /// Where a target sees it.
    pub mount_path: String,
    pub enabled: bool,
    /// `active`, `disabled` (kept, not mounted in targets) or `expired`.
    pub status: String,
    /// Bytes of the files in it, when asked for one share.
    #[ts(type = "number | null")]
    pub size: Option<u64>,
    #[ts(type = "string | null")]
    pub expires_at: Option<DateTime<Utc>>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

impl StorageShare {
    pub fn status_at(enabled: bool, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> &'static str {
        match (enabled, expires_at) {
            (_, Some(at)) if at <= now => "expired",
            (false, _) => "disabled",
            (true, _) => "active",
        }
    }
}

/// `POST /containers/{id}/storage/shares`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StorageShareCreate {
    pub source_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub target_container_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub target_project_id: Option<String>,
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub enabled: Option<bool>,
    /// Unix time, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub expires_at: Option<i64>,
}

/// `PATCH /containers/{id}/storage/shares/{shareId}`: what is sent changes; null clears.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StorageShareUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub mode: Option<String>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub alias: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub label: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number | null")]
    #[schema(value_type = Option<i64>)]
    pub expires_at: Option<Option<i64>>,
}

/// `GET /containers/{id}/storage/shares`: which of the container's shares to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StorageShareFilter {
    /// `container` or `project`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub target_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub label: Option<String>,
    /// `active`, `disabled` or `expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub enabled: Option<bool>,
    /// Expired shares are left out unless this is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub include_expired: Option<bool>,
    /// Only shares whose target container or project is in this realm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub realm_id: Option<String>,
}

/// A share a container receives (`GET /containers/{id}/storage/incoming`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct IncomingShare {
    pub share: StorageShare,
    /// Whether this container mounts it when it starts (its own choice; on unless turned off).
    pub mount: bool,
    /// Whether it is mounted in the container now (read from the running container).
    pub mounted: bool,
}

/// `PATCH /containers/{id}/storage/incoming/{shareId}/mount`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct IncomingMount {
    pub mount: bool,
}

/// `ro` or `rw`, or why not.
pub fn share_mode(mode: &str) -> Result<String, ModelError> {
    match mode {
        "ro" | "rw" => Ok(mode.to_owned()),
        other => Err(ModelError::new(
            ErrorCode::InvalidField,
            format!("mode '{other}' is not a share mode: use \"ro\" (targets read) or \"rw\" (targets read and write)"),
        )),
    }
}

/// The directories a container's system needs where they are, which a share cannot replace.
const UNSHAREABLE: &[&str] = &["/proc", "/sys", "/dev", "/run", "/tmp", "/etc", "/bin", "/sbin", "/lib", "/usr"];

/// An absolute, plain path (no `.`, `..` or empty parts) that is not the root, a system
/// directory, or under `/mnt/shares`.
pub fn share_source_path(path: &str) -> Result<String, ModelError> {
    let bad = |why: &str| ModelError::new(ErrorCode::InvalidField, format!("source_path '{path}' {why}"));
    let trimmed = path.trim_end_matches('/');
    if !path.starts_with('/') {
        return Err(bad("must be absolute (start with /)"));
    }
    if trimmed.is_empty() {
        return Err(bad("is the container's whole root: share a directory in it"));
    }
    if trimmed[1..].split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return Err(bad("must be a plain path, without empty, . or .. parts"));
    }
    if trimmed.len() > 1024 || trimmed.contains('\0') {
        return Err(bad("is too long or holds a NUL"));
    }
    let under = |dir: &str| trimmed == dir || trimmed.starts_with(&format!("{dir}/"));
    if let Some(dir) = UNSHAREABLE.iter().find(|dir| under(dir)) {
        return Err(bad(&format!("is {dir} or under it, which the container's system needs in place")));
    }
    if under(SHARES_DIR) {
        return Err(bad(&format!("is under {SHARES_DIR}, where shares arrive")));
    }
    Ok(trimmed.to_owned())
}

/// A share's alias: a name for its directory under `/mnt/shares`.
pub fn share_alias(alias: &str) -> Result<String, ModelError> {
    let ok = !alias.is_empty()
        && alias.len() <= 63
        && alias.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !alias.starts_with('.');
    match ok {
        true => Ok(alias.to_owned()),
        false => Err(ModelError::new(
            ErrorCode::InvalidName,
            format!(
                "alias '{alias}' cannot name a share's directory: use 1–63 letters, digits, '-', '_' or '.' (not first)"
            ),
        )),
    }
}

/// A label or description: at most `max` characters, no control characters.
pub fn share_text(field: &str, value: &str, max: usize) -> Result<String, ModelError> {
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ModelError::new(
            ErrorCode::InvalidField,
            format!("{field} must be at most {max} characters, without control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// `expires_at` (Unix seconds), which must be in the future.
pub fn share_expiry(seconds: i64, now: DateTime<Utc>) -> Result<DateTime<Utc>, ModelError> {
    match DateTime::from_timestamp(seconds, 0) {
        Some(at) if at > now => Ok(at),
        _ => Err(ModelError::new(
            ErrorCode::InvalidField,
            format!("expires_at {seconds} is not a time to come (Unix seconds, after now: {})", now.timestamp()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_paths_are_plain_directories_away_from_the_system() {
        assert_eq!(share_source_path("/srv/data/").unwrap(), "/srv/data");
        assert_eq!(share_source_path("/home/me").unwrap(), "/home/me");
        for bad in ["srv", "/", "//", "/srv/../etc", "/srv//x", "/etc", "/etc/x", "/proc/1", "/mnt/shares/x", "/usr"] {
            assert!(share_source_path(bad).is_err(), "{bad}");
        }
        assert!(share_source_path("/etcetera").is_ok());
    }

    #[test]
    fn modes_aliases_and_expiry() {
        assert!(share_mode("ro").is_ok() && share_mode("rw").is_ok() && share_mode("read").is_err());
        assert!(share_alias("data-1").is_ok());
        for bad in ["", ".hidden", "a/b", "x y", &"a".repeat(64)] {
            assert!(share_alias(bad).is_err(), "{bad}");
        }
        let now = Utc::now();
        assert!(share_expiry(now.timestamp() + 60, now).is_ok());
        assert!(share_expiry(now.timestamp() - 1, now).is_err());
        assert_eq!(StorageShare::status_at(true, Some(now), now), "expired");
        assert_eq!(StorageShare::status_at(false, None, now), "disabled");
    }
}
