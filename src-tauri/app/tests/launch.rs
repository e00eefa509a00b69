//! The real app binary under Xvfb, in a D-Bus session of its own, with a temporary HOME and a
//! recording `xdg-open` first on PATH: it starts its engine (which adopts a container hoodyd
//! left running), a second launch with a `hoody://` link hands it over to the first, which opens
//! exactly that container's terminal URL; a malformed link opens nothing and says why.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const APP: &str = env!("CARGO_BIN_EXE_hoody-desktop");

fn hoodyd() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/hoodyd");
    assert!(path.exists(), "{} is missing: build the workspace first", path.display());
    path
}

/// Kills the process when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "{what} did not happen within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn log_text(data: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(data.join("logs")) else { return String::new() };
    entries.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect()
}

/// A running busybox container made with hoodyd on `data`: (project id, container id).
fn container_left_running(data: &Path) -> (String, String) {
    let tarball = hoody_runtime::testkit::busybox_tarball(data).unwrap();
    let imported = Command::new(hoodyd())
        .args(["image", "import", "busybox/1"])
        .arg(&tarball)
        .arg("--data-dir")
        .arg(data)
        .status();
    assert!(imported.unwrap().success());
    let mut serve = Guard(
        Command::new(hoodyd())
            .args(["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .env("HOODY_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(serve.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let api = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let token = std::fs::read_to_string(data.join("admin.token")).unwrap();
    let call = |method: &str, path: &str, body: &str| -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-s", "-X", method, "-H", &format!("authorization: Bearer {}", token.trim())])
            .args(["-H", "content-type: application/json", "-d", body])
            .arg(format!("{api}/api/v1{path}"))
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let project = call("POST", "/projects/", r#"{"alias": "links"}"#)["data"]["id"].as_str().unwrap().to_owned();
    let body = r#"{"name": "linked", "container_image": "busybox/1"}"#;
    let id = call("POST", &format!("/projects/{project}/containers"), body)["data"]["id"].as_str().unwrap().to_owned();
    wait_for("the container running", Duration::from_secs(30), || {
        call("GET", &format!("/containers/{id}"), "")["data"]["status"] == "running"
    });
    // hoodyd ends; the container keeps running (containers outlive the programs that made them).
    let _ = Command::new("kill").arg(serve.0.id().to_string()).status();
    let _ = serve.0.wait();
    (project, id)
}

#[test]
fn deep_links_reach_the_running_app() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let home = dir.path().join("home");
    let bin = dir.path().join("bin");
    for d in [&data, &home, &bin] {
        std::fs::create_dir_all(d).unwrap();
    }
    let (project, id) = container_left_running(&data);

    // A recording xdg-open, an X server and a session bus of our own.
    let opened = dir.path().join("opened.txt");
    let script = format!("#!/bin/sh\necho \"$1\" >> {}\n", opened.display());
    std::fs::write(bin.join("xdg-open"), script).unwrap();
    Command::new("chmod").args(["755"]).arg(bin.join("xdg-open")).status().unwrap();
    let display = format!(":{}", 60 + std::process::id() % 200);
    let _xvfb = Guard(
        Command::new("Xvfb").args([&display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"]).spawn().unwrap(),
    );
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--print-address=1", "--nofork"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut address = String::new();
    BufReader::new(bus.stdout.take().unwrap()).read_line(&mut address).unwrap();
    let _bus = Guard(bus);
    let app = |args: &[&str]| {
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        Command::new(APP)
            .args(args)
            .env("DISPLAY", &display)
            .env("DBUS_SESSION_BUS_ADDRESS", address.trim())
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("HOODY_DATA_DIR", &data)
            .env("HOODY_PROXY_LISTEN", "127.0.0.1:0")
            .env("PATH", path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    let _first = Guard(app(&[]));
    wait_for("the engine starting", Duration::from_secs(60), || log_text(&data).contains("engine started"));
    let log = log_text(&data);
    let port: u16 = log.split("proxy_port=").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();

    // A second launch with a link: it hands the link over and exits; the first opens the URL.
    let link = format!("hoody://containers/{id}/terminal");
    let mut second = app(&[&link]);
    wait_for("the second launch exiting", Duration::from_secs(20), || second.try_wait().unwrap().is_some());
    wait_for("the terminal URL opening", Duration::from_secs(20), || opened.exists());
    let urls = std::fs::read_to_string(&opened).unwrap();
    assert_eq!(urls.trim(), format!("http://{project}-{id}-terminal-1.local.localhost:{port}"));

    // A malformed link: refused with its reason, nothing opened.
    let mut third = app(&["hoody://containers/not-a-container/terminal"]);
    wait_for("the third launch exiting", Duration::from_secs(20), || third.try_wait().unwrap().is_some());
    wait_for("the refusal", Duration::from_secs(20), || log_text(&data).contains("is not a container id"));
    assert_eq!(std::fs::read_to_string(&opened).unwrap().lines().count(), 1, "nothing more was opened");

    // The scheme is registered for this user (a .desktop handler and its MIME default).
    let mimeapps = std::fs::read_to_string(home.join(".config/mimeapps.list")).unwrap_or_default();
    assert!(mimeapps.contains("x-scheme-handler/hoody"), "{mimeapps}");

    drop(_first);
    // Clean up the container with hoodyd.
    let mut serve = Guard(
        Command::new(hoodyd())
            .args(["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("HOODY_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(serve.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let api = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let token = std::fs::read_to_string(data.join("admin.token")).unwrap();
    let deleted = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE"])
        .args(["-H", &format!("authorization: Bearer {}", token.trim())])
        .arg(format!("{api}/api/v1/containers/{id}"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&deleted.stdout), "200");
}
