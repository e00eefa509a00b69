//! The display service (`display-N`): a real X display for the container, shown in the
//! browser. Display N is TigerVNC's `Xvnc` (an X server with a VNC server built in, the job
//! of Xvfb plus a VNC server in one process) started on the host on first use:
//!
//! - in the container's network namespace, so programs inside reach `:N` over X's abstract
//!   socket, and in its pid namespace and cgroups, a child of its init: it ends with the
//!   container, its limits hold it, and pausing freezes it;
//! - in a mount namespace of its own where `/tmp/.X11-unix` is a host directory of the
//!   container's, which is also mounted into the container at `/tmp/.X11-unix` (a detached
//!   clone moved in from a thread inside its mount namespace), so the socket file appears
//!   there as well;
//! - serving VNC only on a unix socket of the host, which the page's WebSocket bridges to.
//!
//! `GET /` is the noVNC page; `GET /api/v1/display/screenshot` a PNG; `POST
//! /api/v1/display/keyboard/type`, `/keyboard/key` and `/mouse/click` act on the display
//! (xdotool); `POST /api/v1/display/resize` sets its size (as the page does to fit its window);
//! `GET /api/v1/display/info` describes it. Terminal session N has `DISPLAY=:N`.

mod rfb;
mod xsetup;
mod xwd;

use crate::proxy::{Body, json, with_type};
use crate::request::{Query, Refusal, body};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

/// Displays one container may run at a time.
pub const MAX_DISPLAYS: usize = 4;
const DEFAULT_GEOMETRY: (u16, u16) = (1280, 800);
/// The sizes a display may have.
const WIDTHS: std::ops::RangeInclusive<u16> = 320..=7680;
const HEIGHTS: std::ops::RangeInclusive<u16> = 200..=4320;
/// Where the VNC sockets and X server logs live on the host.
const RUN_DIR: &str = "/run/hoody-kit";
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
    /// The host directory of the X sockets, once it is mounted into the container.
    x11_dir: Option<PathBuf>,
}

#[derive(Debug)]
pub struct Display {
    n: u16,
    /// Host pid of the X server.
    pid: u32,
    /// The VNC server's socket.
    socket: PathBuf,
    /// The X server's socket (in the host directory shared with the container).
    x_socket: PathBuf,
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
    fn new(n: u16, pid: u32, socket: PathBuf, x_socket: PathBuf, size: (u16, u16)) -> Self {
        let size = AtomicU32::new(u32::from(size.0) << 16 | u32::from(size.1));
        Self { n, pid, socket, x_socket, size, clients: AtomicUsize::new(0) }
    }

    /// Its server runs and its socket is there. (Probing the socket with a connection would
    /// count as a failed VNC login.)
    fn alive(&self) -> bool {
        hoody_runtime::is_alive(self.pid) && self.socket.exists()
    }

    async fn info(&self) -> DisplayInfo {
        // A paused container's X server is frozen too: then the size last read.
        let live = tokio::time::timeout(Duration::from_millis(250), xsetup::screen_size(&self.x_socket)).await;
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

    /// The container no longer runs (its X servers ended with it): drops its displays and
    /// removes their sockets, logs and X socket directory from the host.
    pub async fn forget(&self, container: &str) {
        self.0.lock().await.remove(container);
        let prefix = format!("{container}-");
        if let Ok(entries) = std::fs::read_dir(RUN_DIR) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let _ = std::fs::remove_dir_all(x11_dir(container));
    }

    /// Display `n` of the container, started if it is not running.
    async fn ensure(&self, container: &str, init_pid: u32, n: u16, size: (u16, u16)) -> Result<Arc<Display>, Refusal> {
        let mut sets = self.0.lock().await;
        let set =
            sets.entry(container.to_owned()).or_insert_with(|| Set { init_pid, by_n: BTreeMap::new(), x11_dir: None });
        if set.init_pid != init_pid {
            *set = Set { init_pid, by_n: BTreeMap::new(), x11_dir: None }; // its X servers ended with the container
        }
        set.by_n.retain(|_, d| d.alive());
        if let Some(display) = set.by_n.get(&n) {
            return Ok(display.clone());
        }
        if set.by_n.len() >= MAX_DISPLAYS {
            return Err(Refusal::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("a container may run {MAX_DISPLAYS} displays; {n} would be one more"),
            ));
        }
        let x11_dir = match &set.x11_dir {
            Some(dir) => dir.clone(),
            None => set.x11_dir.insert(share_x11_dir(container, init_pid).await?).clone(),
        };
        let display = Arc::new(start(container, init_pid, n, size, &x11_dir).await?);
        set.by_n.insert(n, display.clone());
        Ok(display)
    }
}

