//! The event log as the platform's client reads it: `GET /events` answers entries at
//! `data.events` (`id`, `type`, `message`, `created_at`), newest first, filtered and windowed by
//! `limit`/`offset`, fed by what happened to the project, the container and its snapshot; one
//! entry read and removed by id; counts by type; removal by filter and by age; a realm-scoped
//! token sees none of another realm's entries. The live stream is still there for whoever asks
//! for a stream, at `/events` and at `/events/stream`.

use crate::proxy::server_with;
use hoody_model::TokenCreate;
use reqwest::Method;
use serde_json::{Value, json};

fn types(page: &Value) -> Vec<String> {
    page["data"]["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_event_log_is_paged_filtered_and_pruned() {
    let (_dir, d, project, c) = server_with("logged").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let client = d.client.clone();
        async move { client.raw(Method::GET, &path, None).await.unwrap() }
    };
    let stopped = d.client.raw(Method::POST, &format!("/containers/{id}/stop"), None).await.unwrap();
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    let r = d.client.raw(Method::POST, &format!("/containers/{id}/snapshots"), Some(&json!({"alias": "kept"}))).await;
    assert_eq!(r.unwrap().status, 201);

    // Everything, newest first, each entry with what the platform's client reads.
    let all = get("/events".into()).await;
    assert_eq!(all.status, 200, "{}", all.body);
    let listed = types(&all.body);
    for expected in
        ["project.created", "container.created", "container.running", "container.stopped", "snapshot.created"]
    {
        assert!(listed.iter().any(|t| t == expected), "{expected} is not in {listed:?}");
    }
    assert_eq!(listed.first().map(String::as_str), Some("snapshot.created"), "newest first: {listed:?}");
    assert_eq!(listed.last().map(String::as_str), Some("project.created"), "oldest last: {listed:?}");
    let entries = all.body["data"]["events"].as_array().unwrap();
    for e in entries {
        for field in ["id", "type", "message", "created_at", "resource_type", "resource_id"] {
            assert!(e[field].is_string(), "{field} of {e}");
        }
    }
    let total = entries.len() as u64;
    assert_eq!(all.body["data"]["pagination"]["total"].as_u64(), Some(total));
    let stop_entry = entries.iter().find(|e| e["type"] == "container.stopped").unwrap();
    let message = stop_entry["message"].as_str().unwrap();
    assert!(message.contains("\"logged\"") && message.contains("from running to stopped"), "{message}");

    // Filters and windows.
    let r = get(format!("/events?container_id={id}&event_type=container.stopped")).await;
    assert_eq!(types(&r.body), ["container.stopped"], "{}", r.body);
    let r = get("/events?resource_type=project".into()).await;
    assert_eq!(types(&r.body), ["project.created"], "{}", r.body);
    let r = get(format!("/events?project_id={project}&resource_type=snapshot")).await;
    assert_eq!(types(&r.body), ["snapshot.created"], "{}", r.body);
    let r = get("/events?limit=2&offset=1".into()).await;
    assert_eq!(types(&r.body), listed[1..3], "{}", r.body);
    assert_eq!(r.body["data"]["pagination"]["total"].as_u64(), Some(total));
    let r = get("/events?sort_order=asc&limit=1".into()).await;
    assert_eq!(types(&r.body), ["project.created"], "{}", r.body);
    let r = get("/events?start_date=2000-01-01&end_date=2000-12-31".into()).await;
    assert_eq!((r.status, types(&r.body).len()), (200, 0), "{}", r.body);
    let today = &entries[0]["created_at"].as_str().unwrap()[..10];
    let r = get(format!("/events?start_date={today}&end_date={today}")).await;
    assert_eq!(types(&r.body).len() as u64, total, "the end day counts whole: {}", r.body);

    // Bad input: a clear 4xx, nothing else.
    for (query, status, code) in [
        ("limit=0", 400, "invalid_pagination"),
        ("limit=1001", 400, "invalid_pagination"),
        ("offset=-1", 400, "invalid_pagination"),
        ("sort_by=name", 400, "invalid_pagination"),
        ("start_date=yesterday", 400, "invalid_field"),
        ("resource_type=vm", 400, "invalid_field"),
        ("container_id=xyz", 400, "invalid_id"),
    ] {
        let r = get(format!("/events?{query}")).await;
        assert_eq!((r.status, r.body["code"].as_str()), (status, Some(code)), "{query}: {}", r.body);
    }
    let r = get("/events/not-an-id".into()).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_id")), "{}", r.body);
    let r = get(format!("/events/{}", "0".repeat(24))).await;
    assert_eq!(r.status, 404, "{}", r.body);

    // One entry, read and removed.
    let entry_id = stop_entry["id"].as_str().unwrap();
    let r = get(format!("/events/{entry_id}")).await;
    assert_eq!((r.status, r.body["data"]["type"].as_str()), (200, Some("container.stopped")), "{}", r.body);
    let r = d.client.raw(Method::DELETE, &format!("/events/{entry_id}"), None).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(get(format!("/events/{entry_id}")).await.status, 404);

    // Counts.
    let r = get("/events/stats".into()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["total"].as_u64(), Some(total - 1), "{}", r.body);
    assert_eq!(r.body["data"]["by_type"]["project.created"].as_u64(), Some(1), "{}", r.body);
    assert_eq!(r.body["data"]["by_resource_type"]["snapshot"].as_u64(), Some(1), "{}", r.body);

    // A realm-scoped token sees nothing of entries outside its realm.
    let realm = d.client.create_realm("elsewhere").await.unwrap();
    let scoped = d
        .client
        .create_token(&TokenCreate {
            name: Some("scoped".into()),
            realm_ids: Some(vec![realm.id.to_string()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let theirs = d.client.with_token(Some(scoped.token));
    let r = theirs.raw(Method::GET, "/events", None).await.unwrap();
    assert_eq!((r.status, types(&r.body).len()), (200, 0), "{}", r.body);
    let r = theirs.raw(Method::DELETE, "/events", None).await.unwrap();
    assert_eq!((r.status, r.body["data"]["deleted"].as_u64()), (200, Some(0)), "{}", r.body);
    assert_eq!(get("/events/stats".into()).await.body["data"]["total"].as_u64(), Some(total - 1));

    // Removal by filter, then by age.
    let r = d.client.raw(Method::DELETE, "/events?resource_type=snapshot", None).await.unwrap();
    assert_eq!((r.status, r.body["data"]["deleted"].as_u64()), (200, Some(1)), "{}", r.body);
    assert!(!types(&get("/events".into()).await.body).contains(&"snapshot.created".to_owned()));
    let r = d.client.raw(Method::POST, "/events/cleanup", Some(&json!({"retention_days": -1}))).await.unwrap();
    assert_eq!(r.status, 400, "{}", r.body);
    let r = d.client.raw(Method::POST, "/events/cleanup", Some(&json!({"retention_days": 30}))).await.unwrap();
    assert_eq!((r.status, r.body["data"]["deleted"].as_u64()), (200, Some(0)), "nothing is that old: {}", r.body);
    let r = d.client.raw(Method::POST, "/events/cleanup", Some(&json!({"retention_days": 0}))).await.unwrap();
    assert_eq!((r.status, r.body["data"]["deleted"].as_u64()), (200, Some(total - 2)), "{}", r.body);
    assert_eq!(get("/events".into()).await.body["data"]["pagination"]["total"].as_u64(), Some(0));

    // The live stream is served to whoever asks for one.
    let (http, admin) = (reqwest::Client::new(), std::fs::read_to_string(d.data_dir.join("admin.token")).unwrap());
    for path in ["/events", "/events/stream"] {
        let r = http
            .get(d.client.url(path))
            .bearer_auth(admin.trim())
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        let kind = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert_eq!((r.status().as_u16(), kind.starts_with("text/event-stream")), (200, true), "{path}: {kind}");
    }
    let mut live = d.client.events().await.unwrap();
    assert_eq!(d.client.raw(Method::POST, &format!("/containers/{id}/start"), None).await.unwrap().status, 200);
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), live.next()).await.unwrap().unwrap();
    assert_eq!(event.expect("an event").container_id.as_str(), id);
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
