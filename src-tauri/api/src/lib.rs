//! The engine's faces on the network. The Hoody REST API: paths, fields, status codes and
//! the `{statusCode, message, data}` envelope of the Hoody platform, under `/api/v1`, its
//! routes derived from the engine's declaration of the operations. And the kit's service proxy
//! wired to the engine ([`services`]).

mod envelope;
mod extract;
pub mod openapi;
mod routes;
pub mod services;

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
    routes::router(AppState { engine, shutdown })
}

/// Serves the API on `listener` until `signal` resolves, then drains open requests.
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_ui(listener, engine, None, signal).await
}

/// What the web UI's pages may load and run: their own scripts only, so that no text a container
/// or a remote server sends (a name, a log line, a page title) can ever run as script in them
/// (the app's window has the same policy, from src-tauri/app/tauri.conf.json). Service pages show in frames.
pub const UI_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob: http://*.localhost:*; connect-src 'self'; frame-src http://*.localhost:* https:; \
     object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// [`serve`], and the built web UI (`ui/dist`) from `ui_dir` at every path outside the API.
pub async fn serve_with_ui(
    listener: TcpListener,
    engine: Engine,
    ui_dir: Option<&std::path::Path>,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, rx) = watch::channel(false);
    let mut app = router(engine, rx);
    if let Some(dir) = ui_dir {
        let files = tower_http::services::ServeDir::new(dir).append_index_html_on_directories(true);
        let csp = axum::http::HeaderValue::from_static(UI_CONTENT_SECURITY_POLICY);
        let header = axum::http::header::CONTENT_SECURITY_POLICY;
        app = app.fallback_service(tower_http::set_header::SetResponseHeader::overriding(files, header, csp));
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            signal.await;
            let _ = tx.send(true);
        })
        .await
}
