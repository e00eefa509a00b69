//! `fleet_*`: three real `hoodyd` on loopback in one desktop's grid, with real containers on
//! each. One is killed: it is marked unreachable with the reason at once (its event stream
//! ends), its containers stay in the grid as last known, and the other two stay fully usable;
//! a restarted desktop shows the dead server's last known containers from its store; the server
//! comes back where it was and the grid catches up with what changed on it.

mod support;

use hoody_client::testkit::{Hoodyd, eventually};
use hoody_desktop_core::Desktop;
use hoody_desktop_core::commands::RpcCall;
use hoody_desktop_core::remotes::{RemoteEndpoint, ServerEntry};
use hoody_model::services::Service;
use hoody_model::{Container, ContainerCreate, ContainerStatus, Operation, ProjectCreate, ServerReach};
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use support::Trouble;

const SERVERS: [&str; 3] = ["north", "south", "west"];

async fn entry(desktop: &Desktop, name: &str) -> ServerEntry {
    desktop.servers().await.unwrap().into_iter().find(|s| s.name == name).expect("the server is listed")
}

fn named<'a>(listed: &'a [Container], name: &str) -> Option<&'a Container> {
    listed.iter().find(|c| c.name == name)
}

/// A busybox container called `name` on server `server`, running (through the desktop).
async fn running(desktop: &Desktop, server: &str, project: &str, name: &str) -> Container {
    let req =
        ContainerCreate { name: Some(name.into()), container_image: Some("busybox/1".into()), ..Default::default() };
    let c = desktop.create_container(Some(server), project, req).await.unwrap();
    let id = c.id.as_str().to_owned();
    let up = || async {
        let c = desktop.container(&id).await.ok()?;
        (c.status == ContainerStatus::Running && c.urls.contains_key("files-1")).then_some(c)
    };
    eventually(&format!("{name} running on {server}"), Duration::from_secs(60), up).await
}

/// Its own /etc/hostname, read through the desktop's proxy and the server's.
async fn hostname_through_proxy(desktop: &Desktop, c: &Container) -> String {
    let url = desktop.service_url(&c.id, Service::Files, false).await.unwrap();
    let host = url.trim_start_matches("http://");
    let (status, body) = support::get(desktop.proxy_port(), host, "/api/v1/files/etc/hostname").await;
    assert_eq!(status, 200, "{body}");
    body.trim().to_owned()
}

