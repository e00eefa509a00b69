//! `POST /api/v1/terminal/execute`: a command run in a session's shell (its state — working
//! directory, variables — is the session's), or with `ephemeral=true` in a shell of its own
//! with no terminal. `{"command": "…", "wait": true}` answers with the output and exit code;
//! without `wait` the answer is a `command_id` to poll at `GET /result/{command_id}`, and
//! `POST /execute/{command_id}/abort` stops it.
//!
//! In a session, the command is typed into the shell between two markers that only its
//! output can contain (the echo of the typed line shows them escaped), so what comes back is
//! exactly what the command printed. The shell must be at its prompt; a program that holds
//! the terminal (an editor, say) would receive the typed text instead.

use super::{EPHEMERAL_IDS, Session, Terminals};
use crate::error::refuse;
use crate::proxy::{Body, json};
use crate::request::Query;
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;

/// How long a command may run when the request does not say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
/// Output kept per command; more is cut (and the answer says so).
const MAX_OUTPUT: usize = 8 << 20;
/// Finished results kept for polling.
const MAX_RESULTS: usize = 256;

#[derive(Debug, Deserialize)]
struct Request {
    command: String,
    #[serde(default)]
    wait: bool,
    timeout_ms: Option<u64>,
}

/// A command started without `wait`: when, its result once it has one, and how to stop it
/// while it runs (its task, and the session it was typed into).
#[derive(Debug)]
struct Started {
    at: Instant,
    result: Option<Value>,
    task: Option<tokio::task::AbortHandle>,
    session: Option<Arc<Session>>,
}

/// Results of commands started without `wait`, by command id.
#[derive(Debug, Default)]
pub struct Results(Mutex<HashMap<String, Started>>);

impl Results {
    fn start(&self, session: Option<Arc<Session>>) -> String {
        let id = hex_id();
        let mut results = self.0.lock().expect("results lock");
        if results.len() >= MAX_RESULTS {
            // Forget the oldest finished result.
            if let Some(oldest) =
                results.iter().filter(|(_, s)| s.result.is_some()).min_by_key(|(_, s)| s.at).map(|(k, _)| k.clone())
            {
                results.remove(&oldest);
            }
        }
        results.insert(id.clone(), Started { at: Instant::now(), result: None, task: None, session });
        id
    }

    fn running_as(&self, id: &str, task: tokio::task::AbortHandle) {
        if let Some(entry) = self.0.lock().expect("results lock").get_mut(id) {
            entry.task = Some(task);
        }
    }

    /// Records the result, unless the command was aborted first.
    fn finish(&self, id: &str, result: Value) {
        if let Some(entry) = self.0.lock().expect("results lock").get_mut(id).filter(|e| e.result.is_none()) {
            entry.result = Some(result);
            entry.task = None;
            entry.session = None;
        }
    }

    pub fn answer(&self, id: &str) -> Response<Body> {
        match self.0.lock().expect("results lock").get(id) {
            Some(Started { result: Some(result), .. }) => json(StatusCode::OK, result),
            Some(_) => json(StatusCode::OK, &json!({ "command_id": id, "status": "running" })),
            None => refuse(StatusCode::NOT_FOUND, &format!("there is no command {id}")),
        }
    }

    /// `POST /execute/{id}/abort`: a command typed into a session gets Ctrl-C (with `force`,
    /// Ctrl-\ after it: SIGQUIT for what ignores SIGINT); one in a shell of its own is killed.
    /// Its result says it was aborted, with what it printed unknown.
    pub async fn abort(&self, id: &str, raw: &[u8]) -> Response<Body> {
        let force = match serde_json::from_slice::<Value>(raw) {
            _ if raw.is_empty() => false,
            Ok(Value::Object(body)) => match body.get("force") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(force)) => *force,
                Some(other) => {
                    return refuse(StatusCode::BAD_REQUEST, &format!("force must be true or false, not {other}"));
                }
            },
            _ => return refuse(StatusCode::BAD_REQUEST, "the body must be {\"force\": true|false} or empty"),
        };
        let (task, session, elapsed) = {
            let mut results = self.0.lock().expect("results lock");
            let Some(entry) = results.get_mut(id) else {
                return refuse(StatusCode::NOT_FOUND, &format!("there is no command {id}"));
            };
            if entry.result.is_some() {
                return refuse(
                    StatusCode::CONFLICT,
                    &format!("command {id} has finished; its result is at /result/{id}"),
                );
            }
            let aborted = json!({ "command_id": id, "status": "aborted", "success": false, "exit_code": null,
                "error": "aborted on request", "duration_ms": entry.at.elapsed().as_millis() as u64 });
            entry.result = Some(aborted);
            (entry.task.take(), entry.session.take(), entry.at.elapsed())
        };
        if let Some(session) = &session {
            let keys: &[u8] = if force { b"\x03\x1c" } else { b"\x03" };
            if let Err(e) = session.write(keys).await {
                tracing::warn!("command {id}: Ctrl-C did not reach session {}: {e}", session.id);
            }
        }
        if let Some(task) = task {
            task.abort(); // a shell of its own is killed with its task (kill_on_drop)
        }
        json(
            StatusCode::OK,
            &json!({ "success": true, "command_id": id, "status": "aborted", "force": force,
            "terminal_id": session.map(|s| s.id), "ran_ms": elapsed.as_millis() as u64 }),
        )
    }
}

