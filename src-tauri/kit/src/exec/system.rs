//! The exec service's housekeeping: `system/restart` (runs under way drained, then what the
//! service keeps from the scripts read again), `system/restart-status`, `cache/clear` (the
//! settings read from scripts, the shared state), and what a script can rely on in the
//! container: `dependencies/bundled` (its interpreters and tools), `dependencies/check` and
//! `validate/dependencies` (the commands a script names, looked up on the container's PATH).

use super::Call;
use super::scripts::{bad, check_exec_id_in, fields, flag, ok, script_path, text};
use super::{SCRIPTS_DIR, comments, monitor, shared_state};
use crate::error::{KitCode, KitError};
use crate::proxy::Body;
use chrono::{DateTime, Utc};
use hyper::Response;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// What a container's service has restarted, by container init.
static RESTARTS: Mutex<Option<HashMap<u32, (u64, Value)>>> = Mutex::new(None);
/// Longest a graceful restart waits for runs under way.
const MAX_DRAIN: Duration = Duration::from_secs(60);
/// Interpreters and tools `dependencies/bundled` looks for.
const TOOLS: [&str; 14] =
    ["sh", "bash", "busybox", "python3", "node", "perl", "ruby", "php", "jq", "curl", "wget", "sqlite3", "awk", "sed"];

/// Looks `commands` up on the container's PATH: each one's path, or None.
async fn lookup(init_pid: u32, commands: &[String]) -> Result<Vec<(String, Option<String>)>, KitError> {
    let script =
        "for c in \"$@\"; do p=$(command -v \"$c\" 2>/dev/null) || p=; printf '%s\\t%s\\n' \"$c\" \"$p\"; done";
    let mut command = crate::enter::contained(init_pid)
        .map_err(|e| KitError::new(KitCode::ContainerUnreachable, format!("the container is not reachable: {e}")))?;
    let run = command
        .args(["--", "/bin/sh", "-c", script, "sh"])
        .args(commands)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .map_err(|_| KitError::new(KitCode::Timeout, "looking the commands up took longer than 10 s"))?
        .map_err(|e| KitError::new(KitCode::ContainerUnreachable, format!("the container's shell did not run: {e}")))?;
    if !out.status.success() {
        return Err(KitError::new(KitCode::BadGateway, "the container's /bin/sh could not look the commands up"));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(c, p)| (c.to_owned(), (!p.is_empty()).then(|| p.to_owned())))
        .collect())
}

/// The commands a script relies on: its shebang's interpreter, and the `modules` named.
fn wanted(code: Option<&str>, modules: Option<&Value>) -> Result<Vec<String>, KitError> {
    let mut names = Vec::new();
    if let Some(shebang) = code.and_then(|c| c.lines().next()).and_then(|l| l.strip_prefix("#!")) {
        let mut words = shebang.split_whitespace();
        let program = words.next().unwrap_or("");
        let program = if program.ends_with("/env") { words.next().unwrap_or("") } else { program };
        if !program.is_empty() {
            names.push(program.to_owned());
        }
    }
    match modules {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => names.extend(s.split([',', ' ', '\n']).filter(|m| !m.is_empty()).map(str::to_owned)),
        Some(Value::Array(list)) => {
            for m in list {
                names.push(
                    m.as_str().ok_or_else(|| bad(format!("modules lists commands by name, not {m}")))?.to_owned(),
                );
            }
        }
        Some(other) => return Err(bad(format!("modules is a list of commands, not {other}"))),
    }
    if let Some(odd) = names.iter().find(|n| n.is_empty() || n.len() > 255 || n.contains(['\0', '\''])) {
        return Err(bad(format!("{odd:?} is not a command name")));
    }
    names.dedup();
    if names.len() > 100 {
        return Err(bad("at most 100 commands are checked at once"));
    }
    Ok(names)
}

fn found_json(found: &[(String, Option<String>)]) -> (Vec<Value>, Vec<String>) {
    let listed = found
        .iter()
        .map(|(name, path)| json!({ "id": name, "name": name, "status": if path.is_some() { "installed" } else { "missing" }, "path": path }))
        .collect();
    let missing = found.iter().filter(|(_, p)| p.is_none()).map(|(n, _)| n.clone()).collect();
    (listed, missing)
}

