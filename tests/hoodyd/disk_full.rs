//! A full disk is an answer, not damage: on a data directory on a 64 MiB tmpfs, filled from
//! outside the engine (as a container or another program would), every write answers 507
//! naming the data directory and the room missing and changes nothing; an upload that runs
//! out of room leaves no partial file; the engine restarts on the full disk, reads and
//! deletes work; once room is freed, writes work again without a restart.

use crate::process::Hoodyd;
use crate::proxy::{browser, running};
use reqwest::Method;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of `mb` MiB mounted on a fresh directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mb: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount a tmpfs (the tests run as root)");
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// Fills the disk of `file` until a write finds no room; returns the file's size.
fn fill(file: &Path) -> u64 {
    let mut out = std::fs::OpenOptions::new().create(true).append(true).open(file).unwrap();
    let chunk = vec![0x5a_u8; 64 << 10];
    loop {
        match out.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "filled until ENOSPC: {e}");
                break;
            }
        }
    }
    std::fs::metadata(file).unwrap().len()
}

/// Free bytes on the disk of `path` (as `stat -f` tells).
fn free(path: &Path) -> u64 {
    let out = Command::new("stat").args(["-f", "-c", "%a %S"]).arg(path).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (blocks, size) = text.trim().split_once(' ').unwrap();
    blocks.parse::<u64>().unwrap() * size.parse::<u64>().unwrap()
}

/// Fills the disk of `file` until about `leave` bytes are free.
fn fill_leaving(file: &Path, leave: u64) {
    let mut out = std::fs::OpenOptions::new().create(true).append(true).open(file).unwrap();
    let chunk = vec![0x5a_u8; 256 << 10];
    while free(file.parent().unwrap()) > leave + chunk.len() as u64 {
        out.write_all(&chunk).unwrap();
    }
    out.sync_all().unwrap();
}

fn assert_507(r: &hoody_client::RawResponse, data_dir: &Path, what: &str) {
    assert_eq!((r.status, r.body["code"].as_str()), (507, Some("insufficient_storage")), "{what}: {}", r.body);
    let message = r.body["message"].as_str().unwrap();
    assert!(message.contains(&data_dir.display().to_string()), "{what} names the data directory: {message}");
    assert!(message.contains(" free of 64 MiB"), "{what} says how much room there is: {message}");
}

async fn snapshot_names(d: &Hoodyd, id: &str) -> Vec<String> {
    let r = d.client.raw(Method::GET, &format!("/containers/{id}/snapshots"), None).await.unwrap().body;
    let list = r["data"]["snapshots"].as_array().or(r["data"].as_array()).cloned().unwrap_or_default();
    list.iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
}

