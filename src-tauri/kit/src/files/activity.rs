//! What the files service did and is doing in a container, kept while it runs: the journal of
//! the changes made through the service (`/api/v1/journal`, its `stats`, and `flush`, which
//! appends it to the container's [`JOURNAL_FILE`] and empties it), the archive extractions
//! and URL downloads under way (`/api/v1/extractions`, `/api/v1/downloads`, `/?extractions`,
//! `/{dir}?downloads`) and the finished ones (`/?extraction_history`, `/?download_history`).

use crate::error::{KitCode, KitError};
use crate::proxy::{Body, json};
use crate::request::Query;
use chrono::{DateTime, Utc};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

/// Where `journal/flush` appends the journal, inside the container (JSON lines).
pub const JOURNAL_FILE: &str = "/hoody/files-journal.jsonl";
/// Journal entries kept in memory (the oldest go first past it; a flush keeps them).
const JOURNAL_KEPT: usize = 10_000;
const HISTORY_KEPT: usize = 200;

#[derive(Debug, Clone)]
struct Change {
    id: u64,
    op: &'static str,
    path: String,
    to: Option<String>,
    at: DateTime<Utc>,
}

impl Change {
    fn json(&self) -> Value {
        json!({ "id": self.id, "op": self.op, "path": format!("/{}", self.path),
            "to": self.to.as_ref().map(|t| format!("/{t}")), "at": self.at.to_rfc3339() })
    }
}

/// An extraction or a download.
#[derive(Debug, Clone)]
pub struct Job {
    id: u64,
    /// The archive or the URL.
    source: String,
    /// Where its files go.
    target: String,
    started: DateTime<Utc>,
    finished: Option<DateTime<Utc>>,
    size: Option<u64>,
    error: Option<String>,
}

impl Job {
    fn json(&self) -> Value {
        let name = self.target.rsplit('/').next().unwrap_or(&self.target);
        json!({ "id": self.id.to_string(), "name": name, "type": "file", "source": self.source,
            "path": format!("/{}", self.target), "size": self.size, "modified": self.finished.unwrap_or(self.started).to_rfc3339(),
            "started_at": self.started.to_rfc3339(), "finished_at": self.finished.map(|t| t.to_rfc3339()),
            "status": match (&self.finished, &self.error) { (None, _) => "running", (Some(_), None) => "done", (Some(_), Some(_)) => "failed" },
            "error": self.error })
    }
}

/// Extractions or downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Extraction,
    Download,
}

#[derive(Debug, Default)]
struct Container {
    next: u64,
    journal: VecDeque<Change>,
    under_way: BTreeMap<u64, (Kind, Job)>,
    history: HashMap<Kind, VecDeque<Job>>,
}

static SEEN: Mutex<Option<HashMap<u32, Container>>> = Mutex::new(None);

fn with<T>(init_pid: u32, f: impl FnOnce(&mut Container) -> T) -> T {
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let containers = seen.get_or_insert_with(HashMap::new);
    if !containers.contains_key(&init_pid) {
        containers.retain(|pid, _| hoody_runtime::is_alive(*pid));
    }
    f(containers.entry(init_pid).or_default())
}

/// Journals a change made through the service.
pub fn record(init_pid: u32, op: &'static str, path: &str, to: Option<&str>) {
    with(init_pid, |c| {
        c.next += 1;
        c.journal.push_back(Change {
            id: c.next,
            op,
            path: path.to_owned(),
            to: to.map(str::to_owned),
            at: Utc::now(),
        });
        while c.journal.len() > JOURNAL_KEPT {
            c.journal.pop_front();
        }
    })
}

/// An extraction or a download begins: its id for [`finished`].
pub fn started(init_pid: u32, kind: Kind, source: &str, target: &str) -> u64 {
    with(init_pid, |c| {
        c.next += 1;
        let job = Job {
            id: c.next,
            source: source.to_owned(),
            target: target.to_owned(),
            started: Utc::now(),
            finished: None,
            size: None,
            error: None,
        };
        c.under_way.insert(c.next, (kind, job));
        c.next
    })
}

pub fn finished(init_pid: u32, id: u64, size: Option<u64>, error: Option<String>) {
    with(init_pid, |c| {
        let Some((kind, mut job)) = c.under_way.remove(&id) else { return };
        job.finished = Some(Utc::now());
        job.size = size;
        job.error = error;
        let history = c.history.entry(kind).or_default();
        history.push_back(job);
        while history.len() > HISTORY_KEPT {
            history.pop_front();
        }
    })
}

