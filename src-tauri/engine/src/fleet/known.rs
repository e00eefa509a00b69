//! Each member's last list of one kind (its containers, its projects): what the fleet shows of
//! a member while it does not answer. Kept in memory and, when the fleet has a store, there too
//! (so that it is there at once after a restart) — at most every [`KEEP_EVERY`] per member: the
//! grid reads every member's list on each change, and the store need not follow each read.

use chrono::{DateTime, Utc};
use hoody_store::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a member's list is written to the store at most.
pub const KEEP_EVERY: Duration = Duration::from_secs(10);

/// A list and when it was read.
type Dated<T> = (Vec<T>, DateTime<Utc>);

pub(super) struct Known<T> {
    /// Its name in the store (`containers`, `projects`).
    kind: &'static str,
    by_name: Mutex<HashMap<String, Dated<T>>>,
    /// When each member's list was last written to the store.
    kept: Mutex<HashMap<String, Instant>>,
}

impl<T: Clone + Serialize + DeserializeOwned> Known<T> {
    pub fn new(kind: &'static str) -> Self {
        Self { kind, by_name: Mutex::default(), kept: Mutex::default() }
    }

    pub async fn remember(&self, store: Option<&Store>, name: &str, items: &[T], at: DateTime<Utc>) {
        self.by_name.lock().expect("known lock").insert(name.to_owned(), (items.to_vec(), at));
        let due = {
            let mut kept = self.kept.lock().expect("known lock");
            let due = kept.get(name).is_none_or(|last| last.elapsed() >= KEEP_EVERY);
            if due {
                kept.insert(name.to_owned(), Instant::now());
            }
            due
        };
        if let Some(store) = store.filter(|_| due)
            && let Err(e) = store.cache_fleet_list(name, self.kind, items, at).await
        {
            tracing::warn!("cannot keep {name}'s {}: {e}", self.kind);
        }
    }

    /// What `name` last answered, and when (from memory, else from the store).
    pub async fn of(&self, store: Option<&Store>, name: &str) -> Option<Dated<T>> {
        if let Some(held) = self.by_name.lock().expect("known lock").get(name).cloned() {
            return Some(held);
        }
        match store?.fleet_list::<T>(name, self.kind).await {
            Ok(Some(found)) => {
                self.by_name.lock().expect("known lock").insert(name.to_owned(), found.clone());
                Some(found)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("cannot read {name}'s kept {}: {e}", self.kind);
                None
            }
        }
    }

    pub fn forget(&self, name: &str) {
        self.by_name.lock().expect("known lock").remove(name);
        self.kept.lock().expect("known lock").remove(name);
    }
}
