//! The display service on a real Debian container: a GUI program started inside appears in
//! the screenshot, the page's WebSocket speaks VNC, input reaches the display, and the X
//! server ends with the container.

use crate::process::Hoodyd;
use crate::proxy::browser;
use crate::terminal::websocket;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Pixels of a screenshot brighter than light grey.
fn white_pixels(png_bytes: &[u8]) -> (u32, u32, usize) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut rgb).unwrap();
    assert_eq!(frame.color_type, png::ColorType::Rgb);
    let white = rgb[..frame.buffer_size()].chunks_exact(3).filter(|p| p.iter().all(|c| *c > 200)).count();
    (frame.width, frame.height, white)
}

/// A server with the Debian test image and one running container `name` (systemd, X clients)
/// in a project of the same name; returns the container as `GET ?runtime=true` shows it.
pub(crate) async fn running_debian(name: &str) -> (tempfile::TempDir, Hoodyd, Value) {
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start(dir.path());
    d.import_debian();
    let r = d.client.raw(Method::POST, "/projects/", Some(&json!({"alias": name}))).await.unwrap();
    let project = r.body["data"]["id"].as_str().unwrap().to_owned();
    let body =
        json!({"name": name, "container_image": "debian/13", "server_id": crate::proxy::server_id(&d.client).await});
    let r = d.client.raw(Method::POST, &format!("/projects/{project}/containers"), Some(&body)).await.unwrap();
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    let running = || async {
        let c = d.client.raw(Method::GET, &format!("/containers/{id}?runtime=true"), None).await.unwrap().body["data"]
            .clone();
        (c["status"] == "running").then_some(c)
    };
    let c = hoody_client::testkit::eventually(&format!("{name} running"), Duration::from_secs(30), running).await;
    (dir, d, c)
}

