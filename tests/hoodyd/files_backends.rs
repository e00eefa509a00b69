//! Storage backends of the files service on a real container: rclone remotes by type and
//! options, kept in the container and used from inside it (an alias of a directory lists the
//! container's files, not the host's), secrets stored obscured and answered masked, bad input
//! refused with nothing changed; mounts say why they are not offered.

use crate::proxy::{browser, server_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn rclone_backends_are_the_containers_own() {
    let (_dir, d, _, c) = server_with("stores").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let base = c["urls"]["files-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &base);
    let call = |method: Method, path: &str, body: Option<Value>| {
        let mut request = http.request(method, format!("{base}{path}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    // A file only the container has, and an alias of its directory: rclone, run inside, sees it.
    let put = http.put(format!("{base}/api/v1/files/srv/only-here.txt")).body("inside").send().await.unwrap();
    assert_eq!(put.status(), 200);
    let (status, alias) =
        call(Method::POST, "/api/v1/backends/alias", Some(json!({"remote": "/srv", "description": "served"}))).await;
    assert_eq!(status, 200, "{alias}");
    let alias_id = alias["id"].as_str().unwrap().to_owned();
    assert!(alias_id.starts_with("alias-"), "{alias}");
    assert_eq!((alias["name"].as_str(), alias["status"].as_str()), (Some("served"), Some("configured")));
    let (status, tested) = call(Method::GET, &format!("/api/v1/backends/{alias_id}/test"), None).await;
    assert_eq!((status, tested["entries"].clone()), (200, json!(1)), "{tested}");
    assert!(!std::path::Path::new("/srv/only-here.txt").exists());

    // A crypt remote over it: the password is stored obscured and answered masked.
    let crypt = json!({"remote": format!("{alias_id}:"), "password": "open sesame"});
    let (status, crypted) = call(Method::POST, "/api/v1/backends/crypt", Some(crypt)).await;
    assert_eq!(status, 200, "{crypted}");
    let crypt_id = crypted["id"].as_str().unwrap().to_owned();
    assert_eq!(crypted["options"]["password"], "***", "{crypted}");
    let stored = std::fs::read_to_string(format!("/proc/{init}/root/hoody/rclone/rclone.conf")).unwrap();
    assert!(stored.contains(&format!("[{crypt_id}]")) && !stored.contains("open sesame"), "{stored}");
    let (status, _) = call(Method::GET, &format!("/api/v1/backends/{crypt_id}/test"), None).await;
    assert_eq!(status, 200);
    let (status, memory) = call(Method::POST, "/api/v1/backends/memory", Some(json!({}))).await;
    assert_eq!(status, 200, "{memory}");

    // Listed, read, changed, disconnected.
    let (_, listed) = call(Method::GET, "/api/v1/backends", None).await;
    let mut kinds: Vec<&str> =
        listed["data"]["backends"].as_array().unwrap().iter().map(|b| b["type"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["alias", "crypt", "memory"], "{listed}");
    let change = json!({"body": json!({"description": "renamed"}).to_string()});
    let (status, changed) = call(Method::PUT, &format!("/api/v1/backends/{alias_id}"), Some(change)).await;
    assert_eq!((status, changed["name"].as_str()), (200, Some("renamed")), "{changed}");
    let (_, details) = call(Method::GET, &format!("/api/v1/backends/{alias_id}"), None).await;
    assert_eq!((details["type"].as_str(), details["options"]["remote"].as_str()), (Some("alias"), Some("/srv")));
    assert!(details["created_at"].is_string() && details["updated_at"].is_string(), "{details}");

    // Bad input changes nothing.
    let before = std::fs::read_to_string(format!("/proc/{init}/root/hoody/rclone/rclone.conf")).unwrap();
    for (path, body, want) in [
        ("/api/v1/backends/alias", json!({}), 400),
        ("/api/v1/backends/alias", json!({"remote": "/srv", "colour": "red"}), 400),
        ("/api/v1/backends/alias", json!({"remote": "a\nb"}), 400),
        ("/api/v1/backends/nosuch", json!({}), 501),
    ] {
        let (status, refused) = call(Method::POST, path, Some(body.clone())).await;
        assert_eq!(status, want, "{path} {body}: {refused}");
        assert!(refused["message"].is_string(), "{refused}");
    }
    assert_eq!(call(Method::PUT, &format!("/api/v1/backends/{alias_id}"), Some(json!({"body": "{}"}))).await.0, 400);
    assert_eq!(call(Method::GET, "/api/v1/backends/nothing-here", None).await.0, 404);
    assert_eq!(call(Method::GET, "/api/v1/backends/..%2Fx", None).await.0, 400);
    let after = std::fs::read_to_string(format!("/proc/{init}/root/hoody/rclone/rclone.conf")).unwrap();
    assert_eq!(before, after, "the refusals wrote nothing");

    assert_eq!(call(Method::DELETE, &format!("/api/v1/backends/{crypt_id}"), None).await.0, 200);
    assert_eq!(call(Method::GET, &format!("/api/v1/backends/{crypt_id}"), None).await.0, 404);
    assert_eq!(call(Method::DELETE, &format!("/api/v1/backends/{crypt_id}"), None).await.0, 404);
    let (status, mounts) = call(Method::GET, "/api/v1/mounts", None).await;
    assert_eq!(status, 503);
    assert!(mounts["message"].as_str().unwrap().contains("FUSE"));
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