/// `data.{extractions|downloads}`: those under way (into `dir`, when given).
pub fn under_way(init_pid: u32, kind: Kind, dir: Option<&str>) -> Response<Body> {
    let jobs: Vec<Value> = with(init_pid, |c| {
        c.under_way
            .values()
            .filter(|(k, j)| *k == kind && dir.is_none_or(|d| d.is_empty() || j.target.starts_with(&format!("{d}/"))))
            .map(|(_, j)| j.json())
            .collect()
    });
    let key = if kind == Kind::Extraction { "extractions" } else { "downloads" };
    json(StatusCode::OK, &json!({ "data": { key: jobs }, "count": jobs.len() }))
}

/// The finished ones, newest first.
pub fn history(init_pid: u32, kind: Kind) -> Response<Body> {
    let jobs: Vec<Value> =
        with(init_pid, |c| c.history.get(&kind).into_iter().flatten().rev().map(Job::json).collect());
    json(StatusCode::OK, &json!({ "data": { "history": jobs }, "count": jobs.len(), "kept_at_most": HISTORY_KEPT }))
}

/// `GET /api/v1/journal`: `path` (a prefix), `op`, `since` (RFC 3339), `limit`, `after_id`.
pub fn journal(init_pid: u32, query: &Query) -> Result<Response<Body>, KitError> {
    let bad = |why: String| KitError::new(KitCode::InvalidParameters, why);
    let since = match query.get("since").filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(DateTime::parse_from_rfc3339(s).map_err(|_| bad(format!("since is an RFC 3339 time, not {s:?}")))?)
        }
        None => None,
    };
    let limit = match query.get("limit").filter(|l| !l.is_empty()) {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| bad("limit is 1 to 1000".into()))?,
        None => 100,
    };
    let after = match query.get("after_id").filter(|a| !a.is_empty()) {
        Some(a) => a.parse::<u64>().map_err(|_| bad(format!("after_id is a number, not {a:?}")))?,
        None => 0,
    };
    let prefix = query.get("path").map(|p| p.trim_matches('/').to_owned()).filter(|p| !p.is_empty());
    let op = query.get("op").filter(|o| !o.is_empty());
    let entries: Vec<Value> = with(init_pid, |c| {
        c.journal
            .iter()
            .filter(|e| e.id > after)
            .filter(|e| since.is_none_or(|s| e.at >= s))
            .filter(|e| op.is_none_or(|o| e.op == o))
            .filter(|e| prefix.as_ref().is_none_or(|p| e.path == *p || e.path.starts_with(&format!("{p}/"))))
            .take(limit)
            .map(Change::json)
            .collect()
    });
    let next = entries.last().and_then(|e| e["id"].as_u64());
    Ok(json(StatusCode::OK, &json!({ "data": { "entries": entries }, "count": entries.len(), "next_after_id": next })))
}

pub fn journal_stats(init_pid: u32) -> Response<Body> {
    let (by_op, oldest, newest, total) = with(init_pid, |c| {
        let mut by_op: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &c.journal {
            *by_op.entry(e.op).or_default() += 1;
        }
        (
            by_op,
            c.journal.front().map(|e| e.at.to_rfc3339()),
            c.journal.back().map(|e| e.at.to_rfc3339()),
            c.journal.len(),
        )
    });
    json(
        StatusCode::OK,
        &json!({ "entries": total, "by_op": by_op, "oldest": oldest, "newest": newest,
        "kept_at_most": JOURNAL_KEPT, "flushed_to": JOURNAL_FILE }),
    )
}

/// The journal as JSON lines, and the id of its last entry (for [`flushed`]).
pub fn journal_lines(init_pid: u32) -> (String, Option<u64>) {
    with(init_pid, |c| {
        let lines: String = c.journal.iter().map(|e| format!("{}\n", e.json())).collect();
        (lines, c.journal.back().map(|e| e.id))
    })
}

/// The entries up to `last` were written to the container: dropped here. How many.
pub fn flushed(init_pid: u32, last: u64) -> usize {
    with(init_pid, |c| {
        let before = c.journal.len();
        c.journal.retain(|e| e.id > last);
        before - c.journal.len()
    })
}
