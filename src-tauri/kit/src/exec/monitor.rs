//! What the exec service saw its scripts do, per container while it runs (kept in memory, the
//! last [`KEEP`] runs, dropped once the container's init has ended): the runs under way (`monitor/active-requests`), each script's log of runs
//! with their status, time and what they wrote to stderr (`logs/list|read|search|clear|stream`),
//! and figures per script (`monitor/stats`, `monitor/script-performance`, and the Prometheus
//! text at `monitor/metrics`).

use super::Call;
use super::scripts::{bad, fields, ok, text as field_text};
use crate::error::{KitCode, KitError};
use crate::proxy::Body;
use hyper::{Response, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Runs kept per container.
const KEEP: usize = 1000;
/// What of a run's stderr is kept.
const STDERR_KEPT: usize = 4096;

#[derive(Debug, Clone)]
struct Run {
    id: u64,
    script: String,
    method: String,
    path: String,
    status: u16,
    duration_ms: f64,
    /// Milliseconds since the epoch.
    at: u64,
    output_bytes: usize,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        json!({ "executionId": self.id.to_string(), "script": self.script, "method": self.method, "path": self.path,
            "status": self.status, "duration_ms": self.duration_ms, "at": self.at, "output_bytes": self.output_bytes,
            "stderr": self.stderr })
    }

    fn line(&self) -> String {
        format!(
            "{} {} {} {} {} {:.1}ms{}",
            self.at,
            self.id,
            self.method,
            self.path,
            self.status,
            self.duration_ms,
            if self.stderr.is_empty() { String::new() } else { format!(" stderr: {}", self.stderr.trim_end()) }
        )
    }
}

#[derive(Default)]
struct Container {
    next: u64,
    runs: VecDeque<Run>,
    active: BTreeMap<u64, (String, String, Instant, u64)>,
}

static SEEN: Mutex<Option<HashMap<u32, Container>>> = Mutex::new(None);

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn with<T>(init_pid: u32, f: impl FnOnce(&mut Container) -> T) -> T {
    let mut seen = SEEN.lock().expect("exec monitor lock");
    let containers = seen.get_or_insert_with(HashMap::new);
    if !containers.contains_key(&init_pid) {
        // A container seen for the first time (or started again): what ended containers kept goes.
        containers.retain(|pid, _| hoody_runtime::is_alive(*pid));
    }
    f(containers.entry(init_pid).or_default())
}

/// How many runs are under way in the container.
pub(crate) fn active(init_pid: u32) -> usize {
    with(init_pid, |c| c.active.len())
}

/// A run under way: the id [`finished`] takes.
pub(crate) fn started(init_pid: u32, script: &str, method: &str, path: &str) -> u64 {
    with(init_pid, |c| {
        c.next += 1;
        c.active.insert(c.next, (script.to_owned(), format!("{method} {path}"), Instant::now(), now_ms()));
        c.next
    })
}

pub(crate) fn finished(init_pid: u32, id: u64, status: u16, output_bytes: usize, stderr: &[u8]) {
    with(init_pid, |c| {
        let Some((script, request, began, at)) = c.active.remove(&id) else { return };
        let (method, path) =
            request.split_once(' ').map_or((request.clone(), String::new()), |(m, p)| (m.into(), p.into()));
        let stderr = String::from_utf8_lossy(&stderr[stderr.len().saturating_sub(STDERR_KEPT)..]).into_owned();
        let duration_ms = began.elapsed().as_secs_f64() * 1000.0;
        c.runs.push_back(Run { id, script, method, path, status, duration_ms, at, output_bytes, stderr });
        if c.runs.len() > KEEP {
            c.runs.pop_front();
        }
    })
}

/// A script's log is the script's name; `exec` is every run's.
fn in_log(run: &Run, file: Option<&str>) -> bool {
    file.is_none_or(|f| f == "exec" || f == "exec.log" || f.trim_end_matches(".log") == run.script)
}

/// Figures of a set of runs.
fn figures<'a>(runs: impl Iterator<Item = &'a Run>) -> Value {
    let runs: Vec<&Run> = runs.collect();
    let durations: Vec<f64> = runs.iter().map(|r| r.duration_ms).collect();
    let total = durations.iter().sum::<f64>();
    json!({
        "requests": runs.len(),
        "errors": runs.iter().filter(|r| r.status >= 500).count(),
        "client_errors": runs.iter().filter(|r| (400..500).contains(&r.status)).count(),
        "avg_duration_ms": (!runs.is_empty()).then(|| total / runs.len() as f64),
        "max_duration_ms": durations.iter().copied().reduce(f64::max),
        "last_at": runs.iter().map(|r| r.at).max(),
    })
}

