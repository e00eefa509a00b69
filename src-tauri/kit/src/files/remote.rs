//! `/{path}?type=webdav|ftp|s3|ssh&server=…`: a file or directory of another server, read (or,
//! over SSH, written) on the fly by rclone inside the container (its network, its rights),
//! with the server's details from the query. They become a remote of a temporary rclone
//! configuration in the container (passwords obscured by rclone), used once and removed.
//! `type=git` needs git, which this service does not drive: 501.

use super::backends::run_rclone;
use crate::error::{KitCode, KitError};
use crate::proxy::{Body, json, with_type};
use crate::request::Query;
use bytes::Bytes;
use hyper::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
/// Most bytes of a remote file answered.
const MAX_READ: &str = "268435456";

fn bad(why: String) -> KitError {
    KitError::new(KitCode::InvalidParameters, why)
}

/// `host[:port]` from `server` (a URL's host, or a host).
fn host_port(server: &str) -> Result<(String, Option<u16>), KitError> {
    let bare = server.split_once("://").map_or(server, |(_, rest)| rest).split('/').next().unwrap_or("");
    let (host, port) = match bare.rsplit_once(':') {
        Some((h, p)) if !h.contains(']') || h.ends_with(']') => {
            (h, Some(p.parse::<u16>().map_err(|_| bad(format!("server {server:?}: the port is not a number")))?))
        }
        _ => (bare, None),
    };
    if host.is_empty() || host.contains([',', '\'', '"', ' ']) {
        return Err(bad(format!("server {server:?} names no host")));
    }
    Ok((host.to_owned(), port))
}

/// Another server as rclone reaches it: its type, its options, and the path there.
struct Remote {
    rclone_type: &'static str,
    options: Vec<(String, String)>,
    path: String,
}

/// The server a query names, and the path there.
fn remote(kind: &str, query: &Query, path: &str) -> Result<Remote, KitError> {
    let get = |name: &str| query.get(name).filter(|v| !v.is_empty()).map(str::to_owned);
    let need = |name: &str| get(name).ok_or_else(|| bad(format!("type={kind} needs {name}")));
    let mut options = Vec::new();
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            options.push((k.to_owned(), v));
        }
    };
    let (rclone_type, remote_path) = match kind {
        "webdav" => {
            let server = need("server")?;
            if !server.starts_with("http://") && !server.starts_with("https://") {
                return Err(bad(format!("server is the WebDAV server's http(s):// URL, not {server:?}")));
            }
            set("url", Some(server));
            set("user", get("user"));
            set("pass", get("pass"));
            let base = get("webdav_path").unwrap_or_else(|| "/".into());
            ("webdav", format!("{}/{path}", base.trim_end_matches('/')))
        }
        "ftp" => {
            let (host, port) = host_port(&need("server")?)?;
            if matches!(query.get("ftp_passive"), Some("false" | "0")) {
                return Err(KitError::new(
                    KitCode::NotImplemented,
                    "ftp_passive=false: active FTP is not offered (rclone connects passively)",
                ));
            }
            set("host", Some(host));
            set("port", port.map(|p| p.to_string()));
            set("user", Some(get("user").unwrap_or_else(|| "anonymous".into())));
            set("pass", get("pass"));
            if query.flag("ftp_secure") {
                set("explicit_tls", Some("true".into()));
            }
            ("ftp", format!("/{path}"))
        }
        "s3" => {
            let endpoint = get("s3_endpoint")
                .or_else(|| get("server"))
                .ok_or_else(|| bad("type=s3 needs server (or s3_endpoint)".into()))?;
            let bucket = need("s3_bucket")?;
            set("provider", Some("Other".into()));
            set("endpoint", Some(endpoint));
            set("region", Some(need("s3_region")?));
            set("access_key_id", get("user"));
            set("secret_access_key", get("pass"));
            ("s3", format!("{bucket}/{path}"))
        }
        "ssh" | "sftp" => {
            let (host, port) = host_port(&need("server")?)?;
            set("host", Some(host));
            set("port", port.map(|p| p.to_string()));
            set("user", Some(need("user")?));
            if get("pass").is_none() && get("key").is_none() {
                return Err(bad(format!("type={kind} needs pass or key (a private key, PEM) to sign in")));
            }
            set("pass", get("pass"));
            set("key_pem", get("key").map(|k| k.replace('\n', "\\n")));
            set("key_file_pass", get("passphrase"));
            ("sftp", format!("/{path}"))
        }
        "git" => {
            return Err(KitError::new(
                KitCode::NotImplemented,
                "type=git: fetching from git needs git, which this service does not drive (clone in the container's terminal)",
            ));
        }
        other => return Err(bad(format!("type is webdav, ftp, s3, ssh or git, not {other:?}"))),
    };
    if options.iter().any(|(_, v)| v.contains(['\n', '\r', '\0'])) {
        return Err(bad("the server's details may not hold line breaks".into()));
    }
    Ok(Remote { rclone_type, options, path: remote_path })
}

