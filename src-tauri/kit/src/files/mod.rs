//! The files service (`files-1`): a container's files over HTTP, at the platform's paths.
//! `GET /api/v1/files/{path}` lists a directory (JSON) or downloads a file (`?lines=A-B` its
//! lines, `?hash`/`?sha256` its digest, `?stat` its entry), `PUT` uploads (its directories made; `?append` appends,
//! `?mode=755` sets permissions), `POST ?mkdir` makes a directory (`?copy_to=`, `?move_to=`
//! copy and move), `DELETE` removes (a directory with its contents). The platform's operation
//! prefixes: `stat/`, `realpath/`, `append/`, `chmod/`, `chown/`, `copy/`, `move/`, `glob/`, `grep/` and
//! `health`; the root paths `/{path}` (GET, HEAD, PUT, PATCH at `X-Update-Range`, `?touch`,
//! `?q`, DELETE, OPTIONS). Beside them: storage backends and mounts ([`backends`]: rclone
//! remotes of the container), the journal of changes, extractions and downloads ([`activity`],
//! `?download=` fetched by rclone inside), and another server's files on the fly
//! (`?type=webdav|ftp|s3|ssh`, [`remote`]). Its page (`/`, `/browse/{path}/`) is served with the
//! other kit pages (`crate::assets`).
//!
//! A documented parameter or prefix this service does not honour yet (`?thumbnail`,
//! `?backend`, `type=git`…) is a 501 naming it, never ignored: an answer is what was asked or a
//! refusal.
//!
//! A request is parsed here into a [`FileOp`] and done inside the container
//! ([`crate::inside`]), as its root with exactly its rights: what is uploaded belongs to the
//! container's root, and files its root cannot touch stay untouched. Paths are resolved by
//! the kernel inside the container's root (openat2 RESOLVE_IN_ROOT): a symlink the container
//! made, absolute or not, and a directory swapped for a link mid-request all stay inside it.
//! `..` is refused outright.

mod activity;
mod backends;
mod ops;
mod remote;
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
    if let Some(answer) = activity_route(&req, init_pid).await {
        return answer.unwrap_or_else(KitError::into_response);
    }
    if !req.uri().path().starts_with("/api/")
        && req.uri().query().is_some_and(|q| q.split('&').any(|p| p.starts_with("type=")))
    {
        return remote_route(req, init_pid).await.unwrap_or_else(KitError::into_response);
    }
    match parse(req).await {
        Ok((FileOp::Health, _)) => json(StatusCode::OK, &serde_json::json!({ "status": "ok", "service": "files" })),
        Ok((FileOp::Version, _)) => json(
            StatusCode::OK,
            &serde_json::json!({ "service": "files", "server": "hoody-kit", "version": env!("CARGO_PKG_VERSION") }),
        ),
        Ok((op, input)) => {
            let extraction = match &op {
                FileOp::Extract { path, dest, .. } => {
                    Some(activity::started(init_pid, activity::Kind::Extraction, &format!("/{path}"), dest))
                }
                _ => None,
            };
            let done = crate::inside::run(init_pid, "files", &op, input, TIMEOUT).await;
            let succeeded = matches!(&done, Ok((reply, _)) if reply.status < 300);
            if let Some(id) = extraction {
                let error = (!succeeded).then(|| "the extraction failed".to_owned());
                activity::finished(init_pid, id, None, error);
            }
            if succeeded && let Some((change, path, to)) = op.change() {
                activity::record(init_pid, change, path, to);
            }
            match done {
                Ok((reply, body)) => crate::inside::reply_to_response(reply, body),
                Err(why) => {
                    refuse(StatusCode::SERVICE_UNAVAILABLE, &format!("the container's files are not reachable: {why}"))
                }
            }
        }
        Err(e) => e.into_response(),
    }
}

