use crate::Engine;
use crate::auth::Principal;
use hoody_model::{Container, ContainerEvent, ContainerId, ContainerStatus, EventKind, Trigger, WorkProgress};
use tokio::sync::broadcast;

impl Engine {
    /// Every change of a container from now on. A slow subscriber that falls more than 1,024
    /// events behind is told so (`Lagged`) and should re-read the containers.
    pub fn subscribe(&self) -> broadcast::Receiver<ContainerEvent> {
        self.inner.journal.subscribe()
    }

    /// The events after the one `last` names (an id of the live stream's), then the live ones;
    /// only the live ones when those it missed are no longer all kept (or `last` is None).
    pub fn follow_events(&self, last: Option<&str>) -> crate::Followed {
        self.inner.journal.follow(last)
    }

    /// Whether `principal` may see this event.
    pub fn event_visible(&self, principal: &Principal, event: &ContainerEvent) -> bool {
        principal.sees(&event.realm_ids, &event.project_id)
    }

    pub(crate) fn emit(
        &self,
        kind: EventKind,
        c: &Container,
        from: Option<ContainerStatus>,
        to: ContainerStatus,
        reason: Option<String>,
        trigger: Option<Trigger>,
    ) {
        // Every change of a container passes here: its record on disk follows it.
        self.inner.records.container(c);
        self.log_entry(crate::event_log::container_entry(kind, c, from, to, reason.as_deref(), trigger));
        // No subscriber is fine: nobody is listening.
        self.inner.journal.send(ContainerEvent {
            kind,
            container_id: c.id.clone(),
            project_id: c.project_id.clone(),
            realm_ids: c.realm_ids.clone(),
            from,
            to,
            reason,
            trigger,
            at: crate::now(),
            progress: None,
        });
    }

    /// Passes the runtime's progress reports on as `progress` events of their containers.
    pub(crate) fn forward_progress(&self) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(ContainerId, WorkProgress)>();
        self.inner.runtime.report_progress_to(std::sync::Arc::new(move |id: &ContainerId, p: WorkProgress| {
            let _ = tx.send((id.clone(), p));
        }));
        let journal = self.inner.journal.clone();
        let store = self.inner.store.clone();
        tokio::spawn(async move {
            while let Some((id, progress)) = rx.recv().await {
                let Ok(Some(c)) = store.container(&id).await else { continue };
                journal.send(ContainerEvent {
                    kind: EventKind::Progress,
                    container_id: c.id,
                    project_id: c.project_id,
                    realm_ids: c.realm_ids,
                    from: Some(c.status),
                    to: c.status,
                    reason: None,
                    trigger: None,
                    at: crate::now(),
                    progress: Some(progress),
                });
            }
        });
    }
}
