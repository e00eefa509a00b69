//! Work a kit service does inside a container (files, sqlite, the terminal's system calls): the
//! engine never touches a container's files itself. It starts `hoody-enter join --kit SERVICE`,
//! which joins the container with exactly its rights and calls [`serve`] there: paths and symlinks resolve
//! in the container's own root, what is written belongs to the container's root, and
//! nothing of the host is reachable.
//!
//! The exchange is one request per process: on stdin one line of JSON (the operation) then
//! the request's body; on stdout one line of JSON (a [`Reply`]) then the reply's body.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// What a service answers from inside: the HTTP status, content type and extra headers of
/// the reply (its body follows on the wire).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn new(status: hyper::StatusCode, content_type: &str) -> Self {
        Self { status: status.as_u16(), content_type: content_type.to_owned(), headers: Vec::new() }
    }
}

/// Inside the container (called by hoody-enter): reads one request of `service` from stdin
/// and writes the reply to stdout.
pub fn serve(service: &str) -> Result<(), String> {
    let mut stdin = std::io::stdin().lock();
    let mut head = String::new();
    stdin.read_line(&mut head).map_err(|e| format!("reading the request: {e}"))?;
    let mut input = Vec::new();
    stdin.read_to_end(&mut input).map_err(|e| format!("reading the request's body: {e}"))?;
    let (reply, body) = match service {
        "sqlite" => crate::sqlite::execute_inside(head.as_bytes()),
        "files" => crate::files::execute_inside(head.as_bytes(), input),
        "system" => crate::terminal::system_inside(head.as_bytes()),
        other => return Err(format!("no kit service {other} works inside a container")),
    };
    let mut out = std::io::stdout().lock();
    let mut line = serde_json::to_vec(&reply).map_err(|e| e.to_string())?;
    line.push(b'\n');
    out.write_all(&line)
        .and_then(|()| out.write_all(&body))
        .and_then(|()| out.flush())
        .map_err(|e| format!("answering: {e}"))
}

/// An answer from inside the container as the HTTP response it is.
pub(crate) fn reply_to_response(reply: Reply, body: Bytes) -> hyper::Response<crate::proxy::Body> {
    use http_body_util::BodyExt;
    use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
    let mut resp = hyper::Response::new(http_body_util::Full::new(body).map_err(|never| match never {}).boxed());
    *resp.status_mut() = hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
    if let Ok(value) = HeaderValue::from_str(&reply.content_type) {
        resp.headers_mut().insert(CONTENT_TYPE, value);
    }
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}

/// Inside: a response made there, as a reply and its body (its body is in memory already).
pub(crate) fn response_to_reply(response: hyper::Response<crate::proxy::Body>) -> (Reply, Vec<u8>) {
    use futures_util::FutureExt;
    use http_body_util::BodyExt;
    let (parts, body) = response.into_parts();
    let content_type = parts
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let body = body.collect().now_or_never().and_then(Result::ok).map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    // The service's own headers (`x-file-*`, `allow`…) go with it; framing is the proxy's.
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| *name != hyper::header::CONTENT_TYPE && *name != hyper::header::CONTENT_LENGTH)
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    (Reply { status: parts.status.as_u16(), content_type, headers }, body)
}

/// Outside: runs `request` of `service` inside the container whose init is `init_pid`, with
/// `input` as its body; the reply and its body, or why there is none.
pub async fn run(
    init_pid: u32,
    service: &str,
    request: &impl Serialize,
    input: Bytes,
    timeout: Duration,
) -> Result<(Reply, Bytes), String> {
    let mut head = serde_json::to_vec(request).map_err(|e| e.to_string())?;
    head.push(b'\n');
    let mut child = crate::enter::contained(init_pid)
        .map_err(|e| e.to_string())?
        .args(["--kit", service])
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start the kit's helper: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let feed = tokio::spawn(async move {
        let _ = stdin.write_all(&head).await;
        let _ = stdin.write_all(&input).await;
    });
    let out =
        tokio::time::timeout(timeout, hoody_runtime::bounded::output(child, hoody_runtime::bounded::ANSWER_LIMIT))
            .await
            .map_err(|_| format!("the container did not answer within {}s", timeout.as_secs()))?
            .map_err(|e| format!("the container's answer {e}: ask for less"))?;
    feed.abort();
    let newline = out.stdout.iter().position(|b| *b == b'\n');
    match newline.map(|at| (serde_json::from_slice::<Reply>(&out.stdout[..at]), at)) {
        Some((Ok(reply), at)) => Ok((reply, Bytes::from(out.stdout).slice(at + 1..))),
        _ => Err(format!(
            "the container could not be reached: {}",
            String::from_utf8_lossy(&out.stderr).trim().trim_start_matches("hoody-enter join: ")
        )),
    }
}
