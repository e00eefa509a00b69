//! Reaching a port (or an abstract socket) inside a container without giving it a routable
//! address. A socket belongs to the network namespace it was made in, wherever it is used
//! afterwards: so a socket maker joins the namespace of the container's init (once: joining
//! costs far more than connecting) and makes unconnected sockets ahead of need, and a connect
//! takes a spare one and connects it to 127.0.0.1:PORT from the async runtime, with no
//! hand-off between threads. The maker is a `hoody-enter join --sockets` process, which holds
//! the container's rights and no more (the engine itself may not enter the namespace: a
//! rootless one cannot); a helper thread per namespace talks to it.
//!
//! The maker and the spare sockets keep the namespace alive, so both go after [`IDLE`]
//! without a connect (a stopped container's namespace is then freed).

use rustix::fd::{AsFd, OwnedFd};
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
    /// No spare socket was left (or another kind is wanted): make one now (then refill).
    Make(Kind, Reply),
    /// Spare sockets are running low.
    Refill,
}

/// The kinds of socket the maker makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// TCP over IPv4 (spare ones are kept).
    Tcp,
    /// A unix stream socket (for abstract socket names, which a network namespace scopes).
    Unix,
}

impl Kind {
    fn request(self) -> u8 {
        match self {
            Self::Tcp => b'4',
            Self::Unix => b'u',
        }
    }
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
    let ns_path = hoody_runtime::procfs::net_namespace(pid);
    let inode = std::fs::metadata(&ns_path)?.ino();
    let socket = match take_socket(inode, pid, Kind::Tcp)? {
        Ok(socket) => socket,
        Err(made) => made.await.map_err(|_| io::Error::other("the namespace helper thread died"))??,
    };
    rustix::fs::fcntl_setfl(&socket, rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::RDWR)?;
    let socket = tokio::net::TcpSocket::from_std_stream(std::net::TcpStream::from(socket));
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port))))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connecting inside the container timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Connects to the abstract unix socket `name` (without its leading NUL) in the network
/// namespace of host process `pid`: an X server's `@/tmp/.X11-unix/XN`, say.
pub async fn connect_abstract(pid: u32, name: &str) -> io::Result<tokio::net::UnixStream> {
    let inode = std::fs::metadata(hoody_runtime::procfs::net_namespace(pid))?.ino();
    let socket = match take_socket(inode, pid, Kind::Unix)? {
        Ok(socket) => socket,
        Err(made) => made.await.map_err(|_| io::Error::other("the namespace helper thread died"))??,
    };
    let address = rustix::net::SocketAddrUnix::new_abstract_name(name.as_bytes())?;
    rustix::net::connect(&socket, &address)?; // a unix connect completes at once or fails
    let stream = std::os::unix::net::UnixStream::from(socket);
    stream.set_nonblocking(true)?;
    tokio::net::UnixStream::from_std(stream)
}

/// A spare socket of the namespace, or the answer of its helper making one.
fn take_socket(
    inode: u64,
    pid: u32,
    kind: Kind,
) -> io::Result<Result<OwnedFd, tokio::sync::oneshot::Receiver<io::Result<OwnedFd>>>> {
    let mut namespaces = namespaces().lock().expect("namespaces lock");
    let ns = match namespaces.entry(inode) {
        Entry::Occupied(ns) => ns.into_mut(),
        Entry::Vacant(vacant) => {
            let (helper, requests) = mpsc::channel();
            std::thread::spawn(move || serve(pid, inode, requests));
            vacant.insert(Namespace { helper, spare: Vec::new(), refill_asked: false, last_used: Instant::now() })
        }
    };
    ns.last_used = Instant::now();
    if let Some(socket) = ns.spare.pop().filter(|_| kind == Kind::Tcp) {
        if ns.spare.len() < SPARE / 2 && !ns.refill_asked {
            ns.refill_asked = ns.helper.send(Request::Refill).is_ok();
        }
        return Ok(Ok(socket));
    }
    let (reply, made) = tokio::sync::oneshot::channel();
    if ns.helper.send(Request::Make(kind, reply)).is_err() {
        namespaces.remove(&inode);
        return Err(io::Error::other("the namespace helper thread died"));
    }
    Ok(Err(made))
}

