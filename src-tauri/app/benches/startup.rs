//! `cargo bench -p hoody-app --bench startup` (as root, needs Xvfb): the real app, run by the
//! tests' ordinary user, started five times on an empty data dir under Xvfb in the user's D-Bus
//! session. Prints the time from
//! launch to the UI's first drawn screen (the UI reports it), and the idle memory of the whole
//! app — its own process and every WebKit process it started — as PSS after 10 s idle.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

#[path = "../../../tests/app/support/session.rs"]
mod session;

fn main() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/hoody-desktop");
    let app =
        if app.exists() { app } else { Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/hoody-desktop") };
    let user = hoody_client::testkit::test_user();
    let app = user.provide(&app);
    let desktop = session::Session::start(500, user);
    let (mut starts, mut memory) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (_scratch, dirs) = desktop.dirs(&["home", "data", "bin"]);
        let launched = Instant::now();
        let mut child = desktop
            .command(&app, &dirs[0], &dirs[2])
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
    }
    drop(desktop);
    starts.sort();
    memory.sort_unstable();
    println!("\n{} ({RUNS} runs, empty data dir, Xvfb)\n", app.display());
    println!("| figure | median | worst |\n|---|---:|---:|");
    println!(
        "| launch → first screen drawn | {} ms | {} ms |",
        starts[RUNS / 2].as_millis(),
        starts[RUNS - 1].as_millis()
    );
    println!(
        "| idle PSS, app + WebKit processes | {:.0} MB | {:.0} MB |",
        memory[RUNS / 2] as f64 / 1024.0,
        memory[RUNS - 1] as f64 / 1024.0
    );
}

fn log(data: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(data.join("logs")) else { return String::new() };
    entries.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap_or_default()).collect()
}

/// PSS of `pid` and all its descendants, in KiB.
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
    own + children.into_iter().map(pss_kib_of_tree).sum::<u64>()
}
