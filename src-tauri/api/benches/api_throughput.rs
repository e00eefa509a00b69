//! `cargo bench -p hoody-api` (as root): the REST API over real HTTP on loopback and a real
//! SQLite file, with 1,000 real busybox containers (no network, no ramdisk, to keep the
//! machine's share small). Prints a table: create and update throughput, and list latency.

use hoody_client::HoodyClient;
use hoody_engine::{ContainerRuntime, Engine, EngineConfig};
use hoody_model::{ContainerCreate, ContainerUpdate, ProjectCreate};
use hoody_runtime::{LocalRuntime, RuntimeConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONTAINERS: usize = 1000;
const CONCURRENCY: usize = 8;
const LIST_ROUNDS: usize = 200;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().canonicalize().unwrap();
    let runtime = Arc::new(LocalRuntime::new(RuntimeConfig::new(&data)));
    if let Some(reason) = runtime.unavailable_reason() {
        panic!("this benchmark needs the local runtime: {reason}");
    }
    let tarball = hoody_runtime::testkit::busybox_tarball(&data).unwrap();
    runtime.image_store().import_tarball("busybox/1", &tarball, "busybox").unwrap();
    let config = EngineConfig::new(data.clone(), "bench");
    let engine = Engine::start(config, runtime.clone()).await.unwrap();
    let token = hoody_engine::issue_token(engine.store(), None, vec![]).await.unwrap().token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(hoody_api::serve(listener, engine.clone(), std::future::pending()));
    let client = HoodyClient::new(format!("http://{addr}"), Some(token));
    let project = client.create_project(&ProjectCreate { alias: "bench".into(), ..Default::default() }).await.unwrap();

    let mut rows = Vec::new();
    // Creates, CONCURRENCY clients at once.
    let start = Instant::now();
    let ids = run_concurrently(CONTAINERS, |i| {
        let (c, p) = (client.clone(), project.id.to_string());
        async move {
            let req = ContainerCreate {
                name: Some(format!("bench-{i:04}")),
                container_image: Some("busybox/1".into()),
                network: Some(false),
                ramdisk: Some(false),
                ..Default::default()
            };
            let t = Instant::now();
            let made = c.create_container(&p, &req).await.unwrap();
            (t.elapsed(), made.id.to_string())
        }
    })
    .await;
    let elapsed = start.elapsed();
    rows.push(row(
        &format!("create container ({CONCURRENCY} clients)"),
        ids.iter().map(|(d, _)| *d).collect(),
        elapsed,
    ));
    engine.settle().await;

    let start = Instant::now();
    let ids: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    let updates = run_concurrently(CONTAINERS, |i| {
        let (c, id) = (client.clone(), ids[i].clone());
        async move {
            let req = ContainerUpdate { comment: Some(Some(format!("updated {i}"))), ..Default::default() };
            let t = Instant::now();
            c.update_container(&id, &req).await.unwrap();
            (t.elapsed(), ())
        }
    })
    .await;
    rows.push(row(
        &format!("update container ({CONCURRENCY} clients)"),
        updates.iter().map(|(d, _)| *d).collect(),
        start.elapsed(),
    ));

    for (label, query) in [
        ("GET /containers (limit=20)", "limit=20"),
        ("GET /containers (limit=200)", "limit=200"),
        ("GET /containers (name filter, sort by name)", "name=bench-09&sort_by=name&sort_order=asc"),
    ] {
        let start = Instant::now();
        let mut times = Vec::with_capacity(LIST_ROUNDS);
        for _ in 0..LIST_ROUNDS {
            let t = Instant::now();
            let page = client.list_containers(query).await.unwrap();
            times.push(t.elapsed());
            assert_eq!(page.pagination.total as usize, if query.starts_with("name") { 100 } else { CONTAINERS });
        }
        rows.push(row(label, times, start.elapsed()));
    }
    let start = Instant::now();
    let mut times = Vec::new();
    for id in ids.iter().take(LIST_ROUNDS) {
        let t = Instant::now();
        client.container(id, false).await.unwrap();
        times.push(t.elapsed());
    }
    rows.push(row("GET /containers/{id}", times, start.elapsed()));
    engine.shutdown().await;
    hoody_runtime::testkit::remove_everything(&runtime).await.unwrap();

    println!("\nhoodyd REST API, {CONTAINERS} containers in one SQLite file (WAL), loopback HTTP\n");
    println!("| operation | requests | req/s | p50 ms | p95 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
}

async fn run_concurrently<T, F, Fut>(n: usize, make: F) -> Vec<(Duration, T)>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = (Duration, T)> + Send + 'static,
{
    let mut out = Vec::with_capacity(n);
    for chunk_start in (0..n).step_by(CONCURRENCY) {
        let handles: Vec<_> =
            (chunk_start..(chunk_start + CONCURRENCY).min(n)).map(|i| tokio::spawn(make(i))).collect();
        for h in handles {
            out.push(h.await.unwrap());
        }
    }
    out
}

fn row(label: &str, mut times: Vec<Duration>, wall: Duration) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |p: f64| ms(times[((times.len() as f64 * p) as usize).min(times.len() - 1)]);
    format!(
        "| {label} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
        times.len(),
        times.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.95),
        ms(*times.last().unwrap())
    )
}
