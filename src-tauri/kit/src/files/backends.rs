//! Storage backends (`/api/v1/backends`): rclone remotes of the container, by type and options,
//! managed by rclone itself. rclone is this host's (Debian's package), run inside the container
//! as its root through `hoody-enter join --host-program` (so a `local` or `alias` remote means
//! the container's files, its network is the container's, and commands a remote's options
//! name run inside it). The remotes live in the container's [`CONFIG`]. Each type's options and
//! which are required or secret come from the installed rclone (`config providers`); a type it
//! lacks is a 501 naming its version. Secrets are stored obscured and never answered.
//! Mounts (`/api/v1/mounts`) need FUSE in the container, which containers here do not get:
//! 503 saying so.

use crate::error::{KitCode, KitError};
use crate::proxy::{Body, json};
use crate::request::body;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use std::time::Duration;

/// Where the container's remotes are kept, inside it.
pub const CONFIG: &str = "/hoody/rclone/rclone.conf";
const RCLONE: &str = "/usr/bin/rclone";
/// Longest one rclone command may take (a connection test included).
const TIMEOUT: Duration = Duration::from_secs(30);
/// Options of ours kept beside a remote's (rclone ignores keys it does not know).
const CREATED: &str = "hoody_created_at";
const UPDATED: &str = "hoody_updated_at";

/// A backend type as rclone describes it.
#[derive(Debug, Clone)]
struct Provider {
    prefix: String,
    /// Option name → (required, secret, type).
    options: Vec<(String, bool, bool, String)>,
}

/// The installed rclone's types (read once), and its version.
fn providers() -> Result<&'static (Vec<Provider>, String), KitError> {
    static READ: OnceLock<Result<(Vec<Provider>, String), String>> = OnceLock::new();
    let read = READ.get_or_init(|| {
        // Static descriptions: nothing of any configuration is read (--config /dev/null).
        let run =
            |args: &[&str]| {
                std::process::Command::new(RCLONE).args(["--config", "/dev/null"]).args(args).output().map_err(|e| {
                    format!("rclone is not installed on this server ({RCLONE}: {e}): apt-get install rclone")
                })
            };
        let out = run(&["config", "providers"])?;
        let listed: Vec<Value> =
            serde_json::from_slice(&out.stdout).map_err(|e| format!("rclone config providers: {e}"))?;
        let providers = listed
            .iter()
            .map(|p| Provider {
                prefix: p["Prefix"].as_str().unwrap_or("").to_owned(),
                options: p["Options"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| {
                        (
                            o["Name"].as_str().unwrap_or("").to_owned(),
                            o["Required"].as_bool().unwrap_or(false),
                            o["IsPassword"].as_bool().unwrap_or(false),
                            o["Type"].as_str().unwrap_or("string").to_owned(),
                        )
                    })
                    .collect(),
            })
            .collect();
        let version = String::from_utf8_lossy(&run(&["version"])?.stdout).lines().next().unwrap_or("rclone").to_owned();
        Ok((providers, version))
    });
    read.as_ref().map_err(|why| KitError::of_status(StatusCode::SERVICE_UNAVAILABLE, why.clone()))
}

/// The rclone type of a contract's type name (`google-cloud-storage` is rclone's `gcs`).
fn provider(kind: &str) -> Result<Provider, KitError> {
    let (all, version) = providers()?;
    let prefix = match kind {
        "google-cloud-storage" => "gcs",
        "google-photos" => "gphotos",
        other => other,
    };
    all.iter()
        .find(|p| p.prefix == prefix)
        .cloned()
        .ok_or_else(|| KitError::new(KitCode::NotImplemented, format!("the installed {version} has no {kind} backend")))
}

/// Runs rclone inside the container with its remotes; stdout, or why it failed.
async fn rclone(init_pid: u32, args: &[String]) -> Result<Vec<u8>, KitError> {
    run_rclone(init_pid, args, TIMEOUT, None).await
}

