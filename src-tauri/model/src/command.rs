//! Maintenance commands of a server (`/servers/{id}/available-commands`, `…/execute-command`),
//! as the platform lists and runs them: each with a category and a risk level; a high-risk one
//! runs only with the confirmation token a first call without it answers.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A command a server offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ServerCommand {
    /// Its slug, also its id (`disk-usage`).
    pub id: String,
    pub name: String,
    pub description: String,
    /// `storage` or `maintenance`.
    pub category: String,
    /// `low`, `medium` or `high` (high asks for a confirmation token).
    pub risk_level: String,
    /// `available` on this server.
    pub status: String,
    /// The parameters it takes: name → what it means.
    #[ts(type = "Record<string, string>")]
    pub parameters: std::collections::BTreeMap<String, String>,
}

/// `POST /servers/{id}/execute-command`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CommandRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub command_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub command_slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "Record<string, unknown>")]
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<serde_json::Value>,
    /// Answer once it is done (default); false: answer at once, it runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub wait: Option<bool>,
    /// Seconds it may take when waited on (1-3600, default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub confirmation_token: Option<String>,
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct CommandRun {
    pub command_id: String,
    /// `completed`, or `started` when not waited on.
    pub status: String,
    /// Its findings or what it changed (null while it runs).
    #[ts(type = "unknown")]
    #[schema(value_type = Object)]
    pub output: serde_json::Value,
    #[ts(type = "number")]
    pub duration_ms: u64,
}