fn start_server(data: &Path) -> Hoodyd {
    std::fs::create_dir_all(data).unwrap();
    Hoodyd::start(data, hoody_runtime::testkit::shared_busybox_tarball())
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_a_server_that_dies_is_marked_and_the_others_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let desktop_data = dir.path().join("desktop");
    let mut servers: Vec<Hoodyd> = SERVERS.iter().map(|name| start_server(&dir.path().join(name))).collect();
    let mut desktop = Desktop::start(&desktop_data, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut projects = Vec::new();
    for (name, server) in SERVERS.iter().zip(&servers) {
        let endpoint = RemoteEndpoint { name: (*name).into(), url: server.origin.clone() };
        desktop.add_remote(endpoint, &server.token).await.unwrap();
        let alias = format!("{name}-work");
        let project = desktop.create_project(Some(name), ProjectCreate { alias, ..Default::default() }).await.unwrap();
        running(&desktop, name, project.id.as_str(), &format!("{name}-1")).await;
        projects.push(project.id.as_str().to_owned());
    }
    // The grid lists every server's container under its server.
    let listed = desktop.containers().await.unwrap();
    for name in SERVERS {
        let c = named(&listed, &format!("{name}-1")).unwrap_or_else(|| panic!("{name}-1 is listed"));
        assert_eq!(c.server_name, name);
        assert_eq!(entry(&desktop, name).await.health.map(|h| h.state), Some(ServerReach::Connected));
    }
    let south_1 = named(&listed, "south-1").unwrap().id.as_str().to_owned();
    // The grid reads every server's projects, for its cards' project names.
    assert_eq!(desktop.projects(None, true).await.unwrap().len(), 3);

    // South dies. Its stream ends: it is marked unreachable within 5 s, with the reason and the
    // time it last answered.
    let south_origin = servers[1].origin.clone();
    servers[1].kill();
    let marked = || async {
        let health = entry(&desktop, "south").await.health?;
        (health.state == ServerReach::Unreachable).then_some(health)
    };
    let health = eventually("south marked unreachable", Duration::from_secs(5), marked).await;
    assert!(health.reason.as_deref().unwrap_or_default().starts_with("south does not answer"), "{health:?}");
    assert!(health.last_contact.is_some(), "{health:?}");
    // Its container stays in the grid as last known; the others' are fresh.
    let listed = desktop.containers().await.unwrap();
    assert_eq!(named(&listed, "south-1").map(|c| c.status), Some(ContainerStatus::Running), "last known");
    assert!(named(&listed, "north-1").is_some() && named(&listed, "west-1").is_some());
    // Asking it anything says so at once.
    let e = desktop.operate(&south_1, Operation::Stop).await.unwrap_err();
    assert!(e.message.starts_with("south does not answer"), "{e:?}");

    // The other two stay fully usable: create, stop, start, service URLs, delete.
    for (name, project) in [("north", &projects[0]), ("west", &projects[2])] {
        let c = running(&desktop, name, project, &format!("{name}-2")).await;
        assert_eq!(hostname_through_proxy(&desktop, &c).await, format!("{name}-2"));
        let id = c.id.as_str();
        assert_eq!(desktop.operate(id, Operation::Stop).await.unwrap().status, ContainerStatus::Stopped);
        assert_eq!(desktop.operate(id, Operation::Start).await.unwrap().status, ContainerStatus::Running);
        assert_eq!(desktop.delete_container(id).await.unwrap().status, ContainerStatus::Deleted);
        assert_eq!(entry(&desktop, name).await.health.map(|h| h.state), Some(ServerReach::Connected));
    }

    // A desktop started while south is away opens with its last known containers (its store).
    drop(desktop);
    desktop = Desktop::start(&desktop_data, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let known = desktop.known_containers().await.unwrap();
    for name in SERVERS {
        assert!(named(&known, &format!("{name}-1")).is_some(), "{name}-1 known at once: {known:?}");
    }
    let listed = desktop.containers().await.unwrap();
    assert!(named(&listed, "south-1").is_some(), "still shown, as last known");
    // Its projects too, for the cards' project names.
    let projects = desktop.projects(None, true).await.unwrap();
    assert!(projects.iter().any(|p| p.alias == "south-work"), "{projects:?}");
    assert_eq!(entry(&desktop, "south").await.health.map(|h| h.state), Some(ServerReach::Unreachable));

    // South comes back where it was; what changes on it shows in the grid again.
    servers[1] = Hoodyd::serve_at(&dir.path().join("south"), &south_origin);
    let project = servers[1].client().list_projects("").await.unwrap().items[0].id.clone();
    let req = ContainerCreate {
        name: Some("south-2".into()),
        container_image: Some("busybox/1".into()),
        ..Default::default()
    };
    servers[1].client().create_container(project.as_str(), &req).await.unwrap();
    let caught_up = || async {
        let listed = desktop.containers().await.ok()?;
        let connected = entry(&desktop, "south").await.health?.state == ServerReach::Connected;
        (connected && named(&listed, "south-2").is_some()).then_some(())
    };
    eventually("the grid caught up with south", Duration::from_secs(30), caught_up).await;
    remove_all(&servers).await;
}

/// Deletes every container of each server (a killed server's containers outlive it).
async fn remove_all(servers: &[Hoodyd]) {
    for server in servers {
        let client = server.client();
        let settled = || async {
            let all = client.list_containers("limit=200").await.ok()?.items;
            all.iter().all(|c| !c.status.is_transitional()).then_some(all)
        };
        for c in eventually("every container settled", Duration::from_secs(60), settled).await {
            client.delete_container(c.id.as_str()).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_a_create_whose_answer_is_lost_is_made_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("far"));
    let (client, lossy) = (server.client(), ProjectCreate { alias: "lossy".into(), ..Default::default() });
    let project = client.create_project(&lossy).await.unwrap().id.as_str().to_owned();
    let desktop = Desktop::start(&dir.path().join("desktop"), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    // The server acts on the create, and its answer never arrives.
    let (proxy, cut) = support::proxy(&server.origin, Trouble::CutFirstAnswer("POST /api/v1/projects/")).await;
    desktop.add_remote(RemoteEndpoint { name: "far".into(), url: proxy }, &server.token).await.unwrap();
    let req =
        ContainerCreate { name: Some("once".into()), container_image: Some("busybox/1".into()), ..Default::default() };
    let made = desktop.create_container(Some("far"), &project, req).await.unwrap();
    assert_eq!((made.name.as_str(), made.server_name.as_str()), ("once", "far"));
    // Exactly one, the one the answer names.
    let there = server.client().project_containers(&project, "").await.unwrap().items;
    let once: Vec<_> = there.iter().filter(|c| c.name == "once").collect();
    assert_eq!(once.len(), 1, "{there:?}");
    assert_eq!(once[0].id, made.id);
    assert_eq!(cut.load(std::sync::atomic::Ordering::SeqCst), 1, "the answer was cut");
    remove_all(std::slice::from_ref(&server)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_bad_endpoints_are_refused_and_never_saved() {
    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::start(&dir.path().join("desktop"), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let response = |status: &str, headers: &str, body: &str| {
        format!("HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
    };
    let (busy, asked) = support::answering(response(
        "429 Too Many Requests",
        "Retry-After: 1\r\nContent-Type: application/json\r\n",
        r#"{"statusCode":429,"message":"slow down"}"#,
    ))
    .await;
    let (page, _) = support::answering(response("200 OK", "Content-Type: text/html\r\n", "<html>a blog</html>")).await;
    let add = |name: &str, url: &str| desktop.add_remote(RemoteEndpoint { name: name.into(), url: url.into() }, "t");
    let e = add("typo", "not a url").await.unwrap_err();
    assert_eq!(e.status, 400, "{e:?}");
    let e = add("busy", &busy).await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (429, "rate_limited"), "{e:?}");
    assert!(e.message.contains("asked too often"), "{e:?}");
    assert!(asked.load(std::sync::atomic::Ordering::SeqCst) >= 2, "asked again after its Retry-After");
    let e = add("blog", &page).await.unwrap_err();
    assert!(e.message.contains("outside the Hoody API"), "{e:?}");
    let servers = desktop.servers().await.unwrap();
    assert_eq!(servers.len(), 1, "none saved: {servers:?}");
    assert!(!std::fs::read_to_string(dir.path().join("desktop/remotes.json")).unwrap_or_default().contains("busy"));
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_a_server_without_a_live_stream_is_polled() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("cloudy"));
    let desktop = Desktop::start(&dir.path().join("desktop"), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    // As the Hoody cloud: no live stream at /events.
    let (proxy, refused) = support::proxy(&server.origin, Trouble::Missing("GET /api/v1/events ")).await;
    desktop.add_remote(RemoteEndpoint { name: "cloudy".into(), url: proxy }, &server.token).await.unwrap();
    let connected =
        || async { (entry(&desktop, "cloudy").await.health?.state == ServerReach::Connected).then_some(()) };
    eventually("cloudy polled", Duration::from_secs(10), connected).await;
    assert!(refused.load(std::sync::atomic::Ordering::SeqCst) >= 1, "the stream was asked for and refused");
    // A change made there (not through this desktop) reaches the grid: it is asked to read again.
    let mut events = desktop.subscribe();
    let client = server.client();
    let project = client.create_project(&ProjectCreate { alias: "polled".into(), ..Default::default() }).await.unwrap();
    let req =
        ContainerCreate { name: Some("seen".into()), container_image: Some("busybox/1".into()), ..Default::default() };
    client.create_container(project.id.as_str(), &req).await.unwrap();
    let resync = async {
        loop {
            if let Ok(hoody_desktop_core::DesktopEvent::Resync) = events.recv().await {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(15), resync).await.expect("a poll saw the change");
    assert!(named(&desktop.containers().await.unwrap(), "seen").is_some());
    remove_all(std::slice::from_ref(&server)).await;
}

/// A copy of container `id` as the UI asks it of the desktop, with `body`.
fn copy_call(id: &str, body: serde_json::Value) -> RpcCall {
    let params = [("id".to_owned(), id.to_owned())].into();
    RpcCall { server: None, op: "copy_container".into(), params, query: Default::default(), body: Some(body) }
}

/// The desktop's copy of container `id` to server `target` (by the id it gives itself), into
/// its project `project`, named `name`: as the UI asks it.
async fn copy_to(desktop: &Desktop, target: &Hoodyd, id: &str, project: &str, name: &str) -> Result<Container, String> {
    let server_id = target.client().servers().await.unwrap()[0].id.as_str().to_owned();
    let call = copy_call(id, json!({"target_server_id": server_id, "target_project_id": project, "name": name}));
    match desktop.rpc(call).await {
        Ok(data) => Ok(serde_json::from_value(data).unwrap()),
        Err(e) => Err(e.message),
    }
}

/// What a server's data directory holds of transfers under way.
fn transfers_in(data: &Path) -> Vec<String> {
    let dir = std::fs::read_dir(data.join("transfers"));
    dir.into_iter().flatten().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_a_copy_to_another_server_runs_there_with_the_sources_files() {
    let dir = tempfile::tempdir().unwrap();
    let (east_data, west_data) = (dir.path().join("east"), dir.path().join("west"));
    let servers = [start_server(&east_data), start_server(&west_data)];
    let desktop = Desktop::start(&dir.path().join("desktop"), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    // East's layer reaches the desktop through a line that is cut once, partway through it,
    // the first time it is read.
    let cut_once = Trouble::CutBodies { start: "GET /api/v1/exports/", after: 4096, times: 1 };
    let (east_line, cuts) = support::proxy(&servers[0].origin, cut_once).await;
    desktop.add_remote(RemoteEndpoint { name: "east".into(), url: east_line }, &servers[0].token).await.unwrap();
    // And west acts on the finished import, whose answer is lost on the way back.
    let (west_line, lost) = support::proxy(&servers[1].origin, Trouble::CutFirstAnswer("POST /api/v1/imports/")).await;
    desktop.add_remote(RemoteEndpoint { name: "west".into(), url: west_line }, &servers[1].token).await.unwrap();
    let mut projects = Vec::new();
    for name in ["east", "west"] {
        let alias = format!("{name}-work");
        let project = desktop.create_project(Some(name), ProjectCreate { alias, ..Default::default() }).await.unwrap();
        projects.push(project.id.as_str().to_owned());
    }
    // The source: a file written, a file of its image deleted (a whiteout in its layer), and
    // enough bytes that its layer is read in several pieces.
    let source = running(&desktop, "east", &projects[0], "traveller").await;
    let host = desktop.service_url(&source.id, Service::Files, false).await.unwrap();
    let host = host.trim_start_matches("http://").to_owned();
    let big = "0123456789abcdef".repeat(64 * 1024);
    for (method, path, body) in [
        ("PUT", "/api/v1/files/root/note.txt", "from east"),
        ("PUT", "/api/v1/files/root/big.txt", big.as_str()),
        ("DELETE", "/api/v1/files/etc/group", ""),
    ] {
        let (status, answer) = support::send(desktop.proxy_port(), &host, method, path, body).await;
        assert!(status < 300, "{method} {path}: {status} {answer}");
    }

    // Copied to west: it runs there (its source runs), with the source's files and without the
    // one deleted; the line was cut and the copy went on from where it stopped; the container
    // west made was found by its id when the answer saying so was lost.
    let mut events = desktop.subscribe();
    let copy = copy_to(&desktop, &servers[1], source.id.as_str(), &projects[1], "arrived").await.unwrap();
    // The source's card was told how far the copy got, to the last byte.
    let mut reported = None;
    while let Ok(event) = events.try_recv() {
        if let hoody_desktop_core::DesktopEvent::Container(e) = event
            && e.container_id == source.id
            && let Some(progress) = e.progress
        {
            reported = Some(progress);
        }
    }
    let reported = reported.expect("the copy's progress was reported");
    assert_eq!(reported.stage, "copying to west");
    assert!(reported.done == reported.total && reported.total > 1 << 20, "{reported:?}");
    assert_eq!((copy.server_name.as_str(), copy.status), ("west", ContainerStatus::Running), "{copy:?}");
    assert_eq!(cuts.load(std::sync::atomic::Ordering::SeqCst), 1, "the layer's first read was cut");
    assert_eq!(lost.load(std::sync::atomic::Ordering::SeqCst), 1, "the finish's answer was lost");
    let up = || async {
        let c = desktop.container(copy.id.as_str()).await.ok()?;
        c.urls.contains_key("files-1").then_some(c)
    };
    let copy = eventually("the copy serving on west", Duration::from_secs(60), up).await;
    let there = desktop.service_url(&copy.id, Service::Files, false).await.unwrap();
    let there = there.trim_start_matches("http://").to_owned();
    let read = |path: &'static str| support::get(desktop.proxy_port(), &there, path);
    assert_eq!(read("/api/v1/files/root/note.txt").await, (200, "from east".to_owned()));
    let (status, copied_big) = read("/api/v1/files/root/big.txt").await;
    assert!(status == 200 && copied_big == big, "big.txt: {status}, {} bytes", copied_big.len());
    assert_eq!(read("/api/v1/files/etc/group").await.0, 404, "the deleted file stays deleted");
    assert_eq!(hostname_through_proxy(&desktop, &copy).await, "arrived");
    // The grid has it under west; the source is still on east, untouched.
    let listed = desktop.containers().await.unwrap();
    assert_eq!(named(&listed, "arrived").map(|c| c.server_name.as_str()), Some("west"));
    assert_eq!(named(&listed, "traveller").map(|c| c.status), Some(ContainerStatus::Running));
    // Nothing of the transfer is left on either side.
    assert!(transfers_in(&east_data).is_empty() && transfers_in(&west_data).is_empty());
    remove_all(&servers).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_a_copy_cut_off_midway_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (east_data, west_data) = (dir.path().join("east"), dir.path().join("west"));
    let servers = [start_server(&east_data), start_server(&west_data)];
    let desktop = Desktop::start(&dir.path().join("desktop"), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    // Every read of east's layer is cut: the first partway, the others before any byte.
    let cut_always = Trouble::CutBodies { start: "GET /api/v1/exports/", after: 4096, times: usize::MAX };
    let (east_line, cuts) = support::proxy(&servers[0].origin, cut_always).await;
    desktop.add_remote(RemoteEndpoint { name: "east".into(), url: east_line }, &servers[0].token).await.unwrap();
    desktop
        .add_remote(RemoteEndpoint { name: "west".into(), url: servers[1].origin.clone() }, &servers[1].token)
        .await
        .unwrap();
    let east_project = desktop
        .create_project(Some("east"), ProjectCreate { alias: "from".into(), ..Default::default() })
        .await
        .unwrap();
    let west_project =
        desktop.create_project(Some("west"), ProjectCreate { alias: "to".into(), ..Default::default() }).await.unwrap();
    let source = running(&desktop, "east", east_project.id.as_str(), "stuck").await;
    let e = copy_to(&desktop, &servers[1], source.id.as_str(), west_project.id.as_str(), "never").await.unwrap_err();
    assert!(e.contains("failed, nothing is left of it there") && e.contains("did not go further"), "{e}");
    assert!(cuts.load(std::sync::atomic::Ordering::SeqCst) >= 2, "read again after the cut");
    // West has no container, no import, no files of one; east no export.
    let west = servers[1].client().list_containers("limit=200").await.unwrap().items;
    assert!(west.is_empty(), "{west:?}");
    assert!(transfers_in(&west_data).is_empty(), "{:?}", transfers_in(&west_data));
    assert!(transfers_in(&east_data).is_empty(), "{:?}", transfers_in(&east_data));
    let bundles = std::fs::read_dir(west_data.join("containers")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(bundles, 0, "no container files on west");
    // Bad input: a server that is not in the fleet, a copy to another server without a project
    // there; nothing made either way.
    let unknown = copy_call(
        source.id.as_str(),
        json!({"target_server_id": "f".repeat(24), "target_project_id": west_project.id}),
    );
    let e = desktop.rpc(unknown).await.unwrap_err();
    assert_eq!(e.status, 404, "{e:?}");
    assert!(e.message.contains("target_server_id"), "{e:?}");
    let west_id = servers[1].client().servers().await.unwrap()[0].id.as_str().to_owned();
    let no_project = copy_call(source.id.as_str(), json!({"target_server_id": west_id}));
    let e = desktop.rpc(no_project).await.unwrap_err();
    assert!(e.status == 400 && e.message.contains("target_project_id"), "{e:?}");
    assert!(servers[1].client().list_containers("limit=200").await.unwrap().items.is_empty());
    // A copy to the source's own server is that server's own copy (nothing is carried).
    let east_id = servers[0].client().servers().await.unwrap()[0].id.as_str().to_owned();
    let own = copy_call(
        source.id.as_str(),
        json!({"target_server_id": east_id, "target_project_id": east_project.id, "name": "sibling"}),
    );
    let sibling: Container = serde_json::from_value(desktop.rpc(own).await.unwrap()).unwrap();
    assert_eq!((sibling.server_name.as_str(), sibling.source_container_id.as_ref()), ("east", Some(&source.id)));
    remove_all(&servers).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_a_cut_live_stream_resumes_without_reading_everything_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("cut"));
    let desktop = Desktop::start(&dir.path().join("desktop"), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    // The first live stream is hung up on partway through its second event.
    let cut_once = Trouble::CutBodies { start: "GET /api/v1/events ", after: 1000, times: 1 };
    let (line, cuts) = support::proxy(&server.origin, cut_once).await;
    desktop.add_remote(RemoteEndpoint { name: "cut".into(), url: line }, &server.token).await.unwrap();
    let project = desktop.create_project(Some("cut"), ProjectCreate { alias: "cut".into(), ..Default::default() });
    let project = project.await.unwrap().id.as_str().to_owned();
    let first = running(&desktop, "cut", &project, "first").await;
    // From now on nothing asks the grid to read everything again: the stream is cut and goes on
    // from its last event. Stopped and started until the stream has carried enough to be cut
    // (after whole events).
    let mut events = desktop.subscribe();
    let id = first.id.as_str();
    while cuts.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert_eq!(desktop.operate(id, Operation::Stop).await.unwrap().status, ContainerStatus::Stopped);
        assert_eq!(desktop.operate(id, Operation::Start).await.unwrap().status, ContainerStatus::Running);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A change made on the server after the cut arrives as itself.
    let req =
        ContainerCreate { name: Some("later".into()), container_image: Some("busybox/1".into()), ..Default::default() };
    let later = server.client().create_container(&project, &req).await.unwrap();
    let mut resyncs = 0;
    let arrived = async {
        loop {
            match events.recv().await {
                Ok(hoody_desktop_core::DesktopEvent::Container(e)) if e.container_id == later.id => return,
                Ok(hoody_desktop_core::DesktopEvent::Resync) => resyncs += 1,
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(15), arrived).await.expect("the later container's event arrived");
    assert_eq!(resyncs, 0, "resumed, not read again");
    let health = entry(&desktop, "cut").await.health.unwrap();
    assert_eq!(health.state, ServerReach::Connected, "never away: {health:?}");
    assert!(named(&desktop.containers().await.unwrap(), "first").is_some_and(|c| c.id == first.id));
    remove_all(std::slice::from_ref(&server)).await;
}
