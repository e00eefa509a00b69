//! The real app binary, run by an ordinary user (never root: run as root it refuses), under
//! Xvfb in the user's D-Bus session, with a temporary HOME and a recording `xdg-open` first on
//! PATH: it starts its engine (which adopts a container the user's hoodyd left running), a
//! second launch with a `hoody://` link hands it over to the first, which opens exactly that
//! container's terminal URL; a malformed link opens nothing and says why.

use hoody_client::testkit::{Hoodyd, TestUser, test_user};
use hoody_model::{ContainerCreate, ContainerStatus, ProjectCreate};
use session::Guard;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn app() -> std::path::PathBuf {
    hoody_e2e::program("hoody-desktop")
}

#[path = "support/session.rs"]
mod session;

fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "{what} did not happen within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The app as the session's user, on `dirs` (data, home, bin), with `args`; its output dropped.
fn launch(
    desktop: &session::Session,
    binary: &Path,
    dirs: &[std::path::PathBuf],
    args: &[&str],
) -> std::process::Child {
    let (data, home, bin) = (&dirs[0], &dirs[1], &dirs[2]);
    desktop
        .command(binary, home, bin)
        .args(args)
        .env("HOODY_DATA_DIR", data)
        .env("HOODY_PROXY_LISTEN", "127.0.0.1:0")
        .env("HOODY_API_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn log_text(data: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(data.join("logs")) else { return String::new() };
    entries.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect()
}

/// A running busybox container made with the user's hoodyd on `data`: (project id, container id).
fn container_left_running(user: &TestUser, data: &Path) -> (String, String) {
    let tarball = hoody_runtime::testkit::busybox_tarball(data).unwrap();
    let serve = Hoodyd::start_as(user, data, &tarball);
    let client = serve.client();
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let project = tokio.block_on(client.create_project(&ProjectCreate { alias: "links".into(), ..Default::default() }));
    let project = project.unwrap().id.as_str().to_owned();
    let req = ContainerCreate {
        name: Some("linked".into()),
        container_image: Some("busybox/1".into()),
        ..Default::default()
    };
    let id = tokio.block_on(client.create_container(&project, &req)).unwrap().id.as_str().to_owned();
    wait_for("the container running", Duration::from_secs(30), || {
        tokio.block_on(client.container(&id, false)).unwrap().status == ContainerStatus::Running
    });
    // hoodyd ends (dropped); the container keeps running: containers outlive the programs that
    // made them.
    (project, id)
}

#[test]
fn deep_links_reach_the_running_app() {
    let user = test_user();
    let desktop = session::Session::start(60, user);
    let (scratch, dirs) = desktop.dirs(&["data", "home", "bin"]);
    let (data, home, bin) = (&dirs[0], &dirs[1], &dirs[2]);
    let (project, id) = container_left_running(user, data);

    // A recording xdg-open, an X server and the user's session bus.
    let opened = scratch.0.join("opened.txt");
    session::recording_xdg_open(bin, &opened);
    let app_binary = user.provide(&app());
    let app = |args: &[&str]| launch(&desktop, &app_binary, dirs.as_slice(), args);

    let first = Guard(app(&[]));
    wait_for("the engine starting", Duration::from_secs(60), || log_text(data).contains("engine started"));
    wait_for("the REST API", Duration::from_secs(10), || log_text(data).contains("REST API served"));
    let log = log_text(data);
    let port: u16 = log.split("proxy_port=").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();

    // A second launch with a link: it hands the link over and exits; the first opens the URL.
    let link = format!("hoody://containers/{id}/terminal");
    let mut second = app(&[&link]);
    wait_for("the second launch exiting", Duration::from_secs(20), || second.try_wait().unwrap().is_some());
    wait_for("the terminal URL opening", Duration::from_secs(20), || opened.exists());
    let urls = std::fs::read_to_string(&opened).unwrap();
    assert_eq!(urls.trim(), format!("http://{project}-{id}-terminal-1.local.localhost:{port}"));

    // A malformed link, from a launch without a session bus (a shell of its own): handed over
    // all the same, and refused with its reason; nothing opened.
    let mut third = desktop
        .command(&app_binary, home, bin)
        .arg("hoody://containers/not-a-container/terminal")
        .env("HOODY_DATA_DIR", data)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the third launch exiting", Duration::from_secs(20), || third.try_wait().unwrap().is_some());
    let mut said = String::new();
    std::io::Read::read_to_string(&mut third.stdout.take().unwrap(), &mut said).unwrap();
    assert!(said.contains("already running") && said.contains("see the tray"), "{said}");
    wait_for("the refusal", Duration::from_secs(20), || log_text(data).contains("is not a container id"));
    assert_eq!(std::fs::read_to_string(&opened).unwrap().lines().count(), 1, "nothing more was opened");

    // The scheme is registered for this user (a .desktop handler and its MIME default).
    let mimeapps = std::fs::read_to_string(home.join(".config/mimeapps.list")).unwrap_or_default();
    assert!(mimeapps.contains("x-scheme-handler/hoody"), "{mimeapps}");

    // A link opened as a desktop opens one: Debian's xdg-open (no desktop environment here: its
    // generic mode) runs the registered handler, which hands the link to the running app.
    let link = format!("hoody://containers/{id}/files");
    let mut xdg_open = desktop
        .command(Path::new("/usr/bin/xdg-open"), home, bin)
        .arg(&link)
        .env("HOODY_DATA_DIR", data)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("xdg-open exiting", Duration::from_secs(20), || xdg_open.try_wait().unwrap().is_some());
    assert!(xdg_open.wait().unwrap().success(), "xdg-open ran the handler");
    wait_for("the files URL opening", Duration::from_secs(20), || {
        std::fs::read_to_string(&opened).unwrap().lines().count() == 2
    });
    let urls = std::fs::read_to_string(&opened).unwrap();
    assert!(urls.lines().nth(1).unwrap().contains(&format!("-{id}-files-1.")), "{urls}");

    drop(first);
    // Clean up the container with the user's hoodyd.
    let serve = Hoodyd::serve_as(user, data);
    let deleted = tokio::runtime::Runtime::new().unwrap().block_on(serve.client().delete_container(&id));
    assert_eq!(deleted.unwrap().status, ContainerStatus::Deleted);
}

/// A damaged database: the app does not vanish; its window says the engine did not start and
/// gives both ways back (the UI reports what it shows), and closing it quits the app.
#[test]
fn a_damaged_database_is_told_in_the_window_with_the_ways_back() {
    let user = test_user();
    let desktop = session::Session::start(130, user);
    let (_scratch, dirs) = desktop.dirs(&["data", "home", "bin"]);
    let data = &dirs[0];
    std::fs::write(data.join("hoody.db"), b"overwritten: this is no database any more").unwrap();
    user.give(&data.join("hoody.db"));
    let app_binary = user.provide(&app());
    let mut app = Guard(launch(&desktop, &app_binary, dirs.as_slice(), &[]));
    wait_for("the window showing the failure", Duration::from_secs(60), || {
        log_text(data).contains("showing=\"the engine's failure\"")
    });
    let log = log_text(data);
    assert!(log.contains("the engine did not start") && log.contains("is damaged"), "{log}");
    assert!(log.contains("hoodyd recover --data-dir"), "the way back is named: {log}");
    assert!(app.0.try_wait().unwrap().is_none(), "the app stays open to say so");
}
