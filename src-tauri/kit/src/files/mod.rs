//! The files service (`files-1`): a container's files over HTTP, at the platform's paths.
//! `GET /api/v1/files/{path}` lists a directory (JSON) or downloads a file (`?lines=A-B` its
//! lines, `?hash`/`?sha256` its digest, `?stat` its entry), `PUT` uploads (its directories made; `?append` appends,
//! `?mode=755` sets permissions), `POST ?mkdir` makes a directory (`?copy_to=`, `?move_to=`
//! copy and move), `DELETE` removes (a directory with its contents). The platform's operation
//! prefixes: `stat/`, `realpath/`, `append/`, `chmod/`, `chown/`, `copy/`, `move/`, `glob/`, `grep/` and
//! `health`; the root paths `/{path}` (GET, HEAD, PUT, `?touch`, `?q`, DELETE, OPTIONS). Its page
//! (`/`, `/browse/{path}/`) is served with the other kit pages (`crate::assets`).
//!
//! A documented parameter or prefix this service does not honour yet (`?thumbnail`,
//! `?backend`…) is a 501 naming it, never ignored: an answer is what was asked or a refusal.
//!
//! A request is parsed here into a [`FileOp`] and done inside the container
//! ([`crate::inside`]), as its root with exactly its rights: what is uploaded belongs to the
//! container's root, and files its root cannot touch stay untouched. Paths are resolved by
//! the kernel inside the container's root (openat2 RESOLVE_IN_ROOT): a symlink the container
//! made, absolute or not, and a directory swapped for a link mid-request all stay inside it.
//! `..` is refused outright.

mod backends;
mod ops;
mod search;
mod zip;

pub(crate) use ops::FileOp;
pub(crate) use search::GlobQuery;

use crate::error::{KitCode, KitError, refuse};
use crate::proxy::{Body, json};
use crate::request::Query;
use bytes::Bytes;
use hoody_runtime::rootdir::RootDir;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use ops::Lines;
use std::time::Duration;

/// The largest upload (a request body beyond it is refused with 413).
pub const MAX_UPLOAD: usize = 64 << 20;
const API: &str = "/api/v1/files";

/// The longest a files operation may take (a 64 MiB upload to a slow disk included).
const TIMEOUT: Duration = Duration::from_secs(120);

/// The platform's parameters of `GET /api/v1/files/{path}` that are not honoured here yet.
const READ_NOT_YET: &[&str] = &[
    "backend",
    "base64",
    "preview",
    "contents",
    "thumbnail",
    "grep",
    "ignore_case",
    "fixed_string",
    "glob",
    "context",
    "max_count",
    "max_matches",
    "max_depth",
    "max_filesize",
    "timeout",
    "no_ignore",
    "max_results",
    "max_files_scanned",
    "sort",
    "order",
    "limit",
    "zip",
];
/// A file's history (its past versions and their differences): not kept here yet.
const HISTORY_NOT_YET: &[&str] =
    &["history", "at", "revision", "diff", "from_seq", "from_ts", "to_seq", "to_ts", "after_id"];
const WRITE_NOT_YET: &[&str] = &["backend", "owner"];
const POST_NOT_YET: &[&str] = &["backend", "owner", "extract", "dest", "download_from"];

/// The methods of the root paths (`OPTIONS /{path}` answers them).
const ROOT_METHODS: &str = "GET, HEAD, PUT, DELETE, OPTIONS";

pub async fn handle(req: Request<Incoming>, init_pid: u32) -> Response<Body> {
    if req.method() == Method::OPTIONS && !req.uri().path().starts_with(API) {
        let mut allowed =
            json(StatusCode::OK, &serde_json::json!({ "methods": ROOT_METHODS.split(", ").collect::<Vec<_>>() }));
        allowed.headers_mut().insert(hyper::header::ALLOW, hyper::header::HeaderValue::from_static(ROOT_METHODS));
        return allowed;
    }
    let path = req.uri().path();
    if ["/api/v1/backends", "/api/v1/mounts"].iter().any(|p| path == *p || path.starts_with(&format!("{p}/"))) {
        return backends::handle(req, init_pid).await;
    }
    match parse(req).await {
        Ok((FileOp::Health, _)) => json(StatusCode::OK, &serde_json::json!({ "status": "ok", "service": "files" })),
        Ok((FileOp::Version, _)) => json(
            StatusCode::OK,
            &serde_json::json!({ "service": "files", "server": "hoody-kit", "version": env!("CARGO_PKG_VERSION") }),
        ),
        Ok((op, input)) => match crate::inside::run(init_pid, "files", &op, input, TIMEOUT).await {
            Ok((reply, body)) => crate::inside::reply_to_response(reply, body),
            Err(why) => {
                refuse(StatusCode::SERVICE_UNAVAILABLE, &format!("the container's files are not reachable: {why}"))
            }
        },
        Err(e) => e.into_response(),
    }
}

