//! What the engine needs from a container runtime. The local runtime (runc, overlayfs, cgroups)
//! implements this trait in its own crate; until it is plugged in, [`UnavailableRuntime`] says
//! why nothing can run instead of pretending.

use async_trait::async_trait;
use hoody_model::{Container, ContainerId, RuntimeInfo};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Failed(String),
}

/// What the runtime sees of a container, for reconciling the store after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeState {
    Running,
    Paused,
    Stopped,
    /// The runtime holds nothing for this container.
    Absent,
}

#[async_trait]
pub trait ContainerRuntime: Send + Sync + 'static {
    /// A short name for `GET /servers` ("runc").
    fn name(&self) -> &str;
    /// Why containers cannot run, or None when they can.
    fn unavailable_reason(&self) -> Option<String>;
    /// Builds the container's filesystem and starts it.
    async fn create(&self, container: &Container) -> Result<(), RuntimeError>;
    async fn start(&self, container: &Container) -> Result<(), RuntimeError>;
    /// Stops the container: its init's halt signal and a grace period, or at once when `force`.
    async fn stop(&self, container: &Container, force: bool) -> Result<(), RuntimeError>;
    async fn pause(&self, container: &Container) -> Result<(), RuntimeError>;
    async fn resume(&self, container: &Container) -> Result<(), RuntimeError>;
    /// Removes everything the runtime holds for the container (stopped first by the caller).
    async fn destroy(&self, id: &ContainerId) -> Result<(), RuntimeError>;
    async fn state(&self, id: &ContainerId) -> Result<RuntimeState, RuntimeError>;
    async fn info(&self, container: &Container) -> Result<RuntimeInfo, RuntimeError>;
}

/// The runtime of an engine that has none: every operation that needs a real container fails
/// with the reason given.
#[derive(Debug, Clone)]
pub struct UnavailableRuntime {
    reason: String,
}

impl UnavailableRuntime {
    pub fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into() }
    }

    fn err<T>(&self) -> Result<T, RuntimeError> {
        Err(RuntimeError::Unavailable(self.reason.clone()))
    }
}

#[async_trait]
impl ContainerRuntime for UnavailableRuntime {
    fn name(&self) -> &str {
        "none"
    }
    fn unavailable_reason(&self) -> Option<String> {
        Some(self.reason.clone())
    }
    async fn create(&self, _: &Container) -> Result<(), RuntimeError> {
        self.err()
    }
    async fn start(&self, _: &Container) -> Result<(), RuntimeError> {
        self.err()
    }
    async fn stop(&self, _: &Container, _: bool) -> Result<(), RuntimeError> {
        self.err()
    }
    async fn pause(&self, _: &Container) -> Result<(), RuntimeError> {
        self.err()
    }
    async fn resume(&self, _: &Container) -> Result<(), RuntimeError> {
        self.err()
    }
    /// Nothing was ever created by this runtime, so there is nothing to remove.
    async fn destroy(&self, _: &ContainerId) -> Result<(), RuntimeError> {
        Ok(())
    }
    /// Nothing was ever created by this runtime, so it holds nothing for any container.
    async fn state(&self, _: &ContainerId) -> Result<RuntimeState, RuntimeError> {
        Ok(RuntimeState::Absent)
    }
    async fn info(&self, _: &Container) -> Result<RuntimeInfo, RuntimeError> {
        self.err()
    }
}
