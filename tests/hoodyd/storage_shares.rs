//! Storage shares on a real hoodyd with two real containers: a stopped container's directory
//! becomes a share that it keeps writing at its path and that the target mounts at
//! `/mnt/shares/{name}`, read-only or read-write as the share says, live both ways; the target
//! can turn its mount off; bad input (a running source, system or symlinked paths, missing
//! targets, taken names) is refused with nothing made; a deleted source takes its share along.

use crate::process::Hoodyd;
use crate::proxy::{running, server_with};
use crate::terminal::run_in_session;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(d: &Hoodyd, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = d.client.raw(method, path, body.as_ref()).await.unwrap();
    (r.status, r.body)
}

/// Runs `command` in the container's terminal; answers its exit code and output.
async fn sh(d: &Hoodyd, id: &str, command: &str) -> (i64, String) {
    let (_, c) = call(d, Method::GET, &format!("/containers/{id}?runtime=true"), None).await;
    let terminal = c["data"]["urls"]["terminal-1"].as_str().unwrap_or_else(|| panic!("no terminal: {c}")).to_owned();
    let r = run_in_session(d, &terminal, 2, command).await;
    (r["exit_code"].as_i64().unwrap_or(-1), r["stdout"].as_str().unwrap_or_default().to_owned())
}

/// Stops, starts or restarts a container and waits until it serves again.
async fn operate(d: &Hoodyd, id: &str, operation: &str) {
    let (status, answer) = call(d, Method::POST, &format!("/containers/{id}/{operation}"), None).await;
    assert_eq!(status, 200, "{operation}: {answer}");
    if operation != "stop" {
        crate::proxy::wait_running(d, id).await;
    }
}

