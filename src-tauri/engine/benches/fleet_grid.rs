//! `cargo bench -p hoody-engine --bench fleet_grid`: the fleet with many servers and containers,
//! from its local cache (the store, a real SQLite file): the grid's first full picture at start
//! (every server's last known containers read from the store and serialised for the UI, as the
//! `known_containers` command answers) and the same from memory once read. Servers are members
//! that do not answer (the picture must not wait on them). Prints medians and p95 in ms.
//! Target: first full grid ≤ 300 ms. (The UI's side — drawing, and merging a burst of events —
//! is `npm run --prefix ui bench`.)

use chrono::Utc;
use hoody_engine::fleet::Fleet;
use hoody_engine::server::{LocalServer, Refusing, Remote};
use hoody_engine::{Engine, EngineConfig, Principal, UnavailableRuntime};
use hoody_model::{Container, ContainerId, ErrorCode, ProjectId, ServerId, TokenId};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 15;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

/// A container as a server's list gives it (runtime details and service URLs included).
fn container(server: &str, n: usize) -> Container {
    let id = ContainerId::generate();
    let urls: std::collections::BTreeMap<String, String> =
        ["terminal-1", "display-1", "files-1", "exec-1", "sqlite-1", "http-8080"]
            .iter()
            .map(|s| (s.to_string(), format!("http://p-{id}-{s}.{server}.localhost:8701")))
            .collect();
    let json = serde_json::json!({
        "id": id, "project_id": ProjectId::generate(), "server_id": ServerId::generate(), "server_name": server,
        "name": format!("web-{n}"), "status": "running", "error": null, "container_image": "debian/13",
        "hoody_kit": true, "dev_kit": false, "realm_ids": [], "environment_vars": {"MODE": "production"},
        "ssh_public_key": null, "color": "#73d216", "comment": "a container of the benchmark", "autostart": false,
        "ai": true, "cache": false, "prespawn": false, "ramdisk": false, "network": true,
        "source_container_id": null, "snapshot_count": 2, "created_at": Utc::now(), "updated_at": Utc::now(),
        "urls": urls,
    });
    serde_json::from_value(json).expect("a container")
}

fn stats(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(samples[samples.len() / 2]), ms(samples[(samples.len() * 95 / 100).min(samples.len() - 1)]))
}

async fn run() {
    println!(
        "| servers × containers | first full grid, from the store (median / p95 ms) | again, from memory | JSON to the UI (MB) |"
    );
    println!("|---|---:|---:|---:|");
    for (servers, each) in [(3, 1_000), (10, 500)] {
        let dir = tempfile::tempdir().unwrap();
        let config = EngineConfig::new(dir.path().to_owned(), "local");
        let engine = Engine::start(config, Arc::new(UnavailableRuntime::new("not needed"))).await.unwrap();
        let names: Vec<String> = (0..servers).map(|i| format!("server-{i}")).collect();
        for name in &names {
            let listed: Vec<Container> = (0..each).map(|n| container(name, n)).collect();
            engine.store().cache_fleet_list(name, "containers", &listed, Utc::now()).await.unwrap();
        }
        let fleet = || {
            let home = Arc::new(LocalServer::new(engine.clone(), Principal::unrestricted(TokenId::generate())));
            let fleet = Fleet::new("local", home).with_cache(engine.store().clone());
            for name in &names {
                let away = Refusing { code: ErrorCode::RuntimeUnavailable, message: format!("{name} is away") };
                fleet.join(name, Arc::new(Remote(away)));
            }
            fleet
        };
        let (mut cold, mut warm, mut bytes) = (Vec::new(), Vec::new(), 0);
        for _ in 0..ROUNDS {
            let fleet = fleet();
            let start = Instant::now();
            let grid: Vec<Container> = fleet.known_containers().await.into_iter().flat_map(|l| l.containers).collect();
            let json = serde_json::to_vec(&grid).unwrap();
            cold.push(start.elapsed());
            assert_eq!(grid.len(), servers * each);
            bytes = json.len();
            let start = Instant::now();
            let grid: Vec<Container> = fleet.known_containers().await.into_iter().flat_map(|l| l.containers).collect();
            let _ = serde_json::to_vec(&grid).unwrap();
            warm.push(start.elapsed());
        }
        let ((cold_med, cold_p95), (warm_med, warm_p95)) = (stats(cold), stats(warm));
        println!(
            "| {servers} × {each} | {cold_med:.1} / {cold_p95:.1} | {warm_med:.1} / {warm_p95:.1} | {:.1} |",
            bytes as f64 / 1e6
        );
    }
}
