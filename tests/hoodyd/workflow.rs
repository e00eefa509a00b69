//! The "Complete Workflow Example" of the containers page, as curl would send it: create a
//! project → list rentals → create a container → get → stop → update → start → delete, on a
//! real container (the busybox test image, imported through the CLI while the server runs).

use crate::process::Hoodyd;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn the_docs_page_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start(dir.path());
    let c = &d.client;

    // 1. Create a project.
    let r =
        c.raw(Method::POST, "/projects/", Some(&json!({"alias": "client-acme", "color": "#e74c3c"}))).await.unwrap();
    assert_eq!((r.status, &r.body["statusCode"]), (201, &json!(201)));
    let project_id = r.body["data"]["id"].as_str().unwrap().to_owned();

    // 2. Check the servers: `rentals.data[0].server_id`, as the SDK example reads it.
    let r = c.raw(Method::GET, "/rentals", None).await.unwrap();
    assert_eq!(r.status, 200);
    let server_id = r.body["data"][0]["server_id"].as_str().unwrap().to_owned();
    let r = c.raw(Method::GET, "/servers", None).await.unwrap();
    assert_eq!(r.body["data"][0]["runtime"], "runc", "{}", r.body);

    // An image arrives while the server runs: `hoodyd image import` on the same data dir.
    assert_eq!(c.raw(Method::GET, "/images/public", None).await.unwrap().body["data"]["images"], json!([]));
    d.import_busybox();
    let images = c.raw(Method::GET, "/images/public", None).await.unwrap().body;
    assert_eq!(images["data"]["images"][0]["alias"], "busybox/1", "{images}");
    let busybox = c.raw(Method::GET, "/images/public?os=BusyBox", None).await.unwrap().body;
    assert_eq!(busybox["data"]["images"].as_array().unwrap().len(), 1, "the os filter ignores case");
    let debian = c.raw(Method::GET, "/images/public?os=debian", None).await.unwrap().body;
    assert_eq!(debian["data"]["images"], json!([]));

    // 3. Create a container.
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEI2D7MpSkdaP7fqsMPp73DFo6Qgp4w//pvKli5FLgaW alice@host";
    let body = json!({"name": "acme-frontend", "server_id": server_id, "hoody_kit": true, "ssh_public_key": key,
        "container_image": "busybox/1"});
    let r = c.raw(Method::POST, &format!("/projects/{project_id}/containers"), Some(&body)).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["message"], "Container created successfully");
    let created = &r.body["data"];
    // The fields of the page's example answer.
    for field in ["id", "project_id", "server_id", "server_name", "name", "status", "hoody_kit", "dev_kit"] {
        assert!(created.get(field).is_some(), "{field} missing from {created}");
    }
    assert_eq!(
        (created["status"].as_str(), created["hoody_kit"].as_bool(), created["dev_kit"].as_bool()),
        (Some("creating"), Some(true), Some(true))
    );
    assert_eq!(created["server_id"], server_id);
    let id = created["id"].as_str().unwrap().to_owned();

    // 4. Verify: it runs, with its own init as PID 1.
    let got = settled(&d, &id).await;
    assert_eq!(got["status"], "running", "{got}");
    let r = c.raw(Method::GET, &format!("/containers/{id}?runtime=true"), None).await.unwrap();
    let processes = &r.body["data"]["runtime_info"]["processes"];
    assert_eq!(processes[0]["pid"], 1, "{}", r.body);

    // 5. Stop.
    let r = c.raw(Method::POST, &format!("/containers/{id}/stop"), None).await.unwrap();
    assert_eq!((r.status, &r.body["data"]["status"]), (200, &json!("stopped")), "{}", r.body);

    // 6. Update (a stopped container takes every updatable field).
    let r = c
        .raw(
            Method::PATCH,
            &format!("/containers/{id}"),
            Some(&json!({"name": "renamed-container", "environment_vars": {"NODE_ENV": "staging"}})),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["name"], "renamed-container");

    // 7. Start: it comes back with the new name and environment.
    let r = c.raw(Method::POST, &format!("/containers/{id}/start"), None).await.unwrap();
    assert_eq!((r.status, &r.body["data"]["status"]), (200, &json!("running")), "{}", r.body);
    let r = c.raw(Method::GET, &format!("/containers/{id}?runtime=true"), None).await.unwrap();
    let init = r.body["data"]["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let environ = std::fs::read(format!("/proc/{init}/environ")).unwrap();
    assert!(String::from_utf8_lossy(&environ).contains("NODE_ENV=staging"));
    let hostname = std::fs::read_to_string(format!("/proc/{init}/root/etc/hostname")).unwrap();
    assert_eq!(hostname.trim(), "renamed-container");

    // An image the server does not have: creation fails, saying which and what to do.
    let body = json!({"name": "elsewhere", "container_image": "debian/13", "server_id": server_id});
    let r = c.raw(Method::POST, &format!("/projects/{project_id}/containers"), Some(&body)).await.unwrap();
    let other = settled(&d, r.body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(other["status"], "failed");
    assert!(
        other["error"].as_str().unwrap().contains("image debian/13 is not in this server's image store"),
        "{other}"
    );

    // 8. Delete.
    let r = c.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"]["status"], "deleted");
    assert_eq!(c.raw(Method::GET, &format!("/containers/{id}"), None).await.unwrap().status, 404);
    // A deleted container's status log is kept in the store but no longer served.
    assert_eq!(c.status_logs(&id).await.unwrap_err().status(), Some(404));
}

async fn settled(d: &Hoodyd, id: &str) -> Value {
    let created = || async {
        let r = d.client.raw(Method::GET, &format!("/containers/{id}"), None).await.unwrap();
        (r.body["data"]["status"] != "creating").then(|| r.body["data"].clone())
    };
    hoody_client::testkit::eventually(&format!("{id} created"), std::time::Duration::from_secs(30), created).await
}
