use hoody_runtime::{ImageServer, ImageStore, Progress, RuntimeError};

struct Tree {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    url: String,
    fingerprint: String,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    let fingerprint = hoody_runtime::testkit::simplestreams_tree(&root).unwrap();
    let url = hoody_runtime::testkit::serve_files(&root);
    Tree { _dir: dir, root, url, fingerprint }
}

fn store() -> (tempfile::TempDir, ImageStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = ImageStore::at(&dir.path().canonicalize().unwrap());
    (dir, store)
}

#[tokio::test]
async fn pulls_the_newest_version_verifying_every_file() {
    let t = tree();
    let (_dir, store) = store();
    let server = ImageServer::new(&t.url).unwrap();
    let remote = server.find("busybox/1.36").await.unwrap();
    assert_eq!((remote.version.as_str(), remote.fingerprint.as_str()), ("20261128_00:00", t.fingerprint.as_str()));

    let mut seen: Vec<Progress> = Vec::new();
    let image = server.pull(&store, "busybox/1.36", |p| seen.push(p)).await.unwrap();
    assert_eq!(image.fingerprint, t.fingerprint, "the store keys the image by its combined fingerprint");
    assert_eq!((image.os.as_str(), image.release.as_str()), ("busybox", "1.36"));
    assert!(store.rootfs(&image.fingerprint).join("bin/busybox").is_file());
    let last = seen.iter().rfind(|p| p.file == "rootfs").unwrap();
    assert_eq!(last.done, last.total);
    assert!(seen.iter().any(|p| p.file == "metadata"));

    // Pulling again finds the image in the store and downloads nothing.
    let mut again = 0;
    server.pull(&store, "busybox/1.36", |_| again += 1).await.unwrap();
    assert_eq!(again, 0);
}

#[tokio::test]
async fn a_tampered_file_is_refused_and_nothing_is_imported() {
    let t = tree();
    let (dir, store) = store();
    let version = t.root.join("images/busybox/1.36").read_dir().unwrap().next().unwrap().unwrap().path();
    let rootfs = version.join("default/20261128_00:00/root.tar.xz");
    let mut bytes = std::fs::read(&rootfs).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&rootfs, bytes).unwrap();

    let e = ImageServer::new(&t.url).unwrap().pull(&store, "busybox/1.36", |_| {}).await.unwrap_err();
    assert!(matches!(&e, RuntimeError::Invalid(m) if m.contains("does not match the server's listing")), "{e}");
    assert!(store.list().unwrap().is_empty());
    let staging = dir.path().join("runtime/staging");
    assert_eq!(staging.read_dir().map(|d| d.count()).unwrap_or(0), 0, "nothing left in staging");
}

#[tokio::test]
async fn unknown_aliases_and_unreachable_servers_say_so() {
    let t = tree();
    let server = ImageServer::new(&t.url).unwrap();
    let e = server.find("debian/13").await.unwrap_err();
    assert!(matches!(&e, RuntimeError::UnknownImage(m) if m.contains("has no debian/13")), "{e}");
    let nowhere = ImageServer::new("http://127.0.0.1:9").unwrap();
    let e = nowhere.find("busybox/1.36").await.unwrap_err();
    assert!(e.to_string().contains("cannot read http://127.0.0.1:9/streams/v1/index.json"), "{e}");
}
