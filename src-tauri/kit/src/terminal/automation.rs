//! What the terminal's `execute` did in a container (`/api/v1/terminal/automation/metrics`:
//! commands run, how they ended, how long they took) and what a session runs now
//! (`/api/v1/terminal/{id}/automation`), kept while the container runs. Waited and background
//! commands alike; one dropped before it ended (aborted) counts as aborted.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug, Default)]
pub struct Automation(Mutex<HashMap<String, Figures>>);

#[derive(Debug, Default)]
struct Figures {
    /// The container's init, whose run these figures are of.
    init_pid: u32,
    next: u64,
    started: u64,
    succeeded: u64,
    failed: u64,
    timed_out: u64,
    aborted: u64,
    total_ms: u64,
    running: HashMap<u64, Run>,
    /// Each session's last ended command.
    last: HashMap<u16, Value>,
}

#[derive(Debug)]
struct Run {
    session: Option<u16>,
    command: String,
    at: Instant,
    started_at: chrono::DateTime<chrono::Utc>,
}

/// A command under way; its end is recorded by [`Guard::ended`], or as aborted when dropped.
pub struct Guard {
    automation: Arc<Automation>,
    container: String,
    id: u64,
    done: bool,
}

impl Automation {
    fn with<T>(&self, container: &str, init_pid: u32, f: impl FnOnce(&mut Figures) -> T) -> T {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let figures = all.entry(container.to_owned()).or_default();
        if figures.init_pid != init_pid {
            *figures = Figures { init_pid, ..Figures::default() }; // a new run of the container
        }
        f(figures)
    }

    /// A command begins (in `session`, or a shell of its own).
    pub fn begin(self: &Arc<Self>, container: &str, init_pid: u32, session: Option<u16>, command: &str) -> Guard {
        let id = self.with(container, init_pid, |f| {
            f.next += 1;
            f.started += 1;
            let command = command.chars().take(200).collect();
            f.running.insert(f.next, Run { session, command, at: Instant::now(), started_at: chrono::Utc::now() });
            f.next
        });
        Guard { automation: self.clone(), container: container.to_owned(), id, done: false }
    }

    fn end(&self, container: &str, id: u64, result: Option<&Value>) {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(f) = all.get_mut(container) else { return };
        let Some(run) = f.running.remove(&id) else { return };
        let ms = run.at.elapsed().as_millis() as u64;
        f.total_ms += ms;
        let status = match result {
            None => {
                f.aborted += 1;
                "aborted"
            }
            Some(r) if r["timed_out"] == true => {
                f.timed_out += 1;
                "timed_out"
            }
            Some(r) if r["success"] == true => {
                f.succeeded += 1;
                "succeeded"
            }
            Some(_) => {
                f.failed += 1;
                "failed"
            }
        };
        if let Some(session) = run.session {
            let exit_code = result.map_or(Value::Null, |r| r["exit_code"].clone());
            f.last.insert(
                session,
                json!({ "command": run.command, "status": status, "exit_code": exit_code,
                "duration_ms": ms, "started_at": run.started_at.to_rfc3339() }),
            );
        }
    }

    /// `automation/metrics`.
    pub fn metrics(&self, container: &str, init_pid: u32) -> Value {
        self.with(container, init_pid, |f| {
            let ended = f.succeeded + f.failed + f.timed_out + f.aborted;
            json!({
                "commands": { "started": f.started, "running": f.running.len(), "succeeded": f.succeeded,
                    "failed": f.failed, "timed_out": f.timed_out, "aborted": f.aborted },
                "avg_duration_ms": (ended > 0).then(|| f.total_ms / ended),
                "sessions_busy": f.running.values().filter_map(|r| r.session).collect::<std::collections::BTreeSet<_>>(),
            })
        })
    }

    /// `{id}/automation`: whether session `id` runs a command now, and its last one.
    pub fn state(&self, container: &str, init_pid: u32, session: u16) -> Value {
        self.with(container, init_pid, |f| {
            let running = f.running.values().find(|r| r.session == Some(session)).map(|r| {
                json!({ "command": r.command, "started_at": r.started_at.to_rfc3339(), "running_ms": r.at.elapsed().as_millis() as u64 })
            });
            json!({ "terminal_id": session, "busy": running.is_some(), "running": running,
                "last": f.last.get(&session).cloned() })
        })
    }
}

impl Guard {
    pub fn ended(mut self, result: &Value) {
        self.done = true;
        self.automation.end(&self.container, self.id, Some(result));
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.done {
            self.automation.end(&self.container, self.id, None);
        }
    }
}