/// Does `op` inside the container as the files service does (for the exec service's scripts):
/// its status and body.
pub(crate) async fn run(init_pid: u32, op: &FileOp, input: Bytes) -> Result<(StatusCode, Bytes), KitError> {
    let (reply, body) = crate::inside::run(init_pid, "files", op, input, TIMEOUT).await.map_err(|why| {
        KitError::new(KitCode::ContainerUnreachable, format!("the container's files are not reachable: {why}"))
    })?;
    Ok((StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY), body))
}

fn not_yet(what: impl std::fmt::Display) -> KitError {
    KitError::new(KitCode::NotImplemented, format!("{what} is documented by the platform but not honoured here yet"))
}

/// Refuses the first parameter of `query` that is in `not_yet`.
fn check_query(query: &Query, unhonoured: &[&str]) -> Result<(), KitError> {
    match unhonoured.iter().find(|name| query.get(name).is_some()) {
        Some(name) => Err(not_yet(format_args!("?{name}"))),
        None => Ok(()),
    }
}

/// A destination named in the query (`copy_to`, `move_to`), checked like the request's path.
fn destination(query: &Query, name: &str) -> Result<Option<String>, KitError> {
    query
        .get(name)
        .map(|raw| decode(raw).map_err(|(status, why)| KitError::of_status(status, format!("{name}: {why}"))))
        .transpose()
}

