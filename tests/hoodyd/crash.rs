//! `kill -9` in the middle of a burst of writes loses no acknowledged write, and the engine
//! reconciles what it was doing when it died.

use crate::process::Hoodyd;
use hoody_model::{ContainerCreate, ContainerStatus, ProjectCreate};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn kill_9_during_a_burst_of_writes_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Hoodyd::start(dir.path());
    let project =
        d.client.create_project(&ProjectCreate { alias: "burst".into(), ..Default::default() }).await.unwrap();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, acked, project) = (d.client.clone(), acked.clone(), project.id.to_string());
        writers.push(tokio::spawn(async move {
            // Bounded: stops at the first failed request (the kill) or after 2,000 writes.
            for i in 0..2000 {
                let req = ContainerCreate { name: Some(format!("w{w}-{i}")), ..Default::default() };
                match client.create_container(&project, &req).await {
                    Ok(c) => acked.lock().unwrap().push((c.id.to_string(), c.name)),
                    Err(_) => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    d.signal(9);
    assert_eq!(d.wait(Duration::from_secs(10)), None, "killed by the signal");
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 20, "the burst was under way when the kill came ({} writes)", acked.len());

    let d = Hoodyd::start(dir.path());
    let all = d.client.list_containers(&format!("project_id={}&limit=200", project.id)).await.unwrap();
    let total = all.pagination.total as usize;
    assert!(total >= acked.len(), "{total} stored < {} acknowledged", acked.len());
    for (id, name) in &acked {
        let c =
            d.client.container(id, false).await.unwrap_or_else(|e| panic!("acknowledged container {name} lost: {e}"));
        assert_eq!(&c.name, name);
        // Nothing is left half-done: what was creating at the kill is failed with the reason.
        assert!(!c.status.is_transitional(), "{name} still {}", c.status);
    }
    println!("{} writes acknowledged before kill -9, {total} stored, none lost", acked.len());
}

/// `kill -9` of hoodyd while real containers are being created: after a restart every container
/// the store says runs is running in runc, nothing else runs, and deleting them all leaves no
/// mount, runc state or cgroup behind.
#[tokio::test]
async fn kill_9_during_real_creates_leaves_store_and_runc_agreeing() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Hoodyd::start(dir.path());
    d.import_busybox();
    let project =
        d.client.create_project(&ProjectCreate { alias: "crash".into(), ..Default::default() }).await.unwrap();
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, project) = (d.client.clone(), project.id.to_string());
        writers.push(tokio::spawn(async move {
            let mut acked = 0;
            for i in 0..200 {
                let req = ContainerCreate {
                    name: Some(format!("c{w}-{i}")),
                    container_image: Some("busybox/1".into()),
                    ..Default::default()
                };
                match client.create_container(&project, &req).await {
                    Ok(_) => acked += 1,
                    Err(_) => break,
                }
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    d.signal(9);
    assert_eq!(d.wait(Duration::from_secs(10)), None, "killed by the signal");
    let mut acked = 0;
    for w in writers {
        acked += w.await.unwrap();
    }
    assert!(acked >= 4, "the burst was under way when the kill came ({acked} creates)");

    let d = Hoodyd::start(dir.path());
    let layout = hoody_runtime::Layout::new(&d.data_dir, std::path::Path::new("/run/hoody"));
    let all = d.client.list_containers(&format!("project_id={}&limit=200", project.id)).await.unwrap();
    assert!(all.pagination.total as usize >= acked);
    let mut running = 0;
    for c in &all.items {
        assert!(!c.status.is_transitional(), "{} still {}", c.name, c.status);
        let state = runc_state(&layout, c.id.as_str());
        match c.status {
            ContainerStatus::Running => {
                running += 1;
                assert_eq!(state.as_deref(), Some("running"), "{} is running in the store", c.name);
            }
            other => assert_eq!(state, None, "{} is {other} in the store but runc holds it", c.name),
        }
    }
    println!("{acked} creates acknowledged before kill -9; after restart {running} of {} running", all.items.len());

    for c in &all.items {
        d.client.delete_container(c.id.as_str()).await.unwrap();
        assert_eq!(runc_state(&layout, c.id.as_str()), None);
        let cgroups = std::fs::read_dir("/sys/fs/cgroup/memory/hoody")
            .map(|e| e.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(c.id.as_str())).count())
            .unwrap_or(0);
        assert_eq!(cgroups, 0, "cgroups of {} left", c.name);
    }
    let mounts = hoody_runtime::mount_points_under(&d.data_dir);
    assert!(mounts.is_empty(), "mounts left: {mounts:?}");
}

/// What runc says of `id` in this data directory's runc root (None: it holds nothing).
fn runc_state(layout: &hoody_runtime::Layout, id: &str) -> Option<String> {
    let out =
        std::process::Command::new("runc").arg("--root").arg(layout.runc_root()).args(["state", id]).output().unwrap();
    if !out.status.success() {
        return None;
    }
    let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Some(state["status"].as_str().unwrap().to_owned())
}

/// A container whose init dies (here: SIGKILL from the host) is settled as stopped at once, with
/// the reason, through the event stream; the runtime is cleaned up, so it starts again.
#[tokio::test]
async fn a_container_whose_init_dies_is_stopped_with_the_reason() {
    let (_dir, d, _project, c) = crate::proxy::server_with("dies").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let init = c["runtime_info"]["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == 1)
        .and_then(|p| p["host_pid"].as_u64())
        .expect("the init's host pid");
    let mut events = d.client.events().await.unwrap();
    let killed = std::process::Command::new("kill").args(["-9", &init.to_string()]).status().unwrap();
    assert!(killed.success());
    let event = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let e = events.next().await.unwrap().expect("the stream stays open");
            if e.container_id.as_str() == id && e.to == ContainerStatus::Stopped {
                return e;
            }
        }
    })
    .await
    .expect("a stopped event within 20 s");
    assert_eq!(event.reason.as_deref(), Some("stopped unexpectedly: its init exited"));
    let now = d.client.container(&id, true).await.unwrap();
    assert_eq!(now.status, ContainerStatus::Stopped);
    assert!(now.error.as_deref().unwrap_or_default().contains("unexpectedly"), "{now:?}");
    let logs = d.client.status_logs(&id).await.unwrap();
    assert_eq!(logs.last().unwrap().triggered_by, hoody_model::Trigger::System);

    // Nothing of the old run is left in the way: it starts again, and a stop it is asked for
    // is not reported as unexpected.
    let started = d.client.operate(&id, hoody_model::Operation::Start).await.unwrap();
    assert_eq!(started.status, ContainerStatus::Running);
    let stopped = d.client.operate(&id, hoody_model::Operation::Stop).await.unwrap();
    assert_eq!(stopped.status, ContainerStatus::Stopped);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logs = d.client.status_logs(&id).await.unwrap();
    assert_eq!(logs.last().unwrap().triggered_by, hoody_model::Trigger::User, "{logs:?}");
    d.client.delete_container(&id).await.unwrap();
}
