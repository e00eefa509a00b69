//! Reaching a port inside a container without giving it a routable address: a helper thread
//! joins the network namespace of the container's init, connects to 127.0.0.1:PORT there, and
//! ends; the socket stays in the container's namespace and is used from the async runtime.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to 127.0.0.1:`port` in the network namespace of host process `pid`.
pub async fn connect(pid: u32, port: u16) -> io::Result<tokio::net::TcpStream> {
    let ns = std::fs::File::open(format!("/proc/{pid}/ns/net"))?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    // setns changes only the calling thread, which is why this runs on a thread of its own.
    std::thread::spawn(move || {
        let result = (|| {
            use rustix::fd::AsFd;
            rustix::thread::move_into_link_name_space(ns.as_fd(), Some(rustix::thread::LinkNameSpaceType::Network))?;
            let stream = TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), CONNECT_TIMEOUT)?;
            stream.set_nodelay(true)?;
            stream.set_nonblocking(true)?;
            Ok::<_, io::Error>(stream)
        })();
        let _ = tx.send(result);
    });
    let stream = rx.await.map_err(|_| io::Error::other("the namespace helper thread died"))??;
    tokio::net::TcpStream::from_std(stream)
}
