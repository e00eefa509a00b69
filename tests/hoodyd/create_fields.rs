//! What the platform's client sends on every create is accepted (`cache_image`), and what this
//! server cannot give (`kvm`, `dev_kvm`) is refused naming the field and why, creating nothing.

use crate::process::Hoodyd;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_platforms_create_fields_are_accepted_or_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start(dir.path());
    d.import_busybox();
    let r = d.client.raw(Method::POST, "/projects/", Some(&json!({"alias": "fields"}))).await.unwrap();
    let project = r.body["data"]["id"].as_str().unwrap().to_owned();
    let server = crate::proxy::server_id(&d.client).await;
    let create = |mut body: serde_json::Value| {
        let (client, path) = (d.client.clone(), format!("/projects/{project}/containers"));
        body["server_id"] = json!(server);
        async move { client.raw(Method::POST, &path, Some(&body)).await.unwrap() }
    };
    for field in ["kvm", "dev_kvm"] {
        let r = create(
            json!({"name": format!("with-{}", field.replace('_', "-")), "container_image": "busybox/1", field: true}),
        )
        .await;
        assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_field")), "{}", r.body);
        assert!(r.body["message"].as_str().unwrap().starts_with(&format!("{field}: ")), "{}", r.body);
    }
    let listed = d.client.raw(Method::GET, "/containers/", None).await.unwrap().body;
    assert_eq!(listed["data"]["containers"].as_array().unwrap().len(), 0, "nothing was created");
    // As the platform's client sends it: cache_image, kvm false, dev_kvm false.
    let r = create(json!({"name": "as-sent", "container_image": "busybox/1", "cache_image": false, "kvm": false, "dev_kvm": false})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = create(json!({"name": "cached", "container_image": "busybox/1", "cache_image": true})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = create(json!({"name": "typo", "container_image": "busybox/1", "cache_imagee": true})).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("invalid_request")),
        "a field outside the contract is refused: {}",
        r.body
    );
    assert!(r.body["message"].as_str().unwrap().contains("cache_imagee"), "{}", r.body);
    // Both run (a create answers before its container runs), and go.
    let listed = d.client.raw(Method::GET, "/containers/", None).await.unwrap().body;
    for c in listed["data"]["containers"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        assert_eq!(crate::proxy::wait_running(&d, id).await["status"], "running");
        assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
    }
}
