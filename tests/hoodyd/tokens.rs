//! Tokens as the platform manages them, on a real hoodyd with a running container: listed with
//! `alias`, `prefix`, `is_enabled`, `last_used_at`; `me`; permissions flag by flag enforced (a
//! refused call changes nothing) and never handed out beyond the giver's own; disabled and
//! expired tokens refused; copies; realms added and removed; deletion (not of itself); the
//! platform's fields this server does not honour refused by name.

use crate::proxy::server_with;
use hoody_client::HoodyClient;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(client: &HoodyClient, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = client.raw(method, path, body.as_ref()).await.unwrap();
    (r.status, r.body)
}

#[tokio::test]
async fn tokens_are_managed_and_their_permissions_hold() {
    let (_dir, d, project, c) = server_with("guarded").await;
    let container = c["id"].as_str().unwrap().to_owned();
    let admin = &d.client;

    // The admin token, as listed and as itself.
    let (status, list) = call(admin, Method::GET, "/auth/tokens", None).await;
    assert_eq!(status, 200, "{list}");
    let first = &list["data"][0];
    assert!(first["prefix"].as_str().unwrap().starts_with("hoody_"), "{first}");
    assert_eq!((first["is_enabled"].as_bool(), first["alias"].as_str()), (Some(true), Some("admin")), "{first}");
    let (_, me) = call(admin, Method::GET, "/auth/tokens/me", None).await;
    assert_eq!(me["data"]["id"], first["id"]);

    // A token that may look but not create, delete or stop.
    let body = json!({"alias": "reader", "expires_at": "2099-01-01T00:00:00Z", "permissions": {
        "containers": {"create": false, "delete": false, "actions": {"stop": false}},
        "projects": {"delete": false}, "financial": {"wallet": {"read": false}}}});
    let (status, created) = call(admin, Method::POST, "/auth/tokens", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["data"]["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with(created["data"]["prefix"].as_str().unwrap()));
    let reader_id = created["data"]["id"].as_str().unwrap().to_owned();
    let reader = admin.with_token(Some(secret.clone()));
    assert_eq!(call(&reader, Method::GET, &format!("/containers/{container}"), None).await.0, 200);
    let before = call(admin, Method::GET, "/containers/", None).await.1["data"]["pagination"]["total"].clone();
    for (method, path, flag) in [
        (Method::POST, format!("/projects/{project}/containers"), "containers.create"),
        (Method::POST, format!("/containers/{container}/stop"), "containers.actions.stop"),
        (Method::DELETE, format!("/containers/{container}"), "containers.delete"),
        (Method::DELETE, format!("/projects/{project}"), "projects.delete"),
    ] {
        let body = (method == Method::POST && flag == "containers.create").then(|| json!({"name": "sneaky"}));
        let (status, answer) = call(&reader, method, &path, body).await;
        assert_eq!((status, answer["code"].as_str()), (403, Some("permission_denied")), "{path}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(flag), "{answer}");
    }
    let (_, now) = call(admin, Method::GET, &format!("/containers/{container}"), None).await;
    assert_eq!(now["data"]["status"], "running", "the refused stop changed nothing");
    assert_eq!(call(admin, Method::GET, "/containers/", None).await.1["data"]["pagination"]["total"], before);

    // It hands out no more than it has.
    let escalate = json!({"alias": "more", "permissions": {"containers": {"delete": true}}});
    let (status, answer) = call(&reader, Method::POST, "/auth/tokens", Some(escalate)).await;
    assert_eq!((status, answer["code"].as_str()), (403, Some("permission_denied")), "{answer}");
    let (status, child) = call(&reader, Method::POST, "/auth/tokens", Some(json!({"alias": "child"}))).await;
    assert_eq!(status, 201, "{child}");
    assert_eq!(child["data"]["permissions"]["containers.delete"], false, "{child}");

    // Disabled, then enabled again; an expiry in the past is refused.
    let path = format!("/auth/tokens/{reader_id}");
    assert_eq!(call(admin, Method::PATCH, &path, Some(json!({"is_enabled": false}))).await.0, 200);
    let (status, answer) = call(&reader, Method::GET, "/containers/", None).await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("disabled"), "{answer}");
    assert_eq!(call(admin, Method::PUT, &path, Some(json!({"is_enabled": true}))).await.0, 200);
    assert_eq!(call(&reader, Method::GET, "/containers/", None).await.0, 200);
    let (status, _) = call(admin, Method::PATCH, &path, Some(json!({"expires_at": "2001-01-01T00:00:00Z"}))).await;
    assert_eq!(status, 400);
    let (_, got) = call(admin, Method::GET, &path, None).await;
    assert!(got["data"]["last_used_at"].is_string(), "its use is recorded: {got}");
    assert_eq!(got["data"]["expires_at"], "2099-01-01T00:00:00Z");

    // A copy has a new secret and the same permissions.
    let (status, copy) = call(admin, Method::POST, &format!("{path}/copy"), Some(json!({}))).await;
    assert_eq!(status, 201, "{copy}");
    assert_ne!(copy["data"]["token"].as_str(), Some(secret.as_str()));
    assert_eq!(copy["data"]["alias"], "reader (copy)");
    let copied = admin.with_token(copy["data"]["token"].as_str().map(str::to_owned));
    assert_eq!(call(&copied, Method::POST, &format!("/containers/{container}/stop"), None).await.0, 403);

    // Realms added and removed, never the last; a realm token manages only its realm's tokens.
    let realm = |name: &str| {
        let body = json!({"name": name});
        async move { call(admin, Method::POST, "/realms/", Some(body)).await.1["data"]["id"].as_str().unwrap().to_owned() }
    };
    let (one, two) = (realm("one").await, realm("two").await);
    let (_, scoped) =
        call(admin, Method::POST, "/auth/tokens", Some(json!({"alias": "scoped", "realm_ids": [one]}))).await;
    let scoped_id = scoped["data"]["id"].as_str().unwrap().to_owned();
    let scoped_path = format!("/auth/tokens/{scoped_id}");
    let (_, added) =
        call(admin, Method::POST, &format!("{scoped_path}/add-realm"), Some(json!({"realm_id": two}))).await;
    assert_eq!(added["data"]["realm_ids"], json!([one, two]));
    let (_, removed) =
        call(admin, Method::POST, &format!("{scoped_path}/remove-realm"), Some(json!({"realm_id": one}))).await;
    assert_eq!(removed["data"]["realm_ids"], json!([two]));
    let (status, _) =
        call(admin, Method::POST, &format!("{scoped_path}/remove-realm"), Some(json!({"realm_id": two}))).await;
    assert_eq!(status, 400, "not its last realm");
    let scoped_client = admin.with_token(scoped["data"]["token"].as_str().map(str::to_owned));
    let (_, theirs) = call(&scoped_client, Method::GET, "/auth/tokens", None).await;
    let ids: Vec<&str> = theirs["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [scoped_id.as_str()], "a realm token sees its realm's tokens only");
    assert_eq!(call(&scoped_client, Method::GET, &path, None).await.0, 404);

    // The platform's fields this server does not honour, and fields of nobody's.
    for (body, status, names) in [
        (json!({"alias": "x", "ip_whitelist": ["10.0.0.0/8"]}), 501, "ip_whitelist"),
        (json!({"alias": "x", "public_key": ""}), 400, "public_key"),
        (json!({"alias": "x", "nmae": "typo"}), 400, "nmae"),
        (json!({"alias": "x", "permissions": {"containers": {"fly": true}}}), 400, "containers.fly"),
        (json!({"alias": "x", "expires_at": "tomorrow"}), 400, "expires_at"),
    ] {
        let (got, answer) = call(admin, Method::POST, "/auth/tokens", Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(names), "{body}: {answer}");
    }
    let (status, _) =
        call(admin, Method::POST, "/auth/tokens", Some(json!({"alias": "y", "allow_no_realm": true}))).await;
    assert_eq!(status, 201, "a field sent as asking nothing is taken");

    // Deletion: not of itself; a deleted token is refused.
    let (status, answer) = call(&reader, Method::DELETE, &path, None).await;
    assert_eq!((status, answer["code"].as_str()), (409, Some("wrong_state")), "{answer}");
    assert_eq!(call(admin, Method::DELETE, &path, None).await.0, 200);
    assert_eq!(call(&reader, Method::GET, "/containers/", None).await.0, 401);
    assert_eq!(call(admin, Method::DELETE, &format!("/containers/{container}"), None).await.0, 200);
}