/// The terminal service's settings, as `GET /api/v1/system/daemon` answers them.
pub fn daemon_settings() -> Value {
    json!({
        "service": "terminal",
        "server": "hoody-kit",
        "version": env!("CARGO_PKG_VERSION"),
        "max_sessions": super::MAX_SESSIONS,
        "scrollback_bytes": super::session::SCROLLBACK,
        "history_lines": super::screen::HISTORY_LINES,
        "execute": {
            "default_timeout_ms": DEFAULT_TIMEOUT.as_millis() as u64,
            "max_timeout_ms": MAX_TIMEOUT.as_millis() as u64,
            "max_output_bytes": MAX_OUTPUT,
            "results_kept": MAX_RESULTS,
        },
        "power": "POST /api/v1/system/reboot and /shutdown (?delay=SECONDS) restart or stop the container",
    })
}

pub async fn handle(
    terminals: &Arc<Terminals>,
    query: &Query,
    raw: &[u8],
    container: &str,
    init_pid: u32,
) -> Response<Body> {
    let request: Request = match serde_json::from_slice(raw) {
        Ok(r) => r,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &format!("the body must be {{\"command\": \"…\"}}: {e}")),
    };
    if request.command.trim().is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "the command is empty");
    }
    let wait = request.wait || query.flag("wait");
    let command_text = request.command.clone();
    let timeout = request.timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis).min(MAX_TIMEOUT);
    let mut typed_into = None;
    let job: std::pin::Pin<Box<dyn std::future::Future<Output = Value> + Send>> = if query.flag("ephemeral") {
        let id = ephemeral_id();
        Box::pin(ephemeral(init_pid, id, request.command, timeout))
    } else {
        let id = match super::terminal_id(query, &super::Params::default()) {
            Ok(Some(id)) => id,
            Ok(None) => {
                return refuse(StatusCode::BAD_REQUEST, "name a session with terminal_id=N, or pass ephemeral=true");
            }
            Err(refusal) => return refusal.into_response(),
        };
        let session = match terminals.open(container, init_pid, Some(id), (80, 24), &super::ShellChoice::default()) {
            Ok((session, _)) => session,
            Err(refusal) => return refusal.into_response(),
        };
        typed_into = Some(session.clone());
        Box::pin(in_session(session, request.command, timeout))
    };
    let session_id = typed_into.as_ref().map(|s| s.id);
    let guard = terminals.automation.begin(container, init_pid, session_id, &command_text);
    if wait {
        let result = job.await;
        guard.ended(&result);
        return json(StatusCode::OK, &result);
    }
    let command_id = terminals.results.start(typed_into);
    let (results, id) = (terminals.clone(), command_id.clone());
    let task = tokio::spawn(async move {
        let mut result = job.await;
        guard.ended(&result);
        result["command_id"] = json!(id);
        result["status"] = json!("completed");
        results.results.finish(&id, result);
    });
    terminals.results.running_as(&command_id, task.abort_handle());
    json(StatusCode::ACCEPTED, &json!({ "success": true, "command_id": command_id, "status": "running" }))
}

async fn in_session(session: Arc<Session>, command: String, timeout: Duration) -> Value {
    let _one_at_a_time = session.exec_lock.lock().await;
    let started = Instant::now();
    let nonce = hex_id();
    let (begin, end) = (format!("\x1eHB{nonce}\x1e"), format!("\x1eHE{nonce}:"));
    let mut output = session.subscribe();
    // One input line (the braces make the whole of a multi-line command one list), so the
    // shell reads all of it before it prints the first marker.
    let typed =
        format!("printf '\\036HB%s\\036' {nonce}; {{ {command}\n}}; printf '\\036HE%s:%s\\036' {nonce} \"$?\"\n");
    if let Err(e) = session.write(typed.as_bytes()).await {
        return json!({ "success": false, "error": format!("the terminal did not take the command: {e}") });
    }
    let mut seen: Vec<u8> = Vec::new();
    let mut lost = false;
    let deadline = tokio::time::Instant::now() + timeout;
    let exit_code = loop {
        if let Some(code) = finished(&seen, begin.as_bytes(), end.as_bytes()) {
            break Some(code);
        }
        match tokio::time::timeout_at(deadline, output.recv()).await {
            Ok(Ok(chunk)) => {
                if seen.len() < MAX_OUTPUT * 2 {
                    seen.extend_from_slice(&chunk);
                } else {
                    lost = true;
                }
            }
            Ok(Err(RecvError::Lagged(_))) => lost = true,
            Ok(Err(RecvError::Closed)) | Err(_) => break None,
        }
    };
    let text = between(&seen, begin.as_bytes(), end.as_bytes());
    let stdout = String::from_utf8_lossy(&text).replace("\r\n", "\n");
    let duration_ms = started.elapsed().as_millis() as u64;
    match exit_code {
        Some(code) => json!({
            "success": code == 0, "exit_code": code, "stdout": stdout, "stderr": "",
            "duration_ms": duration_ms, "terminal_id": session.id, "truncated": lost,
        }),
        None if session.is_ended() => json!({
            "success": false, "exit_code": null, "stdout": stdout, "stderr": "", "duration_ms": duration_ms,
            "terminal_id": session.id, "error": "the session's shell exited",
        }),
        None => json!({
            "success": false, "exit_code": null, "stdout": stdout, "stderr": "", "duration_ms": duration_ms,
            "terminal_id": session.id, "timed_out": true,
            "error": format!("the command ran longer than {} ms; it goes on in the session", timeout.as_millis()),
        }),
    }
}

