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
