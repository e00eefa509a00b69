//! The files service (`files-1`): a container's files over HTTP, at the platform's paths.
//! `GET /api/v1/files/{path}` lists a directory (JSON) or downloads a file, `PUT` uploads
//! (`?append` appends, `?mode=755` sets permissions), `POST ?mkdir` makes a directory, `DELETE` removes, and
//! `GET /api/v1/files/stat/{path}` describes one entry. Its page (`/`, `/browse/{path}/`) is
//! served with the other kit pages (`crate::assets`) and works on this API.
//!
//! A request is parsed here into a [`FileOp`] and done inside the container
//! ([`crate::inside`]), as its root with exactly its rights: what is uploaded belongs to the
//! container's root, and files its root cannot touch stay untouched. Paths are resolved by
//! the kernel inside the container's root (openat2 RESOLVE_IN_ROOT): a symlink the container
//! made, absolute or not, and a directory swapped for a link mid-request all stay inside it.
//! `..` is refused outright.

use crate::error::refuse;
use crate::proxy::{Body, json};
use bytes::Bytes;
use hoody_runtime::rootdir::RootDir;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use std::io;
use std::time::Duration;

/// The largest upload (a request body beyond it is refused with 413).
pub const MAX_UPLOAD: usize = 64 << 20;
const API: &str = "/api/v1/files";

/// A files operation, as parsed from a request and done inside the container.
#[derive(Debug, Serialize, Deserialize)]
enum FileOp {
    Stat(String),
    /// Lists a directory or reads a file.
    Read(String),
    /// Writes the request's body to the file.
    Put {
        path: String,
        append: bool,
        permissions: Option<u32>,
    },
    Mkdir(String),
    Remove(String),
}

/// The longest a files operation may take (a 64 MiB upload to a slow disk included).
const TIMEOUT: Duration = Duration::from_secs(120);

pub async fn handle(req: Request<Incoming>, init_pid: u32) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let flag = |name: &str| query.split('&').any(|q| q == name || q.starts_with(&format!("{name}=")));
    let (route, raw) = if let Some(rest) = path.strip_prefix(&format!("{API}/stat")) {
        ("stat", rest)
    } else if let Some(rest) = path.strip_prefix(API) {
        ("files", rest)
    } else {
        return refuse(StatusCode::NOT_FOUND, &format!("no files route {path}; use {API}/PATH"));
    };
    let rel = match decode(raw) {
        Ok(rel) => rel,
        Err((status, why)) => return refuse(status, why),
    };
    let mut input = Bytes::new();
    let op = match (req.method().clone(), route) {
        (Method::GET, "stat") => FileOp::Stat(rel),
        (Method::GET, "files") => FileOp::Read(rel),
        (Method::PUT, "files") => {
            let append = flag("append");
            let mode = query.split('&').find_map(|q| q.strip_prefix("mode="));
            let permissions = match mode.map(|m| u32::from_str_radix(m, 8)) {
                None => None,
                Some(Ok(bits)) if bits <= 0o7777 => Some(bits),
                Some(_) => return refuse(StatusCode::BAD_REQUEST, "mode must be octal permission bits, like 755"),
            };
            input = match Limited::new(req.into_body(), MAX_UPLOAD).collect().await {
                Ok(body) => body.to_bytes(),
                Err(_) => {
                    return refuse(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &format!("uploads are limited to {} MiB", MAX_UPLOAD >> 20),
                    );
                }
            };
            FileOp::Put { path: rel, append, permissions }
        }
        (Method::POST, "files") if flag("mkdir") => FileOp::Mkdir(rel),
        (Method::DELETE, "files") => FileOp::Remove(rel),
        (method, _) => return refuse(StatusCode::METHOD_NOT_ALLOWED, &format!("{method} {path} is not a files route")),
    };
    match crate::inside::run(init_pid, "files", &op, input, TIMEOUT).await {
        Ok((reply, body)) => crate::inside::reply_to_response(reply, body),
        Err(why) => refuse(StatusCode::SERVICE_UNAVAILABLE, &format!("the container's files are not reachable: {why}")),
    }
}