/// [`rclone`] with its own time limit.
/// A later `--config` among `args` takes the place of the container's remotes; `input` is
/// rclone's stdin (`rcat`).
pub(super) async fn run_rclone(
    init_pid: u32,
    args: &[String],
    timeout: Duration,
    input: Option<bytes::Bytes>,
) -> Result<Vec<u8>, KitError> {
    use tokio::io::AsyncWriteExt;
    let mut command = crate::enter::contained(init_pid)
        .map_err(|e| KitError::new(KitCode::ContainerUnreachable, format!("the container is not reachable: {e}")))?;
    let child = command
        .args(["--host-program", RCLONE, "--", "rclone", "--config", CONFIG, "--cache-dir", "/hoody/rclone/cache"])
        .args(args)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .env("HOME", "/root")
        .stdin(if input.is_some() { std::process::Stdio::piped() } else { std::process::Stdio::null() })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| KitError::new(KitCode::ContainerUnreachable, format!("rclone did not start: {e}")))?;
    let run = async move {
        let mut child = child;
        if let (Some(bytes), Some(mut pipe)) = (input, child.stdin.take()) {
            pipe.write_all(&bytes).await?;
        }
        hoody_runtime::bounded::output(child, hoody_runtime::bounded::ANSWER_LIMIT).await
    };
    let out = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| KitError::new(KitCode::Timeout, format!("rclone took longer than {}s", timeout.as_secs())))?
        .map_err(|e| match hoody_runtime::bounded::is_too_much(&e) {
            true => KitError::new(KitCode::BadGateway, format!("rclone {e}: it was stopped (ask for less)")),
            false => KitError::new(KitCode::ContainerUnreachable, format!("rclone did not start: {e}")),
        })?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Its `Error:` line when it has one (not the usage text after it).
    let why = match stderr.lines().find_map(|l| l.strip_prefix("Error: ")) {
        Some(error) => error.to_owned(),
        None => stderr.lines().filter(|l| !l.contains("NOTICE: Config file")).collect::<Vec<_>>().join(" / "),
    };
    Err(KitError::new(KitCode::BadGateway, format!("rclone: {}", why.trim())))
}

/// rclone refusing a backend's options: the client's to mend.
fn refused_options(e: KitError) -> KitError {
    match e.code {
        KitCode::BadGateway => KitError::new(
            KitCode::InvalidParameters,
            format!("these options do not make a working backend: {}", e.message),
        ),
        _ => e,
    }
}

/// The container's remotes (`config dump`).
async fn remotes(init_pid: u32) -> Result<Map<String, Value>, KitError> {
    let out = rclone(init_pid, &["config".into(), "dump".into()]).await?;
    match serde_json::from_slice(&out) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(KitError::new(KitCode::BadGateway, "rclone config dump did not answer a JSON object")),
    }
}

/// A remote as answered: its options with secrets masked.
fn described(id: &str, remote: &Value) -> Value {
    let kind = remote["type"].as_str().unwrap_or("");
    let secret = |name: &str| {
        provider(kind).is_ok_and(|p| p.options.iter().any(|(n, _, s, _)| n == name && *s))
            || ["token", "pass", "password", "password2", "secret_access_key", "client_secret", "key"].contains(&name)
    };
    let mut options = Map::new();
    for (name, value) in remote.as_object().into_iter().flatten() {
        if name == "type" || name == CREATED || name == UPDATED {
            continue;
        }
        options.insert(name.clone(), if secret(name) { json!("***") } else { value.clone() });
    }
    let at = |key: &str| {
        remote[key]
            .as_str()
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339())
    };
    json!({ "id": id, "name": remote["description"].as_str().filter(|d| !d.is_empty()).unwrap_or(id), "type": kind,
        "status": "configured", "created_at": at(CREATED), "updated_at": at(UPDATED), "modified": at(UPDATED),
        "options": options })
}