/// Makes the host directory that holds the container's X sockets and mounts it into the
/// container at `/tmp/.X11-unix`. The target path is resolved inside the container's mount
/// namespace, so whatever the container put there only ever leads into the container.
async fn share_x11_dir(container: &str, init_pid: u32) -> Result<PathBuf, Refusal> {
    use rustix::mount::{MoveMountFlags, OpenTreeFlags};
    use std::os::unix::fs::PermissionsExt;
    let failed = |e: std::io::Error| {
        Refusal::new(StatusCode::SERVICE_UNAVAILABLE, format!("cannot give the container an X socket directory: {e}"))
    };
    let dir = x11_dir(container);
    std::fs::create_dir_all(&dir).map_err(failed)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).map_err(failed)?;
    let tree = rustix::mount::open_tree(
        rustix::fs::CWD,
        &dir,
        OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
    )
    .map_err(|e| failed(e.into()))?;
    crate::mntns::run_in(init_pid, move || -> std::io::Result<()> {
        std::fs::create_dir_all("/tmp/.X11-unix")?;
        rustix::mount::move_mount(
            &tree,
            "",
            rustix::fs::CWD,
            "/tmp/.X11-unix",
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        )?;
        Ok(())
    })
    .await
    .and_then(|moved| moved)
    .map_err(failed)?;
    Ok(dir)
}

/// The host directory of the container's X sockets.
fn x11_dir(container: &str) -> PathBuf {
    PathBuf::from(format!("{RUN_DIR}/x11/{container}"))
}

