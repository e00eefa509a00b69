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
//! `GET /` (and `/api/v1/display/`) is the noVNC page. The API acts on the display as the
//! platform's clients call it: keyboard, mouse and `input/*` actions (xdotool, one at a time
//! or a batch, a screenshot after when asked), windows (listed, searched, read, moved, sized,
//! focused, raised, minimized, closed), the clipboard (xclip), screenshots and thumbnails
//! (xwd; the last ones kept), `resize` (as the page does to fit its window), `info`. The X
//! clients are the container's own, run inside it. Terminal session N has `DISPLAY=:N`.

mod input;
mod rfb;
mod routes;
mod shots;
mod windows;
mod xproto;
mod xwd;

use crate::error::{KitCode, KitError};
use crate::proxy::{Body, json};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use routes::{API, DisplayAction, DisplayOp};
use serde_json::json;
use shots::{Shot, Shots, Which};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;
use windows::WindowOp;
use xproto::{XConnection, XFailure};

/// Displays one container may run at a time.
pub const MAX_DISPLAYS: usize = 4;
/// Where the X servers' logs live inside the container.
const LOG_DIR: &str = "/run/hoody-kit";
/// Display N serves VNC on this port + N, on the container's loopback.
const VNC_BASE: u16 = 5900;
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
    shots: Shots,
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
        Self { n, pid, init_pid, size, clients: AtomicUsize::new(0), shots: Shots::default() }
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

    /// A connection to its X server (its abstract socket, in the container's network).
    async fn x_connection(
        &self,
    ) -> std::io::Result<XConnection<impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>> {
        let x_socket = format!("/tmp/.X11-unix/X{}", self.n);
        XConnection::open(crate::netns::connect_abstract(self.init_pid, &x_socket).await?).await
    }

    /// A screenshot of the whole screen, kept.
    async fn capture(&self) -> Result<Arc<Shot>, KitError> {
        self.capture_region(None).await
    }

    /// A screenshot of the screen or a region `x, y, width, height` of it, kept.
    async fn capture_region(&self, region: Option<(usize, usize, usize, usize)>) -> Result<Arc<Shot>, KitError> {
        let dump = x_tool(self.init_pid, self.n, "xwd", &["-root", "-silent"]).await?;
        let image = match tokio::task::spawn_blocking(move || xwd::to_rgb(&dump)).await {
            Ok(Ok(image)) => image,
            Ok(Err(e)) => return Err(KitError::new(KitCode::BadGateway, e.to_string())),
            Err(e) => return Err(KitError::new(KitCode::Internal, e.to_string())),
        };
        let image = match region {
            None => image,
            Some((x, y, w, h)) => image.crop(x, y, w, h).ok_or_else(|| {
                let why = format!("the region {x},{y} {w}x{h} is outside the {}x{} screen", image.width, image.height);
                KitError::new(KitCode::InvalidParameters, why)
            })?,
        };
        self.shots.keep(image)
    }

    async fn info(&self) -> DisplayInfo {
        // A paused container's X server is frozen too: then the size last read.
        let live = tokio::time::timeout(Duration::from_millis(250), async {
            self.x_connection().await.map(|x| x.screen_size())
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
        // What it said, as far as it said it in time (a process it left may hold the pipe).
        let said = hoody_runtime::bounded::read_keeping(launcher.stderr.take(), hoody_runtime::bounded::STDERR_KEPT);
        let why = tokio::time::timeout(std::time::Duration::from_secs(2), said).await.ok().and_then(Result::ok);
        let why = String::from_utf8_lossy(&why.unwrap_or_default()).trim().to_owned();
        return Err(unavailable(format!("the X server did not start: {why}")));
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
    let log_file = format!("{LOG_DIR}/display-{n}.log");
    let log = x_tool(init_pid, n, "tail", &["-n", "5", &log_file]).await.unwrap_or_default();
    Err(unavailable(format!(
        "the X server for :{n} did not come up within {}s: {}",
        START_TIMEOUT.as_secs(),
        String::from_utf8_lossy(&log).lines().collect::<Vec<_>>().join(" / ")
    )))
}

/// Host pid of the container's `Xvnc :n`, found among the processes of its cgroup.
fn find_server(init_pid: u32, n: u16) -> Option<u32> {
    let display = format!(":{n}");
    let files =
        hoody_runtime::cgroup_procs_files(init_pid).into_iter().chain(hoody_runtime::kit_cgroup_procs_files(init_pid));
    files.into_iter().find_map(|file| {
        std::fs::read_to_string(file).ok()?.lines().filter_map(|p| p.trim().parse::<u32>().ok()).find(|pid| {
            let args = hoody_runtime::procfs::args(*pid);
            args.first().is_some_and(|program| program.ends_with("Xvnc")) && args.get(1) == Some(&display)
        })
    })
}

pub async fn handle(
    displays: &Arc<Displays>,
    req: Request<Incoming>,
    container: &str,
    init_pid: u32,
    n: u16,
) -> Response<Body> {
    let done = match routes::parse(req, n).await {
        Ok(parsed) => execute(displays, parsed, container, init_pid).await,
        Err(e) => Err(e),
    };
    done.unwrap_or_else(KitError::into_response)
}

/// The execute half: the container's display (started at its size when it is not running
/// yet), and the operation done on it.
async fn execute(
    displays: &Arc<Displays>,
    parsed: routes::Parsed,
    container: &str,
    init_pid: u32,
) -> Result<Response<Body>, KitError> {
    let routes::Parsed { op, n, size, upgrade } = parsed;
    if !routes::NUMBERS.contains(&n) {
        let (first, last) = (routes::NUMBERS.start(), routes::NUMBERS.end());
        return Err(KitError::new(
            KitCode::InvalidParameters,
            format!("displays are numbered {first}-{last}, not {n}"),
        ));
    }
    let action = match op {
        DisplayOp::Health => return Ok(json(StatusCode::OK, &json!({ "status": "ok", "service": "display" }))),
        DisplayOp::OnDisplay(action) => action,
    };
    let display = displays.ensure(container, init_pid, n, size).await?;
    let ok = |value: serde_json::Value| Ok(json(StatusCode::OK, &value));
    match action {
        DisplayAction::Socket => {
            let req = upgrade.expect("a WebSocket's request comes with its operation");
            Ok(crate::websocket::accept(req, move |ws| bridge(ws, display)))
        }
        DisplayAction::Info => ok(serde_json::to_value(display.info().await).unwrap_or_default()),
        DisplayAction::Resize { width, height } => {
            let resized = async {
                let vnc = display.vnc().await.map_err(|e| format!("cannot reach the VNC server: {e}"))?;
                rfb::set_desktop_size(vnc, width, height).await
            };
            match tokio::time::timeout(TOOL_TIMEOUT, resized).await {
                Ok(Ok((width, height))) => ok(json!({ "success": true, "width": width, "height": height })),
                Ok(Err(e)) => Err(KitError::new(KitCode::BadGateway, e)),
                Err(_) => Err(KitError::new(KitCode::Timeout, "the display did not answer the resize")),
            }
        }
        DisplayAction::Shot { which, form, thumbnail } => {
            let shot = match which {
                Which::Now => display.capture().await?,
                ref stored => display.shots.find(stored)?,
            };
            shots::answer(&shot, form, thumbnail)
        }
        DisplayAction::ListShots => Ok(display.shots.list()),
        DisplayAction::Input { actions, batch, after } => {
            let mut done = Vec::new();
            for (i, (name, input)) in actions.iter().enumerate() {
                let args: Vec<&str> = input.args.iter().map(String::as_str).collect();
                if let Err(e) = x_tool(init_pid, n, "xdotool", &args).await {
                    let at =
                        if batch { format!("actions[{i}] ({name}) failed after {i} done: ") } else { String::new() };
                    return Err(KitError::new(e.code, format!("{at}{}", e.message)));
                }
                done.push(json!({ "action": name, "success": true, "message": input.message }));
            }
            let message = match batch {
                true => format!("{} action(s) done", done.len()),
                false => actions[0].1.message.clone(),
            };
            let mut answer = json!({ "success": true, "message": message });
            if batch {
                answer["results"] = json!(done);
            }
            if let Some(after) = after {
                tokio::time::sleep(Duration::from_millis(after.delay_ms)).await;
                let shot = display.capture_region(after.region).await?;
                let png_base64 = {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD.encode(&shot.png)
                };
                answer["screenshot"] = json!({
                    "id": shot.timestamp.to_string(), "timestamp": shot.timestamp, "width": shot.image.width,
                    "height": shot.image.height, "format": "png", "image": png_base64,
                });
            }
            ok(answer)
        }
        DisplayAction::DisplayGeometry => {
            let out = x_tool(init_pid, n, "xdotool", &["getdisplaygeometry"]).await?;
            let text = String::from_utf8_lossy(&out);
            let mut numbers = text.split_whitespace().filter_map(|w| w.parse::<u32>().ok());
            match (numbers.next(), numbers.next()) {
                (Some(width), Some(height)) => {
                    ok(json!({ "width": width, "height": height, "display": format!(":{n}") }))
                }
                _ => Err(KitError::new(KitCode::BadGateway, format!("xdotool answered {text:?} for the geometry"))),
            }
        }
        DisplayAction::MouseLocation => {
            let out = x_tool(init_pid, n, "xdotool", &["getmouselocation", "--shell"]).await?;
            let mut answer = json!({});
            for line in String::from_utf8_lossy(&out).lines() {
                if let Some((key, value)) = line.split_once('=') {
                    let value = value.trim().parse::<i64>().map_or(json!(value.trim()), |v| json!(v));
                    match key {
                        "X" => answer["x"] = value,
                        "Y" => answer["y"] = value,
                        "SCREEN" => answer["screen"] = value,
                        "WINDOW" => answer["window"] = json!(value.to_string()),
                        _ => {}
                    }
                }
            }
            ok(answer)
        }
        DisplayAction::Window(op) => window(&display, init_pid, n, op).await,
        DisplayAction::ClipboardGet { selection } => {
            let out = run_inside(init_pid, n, &["xclip", "-o", "-selection", &selection], None).await?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => {
                    ok(json!({ "text": String::from_utf8_lossy(&out.stdout), "selection": selection, "empty": false }))
                }
                // Nothing holds the selection, or nothing as text: it is empty.
                Some(1) if stderr.contains("not available") || stderr.contains("no owner") => {
                    ok(json!({ "text": "", "selection": selection, "empty": true }))
                }
                _ => Err(tool_failed("xclip", n, &out)),
            }
        }
        DisplayAction::ClipboardSet { selection, text } => {
            // xclip stays (in the background, inside the container) to hold the selection
            // until another program takes it; its output goes nowhere so it does not hold ours.
            let script = "exec xclip -i -selection \"$1\" >/dev/null 2>&1";
            let set = ["/bin/sh", "-c", script, "sh", &selection];
            let out = run_inside(init_pid, n, &set, Some(text.clone().into_bytes())).await?;
            if !out.status.success() {
                return Err(tool_failed("xclip", n, &out));
            }
            // Read back: what a program pasting now would get.
            for _ in 0..50 {
                let read = run_inside(init_pid, n, &["xclip", "-o", "-selection", &selection], None).await?;
                if read.status.success() && read.stdout == text.as_bytes() {
                    let message = format!("the {selection} selection holds {} byte(s)", text.len());
                    return ok(json!({ "success": true, "message": message, "selection": selection }));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(KitError::new(KitCode::BadGateway, format!("xclip did not take the {selection} selection on :{n}")))
        }
    }
}

/// A window operation on display `:n`.
async fn window(display: &Display, init_pid: u32, n: u16, op: WindowOp) -> Result<Response<Body>, KitError> {
    let no_window =
        |w: &str| KitError::new(KitCode::NotFound, format!("no window {w} on :{n}: GET {API}/windows lists them"));
    let reach =
        |e: std::io::Error| KitError::new(KitCode::BadGateway, format!("cannot reach the X server of :{n}: {e}"));
    match &op {
        WindowOp::Close(w) => {
            let id: u32 = w.parse().map_err(|_| no_window(w))?;
            let mut x = display.x_connection().await.map_err(reach)?;
            match x.delete_window(id).await {
                Ok(()) => {}
                Err(XFailure::NoWindow) => return Err(no_window(w)),
                Err(XFailure::NoDeleteProtocol) => {
                    let why = format!(
                        "window {w} does not take WM_DELETE_WINDOW (the polite close): it would have to be killed"
                    );
                    return Err(KitError::new(KitCode::Conflict, why));
                }
                Err(XFailure::Io(e)) => return Err(KitError::new(KitCode::BadGateway, e)),
            }
        }
        WindowOp::Minimize(w) => {
            let id: u32 = w.parse().map_err(|_| no_window(w))?;
            x_tool(init_pid, n, "xdotool", &["windowminimize", w]).await.map_err(|e| bad_window(e, w, n))?;
            // Iconifying is a window manager's job (xdotool only asks for it): without one the
            // window stays, and the answer says so.
            let mut x = display.x_connection().await.map_err(reach)?;
            let mut shown = true;
            for _ in 0..25 {
                match x.viewable(id).await {
                    Ok(viewable) => shown = viewable,
                    Err(XFailure::NoWindow) => return Err(no_window(w)),
                    Err(e) => return Err(KitError::new(KitCode::BadGateway, format!("{e:?}"))),
                }
                if !shown {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if shown {
                let why = format!("window {w} is still shown: no window manager runs on :{n} to minimize it");
                return Err(KitError::new(KitCode::Conflict, why));
            }
        }
        other => {
            let line = windows::command(other).expect("the other window operations are command lines");
            let args: Vec<&str> = line[1..].iter().map(String::as_str).collect();
            let out = x_tool(init_pid, n, &line[0], &args).await;
            let out = match (other, out) {
                (_, Ok(out)) => out,
                (WindowOp::Active, Err(_)) => {
                    let why = format!("no window has the focus on :{n}");
                    return Err(KitError::new(KitCode::NotFound, why));
                }
                (WindowOp::Geometry(w) | WindowOp::Name(w) | WindowOp::Properties(w), Err(e))
                | (WindowOp::Change { window: w, .. }, Err(e)) => return Err(bad_window(e, w, n)),
                (_, Err(e)) => return Err(e),
            };
            return Ok(json(StatusCode::OK, &windows::answer(other, &out)));
        }
    }
    Ok(json(StatusCode::OK, &windows::answer(&op, b"")))
}

/// A tool's failure on a window that is not there, said as such.
fn bad_window(e: KitError, window: &str, n: u16) -> KitError {
    if e.message.contains("BadWindow") || e.message.contains("Invalid window") {
        return KitError::new(KitCode::NotFound, format!("no window {window} on :{n}: GET {API}/windows lists them"));
    }
    e
}

/// Runs a program of the container's against its display `:n`, inside it like every kit
/// process (stdin given or none).
async fn run_inside(
    init_pid: u32,
    n: u16,
    line: &[&str],
    stdin: Option<Vec<u8>>,
) -> Result<std::process::Output, KitError> {
    use tokio::io::AsyncWriteExt;
    let mut command = crate::enter::contained(init_pid)
        .map_err(|e| KitError::of_status(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    let tool = line[0];
    let child = command
        .arg("--")
        .args(line)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("DISPLAY", format!(":{n}"))
        .stdin(if stdin.is_some() { std::process::Stdio::piped() } else { std::process::Stdio::null() })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| KitError::of_status(StatusCode::SERVICE_UNAVAILABLE, format!("{tool} did not run: {e}")))?;
    let run = async move {
        let mut child = child;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(&bytes).await?;
        }
        hoody_runtime::bounded::output(child, output_limit(tool)).await
    };
    match tokio::time::timeout(TOOL_TIMEOUT, run).await {
        Ok(Ok(out)) if out.status.code() == Some(127) => Err(KitError::of_status(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("this container has no {tool}: install it in the container (apt-get install {})", package_of(tool)),
        )),
        Ok(Ok(out)) => Ok(out),
        Ok(Err(e)) if hoody_runtime::bounded::is_too_much(&e) => {
            Err(KitError::of_status(StatusCode::BAD_GATEWAY, format!("{tool} of the container's {e}: it was stopped")))
        }
        Ok(Err(e)) => Err(KitError::of_status(StatusCode::SERVICE_UNAVAILABLE, format!("{tool} did not run: {e}"))),
        Err(_) => Err(KitError::of_status(
            StatusCode::GATEWAY_TIMEOUT,
            format!("{tool} took longer than {}s", TOOL_TIMEOUT.as_secs()),
        )),
    }
}

/// The most a tool may print: a dump of the largest screen for `xwd`, the clipboard's text for
/// `xclip`, a few lines for the rest.
fn output_limit(tool: &str) -> usize {
    match tool {
        "xwd" => xwd::MAX_DUMP,
        "xclip" => 16 << 20,
        _ => 1 << 20,
    }
}

/// The Debian package a tool comes in.
fn package_of(tool: &str) -> &'static str {
    match tool {
        "xclip" => "xclip",
        "xprop" | "xwininfo" => "x11-utils",
        "xwd" => "x11-apps",
        _ => "xdotool",
    }
}

fn tool_failed(tool: &str, n: u16, out: &std::process::Output) -> KitError {
    KitError::of_status(
        StatusCode::BAD_GATEWAY,
        format!("{tool} failed on :{n}: {}", String::from_utf8_lossy(&out.stderr).trim()),
    )
}

/// Runs an X client of the container's (xwd, xdotool, xprop) against its display `:n`;
/// returns stdout, or why it failed.
async fn x_tool(init_pid: u32, n: u16, tool: &str, args: &[&str]) -> Result<Vec<u8>, KitError> {
    let line: Vec<&str> = std::iter::once(tool).chain(args.iter().copied()).collect();
    let out = run_inside(init_pid, n, &line, None).await?;
    match out.status.success() {
        true => Ok(out.stdout),
        false => Err(tool_failed(tool, n, &out)),
    }
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
