//! The committed OpenAPI document is the generated one, and real answers of every route
//! validate against it.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = serde_json::to_string_pretty(&hoody_api::openapi::document()).unwrap() + "\n";
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    if committed != generated {
        // Like the TypeScript bindings: rewrite it, and let CI's git diff catch an uncommitted change.
        std::fs::write(COMMITTED, &generated).unwrap();
    }
}

/// Checks an answer against the document: the route, method and status must be documented and
/// the body must satisfy the schema.
fn check(template: &str, method: &Method, status: u16, body: &Value) {
    let doc = hoody_api::openapi::document();
    let escaped = template.replace('~', "~0").replace('/', "~1");
    let pointer = format!(
        "/paths/{escaped}/{}/responses/{status}/content/application~1json/schema",
        method.as_str().to_lowercase()
    );
    let mut schema =
        doc.pointer(&pointer).unwrap_or_else(|| panic!("{method} {template} → {status} is not documented")).clone();
    // The response schema as the root, with the components its references point into.
    schema["components"] = doc["components"].clone();
    let validator = jsonschema::validator_for(&schema).expect("the document is a valid schema");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{method} {template} → {status}: {errors:?}\n{body}");
}

#[tokio::test]
async fn every_route_answers_as_documented() {
    let s = TestServer::start().await;
    let call = async |method: Method, template: &str, path: String, body: Option<Value>| {
        let r = s.client.raw(method.clone(), &path, body.as_ref()).await.unwrap();
        check(template, &method, r.status, &r.body);
        // Every call here succeeds: the success shapes are what is checked.
        assert!(r.status < 300, "{method} {path} → {}: {}", r.status, r.body);
        r
    };
    let realm =
        call(Method::POST, "/realms/", "/realms/".into(), Some(json!({"name": "prod"}))).await.body["data"]["id"]
            .clone();
    call(Method::GET, "/realms/", "/realms/".into(), None).await;
    let p =
        call(Method::POST, "/projects/", "/projects/".into(), Some(json!({"alias": "a", "realm_ids": [realm]}))).await;
    let pid = p.body["data"]["id"].as_str().unwrap().to_owned();
    call(Method::GET, "/projects", "/projects".into(), None).await;
    call(Method::GET, "/projects/{id}", format!("/projects/{pid}"), None).await;
    call(Method::PUT, "/projects/{id}", format!("/projects/{pid}"), Some(json!({"color": "#abcdef"}))).await;
    call(Method::PATCH, "/projects/{id}", format!("/projects/{pid}"), Some(json!({"color": null}))).await;
    let server = s.client.servers().await.unwrap()[0].id.as_str().to_owned();
    let body = json!({"name": "web", "container_image": IMAGE, "color": "#3498db", "environment_vars": {"A": "1"}, "ssh_public_key": SSH_KEY_A, "realm_ids": [realm], "server_id": server});
    let c = call(Method::POST, "/projects/{id}/containers", format!("/projects/{pid}/containers"), Some(body)).await;
    let cid = c.body["data"]["id"].as_str().unwrap().to_owned();
    s.settled(&cid).await;
    call(Method::GET, "/projects/{id}/containers", format!("/projects/{pid}/containers"), None).await;
    call(Method::GET, "/containers/", "/containers/?sort_by=name&limit=5".into(), None).await;
    call(Method::GET, "/containers/{id}", format!("/containers/{cid}?runtime=true"), None).await;
    call(Method::PUT, "/containers/{id}", format!("/containers/{cid}"), Some(json!({"comment": "c"}))).await;
    call(Method::POST, "/containers/{id}/{operation}", format!("/containers/{cid}/stop"), None).await;
    call(Method::PATCH, "/containers/{id}", format!("/containers/{cid}"), Some(json!({"name": "web2"}))).await;
    call(Method::POST, "/containers/{id}/{operation}", format!("/containers/{cid}/start"), None).await;
    let copy = call(Method::POST, "/containers/{id}/copy", format!("/containers/{cid}/copy"), None).await;
    s.settled(copy.body["data"]["id"].as_str().unwrap()).await;
    call(Method::GET, "/containers/{id}/snapshots", format!("/containers/{cid}/snapshots"), None).await;
    call(
        Method::POST,
        "/containers/{id}/snapshots",
        format!("/containers/{cid}/snapshots"),
        Some(json!({"alias": "s"})),
    )
    .await;
    call(Method::POST, "/containers/{id}/{operation}", format!("/containers/{cid}/stop"), None).await;
    call(Method::PUT, "/containers/{id}/snapshots/{name}", format!("/containers/{cid}/snapshots/s"), None).await;
    call(Method::PATCH, "/containers/{id}/snapshots/{name}", format!("/containers/{cid}/snapshots/s"), None).await;
    call(Method::POST, "/containers/{id}/{operation}", format!("/containers/{cid}/start"), None).await;
    call(Method::DELETE, "/containers/{id}/snapshots/{name}", format!("/containers/{cid}/snapshots/s"), None).await;
    call(Method::GET, "/containers/{id}/stats", format!("/containers/{cid}/stats"), None).await;
    call(Method::GET, "/containers/{id}/status-logs", format!("/containers/{cid}/status-logs"), None).await;
    call(Method::GET, "/containers/{id}/logs", format!("/containers/{cid}/logs?lines=50"), None).await;
    let rentals = call(Method::GET, "/rentals", "/rentals".into(), None).await;
    call(Method::GET, "/servers", "/servers".into(), None).await;
    let server = rentals.body["data"][0]["server_id"].as_str().unwrap().to_owned();
    call(Method::GET, "/servers/{id}", format!("/servers/{server}"), None).await;
    call(Method::GET, "/images/public", "/images/public".into(), None).await;
    call(Method::GET, "/images/user", "/images/user".into(), None).await;
    call(Method::POST, "/auth/tokens", "/auth/tokens".into(), Some(json!({"name": "ci", "realm_ids": [realm]}))).await;
    let x = call(
        Method::POST,
        "/projects/{id}/containers",
        format!("/projects/{pid}/containers"),
        Some(json!({"name": "extra", "container_image": IMAGE, "server_id": server})),
    )
    .await;
    s.settled(x.body["data"]["id"].as_str().unwrap()).await;
    // Refusals of the image routes, as documented: the image is in use; no image server here.
    let image = IMAGE.replace('/', "%2F");
    let r = s.client.raw(Method::DELETE, &format!("/images/user/{image}"), None).await.unwrap();
    check("/images/user/{id}", &Method::DELETE, r.status, &r.body);
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("image_in_use")), "{}", r.body);
    let r = s.client.raw(Method::POST, &format!("/images/import/{image}"), None).await.unwrap();
    check("/images/import/{id}", &Method::POST, r.status, &r.body);
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("no_image_server")), "{}", r.body);
    call(Method::DELETE, "/containers/{id}", format!("/containers/{cid}"), None).await;
    call(Method::DELETE, "/projects/{id}", format!("/projects/{pid}"), None).await;
    let log = call(Method::GET, "/events", format!("/events?container_id={cid}&limit=5"), None).await;
    let event = log.body["data"]["events"][0]["id"].as_str().expect("the container's changes are logged").to_owned();
    call(Method::GET, "/events/{id}", format!("/events/{event}"), None).await;
    call(Method::GET, "/events/stats", "/events/stats?start_date=2000-01-01".into(), None).await;
    call(Method::DELETE, "/events/{id}", format!("/events/{event}"), None).await;
    call(Method::DELETE, "/events", "/events?resource_type=snapshot".into(), None).await;
    call(Method::POST, "/events/cleanup", "/events/cleanup".into(), Some(json!({"retention_days": 7}))).await;
    // Errors too.
    let anon = s.client.with_token(None);
    let r = anon.raw(Method::GET, "/rentals", None).await.unwrap();
    check("/rentals", &Method::GET, r.status, &r.body);
    assert_eq!(r.status, 401);
}

#[test]
#[should_panic(expected = "/rentals → 200")]
fn a_body_that_breaks_the_document_is_caught() {
    // A rental without its fields and a wrong id type: the validator must refuse it.
    check("/rentals", &Method::GET, 200, &json!({"statusCode": 200, "message": "ok", "data": [{"id": 5}]}));
}

#[test]
#[should_panic(expected = "is not documented")]
fn an_undocumented_status_is_caught() {
    check("/rentals", &Method::GET, 418, &json!({}));
}
