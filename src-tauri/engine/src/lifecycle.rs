//! `POST /containers/{id}/{start|stop|force-stop|restart|pause|resume}`: refresh, guard, act,
//! record. A runtime that is not there changes nothing; a runtime that fails leaves the
//! container `failed` with the reason.

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::{Container, ContainerId, ContainerStatus, Operation, Trigger};
use hoody_runtime::Halt;

impl Engine {
    pub async fn operate(&self, caller: &Principal, id: &ContainerId, op: Operation) -> Result<Container> {
        let _guard = self.inner.locks.lock(id).await;
        let c = self.container(caller, id).await?;
        op.check(c.status)?;
        let runtime = &self.inner.runtime;
        // What the log says of how it went: how a stop ended the init.
        let outcome = match op {
            Operation::Start => runtime.start(&c).await.map(|()| None),
            Operation::Stop => runtime.stop(&c, false).await.map(Halt::describe),
            Operation::ForceStop => runtime.stop(&c, true).await.map(Halt::describe),
            Operation::Restart => match runtime.stop(&c, false).await {
                Ok(halt) => runtime.start(&c).await.map(|()| halt.describe()),
                Err(e) => Err(e),
            },
            Operation::Pause => runtime.pause(&c).await.map(|()| None),
            Operation::Resume => runtime.resume(&c).await.map(|()| None),
        };
        match outcome.map_err(EngineError::from) {
            Ok(how) => self.record_move(&c, op.target(), None, how, Trigger::User).await,
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
