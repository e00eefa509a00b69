//! `/api/v1/exec/schedules/{list|history|reload|trigger}`, and the loop that runs each running
//! container's scheduled scripts on their minutes ([`schedule`] keeps the tables).

use super::Call;
use super::schedule::{self, Ran};
use super::scripts::{bad, fields, flag, ok, script_path, text, walk};
use super::{SCRIPTS_DIR, comments};
use crate::error::{KitCode, KitError};
use crate::proxy::{Body, Directory, Lookup};
use bytes::Bytes;
use chrono::{DateTime, Timelike, Utc};
use hyper::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// A script was written, moved or deleted through the service: the table is read again
/// before it is next used.
pub(super) fn changed(init_pid: u32) {
    schedule::with(init_pid, |t| t.loaded_at = None);
}

/// Reads the container's scheduled scripts (its top-level executables with an `@schedule`).
async fn load(init_pid: u32) -> Result<Value, KitError> {
    let mut found = Vec::new();
    for entry in walk(init_pid, "", 0).await? {
        if entry["executable"] != true {
            continue;
        }
        let rel = entry["id"].as_str().unwrap_or("").to_owned();
        let content = comments::read_script(init_pid, &rel).await?;
        // The line as written, so a bad one is listed with why rather than dropped.
        if let Some(c) = super::magic::read(&content).into_iter().find(|c| c.key == "schedule") {
            found.push((rel, c.value));
        }
    }
    Ok(schedule::replace(init_pid, found))
}

async fn table(init_pid: u32) -> Result<Value, KitError> {
    if !schedule::loaded(init_pid) {
        return load(init_pid).await;
    }
    Ok(schedule::with(init_pid, |t| schedule::listed(t)))
}

/// Runs `rel` now as its schedule would (GET, no body) and records it.
async fn run_now(init_pid: u32, rel: &str, by: &'static str) -> (u16, String) {
    let script = format!("{SCRIPTS_DIR}/{rel}");
    let mut env = super::cgi_env("GET", "", "", &script);
    env.push(("HOODY_TRIGGER".to_owned(), by.to_owned()));
    let at = Utc::now();
    let started = std::time::Instant::now();
    let settings = match hoody_runtime::procfs::root(init_pid).and_then(|r| r.stat(&script)) {
        Ok(entry) => comments::settings_of(init_pid, &script, &entry).await.unwrap_or_default(),
        Err(_) => Default::default(),
    };
    let answer = super::run_logged(init_pid, &script, env, Bytes::new(), &settings).await;
    let (status, output) = match answer {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let bytes =
                http_body_util::BodyExt::collect(resp.into_body()).await.map(|b| b.to_bytes()).unwrap_or_default();
            (status, String::from_utf8_lossy(&bytes[..bytes.len().min(64 << 10)]).into_owned())
        }
        Err(e) => (e.status().as_u16(), e.message),
    };
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    schedule::record(init_pid, Ran { script: rel.to_owned(), at, status, duration_ms, by });
    (status, output)
}

