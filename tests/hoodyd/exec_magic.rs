//! Magic comments and schedules of the exec service on a real container: `@methods`,
//! `@timeout` and `@content-type` honoured by the runs; the comments read, changed (a dry run
//! first, a bad value refused with nothing written), changed in bulk, checked; a `@schedule`
//! script listed, triggered, and run by the scheduler on its minute.

use crate::proxy::{KitApi, browser, server_with};
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
    let exec = KitApi::exec(&d, &base);
    let write = |path: &str, content: &str| {
        exec.call(Method::POST, "/scripts/write", Some(json!({"path": path, "content": content})))
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
    let (status, read) = exec.call(Method::GET, "/magic-comments/read?path=greet", None).await;
    assert_eq!((status, read["comments"]["methods"].as_str()), (200, Some("GET")), "{read}");
    assert_eq!(read["problems"], json!([]));
    let (_, schema) = exec.call(Method::GET, "/magic-comments/schema", None).await;
    assert!(schema["keys"].as_array().unwrap().iter().any(|k| k["key"] == "schedule"), "{schema}");
    let code = "#!/bin/sh\n# @timeout 0\n# @colour red\necho\n";
    let (status, checked) = exec.call(Method::POST, "/validate/magic-comments", Some(json!({"code": code}))).await;
    assert_eq!((status, checked["valid"].clone()), (200, json!(false)), "{checked}");
    assert_eq!(
        checked["errors"].as_array().unwrap().iter().map(|e| e["line"].as_u64().unwrap()).collect::<Vec<_>>(),
        [2, 3]
    );

    // Changed: a dry run writes nothing; a bad value is refused and nothing changes; then for real.
    let on_disk = || std::fs::read_to_string(inside("/hoody/exec/greet")).unwrap();
    let update = |comments: Value, dry_run: bool| {
        exec.call(
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
    let (status, planned) = exec.call(Method::POST, "/magic-comments/bulk-update", Some(bulk)).await;
    assert_eq!((status, planned["count"].clone()), (200, json!(2)), "{planned}");
    assert!(!on_disk().contains("@tag"));
    let (_, done) = exec
        .call(Method::POST, "/magic-comments/bulk-update", Some(json!({"comments": {"tag": "demo"}, "extension": ""})))
        .await;
    assert_eq!(done["count"], 2, "{done}");
    assert!(on_disk().contains("# @tag demo"));

    // A scheduled script: listed, triggered now, and run by the scheduler on the next minute.
    let tick = "#!/bin/sh\n# @schedule * * * * *\necho \"$HOODY_TRIGGER\" >> /tmp/ticks\necho ok\n";
    assert_eq!(write("tick", tick).await.0, 200);
    assert_eq!(write("broken", "#!/bin/sh\n# @schedule 61 * * * *\necho\n").await.0, 200);
    let (_, listed) = exec.call(Method::GET, "/schedules/list", None).await;
    assert_eq!(listed["data"]["schedules"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(
        (listed["data"]["schedules"][0]["id"].as_str(), listed["data"]["schedules"][0]["status"].as_str()),
        (Some("tick"), Some("active"))
    );
    assert!(listed["data"]["invalid"][0]["error"].as_str().unwrap().contains("minute"), "{listed}");
    let (status, ran) = exec.call(Method::POST, "/schedules/trigger", Some(json!({"scriptPath": "tick"}))).await;
    assert_eq!((status, ran["status"].clone(), ran["output"].clone()), (200, json!(200), json!("ok\n")), "{ran}");
    assert_eq!(std::fs::read_to_string(inside("/tmp/ticks")).unwrap(), "trigger\n");
    let (status, _) = exec.call(Method::POST, "/schedules/trigger", Some(json!({"scriptPath": "greet"}))).await;
    assert_eq!(status, 404, "greet has no @schedule");
    assert_eq!(exec.call(Method::POST, "/schedules/trigger", Some(json!({"scriptPath": "../x"}))).await.0, 400);
    let scheduled = || async {
        let ticks = std::fs::read_to_string(inside("/tmp/ticks")).unwrap_or_default();
        ticks.contains("schedule").then_some(ticks)
    };
    hoody_client::testkit::eventually("the scheduler running tick on its minute", Duration::from_secs(75), scheduled)
        .await;
    // The run wrote its tick; its history entry follows once it has ended.
    let recorded = || async {
        let (_, history) = exec.call(Method::GET, "/schedules/history?scriptPath=tick", None).await;
        let triggers: Vec<String> = history["data"]["history"]
            .as_array()?
            .iter()
            .filter_map(|h| Some(h["trigger"].as_str()?.to_owned()))
            .collect();
        triggers.iter().any(|t| t == "schedule").then_some(triggers)
    };
    let triggers =
        hoody_client::testkit::eventually("the scheduled run in the history", Duration::from_secs(10), recorded).await;
    assert!(triggers.iter().any(|t| t == "trigger"), "{triggers:?}");

    // A script edited behind the service's back is seen at the next reload.
    std::fs::write(inside("/hoody/exec/greet"), "#!/bin/sh\n# @schedule @hourly\necho\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(inside("/hoody/exec/greet"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_, dry) = exec.call(Method::POST, "/schedules/reload", Some(json!({"dry_run": true}))).await;
    assert!(dry["found"].as_array().unwrap().iter().any(|f| f["scriptPath"] == "greet" && f["new"] == true), "{dry}");
    let (_, reloaded) = exec.call(Method::POST, "/schedules/reload", Some(json!({}))).await;
    assert_eq!(reloaded["count"], 2, "{reloaded}");
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

/// Templates, the scripts' OpenAPI document, the service's housekeeping and what the container
/// offers scripts, on a real container.
#[tokio::test]
async fn templates_openapi_and_housekeeping_of_the_exec_service() {
    let (_dir, d, _, c) = server_with("kitchen").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let inside = move |p: &str| format!("/proc/{init}/root{p}");
    let base = c["urls"]["exec-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &base);
    let api = format!("{base}/api/v1/exec");
    let exec = KitApi::exec(&d, &base);

    // Templates: built in and custom, previewed, generated into a script that answers.
    let (_, list) = exec.call(Method::GET, "/templates/list?category=api", None).await;
    let names: Vec<&str> =
        list["data"]["templates"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["json-api", "echo-body"], "{list}");
    let (status, preview) =
        exec.call(Method::GET, "/templates/preview?name=hello&variables=%7B%22greeting%22%3A%22hey%22%7D", None).await;
    assert_eq!(status, 200, "{preview}");
    assert!(preview["code"].as_str().unwrap().contains("echo \"hey from"), "{preview}");
    let generate = json!({"name": "hello", "variables": {"greeting": "hey"}, "saveFile": true, "outputPath": "hey"});
    let (status, made) = exec.call(Method::POST, "/templates/generate", Some(generate.clone())).await;
    assert_eq!((status, made["url_path"].as_str()), (200, Some("/hey")), "{made}");
    assert_eq!(http.get(format!("{base}/hey")).send().await.unwrap().text().await.unwrap(), "hey from kitchen\n");
    assert_eq!(exec.call(Method::POST, "/templates/generate", Some(generate)).await.0, 409, "it exists");
    let (status, _) = exec.call(Method::POST, "/templates/generate", Some(json!({"name": "scheduled-task"}))).await;
    assert_eq!(status, 400, "command is required");
    let custom = json!({"name": "stamp", "description": "Stamps", "code": "#!/bin/sh\necho {{word}}\n", "variables": [{"name": "word", "default": "stamped"}]});
    assert_eq!(
        exec.call(Method::POST, "/templates/create-custom", Some(json!({"body": custom.to_string()}))).await.0,
        200
    );
    assert!(std::path::Path::new(&inside("/hoody/exec-templates/stamp.json")).exists());
    assert_eq!(exec.call(Method::POST, "/templates/create-custom", Some(json!({"body": custom}))).await.0, 409);
    let (status, updated) = exec
        .call(Method::PUT, "/templates/update-custom/stamp", Some(json!({"code": "#!/bin/sh\necho new {{word}}\n"})))
        .await;
    assert_eq!(status, 200, "{updated}");
    let (_, preview) = exec.call(Method::GET, "/templates/preview?name=stamp", None).await;
    assert_eq!(preview["code"], "#!/bin/sh\necho new stamped\n");
    assert_eq!(exec.call(Method::PUT, "/templates/update-custom/hello", Some(json!({"code": "x"}))).await.0, 403);
    assert_eq!(exec.call(Method::DELETE, "/templates/delete-custom/stamp", None).await.0, 200);
    assert_eq!(exec.call(Method::DELETE, "/templates/delete-custom/stamp", None).await.0, 404);

    // The OpenAPI document of the scripts, from their magic comments.
    let described =
        "#!/bin/sh\n# @summary Adds\n# @methods POST\n# @param a integer required first\n# @tag math\nexpr 1 + 1\n";
    assert_eq!(
        exec.call(Method::POST, "/scripts/write", Some(json!({"path": "add", "content": described}))).await.0,
        200
    );
    let (_, listed) = exec.call(Method::GET, "/user-openapi/list", None).await;
    let add = listed["data"]["scripts"].as_array().unwrap().iter().find(|s| s["id"] == "add").unwrap().clone();
    assert_eq!((add["status"].as_str(), add["methods"].clone()), (Some("valid"), json!(["post"])), "{listed}");
    let (_, spec) = exec.call(Method::GET, "/user-openapi/spec", None).await;
    assert_eq!(spec["paths"]["/add"]["post"]["parameters"][0]["name"], "a", "{spec}");
    assert!(spec["paths"]["/add"]["get"].is_null());
    let (status, checked) =
        exec.call(Method::POST, "/user-openapi/validate", Some(json!({"body": spec.to_string()}))).await;
    assert_eq!((status, checked["valid"].clone()), (200, json!(true)), "{checked}");
    let (_, bad) = exec.call(Method::POST, "/user-openapi/validate", Some(json!({"body": {"openapi": "2.0"}}))).await;
    assert_eq!(bad["valid"], false);
    let yaml = http.get(format!("{api}/user-openapi/spec?format=yaml")).send().await.unwrap().text().await.unwrap();
    assert!(yaml.contains("\"/add\":\n"), "{yaml}");
    assert_eq!(exec.call(Method::GET, "/user-openapi/schema", None).await.0, 404, "nothing generated yet");
    let (status, generated) =
        exec.call(Method::POST, "/user-openapi/generate", Some(json!({"body": "{\"title\": \"Kitchen\"}"}))).await;
    assert_eq!(status, 200, "{generated}");
    let (_, kept) = exec.call(Method::GET, "/user-openapi/schema", None).await;
    assert_eq!(kept["info"]["title"], "Kitchen");
    let other = json!({"openapi": "3.1.0", "info": {"title": "o", "version": "1"}, "paths": {"/add": {"post": {"responses": {"200": {"description": "x"}}}}, "/x": {"get": {"responses": {"200": {"description": "x"}}}}}});
    let (_, merged) = exec.call(Method::POST, "/user-openapi/merge", Some(json!({"body": [spec, other]}))).await;
    assert_eq!(merged["conflicts"], json!(["post /add"]), "{merged}");
    assert!(merged["spec"]["paths"]["/x"]["get"].is_object());

    // What the container offers scripts.
    let (_, bundled) = exec.call(Method::GET, "/dependencies/bundled", None).await;
    let status_of = |name: &str| {
        bundled["data"]["packages"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["status"].clone()
    };
    assert_eq!((status_of("sh"), status_of("python3")), (json!("installed"), json!("missing")), "{bundled}");
    let (_, checked) = exec
        .call(Method::POST, "/dependencies/check", Some(json!({"code": "#!/usr/bin/env bash\n", "modules": "awk,jq"})))
        .await;
    assert_eq!(checked["missing"], json!(["bash", "jq"]), "{checked}");
    let (_, valid) =
        exec.call(Method::POST, "/validate/dependencies", Some(json!({"code": "#!/bin/sh\necho\n"}))).await;
    assert_eq!(valid["valid"], true, "{valid}");
    assert_eq!(exec.call(Method::POST, "/dependencies/install", Some(json!({"modules": ["jq"]}))).await.0, 501);
    assert_eq!(exec.call(Method::GET, "/package/read", None).await.0, 501);

    // Housekeeping: a restart drains runs under way and reads the scripts again; the cache and
    // the shared state are cleared on request.
    assert_eq!(
        exec.call(
            Method::POST,
            "/scripts/write",
            Some(json!({"path": "nap", "content": "#!/bin/sh\nsleep 1\necho rested\n"}))
        )
        .await
        .0,
        200
    );
    let nap = http.get(format!("{base}/nap")).send();
    let napping = tokio::spawn(nap);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, restarted) =
        exec.call(Method::POST, "/system/restart", Some(json!({"drainTimeoutMs": 5000, "reason": "test"}))).await;
    assert_eq!((status, restarted["restart"]["drained"].clone()), (200, json!(true)), "{restarted}");
    assert_eq!(napping.await.unwrap().unwrap().text().await.unwrap(), "rested\n", "the run under way finished");
    let (_, state) = exec.call(Method::GET, "/system/restart-status", None).await;
    assert_eq!((state["restarts"].clone(), state["lastRestart"]["reason"].clone()), (json!(1), json!("test")));
    let set = json!({"hostname": "h", "path": "k", "value": 1});
    assert_eq!(exec.call(Method::POST, "/shared-state/set", Some(set)).await.0, 200);
    assert_eq!(exec.call(Method::POST, "/cache/clear", Some(json!({"clearState": true}))).await.0, 400, "whose state?");
    let (_, cleared) =
        exec.call(Method::POST, "/cache/clear", Some(json!({"clearState": true, "hostname": "h"}))).await;
    assert_eq!(cleared["cleared"]["shared_state_documents"], 1, "{cleared}");
    let (_, got) = exec.call(Method::POST, "/shared-state/get", Some(json!({"hostname": "h", "path": "k"}))).await;
    assert_eq!(got["value"], Value::Null);
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
