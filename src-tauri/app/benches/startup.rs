//! `cargo bench -p hoody-app --bench startup` (as root, needs Xvfb): the real app, run by the
//! tests' ordinary user, started five times under Xvfb in the user's D-Bus session, on an empty
//! data dir and on one with 5 running containers (made by the user's `hoodyd` on the same data
//! dir, which then exits: containers outlive their engine). Prints the time from launch to the
//! UI's first drawn screen (the UI reports it), and the idle memory of the whole app — its own
//! process and every WebKit process it started — as PSS after 10 s idle.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

#[path = "../../../tests/app/support/session.rs"]
mod session;

/// Containers running when the app starts, in the second set of runs.
const CONTAINERS: usize = 5;

fn main() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/hoody-desktop");
    let app =
        if app.exists() { app } else { Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/hoody-desktop") };
    let user = hoody_client::testkit::test_user();
    let app = user.provide(&app);
    let desktop = session::Session::start(500, user);
    let mut rows = Vec::new();
    for containers in [0, CONTAINERS] {
        let (starts, memory) = measure(&desktop, &app, containers);
        rows.push((containers, starts, memory));
    }
    drop(desktop);
    println!("\n{} ({RUNS} runs each, Xvfb)\n", app.display());
    println!("| figure | containers running | median | worst |\n|---|---:|---:|---:|");
    for (containers, starts, _) in &rows {
        println!(
            "| launch → first screen drawn | {containers} | {} ms | {} ms |",
            starts[RUNS / 2].as_millis(),
            starts[RUNS - 1].as_millis()
        );
    }
    for (containers, _, memory) in &rows {
        println!(
            "| idle PSS, app + WebKit processes | {containers} | {:.0} MB | {:.0} MB |",
            memory[RUNS / 2] as f64 / 1024.0,
            memory[RUNS - 1] as f64 / 1024.0
        );
    }
}

/// Start-up times and idle PSS (KiB) of `RUNS` launches, sorted, each on a fresh data dir with
/// `containers` running.
fn measure(desktop: &session::Session, app: &Path, containers: usize) -> (Vec<Duration>, Vec<u64>) {
    let (mut starts, mut memory) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (_scratch, dirs) = desktop.dirs(&["home", "data", "bin"]);
        if containers > 0 {
            run_containers(&dirs[1], containers);
        }
        let launched = Instant::now();
        let mut child = desktop
            .command(app, &dirs[0], &dirs[2])
            .env("HOODY_DATA_DIR", &dirs[1])
            .env("HOODY_PROXY_LISTEN", "127.0.0.1:0")
            .env("HOODY_API_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        while !log(&dirs[1]).contains("ui ready") {
            assert!(launched.elapsed() < Duration::from_secs(60), "the UI never reported ready");
            std::thread::sleep(Duration::from_millis(20));
        }
        starts.push(launched.elapsed());
        std::thread::sleep(Duration::from_secs(10));
        memory.push(pss_kib_of_tree(child.id()));
        let _ = child.kill();
        let _ = child.wait();
        if containers > 0 {
            stop_containers(&dirs[1]);
        }
    }
    starts.sort();
    memory.sort_unstable();
    (starts, memory)
}

/// `count` busybox containers running on `data`, made by the user's hoodyd, which then exits.
fn run_containers(data: &Path, count: usize) {
    let user = hoody_client::testkit::test_user();
    let tarball = hoody_runtime::testkit::shared_busybox_tarball();
    let hoodyd = hoody_client::testkit::Hoodyd::start_as(user, data, tarball);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = hoodyd.client();
        let project = client
            .create_project(&hoody_model::ProjectCreate { alias: "bench".into(), ..Default::default() })
            .await
            .unwrap();
        for n in 0..count {
            let req = hoody_model::ContainerCreate {
                name: Some(format!("idle-{n}")),
                container_image: Some("busybox/1".into()),
                ..Default::default()
            };
            let id = client.create_container(project.id.as_str(), &req).await.unwrap().id;
            hoody_client::testkit::eventually("a running container", Duration::from_secs(30), || async {
                let c = client.container(id.as_str(), false).await.ok()?;
                (c.status == hoody_model::ContainerStatus::Running).then_some(())
            })
            .await;
        }
    });
}

/// Stops what `run_containers` started (the app left them running).
fn stop_containers(data: &Path) {
    let user = hoody_client::testkit::test_user();
    let hoodyd = hoody_client::testkit::Hoodyd::serve_as(user, data);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = hoodyd.client();
        for c in client.list_containers("limit=200").await.unwrap().items {
            // Killed first (a graceful stop is seconds each); a failure stops the bench rather
            // than leaving containers running.
            client.operate(c.id.as_str(), hoody_model::Operation::ForceStop).await.unwrap();
            client.delete_container(c.id.as_str()).await.unwrap();
        }
    });
}

fn log(data: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(data.join("logs")) else { return String::new() };
    entries.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect()
}

/// PSS of `pid` and all its descendants, in KiB (each process's on stderr, to see where it goes).
fn pss_kib_of_tree(pid: u32) -> u64 {
    let children: Vec<u32> = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    let own = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0);
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    eprintln!("  {pid} {}: {} MB", name.trim(), own / 1024);
    own + children.into_iter().map(pss_kib_of_tree).sum::<u64>()
}
