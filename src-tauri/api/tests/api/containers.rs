use crate::common::*;
use hoody_model::{ContainerStatus, ContainerUpdate, Operation};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn create_fills_the_platform_defaults_and_runs() {
    let s = TestServer::start().await;
    let p = s.project("defaults").await;
    let path = format!("/projects/{}/containers", p.id);
    let r = s
        .client
        .raw(
            Method::POST,
            &path,
            Some(&json!({"name": "dev-environment", "container_image": IMAGE, "server_id": s.server_id().await})),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.body["statusCode"], 201);
    assert_eq!(r.body["message"], "Container created successfully");
    let d = &r.body["data"];
    assert_eq!(d["status"], "creating");
    for (field, value) in [
        ("hoody_kit", json!(true)),
        ("dev_kit", json!(true)),
        ("autostart", json!(true)),
        ("ai", json!(true)),
        ("cache", json!(true)),
        ("ramdisk", json!(true)),
        ("network", json!(true)),
        ("prespawn", json!(false)),
        ("server_name", json!("local")),
        ("ssh_public_key", json!(null)),
        ("project_id", json!(p.id.as_str())),
    ] {
        assert_eq!(d[field], value, "{field}");
    }
    let id = d["id"].as_str().unwrap();
    assert_eq!(id.len(), 24);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(s.settled(id).await.status, ContainerStatus::Running);
    let logs = s.client.status_logs(id).await.unwrap();
    let moves: Vec<_> = logs.iter().map(|l| (l.from_status, l.to_status)).collect();
    assert_eq!(
        moves,
        vec![(None, ContainerStatus::Creating), (Some(ContainerStatus::Creating), ContainerStatus::Running)]
    );
    assert!(logs[1].duration_ms.is_some());

    // The platform's default image; this server has none by that name, and says so.
    let body = json!({"name": "default-image", "server_id": s.server_id().await});
    let r = s.client.raw(Method::POST, &path, Some(&body)).await.unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.body["data"]["container_image"], "debian/13");
    let failed = s.settled(r.body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(failed.status, ContainerStatus::Failed);
    assert!(failed.error.as_deref().unwrap().contains("debian/13"), "{:?}", failed.error);
}

#[tokio::test]
async fn without_a_runtime_a_create_is_refused_and_records_nothing() {
    let s = TestServer::without_runtime().await;
    let p = s.project("nowhere").await;
    let path = format!("/projects/{}/containers", p.id);
    let m = s.refused(Method::POST, &path, Some(json!({"name": "web"})), 503, "runtime_unavailable").await;
    assert!(m.contains("creating a container needs the container runtime: no runtime on this test server"), "{m}");
    // Bad input is still named first.
    s.refused(Method::POST, &path, Some(json!({"name": "ab"})), 400, "invalid_name").await;
    assert_eq!(s.client.list_containers("").await.unwrap().pagination.total, 0);
}

#[tokio::test]
async fn dev_kit_follows_hoody_kit_and_rand_generates_a_name() {
    let s = TestServer::start().await;
    let p = s.project("kits").await;
    let plain = s.container(&p, create(json!({"name": "plain", "hoody_kit": false}))).await;
    assert!(!plain.hoody_kit && !plain.dev_kit);
    let r1 = s.container(&p, create(json!({"name": "rand"}))).await;
    let r2 = s.container(&p, create(json!({}))).await;
    for c in [&r1, &r2] {
        assert_ne!(c.name, "rand");
        assert!(hoody_model::validate::container_name(&c.name).is_ok(), "{}", c.name);
    }
    assert_ne!(r1.name, r2.name);
}

