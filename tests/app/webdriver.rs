//! The real app over WebDriver (tauri-driver + Debian's WebKitWebDriver), run by an ordinary
//! user (its engine rootless: the containers' ids are the user's subordinate range) under Xvfb
//! in the user's D-Bus session, with a temporary HOME and a recording `xdg-open`: the create dialog
//! refuses a bad name, a container is created and runs, stops and starts, its Terminal chip
//! opens its terminal URL, and it is deleted with a snapshot first; a remote hoodyd is added in
//! the Servers dialog (token into a gnome-keyring on that bus), its container's Terminal opens
//! through the app's proxy, and it is stopped (`tests/browser/app-webdriver.mjs` drives the window).

use hoody_client::testkit::{Hoodyd, test_user};
use hoody_model::{ContainerCreate, ContainerStatus, ProjectCreate};
use session::Guard;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn app() -> std::path::PathBuf {
    hoody_e2e::program("hoody-desktop")
}

#[path = "support/session.rs"]
mod session;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn the_window_creates_runs_and_deletes_a_container() {
    let root = hoody_e2e::root();
    let user = test_user();
    let desktop = session::Session::start(300, user);
    let (_scratch, dirs) = desktop.dirs(&["data", "home", "bin"]);
    let (data, home, bin) = (dirs[0].clone(), dirs[1].clone(), dirs[2].clone());
    let dir = tempfile::tempdir().unwrap();
    let tarball = hoody_runtime::testkit::busybox_tarball(&data).unwrap();
    let imported = user
        .command(&user.program("hoodyd"))
        .args(["image", "import", "busybox/1"])
        .arg(&tarball)
        .arg("--data-dir")
        .arg(&data)
        .stdout(Stdio::null())
        .status();
    assert!(imported.unwrap().success());