/// `key=value` arguments for rclone from a body's options, checked against the type's.
fn option_args(
    p: &Provider,
    kind: &str,
    options: &Map<String, Value>,
    creating: bool,
) -> Result<Vec<String>, KitError> {
    let mut args = Vec::new();
    for (name, value) in options {
        let known = name == "description" || p.options.iter().any(|(n, ..)| n == name);
        if !known {
            return Err(KitError::new(KitCode::InvalidParameters, format!("{kind} backends have no option {name:?}")));
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(list) => list
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(","),
            Value::Null => continue,
            Value::Object(_) => {
                return Err(KitError::new(KitCode::InvalidParameters, format!("{name} is not an object")));
            }
        };
        if text.contains(['\n', '\r', '\0']) {
            return Err(KitError::new(KitCode::InvalidParameters, format!("{name} may not hold line breaks")));
        }
        args.push(format!("{name}={text}"));
    }
    if creating {
        let missing: Vec<&str> = p
            .options
            .iter()
            .filter(|(n, required, ..)| *required && options.get(n).is_none_or(|v| v.is_null() || v == ""))
            .map(|(n, ..)| n.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(KitError::new(
                KitCode::InvalidParameters,
                format!("{kind} backends need {}", missing.join(", ")),
            ));
        }
    }
    Ok(args)
}

fn id_of(raw: &str) -> Result<String, KitError> {
    let ok =
        !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match ok {
        true => Ok(raw.to_owned()),
        false => Err(KitError::new(KitCode::InvalidParameters, format!("{raw:?} is not a backend id"))),
    }
}

async fn object_body(req: Request<Incoming>) -> Result<Map<String, Value>, KitError> {
    let raw = body(req.into_body(), 256 << 10).await.map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(&raw) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(KitError::new(KitCode::InvalidJson, "the body is a JSON object of the backend's options")),
    }
}

/// `/api/v1/backends…` and `/api/v1/mounts…`.
pub async fn handle(req: Request<Incoming>, init_pid: u32) -> Response<Body> {
    answer(req, init_pid).await.unwrap_or_else(KitError::into_response)
}

