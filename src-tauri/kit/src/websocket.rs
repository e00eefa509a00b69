//! Accepting a WebSocket on a request the proxy answers itself (terminal and display).

use crate::error::refuse;
use crate::proxy::{Body, empty};
use hyper::body::Incoming;
use hyper::header::{
    CONNECTION, HeaderValue, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, UPGRADE,
};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// The largest message a client may send (keystrokes and resizes are tiny; VNC input too).
const MAX_MESSAGE: usize = 1 << 20;

/// Answers the upgrade (101) and hands the socket to `serve` once the client switched.
/// Requests that are not WebSocket handshakes get a 400 that says so.
pub fn accept<F, Fut>(mut req: Request<Incoming>, serve: F) -> Response<Body>
where
    F: FnOnce(Socket) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let is_websocket =
        req.headers().get(UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let Some(key) = req.headers().get(SEC_WEBSOCKET_KEY).filter(|_| is_websocket).cloned() else {
        return refuse(StatusCode::BAD_REQUEST, "this address takes a WebSocket connection");
    };
    // noVNC offers "binary"; the answer may only name a protocol the client offered.
    let protocol = req
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|offered| offered.split(',').map(str::trim).find(|p| *p == "binary"))
        .map(|_| HeaderValue::from_static("binary"));
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE));
                serve(WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await).await;
            }
            Err(e) => tracing::debug!("websocket upgrade: {e}"),
        }
    });
    let mut resp = empty(StatusCode::SWITCHING_PROTOCOLS);
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let headers = resp.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(SEC_WEBSOCKET_ACCEPT, HeaderValue::from_str(&accept).expect("base64 is a valid header"));
    if let Some(protocol) = protocol {
        headers.insert(SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    resp
}