/// `GET /{path}?type=…` (the file's bytes, or a directory's entries at `data.paths`) and
/// `PUT /{path}?type=ssh` (the body written there).
pub async fn answer(
    method: &Method,
    rel: &str,
    query: &Query,
    input: Bytes,
    init_pid: u32,
) -> Result<Response<Body>, KitError> {
    let kind = query.get("type").unwrap_or("");
    let Remote { rclone_type, options, path: remote_path } = remote(kind, query, rel)?;
    if *method == Method::PUT && rclone_type != "sftp" {
        return Err(bad(format!("PUT ?type={kind}: writing to another server is done over ssh here")));
    }
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).expect("the OS has randomness");
    let config = format!("/tmp/.hoody-remote-{}.conf", suffix.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let with_config = |args: &[&str]| -> Vec<String> {
        ["--config", config.as_str()].iter().chain(args).map(|s| (*s).to_owned()).collect()
    };
    let mut create = with_config(&["config", "create", "there", rclone_type]);
    create.extend(options.iter().map(|(k, v)| format!("{k}={v}")));
    create.extend(["--non-interactive".into(), "--obscure".into()]);
    let target = format!("there:{remote_path}");
    let result = async {
        run_rclone(init_pid, &create, TIMEOUT, None).await?;
        if *method == Method::PUT {
            let size = input.len();
            run_rclone(init_pid, &with_config(&["rcat", &target]), TIMEOUT, Some(input)).await?;
            return Ok(json(StatusCode::OK, &json!({ "success": true, "message": format!("{size} bytes written to {remote_path} over {kind}") })));
        }
        let stat = run_rclone(init_pid, &with_config(&["lsjson", "--stat", &target]), TIMEOUT, None).await?;
        let entry: Value = serde_json::from_slice(&stat).unwrap_or(Value::Null);
        if entry["IsDir"] == true {
            let listed = run_rclone(init_pid, &with_config(&["lsjson", &target]), TIMEOUT, None).await?;
            let entries: Vec<Value> = serde_json::from_slice::<Vec<Value>>(&listed)
                .unwrap_or_default()
                .iter()
                .map(|e| json!({ "name": e["Name"], "type": if e["IsDir"] == true { "dir" } else { "file" }, "size": e["Size"], "modified": e["ModTime"] }))
                .collect();
            return Ok(json(StatusCode::OK, &json!({ "data": { "path": remote_path, "paths": entries }, "source": kind })));
        }
        let bytes = run_rclone(init_pid, &with_config(&["cat", "--count", MAX_READ, &target]), TIMEOUT, None).await?;
        Ok(with_type(StatusCode::OK, Bytes::from(bytes), "application/octet-stream"))
    }
    .await;
    let _ = super::run(init_pid, &super::FileOp::Remove(config.trim_start_matches('/').to_owned()), Bytes::new()).await;
    result.map_err(|e: KitError| match e.code {
        KitCode::BadGateway => KitError::new(KitCode::BadGateway, format!("{kind} server: {}", e.message)),
        _ => e,
    })
}