#[tokio::test]
async fn a_gui_program_inside_the_container_appears_on_its_display() {
    let (_dir, d, c) = running_debian("desk").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let url = c["urls"]["display-1"].as_str().expect("a display URL").to_owned();
    let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &url);
    let api = format!("{url}/api/v1/display");

    // The page and noVNC's modules.
    let page = http.get(format!("{url}/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("/assets/novnc/core/rfb.js"), "{page}");
    assert_eq!(http.get(format!("{url}/assets/novnc/core/rfb.js")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{url}/assets/novnc/../../etc/passwd")).send().await.unwrap().status(), 404);

    // The display starts on first use: an empty (black) screen.
    let info: Value = http.get(format!("{api}/info")).send().await.unwrap().json().await.unwrap();
    assert_eq!((info["display"].as_str(), info["width"].as_u64()), (Some(":1"), Some(1280)), "{info}");
    let shot = http.get(format!("{api}/screenshot")).send().await.unwrap();
    assert_eq!(shot.headers()["content-type"], "image/png");
    assert_eq!(white_pixels(&shot.bytes().await.unwrap()), (1280, 800, 0));

    // A program started in terminal session 1 (DISPLAY=:1) draws on it.
    let execute = |body: Value| {
        browser(&d, &terminal).post(format!("{terminal}/api/v1/terminal/execute?terminal_id=1")).json(&body).send()
    };
    let r: Value = execute(json!({"command": "echo $DISPLAY; test -S /tmp/.X11-unix/X1 && echo socket; xlogo -geometry 400x400+100+100 &", "wait": true}))
        .await.unwrap().json().await.unwrap();
    assert_eq!(r["stdout"].as_str().unwrap().lines().take(2).collect::<Vec<_>>(), [":1", "socket"], "{r}");
    let mut white = 0;
    for _ in 0..100 {
        let png = http.get(format!("{api}/screenshot")).send().await.unwrap().bytes().await.unwrap();
        white = white_pixels(&png).2;
        if white > 100_000 {
            std::fs::create_dir_all(hoody_e2e::root().join("target/screenshots")).unwrap();
            std::fs::write(hoody_e2e::root().join("target/screenshots/display-xlogo.png"), &png).unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(white > 100_000, "xlogo's 400×400 white window is on the screenshot ({white} white pixels)");

    // Keyboard and mouse reach the display; bad input is refused.
    let post = |path: &str, body: Value| http.post(format!("{api}{path}")).json(&body).send();
    assert_eq!(post("/mouse/click", json!({"x": 300, "y": 300})).await.unwrap().status(), 200);
    assert_eq!(post("/keyboard/type", json!({"text": "hello"})).await.unwrap().status(), 200);
    assert_eq!(post("/keyboard/key", json!({"keys": "ctrl+a Return"})).await.unwrap().status(), 200);
    assert_eq!(post("/mouse/click", json!({"x": 1, "y": 1, "button": 12})).await.unwrap().status(), 400);
    assert_eq!(post("/keyboard/type", json!({"txt": "x"})).await.unwrap().status(), 400);

    // The page's WebSocket reaches the VNC server (it greets first), which listens on the
    // container's own loopback only: nothing on the host's.
    let mut ws = websocket(&d, &format!("{api}/ws")).await;
    let greeting = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(greeting, Message::Binary(bytes::Bytes::from_static(b"RFB 003.008\n")));
    let c =
        d.client.raw(Method::GET, &format!("/containers/{id}?runtime=true"), None).await.unwrap().body["data"].clone();
    assert!(c["runtime_info"]["listening_ports"].as_array().unwrap().iter().any(|p| p == 5901), "{c}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", 5901)).is_err(), "VNC must not listen on the host");
    let kit = c["runtime_info"]["kit_services"].as_array().unwrap();
    let display = kit.iter().find(|s| s["service"] == "display-1").expect("the display is listed");
    assert_eq!((display["clients"].clone(), display["size"].clone()), (json!(1), json!("1280x800")), "{display}");

    // Resizing (what the page asks for its window, as a VNC client): the X display changes,
    // its info and the screenshot follow; sizes out of range are refused.
    let resized: Value = post("/resize", json!({"width": 1024, "height": 640})).await.unwrap().json().await.unwrap();
    assert_eq!(resized, json!({"success": true, "width": 1024, "height": 640}));
    let info: Value = http.get(format!("{api}/info")).send().await.unwrap().json().await.unwrap();
    assert_eq!((info["width"].as_u64(), info["height"].as_u64()), (Some(1024), Some(640)), "{info}");
    let png = http.get(format!("{api}/screenshot")).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(white_pixels(&png).0, 1024);
    for bad in [json!({"width": 100, "height": 640}), json!({"width": 1024}), json!({"w": 1, "height": 1})] {
        assert_eq!(post("/resize", bad.clone()).await.unwrap().status(), 400, "{bad}");
    }

    // The X server belongs to the container's run: it ends when the container stops.
    let info: Value = http.get(format!("{api}/info")).send().await.unwrap().json().await.unwrap();
    let pid = info["pid"].as_u64().unwrap();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    d.client.raw(Method::POST, &format!("/containers/{id}/stop"), None).await.unwrap();
    // systemd halts on its signal: no kit process holds it back until the kill.
    let log = d.client.status_logs(&id).await.unwrap();
    let how = log.last().and_then(|entry| entry.reason.clone());
    assert_eq!(how.as_deref(), Some("its init halted on its signal"));
    let gone = || async { (!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(()) };
    hoody_client::testkit::eventually("the X server ending with its container", Duration::from_secs(5), gone).await;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    assert!(status.is_empty(), "the X server outlived its container: {status}");
    // Nor do its socket, log and X socket directory stay on the host.
    let left: Vec<_> = std::fs::read_dir("/run/hoody-kit")
        .into_iter()
        .chain(std::fs::read_dir("/run/hoody-kit/x11"))
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&id))
        .collect();
    assert!(left.is_empty(), "left on the host after the stop: {left:?}");
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}

/// Polls `read` until `done` holds of its answer (the X server applies changes a moment later).
async fn settles(what: &str, read: impl Fn() -> reqwest::RequestBuilder, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = read().send().await.unwrap().json().await.unwrap();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: the last answer was {last}");
}

#[tokio::test]
async fn the_display_api_as_the_platforms_clients_call_it() {
    let (_dir, d, c) = running_debian("deskapi").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let url = c["urls"]["display-1"].as_str().unwrap().to_owned();
    let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &url);
    let api = format!("{url}/api/v1/display");
    let get = |path: &str| http.get(format!("{api}{path}"));
    let post = |path: &str, body: Value| http.post(format!("{api}{path}")).json(&body).send();
    let ok = |path: &'static str, body: Value| {
        let sent = post(path, body.clone());
        async move {
            let r = sent.await.unwrap();
            let status = r.status();
            let answer: Value = r.json().await.unwrap();
            assert_eq!(status, 200, "{path} {body}: {answer}");
            answer
        }
    };

    // The client page at the platform's path.
    let page = get("/").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("/assets/novnc/core/rfb.js"), "{page}");

    // A program with a window, at a known place (no window manager: where it asks to be).
    let info: Value = get("/info").send().await.unwrap().json().await.unwrap();
    assert_eq!(info["display"], ":1");
    browser(&d, &terminal)
        .post(format!("{terminal}/api/v1/terminal/execute?terminal_id=1"))
        .json(&json!({"command": "xlogo -geometry 200x200+50+60 &", "wait": true}))
        .send()
        .await
        .unwrap();
    let list = settles("xlogo listed", || get("/windows"), |l| l["data"]["windows"][0]["name"] == "xlogo").await;
    assert_eq!(list["count"], 1, "{list}");
    let window = list["data"]["windows"][0]["id"].as_str().unwrap().to_owned();
    let found = ok("/window/search", json!({"pattern": "^xlo", "name": true})).await;
    assert_eq!(found["data"]["windows"][0]["id"], window.as_str(), "{found}");
    assert!(found["message"].as_str().unwrap().starts_with("1 window"), "{found}");
    let none = ok("/window/search", json!({"pattern": "nothing-like-this", "onlyVisible": true})).await;
    assert_eq!(none["count"], 0);
    let name: Value = get(&format!("/window/{window}/name")).send().await.unwrap().json().await.unwrap();
    assert_eq!(name["name"], "xlogo");
    let geometry = || get(&format!("/window/{window}/geometry"));
    let g: Value = geometry().send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (g["x"].clone(), g["y"].clone(), g["width"].clone(), g["height"].clone()),
        (json!(50), json!(60), json!(200), json!(200)),
        "{g}"
    );
    let props: Value = get(&format!("/window/{window}/properties")).send().await.unwrap().json().await.unwrap();
    assert!(props["properties"]["WM_NAME"].as_str().unwrap().contains("xlogo"), "{props}");
    assert!(props["properties"]["WM_PROTOCOLS"].as_str().unwrap().contains("WM_DELETE_WINDOW"), "{props}");

    // Moved, resized, focused, raised; minimizing needs a window manager, and says so.
    ok("/window/move", json!({"windowId": window, "x": 300, "y": 200})).await;
    settles("moved", geometry, |g| g["x"] == 300 && g["y"] == 200).await;
    ok("/window/resize", json!({"windowId": window, "width": 250, "height": 150})).await;
    settles("resized", geometry, |g| g["width"] == 250 && g["height"] == 150).await;
    ok("/window/focus", json!({"windowId": window})).await;
    let active = settles("focused", || get("/window/active"), |a| a["windowId"].is_string()).await;
    assert_eq!(active["windowId"], window.as_str(), "{active}");
    ok("/window/raise", json!({"windowId": window})).await;
    let r = post("/window/minimize", json!({"windowId": window})).await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("no window manager"));

    // The pointer: moved, moved by, read back; the screen's geometry.
    ok("/mouse/move", json!({"x": 10, "y": 20})).await;
    ok("/mouse/move-relative", json!({"x": 5, "y": 7})).await;
    let at: Value = get("/mouse/location").send().await.unwrap().json().await.unwrap();
    assert_eq!((at["x"].clone(), at["y"].clone()), (json!(15), json!(27)), "{at}");
    let screen: Value = get("/input/display-geometry").send().await.unwrap().json().await.unwrap();
    assert_eq!((screen["width"].clone(), screen["height"].clone()), (json!(1280), json!(800)));

    // Every documented input action is taken; a batch runs in order; one bad action refuses the
    // whole batch before anything moves.
    for (path, body) in [
        ("/mouse/click", json!({"button": 1, "repeat": 2, "delay": 10})),
        ("/mouse/double-click", json!({})),
        ("/mouse/down", json!({"button": 1, "holdMs": 20})),
        ("/mouse/up", json!({"button": 1})),
        ("/mouse/scroll", json!({"direction": "down", "clicks": 2})),
        ("/input/click-at", json!({"x": 400, "y": 250})),
        ("/input/type-at", json!({"x": 400, "y": 250, "text": "hi"})),
        ("/input/drag", json!({"startX": 100, "startY": 100, "endX": 150, "endY": 120, "steps": 3})),
        ("/input/select", json!({"x": 100, "y": 100, "endX": 120, "endY": 110})),
        ("/input/reset", json!({})),
        ("/keyboard/key", json!({"keys": ["shift+a", "BackSpace"], "window": window})),
        ("/keyboard/key-down", json!({"key": "Shift_L", "holdMs": 20})),
        ("/keyboard/key-up", json!({"key": "Shift_L"})),
        ("/keyboard/type", json!({"text": "ok", "delay": 1, "clearModifiers": true})),
        ("/input/wait", json!({"ms": 10})),
    ] {
        let answer = ok(path, body).await;
        assert!(answer["message"].is_string(), "{path}: {answer}");
    }
    let batch = ok(
        "/input/batch",
        json!({"actions": [
            {"action": "move", "params": {"x": 40, "y": 41}}, {"action": "click", "params": {"button": 1}}
        ]}),
    )
    .await;
    assert_eq!(batch["results"].as_array().unwrap().len(), 2, "{batch}");
    let refused =
        post("/input/batch", json!({"actions": [{"action": "move", "params": {"x": 1, "y": 1}}, {"action": "fly"}]}));
    let refused = refused.await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("actions[1] (fly)"));
    let at: Value = get("/mouse/location").send().await.unwrap().json().await.unwrap();
    assert_eq!((at["x"].clone(), at["y"].clone()), (json!(40), json!(41)), "the refused batch moved nothing: {at}");

    // An action with the screenshot after it, of a region.
    let acted =
        ok("/input/act", json!({"action": "move", "params": {"x": 5, "y": 5}, "screenshotRegion": "300,200,100,50"}))
            .await;
    assert_eq!((acted["screenshot"]["width"].clone(), acted["screenshot"]["height"].clone()), (json!(100), json!(50)));
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD.decode(acted["screenshot"]["image"].as_str().unwrap()).unwrap();
    let (w, h, white) = white_pixels(&png);
    assert_eq!((w, h), (100, 50));
    assert!(white > 1000, "the region shows xlogo's white window ({white} white pixels)");

    // Screenshots are kept: listed, the last, one by its timestamp; thumbnails are smaller.
    let shot: Value = get("/screenshot?base64=true").send().await.unwrap().json().await.unwrap();
    let png = base64::engine::general_purpose::STANDARD.decode(shot["image"].as_str().unwrap()).unwrap();
    assert_eq!(white_pixels(&png).0, 1280);
    let taken = shot["id"].as_str().unwrap().to_owned();
    let last: Value = get("/screenshot/last/info").send().await.unwrap().json().await.unwrap();
    assert_eq!(last["id"], taken.as_str());
    let listed: Value = get("/screenshots").send().await.unwrap().json().await.unwrap();
    let ids: Vec<&str> =
        listed["data"]["screenshots"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "the act's and this one: {listed}");
    assert_eq!(ids[0], taken);
    let again = get(&format!("/screenshot/{taken}")).send().await.unwrap();
    assert_eq!(again.headers()["content-type"], "image/png");
    assert_eq!(again.bytes().await.unwrap(), png);
    let meta: Value = get("/screenshot/info").send().await.unwrap().json().await.unwrap();
    assert_eq!((meta["width"].clone(), meta["image"].clone()), (json!(1280), Value::Null));
    let thumb = get("/thumbnail").send().await.unwrap().bytes().await.unwrap();
    assert_eq!(white_pixels(&thumb).0, 320);
    let thumb: Value = get(&format!("/thumbnail/{taken}?base64=true")).send().await.unwrap().json().await.unwrap();
    assert_eq!((thumb["width"].clone(), thumb["height"].clone()), (json!(320), json!(200)));
    assert_eq!(get("/thumbnail/last").send().await.unwrap().status(), 200);
    assert_eq!(get("/screenshot/12345").send().await.unwrap().status(), 404);
    assert_eq!(get("/screenshot/yesterday").send().await.unwrap().status(), 400);

    // The clipboard and the primary selection, each its own.
    ok("/clipboard", json!({"text": "from the API ✓"})).await;
    ok("/clipboard", json!({"text": "primary", "selection": "primary"})).await;
    let clip: Value = get("/clipboard").send().await.unwrap().json().await.unwrap();
    assert_eq!(clip["text"], "from the API ✓");
    let primary: Value = get("/clipboard?selection=primary").send().await.unwrap().json().await.unwrap();
    assert_eq!(primary["text"], "primary");

    // Bad input: refused naming why, nothing done.
    for (path, body) in [
        ("/window/move", json!({"windowId": "xlogo", "x": 1, "y": 1})),
        ("/window/resize", json!({"windowId": window, "width": 0, "height": 1})),
        ("/window/search", json!({"pattern": "("})),
        ("/input/act", json!({"action": "move", "params": {"x": 1, "y": 1}, "screenshotRegion": "1,2"})),
        ("/keyboard/key", json!({"keys": ["--window"]})),
        ("/clipboard", json!({"text": "x", "selection": "everything"})),
        ("/mouse/scroll", json!({"direction": "sideways"})),
    ] {
        let r = post(path, body.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{path} {body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"], "INVALID_PARAMETERS", "{e}");
    }
    assert_eq!(get("/info?displayId=0").send().await.unwrap().status(), 400);
    assert_eq!(get("/window/999999/name").send().await.unwrap().status(), 404);
    let g: Value = geometry().send().await.unwrap().json().await.unwrap();
    assert_eq!((g["x"].clone(), g["width"].clone()), (json!(300), json!(250)), "{g}");

    // Closing asks the program to close its window (WM_DELETE_WINDOW): xlogo exits.
    ok("/window/close", json!({"windowId": window})).await;
    settles("xlogo gone", || get("/windows"), |l| l["count"] == 0).await;
    assert_eq!(post("/window/close", json!({"windowId": window})).await.unwrap().status(), 404);
    d.client.raw(Method::POST, &format!("/containers/{id}/stop"), None).await.unwrap();
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}
