//! The terminal service (`terminal-N`): web terminals on PTYs whose shells run inside the
//! container, at the platform's paths. `GET /` is the page (xterm.js), `GET
//! /api/v1/terminal/ws?terminal_id=N` its WebSocket; `create`, `sessions`, `DELETE {id}`,
//! `write`, `paste`, `press` (named keys, listed by `keys`), `resize`, `raw` (`tail` lines),
//! `snapshot`, `history/{id}`, `find` and `wait` (the screen as a person sees it: [`screen`]),
//! and `/api/v1/system/*` (the container's processes, a signal, ports, displays: [`system`]),
//! `execute` (in a session's shell, or `ephemeral=true` in a process of its own) and
//! `result/{command_id}` drive sessions over plain HTTP. A documented field or parameter this
//! service does not honour yet is a 501 naming it, never ignored.
//!
//! Sessions are numbered 1–65535 per container (`terminal-N` opens session N) and live until
//! their shell exits, they are deleted, or the container stops (the shell is in its pid
//! namespace). Reloading the page re-attaches and re-draws the scrollback. Session N gets
//! `DISPLAY=:N`, the display of `display-N`.

mod automation;
mod execute;
mod input;
mod picture;
mod screen;
mod session;
mod socket;
mod system;

pub use system::{is_power, power};

use crate::error::{KitCode, KitError};
use crate::proxy::{Body, json};
use crate::request::{Query, body};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use session::Launch;
pub use session::Session;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};

/// Sessions one container may hold at a time.
pub const MAX_SESSIONS: usize = 16;
/// Ids the platform keeps for ephemeral commands.
const EPHEMERAL_IDS: std::ops::RangeInclusive<u16> = 40_000..=65_535;
const MAX_BODY: usize = 1 << 20;
const API: &str = "/api/v1/terminal";

/// Every container's terminal sessions.
#[derive(Debug, Default)]
pub struct Terminals {
    containers: Mutex<HashMap<String, Sessions>>,
    results: execute::Results,
    automation: Arc<automation::Automation>,
}

#[derive(Debug)]
struct Sessions {
    /// Sessions belong to one run of the container: a new init means they are gone.
    init_pid: u32,
    by_id: BTreeMap<u16, Arc<Session>>,
}

/// A session as `GET /sessions` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionInfo {
    pub terminal_id: u16,
    pub pid: u32,
    pub cols: u16,
    pub rows: u16,
    pub clients: usize,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
}

impl Terminals {
    /// The live sessions of a container (empty when it runs no more under `init_pid`).
    pub fn sessions(&self, container: &str, init_pid: u32) -> Vec<SessionInfo> {
        let containers = self.containers.lock().expect("terminals lock");
        let Some(sessions) = containers.get(container).filter(|s| s.init_pid == init_pid) else { return vec![] };
        sessions
            .by_id
            .values()
            .filter(|s| !s.is_ended())
            .map(|s| {
                let (cols, rows) = s.size();
                SessionInfo {
                    terminal_id: s.id,
                    pid: s.pid(),
                    cols,
                    rows,
                    clients: s.clients(),
                    created_at: s.created_at.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
                }
            })
            .collect()
    }

    /// The container no longer runs (its shells ended with it).
    pub fn forget(&self, container: &str) {
        self.containers.lock().expect("terminals lock").remove(container);
    }

    fn find(&self, container: &str, init_pid: u32, id: u16) -> Option<Arc<Session>> {
        let containers = self.containers.lock().expect("terminals lock");
        let sessions = containers.get(container).filter(|s| s.init_pid == init_pid)?;
        sessions.by_id.get(&id).filter(|s| !s.is_ended()).cloned()
    }

