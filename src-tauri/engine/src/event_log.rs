//! The event log (`GET /events`): every change of a container (as it is emitted), and what
//! happens to projects and snapshots, kept in the store and read page by page.
//!
//! Entries are written by one task, in batches, so that the paths that emit them (most of them
//! synchronous) never wait on the database. A read first flushes what was emitted before it, so a
//! caller sees in the log what it just did. The log is a record, not the truth: an entry that
//! cannot be written (a full disk) is given up with a warning, and a kill loses at most the
//! entries of its last moments.

use crate::auth::Principal;
use crate::{Engine, EngineError, Result};
use hoody_model::{
    Container, ContainerStatus, EventFilter, EventKind, EventListQuery, EventStats, EventsCleanup, EventsRemoved, Id,
    LoggedEvent, PageRequest, Pagination, Project, Snapshot, Trigger,
};
use hoody_store::Store;
use tokio::sync::{mpsc, oneshot};

/// The log keeps this many entries (the oldest go first).
pub const KEEP: u64 = 100_000;

/// How many entries are written between trims of the log to [`KEEP`].
const TRIM_EVERY: usize = 1_000;

enum Command {
    Write(LoggedEvent),
    /// Answered once everything sent before it is written.
    Flush(oneshot::Sender<()>),
}

/// The writer of the log.
#[derive(Debug, Clone)]
pub(crate) struct EventLog {
    tx: mpsc::UnboundedSender<Command>,
}

impl EventLog {
    pub(crate) fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_entries(store, rx));
        Self { tx }
    }

    fn record(&self, event: LoggedEvent) {
        // Closed only when the runtime shuts down; nothing is left to record then.
        let _ = self.tx.send(Command::Write(event));
    }

    /// Waits until every entry recorded so far is written.
    pub(crate) async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.tx.send(Command::Flush(done)).is_ok() {
            let _ = written.await;
        }
    }
}

