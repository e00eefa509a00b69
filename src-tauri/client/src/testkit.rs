//! For tests and benchmarks of other crates: a `hoodyd serve` of the workspace's own build on
//! loopback, with the busybox test image imported, as a remote endpoint to talk to.

use crate::HoodyClient;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `hoodyd serve` on 127.0.0.1 (killed when dropped).
#[derive(Debug)]
pub struct Hoodyd {
    child: Child,
    /// Its origin, `http://127.0.0.1:PORT`.
    pub origin: String,
    /// Its admin token.
    pub token: String,
}

impl Hoodyd {
    /// `target/debug/hoodyd` of this workspace (built by `cargo test --workspace`).
    pub fn binary() -> PathBuf {
        let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/hoodyd");
        assert!(bin.exists(), "{} is missing: cargo build -p hoodyd", bin.display());
        bin
    }

    /// Starts one on `data` after importing `busybox/1` from `busybox_tarball`.
    pub fn start(data: &Path, busybox_tarball: &Path) -> Self {
        let imported = Command::new(Self::binary())
            .args(["image", "import", "busybox/1"])
            .arg(busybox_tarball)
            .arg("--data-dir")
            .arg(data)
            .stdout(Stdio::null())
            .status();
        assert!(imported.expect("hoodyd runs").success(), "hoodyd image import failed");
        Self::serve(data)
    }

    /// Starts one on `data` as it is.
    pub fn serve(data: &Path) -> Self {
        let mut child = Command::new(Self::binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .env("HOODY_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .expect("hoodyd starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).expect("hoodyd prints its address");
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("hoodyd's address");
        let origin = url.trim_end_matches('/').trim_end_matches("/api/v1").to_owned();
        let token = std::fs::read_to_string(data.join("admin.token")).expect("the admin token").trim().to_owned();
        Self { child, origin, token }
    }

    pub fn client(&self) -> HoodyClient {
        HoodyClient::new(&self.origin, Some(self.token.clone()))
    }
}

impl Drop for Hoodyd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
