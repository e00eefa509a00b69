use crate::Engine;
use crate::auth::Principal;
use hoody_model::{Container, ContainerEvent, ContainerStatus, EventKind};
use tokio::sync::broadcast;

impl Engine {
    /// Every change of a container from now on. A slow subscriber that falls more than 1,024
    /// events behind is told so (`Lagged`) and should re-read the containers.
    pub fn subscribe(&self) -> broadcast::Receiver<ContainerEvent> {
        self.inner.events.subscribe()
    }

    /// Whether `principal` may see this event.
    pub fn event_visible(&self, principal: &Principal, event: &ContainerEvent) -> bool {
        principal.scope.sees(&event.realm_ids)
    }

    pub(crate) fn emit(
        &self,
        kind: EventKind,
        c: &Container,
        from: Option<ContainerStatus>,
        to: ContainerStatus,
        reason: Option<String>,
    ) {
        // No subscriber is fine: nobody is listening.
        let _ = self.inner.events.send(ContainerEvent {
            kind,
            container_id: c.id.clone(),
            project_id: c.project_id.clone(),
            realm_ids: c.realm_ids.clone(),
            from,
            to,
            reason,
            at: crate::now(),
        });
    }
}