/// The exit code, once the end marker has arrived after the begin marker.
fn finished(seen: &[u8], begin: &[u8], end: &[u8]) -> Option<i32> {
    let start = find(seen, begin)? + begin.len();
    let at = start + find(&seen[start..], end)? + end.len();
    let rest = &seen[at..];
    let close = rest.iter().position(|b| *b == 0x1e)?;
    std::str::from_utf8(&rest[..close]).ok()?.parse().ok()
}

/// What the command printed: after the begin marker, up to the end marker (or all so far).
fn between(seen: &[u8], begin: &[u8], end: &[u8]) -> Bytes {
    let Some(start) = find(seen, begin).map(|i| i + begin.len()) else { return Bytes::new() };
    let stop = find(&seen[start..], end).map_or(seen.len(), |i| start + i);
    Bytes::copy_from_slice(&seen[start..stop.min(start + MAX_OUTPUT)])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A command in a shell of its own, with no terminal: stdout and stderr apart.
async fn ephemeral(init_pid: u32, id: u16, command: String, timeout: Duration) -> Value {
    let started = Instant::now();
    let env = match super::launch(init_pid, id, (80, 24), &super::ShellChoice::default()) {
        Ok(launch) => launch.env.into_iter().filter(|(k, _)| k != "DISPLAY").collect::<Vec<_>>(),
        Err(e) => return json!({ "success": false, "error": e.message }),
    };
    let child = crate::enter::contained(init_pid).and_then(|mut shell| {
        shell
            .args(["--init-env", "--", "/bin/sh", "-c", "cd ~ 2>/dev/null; eval \"$1\"", "sh"])
            .arg(&command)
            .env_clear()
            .envs(env)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
    });
    let child = match child {
        Ok(child) => child,
        Err(e) => return json!({ "success": false, "error": format!("the command did not start: {e}") }),
    };
    match tokio::time::timeout(timeout, hoody_runtime::bounded::output_cut(child, MAX_OUTPUT)).await {
        Ok(Ok(out)) => json!({
            "success": out.status.success(), "exit_code": out.status.code(),
            "stdout": String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(MAX_OUTPUT)]),
            "stderr": String::from_utf8_lossy(&out.stderr[..out.stderr.len().min(MAX_OUTPUT)]),
            "duration_ms": started.elapsed().as_millis() as u64, "terminal_id": id,
        }),
        Ok(Err(e)) => json!({ "success": false, "error": e.to_string(), "terminal_id": id }),
        Err(_) => json!({
            "success": false, "exit_code": null, "timed_out": true, "terminal_id": id,
            "error": format!("the command ran longer than {} ms and was killed", timeout.as_millis()),
        }),
    }
}

fn ephemeral_id() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(*EPHEMERAL_IDS.start());
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    if id == *EPHEMERAL_IDS.end() {
        NEXT.store(*EPHEMERAL_IDS.start(), Ordering::Relaxed);
    }
    id
}

fn hex_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::{between, finished};

    #[test]
    fn markers_frame_the_output() {
        let (begin, end) = (b"\x1eHBab\x1e".as_slice(), b"\x1eHEab:".as_slice());
        // The echoed line shows the markers escaped, so only the real ones count.
        let seen = b"$ printf '\\036HB%s\\036' ab; { ls\r\n}; ...\r\n\x1eHBab\x1ea\r\nb\r\n\x1eHEab:2\x1e$ ";
        assert_eq!(finished(seen, begin, end), Some(2));
        assert_eq!(&between(seen, begin, end)[..], b"a\r\nb\r\n");
        assert_eq!(finished(&seen[..seen.len() - 4], begin, end), None);
    }
}
