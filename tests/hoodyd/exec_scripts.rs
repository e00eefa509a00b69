//! The exec service's scripts managed as the platform's client does it, on a real container: a
//! script written (executable, owned by the container's root, answering at once at /NAME), read,
//! listed, moved, nested and shown as a tree, deleted; paths that would leave the scripts
//! directory refused, and nothing written by a refusal; the shared state a script's host keeps.

use crate::proxy::{browser, server_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn scripts_are_written_listed_moved_and_deleted_inside_the_container() {
    let (_dir, d, _, c) = server_with("scripted").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let inside = |p: &str| format!("/proc/{init}/root{p}");
    let base = c["urls"]["exec-1"].as_str().expect("an exec URL").to_owned();
    let http = browser(&d, &base);
    let api = format!("{base}/api/v1/exec");
    let call = |method: Method, path: String, body: Option<Value>| {
        let mut request = http.request(method, format!("{api}{path}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    let hello = json!({"path": "hello", "content": "#!/bin/sh\necho \"hello from $(hostname)\"\n"});
    let (status, written) = call(Method::POST, "/scripts/write".into(), Some(hello)).await;
    assert_eq!((status, written["url_path"].as_str()), (200, Some("/hello")), "{written}");
    let served = http.get(format!("{base}/hello")).send().await.unwrap().text().await.unwrap();
    assert_eq!(served, "hello from scripted\n", "it answers at once");
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(inside("/hoody/exec/hello")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o755);
    let root_uid = std::fs::metadata(format!("/proc/{init}/root/")).unwrap().uid();
    assert_eq!(meta.uid(), root_uid, "owned by the container's root, not the host's");

    let nested = json!({"path": "api/v2/users", "content": "#!/bin/sh\necho users\n"});
    assert_eq!(call(Method::POST, "/scripts/write".into(), Some(nested)).await.0, 200);
    let (_, read) = call(Method::GET, "/scripts/read?path=api/v2/users".into(), None).await;
    assert_eq!(read["content"], "#!/bin/sh\necho users\n", "{read}");
    let (_, top) = call(Method::GET, "/scripts/list".into(), None).await;
    let names: Vec<&str> = top["scripts"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(names, ["hello"], "{top}");
    let (_, all) = call(Method::GET, "/scripts/list?recursive=true&filter=USER".into(), None).await;
    assert_eq!(all["scripts"][0]["id"], "api/v2/users", "{all}");
    let (_, tree) = call(Method::POST, "/scripts/tree".into(), Some(json!({"includeMetadata": true}))).await;
    assert_eq!(tree["tree"][0]["name"], "api", "{tree}");
    assert_eq!(tree["tree"][0]["children"][0]["children"][0]["name"], "users", "{tree}");

    let (status, moved) =
        call(Method::POST, "/scripts/move".into(), Some(json!({"from": "api/v2/users", "to": "people"}))).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(http.get(format!("{base}/people")).send().await.unwrap().text().await.unwrap(), "users\n");
    let clash = json!({"from": "people", "to": "hello"});
    assert_eq!(call(Method::POST, "/scripts/move".into(), Some(clash)).await.0, 409, "hello is kept");
    assert_eq!(call(Method::DELETE, "/scripts/delete?path=api".into(), None).await.0, 400, "a directory needs confirm");
    assert_eq!(call(Method::DELETE, "/scripts/delete?path=api&confirm=true".into(), None).await.0, 200);
    assert_eq!(call(Method::DELETE, "/scripts/delete?path=people".into(), None).await.0, 200);
    assert!(!std::path::Path::new(&inside("/hoody/exec/people")).exists());

    // Refusals write nothing.
    for (method, path, body, status) in [
        (Method::POST, "/scripts/write", Some(json!({"path": "../../etc/evil", "content": "#!/bin/sh\n"})), 400),
        (Method::POST, "/scripts/write", Some(json!({"path": "plain", "content": "no shebang"})), 400),
        (
            Method::POST,
            "/scripts/write",
            Some(json!({"path": "x/y", "content": "#!/bin/sh\n", "createDirs": false})),
            400,
        ),
        (Method::POST, "/scripts/write", Some(json!({"content": "#!/bin/sh\n"})), 400),
        (Method::GET, "/scripts/read?path=nothing", None, 404),
        (Method::GET, "/scripts/list?tags=web", None, 501),
        (Method::GET, "/scripts/list?execId=exec-7", None, 404),
    ] {
        let (got, answer) = call(method.clone(), path.into(), body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
    }
    assert!(
        !std::path::Path::new(&inside("/etc/evil")).exists()
            && !std::path::Path::new(&inside("/hoody/exec/plain")).exists()
    );
    let forced = json!({"path": "plain", "content": "data", "validate": false});
    assert_eq!(call(Method::POST, "/scripts/write".into(), Some(forced)).await.0, 200);

    // Shared state, by host name, with dotted paths and merges.
    let set = json!({"hostname": "app", "path": "config", "value": "{\"debug\":true}"});
    assert_eq!(call(Method::POST, "/shared-state/set".into(), Some(set)).await.0, 200);
    let merge = json!({"hostname": "app", "path": "config", "value": {"level": 3}, "merge": true});
    assert_eq!(call(Method::POST, "/shared-state/set".into(), Some(merge)).await.0, 200);
    let (_, got) = call(Method::POST, "/shared-state/get".into(), Some(json!({"hostname": "app"}))).await;
    assert_eq!(got["value"], json!({"config": {"debug": true, "level": 3}}), "{got}");
    let (_, cleared) =
        call(Method::POST, "/shared-state/clear".into(), Some(json!({"hostname": "app", "clearAll": true}))).await;
    assert_eq!(cleared["cleared"], 1);
    assert_eq!(call(Method::POST, "/shared-state/get".into(), Some(json!({}))).await.0, 400);
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