async fn count(d: &Hoodyd) -> usize {
    let r = d.client.raw(Method::GET, "/containers/", None).await.unwrap();
    assert_eq!(r.status, 200, "reads work on a full disk: {}", r.body);
    r.body["data"]["containers"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_full_disk_is_an_answer_not_damage() {
    let disk = Tmpfs::mount(64);
    let data: PathBuf = disk.path().join("data");
    let mut d = Hoodyd::start(&data);
    d.import_busybox();
    let r = d.client.raw(Method::POST, "/projects/", Some(&json!({"alias": "full"}))).await.unwrap();
    let project = r.body["data"]["id"].as_str().unwrap().to_owned();
    let kept = running(&d, &project, "kept").await;
    let kept_id = kept["id"].as_str().unwrap().to_owned();
    let doomed = running(&d, &project, "doomed").await;
    let doomed_id = doomed["id"].as_str().unwrap().to_owned();
    let reserve = std::fs::metadata(data.join(".reserve")).expect("a reserve in the data directory").len();
    assert_eq!(reserve, (64 << 20) / 20, "5% of the disk");

    // Filled from outside the engine, to the last byte.
    let filler = disk.path().join("filler");
    let filled = fill(&filler);
    println!("filled {} MiB", filled >> 20);

    // Writes answer 507, and nothing is made.
    let create =
        json!({"name": "more", "container_image": "busybox/1", "server_id": crate::proxy::server_id(&d.client).await});
    let r = d.client.raw(Method::POST, &format!("/projects/{project}/containers"), Some(&create)).await.unwrap();
    assert_507(&r, &data, "a create");
    println!("a create on the full disk: {}", r.body["message"]);
    assert_eq!(count(&d).await, 2, "no container was recorded");
    let r = d.client.raw(Method::POST, &format!("/containers/{kept_id}/snapshots"), Some(&json!({}))).await.unwrap();
    assert_507(&r, &data, "a snapshot");
    let r = d.client.raw(Method::POST, &format!("/containers/{kept_id}/copy"), None).await.unwrap();
    assert_507(&r, &data, "a copy");
    let tarball = hoody_runtime::testkit::shared_busybox_tarball();
    let body = json!({"tarball": tarball});
    let r = d.client.raw(Method::POST, "/images/user/more%2F1", Some(&body)).await.unwrap();
    assert_507(&r, &data, "an image import");

    // An upload that runs out of room: 507, and no partial file left in the container.
    let files = kept["urls"]["files-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &files);
    let r = http.put(format!("{files}/api/v1/files/root/big.bin")).body(vec![7u8; 8 << 20]).send().await.unwrap();
    let status = r.status().as_u16();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(status, 507, "{answer}");
    println!("an upload on the full disk: {}", answer["message"]);
    let listing: Value = http.get(format!("{files}/api/v1/files/root")).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = listing["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert!(names.iter().all(|n| !n.contains("big.bin")), "nothing of the upload is left: {names:?}");

    // The engine restarts on the full disk: reads and deletes work.
    d.child.kill().unwrap();
    d.child.wait().unwrap();
    let d = Hoodyd::start(&data);
    assert_eq!(count(&d).await, 2);
    // Running still, its services behind the new server's proxy (a port of its own).
    let kept = crate::proxy::wait_running(&d, &kept_id).await;
    let files = kept["urls"]["files-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &files);
    let r = d.client.raw(Method::DELETE, &format!("/containers/{doomed_id}"), None).await.unwrap();
    assert_eq!(r.status, 200, "a delete works on a full disk: {}", r.body);

    // Room again (the filler goes): writes work without a restart, and the reserve is back.
    std::fs::remove_file(&filler).unwrap();
    let again = running(&d, &project, "again").await;
    let r = d.client.raw(Method::POST, &format!("/containers/{kept_id}/snapshots"), Some(&json!({}))).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let r = http.put(format!("{files}/api/v1/files/root/big.bin")).body(vec![7u8; 8 << 20]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    assert!(data.join(".reserve").exists(), "the reserve is put back");

    // Work that starts with room and runs out of it midway fails cleanly: 507 (a copy, which
    // runs in the background, fails saying why), and nothing it wrote is left.
    let r = d
        .client
        .raw(Method::POST, &format!("/containers/{kept_id}/snapshots"), Some(&json!({"alias": "big"})))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "a snapshot holding the 8 MiB file: {}", r.body);
    let snapshot_dirs = || std::fs::read_dir(data.join("runtime/snapshots")).unwrap().count();
    let (snapshots_before, listed_before) = (snapshot_dirs(), snapshot_names(&d, &kept_id).await);
    fill_leaving(&filler, (64 << 20) / 20 + (4 << 20));
    let r = d.client.raw(Method::POST, &format!("/containers/{kept_id}/snapshots"), Some(&json!({}))).await.unwrap();
    assert_507(&r, &data, "a snapshot that runs out of room");
    println!("a snapshot that ran out of room: {}", r.body["message"]);
    assert_eq!(
        (snapshot_dirs(), snapshot_names(&d, &kept_id).await),
        (snapshots_before, listed_before),
        "no partial snapshot"
    );
    let r = d.client.raw(Method::POST, &format!("/containers/{kept_id}/copy"), None).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let copy_id = r.body["data"]["id"].as_str().unwrap().to_owned();
    let failed = hoody_client::testkit::eventually("the copy failing", std::time::Duration::from_secs(30), || async {
        let c = d.client.raw(Method::GET, &format!("/containers/{copy_id}"), None).await.unwrap().body;
        (c["data"]["status"] == "failed").then(|| c["data"]["error"].as_str().unwrap_or_default().to_owned())
    })
    .await;
    assert!(failed.contains("No space left on device"), "{failed}");
    assert!(
        !data.join("runtime/containers").join(&copy_id).join("upper").exists(),
        "the cut-short copy's files are gone"
    );
    assert_eq!(d.client.raw(Method::POST, &format!("/containers/{kept_id}/stop"), None).await.unwrap().status, 200);
    let r = d.client.raw(Method::PATCH, &format!("/containers/{kept_id}/snapshots/big"), None).await.unwrap();
    assert_507(&r, &data, "a restore that runs out of room");
    let bundle = data.join("runtime/containers").join(&kept_id);
    assert!(!bundle.join("upper.restoring").exists(), "no partial restore");
    assert!(bundle.join("upper/root/big.bin").exists(), "the container keeps its files");
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{copy_id}"), None).await.unwrap().status, 200);

    for id in [kept_id.as_str(), again["id"].as_str().unwrap()] {
        assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
    }
}
