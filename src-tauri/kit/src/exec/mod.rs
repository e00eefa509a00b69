//! The exec service (`exec-1`): scripts as HTTP endpoints. An executable file in the
//! container's [`SCRIPTS_DIR`] answers at `/{script}`: it runs inside the container (all its
//! namespaces, as root), gets the request CGI-style — `REQUEST_METHOD`, `QUERY_STRING`,
//! `PATH_INFO`, `CONTENT_TYPE`, `CONTENT_LENGTH` and `HTTP_*` headers in its environment, the
//! body on stdin — and its stdout is the answer. The exit code picks the status: 0 → 200,
//! the sysexits codes 64 → 400, 66 → 404, 69 → 503, 77 → 403, anything else → 500 (with its
//! stderr). `GET /api/v1/exec/list` and `GET /api/v1/exec/health` describe the service; the
//! scripts are managed at `/api/v1/exec/scripts/*` and scripts share state at
//! `/api/v1/exec/shared-state/*` ([`scripts`], [`shared_state`], [`tools`]); their runs are logged and measured
//! at `/api/v1/exec/logs/*` and `/api/v1/exec/monitor/*` ([`monitor`]).
//!
//! Two halves: [`parse`] reads a request into an [`ExecOp`] on the host (refusing a bad name
//! or an oversized body before the container is reached), [`execute`] does it in the container.

mod comments;
mod magic;
mod monitor;
mod openapi;
mod schedule;
mod schedules;
mod scripts;
mod shared_state;
mod system;
mod templates;
mod tools;

pub use schedules::run_forever as run_schedules;

use crate::error::{KitCode, KitError};
use crate::proxy::{Body, json};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Where a container keeps the scripts the exec service runs.
pub const SCRIPTS_DIR: &str = "/hoody/exec";
/// The service's own API areas, under `/api/v1/exec/`.
const AREAS: [&str; 15] = [
    "scripts",
    "shared-state",
    "logs",
    "monitor",
    "route",
    "validate",
    "magic-comments",
    "schedules",
    "templates",
    "user-openapi",
    "system",
    "cache",
    "dependencies",
    "package",
    "sdk",
];
/// The longest a script may run (unless its `@timeout` says otherwise).
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request body passed to a script.
pub const MAX_INPUT: usize = 16 << 20;

/// One call of the service's own API: the area and action of its path, and the container.
#[derive(Debug)]
pub(crate) struct Call {
    area: String,
    action: String,
    method: hyper::Method,
    query: crate::request::Query,
    body: Bytes,
    /// The container's init (known once the request reaches it).
    init_pid: u32,
}

#[cfg(test)]
impl Call {
    /// A POST of `body` to `/api/v1/exec/{area}/{action}` for the container `init_pid`.
    pub(crate) fn post(area: &str, action: &str, body: &[u8], init_pid: u32) -> Self {
        Call {
            area: area.into(),
            action: action.into(),
            method: hyper::Method::POST,
            query: Default::default(),
            body: Bytes::copy_from_slice(body),
            init_pid,
        }
    }
}

/// What a request asks of the service, parsed on the host before the container is reached.
#[derive(Debug)]
enum ExecOp {
    Health,
    List,
    /// `/api/v1/exec/{area}/{action}`: the service's own API (see [`AREAS`]).
    Api(Call),
    /// Runs `script` (a path in the container) CGI-style with this environment and input.
    Run {
        script: String,
        env: Vec<(String, String)>,
        input: Bytes,
    },
}

pub async fn handle(req: Request<Incoming>, init_pid: u32) -> Response<Body> {
    let done = match parse(req).await {
        Ok(op) => execute(op, init_pid).await,
        Err(e) => Err(e),
    };
    done.unwrap_or_else(KitError::into_response)
}