/// `/api/v1/exec/schedules/{action}`.
pub(super) async fn answer(call: &Call) -> Result<Response<Body>, KitError> {
    let (method, action, query, raw, init_pid) =
        (&call.method, call.action.as_str(), &call.query, &call.body[..], call.init_pid);
    match (method.as_str(), action) {
        ("GET", "list") => ok(table(init_pid).await?),
        ("GET", "history") => {
            let script =
                query.get("scriptPath").filter(|s| !s.is_empty()).map(|s| script_path(s, "scriptPath")).transpose()?;
            let since = match query.get("since").filter(|s| !s.is_empty()) {
                Some(s) => Some(
                    DateTime::parse_from_rfc3339(s)
                        .map_err(|_| bad(format!("since is an RFC 3339 time, not {s:?}")))?,
                ),
                None => None,
            };
            let limit = match query.get("limit") {
                None | Some("") => 100,
                Some(l) => l
                    .parse::<usize>()
                    .ok()
                    .filter(|l| (1..=1000).contains(l))
                    .ok_or_else(|| bad("limit is 1 to 1000"))?,
            };
            let runs: Vec<Value> = schedule::with(init_pid, |t| {
                t.history
                    .iter()
                    .rev()
                    .filter(|r| script.as_ref().is_none_or(|s| &r.script == s))
                    .filter(|r| since.is_none_or(|since| r.at >= since))
                    .take(limit)
                    .map(schedule::history_json)
                    .collect()
            });
            // includeRotated: the history is one list here, kept in memory (the last 500 runs).
            ok(json!({ "data": { "history": runs }, "count": runs.len(), "kept_at_most": 500 }))
        }
        ("POST", "reload") => {
            let body = fields(raw)?;
            if flag(&body, "dry_run", false)? {
                let current = schedule::with(init_pid, |t| {
                    t.entries.iter().map(|e| (e.script.clone(), e.line.clone())).collect::<Vec<_>>()
                });
                let mut found = Vec::new();
                for entry in walk(init_pid, "", 0).await? {
                    let rel = entry["id"].as_str().unwrap_or("").to_owned();
                    if entry["executable"] != true {
                        continue;
                    }
                    let content = comments::read_script(init_pid, &rel).await?;
                    if let Some(c) = super::magic::read(&content).into_iter().find(|c| c.key == "schedule") {
                        found.push(json!({ "scriptPath": rel, "schedule": c.value,
                            "valid": schedule::Cron::parse(&c.value).is_ok(),
                            "new": !current.iter().any(|(s, l)| *s == rel && *l == c.value) }));
                    }
                }
                return ok(json!({ "success": true, "dry_run": true,
                    "message": format!("{} scheduled script(s) would be loaded", found.len()), "found": found }));
            }
            let mut listed = load(init_pid).await?;
            listed["success"] = json!(true);
            listed["message"] = json!(format!("{} schedule(s) loaded", listed["count"]));
            ok(listed)
        }
        ("POST", "trigger") => {
            let body = fields(raw)?;
            let rel =
                script_path(text(&body, "scriptPath")?.ok_or_else(|| bad("scriptPath is required"))?, "scriptPath")?;
            let force = flag(&body, "force", false)?;
            table(init_pid).await?;
            let scheduled = schedule::with(init_pid, |t| t.entries.iter().any(|e| e.script == rel));
            if !scheduled && !force {
                return Err(KitError::new(
                    KitCode::NotFound,
                    format!(
                        "{SCRIPTS_DIR}/{rel} has no @schedule (schedules/list shows them); send force=true to run it anyway"
                    ),
                ));
            }
            let (status, output) = run_now(init_pid, &rel, "trigger").await;
            ok(json!({ "success": status < 400, "message": format!("{SCRIPTS_DIR}/{rel} ran: {status}"),
                "scriptPath": rel, "status": status, "output": output }))
        }
        (method, action) => {
            Err(KitError::new(KitCode::NotFound, format!("no exec route {method} /api/v1/exec/schedules/{action}")))
        }
    }
}

/// Runs the scheduled scripts of every running container on their minutes, for as long as
/// the service proxy runs (the proxy aborts it when it stops).
pub async fn run_forever(directory: Arc<dyn Directory>) {
    loop {
        let now = Utc::now();
        let into_minute = u64::from(now.second()) * 1000 + u64::from(now.timestamp_subsec_millis());
        tokio::time::sleep(std::time::Duration::from_millis(60_000 - into_minute.min(59_999))).await;
        let Some(minute) = Utc::now().with_second(0).and_then(|t| t.with_nanosecond(0)) else { continue };
        for (project, container) in directory.running().await {
            let Lookup::Up { init_pid, .. } = directory.find(&project, &container).await else { continue };
            if let Err(e) = table(init_pid).await {
                tracing::debug!(container = %container, "schedules not read: {}", e.message);
                continue;
            }
            for rel in schedule::due(init_pid, minute) {
                tokio::spawn(async move {
                    run_now(init_pid, &rel, "schedule").await;
                });
            }
        }
    }
}