async fn write_entries(store: Store, mut rx: mpsc::UnboundedReceiver<Command>) {
    let mut since_trim = 0;
    while let Some(first) = rx.recv().await {
        let (mut batch, mut waiting) = (Vec::new(), Vec::new());
        let mut next = Some(first);
        while let Some(command) = next {
            match command {
                Command::Write(event) => batch.push(event),
                Command::Flush(done) => waiting.push(done),
            }
            next = rx.try_recv().ok();
        }
        if !batch.is_empty() {
            match store.log_events(&batch).await {
                Ok(()) => since_trim += batch.len(),
                Err(e) => tracing::warn!("{} entries of the event log are lost: {e}", batch.len()),
            }
        }
        if since_trim >= TRIM_EVERY {
            since_trim = 0;
            if let Err(e) = store.trim_event_log(KEEP).await {
                tracing::warn!("cannot trim the event log: {e}");
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

/// A container's change, as the log tells it.
pub(crate) fn container_entry(
    kind: EventKind,
    c: &Container,
    from: Option<ContainerStatus>,
    to: ContainerStatus,
    reason: Option<&str>,
    trigger: Option<Trigger>,
) -> Option<LoggedEvent> {
    let (event_type, mut message) = match (kind, from) {
        (EventKind::Progress, _) => return None,
        (EventKind::Updated, _) => ("container.updated".to_owned(), format!("Container \"{}\" was changed", c.name)),
        (EventKind::Status, None) => {
            ("container.created".to_owned(), format!("Container \"{}\" was created ({to})", c.name))
        }
        (EventKind::Status, Some(from)) => {
            (format!("container.{to}"), format!("Container \"{}\" went from {from} to {to}", c.name))
        }
    };
    if let Some(by) = trigger {
        message.push_str(&format!(" (by {})", by.as_str()));
    }
    if let Some(reason) = reason.filter(|r| !r.is_empty()) {
        message.push_str(&format!(": {reason}"));
    }
    Some(about_container(c, event_type, message))
}

/// An entry of the log about container `c`.
fn about_container(c: &Container, event_type: String, message: String) -> LoggedEvent {
    LoggedEvent {
        id: Id::generate(),
        event_type,
        message,
        resource_type: "container".into(),
        resource_id: c.id.to_string(),
        project_id: Some(c.project_id.clone()),
        container_id: Some(c.id.clone()),
        realm_ids: c.realm_ids.clone(),
        created_at: crate::now(),
    }
}

impl Engine {
    pub(crate) fn log_project(&self, what: &str, p: &Project) {
        self.inner.event_log.record(LoggedEvent {
            id: Id::generate(),
            event_type: format!("project.{what}"),
            message: format!("Project \"{}\" was {what}", p.alias),
            resource_type: "project".into(),
            resource_id: p.id.to_string(),
            project_id: Some(p.id.clone()),
            container_id: None,
            realm_ids: p.realm_ids.clone(),
            created_at: crate::now(),
        });
    }

    /// An operation on a container that is not a change of its status (`container.synced`).
    pub(crate) fn log_container(&self, what: &str, c: &Container, message: String) {
        self.inner.event_log.record(about_container(c, format!("container.{what}"), message));
    }

    /// `owner` is None for a snapshot that outlived its container (its entry is then seen by
    /// tokens of every realm only).
    pub(crate) fn log_snapshot(&self, what: &str, s: &Snapshot, owner: Option<&Container>) {
        let of = owner.map_or_else(|| "a deleted container".to_owned(), |c| format!("container \"{}\"", c.name));
        self.inner.event_log.record(LoggedEvent {
            id: Id::generate(),
            event_type: format!("snapshot.{what}"),
            message: format!("Snapshot \"{}\" of {of} was {what}", s.name),
            resource_type: "snapshot".into(),
            resource_id: s.id.to_string(),
            project_id: owner.map(|c| c.project_id.clone()),
            container_id: Some(s.container_id.clone()),
            realm_ids: owner.map(|c| c.realm_ids.clone()).unwrap_or_default(),
            created_at: crate::now(),
        });
    }

    pub(crate) fn log_entry(&self, entry: Option<LoggedEvent>) {
        if let Some(entry) = entry {
            self.inner.event_log.record(entry);
        }
    }

    /// A window of the log, with a pagination that counts in windows of `limit`.
    pub async fn list_events(
        &self,
        caller: &Principal,
        query: &EventListQuery,
    ) -> Result<(Vec<LoggedEvent>, Pagination)> {
        self.inner.event_log.flush().await;
        let (events, total) = self.inner.store.events(query, caller.visible().as_ref()).await?;
        let page = PageRequest {
            page: u32::try_from(query.offset / u64::from(query.limit) + 1).unwrap_or(u32::MAX),
            limit: query.limit,
        };
        Ok((events, Pagination::new(total, page)))
    }

    pub async fn event(&self, caller: &Principal, id: &Id) -> Result<LoggedEvent> {
        self.inner.event_log.flush().await;
        self.inner.store.event(id, caller.visible().as_ref()).await?.ok_or_else(|| EngineError::not_found("event", id))
    }

    pub async fn delete_event(&self, caller: &Principal, id: &Id) -> Result<LoggedEvent> {
        let event = self.event(caller, id).await?;
        match self.inner.store.delete_event(id, caller.visible().as_ref()).await? {
            true => Ok(event),
            false => Err(EngineError::not_found("event", id)),
        }
    }

    /// Removes every entry that matches `filter`.
    pub async fn delete_events(&self, caller: &Principal, filter: &EventFilter) -> Result<EventsRemoved> {
        self.inner.event_log.flush().await;
        let deleted = self.inner.store.delete_events(filter, caller.visible().as_ref()).await?;
        Ok(EventsRemoved { deleted })
    }

    /// Removes the entries older than `retention_days` days.
    pub async fn clean_up_events(&self, caller: &Principal, body: &EventsCleanup) -> Result<EventsRemoved> {
        let before = crate::now() - chrono::Duration::days(i64::from(body.retention_days));
        self.delete_events(caller, &EventFilter { before: Some(before), ..EventFilter::default() }).await
    }

    pub async fn event_stats(&self, caller: &Principal, filter: &EventFilter) -> Result<EventStats> {
        self.inner.event_log.flush().await;
        Ok(self.inner.store.event_stats(filter, caller.visible().as_ref()).await?)
    }
}
