//! The container status machine: which states exist, which moves between them are legal, and
//! which lifecycle operation may run in which state.

use crate::error::{ErrorCode, ModelError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ContainerStatus {
    Creating,
    Running,
    Paused,
    Stopped,
    Failed,
    Deleted,
    Copying,
    Deleting,
    Claiming,
}

impl ContainerStatus {
    pub const ALL: [ContainerStatus; 9] = [
        Self::Creating,
        Self::Running,
        Self::Paused,
        Self::Stopped,
        Self::Failed,
        Self::Deleted,
        Self::Copying,
        Self::Deleting,
        Self::Claiming,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
            Self::Failed => "failed",
            Self::Deleted => "deleted",
            Self::Copying => "copying",
            Self::Deleting => "deleting",
            Self::Claiming => "claiming",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ModelError> {
        Self::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|s| s.as_str()).collect();
            ModelError::new(
                ErrorCode::InvalidField,
                format!("'{s}' is not a container status; use one of {}", names.join(", ")),
            )
        })
    }

    /// The states the engine itself is moving a container through; a user operation must wait.
    pub fn is_transitional(self) -> bool {
        matches!(self, Self::Creating | Self::Copying | Self::Deleting | Self::Claiming)
    }

    /// Whether configuration that the running container has baked in (name, environment, keys,
    /// mounts) may change now. The page: "Most updates require the container to be stopped."
    pub fn accepts_config_update(self) -> bool {
        matches!(self, Self::Stopped | Self::Failed)
    }

    /// Whether the container may be deleted now (the engine stops a running one first).
    pub fn can_delete(self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Stopped | Self::Failed)
    }

    /// Whether a snapshot may be taken now (a running container is frozen while it is taken).
    pub fn can_snapshot(self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Stopped | Self::Failed)
    }

    /// Whether the container may be copied now.
    pub fn can_copy(self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Stopped)
    }

    /// Whether a snapshot may be restored into the container now.
    pub fn can_restore(self) -> bool {
        matches!(self, Self::Stopped)
    }

    /// The legal moves of the status machine (the page's table, plus the failure edges that every
    /// piece of real work can take).
    pub fn can_transition_to(self, next: Self) -> bool {
        use ContainerStatus::*;
        match self {
            Creating => matches!(next, Running | Stopped | Failed),
            Claiming => matches!(next, Running | Failed),
            Copying => matches!(next, Running | Stopped | Failed),
            Running => matches!(next, Running | Stopped | Paused | Failed | Deleting),
            Paused => matches!(next, Running | Stopped | Failed | Deleting),
            Stopped => matches!(next, Running | Failed | Deleting),
            Failed => matches!(next, Deleting),
            Deleting => matches!(next, Deleted | Failed),
            Deleted => false,
        }
    }
}

impl std::fmt::Display for ContainerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lifecycle operation, as named in `POST /containers/{id}/{operation}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Operation {
    Start,
    Stop,
    ForceStop,
    Restart,
    Pause,
    Resume,
}

impl Operation {
    pub const ALL: [Operation; 6] =
        [Self::Start, Self::Stop, Self::ForceStop, Self::Restart, Self::Pause, Self::Resume];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::ForceStop => "force-stop",
            Self::Restart => "restart",
            Self::Pause => "pause",
            Self::Resume => "resume",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == s)
    }

    /// The states this operation may start from.
    pub fn allowed_from(self) -> &'static [ContainerStatus] {
        use ContainerStatus::*;
        match self {
            Self::Start => &[Stopped],
            Self::Stop | Self::ForceStop => &[Running, Paused],
            Self::Restart => &[Running],
            Self::Pause => &[Running],
            Self::Resume => &[Paused],
        }
    }

    /// The state the container is in once the operation succeeded.
    pub fn target(self) -> ContainerStatus {
        match self {
            Self::Start | Self::Restart | Self::Resume => ContainerStatus::Running,
            Self::Stop | Self::ForceStop => ContainerStatus::Stopped,
            Self::Pause => ContainerStatus::Paused,
        }
    }

    /// The guard: a typed "wrong state" error that says what the operation needs.
    pub fn check(self, current: ContainerStatus) -> Result<(), ModelError> {
        if self.allowed_from().contains(&current) {
            return Ok(());
        }
        let needs: Vec<_> = self.allowed_from().iter().map(|s| s.as_str()).collect();
        Err(ModelError::new(
            ErrorCode::WrongState,
            format!(
                "cannot {} the container: it is {current}; {} needs a container that is {}",
                self.as_str(),
                self.as_str(),
                needs.join(" or ")
            ),
        ))
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who caused a status change; written into the status log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Trigger {
    /// A request of the API (or the desktop app acting for its user).
    User,
    /// The engine's own work: finishing a create, failing on a runtime error.
    System,
    /// Reconciling the store with the runtime when the engine starts.
    Reconcile,
    /// Autostart after a host reboot.
    Autostart,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::System => "system",
            Self::Reconcile => "reconcile",
            Self::Autostart => "autostart",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::User, Self::System, Self::Reconcile, Self::Autostart].into_iter().find(|t| t.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::ContainerStatus::*;
    use super::*;

    #[test]
    fn every_operation_target_is_a_legal_move_from_each_allowed_state() {
        for op in Operation::ALL {
            for from in op.allowed_from() {
                assert!(from.can_transition_to(op.target()), "{op} from {from}");
                assert!(op.check(*from).is_ok());
            }
        }
    }

    #[test]
    fn the_page_table_holds() {
        assert!(Creating.can_transition_to(Running));
        assert!(Running.can_transition_to(Stopped));
        assert!(Running.can_transition_to(Paused));
        assert!(Paused.can_transition_to(Running));
        assert!(Stopped.can_transition_to(Running));
        assert!(Failed.can_transition_to(Deleting));
        assert!(Copying.can_transition_to(Running));
        assert!(!Failed.can_transition_to(Running));
        assert!(!Stopped.can_transition_to(Paused));
        assert!(ContainerStatus::ALL.iter().all(|s| !Deleted.can_transition_to(*s)));
    }

    #[test]
    fn wrong_state_names_what_is_needed() {
        let err = Operation::Pause.check(Stopped).unwrap_err();
        assert_eq!(err.code, ErrorCode::WrongState);
        assert_eq!(err.message, "cannot pause the container: it is stopped; pause needs a container that is running");
        assert!(Operation::Stop.check(Paused).is_ok());
        assert!(Operation::Start.check(Failed).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in ContainerStatus::ALL {
            assert_eq!(ContainerStatus::parse(s.as_str()).unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for op in Operation::ALL {
            assert_eq!(Operation::parse(op.as_str()), Some(op));
            assert_eq!(serde_json::to_string(&op).unwrap(), format!("\"{}\"", op.as_str()));
        }
        assert!(ContainerStatus::parse("sleeping").unwrap_err().message.contains("creating, running"));
    }
}
