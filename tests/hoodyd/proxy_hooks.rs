//! Proxy hooks on a real container: exec scripts the proxy runs before a kit service sees a
//! request — exit 0 lets it on, another exit answers it — in their order, for the requests
//! they match; added, read, moved, changed and removed through the API with `If-Match`; bad
//! input refused with nothing changed; a hook that cannot run lets nothing through.

use crate::proxy::{KitApi, browser, server_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn hooks_run_before_the_service_and_answer_for_it_when_they_refuse() {
    let (_dir, d, _, c) = server_with("hooked").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let site = c["urls"]["http-8080"].as_str().unwrap().to_owned();
    let exec = KitApi::exec(&d, c["urls"]["exec-1"].as_str().unwrap());
    let scripts = [
        (
            "guard",
            "#!/bin/sh\n[ \"$HTTP_X_PASS\" = open ] && exit 0\necho \"no pass for $REQUEST_METHOD $PATH_INFO\"\nexit 77\n",
        ),
        ("block", "#!/bin/sh\necho blocked\nexit 64\n"),
        ("slow", "#!/bin/sh\nsleep 3\n"),
    ];
    for (path, content) in scripts {
        assert_eq!(
            exec.call(Method::POST, "/scripts/write", Some(json!({"path": path, "content": content}))).await.0,
            200
        );
    }
    let api = |method: Method, path: String, body: Option<Value>| {
        let client = d.client.clone();
        async move {
            let r = client.raw(method, &path, body.as_ref()).await.unwrap();
            (r.status, r.body)
        }
    };
    let hooks = format!("/containers/{id}/proxy/hooks");
    let get = |headers: &[(&str, &str)], path: &str| {
        let mut r = browser(&d, &site).get(format!("{site}{path}"));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        async move {
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(get(&[], "/index.html").await, (200, "hello from hooked\n".into()), "no hooks: open");

    // A guard on GETs of /index*: without the header it answers 403 with its own words.
    let guard = json!({"match": {"method": ["GET"], "path": "/index*"}, "script": {"path": "guard"}});
    let (status, added) = api(Method::POST, format!("{hooks}/http-8080"), Some(guard)).await;
    assert_eq!(status, 201, "{added}");
    let guard_id = added["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(added["data"]["position"], 0);
    let (status, body) = get(&[], "/index.html").await;
    assert_eq!((status, body.trim()), (403, "no pass for GET /index.html"));
    assert_eq!(get(&[("X-Pass", "open")], "/index.html").await, (200, "hello from hooked\n".into()));
    assert_ne!(get(&[], "/other.html").await.0, 403, "a path it does not match is not its");

    // A second hook for requests with X-Block, put first; then moved after the guard.
    let block = json!({"match": {"headers": {"X-Block": "yes"}}, "script": {"path": "block"}, "position": 0});
    let (status, second) = api(Method::POST, format!("{hooks}/http-8080"), Some(block)).await;
    assert_eq!((status, second["data"]["position"].clone()), (201, json!(0)), "{second}");
    let block_id = second["data"]["id"].as_str().unwrap().to_owned();
    let (status, body) = get(&[("X-Pass", "open"), ("X-Block", "yes")], "/index.html").await;
    assert_eq!((status, body.trim()), (400, "blocked"));
    let (_, listed) = api(Method::GET, hooks.clone(), None).await;
    let etag = listed["data"]["etag"].as_str().unwrap().to_owned();
    let order: Vec<&str> =
        listed["data"]["hooks"]["http-8080"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(order, [block_id.as_str(), guard_id.as_str()]);
    let moved = api(
        Method::PATCH,
        format!("{hooks}/http-8080/{block_id}/position?if_match={etag}"),
        Some(json!({"position": 1})),
    )
    .await;
    assert_eq!((moved.0, moved.1["data"]["position"].clone()), (200, json!(1)), "{}", moved.1);
    let (_, service) = api(Method::GET, format!("{hooks}/http-8080"), None).await;
    let order: Vec<&str> =
        service["data"]["hooks"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(order, [guard_id.as_str(), block_id.as_str()], "{service}");
    let (status, body) = get(&[("X-Block", "yes")], "/index.html").await;
    assert_eq!((status, body.trim()), (403, "no pass for GET /index.html"), "the guard runs first now");

    // Bad input changes nothing: a stale ETag, a script outside the scripts, groups, a place.
    let before = api(Method::GET, hooks.clone(), None).await.1;
    for (method, path, body, want) in [
        (Method::POST, format!("{hooks}/http-8080?if_match={etag}"), json!({"script": {"path": "guard"}}), 412),
        (Method::POST, format!("{hooks}/http-8080"), json!({"script": {"path": "../etc/x"}}), 400),
        (
            Method::POST,
            format!("{hooks}/http-8080"),
            json!({"script": {"path": "guard"}, "applies_to": {"groups": ["a b"]}}),
            400,
        ),
        (Method::POST, format!("{hooks}/http-8080"), json!({"script": {"path": "guard"}, "timeout": 0}), 400),
        (
            Method::POST,
            format!("{hooks}/http-8080"),
            json!({"match": {"method": ["FETCH"]}, "script": {"path": "guard"}}),
            400,
        ),
        (Method::POST, format!("{hooks}/http-8080"), json!({"script": {"path": "guard"}, "colour": 1}), 400),
        (Method::PATCH, format!("{hooks}/http-8080/{block_id}/position"), json!({"position": 7}), 400),
        (Method::PUT, format!("{hooks}/http-8080/nothing"), json!({"timeout": 10}), 404),
    ] {
        let (status, refused) = api(method, path.clone(), Some(body.clone())).await;
        assert_eq!(status, want, "{path} {body}: {refused}");
        assert!(refused["message"].is_string(), "{refused}");
    }
    assert_eq!(api(Method::GET, hooks.clone(), None).await.1, before, "the refusals changed nothing");

    // A hook past its time, or whose script is gone, lets nothing through.
    let slow = json!({"script": {"path": "slow"}, "timeout": 300});
    assert_eq!(api(Method::PUT, format!("{hooks}/http-8080/{guard_id}"), Some(slow)).await.0, 200);
    assert_eq!(get(&[], "/index.html").await.0, 504);
    let (_, one) = api(Method::GET, format!("{hooks}/http-8080/{guard_id}"), None).await;
    assert_eq!((one["data"]["script"]["path"].as_str(), one["data"]["timeout"].as_u64()), (Some("slow"), Some(300)));
    assert_eq!(exec.call(Method::DELETE, "/scripts/delete?path=slow", None).await.0, 200);
    assert_eq!(get(&[], "/index.html").await.0, 502);

    // Removed one by one, then the service's all: open again.
    assert_eq!(api(Method::DELETE, format!("{hooks}/http-8080/{guard_id}"), None).await.0, 200);
    assert_eq!(api(Method::DELETE, format!("{hooks}/http-8080/{guard_id}"), None).await.0, 404);
    assert_eq!(get(&[("X-Block", "yes")], "/index.html").await.0, 400, "the block hook is still there");
    assert_eq!(api(Method::DELETE, format!("{hooks}/http-8080"), None).await.0, 200);
    assert_eq!(get(&[("X-Block", "yes")], "/index.html").await, (200, "hello from hooked\n".into()));

    // A hook for one auth group runs for the requests that came in through it only.
    let gates = format!("/containers/{id}/proxy/permissions");
    let token = "hook-token-0123456789abcdef";
    assert_eq!(api(Method::PATCH, format!("{gates}/groups/ci/token"), Some(json!({"body": token}))).await.0, 200);
    let allow = json!({"program": "http-8080", "access": true});
    assert_eq!(api(Method::PATCH, format!("{gates}/permissions/ci"), Some(allow)).await.0, 200);
    let for_ci = json!({"script": {"path": "block"}, "applies_to": {"groups": ["ci"]}});
    assert_eq!(api(Method::POST, format!("{hooks}/http-8080"), Some(for_ci)).await.0, 201);
    let bearer = format!("Bearer {token}");
    assert_eq!(get(&[("Authorization", bearer.as_str())], "/index.html").await, (400, "blocked\n".into()));
    assert_eq!(get(&[], "/index.html").await, (200, "hello from hooked\n".into()), "not through ci: not its");
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