/// The parse half: the route, the script's name, its CGI environment and the body.
async fn parse(req: Request<Incoming>) -> Result<ExecOp, KitError> {
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/api/v1/exec/health" => return Ok(ExecOp::Health),
        "/api/v1/exec/list" => return Ok(ExecOp::List),
        managed if AREAS.iter().any(|area| managed.starts_with(&format!("/api/v1/exec/{area}/"))) => {
            let (area, action) = managed["/api/v1/exec/".len()..].split_once('/').expect("a prefix with a slash");
            let (area, action) = (area.to_owned(), action.to_owned());
            let method = req.method().clone();
            let query = crate::request::Query::parse(req.uri().query())
                .map_err(|e| KitError::new(KitCode::InvalidParameters, e))?;
            let body =
                Limited::new(req.into_body(), MAX_INPUT).collect().await.map(|b| b.to_bytes()).map_err(|_| {
                    KitError::new(
                        KitCode::PayloadTooLarge,
                        format!("request bodies are limited to {} MiB", MAX_INPUT >> 20),
                    )
                })?;
            return Ok(ExecOp::Api(Call { area, action, method, query, body, init_pid: 0 }));
        }
        // The API's own namespace is never a script's: a path of it this service lacks says so.
        api if api == "/api" || api.starts_with("/api/") => {
            return Err(KitError::new(
                KitCode::NotFound,
                format!(
                    "no exec route {} {api}: this service has /api/v1/exec/health, list and {}",
                    req.method(),
                    AREAS.map(|a| format!("{a}/*")).join(", ")
                ),
            ));
        }
        _ => {}
    }
    let (script, path_info) = route_of(&path)?;
    let mut env = cgi_env(req.method().as_str(), req.uri().query().unwrap_or(""), &path_info, &script);
    env.extend(header_vars(req.headers()));
    let input = Limited::new(req.into_body(), MAX_INPUT).collect().await.map(|body| body.to_bytes()).map_err(|_| {
        KitError::new(KitCode::PayloadTooLarge, format!("request bodies are limited to {} MiB", MAX_INPUT >> 20))
    })?;
    Ok(ExecOp::Run { script, env, input })
}

/// The execute half: the operation done in the container whose init is `init_pid`.
async fn execute(op: ExecOp, init_pid: u32) -> Result<Response<Body>, KitError> {
    let unreachable = |e| KitError::new(KitCode::ContainerUnreachable, format!("the container is not reachable: {e}"));
    match op {
        ExecOp::Health => Ok(json(StatusCode::OK, &serde_json::json!({ "status": "ok", "scripts_dir": SCRIPTS_DIR }))),
        ExecOp::List => {
            let scripts: Vec<_> = match hoody_runtime::procfs::root(init_pid).map_err(unreachable)?.list(SCRIPTS_DIR) {
                Ok(entries) => entries.into_iter().filter(|e| e.kind == "file" && executable(&e.mode)).collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(KitError::new(KitCode::Internal, e.to_string())),
            };
            Ok(json(StatusCode::OK, &serde_json::json!({ "scripts_dir": SCRIPTS_DIR, "scripts": scripts })))
        }
        ExecOp::Api(mut call) => {
            call.init_pid = init_pid;
            let (area, action, method) = (call.area.as_str(), call.action.as_str(), &call.method);
            let not_here =
                || KitError::new(KitCode::NotFound, format!("no exec route {method} /api/v1/exec/{area}/{action}"));
            match area {
                "scripts" => scripts::answer(&call).await,
                "shared-state" if *method == hyper::Method::POST => shared_state::answer(&call),
                "shared-state" => Err(KitError::new(
                    KitCode::MethodNotAllowed,
                    format!("{method} /api/v1/exec/shared-state/{action}: shared state takes POST"),
                )),
                "logs" | "monitor" => monitor::answer(&call),
                "validate" if action == "magic-comments" => comments::validate(&call.body),
                "validate" if action == "typescript" || action == "return-type" => Err(KitError::new(
                    KitCode::NotImplemented,
                    format!(
                        "validate/{action} checks TypeScript, which this service does not run (validate/syntax checks shell scripts)"
                    ),
                )),
                "dependencies" if action == "install" => Err(KitError::new(
                    KitCode::NotImplemented,
                    "dependencies/install is not done by this service: install with the container's package manager (apt-get install, apk add) in its terminal; dependencies/check says what is missing",
                )),
                "validate" if action == "dependencies" => system::answer(&call).await,
                "route" | "validate" if *method == hyper::Method::POST => tools::answer(&call).await,
                "magic-comments" => comments::answer(&call).await,
                "schedules" => schedules::answer(&call).await,
                "templates" => templates::answer(&call).await,
                "user-openapi" => openapi::answer(&call).await,
                "system" | "cache" | "dependencies" => system::answer(&call).await,
                "package" | "sdk" => Err(KitError::new(
                    KitCode::NotImplemented,
                    format!(
                        "/api/v1/exec/{area}/{action} manages the platform's JavaScript runtime (npm packages, generated SDKs), which this service does not have: its scripts run on the container's own interpreters"
                    ),
                )),
                _ => Err(not_here()),
            }
        }
        ExecOp::Run { script, env, input } => {
            let entry = match hoody_runtime::procfs::root(init_pid).map_err(unreachable)?.stat(&script) {
                Ok(entry) if entry.kind == "file" && executable(&entry.mode) => entry,
                Ok(_) => return Err(KitError::new(KitCode::NotFound, format!("{script} is not an executable file"))),
                Err(_) => {
                    return Err(KitError::new(
                        KitCode::NotFound,
                        format!("there is no script {script} in the container"),
                    ));
                }
            };
            let settings = comments::settings_of(init_pid, &script, &entry).await?;
            let method = env.iter().find(|(k, _)| k == "REQUEST_METHOD").map_or("", |(_, v)| v.as_str());
            if let Some(methods) = settings.methods.as_ref().filter(|m| !m.iter().any(|m| m == method)) {
                return Err(KitError::new(
                    KitCode::MethodNotAllowed,
                    format!("{script} answers {} (its @methods), not {method}", methods.join(", ")),
                ));
            }
            run_logged(init_pid, &script, env, input, &settings).await
        }
    }
}