/// Starts `Xvnc :n` for the container (or adopts one a previous run of ours left running).
async fn start(
    container: &str,
    init_pid: u32,
    n: u16,
    size: (u16, u16),
    x11_dir: &std::path::Path,
) -> Result<Display, Refusal> {
    let unavailable = |why: String| Refusal::new(StatusCode::SERVICE_UNAVAILABLE, why);
    std::fs::create_dir_all(RUN_DIR).map_err(|e| unavailable(format!("cannot make {RUN_DIR}: {e}")))?;
    let socket = PathBuf::from(format!("{RUN_DIR}/{container}-{n}.vnc"));
    let x_socket = x11_dir.join(format!("X{n}"));
    if let Some(pid) = find_server(init_pid, n).filter(|_| socket.exists()) {
        return Ok(Display::new(n, pid, socket, x_socket, size));
    }
    let _ = std::fs::remove_file(&socket);
    let log_path = format!("{RUN_DIR}/{container}-{n}.log");
    let log = std::fs::File::create(&log_path).map_err(|e| unavailable(format!("cannot write {log_path}: {e}")))?;
    // A private /tmp (for the server's lock file) with the container's socket directory in it.
    let script = "mount -t tmpfs -o mode=1777,size=1m hoody-x11 /tmp && mkdir /tmp/.X11-unix \
                  && mount --bind \"$4\" /tmp/.X11-unix \
                  && exec Xvnc \":$1\" -geometry \"$3\" -depth 24 -SecurityTypes None -BlacklistThreshold 1000000 -rfbport -1 \
                  -rfbunixpath \"$2\" -rfbunixmode 0600 -nolisten tcp -AlwaysShared -desktop \"display-$1\" </dev/null";
    // setsid forks the server off, so the container's init adopts it (and reaps it).
    let launcher = crate::nsenter::contained(init_pid, "setsid")
        .args(["--fork", "nsenter"])
        .arg(format!("--net=/proc/{init_pid}/ns/net"))
        .args(["--", "unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh"])
        .arg(n.to_string())
        .arg(&socket)
        .arg(format!("{}x{}", size.0, size.1))
        .arg(x11_dir)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::from(log))
        .spawn()
        .map_err(|e| unavailable(format!("the X server did not start: {e}")))?;
    tokio::spawn(crate::nsenter::reap(launcher));
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    while tokio::time::Instant::now() < deadline {
        if socket.exists()
            && let Some(pid) = find_server(init_pid, n)
        {
            return Ok(Display::new(n, pid, socket, x_socket, size));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
    Err(unavailable(format!(
        "the X server for :{n} did not come up within {}s: {}",
        START_TIMEOUT.as_secs(),
        tail.join(" / ")
    )))
}

/// Host pid of the container's `Xvnc :n`, found among the processes of its cgroup.
fn find_server(init_pid: u32, n: u16) -> Option<u32> {
    let display = format!(":{n}");
    hoody_runtime::cgroup_procs_files(init_pid).into_iter().find_map(|file| {
        std::fs::read_to_string(file).ok()?.lines().filter_map(|p| p.trim().parse::<u32>().ok()).find(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let mut args = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned());
            args.next().is_some_and(|program| program.ends_with("Xvnc")) && args.next().as_deref() == Some(&display)
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

pub async fn handle(
    displays: &Arc<Displays>,
    req: Request<Incoming>,
    container: &str,
    init_pid: u32,
    n: u16,
) -> Response<Body> {
    let query = match Query::parse(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return Refusal::new(StatusCode::BAD_REQUEST, e).answer(),
    };
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if method == Method::GET && (path == "/" || path.starts_with("/assets/")) {
        return crate::assets::display_page(&path, n);
    }
    if (method.clone(), path.as_str()) == (Method::GET, "/api/v1/display/health") {
        return json(StatusCode::OK, &json!({ "status": "ok", "service": "display" }));
    }
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
    let display = match displays.ensure(container, init_pid, n, size).await {
        Ok(display) => display,
        Err(refusal) => return refusal.answer(),
    };
    let route = path.strip_prefix(API).unwrap_or(&path).to_owned();
    match (method, route.as_str()) {
        (Method::GET, "/ws" | "/websockify") => crate::websocket::accept(req, move |ws| bridge(ws, display)),
        (Method::GET, "/info") => json(StatusCode::OK, &display.info().await),
        (Method::POST, "/resize") => {
            let raw = match body(req.into_body(), 4 << 10).await {
                Ok(raw) => raw,
                Err(e) => return Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, e).answer(),
            };
            let size = match serde_json::from_slice::<Resize>(&raw) {
                Ok(r) if WIDTHS.contains(&r.width) && HEIGHTS.contains(&r.height) => (r.width, r.height),
                Ok(r) => {
                    let why = format!(
                        "{}x{} is out of range: width {}-{}, height {}-{}",
                        r.width,
                        r.height,
                        WIDTHS.start(),
                        WIDTHS.end(),
                        HEIGHTS.start(),
                        HEIGHTS.end()
                    );
                    return Refusal::new(StatusCode::BAD_REQUEST, why).answer();
                }
                Err(e) => {
                    let why = format!("the body is not {{\"width\", \"height\"}}: {e}");
                    return Refusal::new(StatusCode::BAD_REQUEST, why).answer();
                }
            };
            match tokio::time::timeout(TOOL_TIMEOUT, rfb::set_desktop_size(&display.socket, size.0, size.1)).await {
                Ok(Ok((width, height))) => {
                    json(StatusCode::OK, &json!({ "success": true, "width": width, "height": height }))
                }
                Ok(Err(e)) => Refusal::new(StatusCode::BAD_GATEWAY, e).answer(),
                Err(_) => Refusal::new(StatusCode::GATEWAY_TIMEOUT, "the display did not answer the resize").answer(),
            }
        }
        (Method::GET, "/screenshot") => match x_tool(init_pid, n, "xwd", &["-root", "-silent"]).await {
            Ok(dump) => match tokio::task::spawn_blocking(move || xwd::to_png(&dump)).await {
                Ok(Ok(png)) => with_type(StatusCode::OK, png.into(), "image/png"),
                Ok(Err(e)) => Refusal::new(StatusCode::BAD_GATEWAY, e.to_string()).answer(),
                Err(e) => Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).answer(),
            },
            Err(refusal) => refusal.answer(),
        },
        (Method::POST, action @ ("/keyboard/type" | "/keyboard/key" | "/mouse/click")) => {
            let raw = match body(req.into_body(), 64 << 10).await {
                Ok(raw) => raw,
                Err(e) => return Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, e).answer(),
            };
            let bad = |e: serde_json::Error| {
                Refusal::new(StatusCode::BAD_REQUEST, format!("the body does not fit {action}: {e}"))
            };
            let args: Result<Vec<String>, Refusal> = match action {
                "/keyboard/type" => serde_json::from_slice::<TypeText>(&raw).map_err(bad).map(|t| {
                    vec!["type".into(), "--delay".into(), t.delay_ms.min(1000).to_string(), "--".into(), t.text]
                }),
                "/keyboard/key" => serde_json::from_slice::<Keys>(&raw).map_err(bad).map(|k| {
                    ["key", "--"]
                        .into_iter()
                        .map(String::from)
                        .chain(k.keys.split_whitespace().map(String::from))
                        .collect()
                }),
                _ => serde_json::from_slice::<Click>(&raw).map_err(bad).and_then(|c| {
                    if !(1..=9).contains(&c.button) {
                        return Err(Refusal::new(StatusCode::BAD_REQUEST, "button is 1 (left) to 9"));
                    }
                    let mut args = vec!["mousemove".into(), c.x.to_string(), c.y.to_string(), "click".into()];
                    if c.double {
                        args.extend(["--repeat".into(), "2".into()]);
                    }
                    args.push(c.button.to_string());
                    Ok(args)
                }),
            };
            let args = match args {
                Ok(args) => args,
                Err(refusal) => return refusal.answer(),
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            match x_tool(init_pid, n, "xdotool", &args).await {
                Ok(_) => json(StatusCode::OK, &json!({ "success": true })),
                Err(refusal) => refusal.answer(),
            }
        }
        (method, route) => {
            Refusal::new(StatusCode::NOT_FOUND, format!("no display route {method} {API}{route}")).answer()
        }
    }
}

/// Runs an X client of the host (xwd, xdotool) against display `:n` of the container, from
/// inside its network namespace (where the display's abstract socket is); returns stdout.
async fn x_tool(init_pid: u32, n: u16, tool: &str, args: &[&str]) -> Result<Vec<u8>, Refusal> {
    let run = tokio::process::Command::new("nsenter")
        .arg(format!("--net=/proc/{init_pid}/ns/net"))
        .arg("--")
        .arg(tool)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("DISPLAY", format!(":{n}"))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(TOOL_TIMEOUT, run).await {
        Ok(Ok(out)) if out.status.success() => Ok(out.stdout),
        Ok(Ok(out)) => Err(Refusal::new(
            StatusCode::BAD_GATEWAY,
            format!("{tool} failed on :{n}: {}", String::from_utf8_lossy(&out.stderr).trim()),
        )),
        Ok(Err(e)) => Err(Refusal::new(StatusCode::SERVICE_UNAVAILABLE, format!("{tool} did not run: {e}"))),
        Err(_) => Err(Refusal::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!("{tool} took longer than {}s", TOOL_TIMEOUT.as_secs()),
        )),
    }
}

/// The page's WebSocket, carried to the VNC server's unix socket and back.
async fn bridge(ws: crate::websocket::Socket, display: Arc<Display>) {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::Message;
    let Ok(vnc) = tokio::net::UnixStream::connect(&display.socket).await else { return };
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
