//! Every long operation survives a kill: create, copy, snapshot, restore, delete, image
//! import and image download (from a simplestreams server on loopback), each interrupted by `kill -9` of hoodyd at a random point, N times (30 unless
//! HOODY_KILLS says; the seed is printed, HOODY_KILL_SEED replays it). After each restart the
//! store, the runtime and the disk agree: no container is left half-way (a failed one says
//! why), every container's
//! files have a record and every record of a container that holds files has them, no snapshot
//! or half-made import is left without a record, and runc runs only recorded containers.

use crate::process::Hoodyd;
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// xorshift64*: enough randomness for kill points, and replayable from its seed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % below
    }
}

const OPERATIONS: [&str; 7] = ["create", "copy", "snapshot", "restore", "delete", "import", "pull"];

fn query(db: &Path, sql: &str) -> Vec<String> {
    let out = std::process::Command::new("sqlite3").arg("-readonly").arg(db).arg(sql).output().unwrap();
    assert!(out.status.success(), "sqlite3: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// Store, runtime and disk agree; what disagrees, in words (empty when all holds).
fn disagreements(data: &Path) -> Vec<String> {
    let db = data.join("hoody.db");
    let mut wrong = Vec::new();
    let living: Vec<(String, String)> = query(&db, "SELECT id, status FROM containers WHERE status <> 'deleted'")
        .into_iter()
        .map(|l| {
            let (id, status) = l.split_once('|').unwrap();
            (id.to_owned(), status.to_owned())
        })
        .collect();
    for (id, status) in &living {
        if matches!(status.as_str(), "creating" | "copying" | "deleting" | "claiming") {
            wrong.push(format!("{id} is still {status} after the restart"));
        }
        let files = data.join("runtime/containers").join(id);
        if matches!(status.as_str(), "running" | "paused" | "stopped") && !files.exists() {
            wrong.push(format!("{id} is {status} but has no files"));
        }
    }
    for id in query(&db, "SELECT id FROM containers WHERE status = 'failed' AND COALESCE(error, '') = ''") {
        wrong.push(format!("{id} failed without a reason"));
    }
    let recorded: BTreeSet<&str> = living.iter().map(|(id, _)| id.as_str()).collect();
    for name in names(&data.join("runtime/containers")) {
        if !name.starts_with("pool-") && !recorded.contains(name.as_str()) {
            wrong.push(format!("container files {name} without a record"));
        }
    }
    let snapshots: BTreeSet<String> = query(&db, "SELECT id FROM snapshots").into_iter().collect();
    let snapshot_files = names(&data.join("runtime/snapshots"));
    for orphan in snapshot_files.difference(&snapshots) {
        wrong.push(format!("snapshot files {orphan} without a record"));
    }
    for missing in snapshots.difference(&snapshot_files) {
        wrong.push(format!("snapshot record {missing} without files"));
    }
    let staged = names(&data.join("runtime/staging"));
    if !staged.is_empty() {
        wrong.push(format!("half-made work in staging: {staged:?}"));
    }
    for image in names(&data.join("runtime/images")) {
        let dir = data.join("runtime/images").join(&image);
        if dir.is_dir() && !dir.join("image.json").exists() {
            wrong.push(format!("image {image} without its record"));
        }
    }
    let layout = hoody_runtime::Layout::new(data, Path::new("/run/hoody"));
    let out =
        std::process::Command::new("runc").arg("--root").arg(layout.runc_root()).args(["list", "-q"]).output().unwrap();
    for slot in String::from_utf8_lossy(&out.stdout).lines() {
        if !slot.starts_with("pool-") && !recorded.contains(slot) {
            wrong.push(format!("runc runs {slot}, which no record names"));
        }
    }
    wrong
}

/// A living container of the project in `status` (None: there is none).
async fn some(d: &Hoodyd, status: &str, dice: &mut Dice) -> Option<String> {
    let listed =
        d.client.raw(Method::GET, &format!("/containers/?status={status}&limit=200"), None).await.unwrap().body;
    let all = listed["data"]["containers"].as_array()?.clone();
    (!all.is_empty()).then(|| all[dice.roll(all.len() as u64) as usize]["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn kills_at_random_points_leave_store_runtime_and_disk_agreeing() {
    let kills: u64 = std::env::var("HOODY_KILLS").ok().and_then(|n| n.parse().ok()).unwrap_or(30);
    let seed = std::env::var("HOODY_KILL_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    println!("{kills} kills, seed {seed} (HOODY_KILL_SEED={seed} replays them)");
    let mut dice = Dice(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let tarball = hoody_runtime::testkit::shared_busybox_tarball().display().to_string();
    let www = tempfile::tempdir().unwrap();
    hoody_runtime::testkit::simplestreams_tree(www.path()).unwrap();
    let image_server = hoody_runtime::testkit::serve_files(www.path());
    let start = || Hoodyd::start_with(&data, &["--image-server", &image_server]);
    let mut servers = vec![start()];
    servers[0].import_busybox();
    let r = servers[0].client.raw(Method::POST, "/projects/", Some(&json!({"alias": "kills"}))).await.unwrap();
    let project = r.body["data"]["id"].as_str().unwrap().to_owned();
    let server = crate::proxy::server_id(&servers[0].client).await;
    let mut tally = std::collections::BTreeMap::<&str, u32>::new();

    for kill in 0..kills {
        let d = servers.last().unwrap();
        // What the operation needs: a running container, a stopped one with a snapshot.
        if some(d, "running", &mut dice).await.is_none() {
            // With 16 MiB of its own, so that copies and snapshots of it take a while.
            let base = crate::proxy::running(d, &project, &format!("base-{kill}")).await;
            let files = base["urls"]["files-1"].as_str().unwrap().to_owned();
            let put = crate::proxy::browser(d, &files).put(format!("{files}/api/v1/files/root/ballast.bin"));
            assert_eq!(put.body(vec![1u8; 16 << 20]).send().await.unwrap().status().as_u16(), 200);
        }
        let op = OPERATIONS[dice.roll(OPERATIONS.len() as u64) as usize];
        let (method, path, body) = match op {
            "create" => (
                Method::POST,
                format!("/projects/{project}/containers"),
                Some(json!({"name": format!("c-{kill}"), "container_image": "busybox/1", "server_id": server})),
            ),
            "copy" => {
                (Method::POST, format!("/containers/{}/copy", some(d, "running", &mut dice).await.unwrap()), None)
            }
            "snapshot" => (
                Method::POST,
                format!("/containers/{}/snapshots", some(d, "running", &mut dice).await.unwrap()),
                Some(json!({})),
            ),
            "restore" => {
                let id = some(d, "running", &mut dice).await.unwrap();
                let r = d
                    .client
                    .raw(
                        Method::POST,
                        &format!("/containers/{id}/snapshots"),
                        Some(&json!({"alias": format!("r-{kill}")})),
                    )
                    .await
                    .unwrap();
                assert_eq!(r.status, 201, "{}", r.body);
                assert_eq!(
                    d.client.raw(Method::POST, &format!("/containers/{id}/stop"), None).await.unwrap().status,
                    200
                );
                (Method::PATCH, format!("/containers/{id}/snapshots/r-{kill}"), None)
            }
            "delete" => (Method::DELETE, format!("/containers/{}", some(d, "running", &mut dice).await.unwrap()), None),
            "import" => (Method::POST, format!("/images/user/k{kill}%2F1"), Some(json!({"tarball": tarball}))),
            _ => {
                // Downloaded again from scratch each time.
                let _ = d.client.raw(Method::DELETE, "/images/user/busybox%2F1.36", None).await.unwrap();
                (Method::POST, "/images/import/busybox%2F1.36".to_owned(), None)
            }
        };
        let client = d.client.clone();
        let request = tokio::spawn(async move { client.raw(method, &path, body.as_ref()).await.map(|r| r.status) });
        // Mostly within the first 40 ms (the answer often comes later), now and then later.
        let after = Duration::from_millis(if dice.roll(4) == 0 { dice.roll(400) } else { dice.roll(40) });
        tokio::time::sleep(after).await;
        let d = servers.last_mut().unwrap();
        d.child.kill().unwrap();
        d.child.wait().unwrap();
        let answered = request.await.unwrap().ok();
        *tally.entry(op).or_default() += 1;

        let restarted = start();
        let wrong = disagreements(&data);
        println!(
            "kill {:2}: {op:8} after {:3} ms ({}): {}",
            kill + 1,
            after.as_millis(),
            answered.map_or("no answer".into(), |s| format!("answered {s}")),
            if wrong.is_empty() { "store, runtime and disk agree".to_owned() } else { wrong.join("; ") }
        );
        assert!(wrong.is_empty(), "after kill {} ({op} after {after:?}, seed {seed}): {wrong:?}", kill + 1);
        servers.push(restarted);
    }
    println!("kills by operation: {tally:?}");

    // Everything made goes, through the last server.
    let d = servers.last().unwrap();
    let listed = d.client.raw(Method::GET, "/containers/?limit=200", None).await.unwrap().body;
    for c in listed["data"]["containers"].as_array().unwrap() {
        let r =
            d.client.raw(Method::DELETE, &format!("/containers/{}", c["id"].as_str().unwrap()), None).await.unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
    }
}