/// Inside the container: one operation (a line of JSON) done on its root, as a reply and its
/// body.
pub(crate) fn execute_inside(request: &[u8], input: Vec<u8>) -> (crate::inside::Reply, Vec<u8>) {
    let response = match (serde_json::from_slice::<FileOp>(request), RootDir::open(std::path::Path::new("/"))) {
        (Ok(op), Ok(root)) => execute(&root, op, input).unwrap_or_else(|e| io_error(&e)),
        (Err(e), _) => refuse(StatusCode::BAD_REQUEST, &format!("a malformed files operation: {e}")),
        (_, Err(e)) => refuse(StatusCode::SERVICE_UNAVAILABLE, &format!("the container's root is not reachable: {e}")),
    };
    crate::inside::response_to_reply(response)
}

fn execute(root: &RootDir, op: FileOp, input: Vec<u8>) -> io::Result<Response<Body>> {
    match op {
        FileOp::Stat(rel) => root.stat(&rel).map(|entry| json(StatusCode::OK, &entry)),
        FileOp::Read(rel) => read(root, &rel),
        FileOp::Put { path, append, permissions } => {
            root.put(&path, &input, append, permissions)?;
            Ok(json(StatusCode::OK, &root.stat(&path)?))
        }
        FileOp::Mkdir(rel) => {
            root.mkdir(&rel)?;
            Ok(json(StatusCode::CREATED, &root.stat(&rel)?))
        }
        FileOp::Remove(rel) => {
            root.remove_entry(&rel)?;
            Ok(json(StatusCode::OK, &serde_json::json!({ "deleted": format!("/{rel}") })))
        }
    }
}

/// Percent-decodes the path and refuses `..` and NUL: a request names a place inside the
/// container, never a way out of it.
fn decode(raw: &str) -> Result<String, (StatusCode, &'static str)> {
    let path = crate::request::percent_decode(raw, false)
        .ok_or((StatusCode::BAD_REQUEST, "the path has a malformed %-escape or is not UTF-8"))?;
    if path.contains('\0') {
        return Err((StatusCode::BAD_REQUEST, "the path contains a NUL byte"));
    }
    if path.split('/').any(|part| part == "..") {
        return Err((
            StatusCode::FORBIDDEN,
            "paths may not contain '..': name the place inside the container directly",
        ));
    }
    Ok(path.trim_matches('/').to_owned())
}

fn read(root: &RootDir, rel: &str) -> io::Result<Response<Body>> {
    let entry = root.stat(rel)?;
    if entry.kind == "dir" {
        let entries = root.list(rel)?;
        return Ok(json(StatusCode::OK, &serde_json::json!({ "path": format!("/{rel}"), "entries": entries })));
    }
    let mut file = root.open_file(rel)?;
    if file.metadata()?.len() > MAX_UPLOAD as u64 * 4 {
        return Err(io::Error::new(io::ErrorKind::FileTooLarge, "files over 256 MiB cannot be downloaded here"));
    }
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut file, &mut bytes)?;
    let mut resp = Response::new(Full::new(Bytes::from(bytes)).map_err(|never| match never {}).boxed());
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    Ok(resp)
}

fn io_error(e: &io::Error) -> Response<Body> {
    use io::ErrorKind::*;
    let status = match e.kind() {
        NotFound => StatusCode::NOT_FOUND,
        PermissionDenied => StatusCode::FORBIDDEN,
        AlreadyExists | DirectoryNotEmpty => StatusCode::CONFLICT,
        FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        StorageFull | QuotaExceeded => {
            return refuse(
                StatusCode::INSUFFICIENT_STORAGE,
                &format!(
                    "no room for it: the disk that holds the container's files is full ({e}); nothing was written. Delete files, or containers, snapshots or images on its server, and try again"
                ),
            );
        }
        InvalidInput | IsADirectory | NotADirectory => StatusCode::BAD_REQUEST,
        _ if e.raw_os_error() == Some(40) => StatusCode::BAD_REQUEST, // ELOOP: a symlink as the last component
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refuse(status, &e.to_string())
}

#[cfg(test)]
mod tests {
    use super::decode;
    use hyper::StatusCode;

    #[test]
    fn paths_decode_and_dot_dot_is_refused() {
        assert_eq!(decode("/root/my%20dir/").unwrap(), "root/my dir");
        assert_eq!(decode("/").unwrap(), "");
        assert_eq!(decode("/a/%2e%2e/b").unwrap_err().0, StatusCode::FORBIDDEN);
        assert_eq!(decode("/../etc").unwrap_err().0, StatusCode::FORBIDDEN);
        assert_eq!(decode("/a%2").unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(decode("/a%00b").unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(decode("/%ff").unwrap_err().0, StatusCode::BAD_REQUEST);
    }
}