/// The request as an operation (and, for uploads, its body).
async fn parse(req: Request<Incoming>) -> Result<(FileOp, Bytes), KitError> {
    let query = Query::parse(req.uri().query()).map_err(|e| KitError::new(KitCode::InvalidParameters, e))?;
    let path = req.uri().path().to_owned();
    if path == "/api/v1/version" {
        return Ok((FileOp::Version, Bytes::new()));
    }
    if let Some(area) =
        ["/api/v1/backends", "/api/v1/mounts", "/api/v1/journal", "/api/v1/downloads", "/api/v1/extractions"]
            .into_iter()
            .find(|area| path == *area || path.starts_with(&format!("{area}/")))
    {
        return Err(not_yet(format_args!(
            "{area} (rclone remotes, mounts, the change journal, downloads and archives)"
        )));
    }
    let Some(rest) = path.strip_prefix(API) else {
        if path.starts_with("/api/") {
            return Err(KitError::new(KitCode::NotFound, format!("no files route {path}; use {API}/PATH")));
        }
        return root_route(req, &query, &path).await;
    };
    let method = req.method().clone();
    if (&method, rest) == (&Method::GET, "/health") {
        return Ok((FileOp::Health, Bytes::new()));
    }
    // `/api/v1/files/{operation}/{path}`: the platform's prefixes.
    let (prefix, raw) = match rest.trim_start_matches('/').split_once('/') {
        Some((
            word @ ("stat" | "realpath" | "append" | "chmod" | "chown" | "copy" | "move" | "glob" | "grep"),
            tail,
        )) => (Some(word), format!("/{tail}")),
        _ => (None, rest.to_owned()),
    };
    let rel = decode(&raw).map_err(|(status, why)| KitError::of_status(status, why))?;
    let op = match (method, prefix) {
        (Method::GET, Some("stat")) => FileOp::Stat(rel),
        (Method::GET, Some("realpath")) => FileOp::Realpath(rel),
        (Method::PUT, Some("append")) => {
            check_query(&query, WRITE_NOT_YET)?;
            return Ok((FileOp::Put { path: rel, append: true, permissions: None }, upload(req).await?));
        }
        (Method::PATCH, Some("chmod")) => {
            let bits = query.get("chmod").ok_or_else(|| {
                KitError::new(KitCode::InvalidParameters, "chmod is required: octal permission bits, like 755")
            })?;
            FileOp::Chmod { path: rel, permissions: permissions(bits)? }
        }
        (Method::POST, Some("copy")) => copy_or_move(&query, rel, "copy_to")?,
        (Method::POST, Some("move")) => copy_or_move(&query, rel, "move_to")?,
        (Method::GET, Some("glob")) => FileOp::Glob { path: rel, query: search::GlobQuery::parse(&query)? },
        (Method::GET, Some("grep")) => FileOp::Grep { path: rel, query: search::GrepQuery::parse(&query)? },
        (Method::PATCH, Some("chown")) => {
            let owner = query.get("chown").filter(|o| !o.is_empty()).ok_or_else(|| {
                KitError::new(KitCode::InvalidParameters, "chown is required: user[:group], by name or number")
            })?;
            FileOp::Chown { path: rel, owner: owner.to_owned() }
        }
        (Method::GET, None) => {
            check_query(&query, READ_NOT_YET)?;
            check_query(&query, HISTORY_NOT_YET)?;
            if let Some(digest) = digest(&query, &rel)? {
                digest
            } else if let Some(lines) = query.get("lines") {
                FileOp::Lines { path: rel, lines: Lines::parse(lines)? }
            } else if query.get("stat").is_some() {
                FileOp::Stat(rel)
            } else {
                FileOp::Read(rel)
            }
        }
        (Method::PUT, None) => {
            check_query(&query, WRITE_NOT_YET)?;
            let permissions = query.get("mode").map(permissions).transpose()?;
            let append = query.get("append").is_some();
            return Ok((FileOp::Put { path: rel, append, permissions }, upload(req).await?));
        }
        (Method::POST, None) => {
            check_query(&query, POST_NOT_YET)?;
            match (query.get("mkdir"), query.get("copy_to"), query.get("move_to")) {
                (Some(_), None, None) => FileOp::Mkdir(rel),
                (None, Some(_), None) => copy_or_move(&query, rel, "copy_to")?,
                (None, None, Some(_)) => copy_or_move(&query, rel, "move_to")?,
                _ => {
                    return Err(KitError::new(
                        KitCode::InvalidParameters,
                        "name one operation: ?mkdir, ?copy_to=PATH or ?move_to=PATH",
                    ));
                }
            }
        }
        (Method::DELETE, None) => {
            check_query(&query, &["backend"])?;
            FileOp::Remove(rel)
        }
        (Method::PATCH, None) => return Err(not_yet("PATCH of a file's contents")),
        (method, _) => {
            return Err(KitError::new(KitCode::MethodNotAllowed, format!("{method} {path} is not a files route")));
        }
    };
    Ok((op, Bytes::new()))
}