/// Runs `script` as [`run`] does, with its magic comments' settings, and logs the run.
pub(crate) async fn run_logged(
    init_pid: u32,
    script: &str,
    env: Vec<(String, String)>,
    input: Bytes,
    settings: &magic::Settings,
) -> Result<Response<Body>, KitError> {
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str()).to_owned();
    let name = script.rsplit('/').next().unwrap_or(script).to_owned();
    let request = (var("REQUEST_METHOD"), format!("/{name}{}", var("PATH_INFO")));
    let id = monitor::started(init_pid, &name, &request.0, &request.1);
    let timeout = settings.timeout_secs.map_or(TIMEOUT, Duration::from_secs);
    let (mut answer, output_bytes, stderr) = run(init_pid, script, env, input, timeout).await;
    let status = answer.as_ref().map_or_else(|e| e.status(), Response::status);
    monitor::finished(init_pid, id, status.as_u16(), output_bytes, &stderr);
    if let (Ok(resp), Some(kind)) = (answer.as_mut(), settings.content_type.as_deref())
        && let Ok(kind) = HeaderValue::from_str(kind)
    {
        resp.headers_mut().insert(CONTENT_TYPE, kind);
    }
    answer
}

/// The CGI environment of a run of `script` (its request's method, query and the path after
/// the script's name), with a PATH; the request's headers are added by [`header_vars`].
pub(crate) fn cgi_env(method: &str, query: &str, path_info: &str, script: &str) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()),
        ("REQUEST_METHOD".into(), method.into()),
        ("QUERY_STRING".into(), query.into()),
        ("PATH_INFO".into(), path_info.into()),
        ("SCRIPT_NAME".into(), script.into()),
    ]
}

/// A request's headers as CGI variables: `CONTENT_TYPE`, `CONTENT_LENGTH`, `HTTP_*`.
pub(crate) fn header_vars(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let value = value.to_str().ok()?.to_owned();
            let key = name.as_str().to_ascii_uppercase().replace('-', "_");
            Some(match key.as_str() {
                "CONTENT_TYPE" | "CONTENT_LENGTH" => (key, value),
                _ => (format!("HTTP_{key}"), value),
            })
        })
        .collect()
}

