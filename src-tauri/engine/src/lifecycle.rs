//! `POST /containers/{id}/{start|stop|force-stop|restart|pause|resume}`: refresh, guard, act,
//! record. A runtime that is not there changes nothing; a runtime that fails leaves the
//! container `failed` with the reason.

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::{Container, ContainerId, ContainerStatus, Operation, Trigger};

impl Engine {
    pub async fn operate(&self, caller: &Principal, id: &ContainerId, op: Operation) -> Result<Container> {
        let _guard = self.inner.locks.lock(id).await;
        let c = self.container(caller, id).await?;
        op.check(c.status)?;
        let runtime = &self.inner.runtime;
        let outcome = match op {
            Operation::Start => runtime.start(&c).await,
            Operation::Stop => runtime.stop(&c, false).await,
            Operation::ForceStop => runtime.stop(&c, true).await,
            Operation::Restart => match runtime.stop(&c, false).await {
                Ok(()) => runtime.start(&c).await,
                Err(e) => Err(e),
            },
            Operation::Pause => runtime.pause(&c).await,
            Operation::Resume => runtime.resume(&c).await,
        };
        match outcome.map_err(EngineError::from) {
            Ok(()) => self.record_status(&c, op.target(), None, Trigger::User).await,
            // Nothing was done, so nothing changed.
            Err(e @ EngineError::RuntimeUnavailable(_)) => Err(e),
            Err(e) => {
                let reason = format!("{op} failed: {e}");
                self.record_status(&c, ContainerStatus::Failed, Some(reason), Trigger::System).await?;
                Err(e)
            }
        }
    }
}
