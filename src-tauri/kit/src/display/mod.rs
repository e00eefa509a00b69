//! The display service (`display-N`): a real X display for the container, shown in the
//! browser. Display N is TigerVNC's `Xvnc` (an X server with a VNC server built in, the job
//! of Xvfb plus a VNC server in one process), the container's own (package
//! `tigervnc-standalone-server`), started inside it on first use like every kit process:
//! as its root with exactly its rights, in its cgroups (its limits hold it, pausing freezes
//! it) and namespaces, adopted by its init (it ends with the container). Programs inside
//! reach `:N` as usual (`/tmp/.X11-unix/XN` and the abstract socket). It serves VNC on
//! 127.0.0.1:[`VNC_BASE`]+N inside the container's network, which the page's WebSocket is
//! bridged to, as the proxy reaches any port of a container.
//!
//! `GET /` is the noVNC page; `GET /api/v1/display/screenshot` a PNG; `POST
//! /api/v1/display/keyboard/type`, `/keyboard/key` and `/mouse/click` act on the display
//! (xdotool); `POST /api/v1/display/resize` sets its size (as the page does to fit its window);
//! `GET /api/v1/display/info` describes it. Terminal session N has `DISPLAY=:N`.

mod rfb;
mod xsetup;
mod xwd;

use crate::error::{KitCode, KitError};
use crate::proxy::{Body, json, with_type};
use crate::request::{Query, body};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

/// Displays one container may run at a time.
pub const MAX_DISPLAYS: usize = 4;
const DEFAULT_GEOMETRY: (u16, u16) = (1280, 800);
/// The sizes a display may have.
const WIDTHS: std::ops::RangeInclusive<u16> = 320..=7680;
const HEIGHTS: std::ops::RangeInclusive<u16> = 200..=4320;
/// Where the X servers' logs live inside the container.
const LOG_DIR: &str = "/run/hoody-kit";
/// Display N serves VNC on this port + N, on the container's loopback.
const VNC_BASE: u16 = 5900;
const API: &str = "/api/v1/display";
const START_TIMEOUT: Duration = Duration::from_secs(10);
const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

/// Every container's displays.
#[derive(Debug, Default)]
pub struct Displays(tokio::sync::Mutex<HashMap<String, Set>>);

#[derive(Debug)]
struct Set {
    init_pid: u32,
    by_n: BTreeMap<u16, Arc<Display>>,
}

#[derive(Debug)]
pub struct Display {
    n: u16,
    /// Host pid of the X server.
    pid: u32,
    /// Host pid of the container's init, whose network the display is reached in.
    init_pid: u32,
    /// Its size when last read (width << 16 | height); it changes when resized.
    size: AtomicU32,
    clients: AtomicUsize,
}

/// A display as runtime info lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DisplayInfo {
    #[serde(skip)]
    pub n: u16,
    pub display: String,
    pub pid: u32,
    pub width: u16,
    pub height: u16,
    pub clients: usize,
}

impl Display {
    fn new(n: u16, pid: u32, init_pid: u32, size: (u16, u16)) -> Self {
        let size = AtomicU32::new(u32::from(size.0) << 16 | u32::from(size.1));
        Self { n, pid, init_pid, size, clients: AtomicUsize::new(0) }
    }

    /// Its server runs. (Probing the VNC port with a connection would count as a failed VNC
    /// login.)
    fn alive(&self) -> bool {
        hoody_runtime::is_alive(self.pid)
    }

    /// A connection to its VNC server.
    async fn vnc(&self) -> std::io::Result<tokio::net::TcpStream> {
        crate::netns::connect(self.init_pid, VNC_BASE + self.n).await
    }

