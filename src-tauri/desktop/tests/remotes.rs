//! A remote endpoint in the desktop's grid: a real `hoodyd` on loopback (target/debug/hoodyd)
//! is added with its token, its containers appear under its name beside this machine's, the
//! desktop's commands act on them there, its events arrive in the desktop's stream, the token
//! survives a restart in the keyring (never in the data dir), and removing it forgets it.

mod support;

use hoody_client::testkit::Hoodyd;
use hoody_desktop_core::commands::RpcCall;
use hoody_desktop_core::remotes::RemoteEndpoint;
use hoody_desktop_core::{Desktop, DesktopEvent};
use hoody_model::services::Service;
use hoody_model::{ContainerCreate, ContainerStatus, Operation, ProjectCreate};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn next_event_for(events: &mut tokio::sync::broadcast::Receiver<DesktopEvent>, id: &str, to: ContainerStatus) {
    let wait = async {
        loop {
            if let Ok(DesktopEvent::Container(e)) = events.recv().await
                && e.container_id.as_str() == id
                && e.to == to
            {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait).await.unwrap_or_else(|_| panic!("no {to} event for {id}"));
}

/// Opens a WebSocket at `path` through the proxy on `port`; answers the first byte of the first
/// frame the server sends after switching protocols.
async fn websocket_first_frame(port: u16, host: &str, path: &str) -> u8 {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    tokio::time::timeout(Duration::from_secs(10), stream.read_u8()).await.expect("a frame in time").unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_hoodyd_joins_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let (remote_data, desktop_data) = (dir.path().join("remote"), dir.path().join("desktop"));
    std::fs::create_dir_all(&remote_data).unwrap();
    let tarball = hoody_runtime::testkit::busybox_tarball(&remote_data).unwrap();
    let server = Hoodyd::start(&remote_data, &tarball);
    let (origin, token) = (server.origin.clone(), server.token.clone());
    let desktop = Desktop::start(&desktop_data, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let edge = |url: &str| RemoteEndpoint { name: "edge".into(), url: url.into() };

    // Refusals change nothing: a wrong token, a bad name, an address with nothing behind it.
    let e = desktop.add_remote(edge(&origin), "wrong").await.unwrap_err();
    assert_eq!(e.status, 401, "{e:?}");
    assert!(e.message.starts_with("edge refused the token"), "{e:?}");
    let e = desktop.add_remote(RemoteEndpoint { name: "local".into(), url: origin.clone() }, &token).await.unwrap_err();
    assert_eq!(e.code, "invalid_name");
    let e = desktop.add_remote(edge("http://127.0.0.1:9"), &token).await.unwrap_err();
    assert!(e.message.contains("does not answer"), "{e:?}");
    assert_eq!(desktop.servers().await.unwrap().len(), 1);

    desktop.add_remote(edge(&origin), &token).await.unwrap();
    let servers = desktop.servers().await.unwrap();
    assert_eq!(
        servers.iter().map(|s| (s.name.as_str(), s.remote)).collect::<Vec<_>>(),
        [("local", false), ("edge", true)]
    );

    // A container made on the remote shows in the grid under the remote's name.
    let client = server.client();
    let project = client.create_project(&ProjectCreate { alias: "far".into(), ..Default::default() }).await.unwrap();
    let req =
        ContainerCreate { name: Some("far-1".into()), container_image: Some("busybox/1".into()), ..Default::default() };
    let created = client.create_container(project.id.as_str(), &req).await.unwrap();
    let id = created.id.as_str().to_owned();
    let running =
        || async { (client.container(&id, false).await.unwrap().status == ContainerStatus::Running).then_some(()) };
    hoody_client::testkit::eventually("the remote's container running", Duration::from_secs(30), running).await;
    let listed = desktop.containers().await.unwrap();
    let far = listed.iter().find(|c| c.id.as_str() == id).expect("the remote's container is listed");
    assert_eq!((far.server_name.as_str(), far.status), ("edge", ContainerStatus::Running));

    // Its services open through this machine's proxy, which relays them to the remote's.
    let files = far.urls["files-1"].clone();
    let host = files.trim_start_matches("http://");
    assert!(host.ends_with(&format!(".edge.localhost:{}", desktop.proxy_port())), "{files}");
    assert_eq!(desktop.service_url(&far.id, Service::Files, false).await.unwrap(), files);
    // A paused container's service opens after a resume, when the user agreed to one.
    desktop.operate(&id, Operation::Pause).await.unwrap();
    assert_eq!(desktop.waking_needed(&far.id).await.unwrap(), Some(Operation::Resume));
    let e = desktop.service_url(&far.id, Service::Files, false).await.unwrap_err();
    assert!(e.message.contains("is paused; resume it"), "{e:?}");
    assert_eq!(desktop.service_url(&far.id, Service::Files, true).await.unwrap(), files);
    assert_eq!(desktop.container(&id).await.unwrap().status, ContainerStatus::Running);
    let (status, body) = support::get(desktop.proxy_port(), host, "/api/v1/files/etc/hostname").await;
    assert_eq!((status, body.trim()), (200, "far-1"), "the remote container's own file");
    // WebSockets too: the remote's terminal answers the upgrade and sends its shell's output.
    let terminal = far.urls["terminal-1"].trim_start_matches("http://").to_owned();
    let first_frame = websocket_first_frame(desktop.proxy_port(), &terminal, "/api/v1/terminal/ws?terminal_id=1").await;
    assert_eq!(first_frame, 0x82, "a binary frame (the shell's output) through both proxies");
    let elsewhere = host.replace(".edge.localhost", ".nowhere.localhost");
    let (status, body) = support::get(desktop.proxy_port(), &elsewhere, "/").await;
    assert_eq!(status, 404, "a server this machine does not know: {body}");

    // Projects, images and new containers on a server by its name.
    let far_projects = desktop.projects(Some("edge"), false).await.unwrap();
    assert_eq!(far_projects.iter().map(|p| p.alias.as_str()).collect::<Vec<_>>(), ["far"]);
    assert!(desktop.projects(None, true).await.unwrap().iter().any(|p| p.id == project.id));
    assert!(!desktop.projects(None, false).await.unwrap().iter().any(|p| p.id == project.id));
    assert!(desktop.images(Some("edge")).await.unwrap().iter().any(|i| i.alias == "busybox/1"));
    assert_eq!(desktop.images(Some("nowhere")).await.unwrap_err().status, 404);
    let req =
        ContainerCreate { name: Some("far-2".into()), container_image: Some("busybox/1".into()), ..Default::default() };
    let second = desktop.create_container(Some("edge"), project.id.as_str(), req).await.unwrap();
    assert_eq!(second.server_name, "edge");
    assert_eq!(client.container(second.id.as_str(), false).await.unwrap().name, "far-2");
    // A container is deleted once its creation has settled (while creating, a delete is a 409).
    let settled = || async {
        (!client.container(second.id.as_str(), false).await.unwrap().status.is_transitional()).then_some(())
    };
    hoody_client::testkit::eventually("far-2 created", Duration::from_secs(30), settled).await;
    desktop.delete_container(second.id.as_str()).await.unwrap();

    // The desktop's commands act there, and the remote's events come through the desktop.
    let mut events = desktop.subscribe();
    let stopped = desktop.operate(&id, Operation::Stop).await.unwrap();
    assert_eq!(stopped.status, ContainerStatus::Stopped);
    assert_eq!(client.container(&id, false).await.unwrap().status, ContainerStatus::Stopped);
    next_event_for(&mut events, &id, ContainerStatus::Stopped).await;
    let snapshot = desktop.snapshot(&id, Default::default()).await.unwrap();
    assert_eq!(desktop.snapshots(&id).await.unwrap()[0].name, snapshot.name);
    assert!(desktop.status_logs(&id).await.unwrap().iter().any(|l| l.to_status == ContainerStatus::Stopped));
    assert_eq!(desktop.container(&id).await.unwrap().server_name, "edge");

    // Any operation through the one rpc: routed by the container it names, or to a server by name.
    let call = |op: &str, server: Option<&str>, params: &[(&str, &str)]| RpcCall {
        server: server.map(str::to_owned),
        op: op.into(),
        params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        query: Default::default(),
        body: None,
    };
    let started = desktop.rpc(call("operate", None, &[("id", &id), ("operation", "start")])).await.unwrap();
    assert_eq!((started["status"].as_str(), started["server_name"].as_str()), (Some("running"), Some("edge")));
    let far_page = desktop.rpc(call("list_projects", Some("edge"), &[])).await.unwrap();
    assert_eq!(far_page["projects"][0]["alias"], "far");
    let here = desktop.rpc(call("list_projects", None, &[])).await.unwrap();
    assert_eq!(here["pagination"]["total"], 0, "this machine has no projects");
    let e = desktop.rpc(call("explode", None, &[])).await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (404, "not_found"));
    let e = desktop.rpc(call("operate", None, &[("id", &id), ("operation", "explode")])).await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (404, "not_found"), "{e:?}");
    let e = desktop.rpc(call("get_container", None, &[("id", "not-an-id")])).await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "invalid_id"), "{e:?}");
    desktop.operate(&id, Operation::Stop).await.unwrap();

    // The token is in the keyring, not in the data dir; a restarted desktop finds it there.
    support::assert_nowhere_under(&desktop_data, &token);
    drop(desktop);
    let desktop = Desktop::start(&desktop_data, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert!(desktop.containers().await.unwrap().iter().any(|c| c.id.as_str() == id));
    assert_eq!(desktop.servers().await.unwrap()[1].problem, None);
    desktop.delete_container(&id).await.unwrap();
    assert!(client.container(&id, false).await.is_err());

    // A remote that stops answering is reported, and the grid keeps this machine's containers.
    drop(server);
    desktop.containers().await.unwrap();
    let problem = desktop.servers().await.unwrap()[1].problem.clone().unwrap_or_default();
    assert!(problem.contains("edge does not answer"), "{problem}");

    desktop.remove_remote("edge").await.unwrap();
    assert_eq!(desktop.servers().await.unwrap().len(), 1);
    assert!(!std::fs::read_to_string(desktop_data.join("remotes.json")).unwrap().contains("edge"));
    assert_eq!(desktop.remove_remote("edge").await.unwrap_err().status, 404);
}
