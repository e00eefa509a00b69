//! `cargo bench -p hoodyd --bench soak` (as root, after `cargo build --release -p hoody-enter`):
//! 1,000 cycles (HOODY_SOAK_CYCLES) of create → running → stop → start → delete of a busybox
//! container against one hoodyd. The stop is a forced one (busybox's own shutdown sleeps
//! seconds; the graceful path differs only in the signal it sends first). Every 100 cycles it prints the engine's open files, threads
//! and resident memory, and at the end what is left behind: mounts of the data directory,
//! container cgroups, container and snapshot directories, runc's containers. Long runs must
//! stay flat: what it prints is the measurement (no assertion on figures).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "support/server.rs"]
mod server;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

/// Open files, threads and resident memory (KiB) of `pid`.
fn figures(pid: u32) -> (usize, u64, u64) {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (fds, field("Threads:"), field("VmRSS:"))
}

/// What is left on the host of the containers: (mounts naming the data dir or its run dir,
/// container cgroups, container dirs, snapshot dirs, runc containers).
fn leftovers(data: &Path) -> (usize, usize, usize, usize, usize) {
    let layout = hoody_runtime::Layout::new(data, Path::new("/run/hoody"));
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let (d, r) = (data.display().to_string(), layout.run_dir().display().to_string());
    let mounts = mountinfo.lines().filter(|l| l.contains(&d) || l.contains(&r)).count();
    let cgroups: usize = std::fs::read_dir("/sys/fs/cgroup")
        .map(|controllers| {
            controllers
                .flatten()
                .map(|c| {
                    std::fs::read_dir(c.path().join("hoody"))
                        .map(|d| d.flatten().filter(|e| e.path().is_dir()).count())
                        .unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0);
    let count = |dir: &Path| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let runc = Command::new("runc").arg("--root").arg(layout.runc_root()).args(["list", "-q"]).output().unwrap();
    let runc = String::from_utf8_lossy(&runc.stdout).lines().count();
    (mounts, cgroups, count(&layout.containers()), count(&layout.snapshots()), runc)
}

async fn run() {
    let cycles: usize = std::env::var("HOODY_SOAK_CYCLES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    // Kept whole to its end: its data directory goes with it.
    let mut served = server::serve_busybox();
    let (client, data) = (served.client.clone(), served.data.clone());
    // Before any container: what the host had already.
    let before = leftovers(&data);
    let pid = served.child.id();
    let project = client
        .create_project(&hoody_model::ProjectCreate { alias: "soak".into(), ..Default::default() })
        .await
        .unwrap();
    let running = |id: String| {
        let client = client.clone();
        async move {
            loop {
                let c = client.container(&id, false).await.unwrap();
                match c.status {
                    hoody_model::ContainerStatus::Running => return,
                    hoody_model::ContainerStatus::Creating => {
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await
                    }
                    other => panic!("{id} is {other}: {:?}", c.error),
                }
            }
        }
    };

    println!("\nsoak: {cycles} cycles of create → running → force stop → start → delete (busybox), hoodyd pid {pid}\n");
    // The database grows with every cycle (a deleted container keeps its row and status log),
    // and SQLite's page cache with it: printed beside the RSS.
    let db_size = || {
        ["hoody.db", "hoody.db-wal"].iter().map(|f| std::fs::metadata(data.join(f)).map_or(0, |m| m.len())).sum::<u64>()
            as f64
            / 1048576.0
    };
    println!(
        "| cycles | open files | threads | RSS | database + WAL | cycles/s since last row |\n|---:|---:|---:|---:|---:|---:|"
    );
    let (fds, threads, rss) = figures(pid);
    println!("| 0 | {fds} | {threads} | {:.1} MiB | {:.1} MiB | |", rss as f64 / 1024.0, db_size());
    let mut since = Instant::now();
    for cycle in 1..=cycles {
        let req = hoody_model::ContainerCreate {
            name: Some(format!("soak-{cycle}")),
            container_image: Some("busybox/1".into()),
            ..Default::default()
        };
        let id = client.create_container(project.id.as_str(), &req).await.unwrap().id.to_string();
        running(id.clone()).await;
        client.operate(&id, hoody_model::Operation::ForceStop).await.unwrap();
        client.operate(&id, hoody_model::Operation::Start).await.unwrap();
        running(id.clone()).await;
        client.delete_container(&id).await.unwrap();
        if cycle % 100 == 0 {
            let (fds, threads, rss) = figures(pid);
            let rate = 100.0 / since.elapsed().as_secs_f64();
            println!(
                "| {cycle} | {fds} | {threads} | {:.1} MiB | {:.1} MiB | {rate:.1} |",
                rss as f64 / 1024.0,
                db_size()
            );
            since = Instant::now();
        }
    }
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    let _ = served.child.wait();
    let after = leftovers(&data);
    println!(
        "\nleft on the host (mounts of the data dir, hoody cgroups, container dirs, snapshot dirs, runc containers):"
    );
    println!("before the soak {before:?}, after it and hoodyd's exit {after:?}");
}