#[tokio::test]
async fn bad_input_is_refused_with_a_message_and_changes_nothing() {
    let s = TestServer::start().await;
    let p = s.project("rules").await;
    let path = format!("/projects/{}/containers", p.id);
    let cases = [
        (json!({"name": "ab"}), "invalid_name", "3-100 characters"),
        (json!({"name": "ab", "container_image": "ubuntu:22.04"}), "invalid_name", "3-100 characters"),
        (json!({"name": "x".repeat(101)}), "invalid_name", "3-100 characters"),
        (json!({"name": "has space"}), "invalid_name", "letters, digits"),
        (json!({"color": "blue"}), "invalid_color", "HEX"),
        (json!({"color": "#12345"}), "invalid_color", "HEX"),
        (json!({"ssh_public_key": "ssh-rsa nonsense"}), "invalid_ssh_key", "OpenSSH public key"),
        (json!({"container_image": "ubuntu:22.04"}), "invalid_image", "did you mean \"ubuntu/22.04\""),
        (json!({"container_image": "debian"}), "invalid_image", "os/release"),
        (json!({"realm_ids": ["aaaaaaaaaaaaaaaaaaaaaaaa"]}), "unknown_realm", "does not exist"),
        (json!({"realm_ids": ["nope"]}), "invalid_id", "not a valid realm id"),
        (json!({"hoody_kit": false, "dev_kit": true}), "invalid_field", "dev_kit needs hoody_kit"),
        (json!({"environment_vars": {"1BAD": "x"}}), "invalid_environment", "not starting with a digit"),
        (json!({"comment": "c".repeat(1001)}), "invalid_field", "at most 1000"),
        (json!({"server_id": "bad"}), "invalid_id", "server id"),
        (json!({"nmae": "typo"}), "invalid_request", "unknown field `nmae`"),
        (json!({"name": 42}), "invalid_request", "invalid type"),
    ];
    for (body, code, words) in cases {
        let message = s.refused(Method::POST, &path, Some(body.clone()), 400, code).await;
        assert!(message.contains(words), "{body} → {message}");
    }
    // A body that is not JSON at all.
    let before = s.db().await;
    let r = reqwest::Client::new()
        .post(s.client.url(&path))
        .bearer_auth(&s.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_error_shape(&body, 400, "invalid_request");
    assert_eq!(before, s.db().await);
    // The server is named, as on the platform (a raw body without it; the helper adds it).
    let r = s.client.raw(Method::POST, &path, Some(&json!({"name": "nameless"}))).await.unwrap();
    assert_error_shape(&r.body, 400, "invalid_field");
    assert!(r.body["message"].as_str().unwrap().starts_with("server_id is required"), "{}", r.body);
    assert_eq!(before, s.db().await);
    // Unknown server and project.
    s.refused(Method::POST, &path, Some(json!({"server_id": "aaaaaaaaaaaaaaaaaaaaaaaa"})), 404, "not_found").await;
    s.refused(Method::POST, "/projects/aaaaaaaaaaaaaaaaaaaaaaaa/containers", Some(json!({})), 404, "not_found").await;
}

#[tokio::test]
async fn names_are_unique_in_a_project_and_ssh_keys_across_all_containers() {
    let s = TestServer::start().await;
    let (p1, p2) = (s.project("one").await, s.project("two").await);
    s.container(&p1, create(json!({"name": "web", "ssh_public_key": SSH_KEY_A}))).await;
    let m = s
        .refused(
            Method::POST,
            &format!("/projects/{}/containers", p1.id),
            Some(json!({"name": "web"})),
            409,
            "duplicate_name",
        )
        .await;
    assert!(m.contains("'web' already exists"), "{m}");
    // The same name in another project is fine; the same key (other comment) is not.
    s.container(&p2, create(json!({"name": "web"}))).await;
    let other_comment = SSH_KEY_A.replace("alice@host", "someone-else");
    let m = s
        .refused(
            Method::POST,
            &format!("/projects/{}/containers", p2.id),
            Some(json!({"name": "api", "ssh_public_key": other_comment})),
            409,
            "duplicate_ssh_key",
        )
        .await;
    assert!(m.contains("already used by another container"), "{m}");
    // Once the first container is deleted, its name and key are free again.
    let first = s.client.list_containers(&format!("project_id={}", p1.id)).await.unwrap().items.remove(0);
    s.client.delete_container(first.id.as_str()).await.unwrap();
    s.container(&p1, create(json!({"name": "web", "ssh_public_key": SSH_KEY_A}))).await;
}

#[tokio::test]
async fn the_project_quota_holds() {
    let s = TestServer::start().await;
    let p = s
        .client
        .create_project(&serde_json::from_value(json!({"alias": "small", "max_containers": 2})).unwrap())
        .await
        .unwrap();
    s.container(&p, create(json!({"name": "one"}))).await;
    s.container(&p, create(json!({"name": "two"}))).await;
    let m = s
        .refused(
            Method::POST,
            &format!("/projects/{}/containers", p.id),
            Some(json!({"name": "three"})),
            400,
            "project_quota_exceeded",
        )
        .await;
    assert!(m.contains("at most 2"), "{m}");
}

#[tokio::test]
async fn updates_follow_the_page_rules() {
    let s = TestServer::start().await;
    let p = s.project("updates").await;
    let c = s.container(&p, create(json!({"name": "before", "color": "#3498db", "ssh_public_key": SSH_KEY_A}))).await;
    s.container(&p, create(json!({"name": "taken", "ssh_public_key": SSH_KEY_B}))).await;
    let path = format!("/containers/{}", c.id);
    // Some fields change only while it is stopped.
    let m = s.refused(Method::PATCH, &path, Some(json!({"name": "renamed"})), 400, "container_must_be_stopped").await;
    assert!(m.contains("name can only change while the container is stopped"), "{m}");
    s.client.operate(c.id.as_str(), Operation::ForceStop).await.unwrap();
    // PATCH as the docs page shows it, and PUT too.
    let r = s
        .client
        .raw(
            Method::PATCH,
            &path,
            Some(&json!({"name": "renamed-container", "environment_vars": {"NODE_ENV": "staging"}})),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["name"], "renamed-container");
    assert_eq!(r.body["data"]["environment_vars"], json!({"NODE_ENV": "staging"}));
    let r = s
        .client
        .raw(Method::PUT, &path, Some(&json!({"color": "E74C3C", "comment": "hi", "autostart": false})))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["color"], "#e74c3c");
    assert_eq!(r.body["data"]["autostart"], false);
    // null clears a nullable field; absent leaves it.
    let u = s
        .client
        .update_container(c.id.as_str(), &serde_json::from_value::<ContainerUpdate>(json!({"color": null})).unwrap())
        .await
        .unwrap();
    assert_eq!(u.color, None);
    assert_eq!(u.comment.as_deref(), Some("hi"));
    // Permanent fields: the current value may be sent back, any other is refused.
    let same = json!({"container_image": IMAGE, "hoody_kit": true, "dev_kit": true, "server_id": c.server_id.as_str()});
    assert_eq!(s.client.raw(Method::PATCH, &path, Some(&same)).await.unwrap().status, 200);
    for (field, value, words) in [
        ("container_image", json!("ubuntu/24.04"), "OS is permanent"),
        ("hoody_kit", json!(false), "permanent"),
        ("dev_kit", json!(false), "permanent"),
        ("server_id", json!("aaaaaaaaaaaaaaaaaaaaaaaa"), "copy it instead"),
    ] {
        let m = s.refused(Method::PATCH, &path, Some(json!({ field: value })), 400, "immutable_field").await;
        assert!(m.starts_with(field) && m.contains(words), "{m}");
    }
    s.refused(Method::PATCH, &path, Some(json!({"name": "taken"})), 409, "duplicate_name").await;
    s.refused(Method::PATCH, &path, Some(json!({"ssh_public_key": SSH_KEY_B})), 409, "duplicate_ssh_key").await;
    s.refused(Method::PATCH, &path, Some(json!({"color": "nope"})), 400, "invalid_color").await;
    s.refused(Method::PATCH, &path, Some(json!({"status": "running"})), 400, "invalid_request").await;
    s.refused(Method::PATCH, "/containers/aaaaaaaaaaaaaaaaaaaaaaaa", Some(json!({"comment": "x"})), 404, "not_found")
        .await;
}