    async fn info(&self) -> DisplayInfo {
        // A paused container's X server is frozen too: then the size last read.
        let x_socket = format!("/tmp/.X11-unix/X{}", self.n);
        let live = tokio::time::timeout(Duration::from_millis(250), async {
            xsetup::screen_size(crate::netns::connect_abstract(self.init_pid, &x_socket).await?).await
        })
        .await;
        if let Ok(Ok((width, height))) = live {
            self.size.store(u32::from(width) << 16 | u32::from(height), Ordering::Relaxed);
        }
        let size = self.size.load(Ordering::Relaxed);
        let (width, height) = ((size >> 16) as u16, size as u16);
        DisplayInfo {
            n: self.n,
            display: format!(":{}", self.n),
            pid: self.pid,
            width,
            height,
            clients: self.clients.load(Ordering::Relaxed),
        }
    }
}

impl Displays {
    /// The running displays of a container.
    pub async fn list(&self, container: &str, init_pid: u32) -> Vec<DisplayInfo> {
        let sets = self.0.lock().await;
        let Some(set) = sets.get(container).filter(|s| s.init_pid == init_pid) else { return vec![] };
        let mut infos = Vec::new();
        for display in set.by_n.values().filter(|d| d.alive()) {
            infos.push(display.info().await);
        }
        infos
    }

    /// The container no longer runs (its X servers ended with it, and everything they left
    /// was inside it): drops its displays.
    pub async fn forget(&self, container: &str) {
        self.0.lock().await.remove(container);
    }

    /// Display `n` of the container, started if it is not running.
    async fn ensure(&self, container: &str, init_pid: u32, n: u16, size: (u16, u16)) -> Result<Arc<Display>, KitError> {
        let mut sets = self.0.lock().await;
        let set = sets.entry(container.to_owned()).or_insert_with(|| Set { init_pid, by_n: BTreeMap::new() });
        if set.init_pid != init_pid {
            *set = Set { init_pid, by_n: BTreeMap::new() }; // its X servers ended with the container
        }
        set.by_n.retain(|_, d| d.alive());
        if let Some(display) = set.by_n.get(&n) {
            return Ok(display.clone());
        }
        if set.by_n.len() >= MAX_DISPLAYS {
            return Err(KitError::of_status(
                StatusCode::TOO_MANY_REQUESTS,
                format!("a container may run {MAX_DISPLAYS} displays; {n} would be one more"),
            ));
        }
        let display = Arc::new(start(init_pid, n, size).await?);
        set.by_n.insert(n, display.clone());
        Ok(display)
    }
}

