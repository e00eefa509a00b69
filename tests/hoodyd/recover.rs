//! The database can always be rebuilt: projects, containers (living and deleted), their
//! settings and snapshots are made, then the database is deleted — and, separately, damaged;
//! the engine refuses to start and names both ways back; `hoodyd recover` rebuilds it from the
//! data directory's records (or puts back a backup), and every container comes back with its
//! id, name, project, settings and snapshots, and runs.

use crate::process::Hoodyd;
use crate::proxy::running;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// `hoodyd ARGS --data-dir DIR`: (succeeded, stdout, stderr).
fn hoodyd(args: &[&str], data: &Path) -> (bool, String, String) {
    let out = Command::new(hoody_e2e::program("hoodyd"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("HOODY_LOG", "error")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What the API shows of every container (deleted ones are not listed), sorted by id, without
/// what changes by itself (status times, runtime figures).
async fn containers(d: &Hoodyd) -> Vec<Value> {
    let listed = d.client.raw(Method::GET, "/containers/?limit=200", None).await.unwrap().body;
    let mut all: Vec<Value> = listed["data"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let keep = [
                "id",
                "name",
                "project_id",
                "container_image",
                "color",
                "comment",
                "environment_vars",
                "autostart",
                "ai",
                "cache",
                "ramdisk",
                "network",
                "realm_ids",
                "created_at",
                "snapshot_count",
            ];
            Value::Object(keep.iter().map(|k| (k.to_string(), c[*k].clone())).collect())
        })
        .collect();
    all.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    all
}

async fn snapshots(d: &Hoodyd, id: &str) -> Vec<String> {
    let r = d.client.raw(Method::GET, &format!("/containers/{id}/snapshots"), None).await.unwrap().body;
    let list = r["data"]["snapshots"].as_array().or(r["data"].as_array()).cloned().unwrap_or_default();
    let mut names: Vec<String> = list.iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

async fn status(d: &Hoodyd, id: &str) -> String {
    d.client.raw(Method::GET, &format!("/containers/{id}"), None).await.unwrap().body["data"]["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_database_is_rebuilt_from_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let mut first = Hoodyd::start(&data);
    first.import_busybox();
    let c = &first.client;
    let realm = c.create_realm("team-r").await.unwrap();
    let r = c
        .raw(Method::POST, "/projects/", Some(&json!({"alias": "alpha", "color": "#cc0000", "realm_ids": [realm.id]})))
        .await
        .unwrap();
    let alpha = r.body["data"]["id"].as_str().unwrap().to_owned();
    let r = c.raw(Method::POST, "/projects/", Some(&json!({"alias": "beta"}))).await.unwrap();
    let beta = r.body["data"]["id"].as_str().unwrap().to_owned();
    let web = running(&first, &alpha, "web").await["id"].as_str().unwrap().to_owned();
    let body = json!({"comment": "the db", "color": "#3465a4"});
    let r = c.raw(Method::PATCH, &format!("/containers/{web}"), Some(&body)).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let r =
        c.raw(Method::POST, &format!("/containers/{web}/snapshots"), Some(&json!({"alias": "before"}))).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let idle = running(&first, &beta, "idle").await["id"].as_str().unwrap().to_owned();
    assert_eq!(c.raw(Method::POST, &format!("/containers/{idle}/stop"), None).await.unwrap().status, 200);
    // A deleted container whose snapshot was kept.
    let gone = running(&first, &beta, "gone").await["id"].as_str().unwrap().to_owned();
    let r =
        c.raw(Method::POST, &format!("/containers/{gone}/snapshots"), Some(&json!({"alias": "kept"}))).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(c.raw(Method::DELETE, &format!("/containers/{gone}"), None).await.unwrap().status, 200);
    let before = containers(&first).await;
    assert_eq!(before.len(), 2);
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    // 1. The database is deleted: the engine refuses to start and names both ways back.
    for file in ["hoody.db", "hoody.db-wal", "hoody.db-shm"] {
        let _ = std::fs::remove_file(data.join(file));
    }
    let (started, _, err) = hoodyd(&["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0"], &data);
    assert!(!started, "it must not start on an empty database beside containers");
    assert!(err.contains("hoody.db is missing") && err.contains("hoodyd recover --data-dir"), "{err}");
    assert!(err.contains("--from-backup latest"), "a backup is offered too: {err}");
    let (ok, report, err) = hoodyd(&["recover"], &data);
    assert!(ok, "{err}");
    println!("hoodyd recover:\n{report}");
    assert!(report.contains("recovered 1 realms, 2 projects, 3 containers and 2 snapshots"), "{report}");

    let second = Hoodyd::start(&data);
    assert_eq!(containers(&second).await, before, "ids, names, projects and settings come back");
    assert_eq!(status(&second, &web).await, "running", "it kept running meanwhile");
    assert_eq!(snapshots(&second, &web).await, ["before"]);
    let r = second.client.raw(Method::GET, &format!("/projects/{alpha}"), None).await.unwrap();
    assert_eq!(
        (r.body["data"]["alias"].as_str(), r.body["data"]["realm_ids"][0].as_str()),
        (Some("alpha"), Some(realm.id.as_str()))
    );
    let r = second.client.raw(Method::POST, &format!("/containers/{idle}/start"), None).await.unwrap();
    assert_eq!(r.status, 200, "the stopped one starts: {}", r.body);
    assert_eq!(status(&second, &idle).await, "running");
    let mut second = second;
    second.child.kill().unwrap();
    second.child.wait().unwrap();

    // 2. The database is damaged: refused with both ways back; the newest backup is put back,
    // then (separately) the records rebuild it.
    std::fs::write(data.join("hoody.db"), b"this is not a database, it was overwritten").unwrap();
    for file in ["hoody.db-wal", "hoody.db-shm"] {
        let _ = std::fs::remove_file(data.join(file));
    }
    let (started, _, err) = hoodyd(&["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0"], &data);
    assert!(!started);
    assert!(err.contains("is damaged") && err.contains("hoodyd recover --data-dir"), "{err}");
    let (ok, said, err) = hoodyd(&["recover", "--from-backup", "latest"], &data);
    assert!(ok, "{err}");
    assert!(said.contains("kept as") && said.contains("broken-"), "{said}");
    let third = Hoodyd::start(&data);
    assert_eq!(containers(&third).await.len(), 2, "the backup holds both containers");
    let mut third = third;
    third.child.kill().unwrap();
    third.child.wait().unwrap();
    std::fs::write(data.join("hoody.db"), b"damaged again").unwrap();
    let (ok, report, err) = hoodyd(&["recover"], &data);
    assert!(ok, "{err}");
    assert!(report.contains("3 containers and 2 snapshots"), "{report}");
    let fourth = Hoodyd::start(&data);
    assert_eq!(containers(&fourth).await, before);
    assert_eq!(status(&fourth, &idle).await, "running");
    for id in [&web, &idle] {
        assert_eq!(fourth.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
    }
    drop(fourth);
}