/// `/api/v1/exec/logs/{action}` and `/api/v1/exec/monitor/{action}`.
pub(crate) fn answer(call: &Call) -> Result<Response<Body>, KitError> {
    let (area, action, method, query, body, init_pid) =
        (call.area.as_str(), call.action.as_str(), &call.method, &call.query, &call.body[..], call.init_pid);
    let body = fields(body)?;
    let text = |name: &str| field_text(&body, name).map(|t| t.map(str::to_owned));
    let number = |name: &str, default: u64| match body.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_u64().ok_or_else(|| bad(format!("{name} must be a whole number, not {v}"))),
    };
    with(init_pid, |c| match (area, method.as_str(), action) {
        ("logs", "GET", "list") => {
            if let Some(kind) = query.get("type").filter(|t| !["", "script", "exec"].contains(t)) {
                return Err(bad(format!("type must be script or exec, not {kind:?}")));
            }
            let limit = query
                .get("limit")
                .map(|l| l.parse::<usize>().map_err(|_| bad("limit must be a number")))
                .transpose()?;
            let mut logs: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
            for run in &c.runs {
                let entry = logs.entry(run.script.as_str()).or_default();
                entry.0 += run.line().len() + 1;
                entry.1 = entry.1.max(run.at);
            }
            let logs: Vec<Value> = logs
                .into_iter()
                .take(limit.unwrap_or(usize::MAX))
                .map(|(name, (size, at))| json!({ "name": name, "type": "script", "size": size, "modified": at }))
                .collect();
            ok(json!({ "logs": logs, "count": logs.len(), "kept_runs": c.runs.len() }))
        }
        ("logs", "POST", "read") => {
            let lines = number("lines", 100)? as usize;
            let (file, execution) = (text("file")?, text("executionId")?);
            let search = text("search")?.map(|s| s.to_lowercase());
            if let Some(id) = execution {
                let run = c.runs.iter().find(|r| r.id.to_string() == id).ok_or_else(|| {
                    KitError::new(KitCode::NotFound, format!("no run {id} is kept (the last {KEEP} are)"))
                })?;
                return ok(json!({ "execution": run.json() }));
            }
            let matching: Vec<&Run> = c
                .runs
                .iter()
                .filter(|r| in_log(r, file.as_deref()))
                .filter(|r| search.as_ref().is_none_or(|s| r.line().to_lowercase().contains(s)))
                .collect();
            let tail = !matches!(body.get("tail"), Some(Value::Bool(false)));
            let chosen: Vec<&&Run> = if tail {
                matching.iter().rev().take(lines).rev().collect()
            } else {
                matching.iter().take(lines).collect()
            };
            ok(
                json!({ "file": file.unwrap_or_else(|| "exec".into()), "lines": chosen.iter().map(|r| r.line()).collect::<Vec<_>>(),
                "entries": chosen.iter().map(|r| r.json()).collect::<Vec<_>>(), "total": matching.len() }),
            )
        }
        ("logs", "POST", "search") => {
            let limit = number("limit", 1000)? as usize;
            let case_sensitive = matches!(body.get("caseSensitive"), Some(Value::Bool(true)));
            let pattern = match (text("regex")?, text("query")?) {
                (Some(r), _) => r,
                (None, Some(q)) => regex::escape(&q),
                (None, None) => return Err(bad("query or regex is required")),
            };
            let pattern = if case_sensitive { pattern } else { format!("(?i){pattern}") };
            let regex = regex::Regex::new(&pattern).map_err(|e| bad(format!("not a regular expression: {e}")))?;
            let files: Option<Vec<String>> = match body.get("files") {
                None | Some(Value::Null) => None,
                Some(Value::Array(list)) => Some(list.iter().filter_map(|f| f.as_str().map(str::to_owned)).collect()),
                Some(other) => return Err(bad(format!("files must be a list of log names, not {other}"))),
            };
            let hits: Vec<Value> = c
                .runs
                .iter()
                .filter(|r| files.as_ref().is_none_or(|fs| fs.iter().any(|f| in_log(r, Some(f)))))
                .filter(|r| regex.is_match(&r.line()))
                .take(limit)
                .map(|r| json!({ "file": r.script, "line": r.line(), "executionId": r.id.to_string() }))
                .collect();
            ok(json!({ "matches": hits, "count": hits.len() }))
        }
        ("logs", "DELETE", "clear") => {
            let file = query.get("file").filter(|f| !f.is_empty()).map(str::to_owned);
            let older = query
                .get("olderThanDays")
                .map(|d| {
                    d.parse::<u64>().map_err(|_| bad(format!("olderThanDays must be a number of days, not {d:?}")))
                })
                .transpose()?;
            if file.is_none() && older.is_none() && !query.flag("confirm") {
                return Err(bad("this clears every log: send confirm=true (or name a file, or olderThanDays)"));
            }
            let cutoff = older.map(|days| now_ms().saturating_sub(days * 86_400_000));
            let before = c.runs.len();
            c.runs.retain(|r| !(in_log(r, file.as_deref()) && cutoff.is_none_or(|at| r.at < at)));
            ok(json!({ "success": true, "cleared": before - c.runs.len() }))
        }
        ("logs", "GET", "stream") => {
            let file = query.get("file").filter(|f| !f.is_empty()).ok_or_else(|| bad("file is required"))?;
            if query.flag("follow") {
                return Err(KitError::new(
                    KitCode::NotImplemented,
                    "follow=true (a log that stays open) is not honoured yet: poll logs/read",
                ));
            }
            let text: String = c.runs.iter().filter(|r| in_log(r, Some(file))).map(|r| r.line() + "\n").collect();
            Ok(crate::proxy::with_type(StatusCode::OK, bytes::Bytes::from(text), "text/plain; charset=utf-8"))
        }
        ("monitor", "GET", "active-requests") => {
            let active: Vec<Value> = c
                .active
                .iter()
                .map(|(id, (script, request, began, at))| {
                    json!({ "executionId": id.to_string(), "script": script, "request": request, "started_at": at,
                        "elapsed_ms": began.elapsed().as_millis() as u64 })
                })
                .collect();
            ok(json!({ "active": active, "count": active.len() }))
        }
        ("monitor", "GET", "stats") => {
            let mut per: BTreeMap<&str, Vec<&Run>> = BTreeMap::new();
            c.runs.iter().for_each(|r| per.entry(r.script.as_str()).or_default().push(r));
            let scripts: Map<String, Value> =
                per.into_iter().map(|(s, runs)| (s.to_owned(), figures(runs.into_iter()))).collect();
            ok(json!({ "total": figures(c.runs.iter()), "scripts": scripts, "active": c.active.len() }))
        }
        ("monitor", "POST", "script-performance") => {
            let script =
                text("script")?.or(text("body")?).or(text("path")?).ok_or_else(|| bad("name the script: script"))?;
            let script = script.trim_start_matches('/').to_owned();
            let runs: Vec<&Run> = c.runs.iter().filter(|r| r.script == script).collect();
            if runs.is_empty() {
                return Err(KitError::new(KitCode::NotFound, format!("no run of {script} is kept")));
            }
            let mut durations: Vec<f64> = runs.iter().map(|r| r.duration_ms).collect();
            durations.sort_by(f64::total_cmp);
            let p = |q: f64| durations[((durations.len() - 1) as f64 * q).round() as usize];
            let mut answer = figures(runs.into_iter());
            answer["script"] = json!(script);
            answer["p50_ms"] = json!(p(0.5));
            answer["p95_ms"] = json!(p(0.95));
            ok(answer)
        }
        ("monitor", "GET", "metrics") => {
            let mut out = String::from(
                "# HELP hoody_exec_requests_total Script runs by script and status.\n# TYPE hoody_exec_requests_total counter\n",
            );
            let mut counts: BTreeMap<(&str, u16), (u64, f64)> = BTreeMap::new();
            for r in &c.runs {
                let entry = counts.entry((r.script.as_str(), r.status)).or_default();
                entry.0 += 1;
                entry.1 += r.duration_ms / 1000.0;
            }
            for ((script, status), (n, _)) in &counts {
                out.push_str(&format!("hoody_exec_requests_total{{script=\"{script}\",status=\"{status}\"}} {n}\n"));
            }
            out.push_str("# HELP hoody_exec_request_seconds_total Time spent in script runs.\n# TYPE hoody_exec_request_seconds_total counter\n");
            for ((script, status), (_, seconds)) in &counts {
                out.push_str(&format!(
                    "hoody_exec_request_seconds_total{{script=\"{script}\",status=\"{status}\"}} {seconds}\n"
                ));
            }
            out.push_str(&format!("# HELP hoody_exec_active_requests Script runs under way.\n# TYPE hoody_exec_active_requests gauge\nhoody_exec_active_requests {}\n", c.active.len()));
            Ok(crate::proxy::with_type(StatusCode::OK, bytes::Bytes::from(out), "text/plain; version=0.0.4"))
        }
        (area, method, action) => {
            Err(KitError::new(KitCode::NotFound, format!("no exec route {method} /api/v1/exec/{area}/{action}")))
        }
    })
}