    // A remote server for the Servers dialog: another hoodyd on loopback (root's, a server of
    // its own) with a running container.
    let remote_data = dir.path().join("remote");
    std::fs::create_dir_all(&remote_data).unwrap();
    let remote = Hoodyd::start(&remote_data, &tarball);
    let far_id = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = remote.client();
        let project =
            client.create_project(&ProjectCreate { alias: "far".into(), ..Default::default() }).await.unwrap();
        let req = ContainerCreate {
            name: Some("far-1".into()),
            container_image: Some("busybox/1".into()),
            ..Default::default()
        };
        client.create_container(project.id.as_str(), &req).await.unwrap().id.as_str().to_owned()
    });

    let opened = _scratch.0.join("opened.txt");
    session::recording_xdg_open(&bin, &opened);
    desktop.unlock_keyring(&home);

    // tauri-driver starts the app as it runs: as the user.
    let (port, native) = (free_port(), free_port());
    let driver = user.provide(&hoody_e2e::tauri_driver());
    let app = user.provide(&app());
    let _driver = Guard(
        desktop
            .command(&driver, &home, &bin)
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .env("HOODY_DATA_DIR", &data)
            .env("HOODY_PROXY_LISTEN", "127.0.0.1:0")
            .env("HOODY_API_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "tauri-driver did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }

    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .env("DISPLAY", &desktop.display)
        .arg(root.join("tests/browser/app-webdriver.mjs"))
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(&app)
        .arg("busybox/1")
        .arg(&shots)
        .arg(&remote.origin)
        .arg(&remote.token)
        .arg(remote.pid().to_string())
        .arg(Hoodyd::binary())
        .arg(&remote_data)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The remote the script started again goes with the test, however it ends.
    let restarted = stdout.lines().find_map(|l| l.strip_prefix("step: remote restarted: pid "));
    let _restarted = restarted.and_then(|pid| pid.trim().parse().ok()).map(session::Killed);
    let log: String = std::fs::read_dir(data.join("logs"))
        .map(|entries| entries.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect())
        .unwrap_or_default();
    assert!(
        out.status.success(),
        "the WebDriver test failed:\n{stdout}\n{}\nthe app's log:\n{log}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("filled rgb(115, 210, 22)"), "{stdout}");
    assert!(stdout.contains("step: deleted with a snapshot first"), "{stdout}");

    // The remote server was added with its token in the Secret Service, and its container was
    // stopped there from its card.
    assert!(stdout.contains("step: remote added: edge added; its token is in the Secret Service"), "{stdout}");
    assert!(stdout.contains("step: remote card: far · busybox/1 · edge"), "{stdout}");
    // Killed, it was shown unreachable (target/screenshots/app-server-unreachable.png); back where
    // it was (the script started it again), its card was live again.
    assert!(
        stdout.contains("step: remote away: edge unreachable · last known state, it last answered at "),
        "{stdout}"
    );
    assert!(stdout.contains("step: remote back: far · busybox/1 · edge"), "{stdout}");
    // Copied from its card's menu to this machine (target/screenshots/app-copy-to-server.png):
    // it arrived here, stopped as it is there.
    let copied =
        stdout.lines().find_map(|l| l.strip_prefix("step: copied here: ")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(copied.ends_with("· busybox/1 · local"), "{copied}");
    assert!(stdout.contains("step: dropped: Copy far-1 to another server to local"), "{stdout}");
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let far = tokio.block_on(remote.client().container(&far_id, false)).unwrap();
    assert_eq!(far.status, ContainerStatus::Stopped);
    tokio.block_on(remote.client().delete_container(&far_id)).unwrap();

    // Start at login: an XDG autostart entry in the user's ~/.config that starts this app hidden.
    assert!(
        stdout.contains("step: menu: Restart | Pause | Snapshot | Copy | Details i | Edit… e | Force stop… | Delete…"),
        "{stdout}"
    );
    assert!(stdout.contains("step: images: busybox/1 used by 1 container"), "{stdout}");
    assert!(
        stdout.contains("step: detail view: console and journal, the terminal embedded from terminal-1"),
        "{stdout}"
    );
    assert!(stdout.contains("step: list view: web-1 uses memory"), "{stdout}");
    assert!(stdout.contains("step: start at login ticked in Settings"), "{stdout}");
    let entry = std::fs::read_to_string(home.join(".config/autostart/hoody-desktop.desktop")).unwrap();
    assert!(entry.contains("hoody-desktop\" --hidden\n") && entry.contains("Exec=\""), "{entry}");
    // The generated key pair: the private half 0600 in ~/.ssh, the public half what the form got.
    let generated =
        stdout.lines().find_map(|l| l.strip_prefix("step: generated key ")).unwrap_or_else(|| panic!("{stdout}"));
    let private = home.join(".ssh/hoody-web-1");
    assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(std::fs::read_to_string(&private).unwrap().starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    assert_eq!(std::fs::read_to_string(home.join(".ssh/hoody-web-1.pub")).unwrap().trim(), generated);

    // The Terminal chips opened the containers' terminal URLs on the app's proxy: this
    // machine's, then the remote's (relayed there under its name here).
    let proxy_port = log.split("proxy_port=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let opened = std::fs::read_to_string(&opened).expect("xdg-open was called");
    let urls: Vec<&str> = opened.lines().collect();
    assert_eq!(urls.len(), 2, "{opened}");
    let remote_terminal = format!("-{far_id}-terminal-1.edge.localhost:{proxy_port}");
    assert!(urls[1].starts_with("http://") && urls[1].ends_with(&remote_terminal), "{opened}");
    let url = urls[0];
    let host = url
        .strip_prefix("http://")
        .and_then(|u| u.strip_suffix(&format!(".local.localhost:{proxy_port}")))
        .unwrap_or("");
    let parts: Vec<&str> = host.split('-').collect();
    assert!(parts.len() == 4 && parts[..2].iter().all(|p| p.len() == 24) && parts[2..] == ["terminal", "1"], "{url}");
}
