//! A minimal system-container image for tests and benchmarks: the host's static busybox
//! (Debian's `busybox-static`) as init and userland, with an rc script that starts a small web
//! server on port 8080 so there is a process and a listening port to see.

use crate::error::{Result, RuntimeError};
use crate::images::run;
use std::path::{Path, PathBuf};
use std::process::Command;

const BUSYBOX: &str = "/bin/busybox";

const INITTAB: &str = "::sysinit:/etc/init.d/rcS\n::shutdown:/bin/sync\n";
const RCS: &str =
    "#!/bin/sh\nmkdir -p /var/www\necho hello from $(hostname) > /var/www/index.html\nhttpd -p 8080 -h /var/www\n";

/// The busybox image tarball, made once per process (in a directory that lives as long).
pub fn shared_busybox_tarball() -> &'static Path {
    static TARBALL: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &TARBALL
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("a directory for the busybox image");
            let tarball = busybox_tarball(dir.path()).expect("the busybox image");
            (dir, tarball)
        })
        .1
}

/// Writes `busybox.tar` into `dir` and returns its path.
pub fn busybox_tarball(dir: &Path) -> Result<PathBuf> {
    let meta = std::fs::metadata(BUSYBOX)
        .map_err(|_| RuntimeError::Unavailable(format!("{BUSYBOX} is missing (apt-get install busybox-static)")))?;
    if meta.len() < 500_000 {
        return Err(RuntimeError::Unavailable(format!(
            "{BUSYBOX} is not the static build (apt-get install busybox-static)"
        )));
    }
    let root = dir.join("busybox-rootfs");
    let io = |e| RuntimeError::io("making the busybox image", e);
    for d in ["bin", "sbin", "etc/init.d", "proc", "sys", "dev", "tmp", "run", "root", "var"] {
        std::fs::create_dir_all(root.join(d)).map_err(io)?;
    }
    // The host's busybox lists its applets; running the fresh copy instead can fail with
    // ETXTBSY when another thread forks while the copy's write handle is still open.
    run(Command::new(BUSYBOX).arg("--install").arg("-s").arg(root.join("bin")))?;
    // Never copy through a link --install may have made to the host's binary.
    let _ = std::fs::remove_file(root.join("bin/busybox"));
    std::fs::copy(BUSYBOX, root.join("bin/busybox")).map_err(io)?;
    // `--install -s` links to the host's path; inside the container the binary is /bin/busybox.
    for entry in std::fs::read_dir(root.join("bin")).map_err(io)?.flatten() {
        if entry.file_name() != "busybox" {
            std::fs::remove_file(entry.path()).map_err(io)?;
            std::os::unix::fs::symlink("busybox", entry.path()).map_err(io)?;
        }
    }
    std::os::unix::fs::symlink("/bin/busybox", root.join("sbin/init")).map_err(io)?;
    std::fs::write(root.join("etc/inittab"), INITTAB).map_err(io)?;
    std::fs::write(root.join("etc/init.d/rcS"), RCS).map_err(io)?;
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").map_err(io)?;
    std::fs::write(root.join("etc/group"), "root:x:0:\n").map_err(io)?;
    run(Command::new("chmod").arg("755").arg(root.join("etc/init.d/rcS")))?;
    let tarball = dir.join("busybox.tar");
    run(Command::new("tar").arg("--numeric-owner").arg("-C").arg(&root).arg("-cf").arg(&tarball).arg("."))?;
    std::fs::remove_dir_all(&root).map_err(io)?;
    Ok(tarball)
}

/// Takes away from a container what a host reboot would (for tests that simulate one, after
/// killing its init): its root and ramdisk mounts and its empty cgroups.
pub fn unmount_after_reboot(runtime: &crate::LocalRuntime, id: &hoody_model::ContainerId) {
    let slot = runtime.slot(id);
    let _ = crate::mounts::unmount(&runtime.layout().slot(&slot).join("rootfs"));
    let _ = crate::mounts::unmount(&runtime.layout().ramdisk(&slot));
    crate::info::remove_leftover_cgroups(&runtime.config.cgroup_parent, &slot);
}

/// Removes every container of `runtime` — processes, mounts, cgroups, ramdisks, files — and
/// its directory under /run: what a test's engine still runs when the test ends.
pub async fn remove_everything(runtime: &crate::LocalRuntime) -> Result<()> {
    if let Ok(entries) = std::fs::read_dir(runtime.layout().containers()) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                let _ = std::fs::remove_file(entry.path()); // a claimed container's link to its slot
                continue;
            }
            runtime.remove_slot(&entry.file_name().to_string_lossy()).await?;
        }
    }
    let _ = std::fs::remove_dir_all(runtime.layout().run_dir());
    Ok(())
}