/// The service's record of what it did and does ([`activity`]), and downloads: answered
/// here, or None for every other request.
async fn activity_route(req: &Request<Incoming>, init_pid: u32) -> Option<Result<Response<Body>, KitError>> {
    use activity::Kind::{Download, Extraction};
    let path = req.uri().path();
    let method = req.method();
    let query = match Query::parse(req.uri().query()) {
        Ok(query) => query,
        Err(e) => return Some(Err(KitError::new(KitCode::InvalidParameters, e))),
    };
    Some(Ok(match (method.as_str(), path) {
        ("GET", "/api/v1/journal") => return Some(activity::journal(init_pid, &query)),
        ("GET", "/api/v1/journal/stats") => activity::journal_stats(init_pid),
        ("POST", "/api/v1/journal/flush") => return Some(flush_journal(init_pid).await),
        ("GET", "/api/v1/downloads") => activity::under_way(init_pid, Download, None),
        ("GET", "/api/v1/extractions") => activity::under_way(init_pid, Extraction, None),
        ("GET", root) if !root.starts_with("/api/") => {
            let dir = match decode(root) {
                Ok(dir) => dir,
                Err(_) => return None,
            };
            if query.get("extractions").is_some() {
                activity::under_way(init_pid, Extraction, Some(&dir))
            } else if query.get("extraction_history").is_some() {
                activity::history(init_pid, Extraction)
            } else if query.get("download_history").is_some() {
                activity::history(init_pid, Download)
            } else if query.get("downloads").is_some() {
                activity::under_way(init_pid, Download, Some(&dir))
            } else if let Some(url) = query.get("download") {
                return Some(download(init_pid, &dir, url, &query).await);
            } else {
                return None;
            }
        }
        _ => return None,
    }))
}

/// `/{path}?type=…`: another server's file, through rclone ([`remote`]).
async fn remote_route(req: Request<Incoming>, init_pid: u32) -> Result<Response<Body>, KitError> {
    let query = Query::parse(req.uri().query()).map_err(|e| KitError::new(KitCode::InvalidParameters, e))?;
    let rel = decode(req.uri().path()).map_err(|(status, why)| KitError::of_status(status, why))?;
    let method = req.method().clone();
    if method != Method::GET && method != Method::PUT {
        return Err(KitError::new(
            KitCode::MethodNotAllowed,
            format!("{method} with ?type=: GET reads, PUT writes (ssh)"),
        ));
    }
    let input = if method == Method::PUT { upload(req).await? } else { Bytes::new() };
    remote::answer(&method, &rel, &query, input, init_pid).await
}

/// `POST /api/v1/journal/flush`: the journal appended to the container's journal file, then
/// emptied here.
async fn flush_journal(init_pid: u32) -> Result<Response<Body>, KitError> {
    let (lines, last) = activity::journal_lines(init_pid);
    let Some(last) = last else {
        return Ok(json(
            StatusCode::OK,
            &serde_json::json!({ "success": true, "message": "the journal is empty", "flushed": 0 }),
        ));
    };
    let op = FileOp::Put {
        path: activity::JOURNAL_FILE.trim_start_matches('/').to_owned(),
        append: true,
        permissions: Some(0o600),
    };
    let (status, body) = run(init_pid, &op, Bytes::from(lines)).await?;
    if !status.is_success() {
        return Err(KitError::of_status(status, String::from_utf8_lossy(&body).into_owned()));
    }
    let flushed = activity::flushed(init_pid, last);
    let message = format!("{flushed} journal entries appended to {}", activity::JOURNAL_FILE);
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "success": true, "message": message, "flushed": flushed, "file": activity::JOURNAL_FILE }),
    ))
}