#[tokio::test]
async fn lifecycle_operations_are_guarded_by_the_status_machine() {
    let s = TestServer::start().await;
    let p = s.project("lifecycle").await;
    // An image this server does not have: the create is accepted and fails with the reason.
    let c = s.container(&p, create(json!({"name": "broken", "container_image": "nosuch/1"}))).await;
    assert_eq!(c.status, ContainerStatus::Failed);
    assert!(c.error.as_deref().unwrap().contains("nosuch/1"), "{:?}", c.error);
    for op in Operation::ALL {
        let m =
            s.refused(Method::POST, &format!("/containers/{}/{}", c.id, op.as_str()), None, 409, "wrong_state").await;
        assert!(m.contains("it is failed"), "{m}");
    }
    s.refused(Method::POST, &format!("/containers/{}/explode", c.id), None, 404, "not_found").await;
    let m = s.refused(Method::POST, &format!("/containers/{}/copy", c.id), None, 409, "wrong_state").await;
    assert!(m.contains("cannot copy a container that is failed"), "{m}");
    s.refused(Method::GET, &format!("/containers/{}/stats", c.id), None, 409, "wrong_state").await;
    assert!(s.client.snapshots(c.id.as_str()).await.unwrap().is_empty());
    // ?runtime=true on a container that is not running has no runtime_info to show.
    let r = s.client.raw(Method::GET, &format!("/containers/{}?runtime=true", c.id), None).await.unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body["data"].get("runtime_info").is_none());
    // Delete: a failed container goes (deleting → deleted) and is gone from the API.
    let d = s.client.delete_container(c.id.as_str()).await.unwrap();
    assert_eq!(d.status, ContainerStatus::Deleted);
    s.refused(Method::GET, &format!("/containers/{}", c.id), None, 404, "not_found").await;
    s.refused(Method::DELETE, &format!("/containers/{}", c.id), None, 404, "not_found").await;

    // A running one: each operation where the status machine allows it, refused where not.
    let c = s.container(&p, create(json!({"name": "running"}))).await;
    assert_eq!(c.status, ContainerStatus::Running);
    let id = c.id.as_str();
    let m = s.refused(Method::POST, &format!("/containers/{id}/start"), None, 409, "wrong_state").await;
    assert!(m.contains("it is running"), "{m}");
    assert_eq!(s.client.operate(id, Operation::Pause).await.unwrap().status, ContainerStatus::Paused);
    s.refused(Method::POST, &format!("/containers/{id}/pause"), None, 409, "wrong_state").await;
    assert_eq!(s.client.operate(id, Operation::Resume).await.unwrap().status, ContainerStatus::Running);
    assert!(s.client.stats(id).await.unwrap().processes.iter().any(|p| p.pid == 1));
    assert_eq!(s.client.operate(id, Operation::ForceStop).await.unwrap().status, ContainerStatus::Stopped);
    s.refused(Method::POST, &format!("/containers/{id}/stop"), None, 409, "wrong_state").await;
    s.refused(Method::GET, &format!("/containers/{id}/stats"), None, 409, "wrong_state").await;
    assert_eq!(s.client.operate(id, Operation::Start).await.unwrap().status, ContainerStatus::Running);
    assert_eq!(s.client.delete_container(id).await.unwrap().status, ContainerStatus::Deleted);
}