/// The script a request path names (`/NAME/more` → its file, and `/more` as its PATH_INFO).
pub(crate) fn route_of(path: &str) -> Result<(String, String), KitError> {
    let (script, path_info) = split_script(path);
    let valid = !script.is_empty()
        && !script.starts_with('.')
        && script.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    match valid {
        true => Ok((format!("{SCRIPTS_DIR}/{script}"), path_info)),
        false => Err(KitError::new(KitCode::NotFound, format!("no script for {path}; scripts answer at /NAME"))),
    }
}

/// `/name/more/path` → ("name", "/more/path").
fn split_script(path: &str) -> (&str, String) {
    let rest = path.trim_start_matches('/');
    match rest.split_once('/') {
        Some((script, more)) => (script, format!("/{more}")),
        None => (rest, String::new()),
    }
}

pub(crate) fn executable(mode: &str) -> bool {
    u32::from_str_radix(mode, 8).is_ok_and(|m| m & 0o111 != 0)
}

/// Runs the script inside the container as its root, with exactly the container's rights;
/// its exit code picks the answer's status. Beside the answer: how much it wrote, and its stderr.
pub(crate) async fn run(
    init_pid: u32,
    script: &str,
    env: Vec<(String, String)>,
    input: Bytes,
    timeout: Duration,
) -> (Result<Response<Body>, KitError>, usize, Vec<u8>) {
    let child = crate::enter::contained(init_pid).and_then(|mut command| {
        command
            .args(["--", script])
            .env_clear()
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
    });
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return (Err(KitError::new(KitCode::Internal, format!("cannot start {script}: {e}"))), 0, Vec::new()),
    };
    if let Some(mut stdin) = child.stdin.take() {
        tokio::spawn(async move {
            let _ = stdin.write_all(&input).await;
        });
    }
    let out = match tokio::time::timeout(
        timeout,
        hoody_runtime::bounded::output(child, hoody_runtime::bounded::ANSWER_LIMIT),
    )
    .await
    {
        Ok(Ok(out)) => out,
        Ok(Err(e)) if hoody_runtime::bounded::is_too_much(&e) => {
            let long = KitError::new(KitCode::BadGateway, format!("{script} {e}: it was stopped"));
            return (Err(long), hoody_runtime::bounded::ANSWER_LIMIT, Vec::new());
        }
        Ok(Err(e)) => return (Err(KitError::new(KitCode::Internal, format!("{script} failed: {e}"))), 0, Vec::new()),
        Err(_) => {
            let late = KitError::new(KitCode::Timeout, format!("{script} ran longer than {}s", timeout.as_secs()));
            return (Err(late), 0, Vec::new());
        }
    };
    let written = out.stdout.len();
    let status = match out.status.code() {
        Some(0) => StatusCode::OK,
        Some(64) => StatusCode::BAD_REQUEST,
        Some(66) => StatusCode::NOT_FOUND,
        Some(69) => StatusCode::SERVICE_UNAVAILABLE,
        Some(77) => StatusCode::FORBIDDEN,
        code => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let how = code.map_or("was killed by a signal".to_owned(), |c| format!("exited with {c}"));
            let failed = KitError::new(KitCode::Internal, format!("{script} {how}: {}", stderr.trim()));
            return (Err(failed), written, out.stderr);
        }
    };
    let mut resp = Response::new(Full::new(Bytes::from(out.stdout)).map_err(|never| match never {}).boxed());
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    (Ok(resp), written, out.stderr)
}

#[cfg(test)]
mod tests {
    use super::{executable, split_script};

    #[test]
    fn script_names_and_modes() {
        assert_eq!(split_script("/hello"), ("hello", String::new()));
        assert_eq!(split_script("/hello/a/b"), ("hello", "/a/b".to_owned()));
        assert!(executable("755") && executable("700") && !executable("644"));
    }
}