/// Starts `Xvnc :n` inside the container (or adopts one already running there).
async fn start(init_pid: u32, n: u16, size: (u16, u16)) -> Result<Display, KitError> {
    let unavailable = |why: String| KitError::of_status(StatusCode::SERVICE_UNAVAILABLE, why);
    if let Some(pid) = find_server(init_pid, n) {
        return Ok(Display::new(n, pid, init_pid, size));
    }
    let port = VNC_BASE + n;
    let script = "mkdir -p \"$4\" /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix || exit 1; \
                  command -v Xvnc >/dev/null || { echo 'this container has no X server (Xvnc): \
                  install tigervnc-standalone-server in it (apt-get install tigervnc-standalone-server xdotool x11-apps)' >&2; exit 127; }; \
                  exec Xvnc \":$1\" -geometry \"$3\" -depth 24 -SecurityTypes None -BlacklistThreshold 1000000 \
                  -rfbport \"$2\" -localhost -AlwaysShared -desktop \"display-$1\" </dev/null >\"$4/display-$1.log\" 2>&1";
    // Detached: the container's init adopts the server (and reaps it).
    let mut launcher = crate::enter::contained(init_pid)
        .map_err(|e| unavailable(e.to_string()))?
        .args(["--detach", "--setsid", "--", "/bin/sh", "-c", script, "sh"])
        .arg(n.to_string())
        .arg(port.to_string())
        .arg(format!("{}x{}", size.0, size.1))
        .arg(LOG_DIR)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| unavailable(format!("the X server did not start: {e}")))?;
    let launched = launcher.wait().await.map_err(|e| unavailable(format!("the X server did not start: {e}")))?;
    if !launched.success() {
        let mut why = String::new();
        if let Some(mut stderr) = launcher.stderr.take() {
            let _ = tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut why).await;
        }
        return Err(unavailable(format!("the X server did not start: {}", why.trim())));
    }
    let started = tokio::time::Instant::now();
    while started.elapsed() < START_TIMEOUT {
        let server = find_server(init_pid, n);
        if let Some(pid) = server
            && hoody_runtime::listening_ports(init_pid).contains(&port)
        {
            return Ok(Display::new(n, pid, init_pid, size));
        }
        if server.is_none() && started.elapsed() > Duration::from_secs(1) {
            break; // it came and went: its log says why
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = inside(init_pid, &["tail", "-n", "5", &format!("{LOG_DIR}/display-{n}.log")]).await.unwrap_or_default();
    Err(unavailable(format!(
        "the X server for :{n} did not come up within {}s: {}",
        START_TIMEOUT.as_secs(),
        String::from_utf8_lossy(&log).lines().collect::<Vec<_>>().join(" / ")
    )))
}

/// Host pid of the container's `Xvnc :n`, found among the processes of its cgroup.
fn find_server(init_pid: u32, n: u16) -> Option<u32> {
    let display = format!(":{n}");
    hoody_runtime::cgroup_procs_files(init_pid).into_iter().find_map(|file| {
        std::fs::read_to_string(file).ok()?.lines().filter_map(|p| p.trim().parse::<u32>().ok()).find(|pid| {
            let args = hoody_runtime::procfs::args(*pid);
            args.first().is_some_and(|program| program.ends_with("Xvnc")) && args.get(1) == Some(&display)
        })
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resize {
    width: u16,
    height: u16,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeText {
    text: String,
    #[serde(default = "default_delay")]
    delay_ms: u32,
}

fn default_delay() -> u32 {
    12
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    keys: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Click {
    x: u32,
    y: u32,
    #[serde(default = "left")]
    button: u8,
    #[serde(default)]
    double: bool,
}

fn left() -> u8 {
    1
}

/// What a request asks of the display service, parsed before the display is started.
#[derive(Debug)]
enum DisplayOp {
    Health,
    /// Something done on the running display (started first when it is not).
    OnDisplay(DisplayAction),
}

#[derive(Debug)]
enum DisplayAction {
    /// The VNC WebSocket.
    Socket,
    Info,
    Resize {
        width: u16,
        height: u16,
    },
    Screenshot,
    /// An `xdotool` command line (typing, keys, a click).
    Input(Vec<String>),
}

pub async fn handle(
    displays: &Arc<Displays>,
    req: Request<Incoming>,
    container: &str,
    init_pid: u32,
    n: u16,
) -> Response<Body> {
    let done = match parse(req).await {
        Ok((op, size, upgrade)) => execute(displays, op, size, upgrade, container, init_pid, n).await,
        Err(e) => Err(e),
    };
    done.unwrap_or_else(KitError::into_response)
}

/// The parse half: the route, the geometry a display starts with (`width`, `height`), and
/// the body. A WebSocket's request comes back with its operation, to be upgraded.
async fn parse(req: Request<Incoming>) -> Result<(DisplayOp, (u16, u16), Option<Request<Incoming>>), KitError> {
    let query = Query::parse(req.uri().query()).map_err(|e| KitError::new(KitCode::InvalidParameters, e))?;
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let size = (
        query
            .get("width")
            .and_then(|w| w.parse().ok())
            .unwrap_or(DEFAULT_GEOMETRY.0)
            .clamp(*WIDTHS.start(), *WIDTHS.end()),
        query
            .get("height")
            .and_then(|h| h.parse().ok())
            .unwrap_or(DEFAULT_GEOMETRY.1)
            .clamp(*HEIGHTS.start(), *HEIGHTS.end()),
    );
    let route = path.strip_prefix(API).unwrap_or(&path).to_owned();
    if (&method, route.as_str()) == (&Method::GET, "/health") {
        return Ok((DisplayOp::Health, size, None));
    }
    let action = match (method, route.as_str()) {
        (Method::GET, "/ws" | "/websockify") => {
            return Ok((DisplayOp::OnDisplay(DisplayAction::Socket), size, Some(req)));
        }
        (Method::GET, "/info") => DisplayAction::Info,
        (Method::GET, "/screenshot") => DisplayAction::Screenshot,
        (Method::POST, "/resize") => {
            let raw = body(req.into_body(), 4 << 10).await.map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
            match serde_json::from_slice::<Resize>(&raw) {
                Ok(r) if WIDTHS.contains(&r.width) && HEIGHTS.contains(&r.height) => {
                    DisplayAction::Resize { width: r.width, height: r.height }
                }
                Ok(r) => {
                    let (w, h) = (WIDTHS, HEIGHTS);
                    let why = format!(
                        "{}x{} is out of range: width {}-{}, height {}-{}",
                        r.width,
                        r.height,
                        w.start(),
                        w.end(),
                        h.start(),
                        h.end()
                    );
                    return Err(KitError::new(KitCode::InvalidParameters, why));
                }
                Err(e) => {
                    let why = format!("the body is not {{\"width\", \"height\"}}: {e}");
                    return Err(KitError::new(KitCode::InvalidParameters, why));
                }
            }
        }
        (Method::POST, action @ ("/keyboard/type" | "/keyboard/key" | "/mouse/click")) => {
            let raw = body(req.into_body(), 64 << 10).await.map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
            DisplayAction::Input(input_args(action, &raw)?)
        }
        (method, route) => {
            return Err(KitError::new(KitCode::NotFound, format!("no display route {method} {API}{route}")));
        }
    };
    Ok((DisplayOp::OnDisplay(action), size, None))
}

/// The `xdotool` arguments of an input action's body.
fn input_args(action: &str, raw: &[u8]) -> Result<Vec<String>, KitError> {
    let bad = |e: serde_json::Error| {
        KitError::new(KitCode::InvalidParameters, format!("the body does not fit {action}: {e}"))
    };
    match action {
        "/keyboard/type" => serde_json::from_slice::<TypeText>(raw)
            .map_err(bad)
            .map(|t| vec!["type".into(), "--delay".into(), t.delay_ms.min(1000).to_string(), "--".into(), t.text]),
        "/keyboard/key" => serde_json::from_slice::<Keys>(raw).map_err(bad).map(|k| {
            ["key", "--"].into_iter().map(String::from).chain(k.keys.split_whitespace().map(String::from)).collect()
        }),
        _ => serde_json::from_slice::<Click>(raw).map_err(bad).and_then(|c| {
            if !(1..=9).contains(&c.button) {
                return Err(KitError::new(KitCode::InvalidParameters, "button is 1 (left) to 9"));
            }
            let mut args = vec!["mousemove".into(), c.x.to_string(), c.y.to_string(), "click".into()];
            if c.double {
                args.extend(["--repeat".into(), "2".into()]);
            }
            args.push(c.button.to_string());
            Ok(args)
        }),
    }
}

/// The execute half: the container's display `:n` (started at `size` when it is not running
/// yet), and the operation done on it.
async fn execute(
    displays: &Arc<Displays>,
    op: DisplayOp,
    size: (u16, u16),
    upgrade: Option<Request<Incoming>>,
    container: &str,
    init_pid: u32,
    n: u16,
) -> Result<Response<Body>, KitError> {
    let action = match op {
        DisplayOp::Health => return Ok(json(StatusCode::OK, &json!({ "status": "ok", "service": "display" }))),
        DisplayOp::OnDisplay(action) => action,
    };
    let display = displays.ensure(container, init_pid, n, size).await?;
    Ok(match action {
        DisplayAction::Socket => {
            let req = upgrade.expect("a WebSocket's request comes with its operation");
            crate::websocket::accept(req, move |ws| bridge(ws, display))
        }
        DisplayAction::Info => json(StatusCode::OK, &display.info().await),
        DisplayAction::Resize { width, height } => {
            let resized = async {
                let vnc = display.vnc().await.map_err(|e| format!("cannot reach the VNC server: {e}"))?;
                rfb::set_desktop_size(vnc, width, height).await
            };
            match tokio::time::timeout(TOOL_TIMEOUT, resized).await {
                Ok(Ok((width, height))) => {
                    json(StatusCode::OK, &json!({ "success": true, "width": width, "height": height }))
                }
                Ok(Err(e)) => return Err(KitError::new(KitCode::BadGateway, e)),
                Err(_) => return Err(KitError::new(KitCode::Timeout, "the display did not answer the resize")),
            }
        }
        DisplayAction::Screenshot => {
            let dump = x_tool(init_pid, n, "xwd", &["-root", "-silent"]).await?;
            match tokio::task::spawn_blocking(move || xwd::to_png(&dump)).await {
                Ok(Ok(png)) => with_type(StatusCode::OK, png.into(), "image/png"),
                Ok(Err(e)) => return Err(KitError::new(KitCode::BadGateway, e.to_string())),
                Err(e) => return Err(KitError::new(KitCode::Internal, e.to_string())),
            }
        }
        DisplayAction::Input(args) => {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            x_tool(init_pid, n, "xdotool", &args).await?;
            json(StatusCode::OK, &json!({ "success": true }))
        }
    })
}

/// Runs an X client of the container's (xwd, xdotool) against its display `:n`, inside it
/// like every kit process; returns stdout.
async fn x_tool(init_pid: u32, n: u16, tool: &str, args: &[&str]) -> Result<Vec<u8>, KitError> {
    let mut command = crate::enter::contained(init_pid)
        .map_err(|e| KitError::of_status(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    let run = command
        .arg("--")
        .arg(tool)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("DISPLAY", format!(":{n}"))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(TOOL_TIMEOUT, run).await {
        Ok(Ok(out)) if out.status.success() => Ok(out.stdout),
        Ok(Ok(out)) if out.status.code() == Some(127) => Err(KitError::of_status(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("this container has no {tool}: install it in the container (apt-get install xdotool x11-apps)"),
        )),
        Ok(Ok(out)) => Err(KitError::of_status(
            StatusCode::BAD_GATEWAY,
            format!("{tool} failed on :{n}: {}", String::from_utf8_lossy(&out.stderr).trim()),
        )),
        Ok(Err(e)) => Err(KitError::of_status(StatusCode::SERVICE_UNAVAILABLE, format!("{tool} did not run: {e}"))),
        Err(_) => Err(KitError::of_status(
            StatusCode::GATEWAY_TIMEOUT,
            format!("{tool} took longer than {}s", TOOL_TIMEOUT.as_secs()),
        )),
    }
}

/// What `args` prints inside the container (as a kit process), or None when it failed.
async fn inside(init_pid: u32, args: &[&str]) -> Option<Vec<u8>> {
    let mut command = crate::enter::contained(init_pid).ok()?;
    let out = command.arg("--").args(args).stdin(std::process::Stdio::null()).kill_on_drop(true).output();
    let out = tokio::time::timeout(TOOL_TIMEOUT, out).await.ok()?.ok()?;
    out.status.success().then_some(out.stdout)
}

/// The page's WebSocket, carried to the VNC server and back.
async fn bridge(ws: crate::websocket::Socket, display: Arc<Display>) {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::Message;
    let Ok(vnc) = display.vnc().await else { return };
    display.clients.fetch_add(1, Ordering::Relaxed);
    let (mut vnc_rx, mut vnc_tx) = vnc.into_split();
    let (mut ws_tx, mut ws_rx) = ws.split();
    let to_vnc = async {
        while let Some(Ok(message)) = ws_rx.next().await {
            match message {
                Message::Binary(bytes) if vnc_tx.write_all(&bytes).await.is_ok() => {}
                Message::Binary(_) | Message::Close(_) => break,
                _ => {}
            }
        }
    };
    let to_browser = async {
        let mut buf = vec![0u8; 64 << 10];
        while let Ok(n @ 1..) = vnc_rx.read(&mut buf).await {
            if ws_tx.send(Message::Binary(bytes::Bytes::copy_from_slice(&buf[..n]))).await.is_err() {
                break;
            }
        }
        let _ = ws_tx.close().await;
    };
    tokio::select! { () = to_vnc => {}, () = to_browser => {} }
    display.clients.fetch_sub(1, Ordering::Relaxed);
}
