//! The platform's environment variable calls on a real container: refused while it runs (its
//! variables are baked in at start), set in bulk from `.env` text, one by one, deleted; a bad
//! line or name is refused by number and changes nothing; after a start the container's
//! /etc/environment holds exactly them.

use crate::proxy::{browser, server_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn environment_variables_through_the_platforms_env_calls() {
    let (_dir, d, _project, c) = server_with("envs").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let env = |path: &str| format!("/containers/{id}/env{path}");
    let call = |method: Method, path: String, body: Option<Value>| {
        let client = d.client.clone();
        async move { client.raw(method, &path, body.as_ref()).await.unwrap() }
    };

    let r = call(Method::PATCH, env("/A"), Some(json!({"value": "1"}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("container_must_be_stopped")), "{}", r.body);
    assert_eq!(call(Method::POST, format!("/containers/{id}/stop"), None).await.status, 200);

    let r =
        call(Method::PATCH, env(""), Some(json!({"body": "# app\nexport MODE=test\nNAME=\"a b\"\nGONE=soon\n"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["environment_vars"], json!({"GONE": "soon", "MODE": "test", "NAME": "a b"}));
    let r = call(Method::PATCH, env(""), Some(json!({"body": "OK=1\nnot an assignment\n"}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_environment")), "{}", r.body);
    assert!(r.body["message"].as_str().unwrap().contains("line 2"), "{}", r.body);
    let r = call(Method::PATCH, env("/9X"), Some(json!({"value": "v"}))).await;
    assert_eq!(r.status, 400, "a bad name: {}", r.body);
    let r = call(Method::PATCH, env("/EXTRA"), Some(json!({"value": "x=y z"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(Method::DELETE, env("/GONE"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(Method::DELETE, env("/GONE"), None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (404, Some("not_found")), "{}", r.body);
    let r = call(Method::GET, env(""), None).await;
    assert_eq!(
        r.body["data"]["environment_vars"],
        json!({"EXTRA": "x=y z", "MODE": "test", "NAME": "a b"}),
        "{}",
        r.body
    );

    // Started, the container has them.
    assert_eq!(call(Method::POST, format!("/containers/{id}/start"), None).await.status, 200);
    let running = crate::proxy::wait_running(&d, &id).await;
    let files = running["urls"]["files-1"].as_str().unwrap().to_owned();
    let text = browser(&d, &files)
        .get(format!("{files}/api/v1/files/etc/environment"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in ["MODE=\"test\"", "NAME=\"a b\"", "EXTRA=\"x=y z\""] {
        assert!(text.contains(line), "{line} in /etc/environment: {text}");
    }
    assert!(!text.contains("GONE"), "{text}");
    assert_eq!(call(Method::DELETE, format!("/containers/{id}"), None).await.status, 200);
}
