//! `cargo bench -p hoodyd --bench proxy` (as root): an HTTP server inside a container (busybox
//! httpd on the test image), reached through the service proxy and directly inside the
//! container's network namespace, in one run. Every request opens its own connection on both
//! paths (busybox httpd closes after each answer). Prints requests/s, p50 and p99. Then the
//! keystroke echo latency of the terminal service: a key sent over the terminal WebSocket
//! (through the proxy) until the shell's echo of it comes back.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

const CLIENTS: [usize; 2] = [1, 8];
const PER_CLIENT: usize = 400;

#[path = "support/server.rs"]
mod server;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    // Kept whole to its end: its data directory goes with it.
    let mut served = server::serve_busybox();
    let (client, proxy_port, data) = (served.client.clone(), served.proxy_port, served.data.clone());
    let project = client
        .create_project(&hoody_model::ProjectCreate { alias: "bench".into(), ..Default::default() })
        .await
        .unwrap();
    let req = hoody_model::ContainerCreate {
        name: Some("web".into()),
        container_image: Some("busybox/1".into()),
        ..Default::default()
    };
    let c = client.create_container(project.id.as_str(), &req).await.unwrap();
    let (url, pid) = loop {
        let got = client.container(c.id.as_str(), true).await.unwrap();
        if let Some(url) = got.urls.get("http-8080") {
            let pid = got.runtime_info.unwrap().processes.iter().find(|p| p.pid == 1).unwrap().host_pid;
            break (url.clone(), pid);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let host = url.trim_start_matches("http://").to_owned();

    // Warm up both paths, then measure them alternately.
    let target = Target { proxy_port, pid, host };
    for _ in 0..50 {
        target.request(true).await;
        target.request(false).await;
    }
    let mut rows = Vec::new();
    for (clients, round) in CLIENTS.into_iter().flat_map(|c| [(c, 0), (c, 1)]) {
        for path in ["direct (inside the netns)", "through the proxy"] {
            let t = Instant::now();
            let tasks: Vec<_> = (0..clients)
                .map(|_| {
                    let target = target.clone();
                    let through_proxy = path.starts_with("through");
                    tokio::spawn(async move {
                        let mut lat = Vec::with_capacity(PER_CLIENT);
                        for _ in 0..PER_CLIENT {
                            let t = Instant::now();
                            target.request(through_proxy).await;
                            lat.push(t.elapsed());
                        }
                        lat
                    })
                })
                .collect();
            let mut lat = Vec::new();
            for task in tasks {
                lat.extend(task.await.unwrap());
            }
            let rps = lat.len() as f64 / t.elapsed().as_secs_f64();
            if round == 1 {
                rows.push((clients, path, rps, lat));
            }
        }
    }
    let terminal = client.container(c.id.as_str(), true).await.unwrap().urls["terminal-1"].clone();
    let mut echo = keystroke_echo(proxy_port, &terminal).await;
    client.delete_container(c.id.as_str()).await.unwrap();
    let _ = served.child.kill();
    let _ = served.child.wait();
    let layout = hoody_runtime::Layout::new(&data, std::path::Path::new("/run/hoody"));
    let _ = std::fs::remove_dir_all(layout.run_dir());

    println!("\nbusybox httpd in a container, {PER_CLIENT} requests per client, a connection per request\n");
    println!("| clients | path | req/s | p50 ms | p99 ms |");
    println!("|---:|---|---:|---:|---:|");
    let mut figures = Vec::new();
    for (clients, path, rps, mut lat) in rows {
        lat.sort();
        let at = |q: f64| lat[((lat.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
        println!("| {clients} | {path} | {rps:.0} | {:.3} | {:.3} |", at(0.5), at(0.99));
        figures.push((clients, rps, at(0.5)));
    }
    println!();
    for pair in figures.chunks(2) {
        let (clients, direct, proxy) = (pair[0].0, &pair[0], &pair[1]);
        println!(
            "{clients} client(s): proxy / direct throughput {:.2} (target ≥ 0.7), added p50 {:.3} ms (target ≤ 0.2)",
            proxy.1 / direct.1,
            proxy.2 - direct.2
        );
    }
    echo.sort();
    let at = |q: f64| echo[((echo.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "\nterminal keystroke echo over the WebSocket, through the proxy ({KEYS} keys, busybox sh): \
         p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

const KEYS: usize = 500;

/// Types a key and waits for its echo, then erases it and waits for that echo; `KEYS` times.
async fn keystroke_echo(proxy_port: u16, terminal_url: &str) -> Vec<Duration> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let stream = TcpStream::connect(("127.0.0.1", proxy_port)).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let url = format!("{}/api/v1/terminal/ws?terminal_id=1", terminal_url.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::client_async(url.into_client_request().unwrap(), stream).await.unwrap();
    // Let the shell print its prompt first.
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(500), ws.next()).await {}
    let until = async |ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>, byte: u8| {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Binary(bytes) = message
                && bytes.contains(&byte)
            {
                return;
            }
        }
        panic!("the terminal closed");
    };
    let mut latencies = Vec::with_capacity(KEYS);
    for _ in 0..KEYS {
        let t = Instant::now();
        ws.send(Message::Binary(Bytes::from_static(b"x"))).await.unwrap();
        until(&mut ws, b'x').await;
        latencies.push(t.elapsed());
        ws.send(Message::Binary(Bytes::from_static(b"\x7f"))).await.unwrap();
        until(&mut ws, 0x08).await;
    }
    latencies
}

#[derive(Clone)]
struct Target {
    proxy_port: u16,
    pid: u32,
    host: String,
}

impl Target {
    async fn request(&self, through_proxy: bool) {
        let stream = if through_proxy {
            TcpStream::connect(("127.0.0.1", self.proxy_port)).await.unwrap()
        } else {
            hoody_kit::connect_in_container(self.pid, 8080).await.unwrap()
        };
        get(stream, &self.host).await
    }
}

/// One GET on a fresh connection; reads the whole answer.
async fn get(stream: TcpStream, host: &str) {
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::get("/index.html").header("host", host).body(Empty::<Bytes>::new()).unwrap();
    let resp = sender.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.into_body().collect().await.unwrap();
}
