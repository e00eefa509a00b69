//! A release `hoodyd` for a benchmark: a fresh data directory with the busybox image, served on
//! free loopback ports, its admin token in a client.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct Served {
    pub child: Child,
    pub client: hoody_client::HoodyClient,
    #[allow(dead_code)] // read by the proxy bench, not the soak
    pub proxy_port: u16,
    pub data: PathBuf,
    _dir: tempfile::TempDir,
}

/// Imports busybox/1 into a new data directory and starts `hoodyd serve` on it.
pub fn serve_busybox() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().canonicalize().unwrap();
    let hoodyd = env!("CARGO_BIN_EXE_hoodyd");
    let tarball = hoody_runtime::testkit::busybox_tarball(&data).unwrap();
    let imported =
        Command::new(hoodyd).args(["image", "import", "busybox/1"]).arg(&tarball).arg("--data-dir").arg(&data).status();
    assert!(imported.unwrap().success());
    let mut child = Command::new(hoodyd)
        .args(["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("HOODY_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let api = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let proxy_port = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    let token = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();
    Served { child, client: hoody_client::HoodyClient::new(api, Some(token)), proxy_port, data, _dir: dir }
}
