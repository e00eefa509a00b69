//! The terminal service on a real container: a shell typed into over the WebSocket, commands
//! executed in a session and ephemerally, sessions that survive a reconnect, resize, limits,
//! and shells that go away with the container.

use crate::process::Hoodyd;
use crate::proxy::{browser, server_with};
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A WebSocket to `url` (a `*.localhost` service address) through the proxy.
pub async fn websocket(d: &Hoodyd, url: &str) -> Ws {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", d.proxy_port)).await.unwrap();
    let request = url.replace("http://", "ws://").into_client_request().unwrap();
    tokio_tungstenite::client_async(request, stream).await.expect("the WebSocket opens").0
}

/// Runs `command` in terminal session `session` of the container whose terminal is at `terminal`
/// (waiting for it to finish) and answers the service's JSON (`exit_code`, `stdout`, …).
pub async fn run_in_session(d: &Hoodyd, terminal: &str, session: u16, command: &str) -> Value {
    let url = format!("{terminal}/api/v1/terminal/execute?terminal_id={session}");
    let answer = browser(d, terminal).post(url).json(&json!({"command": command, "wait": true})).send().await.unwrap();
    answer.json().await.unwrap()
}

/// Reads terminal output until it contains `needle`; returns all of it.
pub async fn read_until(ws: &mut Ws, needle: &str) -> String {
    let mut seen = String::new();
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(message) = ws.next().await {
            if let Message::Binary(bytes) = message.unwrap() {
                seen.push_str(&String::from_utf8_lossy(&bytes));
                if seen.contains(needle) {
                    return;
                }
            }
        }
    })
    .await;
    assert!(outcome.is_ok(), "{needle:?} never came; the terminal showed {seen:?}");
    seen
}

