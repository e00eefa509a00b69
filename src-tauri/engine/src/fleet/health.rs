//! Each member's health: whether it answered the last time it was asked, why not, and when it
//! last did. Reads, operations and the member's event stream all report here; a change of
//! state asks subscribers to read everything again (the grid then shows it).

use super::events::FleetEvent;
use crate::error::EngineError;
use hoody_model::{ErrorCode, ServerHealth, ServerReach};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

#[derive(Debug, Clone)]
pub(super) struct Healths {
    by_name: Arc<Mutex<HashMap<String, ServerHealth>>>,
    events: broadcast::Sender<FleetEvent>,
}

impl Healths {
    pub fn new(events: broadcast::Sender<FleetEvent>) -> Self {
        Self { by_name: Arc::default(), events }
    }

    pub fn of(&self, name: &str) -> Option<ServerHealth> {
        self.by_name.lock().expect("health lock").get(name).cloned()
    }

    pub fn forget(&self, name: &str) {
        self.by_name.lock().expect("health lock").remove(name);
    }

    /// It answered.
    pub fn answered(&self, name: &str) {
        self.set(name, ServerReach::Connected, None);
    }

    /// It failed: a failure that says something of the server (it did not answer, refused the
    /// token, asked to be asked less often, answered outside the API) changes its health; one
    /// about the request (a container not found, a bad field) shows it answered.
    pub fn failed(&self, name: &str, e: &EngineError) {
        match reach_of(e) {
            Some(state) => self.set(name, state, Some(e.to_string())),
            None => self.answered(name),
        }
    }

    /// It is unreachable for `reason` (its event stream ended).
    pub fn unreachable(&self, name: &str, reason: String) {
        self.set(name, ServerReach::Unreachable, Some(reason));
    }

    fn set(&self, name: &str, state: ServerReach, reason: Option<String>) {
        let now = crate::now();
        let changed = {
            let mut all = self.by_name.lock().expect("health lock");
            let before = all.get(name).cloned();
            let since = match &before {
                Some(b) if b.state == state => b.since,
                _ => now,
            };
            let last_contact = match state {
                ServerReach::Connected
                | ServerReach::TokenRefused
                | ServerReach::RateLimited
                | ServerReach::Failing => Some(now),
                ServerReach::Unreachable => before.as_ref().and_then(|b| b.last_contact),
            };
            all.insert(name.to_owned(), ServerHealth { state, reason, last_contact, since });
            before.is_none_or(|b| b.state != state)
        };
        if changed {
            let _ = self.events.send(FleetEvent::Resync);
        }
    }
}

/// What a failure says of the server that gave it, if anything.
fn reach_of(e: &EngineError) -> Option<ServerReach> {
    let code = match e {
        EngineError::Unanswered(_) => return Some(ServerReach::Unreachable),
        EngineError::Remote { code, .. } => code,
        _ => return None,
    };
    match code {
        ErrorCode::Unauthorized => Some(ServerReach::TokenRefused),
        ErrorCode::RateLimited => Some(ServerReach::RateLimited),
        ErrorCode::Internal => Some(ServerReach::Failing),
        _ => None,
    }
}
