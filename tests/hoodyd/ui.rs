//! The web UI, served by hoodyd itself (`--ui-dir ui/dist`), in Debian's chromium driven by
//! playwright-core (`tests/browser/ui-grid.mjs`, `first-run.mjs`) against real containers.

use crate::process::Hoodyd;
use reqwest::Method;

/// The built UI, which hoodyd serves.
pub(crate) fn ui_dist() -> String {
    let dist = hoody_e2e::root().join("ui/dist");
    assert!(dist.join("index.html").exists(), "{} is missing: run `npm run build --prefix ui`", dist.display());
    dist.display().to_string()
}

#[tokio::test]
async fn the_ui_creates_runs_and_deletes_a_container() {
    let dist = ui_dist();
    let dir = tempfile::tempdir().unwrap();
    // An image server on loopback, for the Images view to download from.
    let www = tempfile::tempdir().unwrap();
    hoody_runtime::testkit::simplestreams_tree(www.path()).unwrap();
    let images = hoody_runtime::testkit::serve_files(www.path());
    let d = Hoodyd::start_with(dir.path(), &["--ui-dir", &dist, "--image-server", &images]);
    d.import_busybox();
    d.client.create_realm("team-a").await.unwrap();
    let token = std::fs::read_to_string(dir.path().join("admin.token")).unwrap();
    let ui = d.client.base().trim_end_matches("/api/v1").to_owned();
    // Its pages run their own scripts only, whatever a container names itself (the spec below
    // runs the whole UI under this policy: a part it broke would fail there).
    let page = reqwest::get(format!("{ui}/")).await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("script-src 'self';") && policy.contains("object-src 'none'"), "{policy}");
    let tarball = hoody_runtime::testkit::shared_busybox_tarball().display().to_string();
    let args = [ui.as_str(), token.trim(), "busybox/1", &hoody_e2e::screenshots(), &tarball];
    let stdout = hoody_e2e::browser_spec("ui-grid.mjs", &args).await;
    // The card's fill is the green preset; the chip opened the container's terminal URL.
    assert!(stdout.contains("filled rgb(115, 210, 22)"), "{stdout}");
    let opened = stdout
        .lines()
        .find_map(|l| l.strip_prefix("step: terminal chip opened "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let pattern = format!("-terminal-1.local.localhost:{}/", d.proxy_port);
    assert!(opened.starts_with("http://") && opened.ends_with(&pattern), "{opened}");
    assert!(stdout.contains("step: grouped under its realm, team-a"), "{stdout}");
    let disk = stdout.lines().find_map(|l| l.strip_prefix("step: the header shows the disk: ")).unwrap();
    assert!(disk.contains(" free of "), "{disk}");
    // Images: held and downloaded in the view; the create dialog offers only what is there or
    // can be downloaded (never debian/13, which is neither).
    assert!(stdout.contains("step: images view holds busybox/1, busybox/1.36"), "{stdout}");
    assert!(stdout.contains("step: busybox/1.36 downloaded from the Images view, then deleted"), "{stdout}");
    assert!(
        stdout.contains(
            "step: imported mine/1 from the Images view (a relative path first: \"Give the tarball's absolute path"
        ),
        "{stdout}"
    );
    let offered = stdout.lines().find_map(|l| l.strip_prefix("step: the create dialog offers ")).unwrap();
    assert!(offered.starts_with("busybox/1 | busybox/1.36 (") && offered.ends_with(" download)"), "{offered}");
    assert!(
        stdout.contains("step: detail view: its journal explained, its console shown, its terminal embedded"),
        "{stdout}"
    );
    assert!(
        stdout.contains("step: the failed card said \"Creation failed: its details say why.\"; created again from busybox/1, running"),
        "{stdout}"
    );
    assert!(stdout.contains("step: the failure's notice: broken: Creation failed; its details say why."), "{stdout}");
    // The app's background: #18181a dark, #f6f6f4 light.
    assert!(stdout.contains("step: settings: dark theme kept over a reload (dark on rgb(24, 24, 26)), back to the system's (rgb(246, 246, 244))"), "{stdout}");
    assert!(stdout.contains("step: detail view: a memory sparkline of several samples"), "{stdout}");
    assert!(stdout.contains("step: detail view: its files embedded ("), "{stdout}");
    assert!(stdout.contains("step: renamed to web-2"), "{stdout}");
    // The card's menu holds the rest, what loses work last; the grid is one Tab stop.
    assert!(
        stdout.contains("step: menu: Restart | Pause | Snapshot | Copy | Details i | Edit… e | Force stop… | Delete…"),
        "{stdout}"
    );
    assert!(stdout.contains("step: one Tab stop in the grid"), "{stdout}");
    let list = stdout
        .lines()
        .find_map(|l| l.strip_prefix("step: list view: web-1 uses "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(list.contains(" with a sparkline; sorted by Memory ▼ descending: "), "{list}");
    assert_eq!(list.rsplit(": ").next().unwrap().split(", ").count(), 2, "both containers listed: {list}");
    assert!(stdout.contains("step: deleted with a snapshot first"), "{stdout}");
    // Nothing is left, and the bad name created nothing: the one container was deleted.
    let left = d.client.raw(Method::GET, "/containers/", None).await.unwrap().body;
    assert_eq!(left["data"]["containers"].as_array().unwrap().len(), 0, "{left}");
}

/// A first run: the server holds no image; the empty grid downloads one from the image server
/// (`tests/browser/first-run.mjs`), and the create dialog then proposes it.
#[tokio::test]
async fn a_first_run_downloads_an_image_from_the_empty_grid() {
    let dist = ui_dist();
    let www = tempfile::tempdir().unwrap();
    hoody_runtime::testkit::simplestreams_tree(www.path()).unwrap();
    let images = hoody_runtime::testkit::serve_files(www.path());
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start_with(dir.path(), &["--ui-dir", &dist, "--image-server", &images]);
    let token = std::fs::read_to_string(dir.path().join("admin.token")).unwrap();
    let ui = d.client.base().trim_end_matches("/api/v1").to_owned();
    let stdout = hoody_e2e::browser_spec("first-run.mjs", &[&ui, token.trim(), &hoody_e2e::screenshots()]).await;
    assert!(stdout.contains("step: the empty grid offers: Download busybox/1.36 ("), "{stdout}");
    assert!(stdout.contains("step: the create dialog proposes busybox/1.36"), "{stdout}");
    let held = d.client.raw(Method::GET, "/images/user", None).await.unwrap().body;
    assert_eq!(held["data"]["images"][0]["status"], "ready", "{held}");
}
