//! Images from a simplestreams server (a real tree served on 127.0.0.1): `hoodyd image pull`,
//! and a create of an image the store lacks pulling it when `--image-server` is set.

use crate::process::Hoodyd;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn images_come_from_a_simplestreams_server() {
    let www = tempfile::tempdir().unwrap();
    let fingerprint = hoody_runtime::testkit::simplestreams_tree(www.path()).unwrap();
    let url = hoody_runtime::testkit::serve_files(www.path());

    // The CLI, on a data directory of its own.
    let other = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(hoody_e2e::program("hoodyd"))
        .args(["image", "pull", "busybox/1.36", "--server", &url, "--data-dir"])
        .arg(other.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("busybox/1.36 {fingerprint}")));
    assert!(String::from_utf8_lossy(&out.stderr).contains("busybox/1.36: rootfs"), "progress is shown");

    // The server pulls on create.
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start_with(dir.path(), &["--image-server", &url]);
    let c = &d.client;
    let r = c.raw(Method::POST, "/projects/", Some(&json!({"alias": "pulls"}))).await.unwrap();
    let project = r.body["data"]["id"].as_str().unwrap().to_owned();
    let mut events = c.events().await.unwrap();
    let body = json!({"name": "pulled", "container_image": "busybox/1.36"});
    let r = c.raw(Method::POST, &format!("/projects/{project}/containers"), Some(&body)).await.unwrap();
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    let mut status = String::new();
    for _ in 0..500 {
        let r = c.raw(Method::GET, &format!("/containers/{id}"), None).await.unwrap();
        status = r.body["data"]["status"].as_str().unwrap().to_owned();
        if status != "creating" {
            assert_eq!(status, "running", "{}", r.body);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, "running");
    // The download was reported as it went: `progress` events of the container being created,
    // ending with the whole rootfs.
    let mut reports = Vec::new();
    while let Ok(Ok(Some(e))) = tokio::time::timeout(std::time::Duration::from_secs(5), events.next()).await {
        if e.container_id.as_str() == id && e.kind == hoody_model::EventKind::Progress {
            assert_eq!(e.to, hoody_model::ContainerStatus::Creating);
            reports.push(e.progress.expect("a progress event says how far"));
        } else if e.container_id.as_str() == id && e.to == hoody_model::ContainerStatus::Running {
            break;
        }
    }
    let last = reports.iter().rfind(|p| p.stage == "downloading busybox/1.36 (rootfs)").expect("rootfs progress");
    assert!(last.total > 0 && last.done == last.total, "{reports:?}");
    let images = c.raw(Method::GET, "/images/public", None).await.unwrap().body;
    assert_eq!(images["data"][0]["fingerprint"], fingerprint.as_str());
    assert_eq!(c.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