    /// Session `id` (or the lowest free id), started if it is not running; true if new.
    fn open(
        self: &Arc<Self>,
        container: &str,
        init_pid: u32,
        id: Option<u16>,
        size: (u16, u16),
        choice: &ShellChoice,
    ) -> Result<(Arc<Session>, bool), KitError> {
        let mut containers = self.containers.lock().expect("terminals lock");
        let sessions =
            containers.entry(container.to_owned()).or_insert_with(|| Sessions { init_pid, by_id: BTreeMap::new() });
        if sessions.init_pid != init_pid {
            // The container restarted: its old shells died with it.
            *sessions = Sessions { init_pid, by_id: BTreeMap::new() };
        }
        sessions.by_id.retain(|_, s| !s.is_ended());
        let id = match id {
            Some(id) => id,
            None => (1..*EPHEMERAL_IDS.start())
                .find(|id| !sessions.by_id.contains_key(id))
                .ok_or_else(|| KitError::of_status(StatusCode::CONFLICT, "every session id is taken"))?,
        };
        if let Some(session) = sessions.by_id.get(&id) {
            if choice.shell.is_some() || choice.cwd.is_some() {
                return Err(KitError::new(
                    KitCode::Conflict,
                    format!("session {id} already runs: delete it first to start it with another shell or cwd"),
                ));
            }
            return Ok((session.clone(), false));
        }
        if sessions.by_id.len() >= MAX_SESSIONS {
            return Err(KitError::of_status(
                StatusCode::TOO_MANY_REQUESTS,
                format!("a container may have {MAX_SESSIONS} terminal sessions; delete one first"),
            ));
        }
        let launch = launch(init_pid, id, size, choice)?;
        let hub: Weak<Self> = Arc::downgrade(self);
        let key = container.to_owned();
        let started = Session::start(id, &launch, move || {
            if let Some(hub) = hub.upgrade() {
                let mut containers = hub.containers.lock().expect("terminals lock");
                if let Some(sessions) = containers.get_mut(&key) {
                    sessions.by_id.retain(|_, s| !s.is_ended());
                }
            }
        })
        .map_err(|e| {
            KitError::of_status(StatusCode::INTERNAL_SERVER_ERROR, format!("the terminal did not start: {e}"))
        })?;
        sessions.by_id.insert(id, started.clone());
        Ok((started, true))
    }

    fn remove(&self, container: &str, init_pid: u32, id: u16) -> Option<Arc<Session>> {
        let mut containers = self.containers.lock().expect("terminals lock");
        let sessions = containers.get_mut(container).filter(|s| s.init_pid == init_pid)?;
        sessions.by_id.remove(&id)
    }
}

/// What a `create` asks of a new session's shell (nothing: root's login shell, in its home).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ShellChoice {
    /// An absolute path to a program in the container.
    pub shell: Option<String>,
    /// An absolute path to a directory in the container.
    pub cwd: Option<String>,
}

/// The shell and environment of a new session: the chosen shell, or root's login shell from
/// the container's /etc/passwd (or /bin/sh); the init's environment, and the terminal's own
/// variables.
fn launch(init_pid: u32, id: u16, (cols, rows): (u16, u16), choice: &ShellChoice) -> Result<Launch, KitError> {
    let root = hoody_runtime::procfs::root(init_pid).map_err(|e| {
        KitError::of_status(StatusCode::SERVICE_UNAVAILABLE, format!("the container cannot start a shell: {e}"))
    })?;
    let is = |path: &str, kind: &str| {
        path.starts_with('/') && root.stat(path.trim_start_matches('/')).is_ok_and(|e| e.kind == kind)
    };
    if let Some(cwd) = choice.cwd.as_deref().filter(|cwd| !is(cwd, "dir")) {
        return Err(KitError::new(
            KitCode::InvalidParameters,
            format!("cwd {cwd:?} is not a directory in the container"),
        ));
    }
    let shell = match choice.shell.as_deref() {
        Some(shell) if is(shell, "file") => shell.to_owned(),
        Some(shell) => {
            return Err(KitError::new(
                KitCode::InvalidParameters,
                format!("shell {shell:?} is not a program in the container (give its absolute path)"),
            ));
        }
        None => root
            .read("etc/passwd")
            .ok()
            .flatten()
            .and_then(|passwd| {
                passwd.lines().find(|l| l.starts_with("root:")).and_then(|l| l.rsplit(':').next()).map(str::to_owned)
            })
            .filter(|shell| is(shell, "file"))
            .unwrap_or_else(|| "/bin/sh".to_owned()),
    };
    // The init's own environment (the container's variables) is added inside, by hoody-enter
    // (`--init-env`): only the container's root may read it. These go on top of it.
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in [("TERM", "xterm-256color"), ("HOME", "/root"), ("USER", "root"), ("LOGNAME", "root")] {
        env.insert(k.into(), v.into());
    }
    env.insert("SHELL".into(), shell.clone());
    env.insert("DISPLAY".into(), format!(":{id}"));
    Ok(Launch { init_pid, shell, cwd: choice.cwd.clone(), env: env.into_iter().collect(), cols, rows })
}