/// The platform's root paths: `GET /{path}` (a directory's entries at `data.paths`, a file's
/// bytes, `?q=` names holding a word, `?hash`), `HEAD` (the entry's facts as headers), `PUT`
/// (an upload, `?touch`), `DELETE`. Their archive, download and history parameters are 501s.
async fn root_route(req: Request<Incoming>, query: &Query, path: &str) -> Result<(FileOp, Bytes), KitError> {
    const ROOT_NOT_YET: &[&str] = &["thumbnail", "download", "downloads", "type", "base64", "edit", "view"];
    let rel = decode(path).map_err(|(status, why)| KitError::of_status(status, why))?;
    check_query(query, ROOT_NOT_YET)?;
    check_query(query, HISTORY_NOT_YET)?;
    let op = match req.method().clone() {
        Method::GET if query.get("zip").is_some() => FileOp::Zip(rel),
        Method::GET if query.get("extract").is_some() || query.get("extract_file").is_some() => {
            // Beside the archive, in a directory named after it, unless `dest` says where.
            let dest = match query.get("dest").filter(|d| !d.is_empty()) {
                Some(d) => decode(d).map_err(|(status, why)| KitError::of_status(status, format!("dest: {why}")))?,
                None => rel.strip_suffix(".zip").map(str::to_owned).unwrap_or_else(|| format!("{rel}.d")),
            };
            let only = match query.get("extract_file") {
                Some(_) => {
                    Some(query.get("extract").filter(|e| !e.is_empty()).or(query.get("extract_file")).unwrap_or(""))
                }
                None => None,
            };
            if only == Some("") {
                return Err(KitError::new(KitCode::InvalidParameters, "extract_file names the entry: extract=NAME"));
            }
            FileOp::Extract { path: rel, dest, only: only.map(str::to_owned) }
        }
        Method::GET if query.get("view_file").is_some() => {
            let entry = query.get("view_file").filter(|n| !n.is_empty()).or(query.get("preview")).unwrap_or("");
            if entry.is_empty() {
                return Err(KitError::new(
                    KitCode::InvalidParameters,
                    "view_file names the entry to show (view_file=NAME)",
                ));
            }
            FileOp::ArchiveEntry { path: rel, entry: entry.to_owned() }
        }
        Method::GET if query.get("preview").is_some() => FileOp::ArchiveEntries(rel),
        Method::GET => match query.get("q") {
            Some(word) if !word.is_empty() => FileOp::Search { path: rel, word: word.to_owned() },
            Some(_) => return Err(KitError::new(KitCode::InvalidParameters, "q must be a word to look for")),
            None => digest(query, &rel)?.unwrap_or(FileOp::Browse(rel)),
        },
        Method::HEAD => FileOp::Head(rel),
        Method::PUT if query.get("touch").is_some() => FileOp::Touch(rel),
        Method::PUT => return Ok((FileOp::Put { path: rel, append: false, permissions: None }, upload(req).await?)),
        Method::DELETE => FileOp::Remove(rel),
        Method::PATCH => return Err(not_yet("PATCH of a file's contents")),
        method => {
            return Err(KitError::new(
                KitCode::MethodNotAllowed,
                format!("{method} {path}: the root paths take {ROOT_METHODS}"),
            ));
        }
    };
    Ok((op, Bytes::new()))
}

/// `?sha256` or `?hash[=sha256]`: the file's digest (another algorithm is not honoured yet).
fn digest(query: &Query, rel: &str) -> Result<Option<FileOp>, KitError> {
    match query.get("sha256").map(|_| "sha256").or(query.get("hash")) {
        None => Ok(None),
        Some("" | "sha256") => Ok(Some(FileOp::Sha256(rel.to_owned()))),
        Some(other) => Err(not_yet(format_args!("hash={other} (sha256 is)"))),
    }
}

fn copy_or_move(query: &Query, from: String, param: &str) -> Result<FileOp, KitError> {
    check_query(query, &["owner"])?;
    let Some(to) = destination(query, param)? else {
        return Err(KitError::new(KitCode::InvalidParameters, format!("{param} is required: where to put it")));
    };
    Ok(match param {
        "copy_to" => FileOp::Copy { from, to, overwrite: query.flag("overwrite") },
        _ => FileOp::Move { from, to },
    })
}

fn permissions(bits: &str) -> Result<u32, KitError> {
    match u32::from_str_radix(bits, 8) {
        Ok(bits) if bits <= 0o7777 => Ok(bits),
        _ => Err(KitError::new(KitCode::InvalidParameters, "permissions are octal bits, like 755")),
    }
}

async fn upload(req: Request<Incoming>) -> Result<Bytes, KitError> {
    match Limited::new(req.into_body(), MAX_UPLOAD).collect().await {
        Ok(body) => Ok(body.to_bytes()),
        Err(_) => {
            Err(KitError::new(KitCode::PayloadTooLarge, format!("uploads are limited to {} MiB", MAX_UPLOAD >> 20)))
        }
    }
}

/// Inside the container: one operation (a line of JSON) done on its root, as a reply and its
/// body.
pub(crate) fn execute_inside(request: &[u8], input: Vec<u8>) -> (crate::inside::Reply, Vec<u8>) {
    let response = match (serde_json::from_slice::<FileOp>(request), RootDir::open(std::path::Path::new("/"))) {
        (Ok(op), Ok(root)) => ops::execute(&root, op, input).unwrap_or_else(|e| ops::io_error(&e)),
        (Err(e), _) => refuse(StatusCode::BAD_REQUEST, &format!("a malformed files operation: {e}")),
        (_, Err(e)) => refuse(StatusCode::SERVICE_UNAVAILABLE, &format!("the container's root is not reachable: {e}")),
    };
    crate::inside::response_to_reply(response)
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
