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

/// This host's address on its default route: where a container reaches a server a test runs
/// on this host (bound to every address), since the host's loopback is out of its reach.
pub fn host_address() -> std::net::Ipv4Addr {
    use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
    let routes = std::fs::read_to_string("/proc/net/route").expect("/proc/net/route");
    let gateway = routes
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.get(1) == Some(&"00000000"))
        .and_then(|f| u32::from_str_radix(f[2], 16).ok())
        .map(|g| Ipv4Addr::from(g.to_le_bytes()))
        .expect("the host has a default route");
    // Connecting a UDP socket sends nothing; it picks the source address for the route.
    let probe = UdpSocket::bind("0.0.0.0:0").expect("a UDP socket");
    probe.connect((gateway, 9)).expect("a route to the gateway");
    match probe.local_addr().expect("its address") {
        SocketAddr::V4(a) => *a.ip(),
        SocketAddr::V6(_) => panic!("no IPv4 address on the default route"),
    }
}

/// An HTTP server on every address of this host answering `body` to any request (a container
/// reaches it at [`host_address`]); its port.
pub fn http_server(body: &'static str) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("0.0.0.0:0").expect("a port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    port
}
