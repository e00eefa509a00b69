//! Images from a simplestreams server (a real tree served on 127.0.0.1): `hoodyd image pull`,
//! and a create of an image the store lacks pulling it when `--image-server` is set.

use crate::process::Hoodyd;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn images_come_from_a_simplestreams_server() {
    let www = tempfile::tempdir().unwrap();
    let fingerprint = hoody_runtime::testkit::simplestreams_tree(www.path()).unwrap();
    let url = hoody_runtime::testkit::serve_files(www.path());

    // The CLI, on a data directory of its own.
    let other = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(hoody_e2e::program("hoodyd"))
        .args(["image", "pull", "busybox/1.36", "--server", &url, "--data-dir"])
        .arg(other.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("busybox/1.36 {fingerprint}")));
    assert!(String::from_utf8_lossy(&out.stderr).contains("busybox/1.36: rootfs"), "progress is shown");
    // What it made is private from the start: the engine's first start has nothing to repair.
    let mode = |dir: &str| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(other.path().join(dir)).unwrap().permissions())
    };
    assert_eq!((mode("runtime") & 0o777, mode("runtime/images") & 0o777), (0o700, 0o755), "runtime/ and its images");

    // The server pulls on create.
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start_with(dir.path(), &["--image-server", &url]);
    let c = &d.client;
    let r = c.raw(Method::POST, "/projects/", Some(&json!({"alias": "pulls"}))).await.unwrap();
    let project = r.body["data"]["id"].as_str().unwrap().to_owned();
    let mut events = c.events().await.unwrap();
    let body =
        json!({"name": "pulled", "container_image": "busybox/1.36", "server_id": crate::proxy::server_id(c).await});
    let r = c.raw(Method::POST, &format!("/projects/{project}/containers"), Some(&body)).await.unwrap();
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    let mut status = String::new();
    for _ in 0..500 {
        let r = c.raw(Method::GET, &format!("/containers/{id}"), None).await.unwrap();
        status = r.body["data"]["status"].as_str().unwrap().to_owned();
        if status != "creating" {
            assert_eq!(status, "running", "{}", r.body);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, "running");
    // The download was reported as it went: `progress` events of the container being created,
    // ending with the whole rootfs.
    let mut reports = Vec::new();
    while let Ok(Ok(Some(e))) = tokio::time::timeout(std::time::Duration::from_secs(5), events.next()).await {
        if e.container_id.as_str() == id && e.kind == hoody_model::EventKind::Progress {
            assert_eq!(e.to, hoody_model::ContainerStatus::Creating);
            reports.push(e.progress.expect("a progress event says how far"));
        } else if e.container_id.as_str() == id && e.to == hoody_model::ContainerStatus::Running {
            break;
        }
    }
    let last = reports.iter().rfind(|p| p.stage == "downloading busybox/1.36 (rootfs)").expect("rootfs progress");
    assert!(last.total > 0 && last.done == last.total, "{reports:?}");
    let images = c.raw(Method::GET, "/images/public", None).await.unwrap().body;
    assert_eq!(images["data"]["images"][0]["fingerprint"], fingerprint.as_str());
    assert_eq!(c.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

/// The images a server holds and can download, through the API: listed with what the image
/// server offers, downloaded in the background (a failed download says why and can be retried),
/// refused for deletion while a container is made from it, deleted from the disk after.
#[tokio::test]
async fn images_are_listed_pulled_and_deleted_through_the_api() {
    let www = tempfile::tempdir().unwrap();
    let fingerprint = hoody_runtime::testkit::simplestreams_tree(www.path()).unwrap();
    let url = hoody_runtime::testkit::serve_files(www.path());
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start_with(dir.path(), &["--image-server", &url]);
    let c = &d.client;
    let get = |path: &'static str| async move { c.raw(Method::GET, path, None).await.unwrap().body };

    // Offered, not held.
    let public = get("/images/public").await;
    let offered =
        public["data"]["images"].as_array().unwrap().iter().find(|i| i["alias"] == "busybox/1.36").expect("offered");
    assert_eq!(
        (offered["status"].as_str(), offered["fingerprint"].as_str()),
        (Some("available"), Some(fingerprint.as_str()))
    );
    assert!(offered["size_bytes"].as_u64().unwrap() > 0, "{offered}");
    assert_eq!(get("/images/user").await["data"]["images"], json!([]));

    // Refused before anything starts: a malformed alias, one the image server lacks.
    let r = c.raw(Method::POST, "/images/import/busybox", None).await.unwrap();
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_image")), "{}", r.body);
    let r = c.raw(Method::POST, "/images/import/nothing%2F1", None).await.unwrap();
    assert_eq!((r.status, r.body["code"].as_str()), (404, Some("not_found")), "{}", r.body);

    // A download that fails (the rootfs went from the image server) says why; nothing is held.
    let rootfs = walk(www.path()).into_iter().filter(|p| p.ends_with("root.tar.xz")).max().unwrap();
    std::fs::rename(&rootfs, rootfs.with_extension("gone")).unwrap();
    let r = c.raw(Method::POST, "/images/import/busybox%2F1.36", None).await.unwrap();
    assert_eq!((r.status, r.body["data"]["status"].as_str()), (202, Some("downloading")), "{}", r.body);
    let failed = until_image(c, "busybox/1.36", "failed").await;
    assert!(failed["error"].as_str().unwrap().contains("root.tar.xz"), "{failed}");
    assert!(std::fs::read_dir(dir.path().join("runtime/images")).map_or(0, |d| d.count()) <= 1, "only the lock");

    // Retried once the file is back: held, and listed once (held, not offered) by /public.
    std::fs::rename(rootfs.with_extension("gone"), &rootfs).unwrap();
    let r = c.raw(Method::POST, "/images/import/busybox%2F1.36", None).await.unwrap();
    assert_eq!(r.status, 202, "{}", r.body);
    let ready = until_image(c, "busybox/1.36", "ready").await;
    assert_eq!((ready["fingerprint"].as_str(), ready["used_by"].as_u64()), (Some(fingerprint.as_str()), Some(0)));
    let public = get("/images/public").await;
    let listed: Vec<_> =
        public["data"]["images"].as_array().unwrap().iter().filter(|i| i["alias"] == "busybox/1.36").collect();
    assert_eq!((listed.len(), listed[0]["status"].as_str()), (1, Some("ready")), "{public}");

    // In use: refused, naming the container; deleted once the container is.
    let r = c.raw(Method::POST, "/projects/", Some(&json!({"alias": "imgs"}))).await.unwrap();
    let project = r.body["data"]["id"].as_str().unwrap().to_owned();
    let body =
        json!({"name": "uses-it", "container_image": "busybox/1.36", "server_id": crate::proxy::server_id(c).await});
    let r = c.raw(Method::POST, &format!("/projects/{project}/containers"), Some(&body)).await.unwrap();
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(until_image(c, "busybox/1.36", "ready").await["used_by"], 1);
    let r = c.raw(Method::DELETE, "/images/user/busybox%2F1.36", None).await.unwrap();
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("image_in_use")), "{}", r.body);
    assert!(r.body["message"].as_str().unwrap().contains("uses-it"), "{}", r.body);
    assert_eq!(c.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
    let r = c.raw(Method::DELETE, "/images/user/busybox%2F1.36", None).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(get("/images/user").await["data"]["images"], json!([]));
    assert!(!dir.path().join("runtime/images").join(&fingerprint).exists(), "the image's files are gone");
    let r = c.raw(Method::DELETE, "/images/user/busybox%2F1.36", None).await.unwrap();
    assert_eq!(r.status, 404, "{}", r.body);

    // A server without an image server says so.
    let bare_dir = tempfile::tempdir().unwrap();
    let bare = Hoodyd::start_with(bare_dir.path(), &[]);
    let r = bare.client.raw(Method::POST, "/images/import/busybox%2F1.36", None).await.unwrap();
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("no_image_server")), "{}", r.body);
}