/// `/api/v1/exec/{system|cache|dependencies}/{action}` and `validate/dependencies`.
pub(super) async fn answer(call: &Call) -> Result<Response<Body>, KitError> {
    let (area, method, action, raw, init_pid) =
        (call.area.as_str(), &call.method, call.action.as_str(), &call.body[..], call.init_pid);
    match (area, method.as_str(), action) {
        ("system", "POST", "restart") => {
            let body = fields(raw)?;
            let graceful = flag(&body, "graceful", true)?;
            let drain = match body.get("drainTimeoutMs") {
                None | Some(Value::Null) => Duration::from_millis(5000),
                Some(v) => Duration::from_millis(
                    v.as_u64().ok_or_else(|| bad(format!("drainTimeoutMs is milliseconds, not {v}")))?,
                ),
            };
            if drain > MAX_DRAIN {
                return Err(bad(format!("drainTimeoutMs is at most {}", MAX_DRAIN.as_millis())));
            }
            let reason = text(&body, "reason")?.unwrap_or("API restart request").to_owned();
            let began = std::time::Instant::now();
            while graceful && monitor::active(init_pid) > 0 && began.elapsed() < drain {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let still_running = monitor::active(init_pid);
            let settings = comments::forget_settings(init_pid, None);
            super::schedules::changed(init_pid);
            let at: DateTime<Utc> = Utc::now();
            let record = json!({ "at": at.to_rfc3339(), "reason": reason, "graceful": graceful,
                "drained": still_running == 0, "runs_still_under_way": still_running,
                "waited_ms": began.elapsed().as_millis() as u64 });
            let mut restarts = RESTARTS.lock().unwrap_or_else(|e| e.into_inner());
            let restarts = restarts.get_or_insert_with(HashMap::new);
            restarts.retain(|pid, _| hoody_runtime::is_alive(*pid));
            let entry = restarts.entry(init_pid).or_insert((0, Value::Null));
            *entry = (entry.0 + 1, record.clone());
            let how = match (graceful, still_running) {
                (true, 0) => "after the runs under way ended".to_owned(),
                (_, n) => format!("{n} run(s) still under way finish on their own"),
            };
            ok(
                json!({ "success": true, "message": format!("the exec service restarted ({how}): scripts' settings ({settings}) and schedules are read again; the shared state is kept (cache/clear clears it)"),
                "restart": record }),
            )
        }
        ("system", "GET", "restart-status") => {
            let restarts = RESTARTS.lock().unwrap_or_else(|e| e.into_inner());
            let (count, last) = restarts.as_ref().and_then(|r| r.get(&init_pid)).cloned().unwrap_or((0, Value::Null));
            ok(json!({ "status": "running", "restarting": false, "restarts": count, "lastRestart": last,
                "activeRuns": monitor::active(init_pid) }))
        }
        ("cache", "POST", "clear") => {
            let body = fields(raw)?;
            let all = flag(&body, "clearAll", false)?;
            let script = match text(&body, "scriptPath")?.filter(|s| !s.is_empty()) {
                Some(s) => Some(format!("{SCRIPTS_DIR}/{}", script_path(s, "scriptPath")?)),
                None => None,
            };
            let host = text(&body, "hostname")?.filter(|h| !h.is_empty());
            let mut cleared = Map::new();
            if flag(&body, "clearVm", true)? || all {
                cleared.insert(
                    "script_settings".into(),
                    json!(comments::forget_settings(init_pid, if all { None } else { script.as_deref() })),
                );
            }
            if flag(&body, "clearState", false)? || all {
                if !all && host.is_none() {
                    return Err(bad("clearState clears one host's shared state: name its hostname (or send clearAll)"));
                }
                cleared.insert(
                    "shared_state_documents".into(),
                    json!(shared_state::forget(init_pid, if all { None } else { host })),
                );
            }
            ok(
                json!({ "success": true, "message": format!("cleared {}", Value::Object(cleared.clone())), "cleared": cleared }),
            )
        }
        ("dependencies", "GET", "bundled") => {
            let tools: Vec<String> = TOOLS.iter().map(|t| (*t).to_owned()).collect();
            let (listed, missing) = found_json(&lookup(init_pid, &tools).await?);
            ok(json!({ "data": { "packages": listed }, "count": listed.len(), "missing": missing }))
        }
        ("dependencies", "POST", "check") | ("validate", "POST", "dependencies") => {
            let body = fields(raw)?;
            check_exec_id_in(&body)?;
            let code = text(&body, "code")?;
            if area == "validate" && code.is_none() {
                return Err(bad("code is required"));
            }
            let names = wanted(code, body.get("modules"))?;
            if names.is_empty() {
                return Err(bad(
                    "nothing to check: send the script's code (its shebang names its interpreter) or modules",
                ));
            }
            let (listed, missing) = found_json(&lookup(init_pid, &names).await?);
            let message = match missing.len() {
                0 => format!("all {} found in the container", listed.len()),
                n => format!("{n} missing in the container: {}", missing.join(", ")),
            };
            ok(
                json!({ "valid": missing.is_empty(), "message": message, "data": { "dependencies": listed }, "missing": missing }),
            )
        }
        (area, method, action) => {
            Err(KitError::new(KitCode::NotFound, format!("no exec route {method} /api/v1/exec/{area}/{action}")))
        }
    }
}
