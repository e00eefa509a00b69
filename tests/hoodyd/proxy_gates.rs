//! Proxy permissions as the platform's client sets them, enforced by our proxy on a real
//! container: open by default; password (HTTP Basic), token (Bearer) and IP groups allowed
//! programs; JWTs (HS256/384/512) from a header, a cookie or the query with required claims;
//! a deny default that asks for the password; the proxy turned off; If-Match guarding
//! each change (412 when stale); secrets never answered; back to open when deleted; a
//! project's gates for its containers without their own.

use crate::proxy::{browser, server_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn kit_urls_sit_behind_the_gates_their_owner_sets() {
    let (_dir, d, project, c) = server_with("gated").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let web = c["urls"]["http-8080"].as_str().unwrap().to_owned();
    let files = format!("{}/api/v1/files/etc", c["urls"]["files-1"].as_str().unwrap());
    let fetch = |url: &str, auth: Option<(&str, &str)>, bearer: Option<&str>| {
        let mut request = browser(&d, url).get(url);
        if let Some((user, password)) = auth {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        async move {
            let r = request.send().await.unwrap();
            let asks = r.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
            (r.status().as_u16(), asks)
        }
    };
    let gates = format!("/containers/{id}/proxy/permissions");
    let change = |path: String, body: Value, etag: Option<String>| {
        let url = d.client.url(&path);
        let token = std::fs::read_to_string(d.data_dir.join("admin.token")).unwrap();
        async move {
            let mut request = reqwest::Client::new().patch(url).bearer_auth(token.trim()).json(&body);
            if let Some(etag) = etag {
                request = request.header("if-match", etag);
            }
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };

    // Open by default.
    assert_eq!(fetch(&web, None, None).await.0, 200);
    let (status, open) = {
        let r = d.client.raw(Method::GET, &gates, None).await.unwrap();
        (r.status, r.body)
    };
    assert_eq!(status, 200, "{open}");
    assert_eq!((open["data"]["enable_proxy"].as_bool(), open["data"]["default"].as_str()), (Some(true), Some("allow")));

    // Groups, what they may reach, and a deny default.
    let body = json!({"username": "ana", "password": "s3cret", "salt": "pepper"});
    let (status, set) = change(format!("{gates}/groups/team/password"), body, None).await;
    assert_eq!(status, 200, "{set}");
    assert!(!set.to_string().contains("s3cret") && !set.to_string().contains("digest"), "{set}");
    let token = "ci-token-0123456789abcdef";
    assert_eq!(change(format!("{gates}/groups/ci/token"), json!({"body": token}), None).await.0, 200);
    assert_eq!(
        change(format!("{gates}/permissions/team"), json!({"program": "http", "access": "allow"}), None).await.0,
        200
    );
    let (_, set) = change(format!("{gates}/permissions/ci"), json!({"program": "*", "access": true}), None).await;
    let etag = set["data"]["etag"].as_str().unwrap().to_owned();
    let (status, stale) = change(format!("{gates}/default"), json!({"default": "deny"}), Some("\"0000\"".into())).await;
    assert_eq!((status, stale["code"].as_str()), (412, Some("precondition_failed")), "{stale}");
    assert_eq!(fetch(&web, None, None).await.0, 200, "the stale change changed nothing");
    let (status, _) = change(format!("{gates}/default"), json!({"default": "deny"}), Some(format!("\"{etag}\""))).await;
    assert_eq!(status, 200);

    let (status, asks) = fetch(&web, None, None).await;
    assert_eq!(status, 401);
    assert!(asks.unwrap().starts_with("Basic realm="), "a browser asks for the password");
    assert_eq!(fetch(&web, Some(("ana", "s3cret")), None).await.0, 200);
    assert_eq!(fetch(&web, Some(("ana", "wrong")), None).await.0, 401);
    assert_eq!(fetch(&files, Some(("ana", "s3cret")), None).await.0, 403, "team may not reach files");
    assert_eq!(fetch(&files, None, Some(token)).await.0, 200, "ci may reach everything");
    assert_eq!(fetch(&files, None, Some("ci-token-not-this-one-at-all")).await.0, 403);

    // An address range: this test's requests come from loopback.
    assert_eq!(change(format!("{gates}/groups/here/ip"), json!({"range": "127.0.0.0/8"}), None).await.0, 200);
    assert_eq!(
        change(format!("{gates}/permissions/here"), json!({"program": "files", "access": true}), None).await.0,
        200
    );
    assert_eq!(fetch(&files, None, None).await.0, 200);
    let r = d.client.raw(Method::DELETE, &format!("{gates}/groups/here"), None).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["data"]["permissions"].get("here").is_none(), "its permissions went with it");
    assert_eq!(fetch(&files, None, None).await.0, 403);

    // JWTs signed with the group's secret, from a header, a cookie or the query, with its claims.
    let secret = "the sso's signing secret";
    let jwt = json!({"secret": secret, "algorithm": "HS384", "sources": ["header", "cookie:session", "query:jwt"],
        "claims": {"team": ["core", "ops"]}});
    let (status, set) = change(format!("{gates}/groups/sso/jwt"), jwt, None).await;
    assert_eq!(status, 200, "{set}");
    assert!(!set.to_string().contains(secret), "the secret is never answered: {set}");
    assert_eq!(set["data"]["groups"]["sso"]["sources"][1], "cookie:session", "{set}");
    assert_eq!(
        change(format!("{gates}/permissions/sso"), json!({"program": "files", "access": true}), None).await.0,
        200
    );
    let sign = |claims: Value| hoody_model::jwt::sign("HS384", secret.as_bytes(), &claims);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let core = sign(json!({"sub": "ana", "team": "core", "exp": now + 300}));
    assert_eq!(fetch(&files, None, Some(&core)).await.0, 200, "Authorization: Bearer");
    let by_cookie = browser(&d, &files).get(&files).header("cookie", format!("a=b; session={core}")).send();
    assert_eq!(by_cookie.await.unwrap().status().as_u16(), 200, "a cookie");
    let by_query = format!("{files}?jwt={core}");
    assert_eq!(browser(&d, &by_query).get(&by_query).send().await.unwrap().status().as_u16(), 200, "the query");
    let web_team = sign(json!({"team": "web"}));
    let expired = sign(json!({"team": "core", "exp": now - 1}));
    let forged = hoody_model::jwt::sign("HS384", b"someone else's secret", &json!({"team": "core"}));
    let other_alg = hoody_model::jwt::sign("HS256", secret.as_bytes(), &json!({"team": "core"}));
    for refused in [&web_team, &expired, &forged, &other_alg] {
        assert_eq!(fetch(&files, None, Some(refused)).await.0, 403, "{refused}");
    }
    assert_eq!(fetch(&web, None, Some(&core)).await.0, 401, "sso may reach files only");
    let r = d.client.raw(Method::DELETE, &format!("{gates}/groups/sso"), None).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(fetch(&files, None, Some(&core)).await.0, 403, "gone with its group");

    // The proxy turned off: nothing goes through, credentials or not.
    assert_eq!(change(format!("{gates}/state"), json!({"enable_proxy": false}), None).await.0, 200);
    assert_eq!(fetch(&web, Some(("ana", "s3cret")), None).await.0, 403);
    assert_eq!(change(format!("{gates}/state"), json!({"enable_proxy": true}), None).await.0, 200);

    // Bad input changes nothing; what is not honoured yet says so.
    let before = d.client.raw(Method::GET, &gates, None).await.unwrap().body["data"]["etag"].clone();
    for (path, body, status) in [
        (format!("{gates}/groups/x/ip"), json!({"range": "10.0.0.0/33"}), 400),
        (format!("{gates}/default"), json!({"default": "maybe"}), 400),
        (format!("{gates}/permissions/nobody"), json!({"program": "files", "access": true}), 404),
        (
            format!("{gates}/groups/x/password"),
            json!({"username": "a", "password": "b", "salt": "c", "algorithm": "bcrypt"}),
            501,
        ),
        (format!("{gates}/groups/x/jwt"), json!({"secret": "s", "algorithm": "HS256", "sources": ["header"]}), 400),
        (
            format!("{gates}/groups/x/jwt"),
            json!({"secret": "long enough secret", "algorithm": "RS256", "sources": ["header"]}),
            501,
        ),
        (
            format!("{gates}/groups/x/jwt"),
            json!({"secret": "long enough secret", "algorithm": "HS256", "sources": ["body:x"]}),
            400,
        ),
        (format!("{gates}/groups/x/token"), json!({"body": "short"}), 400),
        (gates.clone(), json!({"project": "aaaaaaaaaaaaaaaaaaaaaaaa", "groups": {}, "permissions": {}}), 400),
        (gates.clone(), json!({"project": project, "groups": {}, "permissions": {}, "hooks": {"x": 1}}), 501),
    ] {
        let (got, answer) = change(path.clone(), body, None).await;
        assert_eq!(got, status, "{path}: {answer}");
    }
    assert_eq!(d.client.raw(Method::GET, &gates, None).await.unwrap().body["data"]["etag"], before);

    // The whole document at once, then deleted: open again.
    let whole = json!({"project": project, "default": "deny", "enable_proxy": true,
        "groups": {"team": {"type": "password", "username": "bo", "password": "pw", "salt": "s"}},
        "permissions": {"team": {"*": true}}});
    let (status, replaced) = change(gates.clone(), whole, None).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(fetch(&web, Some(("bo", "pw")), None).await.0, 200);
    assert_eq!(fetch(&web, Some(("ana", "s3cret")), None).await.0, 401, "the old groups are gone");

    // Settings, groups and services, as the platform's client reads them.
    let read = |path: String| {
        let client = d.client.clone();
        async move { client.raw(Method::GET, &path, None).await.unwrap().body["data"].clone() }
    };
    let proxy = format!("/containers/{id}/proxy");
    assert_eq!(read(format!("{proxy}/settings")).await["default"], "deny");
    let groups = read(format!("{proxy}/groups")).await;
    assert_eq!(groups["groups"][0]["name"], "team", "{groups}");
    assert_eq!(groups["groups"][0]["group"]["username"], "bo");
    assert!(!groups.to_string().contains("digest"), "{groups}");
    let services = read(format!("{proxy}/services")).await;
    let files_entry =
        services["services"].as_array().unwrap().iter().find(|s| s["service"] == "files-1").unwrap().clone();
    assert_eq!(files_entry["open"], false, "{services}");
    let r = d.client.raw(Method::PUT, &format!("{proxy}/settings"), Some(&json!({"default": "allow"}))).await.unwrap();
    assert_eq!((r.status, r.body["data"]["default"].as_str()), (200, Some("allow")), "{}", r.body);
    assert_eq!(read(format!("{proxy}/services/files-1")).await["open"], true);
    assert_eq!(d.client.raw(Method::GET, &format!("{proxy}/services/nope-1"), None).await.unwrap().status, 404);
    let r = d.client.raw(Method::PUT, &format!("{proxy}/settings"), Some(&json!({"default": "deny"}))).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(d.client.raw(Method::DELETE, &gates, None).await.unwrap().status, 200);
    assert_eq!(fetch(&web, None, None).await.0, 200);

    // A project's gates hold for its containers that have none of their own.
    let project_gates = format!("/projects/{project}/proxy/permissions");
    let whole = json!({"default": "deny", "groups": {"ci": {"type": "token", "body": token}}, "permissions": {"ci": {"*": true}}});
    let (status, set) = change(project_gates.clone(), whole, None).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(fetch(&files, None, None).await.0, 403, "the project's gate holds");
    assert_eq!(fetch(&files, None, Some(token)).await.0, 200);
    let own = json!({"project": project, "default": "allow", "groups": {}, "permissions": {}});
    assert_eq!(change(gates.clone(), own, None).await.0, 200);
    assert_eq!(fetch(&files, None, None).await.0, 200, "the container's own gates come first");
    assert_eq!(d.client.raw(Method::DELETE, &gates, None).await.unwrap().status, 200);
    assert_eq!(fetch(&files, None, None).await.0, 403, "without its own, the project's again");
    assert_eq!(d.client.raw(Method::DELETE, &project_gates, None).await.unwrap().status, 200);
    assert_eq!(fetch(&files, None, None).await.0, 200);
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