/// The helper thread of one namespace: start its socket maker, then have it make sockets on
/// request until idle.
fn serve(pid: u32, inode: u64, requests: mpsc::Receiver<Request>) {
    let maker = Maker::start(pid);
    let make = |kind: Kind| match &maker {
        Ok(maker) => maker.make(kind),
        Err(e) => Err(io::Error::new(e.kind(), format!("cannot enter the container's network: {e}"))),
    };
    let refill = || {
        let wanted = namespaces().lock().expect("namespaces lock").get(&inode).map_or(0, |ns| SPARE - ns.spare.len());
        let made: Vec<OwnedFd> = (0..wanted).map_while(|_| make(Kind::Tcp).ok()).collect();
        if let Some(ns) = namespaces().lock().expect("namespaces lock").get_mut(&inode) {
            ns.spare.extend(made);
            ns.refill_asked = false;
        }
    };
    loop {
        match requests.recv_timeout(IDLE) {
            Ok(Request::Make(kind, reply)) => {
                let _ = reply.send(make(kind));
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
                    if let Request::Make(kind, reply) = request {
                        let _ = reply.send(make(kind));
                    }
                }
                namespaces.remove(&inode);
                return;
            }
        }
    }
}

/// A `hoody-enter join --sockets` process in a container's network namespace and the unix
/// socket its requests and sockets go over.
struct Maker {
    child: Mutex<std::process::Child>,
    control: std::os::unix::net::UnixStream,
}

impl Maker {
    fn start(pid: u32) -> io::Result<Self> {
        let (control, theirs) = std::os::unix::net::UnixStream::pair()?;
        let mut command = crate::enter::contained(pid)?.into_std();
        let child = command
            .arg("--sockets")
            .stdin(std::process::Stdio::from(OwnedFd::from(theirs)))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        Ok(Self { child: Mutex::new(child), control })
    }

    /// Asks for one socket of `kind` and receives it.
    fn make(&self, kind: Kind) -> io::Result<OwnedFd> {
        use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
        rustix::io::write(self.control.as_fd(), &[kind.request()]).map_err(|e| self.failed(e.into()))?;
        let mut answer = [0u8; 5];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut ancillary = RecvAncillaryBuffer::new(&mut space);
        let got = rustix::net::recvmsg(
            self.control.as_fd(),
            &mut [io::IoSliceMut::new(&mut answer)],
            &mut ancillary,
            RecvFlags::CMSG_CLOEXEC,
        )
        .map_err(|e| self.failed(e.into()))?;
        let mut fds = ancillary.drain().filter_map(|message| match message {
            RecvAncillaryMessage::ScmRights(fds) => Some(fds),
            _ => None,
        });
        match (got.bytes, answer[0]) {
            (0, _) => Err(self.failed(io::Error::from(io::ErrorKind::UnexpectedEof))),
            (_, b'+') => fds.next().and_then(|mut fds| fds.next()).ok_or_else(|| io::Error::other("no socket came")),
            (5, b'-') => {
                Err(io::Error::from_raw_os_error(
                    u32::from_le_bytes([answer[1], answer[2], answer[3], answer[4]]) as i32
                ))
            }
            _ => Err(io::Error::other("the socket maker answered something unexpected")),
        }
    }

    /// The maker's own reason when it is gone (it could not join, say), else `e`.
    fn failed(&self, e: io::Error) -> io::Error {
        use std::io::Read;
        let mut why = String::new();
        let mut child = self.child.lock().expect("maker lock");
        if matches!(child.try_wait(), Ok(Some(_)))
            && let Some(stderr) = child.stderr.as_mut()
        {
            let _ = stderr.take(hoody_runtime::bounded::STDERR_KEPT as u64).read_to_string(&mut why);
        }
        match why.trim() {
            "" => e,
            why => io::Error::new(e.kind(), why.to_owned()),
        }
    }
}

impl Drop for Maker {
    /// Closing the control socket ends the maker; it is reaped here.
    fn drop(&mut self) {
        let _ = self.control.shutdown(std::net::Shutdown::Both);
        let child = self.child.get_mut().expect("maker lock");
        let _ = child.kill();
        let _ = child.wait();
    }
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
        let inode = std::fs::metadata(hoody_runtime::procfs::net_namespace(pid)).unwrap().ino();
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
