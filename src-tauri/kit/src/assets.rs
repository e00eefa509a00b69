//! The web pages of the kit and the npm packages they run on (xterm.js, noVNC), built into the
//! binary so a server needs nothing beside it. `build.rs` checks that `ui/node_modules`
//! holds them (`npm ci --prefix ui`, which `.ci/install-deps` runs). Every page is framed in
//! its container's name, project and colour ([`crate::frame`]).

use crate::error::refuse;
use crate::frame::{Identity, framed};
use crate::proxy::{Body, with_type};
use bytes::Bytes;
use hoody_model::services::Service;
use hyper::{Response, StatusCode};

macro_rules! npm {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/node_modules/", $path))
    };
}

const TERMINAL_PAGE: &str = include_str!("../pages/terminal.html");
const DISPLAY_PAGE: &str = include_str!("../pages/display.html");
const EXEC_PAGE: &str = include_str!("../pages/exec.html");
const SQLITE_PAGE: &str = include_str!("../pages/sqlite.html");
const FILES_PAGE: &str = include_str!("../pages/files.html");
/// noVNC's ES modules, served as they are (`core/rfb.js` and what it imports).
static NOVNC: include_dir::Dir<'_> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../ui/node_modules/@novnc/novnc");

/// The answer to a `GET` of `path` on `service` when it is one of the service's pages or their
/// assets; none for anything else (the service's API, exec's scripts).
pub(crate) fn page(service: Service, path: &str, identity: &Identity) -> Option<Response<Body>> {
    let html = |page: String, title: &str| {
        with_type(StatusCode::OK, Bytes::from(framed(&page, identity, title)), "text/html; charset=utf-8")
    };
    Some(match (service, path) {
        (Service::Terminal(n), "/") => {
            html(TERMINAL_PAGE.replace("__SESSION__", &n.to_string()), &format!("Terminal {n}"))
        }
        (Service::Terminal(_), asset) if asset.starts_with("/assets/") => terminal_asset(asset),
        (Service::Display(n), "/" | "/api/v1/display/" | "/api/v1/display") => {
            html(DISPLAY_PAGE.replace("__DISPLAY__", &n.to_string()), &format!("Display :{n}"))
        }
        (Service::Display(_), asset) if asset.starts_with("/assets/") => novnc_asset(asset),
        (Service::Exec, "/") => html(EXEC_PAGE.to_owned(), "Exec"),
        (Service::Sqlite, "/") => html(SQLITE_PAGE.to_owned(), "SQLite"),
        // The page reads the directory from its own address: /browse/PATH/.
        (Service::Files, page) if page == "/" || page == "/browse" || page.starts_with("/browse/") => {
            html(FILES_PAGE.to_owned(), "Files")
        }
        _ => return None,
    })
}

fn terminal_asset(path: &str) -> Response<Body> {
    let (bytes, content_type): (&'static [u8], &'static str) = match path {
        "/assets/xterm.js" => (npm!("@xterm/xterm/lib/xterm.js"), JS),
        "/assets/xterm.css" => (npm!("@xterm/xterm/css/xterm.css"), "text/css"),
        "/assets/addon-fit.js" => (npm!("@xterm/addon-fit/lib/addon-fit.js"), JS),
        _ => return refuse(StatusCode::NOT_FOUND, &format!("no asset {path}")),
    };
    with_type(StatusCode::OK, Bytes::from_static(bytes), content_type)
}

fn novnc_asset(path: &str) -> Response<Body> {
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
