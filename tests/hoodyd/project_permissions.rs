//! Project permissions (`/projects/{id}/permissions`) on a real hoodyd with a running container:
//! a realm-restricted token reaches a project outside its realms only through a grant, and only
//! as far as the grant's level — read shows, write operates and makes containers, admin changes
//! the project and its grants. Refusals say the level, and change nothing; bad input is refused
//! with nothing recorded; a grant goes with its token.

use crate::proxy::server_with;
use hoody_client::HoodyClient;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(client: &HoodyClient, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = client.raw(method, path, body.as_ref()).await.unwrap();
    (r.status, r.body)
}

/// Status, error code and message of a refused call.
async fn refused(client: &HoodyClient, method: Method, path: &str, body: Option<Value>) -> (u16, String, String) {
    let (status, answer) = call(client, method, path, body).await;
    let text = |key: &str| answer[key].as_str().unwrap_or_default().to_owned();
    (status, text("code"), text("message"))
}

async fn status_of(client: &HoodyClient, container: &str) -> String {
    let (_, c) = call(client, Method::GET, &format!("/containers/{container}"), None).await;
    c["data"]["status"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_grant_reaches_a_project_as_far_as_its_level() {
    let (_dir, d, project, c) = server_with("granted").await;
    let container = c["id"].as_str().unwrap().to_owned();
    let admin = &d.client;
    let grants = format!("/projects/{project}/permissions");

    // A token restricted to a realm the project is not in sees nothing of it.
    let (_, realm) = call(admin, Method::POST, "/realms/", Some(json!({"name": "elsewhere"}))).await;
    let realm = realm["data"]["id"].as_str().unwrap().to_owned();
    let body = json!({"alias": "helper", "realm_ids": [realm]});
    let (status, created) = call(admin, Method::POST, "/auth/tokens", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let helper_id = created["data"]["id"].as_str().unwrap().to_owned();
    let helper = admin.with_token(Some(created["data"]["token"].as_str().unwrap().to_owned()));
    assert_eq!(call(&helper, Method::GET, &format!("/projects/{project}"), None).await.0, 404);
    assert_eq!(call(&helper, Method::GET, &format!("/containers/{container}"), None).await.0, 404);
    assert_eq!(call(&helper, Method::GET, "/containers/", None).await.1["data"]["pagination"]["total"], 0);

    // None granted yet: the list sits at data.permissions.
    let (status, list) = call(admin, Method::GET, &grants, None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        (list["data"]["permissions"].as_array().map(Vec::len), &list["data"]["pagination"]["total"]),
        (Some(0), &json!(0))
    );

    // Bad input is refused, by name, and nothing is granted.
    let unknown_token = "aaaaaaaaaaaaaaaaaaaaaaaa";
    for (body, status, code, says) in [
        (json!({"user_id": "nope", "permission_level": "read"}), 400, "invalid_id", "not a valid token id"),
        (json!({"user_id": unknown_token, "permission_level": "read"}), 404, "not_found", "token"),
        (json!({"user_id": helper_id, "permission_level": "owner"}), 400, "invalid_request", "read"),
        (json!({"user_id": helper_id}), 400, "invalid_request", "permission_level"),
        (json!({"user_id": helper_id, "permission_level": "read", "role": "x"}), 400, "invalid_request", "role"),
    ] {
        let (s, c, m) = refused(admin, Method::POST, &grants, Some(body.clone())).await;
        assert_eq!((s, c.as_str()), (status, code), "{body}: {m}");
        assert!(m.contains(says), "{body}: {m}");
    }
    let missing = format!("/projects/{}/permissions", "bbbbbbbbbbbbbbbbbbbbbbbb");
    let body = json!({"user_id": helper_id, "permission_level": "read"});
    assert_eq!(refused(admin, Method::POST, &missing, Some(body)).await.0, 404);
    assert_eq!(call(admin, Method::GET, &grants, None).await.1["data"]["pagination"]["total"], 0);

    // Read: the project and its container are seen, listed, and their events read.
    let body = json!({"user_id": helper_id, "permission_level": "read"});
    let (status, grant) = call(admin, Method::POST, &grants, Some(body.clone())).await;
    assert_eq!(status, 201, "{grant}");
    let grant_id = grant["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(grant["data"]["permission_level"], "read");
    assert_eq!(grant["data"]["user_id"], helper_id.as_str());
    assert_eq!(grant["data"]["user_alias"], "helper");
    let admin_id = call(admin, Method::GET, "/auth/tokens/me", None).await.1["data"]["id"].clone();
    assert_eq!(grant["data"]["granted_by"], admin_id);
    let (s, code, message) = refused(admin, Method::POST, &grants, Some(body)).await;
    assert_eq!((s, code.as_str()), (409, "already_granted"), "{message}");
    assert!(message.contains(&grant_id), "{message}");
    assert_eq!(call(&helper, Method::GET, &format!("/projects/{project}"), None).await.0, 200);
    assert_eq!(call(&helper, Method::GET, &format!("/containers/{container}"), None).await.0, 200);
    let (_, listed) = call(&helper, Method::GET, "/containers/", None).await;
    assert_eq!(listed["data"]["containers"][0]["id"], container.as_str(), "{listed}");
    let (_, projects) = call(&helper, Method::GET, "/projects/", None).await;
    assert_eq!(projects["data"]["projects"][0]["id"], project.as_str(), "{projects}");
    let (_, events) = call(&helper, Method::GET, &format!("/events?project_id={project}"), None).await;
    assert!(events["data"]["pagination"]["total"].as_u64().unwrap() > 0, "{events}");
    assert_eq!(call(&helper, Method::GET, &grants, None).await.0, 200);
    // … but nothing it does not reach changes: each refusal names the level it has and needs.
    let stop = format!("/containers/{container}/stop");
    let rename = (format!("/projects/{project}"), json!({"alias": "renamed"}));
    for (method, path, body, needs) in [
        (Method::POST, stop.clone(), None, "write"),
        (Method::PATCH, rename.0.clone(), Some(rename.1.clone()), "admin"),
        (Method::POST, grants.clone(), Some(json!({"user_id": helper_id, "permission_level": "admin"})), "admin"),
    ] {
        let (s, code, message) = refused(&helper, method, &path, body).await;
        assert_eq!((s, code.as_str()), (403, "permission_denied"), "{path}: {message}");
        assert!(message.contains("is read; this needs") && message.contains(needs), "{message}");
    }
    assert_eq!(status_of(admin, &container).await, "running", "the refused stop changed nothing");
    assert_eq!(call(admin, Method::GET, &format!("/projects/{project}"), None).await.1["data"]["alias"], "granted");

    // Write: it operates the container and makes (and deletes) one in the project — which joins
    // none of its realms — but still cannot change the project.
    let path = format!("{grants}/{grant_id}");
    let (status, changed) = call(admin, Method::PATCH, &path, Some(json!({"permission_level": "write"}))).await;
    assert_eq!((status, changed["data"]["permission_level"].as_str()), (200, Some("write")), "{changed}");
    let (status, answer) = call(&helper, Method::POST, &stop, None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(status_of(admin, &container).await, "stopped");
    assert_eq!(call(&helper, Method::POST, &format!("/containers/{container}/start"), None).await.0, 200);
    let server = crate::proxy::server_id(admin).await;
    let body = json!({"name": "by-grant", "container_image": "busybox/1", "server_id": server});
    let (status, made) = call(&helper, Method::POST, &format!("/projects/{project}/containers"), Some(body)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["data"]["realm_ids"], json!([]), "{made}");
    let made = made["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(call(&helper, Method::DELETE, &format!("/containers/{made}"), None).await.0, 200);
    let (s, _, message) = refused(&helper, Method::PATCH, &rename.0, Some(rename.1.clone())).await;
    assert_eq!(s, 403, "{message}");
    // Nor does it remove the project's events (an admin's grant reaches them): none go.
    let events = format!("/events?project_id={project}");
    let total = |v: Value| v["data"]["pagination"]["total"].as_u64().unwrap();
    let before = total(call(admin, Method::GET, &events, None).await.1);
    assert_eq!(call(&helper, Method::DELETE, &events, None).await.0, 200);
    assert!(total(call(admin, Method::GET, &events, None).await.1) >= before, "no event of the project went");

    // Admin: it renames the project and manages grants, of tokens it may see only.
    call(admin, Method::PATCH, &path, Some(json!({"permission_level": "admin"}))).await;
    let (status, renamed) = call(&helper, Method::PATCH, &rename.0, Some(rename.1)).await;
    assert_eq!((status, renamed["data"]["alias"].as_str()), (200, Some("renamed")), "{renamed}");
    let body = json!({"user_id": admin_id, "permission_level": "read"});
    let (s, code, message) = refused(&helper, Method::POST, &grants, Some(body)).await;
    assert_eq!((s, code.as_str()), (404, "not_found"), "a token outside its realms is not its to know: {message}");
    let (_, list) = call(&helper, Method::GET, &grants, None).await;
    assert_eq!(list["data"]["permissions"][0]["id"], grant_id.as_str(), "{list}");

    // Taken away: the project is out of reach again; a second removal finds nothing.
    let (status, removed) = call(admin, Method::DELETE, &path, None).await;
    assert_eq!((status, removed["data"]["id"].as_str()), (200, Some(grant_id.as_str())), "{removed}");
    assert_eq!(call(&helper, Method::GET, &format!("/containers/{container}"), None).await.0, 404);
    assert_eq!(call(admin, Method::DELETE, &path, None).await.0, 404);
    let bad = format!("{grants}/not-an-id");
    assert_eq!(refused(admin, Method::PATCH, &bad, Some(json!({"permission_level": "read"}))).await.1, "invalid_id");

    // A grant goes with its token.
    let body = json!({"user_id": helper_id, "permission_level": "read"});
    assert_eq!(call(admin, Method::POST, &grants, Some(body)).await.0, 201);
    assert_eq!(call(admin, Method::DELETE, &format!("/auth/tokens/{helper_id}"), None).await.0, 200);
    assert_eq!(call(admin, Method::GET, &grants, None).await.1["data"]["pagination"]["total"], 0);
    assert_eq!(call(admin, Method::DELETE, &format!("/containers/{container}"), None).await.0, 200);
}
