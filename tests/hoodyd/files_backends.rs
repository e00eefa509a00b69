//! Storage backends of the files service on a real container: rclone remotes by type and
//! options, kept in the container and used from inside it (an alias of a directory lists the
//! container's files, not the host's), secrets stored obscured and answered masked, bad input
//! refused with nothing changed; mounts say why they are not offered.

use crate::proxy::{KitApi, browser, server_outside, server_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn rclone_backends_are_the_containers_own() {
    let (_dir, d, _, c) = server_with("stores").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let base = c["urls"]["files-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &base);
    let kit = KitApi::new(&d, &base, "");

    // A file only the container has, and an alias of its directory: rclone, run inside, sees it.
    let put = http.put(format!("{base}/api/v1/files/srv/only-here.txt")).body("inside").send().await.unwrap();
    assert_eq!(put.status(), 200);
    let (status, alias) = kit
        .call(Method::POST, "/api/v1/backends/alias", Some(json!({"remote": "/srv", "description": "served"})))
        .await;
    assert_eq!(status, 200, "{alias}");
    let alias_id = alias["id"].as_str().unwrap().to_owned();
    assert!(alias_id.starts_with("alias-"), "{alias}");
    assert_eq!((alias["name"].as_str(), alias["status"].as_str()), (Some("served"), Some("configured")));
    let (status, tested) = kit.call(Method::GET, &format!("/api/v1/backends/{alias_id}/test"), None).await;
    assert_eq!((status, tested["entries"].clone()), (200, json!(1)), "{tested}");
    assert!(!std::path::Path::new("/srv/only-here.txt").exists());

    // A crypt remote over it: the password is stored obscured and answered masked.
    let crypt = json!({"remote": format!("{alias_id}:"), "password": "open sesame"});
    let (status, crypted) = kit.call(Method::POST, "/api/v1/backends/crypt", Some(crypt)).await;
    assert_eq!(status, 200, "{crypted}");
    let crypt_id = crypted["id"].as_str().unwrap().to_owned();
    assert_eq!(crypted["options"]["password"], "***", "{crypted}");
    let stored = std::fs::read_to_string(format!("/proc/{init}/root/hoody/rclone/rclone.conf")).unwrap();
    assert!(stored.contains(&format!("[{crypt_id}]")) && !stored.contains("open sesame"), "{stored}");
    let (status, _) = kit.call(Method::GET, &format!("/api/v1/backends/{crypt_id}/test"), None).await;
    assert_eq!(status, 200);
    let (status, memory) = kit.call(Method::POST, "/api/v1/backends/memory", Some(json!({}))).await;
    assert_eq!(status, 200, "{memory}");

    // Listed, read, changed, disconnected.
    let (_, listed) = kit.call(Method::GET, "/api/v1/backends", None).await;
    let mut kinds: Vec<&str> =
        listed["data"]["backends"].as_array().unwrap().iter().map(|b| b["type"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["alias", "crypt", "memory"], "{listed}");
    let change = json!({"body": json!({"description": "renamed"}).to_string()});
    let (status, changed) = kit.call(Method::PUT, &format!("/api/v1/backends/{alias_id}"), Some(change)).await;
    assert_eq!((status, changed["name"].as_str()), (200, Some("renamed")), "{changed}");
    let (_, details) = kit.call(Method::GET, &format!("/api/v1/backends/{alias_id}"), None).await;
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
        let (status, refused) = kit.call(Method::POST, path, Some(body.clone())).await;
        assert_eq!(status, want, "{path} {body}: {refused}");
        assert!(refused["message"].is_string(), "{refused}");
    }
    assert_eq!(
        kit.call(Method::PUT, &format!("/api/v1/backends/{alias_id}"), Some(json!({"body": "{}"}))).await.0,
        400
    );
    assert_eq!(kit.call(Method::GET, "/api/v1/backends/nothing-here", None).await.0, 404);
    assert_eq!(kit.call(Method::GET, "/api/v1/backends/..%2Fx", None).await.0, 400);
    let after = std::fs::read_to_string(format!("/proc/{init}/root/hoody/rclone/rclone.conf")).unwrap();
    assert_eq!(before, after, "the refusals wrote nothing");

    assert_eq!(kit.call(Method::DELETE, &format!("/api/v1/backends/{crypt_id}"), None).await.0, 200);
    assert_eq!(kit.call(Method::GET, &format!("/api/v1/backends/{crypt_id}"), None).await.0, 404);
    assert_eq!(kit.call(Method::DELETE, &format!("/api/v1/backends/{crypt_id}"), None).await.0, 404);
    let (status, mounts) = kit.call(Method::GET, "/api/v1/mounts", None).await;
    assert_eq!(status, 503);
    assert!(mounts["message"].as_str().unwrap().contains("FUSE"));
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

/// The rest of the files service's platform routes on a real container: directories copied
/// and image directories moved, PATCH at an offset, the journal of changes (queried, counted,
/// flushed into the container), archive extractions and URL downloads (through the container's
/// network) listed with their history, and another server's files read on the fly.
#[tokio::test]
async fn files_copies_patches_journals_downloads_and_reads_other_servers() {
    let outside = hoody_e2e::OutsideNetwork::make();
    let (_dir, d, _, c) = server_outside("journal", &outside).await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let inside = move |p: &str| format!("/proc/{init}/root{p}");
    let base = c["urls"]["files-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &base);
    let put = |path: &str, body: &'static str| http.put(format!("{base}/api/v1/files/{path}")).body(body).send();
    assert_eq!(put("work/a/one.txt", "one").await.unwrap().status(), 200);
    assert_eq!(put("work/a/deep/two.txt", "two").await.unwrap().status(), 200);

    // A directory copied whole; into itself refused; a directory of the image moved.
    let r = http.post(format!("{base}/api/v1/files/copy/work/a?copy_to=work/b")).send().await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(std::fs::read_to_string(inside("/work/b/deep/two.txt")).unwrap(), "two");
    let r = http.post(format!("{base}/api/v1/files/copy/work/a?copy_to=work/a/inner")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = http.post(format!("{base}/api/v1/files/move/root?move_to=root-moved")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(std::path::Path::new(&inside("/root-moved")).is_dir() && !std::path::Path::new(&inside("/root")).exists());

    // PATCH writes where X-Update-Range says; a bad range changes nothing.
    assert_eq!(put("work/p.txt", "hello world").await.unwrap().status(), 200);
    let patch = |range: Option<&str>, body: &'static str| {
        let mut r = http.patch(format!("{base}/work/p.txt")).body(body);
        if let Some(range) = range {
            r = r.header("X-Update-Range", range);
        }
        r.send()
    };
    assert_eq!(patch(Some("bytes=6-"), "THERE").await.unwrap().status(), 200);
    assert_eq!(patch(Some("append"), "!").await.unwrap().status(), 200);
    assert_eq!(patch(Some("bytes=6-7"), "xyz").await.unwrap().status(), 400, "3 bytes for a 2-byte range");
    assert_eq!(patch(Some("bytes=99-"), "x").await.unwrap().status(), 400, "past the end");
    assert_eq!(patch(None, "x").await.unwrap().status(), 400);
    assert_eq!(std::fs::read_to_string(inside("/work/p.txt")).unwrap(), "hello THERE!");

    // The journal of those changes: queried, counted, flushed into the container.
    let journal: Value =
        http.get(format!("{base}/api/v1/journal?path=work")).send().await.unwrap().json().await.unwrap();
    let ops: Vec<&str> =
        journal["data"]["entries"].as_array().unwrap().iter().map(|e| e["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["write", "write", "copy", "write", "patch", "patch"], "{journal}");
    let first = journal["data"]["entries"][0]["id"].as_u64().unwrap();
    let later: Value = http
        .get(format!("{base}/api/v1/journal?after_id={first}&op=patch&limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(later["count"], 1, "{later}");
    let stats: Value = http.get(format!("{base}/api/v1/journal/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!((stats["by_op"]["patch"].clone(), stats["by_op"]["move"].clone()), (json!(2), json!(1)), "{stats}");
    assert_eq!(http.get(format!("{base}/api/v1/journal?since=yesterday")).send().await.unwrap().status(), 400);
    let flushed: Value = http.post(format!("{base}/api/v1/journal/flush")).send().await.unwrap().json().await.unwrap();
    assert_eq!(flushed["flushed"], 7, "{flushed}");
    let kept = std::fs::read_to_string(inside("/hoody/files-journal.jsonl")).unwrap();
    assert_eq!(kept.lines().count(), 7);
    let stats: Value = http.get(format!("{base}/api/v1/journal/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["entries"], 0, "the journal is empty after its flush: {stats}");

    // An extraction, then its history.
    let zip = http.get(format!("{base}/work/a?zip")).send().await.unwrap().bytes().await.unwrap();
    let r = http.put(format!("{base}/api/v1/files/work/a.zip")).body(zip).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(http.get(format!("{base}/work/a.zip?extract")).send().await.unwrap().status(), 200);
    let done: Value = http.get(format!("{base}/?extraction_history")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (done["count"].clone(), done["data"]["history"][0]["status"].clone()),
        (json!(1), json!("done")),
        "{done}"
    );
    let now: Value = http.get(format!("{base}/api/v1/extractions")).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["data"]["extractions"], json!([]));

    // A download through the container's network, from a server outside it.
    let host = outside.address;
    let port = outside.http_server("fetched from outside");
    let url = format!("http://{host}:{port}/data.txt");
    let r = http.get(format!("{base}/work?download={url}")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(std::fs::read_to_string(inside("/work/data.txt")).unwrap(), "fetched from outside");
    let r = http
        .get(format!("{base}/work?download=http://{host}:1/nothing&filename=late.txt&timeout=10"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502, "nothing listens there");
    let history: Value = http.get(format!("{base}/?download_history")).send().await.unwrap().json().await.unwrap();
    let states: Vec<&str> =
        history["data"]["history"].as_array().unwrap().iter().map(|h| h["status"].as_str().unwrap()).collect();
    assert_eq!(states, ["failed", "done"], "{history}");
    let under_way: Value = http.get(format!("{base}/work?downloads")).send().await.unwrap().json().await.unwrap();
    assert_eq!(under_way["data"]["downloads"], json!([]));
    assert_eq!(http.get(format!("{base}/work?download=file:///etc/passwd")).send().await.unwrap().status(), 400);

    // Another server's files, on the fly: a WebDAV server outside (rclone serving a directory).
    let served = tempfile::tempdir().unwrap();
    std::fs::write(served.path().join("remote.txt"), "from webdav").unwrap();
    let dav_port = 8081;
    let mut dav = outside
        .command("rclone")
        .args(["serve", "webdav", "--addr", &format!("{host}:{dav_port}"), "--config", "/dev/null"])
        .arg(served.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = format!("http://{host}:{dav_port}");
    let read = || async {
        let r = http.get(format!("{base}/remote.txt?type=webdav&server={server}")).send().await.unwrap();
        (r.status() == 200).then_some(r.text().await.unwrap())
    };
    let text =
        hoody_client::testkit::eventually("the WebDAV file read on the fly", std::time::Duration::from_secs(20), read)
            .await;
    assert_eq!(text, "from webdav");
    let listed: Value =
        http.get(format!("{base}/?type=webdav&server={server}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["data"]["paths"][0]["name"], "remote.txt", "{listed}");
    assert_eq!(http.get(format!("{base}/x?type=git&url=http://{host}/r.git")).send().await.unwrap().status(), 501);
    assert_eq!(http.get(format!("{base}/x?type=webdav")).send().await.unwrap().status(), 400, "server is required");
    let leftovers: Vec<_> = std::fs::read_dir(inside("/tmp"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".hoody-remote"))
        .collect();
    assert!(leftovers.is_empty(), "the temporary configurations are removed");
    dav.kill().unwrap();
    let _ = dav.wait();
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
