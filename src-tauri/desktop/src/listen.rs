//! Loopback listeners at their usual ports, or a free one when that port is taken (a hoodyd or
//! a second desktop may hold it): the app still starts, and logs where it listens.

use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Binds `addr`, else a free port on its address; `what` names the listener in the log.
pub(crate) async fn bind_or_free_port(addr: SocketAddr, what: &str) -> std::io::Result<TcpListener> {
    match TcpListener::bind(addr).await {
        Ok(listener) => Ok(listener),
        Err(e) => {
            tracing::warn!("{addr} is taken ({e}); {what} takes a free port");
            TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await
        }
    }
}
