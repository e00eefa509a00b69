//! The exec service's scripts managed as the platform's client does it, on a real container: a
//! script written (executable, owned by the container's root, answering at once at /NAME), read,
//! listed, moved, nested and shown as a tree, deleted; paths that would leave the scripts
//! directory refused, and nothing written by a refusal; the shared state a script's host keeps.

use crate::proxy::{KitApi, browser, server_with};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn scripts_are_written_listed_moved_and_deleted_inside_the_container() {
    let (_dir, d, _, c) = server_with("scripted").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let inside = |p: &str| format!("/proc/{init}/root{p}");
    let base = c["urls"]["exec-1"].as_str().expect("an exec URL").to_owned();
    let http = browser(&d, &base);
    let exec = KitApi::exec(&d, &base);

    let hello = json!({"path": "hello", "content": "#!/bin/sh\necho \"hello from $(hostname)\"\n"});
    let (status, written) = exec.call(Method::POST, "/scripts/write", Some(hello)).await;
    assert_eq!((status, written["url_path"].as_str()), (200, Some("/hello")), "{written}");
    let served = http.get(format!("{base}/hello")).send().await.unwrap().text().await.unwrap();
    assert_eq!(served, "hello from scripted\n", "it answers at once");
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(inside("/hoody/exec/hello")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o755);
    let root_uid = std::fs::metadata(format!("/proc/{init}/root/")).unwrap().uid();
    assert_eq!(meta.uid(), root_uid, "owned by the container's root, not the host's");

    let nested = json!({"path": "api/v2/users", "content": "#!/bin/sh\necho users\n"});
    assert_eq!(exec.call(Method::POST, "/scripts/write", Some(nested)).await.0, 200);
    let (_, read) = exec.call(Method::GET, "/scripts/read?path=api/v2/users", None).await;
    assert_eq!(read["content"], "#!/bin/sh\necho users\n", "{read}");
    let (_, top) = exec.call(Method::GET, "/scripts/list", None).await;
    let names: Vec<&str> = top["scripts"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(names, ["hello"], "{top}");
    let (_, all) = exec.call(Method::GET, "/scripts/list?recursive=true&filter=USER", None).await;
    assert_eq!(all["scripts"][0]["id"], "api/v2/users", "{all}");
    let (_, tree) = exec.call(Method::POST, "/scripts/tree", Some(json!({"includeMetadata": true}))).await;
    assert_eq!(tree["tree"][0]["name"], "api", "{tree}");
    assert_eq!(tree["tree"][0]["children"][0]["children"][0]["name"], "users", "{tree}");

    let (status, moved) =
        exec.call(Method::POST, "/scripts/move", Some(json!({"from": "api/v2/users", "to": "people"}))).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(http.get(format!("{base}/people")).send().await.unwrap().text().await.unwrap(), "users\n");
    let clash = json!({"from": "people", "to": "hello"});
    assert_eq!(exec.call(Method::POST, "/scripts/move", Some(clash)).await.0, 409, "hello is kept");
    assert_eq!(exec.call(Method::DELETE, "/scripts/delete?path=api", None).await.0, 400, "a directory needs confirm");
    assert_eq!(exec.call(Method::DELETE, "/scripts/delete?path=api&confirm=true", None).await.0, 200);
    assert_eq!(exec.call(Method::DELETE, "/scripts/delete?path=people", None).await.0, 200);
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
        let (got, answer) = exec.call(method.clone(), path, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
    }
    assert!(
        !std::path::Path::new(&inside("/etc/evil")).exists()
            && !std::path::Path::new(&inside("/hoody/exec/plain")).exists()
    );
    let forced = json!({"path": "plain", "content": "data", "validate": false});
    assert_eq!(exec.call(Method::POST, "/scripts/write", Some(forced)).await.0, 200);

    // Routes: which scripts answer, which one a path reaches, a request tried without the proxy.
    let (_, routes) = exec.call(Method::POST, "/route/discover", Some(json!({}))).await;
    let answering: Vec<&str> =
        routes["routes"].as_array().unwrap().iter().map(|r| r["route"].as_str().unwrap()).collect();
    assert_eq!(answering, ["/hello", "/plain"], "every written script answers: {routes}");
    let (_, resolved) = exec.call(Method::POST, "/route/resolve", Some(json!({"body": "/hello/x/y"}))).await;
    assert_eq!(
        (resolved["script"].as_str(), resolved["path_info"].as_str()),
        (Some("/hoody/exec/hello"), Some("/x/y"))
    );
    assert_eq!(exec.call(Method::POST, "/route/resolve", Some(json!({"path": "/nobody"}))).await.0, 404);
    let echo =
        json!({"path": "echo", "content": "#!/bin/sh\necho \"$REQUEST_METHOD $PATH_INFO $QUERY_STRING\"\ncat\n"});
    assert_eq!(exec.call(Method::POST, "/scripts/write", Some(echo)).await.0, 200);
    let trial = json!({"path": "/echo/a?b=1", "method": "post", "input": "body!"});
    let (_, tried) = exec.call(Method::POST, "/route/test", Some(trial)).await;
    assert_eq!(
        (tried["status"].as_u64(), tried["output"].as_str()),
        (Some(200), Some("POST /a b=1\nbody!")),
        "{tried}"
    );
    // Syntax, checked by the container's own shell without running the code.
    let (_, good) =
        exec.call(Method::POST, "/validate/syntax", Some(json!({"code": "#!/bin/sh\nif true; then echo; fi\n"}))).await;
    assert_eq!(good["valid"], true, "{good}");
    let (_, broken) =
        exec.call(Method::POST, "/validate/syntax", Some(json!({"code": "#!/bin/sh\nif true; then echo\n"}))).await;
    assert_eq!(broken["valid"], false, "{broken}");
    assert!(!broken["errors"].as_array().unwrap().is_empty(), "{broken}");
    let (_, bare) = exec.call(Method::POST, "/validate/script", Some(json!({"code": "echo hi"}))).await;
    assert_eq!(bare["valid"], false);
    assert_eq!(
        exec.call(Method::POST, "/validate/syntax", Some(json!({"code": "#!/usr/bin/env python3\n"}))).await.0,
        501
    );

    // Shared state, by host name, with dotted paths and merges.
    let set = json!({"hostname": "app", "path": "config", "value": "{\"debug\":true}"});
    assert_eq!(exec.call(Method::POST, "/shared-state/set", Some(set)).await.0, 200);
    let merge = json!({"hostname": "app", "path": "config", "value": {"level": 3}, "merge": true});
    assert_eq!(exec.call(Method::POST, "/shared-state/set", Some(merge)).await.0, 200);
    let (_, got) = exec.call(Method::POST, "/shared-state/get", Some(json!({"hostname": "app"}))).await;
    assert_eq!(got["value"], json!({"config": {"debug": true, "level": 3}}), "{got}");
    let (_, cleared) =
        exec.call(Method::POST, "/shared-state/clear", Some(json!({"hostname": "app", "clearAll": true}))).await;
    assert_eq!(cleared["cleared"], 1);
    assert_eq!(exec.call(Method::POST, "/shared-state/get", Some(json!({}))).await.0, 400);
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

/// The exec service's runs, logged and measured: each script's log (its runs' status, time and
/// stderr), one run by its id, a search, the runs under way, figures per script and as
/// Prometheus text, a log cleared.
#[tokio::test]
async fn script_runs_are_logged_and_measured() {
    let (_dir, d, _, c) = server_with("watched").await;
    let base = c["urls"]["exec-1"].as_str().expect("an exec URL").to_owned();
    let http = browser(&d, &base);
    let exec = KitApi::exec(&d, &base);
    for (path, content) in [
        ("ok", "#!/bin/sh\necho fine\n"),
        ("broken", "#!/bin/sh\necho 'disk on fire' >&2\nexit 3\n"),
        ("slow", "#!/bin/sh\nsleep 2\necho late\n"),
    ] {
        let body = json!({"path": path, "content": content});
        assert_eq!(exec.call(Method::POST, "/scripts/write", Some(body)).await.0, 200);
    }
    for _ in 0..3 {
        assert_eq!(http.get(format!("{base}/ok")).send().await.unwrap().status(), 200);
    }
    assert_eq!(http.post(format!("{base}/broken/deep")).send().await.unwrap().status(), 500);
    let slow = tokio::spawn(http.get(format!("{base}/slow")).send());
    let busy = || async {
        let (_, active) = exec.call(Method::GET, "/monitor/active-requests", None).await;
        (active["count"] == 1).then_some(active)
    };
    let active =
        hoody_client::testkit::eventually("the slow run under way", std::time::Duration::from_secs(10), busy).await;
    assert_eq!(active["active"][0]["script"], "slow", "{active}");
    assert_eq!(slow.await.unwrap().unwrap().status(), 200);

    let (_, logs) = exec.call(Method::GET, "/logs/list", None).await;
    let names: Vec<&str> = logs["logs"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["broken", "ok", "slow"], "{logs}");
    let (_, read) = exec.call(Method::POST, "/logs/read", Some(json!({"file": "broken"}))).await;
    let line = read["lines"][0].as_str().unwrap();
    assert!(line.contains("POST /broken/deep 500") && line.contains("disk on fire"), "{read}");
    let run = read["entries"][0]["executionId"].as_str().unwrap().to_owned();
    let (_, one) = exec.call(Method::POST, "/logs/read", Some(json!({"executionId": run}))).await;
    assert_eq!(one["execution"]["status"], 500);
    let (_, found) = exec.call(Method::POST, "/logs/search", Some(json!({"query": "FIRE"}))).await;
    assert_eq!(found["count"], 1, "case-insensitive by default: {found}");
    let (_, none) =
        exec.call(Method::POST, "/logs/search", Some(json!({"query": "FIRE", "caseSensitive": true}))).await;
    assert_eq!(none["count"], 0);
    let (status, text) = exec.call(Method::GET, "/logs/stream?file=ok", None).await;
    assert_eq!((status, text.as_str().map(|t| t.lines().count())), (200, Some(3)), "{text}");

    let (_, stats) = exec.call(Method::GET, "/monitor/stats", None).await;
    assert_eq!((stats["total"]["requests"].as_u64(), stats["total"]["errors"].as_u64()), (Some(5), Some(1)), "{stats}");
    assert!(stats["scripts"]["slow"]["max_duration_ms"].as_f64().unwrap() >= 2000.0, "{stats}");
    let (_, perf) = exec.call(Method::POST, "/monitor/script-performance", Some(json!({"script": "ok"}))).await;
    assert_eq!(perf["requests"], 3, "{perf}");
    let (_, metrics) = exec.call(Method::GET, "/monitor/metrics", None).await;
    assert!(
        metrics.as_str().unwrap().contains("hoody_exec_requests_total{script=\"ok\",status=\"200\"} 3"),
        "{metrics}"
    );

    // Clearing: all of them only with confirm.
    assert_eq!(exec.call(Method::DELETE, "/logs/clear", None).await.0, 400);
    let (_, cleared) = exec.call(Method::DELETE, "/logs/clear?file=ok", None).await;
    assert_eq!(cleared["cleared"], 3);
    assert_eq!(exec.call(Method::DELETE, "/logs/clear?confirm=true", None).await.1["cleared"], 2);
    assert_eq!(exec.call(Method::POST, "/logs/read", Some(json!({"executionId": "999999"}))).await.0, 404);
    assert_eq!(exec.call(Method::POST, "/logs/search", Some(json!({"regex": "("}))).await.0, 400);
    assert_eq!(exec.call(Method::GET, "/logs/stream?file=ok&follow=true", None).await.0, 501);
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