async fn answer(req: Request<Incoming>, init_pid: u32) -> Result<Response<Body>, KitError> {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let method = req.method().clone();
    let ok = |value: Value| Ok(json(StatusCode::OK, &value));
    if path == "/api/v1/mounts" || path.starts_with("/api/v1/mounts/") {
        return Err(KitError::of_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "mounting a backend needs FUSE (/dev/fuse) inside the container, which containers here are not given; read and write a backend's files through rclone instead (GET /api/v1/backends/{id}/test lists it)",
        ));
    }
    let rest: Vec<&str> = path.trim_start_matches("/api/v1/backends").split('/').filter(|s| !s.is_empty()).collect();
    let now = chrono::Utc::now().timestamp().to_string();
    match (&method, &rest[..]) {
        (&Method::GET, []) => {
            let listed: Vec<Value> = remotes(init_pid).await?.iter().map(|(id, r)| described(id, r)).collect();
            ok(json!({ "data": { "backends": listed }, "count": listed.len() }))
        }
        (&Method::POST, [kind]) => {
            let p = provider(kind)?;
            let options = object_body(req).await?;
            let mut args = vec!["config".into(), "create".into()];
            let mut suffix = [0u8; 4];
            getrandom::fill(&mut suffix).expect("the OS has randomness");
            let id = format!("{}-{}", p.prefix, suffix.iter().map(|b| format!("{b:02x}")).collect::<String>());
            args.extend([id.clone(), p.prefix.clone()]);
            args.extend(option_args(&p, kind, &options, true)?);
            args.extend([
                format!("{CREATED}={now}"),
                format!("{UPDATED}={now}"),
                "--non-interactive".into(),
                "--obscure".into(),
            ]);
            let out = rclone(init_pid, &args).await.map_err(refused_options)?;
            // rclone asks further questions of a backend that needs an authorization (OAuth).
            let state: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
            let asks = state["Option"]["Name"].as_str().map(str::to_owned);
            let remote = remotes(init_pid).await?.get(&id).cloned().unwrap_or(Value::Null);
            let mut answer = described(&id, &remote);
            answer["success"] = json!(true);
            match asks {
                None => answer["message"] = json!(format!("{kind} backend {id} connected")),
                Some(question) => {
                    answer["status"] = json!("needs_authorization");
                    answer["message"] = json!(format!(
                        "{kind} backend {id} saved; rclone needs {question} (an OAuth token: send it as token with PUT)"
                    ));
                }
            }
            ok(answer)
        }
        (&Method::GET, [id]) => {
            let id = id_of(id)?;
            let all = remotes(init_pid).await?;
            let remote = all.get(&id).ok_or_else(|| KitError::new(KitCode::NotFound, format!("no backend {id}")))?;
            ok(described(&id, remote))
        }
        (&Method::PUT, [id]) => {
            let id = id_of(id)?;
            let remote = remotes(init_pid)
                .await?
                .get(&id)
                .cloned()
                .ok_or_else(|| KitError::new(KitCode::NotFound, format!("no backend {id}")))?;
            let kind = remote["type"].as_str().unwrap_or("").to_owned();
            let body = object_body(req).await?;
            // The platform sends the changed options as `body`, a JSON string (an object is taken too).
            let options = match body.get("body") {
                Some(Value::String(s)) => match serde_json::from_str(s) {
                    Ok(Value::Object(m)) => m,
                    _ => {
                        return Err(KitError::new(
                            KitCode::InvalidParameters,
                            "body is the options to change, as a JSON object",
                        ));
                    }
                },
                Some(Value::Object(m)) => m.clone(),
                _ => {
                    return Err(KitError::new(
                        KitCode::InvalidParameters,
                        "body is required: the options to change, as a JSON object",
                    ));
                }
            };
            if options.is_empty() {
                return Err(KitError::new(KitCode::InvalidParameters, "body names no option to change"));
            }
            let mut args = vec!["config".into(), "update".into(), id.clone()];
            args.extend(option_args(&provider(&kind)?, &kind, &options, false)?);
            args.extend([format!("{UPDATED}={now}"), "--non-interactive".into(), "--obscure".into()]);
            rclone(init_pid, &args).await.map_err(refused_options)?;
            let remote = remotes(init_pid).await?.get(&id).cloned().unwrap_or(Value::Null);
            let mut answer = described(&id, &remote);
            answer["success"] = json!(true);
            answer["message"] = json!(format!("backend {id} updated"));
            ok(answer)
        }
        (&Method::DELETE, [id]) => {
            let id = id_of(id)?;
            if !remotes(init_pid).await?.contains_key(&id) {
                return Err(KitError::new(KitCode::NotFound, format!("no backend {id}")));
            }
            rclone(init_pid, &["config".into(), "delete".into(), id.clone()]).await?;
            ok(json!({ "success": true, "message": format!("backend {id} disconnected") }))
        }
        (&Method::GET, [id, "test"]) => {
            let id = id_of(id)?;
            if !remotes(init_pid).await?.contains_key(&id) {
                return Err(KitError::new(KitCode::NotFound, format!("no backend {id}")));
            }
            let started = std::time::Instant::now();
            let args = [
                "lsjson",
                &format!("{id}:"),
                "--max-depth",
                "1",
                "--contimeout",
                "10s",
                "--timeout",
                "20s",
                "--low-level-retries",
                "1",
                "--retries",
                "1",
            ];
            let listed = rclone(init_pid, &args.map(str::to_owned)).await;
            let ms = started.elapsed().as_millis() as u64;
            match listed {
                Ok(out) => {
                    let entries: Vec<Value> = serde_json::from_slice(&out).unwrap_or_default();
                    ok(
                        json!({ "success": true, "message": format!("backend {id} answered: {} entries at its top", entries.len()),
                        "entries": entries.len(), "duration_ms": ms }),
                    )
                }
                Err(e) => {
                    Err(KitError::new(KitCode::BadGateway, format!("backend {id} did not answer: {}", e.message)))
                }
            }
        }
        _ => Err(KitError::new(KitCode::NotFound, format!("no backends route {method} {path}"))),
    }
}
