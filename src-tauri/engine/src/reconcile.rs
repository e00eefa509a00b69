//! On start, bring the store in line with what the runtime holds: work the engine was doing
//! when it stopped (a create, a delete) is finished or marked failed.

use crate::Engine;
use crate::error::Result;
use crate::runtime::RuntimeState;
use hoody_model::{ContainerStatus, Trigger};

impl Engine {
    pub(crate) async fn reconcile(&self) -> Result<()> {
        for (id, status) in self.inner.store.container_statuses().await? {
            if !status.is_transitional() {
                continue;
            }
            let Some(c) = self.inner.store.container(&id).await? else {
                continue;
            };
            if status == ContainerStatus::Deleting {
                self.inner.runtime.destroy(&id).await?;
                self.record_status(&c, ContainerStatus::Deleted, None, Trigger::Reconcile).await?;
                continue;
            }
            let to = match self.inner.runtime.state(&id).await? {
                RuntimeState::Running => ContainerStatus::Running,
                RuntimeState::Stopped | RuntimeState::Paused => ContainerStatus::Stopped,
                RuntimeState::Absent => ContainerStatus::Failed,
            };
            let error = (to == ContainerStatus::Failed)
                .then(|| format!("the engine stopped while the container was {status}; delete it and create it again"));
            tracing::info!(container = %id, "reconciled {status} → {to}");
            self.record_status(&c, to, error, Trigger::Reconcile).await?;
        }
        Ok(())
    }
}
