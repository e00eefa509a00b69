//! The Hoody REST API over the engine: paths, fields, status codes and the
//! `{statusCode, message, data}` envelope of the Hoody platform, under `/api/v1`.
//! Handlers parse the request into one engine call and wrap its answer; nothing else.

mod envelope;
mod extract;
pub mod openapi;
mod routes;

pub use envelope::{ApiError, Envelope};

use axum::Router;
use hoody_engine::Engine;
use std::future::Future;
use tokio::net::TcpListener;
use tokio::sync::watch;

#[derive(Clone)]
pub(crate) struct AppState {
    engine: Engine,
    /// Flips to true at shutdown, so long-lived streams (SSE) end and the server can close.
    shutdown: watch::Receiver<bool>,
}

/// The API's router over `engine`. `shutdown` ends the event streams when it flips to true.
pub fn router(engine: Engine, shutdown: watch::Receiver<bool>) -> Router {
    routes::router().with_state(AppState { engine, shutdown })
}

/// Serves the API on `listener` until `signal` resolves, then drains open requests.
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, rx) = watch::channel(false);
    let app = router(engine, rx);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            signal.await;
            let _ = tx.send(true);
        })
        .await
}