/// `GET /{dir}?download=URL[&filename=][&timeout=]`: the URL fetched into the directory by
/// rclone inside the container (through the container's network: with its network off, it
/// fails as any program of the container would).
async fn download(init_pid: u32, dir: &str, url: &str, query: &Query) -> Result<Response<Body>, KitError> {
    let bad = |why: String| KitError::new(KitCode::InvalidParameters, why);
    let parsed = url.split_once("://").filter(|(scheme, rest)| matches!(*scheme, "http" | "https") && !rest.is_empty());
    let Some((_, rest)) = parsed else {
        return Err(bad(format!("download is an http:// or https:// URL, not {url:?}")));
    };
    let from_url = rest.split(['?', '#']).next().unwrap_or("").rsplit('/').next().unwrap_or("");
    let name = query.get("filename").filter(|f| !f.is_empty()).unwrap_or(if from_url.is_empty() {
        "download"
    } else {
        from_url
    });
    if name == "."
        || name == ".."
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
    {
        return Err(bad(format!("{name:?} is not a file name (letters, digits, . - _ +): name it with filename=")));
    }
    let timeout = match query.get("timeout").filter(|t| !t.is_empty()) {
        Some(t) => t
            .parse::<u64>()
            .ok()
            .filter(|t| (1..=3600).contains(t))
            .ok_or_else(|| bad("timeout is 1 to 3600 seconds".into()))?,
        None => 300,
    };
    let target = if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") };
    let id = activity::started(init_pid, activity::Kind::Download, url, &target);
    let args = ["copyurl".to_owned(), url.to_owned(), format!("/{target}")];
    let fetched = backends::run_rclone(init_pid, &args, Duration::from_secs(timeout), None).await;
    let size = match &fetched {
        Ok(_) => run(init_pid, &FileOp::Stat(target.clone()), Bytes::new())
            .await
            .ok()
            .and_then(|(_, body)| serde_json::from_slice::<serde_json::Value>(&body).ok())
            .and_then(|entry| entry["size"].as_u64()),
        Err(_) => None,
    };
    activity::finished(init_pid, id, size, fetched.as_ref().err().map(|e| e.message.clone()));
    fetched.map_err(|e| KitError::new(e.code, format!("the download failed: {}", e.message)))?;
    activity::record(init_pid, "download", &target, None);
    let message = format!("{url} downloaded to /{target}");
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "success": true, "message": message, "id": id.to_string(),
        "path": format!("/{target}"), "size": size }),
    ))
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

/// Where a PATCH writes, from `X-Update-Range`: `bytes=START-`, `bytes=START-END` (the body's
/// Content-Length must then be END-START+1), or `append` (None).
fn update_range(headers: &hyper::HeaderMap) -> Result<Option<u64>, KitError> {
    let bad = |why: String| KitError::new(KitCode::InvalidParameters, why);
    let Some(range) = headers.get("x-update-range").and_then(|v| v.to_str().ok()) else {
        return Err(bad("PATCH writes where X-Update-Range says: bytes=START-, bytes=START-END or append".into()));
    };
    if range == "append" {
        return Ok(None);
    }
    let spec = range
        .strip_prefix("bytes=")
        .ok_or_else(|| bad(format!("X-Update-Range is bytes=START-[END] or append, not {range:?}")))?;
    let (start, end) = spec.split_once('-').ok_or_else(|| bad(format!("X-Update-Range {range:?} has no '-'")))?;
    let start: u64 = start.parse().map_err(|_| bad(format!("X-Update-Range {range:?}: START is a byte offset")))?;
    if !end.is_empty() {
        let end: u64 = end.parse().map_err(|_| bad(format!("X-Update-Range {range:?}: END is a byte offset")))?;
        let length = headers.get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if end < start || length != Some(end - start + 1) {
            return Err(bad(format!(
                "X-Update-Range {range:?} names {} bytes; the body has {}",
                end.saturating_sub(start) + 1,
                length.map_or("an unknown number of".into(), |l| l.to_string())
            )));
        }
    }
    Ok(Some(start))
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
        (Method::PATCH, None) => {
            check_query(&query, &["backend", "owner", "chmod", "chown"])?;
            let offset = update_range(req.headers())?;
            return Ok((FileOp::Patch { path: rel, offset }, upload(req).await?));
        }
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
    const ROOT_NOT_YET: &[&str] = &["thumbnail", "base64", "edit", "view"];
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
        Method::PATCH => {
            let offset = update_range(req.headers())?;
            return Ok((FileOp::Patch { path: rel, offset }, upload(req).await?));
        }
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