/// A simplestreams tree like the LXC image servers publish, made from the busybox image:
/// `streams/v1/index.json`, `streams/v1/images.json`, and per version an `incus.tar.xz`
/// (metadata) and a `root.tar.xz` (rootfs). Returns the combined fingerprint of the newest
/// version of `busybox/1.36`.
pub fn simplestreams_tree(root: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let io = |e| RuntimeError::io("making the simplestreams tree", e);
    let work = root.join(".work");
    std::fs::create_dir_all(&work).map_err(io)?;
    let tarball = busybox_tarball(&work)?;
    let mut products = serde_json::Map::new();
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let mut newest = String::new();
    for version in ["20261101_00:00", "20261128_00:00"] {
        let rel = format!("images/busybox/1.36/{arch}/default/{version}");
        let dir = root.join(&rel);
        std::fs::create_dir_all(&dir).map_err(io)?;
        let meta_dir = work.join(version);
        std::fs::create_dir_all(&meta_dir).map_err(io)?;
        let yaml = format!(
            "architecture: {}\ncreation_date: 0\nproperties:\n  os: busybox\n  release: \"1.36\"\n  serial: \"{version}\"\n",
            std::env::consts::ARCH
        );
        std::fs::write(meta_dir.join("metadata.yaml"), yaml).map_err(io)?;
        run(Command::new("tar")
            .arg("-cJf")
            .arg(dir.join("incus.tar.xz"))
            .arg("-C")
            .arg(&meta_dir)
            .arg("metadata.yaml"))?;
        run(Command::new("sh").arg("-c").arg(format!(
            "xz -T1 -c '{}' > '{}'",
            tarball.display(),
            dir.join("root.tar.xz").display()
        )))?;
        let meta = std::fs::read(dir.join("incus.tar.xz")).map_err(io)?;
        let rootfs = std::fs::read(dir.join("root.tar.xz")).map_err(io)?;
        let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
        let combined = hex::encode(Sha256::new().chain_update(&meta).chain_update(&rootfs).finalize());
        let items = serde_json::json!({
            "incus.tar.xz": {"ftype": "incus.tar.xz", "path": format!("{rel}/incus.tar.xz"), "sha256": sha(&meta),
                "size": meta.len(), "combined_rootxz_sha256": combined, "combined_sha256": combined},
            "root.tar.xz": {"ftype": "root.tar.xz", "path": format!("{rel}/root.tar.xz"), "sha256": sha(&rootfs),
                "size": rootfs.len()},
        });
        products.entry(format!("busybox:1.36:{arch}:default")).or_insert_with(|| {
            serde_json::json!({
                "aliases": "busybox/1.36/default,busybox/1.36", "arch": arch, "os": "BusyBox", "release": "1.36",
                "release_title": "1.36", "variant": "default", "versions": {}
            })
        })["versions"][version] = serde_json::json!({ "items": items });
        newest = combined;
    }
    let streams = root.join("streams/v1");
    std::fs::create_dir_all(&streams).map_err(io)?;
    let images = serde_json::json!({"content_id": "images", "datatype": "image-downloads", "format": "products:1.0", "products": products});
    std::fs::write(streams.join("images.json"), images.to_string()).map_err(io)?;
    let index = serde_json::json!({"format": "index:1.0", "index": {"images": {"datatype": "image-downloads",
        "path": "streams/v1/images.json", "format": "products:1.0", "products": []}}});
    std::fs::write(streams.join("index.json"), index.to_string()).map_err(io)?;
    std::fs::remove_dir_all(&work).map_err(io)?;
    Ok(newest)
}

/// Serves the files under `root` over HTTP on 127.0.0.1 (a thread per request, GET only);
/// returns the base URL. Lives until the process ends.
pub fn serve_files(root: &Path) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let url = format!("http://{}", listener.local_addr().expect("local addr"));
    let root = root.to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                let _ = reader.read_line(&mut request);
                let path = request.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_owned();
                let file =
                    (!path.split('/').any(|p| p == "..")).then(|| std::fs::read(root.join(&path)).ok()).flatten();
                let mut out = &stream;
                let _ = match file {
                    Some(body) => out
                        .write_all(format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes())
                        .and_then(|()| out.write_all(&body)),
                    None => out.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
                };
            });
        }
    });
    url
}
