//! Routes of the Hoody API whose work needs the local container runtime (copies, snapshots,
//! stats). They answer with the reason they cannot act, never with a pretended success.

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::{Container, ContainerId, ContainerStatus, ErrorCode, RuntimeInfo, Snapshot, SnapshotCreate};

impl Engine {
    fn needs_runtime(&self, what: &str) -> EngineError {
        match self.inner.runtime.unavailable_reason() {
            Some(reason) => EngineError::RuntimeUnavailable(format!("{what} needs the container runtime: {reason}")),
            None => EngineError::NotImplemented(format!(
                "{what} is not supported by the {} runtime yet",
                self.inner.runtime.name()
            )),
        }
    }

    pub async fn copy_container(&self, caller: &Principal, id: &ContainerId) -> Result<Container> {
        self.container(caller, id).await?;
        Err(self.needs_runtime("copying a container"))
    }

    pub async fn create_snapshot(
        &self,
        caller: &Principal,
        id: &ContainerId,
        _req: SnapshotCreate,
    ) -> Result<Snapshot> {
        self.container(caller, id).await?;
        Err(self.needs_runtime("taking a snapshot"))
    }

    pub async fn restore_snapshot(&self, caller: &Principal, id: &ContainerId, name: &str) -> Result<Container> {
        self.snapshot_named(caller, id, name).await?;
        Err(self.needs_runtime("restoring a snapshot"))
    }

    pub async fn delete_snapshot(&self, caller: &Principal, id: &ContainerId, name: &str) -> Result<Snapshot> {
        self.snapshot_named(caller, id, name).await?;
        Err(self.needs_runtime("deleting a snapshot"))
    }

    async fn snapshot_named(&self, caller: &Principal, id: &ContainerId, name: &str) -> Result<Snapshot> {
        self.snapshots(caller, id)
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| EngineError::not_found("snapshot", name))
    }

    /// Live figures of a running (or paused) container.
    pub async fn stats(&self, caller: &Principal, id: &ContainerId) -> Result<RuntimeInfo> {
        let c = self.container(caller, id).await?;
        if !matches!(c.status, ContainerStatus::Running | ContainerStatus::Paused) {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("the container is {}; stats exist only while it runs", c.status),
            ));
        }
        Ok(self.inner.runtime.info(&c).await?)
    }
}