#[tokio::test]
async fn a_shared_directory_is_the_sources_and_the_targets() {
    let (dir, d, project, giver) = server_with("giver").await;
    let giver = giver["id"].as_str().unwrap().to_owned();
    let taker = running(&d, &project, "taker").await["id"].as_str().unwrap().to_owned();
    let shares = format!("/containers/{giver}/storage/shares");
    let (code, _) =
        sh(&d, &giver, "mkdir -p /srv/data /srv/more && echo from-giver > /srv/data/note.txt && ln -s /etc /srv/link")
            .await;
    assert_eq!(code, 0);

    // A running source is refused: its directory moves while it is stopped.
    let body = json!({"source_path": "/srv/data", "target_container_id": taker, "mode": "ro", "alias": "docs", "label": "team"});
    let (status, answer) = call(&d, Method::POST, &shares, Some(body.clone())).await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("container_must_be_stopped")), "{answer}");
    operate(&d, &giver, "stop").await;

    // Bad input, each refused by name, and nothing made.
    let unknown = "aaaaaaaaaaaaaaaaaaaaaaaa";
    for (bad, code, says) in [
        (json!({"source_path": "/etc", "target_container_id": taker, "mode": "ro"}), "invalid_field", "/etc"),
        (json!({"source_path": "srv/data", "target_container_id": taker, "mode": "ro"}), "invalid_field", "absolute"),
        (json!({"source_path": "/srv/../etc", "target_container_id": taker, "mode": "ro"}), "invalid_field", "plain"),
        (json!({"source_path": "/srv/data", "target_container_id": taker, "mode": "rwx"}), "invalid_field", "\"ro\""),
        (json!({"source_path": "/srv/data", "mode": "ro"}), "invalid_field", "one target"),
        (
            json!({"source_path": "/srv/data", "target_container_id": taker, "target_project_id": project, "mode": "ro"}),
            "invalid_field",
            "one target",
        ),
        (json!({"source_path": "/srv/data", "target_container_id": giver, "mode": "ro"}), "invalid_field", "itself"),
        (json!({"source_path": "/srv/data", "target_container_id": unknown, "mode": "ro"}), "not_found", "container"),
        (
            json!({"source_path": "/srv/nothing", "target_container_id": taker, "mode": "ro"}),
            "invalid_field",
            "does not exist",
        ),
        (
            json!({"source_path": "/srv/link", "target_container_id": taker, "mode": "ro"}),
            "invalid_field",
            "symbolic link",
        ),
        (
            json!({"source_path": "/srv/data/note.txt", "target_container_id": taker, "mode": "ro"}),
            "invalid_field",
            "not a directory",
        ),
        (
            json!({"source_path": "/srv/data", "target_container_id": taker, "mode": "ro", "alias": "a/b"}),
            "invalid_name",
            "alias",
        ),
        (
            json!({"source_path": "/srv/data", "target_container_id": taker, "mode": "ro", "expires_at": 1}),
            "invalid_field",
            "expires_at",
        ),
        (
            json!({"source_path": "/srv/data", "target_container_id": taker, "mode": "ro", "size": 1}),
            "invalid_request",
            "size",
        ),
    ] {
        let (status, answer) = call(&d, Method::POST, &shares, Some(bad.clone())).await;
        assert!(matches!(status, 400 | 404), "{bad}: {answer}");
        assert_eq!(answer["code"], code, "{bad}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(says), "{bad}: {answer}");
    }
    assert_eq!(call(&d, Method::GET, &shares, None).await.1["data"], json!([]));
    let kept = dir.path().join("runtime/shares");
    let leftovers = std::fs::read_dir(&kept).map(|entries| entries.count()).unwrap_or(0);
    assert_eq!(leftovers, 0, "a refused share leaves no directory in {}", kept.display());

    // Made: read-only for the taker, at /mnt/shares/docs.
    let (status, share) = call(&d, Method::POST, &shares, Some(body)).await;
    assert_eq!(status, 201, "{share}");
    let share = &share["data"];
    let id = share["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (share["name"].as_str(), share["type"].as_str(), share["status"].as_str()),
        (Some("docs"), Some("container"), Some("active"))
    );
    assert_eq!(share["mount_path"], "/mnt/shares/docs");
    // The same directory again, or a second share of that name for the taker, is refused.
    let again = json!({"source_path": "/srv/data", "target_container_id": taker, "mode": "ro", "alias": "other"});
    assert_eq!(call(&d, Method::POST, &shares, Some(again)).await.1["code"], "duplicate_name");
    let taken = json!({"source_path": "/srv/more", "target_container_id": taker, "mode": "ro", "alias": "docs"});
    let (status, answer) = call(&d, Method::POST, &shares, Some(taken)).await;
    assert_eq!((status, answer["code"].as_str()), (409, Some("duplicate_name")), "{answer}");

    operate(&d, &giver, "start").await;
    operate(&d, &taker, "restart").await;
    assert_eq!(sh(&d, &giver, "cat /srv/data/note.txt").await.1.trim(), "from-giver", "the source keeps its files");
    assert_eq!(sh(&d, &taker, "cat /mnt/shares/docs/note.txt").await.1.trim(), "from-giver");
    assert_ne!(sh(&d, &taker, "echo no > /mnt/shares/docs/no").await.0, 0, "read-only for the taker");
    // Its root (with CAP_SYS_ADMIN in its namespace) cannot make it writable: the mount is locked.
    let (code, said) =
        sh(&d, &taker, "mount -o remount,rw,bind /mnt/shares/docs 2>&1; echo no > /mnt/shares/docs/no").await;
    assert_ne!(code, 0, "remounted read-write from inside: {said}");
    assert_eq!(sh(&d, &giver, "echo more >> /srv/data/note.txt").await.0, 0);
    assert_eq!(sh(&d, &taker, "tail -n 1 /mnt/shares/docs/note.txt").await.1.trim(), "more", "live, not a copy");
    let (_, incoming) = call(&d, Method::GET, &format!("/containers/{taker}/storage/incoming"), None).await;
    let entry = &incoming["data"][0];
    assert_eq!(
        (entry["share"]["id"].as_str(), entry["mount"].as_bool(), entry["mounted"].as_bool()),
        (Some(id.as_str()), Some(true), Some(true)),
        "{incoming}"
    );
    assert_eq!(
        call(&d, Method::GET, &format!("/containers/{giver}/storage/incoming"), None).await.1["data"],
        json!([])
    );

    // Read-write from the taker's next start; the giver sees what the taker writes.
    let path = format!("{shares}/{id}");
    let (status, changed) =
        call(&d, Method::PATCH, &path, Some(json!({"mode": "rw", "description": "shared notes"}))).await;
    assert_eq!((status, changed["data"]["mode"].as_str()), (200, Some("rw")), "{changed}");
    assert_eq!(call(&d, Method::PATCH, &path, Some(json!({"mode": "all"}))).await.1["code"], "invalid_field");
    operate(&d, &taker, "restart").await;
    assert_eq!(sh(&d, &taker, "echo from-taker > /mnt/shares/docs/reply").await.0, 0);
    assert_eq!(sh(&d, &giver, "cat /srv/data/reply").await.1.trim(), "from-taker");
    let (_, one) = call(&d, Method::GET, &path, None).await;
    assert!(one["data"]["size"].as_u64().unwrap() > 0, "{one}");
    assert_eq!(one["data"]["description"], "shared notes");
    let count = |v: &Value| v["data"].as_array().map(Vec::len);
    assert_eq!(count(&call(&d, Method::GET, &format!("{shares}?label=team"), None).await.1), Some(1));
    assert_eq!(count(&call(&d, Method::GET, &format!("{shares}?status=disabled"), None).await.1), Some(0));
    assert_eq!(call(&d, Method::GET, &format!("{shares}?status=gone"), None).await.1["code"], "invalid_field");

    // The taker turns its mount off: gone from its next start.
    let toggle = format!("/containers/{taker}/storage/incoming/{id}/mount");
    let (status, answer) = call(&d, Method::PATCH, &toggle, Some(json!({"mount": false}))).await;
    assert_eq!((status, answer["data"]["mount"].as_bool()), (200, Some(false)), "{answer}");
    operate(&d, &taker, "restart").await;
    assert_ne!(sh(&d, &taker, "cat /mnt/shares/docs/note.txt").await.0, 0);
    let (_, incoming) = call(&d, Method::GET, &format!("/containers/{taker}/storage/incoming"), None).await;
    assert_eq!(incoming["data"][0]["mounted"], false, "{incoming}");
    let wrong = format!("/containers/{giver}/storage/incoming/{id}/mount");
    assert_eq!(
        call(&d, Method::PATCH, &wrong, Some(json!({"mount": true}))).await.0,
        404,
        "the giver does not receive it"
    );

    // The giver goes, and its share with it.
    assert_eq!(call(&d, Method::DELETE, &format!("/containers/{giver}"), None).await.0, 200);
    assert_eq!(
        call(&d, Method::GET, &format!("/containers/{taker}/storage/incoming"), None).await.1["data"],
        json!([])
    );
    assert!(!kept.join(&id).exists(), "the share's files went with it");
    assert_eq!(call(&d, Method::DELETE, &format!("/containers/{taker}"), None).await.0, 200);
}
