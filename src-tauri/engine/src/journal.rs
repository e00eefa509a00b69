//! The engine's container events as they go out, the most recent ones kept and numbered, so
//! that a client whose live stream was cut asks for what it missed (SSE's `Last-Event-ID`)
//! instead of reading everything again. An event's id is `{epoch}-{n}`: the epoch is this
//! run's, so an id from before a restart (whose events are gone) is never taken for a later one.

use hoody_model::ContainerEvent;
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// How many of the latest events are kept for clients that come back.
const KEPT: usize = 4096;

/// An event and its id in this run.
#[derive(Debug, Clone)]
pub struct Numbered {
    pub id: String,
    n: u64,
    pub event: ContainerEvent,
}

/// A client's stream from where it was: the events it missed (when they are all still kept:
/// `resumed`), then the live ones.
#[derive(Debug)]
pub struct Followed {
    pub resumed: bool,
    pub missed: Vec<Numbered>,
    pub live: broadcast::Receiver<Numbered>,
}

#[derive(Debug)]
pub(crate) struct Journal {
    epoch: String,
    kept: Mutex<Kept>,
    /// Events as they go out, for the engine's own subscribers.
    events: broadcast::Sender<ContainerEvent>,
    numbered: broadcast::Sender<Numbered>,
}

#[derive(Debug, Default)]
struct Kept {
    next: u64,
    recent: VecDeque<Numbered>,
}

impl Journal {
    pub(crate) fn new() -> Self {
        Self {
            epoch: hoody_model::ids::random_hex(4),
            kept: Mutex::default(),
            events: broadcast::channel(1024).0,
            numbered: broadcast::channel(1024).0,
        }
    }

    /// Sends `event` to every subscriber, numbered, and keeps it.
    pub(crate) fn send(&self, event: ContainerEvent) {
        let mut kept = self.kept.lock().expect("journal lock");
        let numbered = Numbered { id: format!("{}-{}", self.epoch, kept.next), n: kept.next, event };
        kept.next += 1;
        if kept.recent.len() == KEPT {
            kept.recent.pop_front();
        }
        kept.recent.push_back(numbered.clone());
        // Sent while the lock is held: a follower subscribing meanwhile gets each event once,
        // either among those it missed or live.
        let _ = self.events.send(numbered.event.clone());
        let _ = self.numbered.send(numbered);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ContainerEvent> {
        self.events.subscribe()
    }

    /// The events after the one `last` names, and the live ones; only the live ones when that
    /// one is not of this run or no longer kept (the client reads everything again).
    pub(crate) fn follow(&self, last: Option<&str>) -> Followed {
        let kept = self.kept.lock().expect("journal lock");
        let live = self.numbered.subscribe();
        let oldest = kept.recent.front().map_or(kept.next, |e| e.n);
        let after = last
            .and_then(|id| id.strip_prefix(&self.epoch))
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| *n < kept.next && n + 1 >= oldest);
        match after {
            Some(n) => {
                let missed = kept.recent.iter().filter(|e| e.n > n).cloned().collect();
                Followed { resumed: true, missed, live }
            }
            None => Followed { resumed: false, missed: Vec::new(), live },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hoody_model::{ContainerId, ContainerStatus, EventKind, ProjectId};

    fn event() -> ContainerEvent {
        ContainerEvent {
            kind: EventKind::Status,
            container_id: ContainerId::generate(),
            project_id: ProjectId::generate(),
            realm_ids: Vec::new(),
            from: None,
            to: ContainerStatus::Running,
            reason: None,
            trigger: None,
            at: chrono::Utc::now(),
            progress: None,
        }
    }

    #[test]
    fn a_client_gets_what_it_missed_while_it_is_kept() {
        let journal = Journal::new();
        for _ in 0..3 {
            journal.send(event());
        }
        let first = journal.follow(None);
        assert!(!first.resumed && first.missed.is_empty());
        let seen = journal.kept.lock().unwrap().recent[0].id.clone();
        let back = journal.follow(Some(&seen));
        assert!(back.resumed);
        assert_eq!(back.missed.iter().map(|e| e.n).collect::<Vec<_>>(), [1, 2]);
        // The last one: nothing missed, resumed all the same.
        let latest = journal.kept.lock().unwrap().recent[2].id.clone();
        assert!(journal.follow(Some(&latest)).resumed && journal.follow(Some(&latest)).missed.is_empty());
        // Another run's id, a future one, garbage: read everything again.
        for other in ["0000000a-1", &format!("{}-9", journal.epoch), "x"] {
            assert!(!journal.follow(Some(other)).resumed, "{other}");
        }
        // One no longer kept.
        for _ in 0..KEPT {
            journal.send(event());
        }
        assert!(!journal.follow(Some(&seen)).resumed);
    }
}
