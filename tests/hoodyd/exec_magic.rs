//! Magic comments and schedules of the exec service on a real container: `@methods`,
//! `@timeout` and `@content-type` honoured by the runs; the comments read, changed (a dry run
//! first, a bad value refused with nothing written), changed in bulk, checked; a `@schedule`
//! script listed, triggered, and run by the scheduler on its minute.

use crate::proxy::{browser, server_with};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn magic_comments_steer_runs_and_schedules_run_scripts_on_their_minutes() {
    let (_dir, d, _, c) = server_with("magic").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let inside = move |p: &str| format!("/proc/{init}/root{p}");
    let base = c["urls"]["exec-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &base);
    let api = format!("{base}/api/v1/exec");
    let call = |method: Method, path: &str, body: Option<Value>| {
        let mut request = http.request(method, format!("{api}{path}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let write = |path: &str, content: &str| {
        call(Method::POST, "/scripts/write", Some(json!({"path": path, "content": content})))
    };

    // The comments steer the runs.
    let greet = "#!/bin/sh\n# @description Greets in JSON\n# @methods GET\n# @content-type application/json\necho '{\"hi\": 1}'\n";
    assert_eq!(write("greet", greet).await.0, 200);
    let r = http.get(format!("{base}/greet")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "application/json"));
    let r = http.post(format!("{base}/greet")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.text().await.unwrap().contains("answers GET (its @methods)"));
    assert_eq!(write("slow", "#!/bin/sh\n# @timeout 1\nsleep 5\necho late\n").await.0, 200);
    let r = http.get(format!("{base}/slow")).send().await.unwrap();
    assert_eq!(r.status(), 504);
    assert!(r.text().await.unwrap().contains("ran longer than 1s"));

    // Read, schema, checked.
    let (status, read) = call(Method::GET, "/magic-comments/read?path=greet", None).await;
    assert_eq!((status, read["comments"]["methods"].as_str()), (200, Some("GET")), "{read}");
    assert_eq!(read["problems"], json!([]));
    let (_, schema) = call(Method::GET, "/magic-comments/schema", None).await;
    assert!(schema["keys"].as_array().unwrap().iter().any(|k| k["key"] == "schedule"), "{schema}");
    let code = "#!/bin/sh\n# @timeout 0\n# @colour red\necho\n";
    let (status, checked) = call(Method::POST, "/validate/magic-comments", Some(json!({"code": code}))).await;
    assert_eq!((status, checked["valid"].clone()), (200, json!(false)), "{checked}");
    assert_eq!(
        checked["errors"].as_array().unwrap().iter().map(|e| e["line"].as_u64().unwrap()).collect::<Vec<_>>(),
        [2, 3]
    );

    // Changed: a dry run writes nothing; a bad value is refused and nothing changes; then for real.
    let on_disk = || std::fs::read_to_string(inside("/hoody/exec/greet")).unwrap();
    let update = |comments: Value, dry_run: bool| {
        call(
            Method::PUT,
            "/magic-comments/update",
            Some(json!({"path": "greet", "comments": comments, "dry_run": dry_run})),
        )
    };
    let (status, dry) = update(json!({"methods": "GET,POST"}), true).await;
    assert_eq!((status, dry["changed"].clone()), (200, json!(true)), "{dry}");
    assert!(dry["content"].as_str().unwrap().contains("# @methods GET,POST"));
    assert_eq!(on_disk(), greet, "a dry run writes nothing");
    let (status, refused) = update(json!({"timeout": "soon"}), false).await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("@timeout"), "{refused}");
    assert_eq!(on_disk(), greet);
    assert_eq!(update(json!({"methods": "GET,POST", "description": null}), false).await.0, 200);
    assert!(!on_disk().contains("@description") && on_disk().contains("# @methods GET,POST"), "{}", on_disk());
    assert_eq!(http.post(format!("{base}/greet")).send().await.unwrap().status(), 200, "POST is answered now");
    let bulk = json!({"comments": {"tag": "demo"}, "extension": "", "dry_run": true});
    let (status, planned) = call(Method::POST, "/magic-comments/bulk-update", Some(bulk)).await;
    assert_eq!((status, planned["count"].clone()), (200, json!(2)), "{planned}");
    assert!(!on_disk().contains("@tag"));
    let (_, done) =
        call(Method::POST, "/magic-comments/bulk-update", Some(json!({"comments": {"tag": "demo"}, "extension": ""})))
            .await;
    assert_eq!(done["count"], 2, "{done}");
    assert!(on_disk().contains("# @tag demo"));

    // A scheduled script: listed, triggered now, and run by the scheduler on the next minute.
    let tick = "#!/bin/sh\n# @schedule * * * * *\necho \"$HOODY_TRIGGER\" >> /tmp/ticks\necho ok\n";
    assert_eq!(write("tick", tick).await.0, 200);
    assert_eq!(write("broken", "#!/bin/sh\n# @schedule 61 * * * *\necho\n").await.0, 200);
    let (_, listed) = call(Method::GET, "/schedules/list", None).await;
    assert_eq!(listed["data"]["schedules"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(
        (listed["data"]["schedules"][0]["id"].as_str(), listed["data"]["schedules"][0]["status"].as_str()),
        (Some("tick"), Some("active"))
    );
    assert!(listed["data"]["invalid"][0]["error"].as_str().unwrap().contains("minute"), "{listed}");
    let (status, ran) = call(Method::POST, "/schedules/trigger", Some(json!({"scriptPath": "tick"}))).await;
    assert_eq!((status, ran["status"].clone(), ran["output"].clone()), (200, json!(200), json!("ok\n")), "{ran}");
    assert_eq!(std::fs::read_to_string(inside("/tmp/ticks")).unwrap(), "trigger\n");
    let (status, _) = call(Method::POST, "/schedules/trigger", Some(json!({"scriptPath": "greet"}))).await;
    assert_eq!(status, 404, "greet has no @schedule");
    assert_eq!(call(Method::POST, "/schedules/trigger", Some(json!({"scriptPath": "../x"}))).await.0, 400);
    let scheduled = || async {
        let ticks = std::fs::read_to_string(inside("/tmp/ticks")).unwrap_or_default();
        ticks.contains("schedule").then_some(ticks)
    };
    hoody_client::testkit::eventually("the scheduler running tick on its minute", Duration::from_secs(75), scheduled)
        .await;
    let (_, history) = call(Method::GET, "/schedules/history?scriptPath=tick", None).await;
    let triggers: Vec<&str> =
        history["data"]["history"].as_array().unwrap().iter().map(|h| h["trigger"].as_str().unwrap()).collect();
    assert!(triggers.contains(&"schedule") && triggers.contains(&"trigger"), "{history}");

    // A script edited behind the service's back is seen at the next reload.
    std::fs::write(inside("/hoody/exec/greet"), "#!/bin/sh\n# @schedule @hourly\necho\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(inside("/hoody/exec/greet"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_, dry) = call(Method::POST, "/schedules/reload", Some(json!({"dry_run": true}))).await;
    assert!(dry["found"].as_array().unwrap().iter().any(|f| f["scriptPath"] == "greet" && f["new"] == true), "{dry}");
    let (_, reloaded) = call(Method::POST, "/schedules/reload", Some(json!({}))).await;
    assert_eq!(reloaded["count"], 2, "{reloaded}");
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
