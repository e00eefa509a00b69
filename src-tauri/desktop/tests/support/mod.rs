//! Shared by the desktop core's tests (each uses a part: the rest is dead code to it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Fails when `secret` is in any file under `dir` (tokens belong in the keyring only).
pub fn assert_nowhere_under(dir: &Path, secret: &str) {
    for file in walk(dir) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the secret is in {}", file.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            files.extend(walk(&path));
        } else if path.is_file() {
            files.push(path);
        }
    }
    files
}

/// `GET path` from the proxy on `port` with this Host header: the status and the body.
pub async fn get(port: u16, host: &str, path: &str) -> (u16, String) {
    send(port, host, "GET", path, "").await
}

/// `method path` with `body` to the proxy on `port` with this Host header: the status and the
/// body of the answer.
pub async fn send(port: u16, host: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, body.to_owned())
}

/// What a [`proxy`] does besides passing requests on.
#[derive(Debug, Clone, Copy)]
pub enum Trouble {
    /// For the first request whose start line begins with this, the server acts and answers,
    /// but the answer is dropped on the way: the connection is hung up instead.
    CutFirstAnswer(&'static str),
    /// Requests whose start line begins with this are answered 404 without reaching the server
    /// (what a server without that route would say).
    Missing(&'static str),
    /// The first `times` answers to requests whose start line begins with `start` are hung up
    /// on partway: the first after `after` bytes of its body, the others before any (each
    /// counted once it is cut).
    CutBodies { start: &'static str, after: u64, times: usize },
}

/// A proxy on loopback in front of `upstream` that passes every request on, making `trouble`.
/// Every answer it passes says `Connection: close` (a fresh connection per request: what is cut
/// is cut cleanly). Answers its origin and how many requests `trouble` met.
pub async fn proxy(upstream: &str, trouble: Trouble) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let met = Arc::new(AtomicUsize::new(0));
    let counter = met.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, met) = (upstream.clone(), counter.clone());
            tokio::spawn(async move {
                let cut = met.clone();
                let _ = relay_one(client, &upstream, cut, |line| {
                    let before = met.load(Ordering::SeqCst);
                    let hit = match trouble {
                        Trouble::CutFirstAnswer(start) => line.starts_with(start) && before == 0,
                        Trouble::Missing(start) => line.starts_with(start),
                        Trouble::CutBodies { start, times, .. } => line.starts_with(start) && before < times,
                    };
                    // A cut body is counted once it is cut (below), not when it starts.
                    if hit && !matches!(trouble, Trouble::CutBodies { .. }) {
                        met.fetch_add(1, Ordering::SeqCst);
                    }
                    let cut_after = match trouble {
                        Trouble::CutBodies { after, .. } if before == 0 => after,
                        _ => 0,
                    };
                    (hit, trouble, cut_after)
                })
                .await;
            });
        }
    });
    (origin, met)
}

/// One request from `client` to `upstream` (with `Connection: close`), and its answer back,
/// unless `trouble(start line)` says to make some.
async fn relay_one(
    mut client: tokio::net::TcpStream,
    upstream: &str,
    cut: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    trouble: impl FnOnce(&str) -> (bool, Trouble, u64),
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = read_head(&mut client).await?;
    let text = String::from_utf8_lossy(&head).into_owned();
    let length = header_value(&text, "content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let mut body = vec![0u8; length];
    client.read_exact(&mut body).await?;
    let (hit, kind, cut_after) = trouble(text.lines().next().unwrap_or_default());
    if hit && matches!(kind, Trouble::Missing(_)) {
        let body = r#"{"statusCode":404,"message":"no such route"}"#;
        let answer = format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(answer.as_bytes()).await?;
        return client.shutdown().await;
    }
    let (mut client, mut to_client) = client.into_split();
    let (mut server, mut to_server) = tokio::net::TcpStream::connect(upstream).await?.into_split();
    to_server.write_all(with_connection_close(&text).as_bytes()).await?;
    to_server.write_all(&body).await?;
    // A body without a length (chunked: an upload as it is made) goes on while it comes, until
    // the answer starts (the server's side is never closed: a live stream would end).
    let answer_head = tokio::select! {
        head = read_head(&mut server) => head?,
        _ = async {
            // The client hung up (on an upload it gave up): the server sees its side end too.
            let _ = tokio::io::copy(&mut client, &mut to_server).await;
            let _ = to_server.shutdown().await;
        } => read_head(&mut server).await?,
    };
    if hit && matches!(kind, Trouble::CutFirstAnswer(_)) {
        // Let the server finish its answer (it has acted), then hang up on the client.
        let mut rest = Vec::new();
        server.read_to_end(&mut rest).await?;
        return Ok(());
    }
    to_client.write_all(with_connection_close(&String::from_utf8_lossy(&answer_head)).as_bytes()).await?;
    if hit {
        // Part of the body, then the line goes dead (a hang-up, not an end).
        tokio::io::copy(&mut (&mut server).take(cut_after), &mut to_client).await?;
        to_client.flush().await?;
        cut.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        return Ok(());
    }
    tokio::io::copy(&mut server, &mut to_client).await?;
    to_client.shutdown().await
}

async fn read_head(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await?);
    }
    Ok(head)
}

fn header_value(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

/// The head with its `Connection` header replaced by `Connection: close`.
fn with_connection_close(head: &str) -> String {
    let mut lines: Vec<&str> =
        head.trim_end().split("\r\n").filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).collect();
    lines.push("Connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n"))
}

/// A server on loopback that answers every request with `answer` (a whole HTTP response, which
/// should say `Connection: close`). Answers its origin and how many requests it got.
pub async fn answering(answer: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let _ = read_head(&mut stream).await;
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (origin, asked)
}
