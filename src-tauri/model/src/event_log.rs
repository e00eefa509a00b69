//! The server's event log (`GET /events`, as on the platform): what happened to which resource,
//! when, kept after the fact and read page by page. The live stream of container changes
//! ([`crate::ContainerEvent`]) is a different thing: it is not kept.

use crate::error::{ErrorCode, ModelError};
use crate::ids::{ContainerId, Id, ProjectId, RealmId};
use crate::page::SortOrder;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// One entry of the event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct LoggedEvent {
    pub id: Id,
    /// `{resource}.{what}`: `container.running`, `container.deleted`, `project.created`,
    /// `snapshot.restored`…
    #[serde(rename = "type")]
    pub event_type: String,
    /// What happened, for people.
    pub message: String,
    /// `container`, `project` or `snapshot`.
    pub resource_type: String,
    pub resource_id: String,
    pub project_id: Option<ProjectId>,
    pub container_id: Option<ContainerId>,
    pub realm_ids: Vec<RealmId>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

/// The resources the log speaks of.
pub const RESOURCE_TYPES: &[&str] = &["container", "project", "snapshot"];

/// Which entries: every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub event_type: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub project_id: Option<ProjectId>,
    pub container_id: Option<ContainerId>,
    pub realm_id: Option<RealmId>,
    /// From this moment on (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Before this moment (exclusive).
    pub before: Option<DateTime<Utc>>,
}

/// `GET /events`: a filter and a window of `limit` entries from `offset`, newest first unless
/// `sort_order=asc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventListQuery {
    pub filter: EventFilter,
    pub limit: u32,
    pub offset: u64,
    pub sort_order: SortOrder,
}

impl EventListQuery {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 1000;
}

impl Default for EventListQuery {
    fn default() -> Self {
        Self { filter: EventFilter::default(), limit: Self::DEFAULT_LIMIT, offset: 0, sort_order: SortOrder::Desc }
    }
}

/// `GET /events/stats`: how many entries, by type and by resource, and the span they cover.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct EventStats {
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "Record<string, number>")]
    pub by_type: BTreeMap<String, u64>,
    #[ts(type = "Record<string, number>")]
    pub by_resource_type: BTreeMap<String, u64>,
    #[ts(type = "string | null")]
    pub first_at: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    pub last_at: Option<DateTime<Utc>>,
}

/// `POST /events/cleanup`: remove entries older than this many days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EventsCleanup {
    pub retention_days: u32,
}

/// How many entries a removal took away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct EventsRemoved {
    #[ts(type = "number")]
    pub deleted: u64,
}

/// A moment given as RFC 3339 (`2026-11-30T12:00:00Z`) or a day (`2026-11-30`, its start in UTC).
pub fn parse_moment(name: &str, raw: &str) -> Result<DateTime<Utc>, ModelError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(ModelError::new(
        ErrorCode::InvalidField,
        format!("{name} must be a date (2026-11-30) or an RFC 3339 time (2026-11-30T12:00:00Z), got '{raw}'"),
    ))
}

/// A `resource_type` filter, checked against the resources the log speaks of.
pub fn parse_resource_type(raw: &str) -> Result<String, ModelError> {
    match RESOURCE_TYPES.contains(&raw) {
        true => Ok(raw.to_owned()),
        false => Err(ModelError::new(
            ErrorCode::InvalidField,
            format!("resource_type must be one of {} (got '{raw}')", RESOURCE_TYPES.join(", ")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_days_or_rfc3339_times() {
        assert_eq!(parse_moment("d", "2026-11-30").unwrap().to_rfc3339(), "2026-11-30T00:00:00+00:00");
        assert_eq!(parse_moment("d", "2026-11-30T13:00:00+01:00").unwrap().to_rfc3339(), "2026-11-30T12:00:00+00:00");
        let e = parse_moment("start_date", "yesterday").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidField);
        assert!(e.message.contains("start_date"), "{}", e.message);
    }

    #[test]
    fn resource_types_are_those_logged() {
        assert_eq!(parse_resource_type("snapshot").unwrap(), "snapshot");
        assert_eq!(parse_resource_type("vm").unwrap_err().code, ErrorCode::InvalidField);
    }
}