/// A tarball on the server imported through the API, by the server's ordinary user: refused
/// at once when the path is not a readable file; a file that is no tarball fails with the
/// reason and leaves nothing; a real one becomes an image containers run from.
#[tokio::test]
async fn images_are_imported_from_a_tarball_on_the_server() {
    let user = hoody_client::testkit::test_user();
    let scratch = user.scratch();
    let data = scratch.0.join("data");
    std::fs::create_dir(&data).unwrap();
    user.give(&data);
    let d = Hoodyd::start_as(user, &data);
    let c = &d.client;
    let import = |alias: &'static str, body: serde_json::Value| async move {
        c.raw(Method::POST, &format!("/images/user/{}", alias.replace('/', "%2F")), Some(&body)).await.unwrap()
    };

    // Refused before anything starts.
    for (body, why) in [
        (json!({"tarball": "rootfs.tar"}), "absolute path"),
        (json!({"tarball": "/nowhere/rootfs.tar"}), "cannot read"),
        (json!({"tarball": scratch.0.to_str().unwrap()}), "not a file"),
        (json!({"tarball": "/x.tar", "compress": true}), "compress"),
    ] {
        let r = import("custom/1", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.body["message"].as_str().unwrap().contains(why), "{body}: {}", r.body);
    }
    let r = c.raw(Method::POST, "/images/user/custom%2F1", None).await.unwrap();
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_request")), "a body is needed: {}", r.body);

    // Not a tarball: failed, with the reason, and nothing left in the store's staging.
    let junk = scratch.0.join("junk.tar");
    std::fs::write(&junk, "this is no tarball").unwrap();
    user.give(&junk);
    let r = import("custom/1", json!({"tarball": junk})).await;
    assert_eq!((r.status, r.body["data"]["status"].as_str()), (202, Some("importing")), "{}", r.body);
    let failed = until_image(c, "custom/1", "failed").await;
    assert_eq!(failed["work"], "import", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("tar"), "{failed}");
    let staging = data.join("runtime/staging");
    assert_eq!(std::fs::read_dir(&staging).map_or(0, |d| d.count()), 0, "nothing staged is left");

    // A real one (the user's copy): held, with the description given, and containers run from it.
    let tarball = scratch.0.join("busybox.tar");
    std::fs::copy(hoody_runtime::testkit::shared_busybox_tarball(), &tarball).unwrap();
    user.give(&tarball);
    let r = import("custom/1", json!({"tarball": tarball, "description": "my busybox"})).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let ready = until_image(c, "custom/1", "ready").await;
    assert_eq!((ready["description"].as_str(), ready.get("work")), (Some("my busybox"), None), "{ready}");
    let r = c.raw(Method::POST, "/projects/", Some(&json!({"alias": "imports"}))).await.unwrap();
    let project = r.body["data"]["id"].as_str().unwrap().to_owned();
    let body =
        json!({"name": "from-import", "container_image": "custom/1", "server_id": crate::proxy::server_id(c).await});
    let r = c.raw(Method::POST, &format!("/projects/{project}/containers"), Some(&body)).await.unwrap();
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(crate::proxy::wait_running(&d, &id).await["status"], "running");
    assert_eq!(c.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

/// debian/13 built on the server by its ordinary user (mmdebstrap in a user namespace, from
/// Debian's mirror, like apt-get): refused at once for an alias it cannot build or a mirror
/// that is no web address, failed with the reason for a mirror that does not answer, then
/// built for real. About a minute.
#[tokio::test]
async fn images_are_built_with_debootstrap_by_the_servers_user() {
    let user = hoody_client::testkit::test_user();
    let scratch = user.scratch();
    let d = Hoodyd::start_as(user, &scratch.0);
    let c = &d.client;
    let build = |alias: &'static str, body: Option<serde_json::Value>| async move {
        c.raw(Method::POST, &format!("/images/build/{}", alias.replace('/', "%2F")), body.as_ref()).await.unwrap()
    };

    let r = build("ubuntu/24.04", None).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_field")), "{}", r.body);
    let r = build("debian/13", Some(json!({"mirror": "ftp.debian.org"}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_field")), "{}", r.body);

    // A mirror nothing answers on (a closed loopback port).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let r = build("debian/13", Some(json!({"mirror": format!("http://{closed}/debian")}))).await;
    assert_eq!((r.status, r.body["data"]["status"].as_str()), (202, Some("building")), "{}", r.body);
    let failed = until_image(c, "debian/13", "failed").await;
    assert_eq!(failed["work"], "build", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("mmdebstrap failed"), "{failed}");

    // Built for real, the build's steps reported as it goes (no body: Debian's own mirror).
    let r = build("debian/13", None).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let steps = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let ready = hoody_client::testkit::eventually("debian/13 built", std::time::Duration::from_secs(600), || async {
        let images = c.raw(Method::GET, "/images/user", None).await.unwrap().body;
        let image = images["data"]["images"].as_array()?.iter().find(|i| i["alias"] == "debian/13")?.clone();
        if let Some(stage) = image["progress"]["stage"].as_str() {
            steps.lock().unwrap().insert(stage.to_owned());
        }
        assert_ne!(image["status"], "failed", "{image}");
        (image["status"] == "ready").then_some(image)
    })
    .await;
    let steps = steps.into_inner().unwrap();
    assert!(steps.iter().any(|s| s.starts_with("building debian/13: downloading packages")), "{steps:?}");
    assert!(ready["description"].as_str().unwrap().starts_with("Debian 13 (trixie)"), "{ready}");
    let rootfs = scratch.0.join("runtime/images").join(ready["fingerprint"].as_str().unwrap()).join("rootfs");
    assert_eq!(std::fs::read_to_string(rootfs.join("etc/hostname")).unwrap(), "debian\n");
    assert!(
        rootfs.join("usr/bin/Xvnc").exists() || rootfs.join("usr/bin/Xtigervnc").exists(),
        "the display's X server"
    );
    // Owned by the containers' root (the user's subordinate range), not by the user or root.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(rootfs.join("etc/passwd")).unwrap().uid(), user.subordinate_base());
}

/// `alias` in `GET /images/user`, once it has `status`.
async fn until_image(c: &hoody_client::HoodyClient, alias: &str, status: &str) -> serde_json::Value {
    hoody_client::testkit::eventually(&format!("{alias} {status}"), std::time::Duration::from_secs(60), || async {
        let images = c.raw(Method::GET, "/images/user", None).await.unwrap().body;
        images["data"]["images"].as_array()?.iter().find(|i| i["alias"] == alias && i["status"] == status).cloned()
    })
    .await
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}
