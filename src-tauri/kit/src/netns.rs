//! Reaching a port inside a container without giving it a routable address: a helper thread
//! joins the network namespace of the container's init and connects to 127.0.0.1:PORT there;
//! the socket stays in the container's namespace and is used from the async runtime.
//!
//! Joining a namespace costs milliseconds, connecting from inside it microseconds, so each
//! namespace keeps one helper thread while it is in use; the thread ends after
//! [`IDLE`] without requests (it would otherwise keep a stopped container's namespace alive).

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const IDLE: Duration = Duration::from_secs(5);

type Reply = tokio::sync::oneshot::Sender<io::Result<TcpStream>>;
/// The way to a helper thread: a port to connect to, and where to send the socket.
type Helper = mpsc::Sender<(u16, Reply)>;

/// Helper threads by network namespace inode.
fn helpers() -> &'static Mutex<HashMap<u64, Helper>> {
    static HELPERS: OnceLock<Mutex<HashMap<u64, Helper>>> = OnceLock::new();
    HELPERS.get_or_init(Mutex::default)
}

/// Connects to 127.0.0.1:`port` in the network namespace of host process `pid`.
pub async fn connect(pid: u32, port: u16) -> io::Result<tokio::net::TcpStream> {
    let ns_path = format!("/proc/{pid}/ns/net");
    let inode = std::fs::metadata(&ns_path)?.ino();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut request = Some((port, tx));
    {
        let mut helpers = helpers().lock().expect("helpers lock");
        if let Some(helper) = helpers.get(&inode) {
            // A helper that has just ended gives the request back; a new one takes it.
            match helper.send(request.take().expect("request")) {
                Ok(()) => {}
                Err(mpsc::SendError(back)) => request = Some(back),
            }
        }
        if let Some(request) = request {
            let ns = std::fs::File::open(&ns_path)?;
            let (helper, requests) = mpsc::channel();
            helper.send(request).expect("a fresh channel takes a message");
            helpers.insert(inode, helper);
            std::thread::spawn(move || serve(ns, inode, requests));
        }
    }
    let stream = rx.await.map_err(|_| io::Error::other("the namespace helper thread died"))??;
    tokio::net::TcpStream::from_std(stream)
}

/// The helper thread of one namespace: join it once, then connect on request until idle.
fn serve(ns: std::fs::File, inode: u64, requests: mpsc::Receiver<(u16, Reply)>) {
    use rustix::fd::AsFd;
    let joined =
        rustix::thread::move_into_link_name_space(ns.as_fd(), Some(rustix::thread::LinkNameSpaceType::Network));
    drop(ns);
    loop {
        match requests.recv_timeout(IDLE) {
            Ok((port, reply)) => {
                let result = match &joined {
                    Ok(()) => connect_here(port),
                    Err(e) => Err(io::Error::from(*e)),
                };
                let _ = reply.send(result);
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                let mut helpers = helpers().lock().expect("helpers lock");
                // Requests that arrived while we timed out are still served.
                if let Ok((port, reply)) = requests.try_recv() {
                    drop(helpers);
                    let _ =
                        reply.send(joined.as_ref().map_err(|e| io::Error::from(*e)).and_then(|()| connect_here(port)));
                    continue;
                }
                helpers.remove(&inode);
                return;
            }
        }
    }
}

fn connect_here(port: u16) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), CONNECT_TIMEOUT)?;
    stream.set_nodelay(true)?;
    stream.set_nonblocking(true)?;
    Ok(stream)
}
