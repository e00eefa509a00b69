//! Snapshots as the platform's client reads and renames them: listed at `data.snapshots`, each
//! answering its `alias` (its name), `PATCH …/snapshots/{name}/alias` renames it (a taken name, `null` or an unknown
//! snapshot refused), and it is restored under its new name.

use crate::proxy::server_with;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn snapshots_are_renamed_by_their_alias() {
    let (_dir, d, _project, c) = server_with("aliases").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let call = |method: Method, path: String, body: Option<Value>| {
        let (client, path) = (d.client.clone(), format!("/containers/{id}{path}"));
        async move { client.raw(method, &path, body.as_ref()).await.unwrap() }
    };
    for alias in ["first", "second"] {
        let r = call(Method::POST, "/snapshots".into(), Some(json!({"alias": alias}))).await;
        assert_eq!((r.status, r.body["data"]["alias"].as_str()), (201, Some(alias)), "{}", r.body);
    }
    let r = call(Method::PATCH, "/snapshots/first/alias".into(), Some(json!({"alias": "renamed"}))).await;
    assert_eq!(
        (r.status, r.body["data"]["alias"].as_str(), r.body["data"]["name"].as_str()),
        (200, Some("renamed"), Some("renamed")),
        "{}",
        r.body
    );
    let r = call(Method::PATCH, "/snapshots/renamed/alias".into(), Some(json!({"alias": "second"}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("duplicate_name")), "{}", r.body);
    let r = call(Method::PATCH, "/snapshots/renamed/alias".into(), Some(json!({"alias": null}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_field")), "{}", r.body);
    let r = call(Method::PATCH, "/snapshots/first/alias".into(), Some(json!({"alias": "again"}))).await;
    assert_eq!(r.status, 404, "the old name is gone: {}", r.body);
    let listed = call(Method::GET, "/snapshots".into(), None).await.body;
    let mut aliases: Vec<&str> =
        listed["data"]["snapshots"].as_array().unwrap().iter().map(|s| s["alias"].as_str().unwrap()).collect();
    aliases.sort();
    assert_eq!(aliases, ["renamed", "second"]);
    assert_eq!(call(Method::POST, "/stop".into(), None).await.status, 200);
    let r = call(Method::PATCH, "/snapshots/renamed".into(), None).await;
    assert_eq!(r.status, 200, "restored under its new name: {}", r.body);
    assert_eq!(call(Method::DELETE, String::new(), None).await.status, 200);
}
