//! What the end-to-end suites share: where the workspace and its built programs are.

use std::path::{Path, PathBuf};

/// The workspace's root directory.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `target/debug/NAME`, the workspace's own build of a program (`cargo test --workspace` builds
/// it through its crate's tests).
pub fn program(name: &str) -> PathBuf {
    let path = root().join("target/debug").join(name);
    assert!(path.exists(), "{} is missing: cargo build -p {name}", path.display());
    path
}

/// tauri-driver (WebDriver for the app's window, with Debian's WebKitWebDriver): on PATH, or
/// where `.ci/install-deps` put it (`cargo install tauri-driver`).
pub fn tauri_driver() -> PathBuf {
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo/bin/tauri-driver");
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("tauri-driver"))
        .chain([home])
        .find(|p| p.exists());
    found.expect("tauri-driver is missing: run .ci/install-deps (cargo install tauri-driver)")
}

/// Where the suites' screenshots go: `target/screenshots` (made when missing).
pub fn screenshots() -> String {
    let dir = root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots can be made");
    dir.display().to_string()
}

/// Runs the browser spec `tests/browser/SPEC` with node and `args`; answers what it printed,
/// once it succeeded (a failure panics with its output).
pub async fn browser_spec(spec: &str, args: &[&str]) -> String {
    let out = tokio::process::Command::new("node")
        .arg(root().join("tests/browser").join(spec))
        .args(args)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{spec} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// A network the test makes for what containers reach outside: a network namespace of its own
/// (`ip netns`) with one address of its own, where [`OutsideNetwork::http_server`] listens and
/// where the engine's network helpers leave from ([`OutsideNetwork::netns`], given to `hoodyd
/// --egress-netns`). A container's outbound connections so end in this namespace: tests touch
/// no address but loopback and their own namespaces. Root only.
#[derive(Debug)]
pub struct OutsideNetwork {
    name: String,
    /// The servers' address in the namespace.
    pub address: std::net::Ipv4Addr,
    /// A process that stays in the namespace: it is entered through its /proc entry (the bind
    /// mount `ip netns` makes under /run is not seen from every mount namespace).
    keeper: std::process::Child,
}

impl OutsideNetwork {
    pub fn make() -> Self {
        let name =
            format!("hoody-out-{}-{}", std::process::id(), NEXT_NET.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let ip = |args: &[&str]| {
            let out = std::process::Command::new("ip").args(args).output().expect("ip runs");
            assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        ip(&["netns", "add", &name]);
        let address = std::net::Ipv4Addr::new(10, 213, 0, 1);
        // On its loopback interface: a kernel without the dummy or veth modules has that too.
        for line in [vec!["link", "set", "lo", "up"], vec!["addr", "add", "10.213.0.1/32", "dev", "lo"]] {
            ip(&[&["-n", name.as_str()], line.as_slice()].concat());
        }
        let keeper = std::process::Command::new("ip")
            .args(["netns", "exec", &name, "sleep", "infinity"])
            .spawn()
            .expect("a process in the namespace");
        // It is there once `ip` has entered it and become `sleep`.
        let entered = || {
            let comm = std::fs::read_to_string(format!("/proc/{}/comm", keeper.id())).unwrap_or_default();
            let net = std::fs::read_link(format!("/proc/{}/ns/net", keeper.id())).ok();
            comm.trim() == "sleep" && net != std::fs::read_link("/proc/self/ns/net").ok()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !entered() {
            assert!(std::time::Instant::now() < deadline, "ip netns exec did not enter {name}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        Self { name, address, keeper }
    }

    /// The namespace's path, for `hoodyd serve --egress-netns`.
    pub fn netns(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/ns/net", self.keeper.id()))
    }

    /// `program` run in the namespace.
    pub fn command(&self, program: &str) -> std::process::Command {
        let mut command = std::process::Command::new("sh");
        command.args(["-c", &format!("exec {} \"$0\" \"$@\"", self.enter()), program]);
        command
    }

    /// `nsenter …`, the words that run a program in the namespace from a script.
    pub fn enter(&self) -> String {
        format!("nsenter --net={} --", self.netns().display())
    }

    /// Runs `serve` on a thread of its own in the namespace (threads it starts are there too).
    pub fn spawn_inside(&self, serve: impl FnOnce() + Send + 'static) {
        use std::os::fd::AsRawFd;
        let netns = std::fs::File::open(self.netns()).expect("the namespace");
        std::thread::spawn(move || {
            #[allow(unsafe_code)]
            // SAFETY: setns on this thread, with a descriptor that stays open for the call.
            let entered = unsafe { libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(entered, 0, "setns: {}", std::io::Error::last_os_error());
            serve();
        });
    }

    /// An HTTP server in the namespace, on all its addresses (its own [`Self::address`] and its
    /// loopback), answering `body` to any request; its port.
    pub fn http_server(&self, body: &'static str) -> u16 {
        use std::io::{Read, Write};
        let (tx, rx) = std::sync::mpsc::channel();
        self.spawn_inside(move || {
            let listener = std::net::TcpListener::bind(("0.0.0.0", 0)).expect("a port in the namespace");
            tx.send(listener.local_addr().expect("its address").port()).unwrap();
            for mut stream in listener.incoming().flatten() {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body.as_bytes());
            }
        });
        rx.recv().expect("the server listens")
    }
}

impl Drop for OutsideNetwork {
    fn drop(&mut self) {
        let _ = self.keeper.kill();
        let _ = self.keeper.wait();
        let _ = std::process::Command::new("ip").args(["netns", "del", &self.name]).status();
    }
}

static NEXT_NET: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