/// Inside the container: one `/api/v1/system/*` operation (called by [`crate::inside`]).
pub(crate) fn system_inside(request: &[u8]) -> (crate::inside::Reply, Vec<u8>) {
    system::execute_inside(request)
}

/// The longest a look at the container's processes or ports may take.
const SYSTEM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The routes that take a POST (checked before their parameters are read, so that a route
/// this service lacks is told as such).
const POST_ROUTES: &[&str] = &["/create", "/write", "/paste", "/press", "/resize", "/execute", "/wait"];

/// Colours and highlights in snapshots are not kept by the screen emulation here yet.
fn refuse_colors(colors: bool, highlights: bool) -> Result<(), KitError> {
    match (colors, highlights) {
        (false, false) => Ok(()),
        _ => Err(KitError::new(
            KitCode::NotImplemented,
            "include_colors and include_highlights are not honoured yet: the screen comes as plain text",
        )),
    }
}

/// A count given in the query (`limit`, `scroll_offset`).
fn count(query: &Query, name: &str) -> Result<Option<usize>, KitError> {
    query
        .get(name)
        .map(|raw| {
            raw.parse::<usize>().map_err(|_| {
                KitError::new(KitCode::InvalidParameters, format!("{name} must be a whole number, not {raw:?}"))
            })
        })
        .transpose()
}

/// What the platform's `create` takes that sessions here do not do yet (each a 501 naming it).
const CREATE_NOT_YET: &[&str] = &[
    "ephemeral",
    "display",
    "shell",
    "user",
    "cwd",
    "startup_script",
    "welcome",
    "debug",
    "desktop",
    "desktop_env",
    "wait_until_display",
    "wait_timeout",
    "ssh_host",
    "ssh_user",
    "ssh_port",
    "ssh_password",
    "ssh_key",
    "socks5_host",
    "socks5_port",
    "socks5_user",
    "socks5_pass",
];

/// Query or JSON-body parameters of the session routes.
#[derive(Debug, Default, Deserialize)]
struct Params {
    terminal_id: Option<serde_json::Value>,
    cols: Option<u16>,
    rows: Option<u16>,
}

fn terminal_id(query: &Query, params: &Params) -> Result<Option<u16>, KitError> {
    let raw = match (&params.terminal_id, query.get("terminal_id")) {
        (Some(serde_json::Value::Number(n)), _) => n.to_string(),
        (Some(serde_json::Value::String(s)), _) => s.clone(),
        (_, Some(q)) => q.to_owned(),
        _ => return Ok(None),
    };
    match raw.parse::<u32>() {
        Ok(0) => Ok(None), // the platform's "no id"
        Ok(id @ 1..=65_535) => Ok(Some(id as u16)),
        _ => Err(KitError::of_status(
            StatusCode::BAD_REQUEST,
            format!("terminal_id must be a number from 1 to 65535, not {raw:?}"),
        )),
    }
}

/// What a request asks of the terminal service, parsed before any session is touched.
#[derive(Debug)]
enum TerminalOp {
    Health,
    /// The WebSocket of session `id` (opened when missing).
    Socket {
        id: u16,
        size: (u16, u16),
    },
    Sessions,
    /// Session `id`'s screen as a PNG.
    Screenshot {
        id: u16,
        style: picture::Style,
    },
    /// The terminal service's own settings (`/api/v1/system/daemon`).
    Daemon,
    /// What `execute` did here, and what session `id` runs now.
    AutomationMetrics,
    AutomationState {
        id: u16,
    },
    /// The key names `press` takes.
    Keys,
    /// The container's processes, ports and displays (`/api/v1/system/*`).
    System(system::SystemOp),
    /// Session `id`'s screen, `scroll_offset` lines up.
    Snapshot {
        id: u16,
        scroll_offset: usize,
    },
    /// Every line session `id` keeps.
    History {
        id: u16,
    },
    Find {
        id: u16,
        pattern: regex::Regex,
        scope: screen::Scope,
        limit: usize,
        scroll_offset: usize,
    },
    Wait {
        id: u16,
        until: screen::Until,
        timeout: std::time::Duration,
    },
    /// Session `id`'s scrollback as text (its last `tail` lines).
    Scrollback {
        id: u16,
        tail: Option<usize>,
    },
    /// A command's result, by its id.
    Result(String),
    /// Stops a command started without `wait`.
    Abort {
        command: String,
        body: bytes::Bytes,
    },
    Execute {
        query: Query,
        body: bytes::Bytes,
    },
    /// Session `id` (or a new number), opened when missing.
    Create {
        id: Option<u16>,
        size: (u16, u16),
        choice: ShellChoice,
    },
    Close {
        id: u16,
    },
    Write {
        id: u16,
        data: Vec<u8>,
    },
    Resize {
        id: u16,
        size: (u16, u16),
    },
}

pub async fn handle(
    terminals: &Arc<Terminals>,
    req: Request<Incoming>,
    container: &str,
    init_pid: u32,
    service_n: u16,
) -> Response<Body> {
    let done = match parse(req, service_n).await {
        Ok((op, upgrade)) => execute(terminals, op, upgrade, container, init_pid).await,
        Err(e) => Err(e),
    };
    done.unwrap_or_else(KitError::into_response)
}

/// The parse half: the route, the session it names, sizes and bodies. A WebSocket's request
/// comes back with its operation, to be upgraded.
async fn parse(req: Request<Incoming>, service_n: u16) -> Result<(TerminalOp, Option<Request<Incoming>>), KitError> {
    let query = Query::parse(req.uri().query()).map_err(|e| KitError::new(KitCode::InvalidParameters, e))?;
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if (&method, path.as_str()) == (&Method::GET, "/api/v1/system/daemon") {
        return Ok((TerminalOp::Daemon, None));
    }
    if let Some(route) = path.strip_prefix("/api/v1/system") {
        let route = route.to_owned();
        let is_post = method == Method::POST;
        let fields: serde_json::Map<String, serde_json::Value> = match is_post {
            true => {
                let raw =
                    body(req.into_body(), MAX_BODY).await.map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
                match raw.is_empty() {
                    true => serde_json::Map::new(),
                    false => serde_json::from_slice(&raw).map_err(|e| {
                        KitError::new(KitCode::InvalidJson, format!("the body is not a JSON object: {e}"))
                    })?,
                }
            }
            false => serde_json::Map::new(),
        };
        return Ok((TerminalOp::System(system::SystemOp::parse(&method, &route, &query, &fields)?), None));
    }
    let Some(route) = path.strip_prefix(API).map(str::to_owned) else {
        return Err(KitError::new(KitCode::NotFound, format!("no terminal route {path}; the API is under {API}")));
    };
    let size = |p: &Params| {
        (
            p.cols.or(query.get("cols").and_then(|c| c.parse().ok())).unwrap_or(80),
            p.rows.or(query.get("rows").and_then(|r| r.parse().ok())).unwrap_or(24),
        )
    };
    let no_route = |method: &Method, route: &str| {
        KitError::new(KitCode::NotFound, format!("no terminal route {method} {API}{route}"))
    };
    let op = match (method.clone(), route.as_str()) {
        (Method::GET, "/health") => TerminalOp::Health,
        (Method::GET, "/ws") => {
            let params = Params::default();
            let id = terminal_id(&query, &params)?.unwrap_or(service_n);
            return Ok((TerminalOp::Socket { id, size: size(&params) }, Some(req)));
        }
        (Method::GET, "/sessions") => TerminalOp::Sessions,
        (Method::GET, "/automation/metrics") => TerminalOp::AutomationMetrics,
        (Method::GET, "/screenshot") => {
            if let Some(format) = query.get("format").filter(|f| !["", "png"].contains(f)) {
                return Err(KitError::new(
                    KitCode::NotImplemented,
                    format!("format={format}: screenshots are PNG here"),
                ));
            }
            if query.flag("save") {
                return Err(KitError::new(KitCode::NotImplemented, "save is not honoured: the PNG is the answer"));
            }
            let mut style = picture::Style::default();
            if let Some(fg) = query.get("foreground") {
                style.foreground = picture::colour("foreground", fg)?;
            }
            if let Some(bg) = query.get("background") {
                style.background = picture::colour("background", bg)?;
            }
            if let Some(size) = query.get("fontsize") {
                style.font_size = size.parse::<f32>().ok().filter(|s| picture::SIZES.contains(s)).ok_or_else(|| {
                    KitError::new(KitCode::InvalidParameters, format!("fontsize is 8 to 48 pixels, not {size:?}"))
                })?;
            }
            let id = terminal_id(&query, &Params::default())?
                .ok_or_else(|| KitError::new(KitCode::InvalidParameters, "terminal_id is required"))?;
            TerminalOp::Screenshot { id, style }
        }
        (Method::GET, state) if state.ends_with("/automation") && state.matches('/').count() == 2 => {
            let raw = &state[1..state.len() - "/automation".len()];
            let id = raw.parse::<u16>().ok().filter(|n| *n > 0).ok_or_else(|| {
                KitError::new(
                    KitCode::InvalidParameters,
                    format!("terminal_id must be a number from 1 to 65535, not {raw:?}"),
                )
            })?;
            TerminalOp::AutomationState { id }
        }
        (Method::GET, "/keys") => TerminalOp::Keys,
        (Method::GET, "/snapshot") => {
            refuse_colors(query.flag("include_colors"), query.flag("include_highlights"))?;
            let id = terminal_id(&query, &Params::default())?.unwrap_or(service_n);
            TerminalOp::Snapshot { id, scroll_offset: count(&query, "scroll_offset")?.unwrap_or(0) }
        }
        (Method::GET, history) if history.starts_with("/history/") => {
            let raw = &history["/history/".len()..];
            let id = raw.parse::<u16>().ok().filter(|n| *n > 0).ok_or_else(|| {
                KitError::new(
                    KitCode::InvalidParameters,
                    format!("terminal_id must be a number from 1 to 65535, not {raw:?}"),
                )
            })?;
            TerminalOp::History { id }
        }
        (Method::GET, "/find") => {
            let id = terminal_id(&query, &Params::default())?.unwrap_or(service_n);
            let raw =
                query.get("pattern").ok_or_else(|| KitError::new(KitCode::InvalidParameters, "pattern is required"))?;
            let pattern = screen::pattern(raw, query.flag("case_insensitive"))?;
            let scope = screen::Scope::parse(query.get("scope"))?;
            let limit = count(&query, "limit")?.unwrap_or(100).clamp(1, 10_000);
            TerminalOp::Find { id, pattern, scope, limit, scroll_offset: count(&query, "scroll_offset")?.unwrap_or(0) }
        }
        (Method::GET, "/raw") => {
            if let Some(format) = query.get("format").filter(|f| *f != "raw") {
                return Err(KitError::new(
                    KitCode::NotImplemented,
                    format!("format={format} is not honoured yet: the output comes as the terminal wrote it (raw)"),
                ));
            }
            let tail = match query.get("tail") {
                None => None,
                Some(n) => Some(n.parse::<usize>().map_err(|_| {
                    KitError::new(KitCode::InvalidParameters, format!("tail must be a number of lines, not {n:?}"))
                })?),
            };
            TerminalOp::Scrollback { id: terminal_id(&query, &Params::default())?.unwrap_or(service_n), tail }
        }
        (Method::GET, result) if result.starts_with("/result/") => {
            TerminalOp::Result(result["/result/".len()..].to_owned())
        }
        (Method::POST, abort) if abort.starts_with("/execute/") && abort.ends_with("/abort") => {
            let id = abort["/execute/".len()..abort.len() - "/abort".len()].to_owned();
            let raw = body(req.into_body(), MAX_BODY).await.map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
            return Ok((TerminalOp::Abort { command: id, body: raw }, None));
        }
        (Method::POST, route) if !POST_ROUTES.contains(&route) => return Err(no_route(&Method::POST, route)),
        (Method::DELETE, route)
            if !route.is_empty() && route.strip_prefix('/').and_then(|n| n.parse::<u32>().ok()).is_none() =>
        {
            return Err(no_route(&Method::DELETE, route));
        }
        (Method::POST | Method::DELETE, _) => {
            let is_json = req
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            let raw = body(req.into_body(), MAX_BODY).await.map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
            if (&method, route.as_str()) == (&Method::POST, "/execute") {
                return Ok((TerminalOp::Execute { query, body: raw }, None));
            }
            let fields: serde_json::Map<String, serde_json::Value> = match is_json && !raw.is_empty() {
                true => serde_json::from_slice(&raw)
                    .map_err(|e| KitError::new(KitCode::InvalidJson, format!("the body is not a JSON object: {e}")))?,
                false => serde_json::Map::new(),
            };
            let params: Params = serde_json::from_value(serde_json::Value::Object(fields.clone()))
                .map_err(|e| KitError::new(KitCode::InvalidParameters, format!("the body does not fit: {e}")))?;
            let id = match (&method, route.strip_prefix('/').and_then(|r| r.parse::<u16>().ok())) {
                (&Method::DELETE, Some(id)) => Some(id),
                _ => terminal_id(&query, &params)?,
            };
            match (method, route.as_str()) {
                (Method::POST, "/create") => {
                    input::check_fields(&fields, &["terminal_id", "cols", "rows", "shell", "cwd"], CREATE_NOT_YET)?;
                    let text = |name: &str| match fields.get(name) {
                        None | Some(serde_json::Value::Null) => Ok(None),
                        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                        Some(_) => Err(KitError::new(KitCode::InvalidParameters, format!("{name} must be a path"))),
                    };
                    let choice = ShellChoice { shell: text("shell")?, cwd: text("cwd")? };
                    TerminalOp::Create { id, size: size(&params), choice }
                }
                (Method::DELETE, _) => {
                    let id = id.ok_or_else(|| {
                        KitError::new(KitCode::InvalidParameters, "name the session: DELETE /api/v1/terminal/{id}")
                    })?;
                    TerminalOp::Close { id }
                }
                (Method::POST, "/write") => {
                    let data = if is_json { input::write(&fields)? } else { raw.to_vec() };
                    TerminalOp::Write { id: id.unwrap_or(service_n), data }
                }
                (Method::POST, "/wait") => {
                    input::check_fields(
                        &fields,
                        &[
                            "terminal_id",
                            "mode",
                            "debounce_ms",
                            "pattern",
                            "timeout_ms",
                            "search_scope",
                            "include_colors",
                            "include_highlights",
                        ],
                        &[],
                    )?;
                    let flag = |name: &str| fields.get(name).and_then(serde_json::Value::as_bool).unwrap_or(false);
                    refuse_colors(flag("include_colors"), flag("include_highlights"))?;
                    let millis = |name: &str, default: u64| match fields.get(name) {
                        None | Some(serde_json::Value::Null) => Ok(default),
                        Some(v) => v.as_u64().ok_or_else(|| {
                            KitError::new(
                                KitCode::InvalidParameters,
                                format!("{name} must be a number of milliseconds"),
                            )
                        }),
                    };
                    let timeout = std::time::Duration::from_millis(millis("timeout_ms", 30_000)?.min(120_000));
                    let pattern = fields.get("pattern").and_then(serde_json::Value::as_str);
                    let mode = fields.get("mode").and_then(serde_json::Value::as_str);
                    let until = match (mode, pattern) {
                        (None | Some("pattern" | "match" | "text"), Some(raw)) => screen::Until::Shows(
                            screen::pattern(raw, false)?,
                            screen::Scope::parse(fields.get("search_scope").and_then(serde_json::Value::as_str))?,
                        ),
                        (None | Some("idle" | "stable" | "quiet"), None) => {
                            screen::Until::Quiet(std::time::Duration::from_millis(millis("debounce_ms", 500)?))
                        }
                        (Some(mode), _) => {
                            return Err(KitError::new(
                                KitCode::InvalidParameters,
                                format!(
                                    "mode {mode:?} with{} a pattern: use mode idle (no pattern) or pattern (with one)",
                                    if pattern.is_some() { "" } else { "out" }
                                ),
                            ));
                        }
                    };
                    TerminalOp::Wait { id: id.unwrap_or(service_n), until, timeout }
                }
                (Method::POST, "/paste") => {
                    TerminalOp::Write { id: id.unwrap_or(service_n), data: input::paste(&fields)? }
                }
                (Method::POST, "/press") => {
                    TerminalOp::Write { id: id.unwrap_or(service_n), data: input::press(&fields)? }
                }
                (Method::POST, "/resize") => {
                    input::check_fields(&fields, &["terminal_id", "cols", "rows"], &[])?;
                    TerminalOp::Resize { id: id.unwrap_or(service_n), size: size(&params) }
                }
                (method, route) => return Err(no_route(&method, route)),
            }
        }
        (method, route) => return Err(no_route(&method, route)),
    };
    Ok((op, None))
}

/// The execute half: the operation done on the container's sessions.
async fn execute(
    terminals: &Arc<Terminals>,
    op: TerminalOp,
    upgrade: Option<Request<Incoming>>,
    container: &str,
    init_pid: u32,
) -> Result<Response<Body>, KitError> {
    let find = |id: u16| terminals.find(container, init_pid, id).ok_or_else(|| no_session(id));
    Ok(match op {
        TerminalOp::Health => json(StatusCode::OK, &json!({ "status": "ok", "service": "terminal" })),
        TerminalOp::Socket { id, size } => {
            let (session, _) = terminals.open(container, init_pid, Some(id), size, &ShellChoice::default())?;
            let req = upgrade.expect("a WebSocket's request comes with its operation");
            crate::websocket::accept(req, move |ws| socket::serve(ws, session))
        }
        TerminalOp::Sessions => json(StatusCode::OK, &json!({ "sessions": terminals.sessions(container, init_pid) })),
        TerminalOp::Screenshot { id, style } => {
            let session = find(id)?;
            let mut parser = screen::emulator(session.size());
            parser.process(&session.scrollback());
            let png = tokio::task::spawn_blocking(move || picture::render(&parser, style))
                .await
                .map_err(|e| KitError::new(KitCode::Internal, e.to_string()))??;
            crate::proxy::with_type(StatusCode::OK, png.into(), "image/png")
        }
        TerminalOp::Daemon => json(StatusCode::OK, &execute::daemon_settings()),
        TerminalOp::AutomationMetrics => json(StatusCode::OK, &terminals.automation.metrics(container, init_pid)),
        TerminalOp::AutomationState { id } => {
            find(id)?;
            json(StatusCode::OK, &terminals.automation.state(container, init_pid, id))
        }
        TerminalOp::Keys => json(StatusCode::OK, &input::supported_keys()),
        TerminalOp::System(op) => {
            let (reply, body) = crate::inside::run(init_pid, "system", &op, bytes::Bytes::new(), SYSTEM_TIMEOUT)
                .await
                .map_err(|e| KitError::new(KitCode::ContainerUnreachable, e))?;
            crate::inside::reply_to_response(reply, body)
        }
        TerminalOp::Snapshot { id, scroll_offset } => {
            let session = find(id)?;
            let screen = screen::Screen::of(&session.scrollback(), session.size(), scroll_offset);
            json(StatusCode::OK, &screen::snapshot(id, &screen, scroll_offset))
        }
        TerminalOp::History { id } => {
            let session = find(id)?;
            let lines = screen::Screen::of(&session.scrollback(), session.size(), 0).all_lines();
            json(StatusCode::OK, &json!({ "terminal_id": id, "count": lines.len(), "lines": lines }))
        }
        TerminalOp::Find { id, pattern, scope, limit, scroll_offset } => {
            let session = find(id)?;
            let screen = screen::Screen::of(&session.scrollback(), session.size(), scroll_offset);
            json(StatusCode::OK, &screen::find(&screen, &pattern, scope, limit))
        }
        TerminalOp::Wait { id, until, timeout } => {
            let session = find(id)?;
            let mut answer = screen::wait(&session, until, timeout).await?;
            let screen = screen::Screen::of(&session.scrollback(), session.size(), 0);
            answer["terminal_id"] = json!(id);
            answer["snapshot"] = screen::snapshot(id, &screen, 0);
            json(StatusCode::OK, &answer)
        }
        TerminalOp::Scrollback { id, tail } => crate::proxy::with_type(
            StatusCode::OK,
            bytes::Bytes::from(last_lines(find(id)?.scrollback(), tail)),
            "text/plain; charset=utf-8",
        ),
        TerminalOp::Result(command) => terminals.results.answer(&command),
        TerminalOp::Abort { command, body } => terminals.results.abort(&command, &body).await,
        TerminalOp::Execute { query, body } => execute::handle(terminals, &query, &body, container, init_pid).await,
        TerminalOp::Create { id, size, choice } => {
            let (session, created) = terminals.open(container, init_pid, id, size, &choice)?;
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            let pid = session.started().await;
            json(status, &json!({ "success": true, "terminal_id": session.id, "pid": pid, "created": created }))
        }
        TerminalOp::Close { id } => {
            let session = terminals.remove(container, init_pid, id).ok_or_else(|| no_session(id))?;
            session.end().await;
            json(StatusCode::OK, &json!({ "success": true, "terminal_id": id }))
        }
        TerminalOp::Write { id, data } => {
            find(id)?
                .write(&data)
                .await
                .map_err(|e| KitError::new(KitCode::BadGateway, format!("the terminal did not take the input: {e}")))?;
            json(StatusCode::OK, &json!({ "success": true, "terminal_id": id, "bytes": data.len() }))
        }
        TerminalOp::Resize { id, size: (cols, rows) } => {
            find(id)?.resize(cols, rows).map_err(|e| KitError::new(KitCode::Internal, e.to_string()))?;
            json(StatusCode::OK, &json!({ "success": true, "cols": cols, "rows": rows }))
        }
    })
}

/// The last `tail` lines of `output` (all of it without `tail`); a last line without its
/// newline counts.
fn last_lines(output: Vec<u8>, tail: Option<usize>) -> Vec<u8> {
    let Some(tail) = tail.filter(|n| *n > 0) else {
        return if tail == Some(0) { Vec::new() } else { output };
    };
    let body = output.strip_suffix(b"\n").unwrap_or(&output);
    let start = body.iter().enumerate().rev().filter(|(_, b)| **b == b'\n').nth(tail - 1).map_or(0, |(at, _)| at + 1);
    output[start..].to_vec()
}

fn no_session(id: u16) -> KitError {
    KitError::new(KitCode::NotFound, format!("there is no terminal session {id}; create it first"))
}

#[cfg(test)]
mod tests {
    use super::last_lines;

    #[test]
    fn tail_keeps_the_last_lines() {
        let out = |text: &str, tail| String::from_utf8(last_lines(text.as_bytes().to_vec(), tail)).unwrap();
        assert_eq!(out("a\nb\nc\n", Some(2)), "b\nc\n");
        assert_eq!(out("a\nb\nc", Some(1)), "c");
        assert_eq!(out("a\nb\n", Some(5)), "a\nb\n");
        assert_eq!(out("a\nb\n", Some(0)), "");
        assert_eq!(out("a\nb\n", None), "a\nb\n");
    }
}
