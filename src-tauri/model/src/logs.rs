use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a container wrote: its console (its init's output, this start's and the one before) and,
/// for a systemd container that runs, the end of its journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ContainerLogs {
    /// The last lines, oldest first.
    pub console: Vec<String>,
    /// The journal's last lines, oldest first; absent when there is none to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub journal: Option<Vec<String>>,
    /// Why there is no journal (its init is not systemd, it is stopped…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub journal_missing: Option<String>,
}
