//! The web pages of the kit and the npm packages they run on (xterm.js), built into the
//! binary so a server needs nothing beside it. `build.rs` checks that `ui/node_modules`
//! holds them (`npm ci --prefix ui`, which `.ci/install-deps` runs).

use crate::error::refuse;
use crate::proxy::{Body, with_type};
use bytes::Bytes;
use hyper::{Response, StatusCode};

macro_rules! npm {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/node_modules/", $path))
    };
}

const TERMINAL_PAGE: &str = include_str!("../pages/terminal.html");
const DISPLAY_PAGE: &str = include_str!("../pages/display.html");
/// noVNC's ES modules, served as they are (`core/rfb.js` and what it imports).
static NOVNC: include_dir::Dir<'_> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../ui/node_modules/@novnc/novnc");

/// `GET /` and `GET /assets/…` of a terminal service; the page opens session `n`.
pub fn terminal_page(path: &str, n: u16) -> Response<Body> {
    let (bytes, content_type): (Bytes, &'static str) = match path {
        "/" => (Bytes::from(TERMINAL_PAGE.replace("__SESSION__", &n.to_string())), "text/html; charset=utf-8"),
        "/assets/xterm.js" => (Bytes::from_static(npm!("@xterm/xterm/lib/xterm.js")), JS),
        "/assets/xterm.css" => (Bytes::from_static(npm!("@xterm/xterm/css/xterm.css")), "text/css"),
        "/assets/addon-fit.js" => (Bytes::from_static(npm!("@xterm/addon-fit/lib/addon-fit.js")), JS),
        _ => return refuse(StatusCode::NOT_FOUND, &format!("no asset {path}")),
    };
    with_type(StatusCode::OK, bytes, content_type)
}

/// `GET /` and `GET /assets/…` of a display service; the page shows display `n`.
pub fn display_page(path: &str, n: u16) -> Response<Body> {
    if path == "/" {
        let page = DISPLAY_PAGE.replace("__DISPLAY__", &n.to_string());
        return with_type(StatusCode::OK, Bytes::from(page), "text/html; charset=utf-8");
    }
    let file = path
        .strip_prefix("/assets/novnc/")
        .filter(|rel| rel.starts_with("core/") || rel.starts_with("vendor/"))
        .and_then(|rel| NOVNC.get_file(rel));
    match file {
        Some(file) if path.ends_with(".js") => with_type(StatusCode::OK, Bytes::from_static(file.contents()), JS),
        _ => refuse(StatusCode::NOT_FOUND, &format!("no asset {path}")),
    }
}

const JS: &str = "text/javascript; charset=utf-8";