#[tokio::test]
async fn terminal_sessions_run_a_shell_inside_the_container() {
    let (_dir, d, _, c) = server_with("shell").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let url = c["urls"]["terminal-1"].as_str().expect("a terminal URL").to_owned();
    let api = format!("{url}/api/v1/terminal");
    let http = browser(&d, &url);

    // The page and the npm packages it runs on.
    let page = http.get(format!("{url}/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("/assets/xterm.js") && page.contains("/api/v1/terminal/ws"));
    let js = http.get(format!("{url}/assets/xterm.js")).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.bytes().await.unwrap().len() > 100_000);

    // Keystrokes over the WebSocket; the shell runs in the container (its hostname).
    let mut ws = websocket(&d, &format!("{api}/ws?terminal_id=1")).await;
    ws.send(Message::Text(r#"{"type":"input","data":"echo $((6*7))-$(hostname)\r"}"#.into())).await.unwrap();
    read_until(&mut ws, "42-shell").await;
    ws.send(Message::Text(r#"{"type":"resize","cols":123,"rows":37}"#.into())).await.unwrap();

    // A second client (a reloaded page) sees the scrollback first.
    let mut again = websocket(&d, &format!("{api}/ws?terminal_id=1")).await;
    read_until(&mut again, "42-shell").await;
    // The resize went over the first socket: it is taken in its own time.
    let resized = || async {
        let sessions: Value = http.get(format!("{api}/sessions")).send().await.unwrap().json().await.unwrap();
        (sessions["sessions"][0]["cols"] == 123).then_some(sessions)
    };
    let sessions = hoody_client::testkit::eventually("the resize", Duration::from_secs(10), resized).await;
    assert_eq!(sessions["sessions"][0]["terminal_id"], 1);
    assert_eq!(sessions["sessions"][0]["clients"], 2);
    assert_eq!(sessions["sessions"][0]["rows"], 37);
    // The container's runtime info lists the session beside the services the server answers.
    let info = d.client.raw(Method::GET, &format!("/containers/{id}?runtime=true"), None).await.unwrap().body;
    let kit = &info["data"]["runtime_info"]["kit_services"];
    assert_eq!(kit[0]["service"], "terminal-1", "{kit}");
    assert_eq!(
        (kit[0]["clients"].clone(), kit[0]["size"].clone(), kit[0]["port"].clone()),
        (json!(2), json!("123x37"), json!(d.proxy_port))
    );
    // The shell runs in the container's cgroups (its limits hold it): it is one of its processes.
    let processes = info["data"]["runtime_info"]["processes"].as_array().unwrap();
    assert!(
        processes.iter().any(|p| p["command"].as_str().unwrap().ends_with(" -l")),
        "the login shell: {processes:?}"
    );
    let slugs: Vec<&str> = kit.as_array().unwrap().iter().map(|s| s["service"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["terminal-1", "files-1", "exec-1", "sqlite-1"]);

    // execute in the session: the shell's state carries over; output and exit code come back.
    let execute = |q: &'static str, body: Value| http.post(format!("{api}/execute?{q}")).json(&body).send();
    let r: Value = execute("terminal_id=1", json!({"command": "cd /tmp && export GREETING=hi", "wait": true}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["exit_code"], 0, "{r}");
    let r: Value = execute("terminal_id=1", json!({"command": "pwd; echo $GREETING\nstty size; false", "wait": true}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((r["stdout"].as_str().unwrap(), r["exit_code"].clone()), ("/tmp\nhi\n37 123\n", json!(1)), "{r}");

    // Without wait: a command id to poll.
    let r: Value =
        execute("terminal_id=1", json!({"command": "sleep 0.3; echo later"})).await.unwrap().json().await.unwrap();
    let command_id = r["command_id"].as_str().unwrap().to_owned();
    let mut result = Value::Null;
    for _ in 0..100 {
        result = http.get(format!("{api}/result/{command_id}")).send().await.unwrap().json().await.unwrap();
        if result["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(result["stdout"], "later\n", "{result}");
    let finished = http.post(format!("{api}/execute/{command_id}/abort")).send().await.unwrap();
    assert_eq!(finished.status(), 409, "a finished command is not aborted");

    // Aborted: Ctrl-C reaches the session's command; its result says so; the shell goes on.
    let r: Value =
        execute("terminal_id=1", json!({"command": "sleep 300; echo never"})).await.unwrap().json().await.unwrap();
    let long = r["command_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let abort = http.post(format!("{api}/execute/{long}/abort")).json(&json!({"force": false})).send().await.unwrap();
    assert_eq!(abort.status(), 200);
    let result: Value = http.get(format!("{api}/result/{long}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(result["status"], "aborted", "{result}");
    let again: Value =
        execute("terminal_id=1", json!({"command": "echo alive", "wait": true})).await.unwrap().json().await.unwrap();
    assert_eq!(again["stdout"], "alive\n", "the sleep was interrupted and the shell takes commands: {again}");
    let ephemeral: Value =
        execute("ephemeral=true", json!({"command": "sleep 300"})).await.unwrap().json().await.unwrap();
    let ephemeral = ephemeral["command_id"].as_str().unwrap().to_owned();
    let abort = http.post(format!("{api}/execute/{ephemeral}/abort")).send().await.unwrap();
    assert_eq!(abort.status(), 200);
    assert_eq!(http.post(format!("{api}/execute/nope/abort")).send().await.unwrap().status(), 404);
    let bad = http.post(format!("{api}/execute/{ephemeral}/abort")).body("{\"force\": 3}").send().await.unwrap();
    assert_eq!(bad.status(), 400);

    // Ephemeral: a shell of its own, stdout and stderr apart.
    let r: Value = execute("ephemeral=true", json!({"command": "echo out; echo err >&2; pwd; exit 3", "wait": true}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["stdout"].as_str(), r["stderr"].as_str(), r["exit_code"].clone()),
        (Some("out\n/root\n"), Some("err\n"), json!(3)),
        "{r}"
    );
    assert!(r["terminal_id"].as_u64().unwrap() >= 40_000);

    // write and raw.
    http.post(format!("{api}/write?terminal_id=1"))
        .json(&json!({"data": "echo written-$((1+1))\n"}))
        .send()
        .await
        .unwrap();
    let mut raw = String::new();
    for _ in 0..100 {
        raw = http.get(format!("{api}/raw?terminal_id=1")).send().await.unwrap().text().await.unwrap();
        if raw.contains("written-2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(raw.contains("written-2"), "{raw}");

    // Bad input is refused; unknown sessions are 404.
    assert_eq!(execute("terminal_id=70000", json!({"command": "true"})).await.unwrap().status(), 400);
    assert_eq!(execute("terminal_id=1", json!({"cmd": "true"})).await.unwrap().status(), 400);
    assert_eq!(http.post(format!("{api}/write?terminal_id=9")).body("x").send().await.unwrap().status(), 404);

    // Create and delete; at most 16 sessions per container.
    let r = http.post(format!("{api}/create?terminal_id=2")).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let pid2 = r.json::<Value>().await.unwrap()["pid"].as_u64().unwrap();
    assert_eq!(http.delete(format!("{api}/2")).send().await.unwrap().status(), 200);
    // The shell got SIGHUP; the container's init reaps it.
    for _ in 0..100 {
        if !hoody_runtime::is_alive(pid2 as u32) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!hoody_runtime::is_alive(pid2 as u32), "a deleted session's shell is gone");
    for n in 2..=16 {
        assert_eq!(http.post(format!("{api}/create?terminal_id={n}")).send().await.unwrap().status(), 201);
    }
    let r = http.post(format!("{api}/create?terminal_id=17")).send().await.unwrap();
    assert_eq!(r.status(), 429);

    // Stopping the container ends its shells; the clients hear so.
    let sessions: Value = http.get(format!("{api}/sessions")).send().await.unwrap().json().await.unwrap();
    let pids: Vec<u64> = sessions["sessions"].as_array().unwrap().iter().map(|s| s["pid"].as_u64().unwrap()).collect();
    assert_eq!(pids.len(), 16);
    d.client.raw(Method::POST, &format!("/containers/{id}/stop"), None).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = ws.next().await {
            if message == Message::Text(r#"{"type":"exit"}"#.into()) {
                return;
            }
        }
    });
    assert!(closed.await.is_ok(), "the client is told the shell exited");
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "session process {pid} outlived the container"
        );
    }
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}

/// A page of another site cannot drive a container's services from a visitor's browser: its
/// WebSockets to the terminal and the display and its `execute` are refused (403, nothing
/// runs), while the kit's own pages (same container, same proxy) and non-browser clients are
/// served.
#[tokio::test]
async fn cross_site_pages_cannot_drive_the_terminal_or_the_display() {
    let (_dir, d, _, c) = server_with("xsite").await;
    let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
    let display = c["urls"]["display-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &terminal);
    let execute = format!("{terminal}/api/v1/terminal/execute?ephemeral=true");
    let marker = "/tmp/cross-site-ran";
    let body = json!({"command": format!("touch {marker}"), "wait": true});

    for evil in ["https://evil.example", "null", &display.replace(c["id"].as_str().unwrap(), &"e".repeat(24))] {
        let r = http.post(&execute).header("Origin", evil).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 403, "execute from {evil}");
        assert!(r.text().await.unwrap().contains("cross-site"), "the page says why");
        for ws in [format!("{terminal}/api/v1/terminal/ws?terminal_id=1"), format!("{display}/api/v1/display/ws")] {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", d.proxy_port)).await.unwrap();
            let mut request = ws.replace("http://", "ws://").into_client_request().unwrap();
            request.headers_mut().insert("Origin", evil.parse().unwrap());
            let refused = tokio_tungstenite::client_async(request, stream).await.unwrap_err();
            assert!(refused.to_string().contains("403"), "{ws} from {evil}: {refused}");
        }
    }
    let check = json!({"command": format!("test -e {marker} && echo ran || echo clean"), "wait": true});
    let r: Value = http.post(&execute).json(&check).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["stdout"].as_str().unwrap().trim(), "clean", "nothing ran for the other site: {r}");

    // The container's own pages: the terminal page itself, and its display page next door.
    for own in [terminal.clone(), display.clone()] {
        let r = http.post(&execute).header("Origin", own.trim_end_matches('/')).json(&check).send().await.unwrap();
        assert_eq!(r.status(), 200, "from {own}");
    }
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", d.proxy_port)).await.unwrap();
    let mut request = format!("{terminal}/api/v1/terminal/ws?terminal_id=1")
        .replace("http://", "ws://")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert("Origin", terminal.trim_end_matches('/').parse().unwrap());
    tokio_tungstenite::client_async(request, stream).await.expect("its own page's WebSocket opens");
    let id = c["id"].as_str().unwrap();
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}

/// POSTs JSON to a kit route: the status and the JSON answer (null when there is none).
async fn post_json(http: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = http.post(url).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
}

/// Input as the platform's client sends it over HTTP: `write {"input", "enter"}` types (it
/// used to answer 200 and type nothing), `paste` and `press` (named keys), `raw?tail`; what is
/// documented but not honoured is a 501 naming it, what is malformed a 400.
#[tokio::test]
async fn terminal_input_as_the_platform_sends_it() {
    let (_dir, d, _, c) = server_with("typing").await;
    let url = c["urls"]["terminal-1"].as_str().expect("a terminal URL").to_owned();
    let api = format!("{url}/api/v1/terminal");
    let http = browser(&d, &url);
    let post = |route: &str, body: Value| post_json(&http, format!("{api}/{route}"), body);
    let raw = |query: &str| {
        let (http, url) = (http.clone(), format!("{api}/raw?terminal_id=2{query}"));
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let shows = |needle: &'static str| async move {
        let seen = || async { raw("").await.1.contains(needle).then_some(()) };
        hoody_client::testkit::eventually(needle, Duration::from_secs(10), seen).await
    };
    assert_eq!(post("create", json!({"terminal_id": 2})).await.0, 201);
    let (status, body) = post("write?terminal_id=2", json!({"input": "echo $((6*7))-typed", "enter": true})).await;
    assert_eq!(status, 200, "{body}");
    shows("42-typed").await;
    assert_eq!(post("paste?terminal_id=2", json!({"text": "echo pasted-$((1+1))"})).await.0, 200);
    assert_eq!(post("press?terminal_id=2", json!({"key": "Enter"})).await.0, 200);
    shows("pasted-2").await;
    assert_eq!(post("write?terminal_id=2", json!({"input": "sleep 30; echo slept", "enter": true})).await.0, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(post("press?terminal_id=2", json!({"keys": ["Ctrl+C"]})).await.0, 200);
    // Ctrl+C ended the sleep: the next command answers at once.
    assert_eq!(post("write?terminal_id=2", json!({"input": "echo after-$((2+3))", "enter": true})).await.0, 200);
    shows("after-5").await;
    let (status, last) = raw("&tail=1").await;
    assert_eq!(status, 200);
    assert!(last.trim_end().lines().count() <= 1, "one line: {last:?}");

    let keys: Value = http.get(format!("{api}/keys")).send().await.unwrap().json().await.unwrap();
    assert!(keys["keys"].as_array().unwrap().iter().any(|k| k == "Enter"), "{keys}");
    for (route, body, status, code, names) in [
        ("write?terminal_id=2", json!({}), 400, "INVALID_PARAMETERS", "input"),
        ("write?terminal_id=2", json!({"input": "x", "typo": 1}), 400, "INVALID_PARAMETERS", "typo"),
        ("paste?terminal_id=2", json!({"bracketed": true}), 400, "INVALID_PARAMETERS", "text"),
        ("press?terminal_id=2", json!({"key": "Hyper+Q"}), 400, "INVALID_PARAMETERS", "Hyper+Q"),
        ("create", json!({"terminal_id": 3, "display": ":9"}), 501, "NOT_IMPLEMENTED", "display"),
        ("create", json!({"terminal_id": 3, "cwd": "/no/such/dir"}), 400, "INVALID_PARAMETERS", "cwd"),
        ("create", json!({"terminal_id": 3, "shell": "/bin/no-such-shell"}), 400, "INVALID_PARAMETERS", "shell"),
    ] {
        let (got, answer) = post(route, body).await;
        assert_eq!((got, answer["error"].as_str()), (status, Some(code)), "{route}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(names), "{route}: {answer}");
    }
    let (status, _) = raw("&format=html").await;
    assert_eq!(status, 501);
    let sessions: Value = http.get(format!("{api}/sessions")).send().await.unwrap().json().await.unwrap();
    assert!(!sessions.to_string().contains("\"terminal_id\":3"), "a refused create opens nothing: {sessions}");
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

/// The screen as a person sees it, for automation: `wait` for a pattern or for quiet, `snapshot`
/// (lines and cursor, emulated from the output), `find`, `history`; a wait that times out is a
/// 504 that says what did not come.
#[tokio::test]
async fn terminal_screen_is_read_and_waited_on() {
    let (_dir, d, _, c) = server_with("screens").await;
    let url = c["urls"]["terminal-1"].as_str().expect("a terminal URL").to_owned();
    let api = format!("{url}/api/v1/terminal");
    let http = browser(&d, &url);
    let post = |route: &str, body: Value| post_json(&http, format!("{api}/{route}"), body);
    let get = |route: &str| {
        let (http, url) = (http.clone(), format!("{api}/{route}"));
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // A session started with the shell and directory asked for.
    assert_eq!(post("create", json!({"terminal_id": 6, "shell": "/bin/sh", "cwd": "/tmp"})).await.0, 201);
    assert_eq!(post("write?terminal_id=6", json!({"input": "echo in-$(pwd)", "enter": true})).await.0, 200);
    let (status, there) = post("wait?terminal_id=6", json!({"pattern": "^in-/tmp$", "timeout_ms": 10000})).await;
    assert_eq!(status, 200, "{there}");
    let (status, taken) = post("create", json!({"terminal_id": 6, "cwd": "/"})).await;
    assert_eq!((status, taken["error"].as_str()), (409, Some("CONFLICT")), "{taken}");

    assert_eq!(post("create", json!({"terminal_id": 4, "cols": 60, "rows": 10})).await.0, 201);
    let typed = json!({"input": "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo row-$i; done", "enter": true});
    assert_eq!(post("write?terminal_id=4", typed).await.0, 200);
    let (status, waited) = post("wait?terminal_id=4", json!({"pattern": "^row-12$", "timeout_ms": 10000})).await;
    assert_eq!((status, waited["matched"].as_bool()), (200, Some(true)), "{waited}");
    let (status, quiet) = post("wait?terminal_id=4", json!({"mode": "idle", "debounce_ms": 300})).await;
    assert_eq!(status, 200, "{quiet}");

    // Ten rows: the screen holds the last lines, the history the ones above.
    let (status, snap) = get("snapshot?terminal_id=4").await;
    assert_eq!(status, 200, "{snap}");
    assert_eq!((snap["rows"].as_u64(), snap["cols"].as_u64()), (Some(10), Some(60)));
    let lines: Vec<&str> = snap["lines"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(lines.contains(&"row-12") && !lines.contains(&"row-1"), "{lines:?}");
    assert!(snap["history_lines"].as_u64().unwrap() > 0, "{snap}");
    let (_, up) = get("snapshot?terminal_id=4&scroll_offset=5").await;
    assert_ne!(up["lines"], snap["lines"], "five lines up is another view");
    let (_, found) = get("find?terminal_id=4&pattern=%5Erow-%5B0-9%5D%2B%24").await;
    assert_eq!(found["count"], 12, "{found}");
    let (_, screen_only) = get("find?terminal_id=4&pattern=%5Erow-&scope=screen").await;
    assert!(screen_only["count"].as_u64().unwrap() < 12, "{screen_only}");
    let (status, history) = get("history/4").await;
    assert_eq!(status, 200);
    let all: Vec<&str> = history["lines"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(all.contains(&"row-1") && all.contains(&"row-12"), "{all:?}");

    // Refusals.
    let (status, timeout) = post("wait?terminal_id=4", json!({"pattern": "never-shows", "timeout_ms": 400})).await;
    assert_eq!((status, timeout["error"].as_str()), (504, Some("TIMEOUT")), "{timeout}");
    assert!(timeout["message"].as_str().unwrap().contains("never-shows"), "{timeout}");
    assert_eq!(post("wait?terminal_id=4", json!({"mode": "bogus"})).await.0, 400);
    assert_eq!(get("snapshot?terminal_id=4&include_colors=true").await.0, 501);
    assert_eq!(get("find?terminal_id=4&pattern=(").await.0, 400);
    assert_eq!(get("snapshot?terminal_id=9").await.0, 404);
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

/// The terminal's `/api/v1/system/*` calls read the container, not the host: its processes (its
/// init is pid 1), one process, its listening ports with their programs, a signal to a process by
/// name (its pids, never the host's), what it uses; reboot and shutdown point to the control plane.
#[tokio::test]
async fn terminal_system_routes_read_the_container() {
    let (_dir, d, _, c) = server_with("systems").await;
    let url = c["urls"]["terminal-1"].as_str().expect("a terminal URL").to_owned();
    let http = browser(&d, &url);
    let get = |route: &str| {
        let (http, url) = (http.clone(), format!("{url}/api/v1/system{route}"));
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, list) = get("/processes").await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> = list["processes"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(list["processes"][0]["pid"], 1, "{list}");
    assert!(names.contains(&"httpd"), "the container's web server: {names:?}");
    assert!(!names.contains(&"hoodyd"), "nothing of the host: {names:?}");
    assert_eq!(get("/processes?sort=memory&limit=2").await.1["count"], 2);
    assert_eq!(get("/processes/1").await.1["pid"], 1);
    let (status, ports) = get("/ports?protocol=tcp").await;
    assert_eq!(status, 200, "{ports}");
    let web = ports["ports"].as_array().unwrap().iter().find(|p| p["port"] == 8080).cloned();
    assert_eq!(web.map(|w| w["program"].clone()), Some(json!("httpd")), "{ports}");

    // A process started in a session, then ended by name.
    let api = format!("{url}/api/v1/terminal");
    assert_eq!(post_json(&http, format!("{api}/create"), json!({"terminal_id": 5})).await.0, 201);
    let typed = json!({"input": "sleep 300 &", "enter": true});
    assert_eq!(post_json(&http, format!("{api}/write?terminal_id=5"), typed).await.0, 200);
    let sleeping = || async { (get("/processes?filter=sleep").await.1["count"] == 1).then_some(()) };
    hoody_client::testkit::eventually("sleep running", Duration::from_secs(10), sleeping).await;
    let signal = format!("{url}/api/v1/system/process/signal");
    let (status, sent) = post_json(&http, signal.clone(), json!({"name": "sleep"})).await;
    assert_eq!(status, 200, "{sent}");
    // Ended: gone, or a zombie its shell has not reaped yet.
    let gone = || async {
        let left = get("/processes?filter=sleep").await.1;
        left["processes"].as_array().unwrap().iter().all(|p| p["state"] == "Z").then_some(())
    };
    hoody_client::testkit::eventually("sleep ended", Duration::from_secs(10), gone).await;

    // Refusals.
    assert_eq!(post_json(&http, signal.clone(), json!({"pid": 1})).await.0, 403, "not the init");
    assert_eq!(post_json(&http, signal.clone(), json!({"pid": 2, "signal": "BOOM"})).await.0, 400);
    assert_eq!(post_json(&http, signal, json!({"name": "no-such-program"})).await.0, 404);
    assert_eq!(
        post_json(&http, format!("{url}/api/v1/system/reboot?delay=-1"), json!({})).await.0,
        400,
        "nothing rebooted"
    );
    let (status, used) = get("/resources").await;
    assert_eq!(status, 200, "{used}");
    assert!(used["processes"].as_u64().unwrap() >= 2 && used["memory"]["rss_bytes"].as_u64().unwrap() > 0, "{used}");
    assert!(used["disk"]["total_bytes"].as_u64().unwrap() > 0 && used["uptime_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(get("/processes/999999").await.0, 404);
    assert_eq!(get("/displays").await.0, 200);
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

/// The terminal service's settings, what `execute` did and does (per session), and the
/// container restarted and stopped through `system/reboot` and `system/shutdown`.
#[tokio::test]
async fn automation_figures_and_the_containers_power_through_the_terminal() {
    let (_dir, d, _, c) = server_with("powered").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let url = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &url);
    let get = |path: &str| {
        let r = http.get(format!("{url}{path}")).send();
        async move {
            let r = r.await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let post = |path: &str, body: Value| {
        let r = http.post(format!("{url}{path}")).json(&body).send();
        async move {
            let r = r.await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, daemon) = get("/api/v1/system/daemon").await;
    assert_eq!((status, daemon["max_sessions"].clone()), (200, json!(16)), "{daemon}");

    // A waited command, a failing one, and one still running in the background.
    let execute = "/api/v1/terminal/execute?terminal_id=1";
    assert_eq!(post(execute, json!({"command": "echo hi", "wait": true})).await.1["success"], true);
    assert_eq!(post(execute, json!({"command": "false", "wait": true})).await.1["success"], false);
    let (status, _) = post(execute, json!({"command": "sleep 30"})).await;
    assert_eq!(status, 202);
    let (_, state) = get("/api/v1/terminal/1/automation").await;
    assert_eq!(
        (state["busy"].clone(), state["running"]["command"].clone()),
        (json!(true), json!("sleep 30")),
        "{state}"
    );
    assert_eq!(state["last"]["status"], "failed", "{state}");
    let (_, metrics) = get("/api/v1/terminal/automation/metrics").await;
    let commands = &metrics["commands"];
    assert_eq!(
        (
            commands["started"].clone(),
            commands["succeeded"].clone(),
            commands["failed"].clone(),
            commands["running"].clone()
        ),
        (json!(3), json!(1), json!(1), json!(1)),
        "{metrics}"
    );
    assert_eq!(get("/api/v1/terminal/9/automation").await.0, 404, "no session 9");

    // Session 2's screen as a picture: its red word in red, the rest light on dark.
    let red = json!({"command": "printf '\\033[31mRED ALERT\\033[0m plain text\\n'", "wait": true});
    assert_eq!(post("/api/v1/terminal/execute?terminal_id=2", red).await.1["success"], true);
    let shot = http.get(format!("{url}/api/v1/terminal/screenshot?terminal_id=2&fontsize=14")).send().await.unwrap();
    assert_eq!(shot.headers()["content-type"], "image/png");
    let png = shot.bytes().await.unwrap();
    std::fs::write(std::path::Path::new(&hoody_e2e::screenshots()).join("terminal-screenshot.png"), &png).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut rgb).unwrap();
    let pixels: Vec<&[u8]> = rgb[..frame.buffer_size()].chunks_exact(3).collect();
    let reds = pixels.iter().filter(|p| p[0] > 150 && p[1] < 80 && p[2] < 80).count();
    let light = pixels.iter().filter(|p| p.iter().all(|c| *c > 150)).count();
    assert!(
        frame.width > 400 && reds > 30 && light > 100,
        "{}x{}: {reds} red, {light} light",
        frame.width,
        frame.height
    );
    for (query, want) in
        [("terminal_id=2&format=jpeg", 501), ("terminal_id=9", 404), ("terminal_id=2&fontsize=2", 400), ("", 400)]
    {
        let r = http.get(format!("{url}/api/v1/terminal/screenshot?{query}")).send().await.unwrap();
        assert_eq!(r.status(), want, "{query}");
    }

    // Reboot: the container runs again, another init; a bad delay is refused; shutdown stops it.
    assert_eq!(post("/api/v1/system/shutdown?delay=soon", json!({})).await.0, 400);
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let (status, rebooting) = post("/api/v1/system/reboot", json!({})).await;
    assert_eq!((status, rebooting["action"].clone()), (200, json!("reboot")), "{rebooting}");
    let again = || async {
        let c = d.client.raw(Method::GET, &format!("/containers/{id}?runtime=true"), None).await.unwrap().body["data"]
            .clone();
        let pid = c["runtime_info"]["processes"][0]["host_pid"].as_u64();
        (c["status"] == "running" && pid.is_some_and(|p| p != init)).then_some(())
    };
    hoody_client::testkit::eventually("the container running again after the reboot", Duration::from_secs(30), again)
        .await;
    // Its terminal answers a moment after its init runs (the proxy says 503 until then).
    let answering = || async { (get("/api/v1/system/daemon").await.0 == 200).then_some(()) };
    hoody_client::testkit::eventually("the terminal answering after the reboot", Duration::from_secs(30), answering)
        .await;
    let (status, _) = post("/api/v1/system/shutdown?delay=0", json!({})).await;
    assert_eq!(status, 200);
    let stopped = || async {
        let c = d.client.raw(Method::GET, &format!("/containers/{id}"), None).await.unwrap().body["data"].clone();
        (c["status"] == "stopped").then_some(())
    };
    hoody_client::testkit::eventually("the container stopped after the shutdown", Duration::from_secs(30), stopped)
        .await;
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
