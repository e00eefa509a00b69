//! `cargo bench -p hoody-desktop-core --bench fleet_copy` (needs `cargo build -p hoodyd -p
//! hoody-enter` and busybox-static): a container copied between two real `hoodyd` on loopback
//! through the desktop's fleet, as Copy to server… does — the source's layer exported (tar,
//! SHA-256), relayed through the desktop, checked and unpacked on the target, the copy started
//! there. For layers of several sizes it prints how long the copy took, its throughput, and how
//! much the desktop's peak memory grew (the relay streams: it never holds a layer).

use futures_util::StreamExt;
use hoody_client::testkit::{Hoodyd, eventually};
use hoody_desktop_core::Desktop;
use hoody_desktop_core::commands::RpcCall;
use hoody_desktop_core::remotes::RemoteEndpoint;
use hoody_model::services::Service;
use hoody_model::{Container, ContainerCreate, ContainerStatus, ProjectCreate};
use serde_json::json;
use std::time::{Duration, Instant};

/// Layer sizes, in MiB (the file written into the source; the layer is that and a little more).
const SIZES: [u64; 3] = [16, 128, 512];

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

/// The process's peak resident memory so far (VmHWM), in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.split_whitespace().next());
    kib.and_then(|k| k.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let image = hoody_runtime::testkit::shared_busybox_tarball();
    let (east, west) = (dir.path().join("east"), dir.path().join("west"));
    for data in [&east, &west] {
        std::fs::create_dir_all(data).unwrap();
    }
    let servers = [Hoodyd::start(&east, image), Hoodyd::start(&west, image)];
    let desktop = Desktop::start(&dir.path().join("desktop"), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut projects = Vec::new();
    for (name, server) in ["east", "west"].iter().zip(&servers) {
        let endpoint = RemoteEndpoint { name: (*name).into(), url: server.origin.clone() };
        desktop.add_remote(endpoint, &server.token).await.unwrap();
        let req = ProjectCreate { alias: format!("{name}-bench"), ..Default::default() };
        projects.push(desktop.create_project(Some(name), req).await.unwrap().id.as_str().to_owned());
    }
    let west_id = servers[1].client().servers().await.unwrap()[0].id.as_str().to_owned();
    println!("| layer (MiB) | copy, export to running copy (s) | MiB/s | desktop peak memory growth (MiB) |");
    println!("|---:|---:|---:|---:|");
    for size in SIZES {
        let source = running(&desktop, "east", &projects[0], &format!("source-{size}")).await;
        write_file(&desktop, &source, size).await;
        let before = peak_mib();
        let started = Instant::now();
        let call = RpcCall {
            server: None,
            op: "copy_container".into(),
            params: [("id".to_owned(), source.id.as_str().to_owned())].into(),
            query: Default::default(),
            body: Some(
                json!({"target_server_id": west_id, "target_project_id": projects[1], "name": format!("copy-{size}")}),
            ),
        };
        let copy: Container = serde_json::from_value(desktop.rpc(call).await.unwrap()).unwrap();
        let took = started.elapsed().as_secs_f64();
        assert_eq!(copy.status, ContainerStatus::Running, "{copy:?}");
        let growth = peak_mib() - before;
        println!("| {size} | {took:.2} | {:.0} | {growth:.1} |", size as f64 / took);
        for (server, id) in [(&servers[0], &source.id), (&servers[1], &copy.id)] {
            server.client().delete_container(id.as_str()).await.unwrap();
        }
    }
}

/// A busybox container on `server`, running and serving its files.
async fn running(desktop: &Desktop, server: &str, project: &str, name: &str) -> Container {
    let req =
        ContainerCreate { name: Some(name.into()), container_image: Some("busybox/1".into()), ..Default::default() };
    let id = desktop.create_container(Some(server), project, req).await.unwrap().id.as_str().to_owned();
    let up = || async {
        let c = desktop.container(&id).await.ok()?;
        (c.status == ContainerStatus::Running && c.urls.contains_key("files-1")).then_some(c)
    };
    eventually(&format!("{name} running"), Duration::from_secs(60), up).await
}

/// Writes `mib` MiB into the container (/root/bulk-N.bin, 64 MiB each: the most one upload
/// takes), streamed through the desktop's proxy to its files service (never whole in memory).
async fn write_file(desktop: &Desktop, c: &Container, mib: u64) {
    const PIECE: u64 = 64;
    let url = desktop.service_url(&c.id, Service::Files, false).await.unwrap();
    let host = url.trim_start_matches("http://").split(':').next().unwrap().to_owned();
    let client = reqwest::Client::builder()
        .resolve(&host, std::net::SocketAddr::from(([127, 0, 0, 1], desktop.proxy_port())))
        .build()
        .unwrap();
    let chunk = bytes::Bytes::from(vec![0x5a; 1 << 20]);
    for piece in 0..mib.div_ceil(PIECE) {
        let size = PIECE.min(mib - piece * PIECE);
        let chunk = chunk.clone();
        let body = futures_util::stream::iter((0..size).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
        let response = client
            .put(format!("{url}/api/v1/files/root/bulk-{piece}.bin"))
            .header(reqwest::header::CONTENT_LENGTH, size << 20)
            .body(reqwest::Body::wrap_stream(body.boxed()))
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(status.is_success(), "writing {size} MiB: {}", response.text().await.unwrap_or_default());
    }
}
