//! Reaching a port inside a container without giving it a routable address. A socket belongs to
//! the network namespace it was made in, wherever it is used afterwards: so a helper thread
//! joins the namespace of the container's init (once: joining costs far more than connecting)
//! and makes unconnected sockets ahead of need, and a connect takes a spare one and connects it
//! to 127.0.0.1:PORT from the async runtime, with no hand-off between threads.
//!
//! The helper thread and its spare sockets keep the namespace alive, so both go after [`IDLE`]
//! without a connect (a stopped container's namespace is then freed).

use rustix::fd::OwnedFd;
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::MetadataExt;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const IDLE: Duration = Duration::from_secs(5);
/// Spare sockets a namespace in use keeps; a refill is asked for below half of it.
const SPARE: usize = 8;

type Reply = tokio::sync::oneshot::Sender<io::Result<OwnedFd>>;

enum Request {
    /// No spare socket was left: make one now (then refill).
    Make(Reply),
    /// Spare sockets are running low.
    Refill,
}

/// A namespace in use: its helper thread and the sockets made there, not yet taken.
struct Namespace {
    helper: mpsc::Sender<Request>,
    spare: Vec<OwnedFd>,
    refill_asked: bool,
    last_used: Instant,
}

/// Namespaces in use by inode. Requests are sent to a helper only under this lock, which its
/// helper also holds while it decides to end: so none is lost.
fn namespaces() -> &'static Mutex<HashMap<u64, Namespace>> {
    static NAMESPACES: OnceLock<Mutex<HashMap<u64, Namespace>>> = OnceLock::new();
    NAMESPACES.get_or_init(Mutex::default)
}

/// Connects to 127.0.0.1:`port` in the network namespace of host process `pid`.
pub async fn connect(pid: u32, port: u16) -> io::Result<tokio::net::TcpStream> {
    let ns_path = format!("/proc/{pid}/ns/net");
    let inode = std::fs::metadata(&ns_path)?.ino();
    let socket = match take_socket(inode, &ns_path)? {
        Ok(socket) => socket,
        Err(made) => made.await.map_err(|_| io::Error::other("the namespace helper thread died"))??,
    };
    let socket = tokio::net::TcpSocket::from_std_stream(std::net::TcpStream::from(socket));
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port))))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connecting inside the container timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A spare socket of the namespace, or the answer of its helper making one.
fn take_socket(
    inode: u64,
    ns_path: &str,
) -> io::Result<Result<OwnedFd, tokio::sync::oneshot::Receiver<io::Result<OwnedFd>>>> {
    let mut namespaces = namespaces().lock().expect("namespaces lock");
    let ns = match namespaces.entry(inode) {
        Entry::Occupied(ns) => ns.into_mut(),
        Entry::Vacant(vacant) => {
            let ns = std::fs::File::open(ns_path)?;
            let (helper, requests) = mpsc::channel();
            std::thread::spawn(move || serve(ns, inode, requests));
            vacant.insert(Namespace { helper, spare: Vec::new(), refill_asked: false, last_used: Instant::now() })
        }
    };
    ns.last_used = Instant::now();
    if let Some(socket) = ns.spare.pop() {
        if ns.spare.len() < SPARE / 2 && !ns.refill_asked {
            ns.refill_asked = ns.helper.send(Request::Refill).is_ok();
        }
        return Ok(Ok(socket));
    }
    let (reply, made) = tokio::sync::oneshot::channel();
    if ns.helper.send(Request::Make(reply)).is_err() {
        namespaces.remove(&inode);
        return Err(io::Error::other("the namespace helper thread died"));
    }
    Ok(Err(made))
}

/// The helper thread of one namespace: join it, then make sockets on request until idle.
fn serve(ns: std::fs::File, inode: u64, requests: mpsc::Receiver<Request>) {
    use rustix::fd::AsFd;
    let joined =
        rustix::thread::move_into_link_name_space(ns.as_fd(), Some(rustix::thread::LinkNameSpaceType::Network))
            .map_err(io::Error::from);
    drop(ns);
    let make = || match &joined {
        Ok(()) => make_socket(),
        Err(e) => Err(io::Error::new(e.kind(), format!("cannot enter the container's network: {e}"))),
    };
    let refill = || {
        let wanted = namespaces().lock().expect("namespaces lock").get(&inode).map_or(0, |ns| SPARE - ns.spare.len());
        let made: Vec<OwnedFd> = (0..wanted).map_while(|_| make().ok()).collect();
        if let Some(ns) = namespaces().lock().expect("namespaces lock").get_mut(&inode) {
            ns.spare.extend(made);
            ns.refill_asked = false;
        }
    };
    loop {
        match requests.recv_timeout(IDLE) {
            Ok(Request::Make(reply)) => {
                let _ = reply.send(make());
                refill();
            }
            Ok(Request::Refill) => refill(),
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {
                let mut namespaces = namespaces().lock().expect("namespaces lock");
                if namespaces.get(&inode).is_some_and(|ns| ns.last_used.elapsed() < IDLE) {
                    continue;
                }
                // Requests sent before the lock was taken are still answered.
                while let Ok(request) = requests.try_recv() {
                    if let Request::Make(reply) = request {
                        let _ = reply.send(make());
                    }
                }
                namespaces.remove(&inode);
                return;
            }
        }
    }
}

/// An unconnected, non-blocking TCP socket in this thread's network namespace.
fn make_socket() -> io::Result<OwnedFd> {
    let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
    Ok(rustix::net::socket_with(AddressFamily::INET, SocketType::STREAM, flags, None)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A network namespace of the test's own (unshare), with busybox httpd on 127.0.0.1:8080.
    struct Namespace(std::process::Child);

    impl Drop for Namespace {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn spare_sockets(inode: u64) -> Option<usize> {
        namespaces().lock().unwrap().get(&inode).map(|ns| ns.spare.len())
    }

    #[tokio::test]
    async fn connects_use_spare_sockets_and_let_the_namespace_go_when_idle() {
        let ns = Namespace(
            std::process::Command::new("unshare")
                .args([
                    "--net",
                    "--",
                    "busybox",
                    "sh",
                    "-c",
                    "ip link set lo up && exec busybox httpd -f -p 127.0.0.1:8080",
                ])
                .spawn()
                .expect("unshare (as root) and busybox"),
        );
        let pid = ns.0.id();
        let inode = std::fs::metadata(format!("/proc/{pid}/ns/net")).unwrap().ino();
        let mut connected = None;
        for _ in 0..200 {
            if let Ok(stream) = connect(pid, 8080).await {
                connected = Some(stream);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await; // until httpd listens
        }
        let stream = connected.expect("httpd in the namespace answers");
        assert_eq!(stream.peer_addr().unwrap(), SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)));
        // More connects than spare sockets: the helper refills as they are taken.
        for _ in 0..3 * SPARE {
            connect(pid, 8080).await.unwrap();
        }
        assert!(spare_sockets(inode).is_some_and(|n| n <= SPARE));
        let refused = connect(pid, 8081).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused, "nothing listens on 8081 there");

        // Idle, the helper ends and closes its spare sockets: the namespace is not kept alive.
        tokio::time::sleep(IDLE).await;
        for _ in 0..100 {
            if spare_sockets(inode).is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the namespace's helper and spare sockets outlived {IDLE:?} of idleness by 10 s");
    }
}
