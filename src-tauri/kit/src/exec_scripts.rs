//! The exec service's management of its scripts and shared state, at the platform's paths:
//! `scripts/list`, `read`, `write`, `move`, `delete`, `tree` under [`SCRIPTS_DIR`], done inside
//! the container as its root (through the files service's operations: what is written belongs
//! to the container, links resolve inside it), and `shared-state/get|set|clear`, a JSON document
//! per host name that the service keeps in memory while the container runs.
//!
//! Scripts here are programs the container runs (a shebang line names the interpreter); the
//! platform's JavaScript metadata filters (`metadata`, `label`, `tags`, `mode`, `enabled`,
//! `websocket`, `include_comments`) are 501s naming them.

use crate::error::{KitCode, KitError};
use crate::exec::SCRIPTS_DIR;
use crate::files::{FileOp, GlobQuery};
use crate::proxy::{Body, json};
use crate::request::Query;
use bytes::Bytes;
use hyper::{Method, Response, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

fn bad(message: impl Into<String>) -> KitError {
    KitError::new(KitCode::InvalidParameters, message)
}

/// A script's place under the scripts directory: relative, without `.` or `..` parts.
fn script_path(raw: &str, what: &str) -> Result<String, KitError> {
    let trimmed = raw.trim_matches('/');
    let ok = !trimmed.is_empty()
        && !trimmed.contains('\0')
        && trimmed.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    match ok {
        true => Ok(trimmed.to_owned()),
        false => Err(bad(format!("{what} must name a place under {SCRIPTS_DIR} (no '..'), not {raw:?}"))),
    }
}

fn in_dir(rel: &str) -> String {
    format!("{}/{rel}", SCRIPTS_DIR.trim_start_matches('/'))
}

/// Only this container's one exec service is addressed here.
fn check_exec_id(query: &Query) -> Result<(), KitError> {
    for name in ["execId", "exec_id", "subdomain"] {
        if let Some(id) = query.get(name).filter(|id| !["", "1", "exec-1"].contains(id)) {
            return Err(KitError::new(
                KitCode::NotFound,
                format!("{name}={id}: this container has one exec service, exec-1"),
            ));
        }
    }
    Ok(())
}

fn fields(body: &[u8]) -> Result<Map<String, Value>, KitError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    serde_json::from_slice(body)
        .map_err(|e| KitError::new(KitCode::InvalidJson, format!("the body must be a JSON object: {e}")))
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, KitError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(bad(format!("{name} must be a string, not {other}"))),
    }
}

fn flag(fields: &Map<String, Value>, name: &str, default: bool) -> Result<bool, KitError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(bad(format!("{name} must be true or false, not {other}"))),
    }
}

/// The files operation's answer: its JSON, or its refusal passed on as the exec service's.
async fn files(init_pid: u32, op: FileOp, input: Bytes) -> Result<(StatusCode, Bytes), KitError> {
    let (status, body) = crate::files::run(init_pid, &op, input).await?;
    if status.is_success() {
        return Ok((status, body));
    }
    let refusal: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let message =
        refusal["message"].as_str().unwrap_or("the files operation failed").replace(&format!("/{}", in_dir("")), "");
    Err(KitError::of_status(status, message))
}

fn as_json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// Entries under `dir` (relative to the scripts directory), each with its path relative to it.
async fn walk(init_pid: u32, dir: &str, depth: u32) -> Result<Vec<Value>, KitError> {
    let base = if dir.is_empty() { SCRIPTS_DIR.trim_start_matches('/').to_owned() } else { in_dir(dir) };
    let query = Query::parse(Some(&format!(
        "pattern=**/*&sort=path&order=asc&no_ignore=true&max_results=100000&max_depth={depth}"
    )))
    .map_err(bad)?;
    let op = FileOp::Glob { path: base.clone(), query: GlobQuery::parse(&query)? };
    let found = match files(init_pid, op, Bytes::new()).await {
        Ok((_, body)) => as_json(&body),
        // No scripts directory yet: no scripts.
        Err(e) if e.code == KitCode::NotFound && dir.is_empty() => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let prefix = format!("/{}/", SCRIPTS_DIR.trim_start_matches('/'));
    Ok(found["matches"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let mut entry = m.clone();
            let rel = m["path"].as_str().unwrap_or("").strip_prefix(&prefix).unwrap_or("").to_owned();
            let mode = u32::from_str_radix(m["mode"].as_str().unwrap_or("0"), 8).unwrap_or(0);
            entry["executable"] = json!(m["type"] == "file" && mode & 0o111 != 0);
            // A top-level executable answers at /NAME.
            if entry["executable"] == true && !rel.contains('/') {
                entry["url_path"] = json!(format!("/{rel}"));
            }
            entry["id"] = json!(rel);
            entry["path"] = json!(format!("{SCRIPTS_DIR}/{rel}"));
            entry
        })
        .collect())
}

/// `/api/v1/exec/scripts/{action}`.
pub(crate) async fn scripts(
    method: &Method,
    action: &str,
    query: &Query,
    body: &[u8],
    init_pid: u32,
) -> Result<Response<Body>, KitError> {
    check_exec_id(query)?;
    let body = fields(body)?;
    let ok = |value: Value| Ok(json(StatusCode::OK, &value));
    match (method.as_str(), action) {
        ("GET", "list") => {
            const NOT_YET: [&str; 7] =
                ["metadata", "label", "tags", "mode", "enabled", "websocket", "include_comments"];
            if let Some(name) = NOT_YET.iter().find(|n| query.get(n).is_some()) {
                return Err(KitError::new(
                    KitCode::NotImplemented,
                    format!(
                        "?{name} filters the platform's JavaScript script metadata, which scripts here do not have"
                    ),
                ));
            }
            let dir = match query.get("dir").filter(|d| !d.trim_matches('/').is_empty()) {
                Some(d) => script_path(d, "dir")?,
                None => String::new(),
            };
            let depth = if query.flag("recursive") { 50 } else { 0 };
            let filter = query.get("filter").map(str::to_lowercase);
            let scripts: Vec<Value> = walk(init_pid, &dir, depth)
                .await?
                .into_iter()
                .filter(|e| e["type"] == "file")
                .filter(|e| filter.as_ref().is_none_or(|f| e["name"].as_str().unwrap_or("").to_lowercase().contains(f)))
                .collect();
            ok(json!({ "scripts_dir": SCRIPTS_DIR, "scripts": scripts, "count": scripts.len() }))
        }
        ("GET", "read") => {
            let rel = script_path(query.get("path").ok_or_else(|| bad("path is required"))?, "path")?;
            let entry = as_json(&files(init_pid, FileOp::Stat(in_dir(&rel)), Bytes::new()).await?.1);
            if entry["type"] != "file" {
                return Err(bad(format!("{rel} is a {}, not a script", entry["type"].as_str().unwrap_or("?"))));
            }
            let (_, content) = files(init_pid, FileOp::Read(in_dir(&rel)), Bytes::new()).await?;
            ok(json!({ "path": format!("{SCRIPTS_DIR}/{rel}"), "id": rel, "content": String::from_utf8_lossy(&content),
                "size": entry["size"], "mode": entry["mode"], "modified": entry["modified"] }))
        }
        ("POST", "write") => {
            let rel = script_path(text(&body, "path")?.ok_or_else(|| bad("path is required"))?, "path")?;
            let content = text(&body, "content")?.ok_or_else(|| bad("content is required"))?;
            if flag(&body, "validate", true)? && !content.starts_with("#!") {
                return Err(bad(
                    "a script starts with a shebang line naming its interpreter (#!/bin/sh); send validate=false to write it anyway",
                ));
            }
            if !flag(&body, "createDirs", true)?
                && let Some((dir, _)) = rel.rsplit_once('/')
            {
                files(init_pid, FileOp::Stat(in_dir(dir)), Bytes::new())
                    .await
                    .map_err(|_| bad(format!("{SCRIPTS_DIR}/{dir} does not exist; send createDirs=true to make it")))?;
            }
            let op = FileOp::Put { path: in_dir(&rel), append: false, permissions: Some(0o755) };
            let (_, written) = files(init_pid, op, Bytes::copy_from_slice(content.as_bytes())).await?;
            let entry = as_json(&written);
            ok(json!({ "success": true, "path": format!("{SCRIPTS_DIR}/{rel}"), "id": rel, "size": entry["size"],
                "url_path": (!rel.contains('/')).then(|| format!("/{rel}")) }))
        }
        ("POST", "move") => {
            let from = script_path(text(&body, "from")?.ok_or_else(|| bad("from is required"))?, "from")?;
            let to = script_path(text(&body, "to")?.ok_or_else(|| bad("to is required"))?, "to")?;
            if !flag(&body, "overwrite", false)?
                && files(init_pid, FileOp::Stat(in_dir(&to)), Bytes::new()).await.is_ok()
            {
                return Err(KitError::new(
                    KitCode::Conflict,
                    format!("{SCRIPTS_DIR}/{to} exists; send overwrite=true"),
                ));
            }
            if let Some((dir, _)) = to.rsplit_once('/') {
                files(init_pid, FileOp::Mkdir(in_dir(dir)), Bytes::new()).await.or_else(|e| match e.code {
                    KitCode::Conflict => Ok((StatusCode::OK, Bytes::new())),
                    _ => Err(e),
                })?;
            }
            files(init_pid, FileOp::Move { from: in_dir(&from), to: in_dir(&to) }, Bytes::new()).await?;
            ok(json!({ "success": true, "from": format!("{SCRIPTS_DIR}/{from}"), "to": format!("{SCRIPTS_DIR}/{to}") }))
        }
        ("DELETE", "delete") => {
            let rel = script_path(query.get("path").ok_or_else(|| bad("path is required"))?, "path")?;
            let entry = as_json(&files(init_pid, FileOp::Stat(in_dir(&rel)), Bytes::new()).await?.1);
            if entry["type"] == "dir" && !query.flag("confirm") {
                return Err(bad(format!("{rel} is a directory: it goes with its contents; send confirm=true")));
            }
            files(init_pid, FileOp::Remove(in_dir(&rel)), Bytes::new()).await?;
            ok(json!({ "success": true, "deleted": format!("{SCRIPTS_DIR}/{rel}") }))
        }
        ("POST", "tree") => {
            let base = match text(&body, "baseDir")?.filter(|d| !d.trim_matches('/').is_empty()) {
                Some(d) => script_path(d, "baseDir")?,
                None => String::new(),
            };
            let depth = match body.get("maxDepth") {
                None | Some(Value::Null) => 10,
                Some(v) => {
                    v.as_u64().filter(|d| *d <= 50).ok_or_else(|| bad(format!("maxDepth must be 0 to 50, not {v}")))?
                }
            };
            let metadata = flag(&body, "includeMetadata", false)?;
            let entries = walk(init_pid, &base, depth as u32).await?;
            ok(json!({ "baseDir": base, "tree": tree(&entries, &base, metadata) }))
        }
        (method, action) => {
            Err(KitError::new(KitCode::NotFound, format!("no exec route {method} /api/v1/exec/scripts/{action}")))
        }
    }
}

/// Shells whose syntax `-n` checks without running anything.
const SHELLS: [&str; 5] = ["sh", "bash", "dash", "ash", "busybox"];

/// `/api/v1/exec/route/{discover|resolve|test}` and `/api/v1/exec/validate/{syntax|script}`.
pub(crate) async fn tools(area: &str, action: &str, raw: &[u8], init_pid: u32) -> Result<Response<Body>, KitError> {
    let body = fields(raw)?;
    let ok = |value: Value| Ok(json(StatusCode::OK, &value));
    // The platform sends the route as `body`; `path` is taken too.
    let path = || {
        text(&body, "path")
            .transpose()
            .or_else(|| text(&body, "body").transpose())
            .transpose()?
            .ok_or_else(|| bad("path is required: the request path to resolve, like /hello/more"))
            .map(|p| if p.starts_with('/') { p.to_owned() } else { format!("/{p}") })
    };
    match (area, action) {
        ("route", "discover") => {
            if text(&body, "baseDir")?.is_some_and(|d| !d.trim_matches('/').is_empty()) {
                return Err(bad("baseDir: scripts answer only from the top of the scripts directory (/NAME)"));
            }
            let metadata = flag(&body, "includeMetadata", false)?;
            let routes: Vec<Value> = walk(init_pid, "", 0)
                .await?
                .into_iter()
                .filter(|e| e["executable"] == true)
                .map(|e| {
                    let mut route = json!({ "route": e["url_path"], "script": e["path"], "methods": ["ANY"] });
                    if metadata {
                        for key in ["size", "mode", "modified"] {
                            route[key] = e[key].clone();
                        }
                    }
                    route
                })
                .collect();
            ok(json!({ "routes": routes, "count": routes.len() }))
        }
        ("route", "resolve") => {
            let path = path()?;
            let (script, path_info) = crate::exec::route_of(&path)?;
            let entry =
                crate::files::run(init_pid, &FileOp::Stat(script.trim_start_matches('/').to_owned()), Bytes::new())
                    .await?;
            let entry = match entry.0.is_success() {
                true => as_json(&entry.1),
                false => {
                    return Err(KitError::new(
                        KitCode::NotFound,
                        format!("no script answers {path}: {script} is not there"),
                    ));
                }
            };
            let executable = entry["type"] == "file" && crate::exec::executable(entry["mode"].as_str().unwrap_or("0"));
            ok(json!({ "path": path, "script": script, "path_info": path_info, "executable": executable,
                "answers": executable }))
        }
        ("route", "test") => {
            let path = path()?;
            let method = text(&body, "method")?.unwrap_or("GET").to_uppercase();
            if hyper::Method::from_bytes(method.as_bytes()).is_err() {
                return Err(bad(format!("method {method:?} is not an HTTP method")));
            }
            let input = match body.get("input").or(body.get("requestBody")) {
                None | Some(Value::Null) => Bytes::new(),
                Some(Value::String(s)) => Bytes::copy_from_slice(s.as_bytes()),
                Some(other) => Bytes::from(other.to_string()),
            };
            let (script, path_info) = crate::exec::route_of(path.split('?').next().unwrap_or(&path))?;
            let query = path.split_once('?').map_or("", |(_, q)| q).to_owned();
            let env = vec![
                ("PATH".to_owned(), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned()),
                ("REQUEST_METHOD".to_owned(), method.clone()),
                ("QUERY_STRING".to_owned(), query),
                ("PATH_INFO".to_owned(), path_info),
                ("SCRIPT_NAME".to_owned(), script.clone()),
                ("CONTENT_LENGTH".to_owned(), input.len().to_string()),
            ];
            let started = std::time::Instant::now();
            let (answer, _, stderr) = crate::exec::run(init_pid, &script, env, input).await;
            let (status, output) = match answer {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let bytes = http_body_util::BodyExt::collect(resp.into_body())
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    (status, String::from_utf8_lossy(&bytes).into_owned())
                }
                Err(e) => (e.status().as_u16(), e.message.clone()),
            };
            ok(json!({ "path": path, "method": method, "script": script, "status": status, "output": output,
                "stderr": String::from_utf8_lossy(&stderr), "duration_ms": started.elapsed().as_millis() as u64 }))
        }
        ("validate", "syntax" | "script") => {
            let code = text(&body, "code")?.ok_or_else(|| bad("code is required"))?;
            let Some(shebang) = code.lines().next().and_then(|l| l.strip_prefix("#!")) else {
                return ok(
                    json!({ "valid": false, "errors": ["no shebang line (#!/bin/sh): the service would not know what runs it"] }),
                );
            };
            let mut words = shebang.split_whitespace();
            let program = words.next().unwrap_or("");
            let program = match program.rsplit('/').next() {
                Some("env") => words.next().unwrap_or(""),
                Some(name) => name,
                None => "",
            };
            if !SHELLS.contains(&program) {
                return Err(KitError::new(
                    KitCode::NotImplemented,
                    format!(
                        "the syntax of {program} scripts is not checked here yet (shell scripts are: {})",
                        SHELLS.join(", ")
                    ),
                ));
            }
            let (interpreter, args): (&str, &[&str]) =
                if program == "busybox" { ("/bin/busybox", &["sh", "-n"]) } else { ("/bin/sh", &["-n"]) };
            let interpreter = if program == "bash" { "/bin/bash" } else { interpreter };
            let child = crate::enter::contained(init_pid).and_then(|mut command| {
                command
                    .arg("--")
                    .arg(interpreter)
                    .args(args)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()
            });
            let mut child =
                child.map_err(|e| KitError::new(KitCode::Internal, format!("cannot start {interpreter}: {e}")))?;
            if let Some(mut stdin) = child.stdin.take() {
                let code = code.to_owned();
                tokio::spawn(async move {
                    let _ = tokio::io::AsyncWriteExt::write_all(&mut stdin, code.as_bytes()).await;
                });
            }
            let out = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait_with_output())
                .await
                .map_err(|_| KitError::new(KitCode::Timeout, "the syntax check took longer than 10 s"))?
                .map_err(|e| KitError::new(KitCode::Internal, e.to_string()))?;
            let errors: Vec<String> = String::from_utf8_lossy(&out.stderr)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect();
            // The container must have the interpreter the shebang names.
            let missing = out.status.code() == Some(127) || errors.iter().any(|e| e.contains("No such file"));
            match missing {
                true => ok(json!({ "valid": false, "errors": [format!("{interpreter} is not in the container")] })),
                false => ok(json!({ "valid": out.status.success(), "interpreter": interpreter, "errors": errors })),
            }
        }
        (area, action) => {
            Err(KitError::new(KitCode::NotFound, format!("no exec route POST /api/v1/exec/{area}/{action}")))
        }
    }
}

/// The entries (sorted by path) as nested `{name, type, children}` nodes below `base`.
fn tree(entries: &[Value], base: &str, metadata: bool) -> Vec<Value> {
    let prefix = if base.is_empty() { String::new() } else { format!("{base}/") };
    let mut roots: Vec<Value> = Vec::new();
    for entry in entries {
        let rel = entry["id"].as_str().unwrap_or("").strip_prefix(&prefix).unwrap_or("");
        let mut node = json!({ "name": entry["name"], "type": entry["type"], "id": entry["id"] });
        if metadata {
            for key in ["size", "mode", "modified", "executable"] {
                node[key] = entry[key].clone();
            }
        }
        if entry["type"] == "dir" {
            node["children"] = json!([]);
        }
        let parts: Vec<&str> = rel.split('/').collect();
        insert(&mut roots, &parts, node);
    }
    roots
}

/// Puts `node` (at `parts` below `level`) under its parent directory's children: parents come
/// before their children in a walk sorted by path.
fn insert(level: &mut Vec<Value>, parts: &[&str], node: Value) {
    let parent = match parts {
        [first, _, ..] => level.iter().position(|n| n["name"] == *first && n["children"].is_array()),
        _ => None,
    };
    match parent {
        Some(i) => insert(level[i]["children"].as_array_mut().expect("an array"), &parts[1..], node),
        None => level.push(node),
    }
}

/// The shared state documents, by container (its init) and host name.
static SHARED: Mutex<Option<HashMap<(u32, String), Value>>> = Mutex::new(None);

/// `/api/v1/exec/shared-state/{get|set|clear}`: `path` is a dotted path into the document.
pub(crate) fn shared_state(action: &str, body: &[u8], init_pid: u32) -> Result<Response<Body>, KitError> {
    let body = fields(body)?;
    let host =
        text(&body, "hostname")?.filter(|h| !h.is_empty()).ok_or_else(|| bad("hostname is required"))?.to_owned();
    let path: Vec<String> = text(&body, "path")?
        .map(|p| p.split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut shared = SHARED.lock().expect("shared state lock");
    let documents = shared.get_or_insert_with(HashMap::new);
    let key = (init_pid, host.clone());
    let ok = |value: Value| Ok(json(StatusCode::OK, &value));
    match action {
        "get" => {
            let document = documents.get(&key).cloned().unwrap_or(Value::Null);
            let value = path.iter().try_fold(&document, |v, part| v.get(part)).cloned().unwrap_or(Value::Null);
            ok(json!({ "hostname": host, "path": path.join("."), "value": value }))
        }
        "set" => {
            let raw = body.get("value").ok_or_else(|| bad("value is required"))?;
            // A string that is JSON is taken as that JSON (the platform sends value as a string).
            let value = match raw {
                Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| raw.clone()),
                other => other.clone(),
            };
            let merge = flag(&body, "merge", false)?;
            let document = documents.entry(key).or_insert(Value::Null);
            let mut at = document;
            for part in &path {
                if !at.is_object() {
                    *at = json!({});
                }
                at = at.as_object_mut().expect("an object").entry(part.clone()).or_insert(Value::Null);
            }
            match (merge, &mut *at, value) {
                (true, Value::Object(current), Value::Object(new)) => current.extend(new),
                (true, _, Value::Object(_)) | (true, Value::Object(_), _) => {
                    return Err(bad("merge joins an object into an object: one of them is not an object"));
                }
                (_, slot, value) => *slot = value,
            }
            ok(json!({ "success": true, "hostname": host, "path": path.join("."), "value": at.clone() }))
        }
        "clear" => {
            let all = flag(&body, "clearAll", false)?;
            let cleared = if all {
                let before = documents.len();
                documents.retain(|(pid, _), _| *pid != init_pid);
                before - documents.len()
            } else if path.is_empty() {
                usize::from(documents.remove(&key).is_some())
            } else {
                let (last, parents) = path.split_last().expect("not empty");
                let parent = documents.get_mut(&key).and_then(|d| parents.iter().try_fold(d, |v, p| v.get_mut(p)));
                usize::from(parent.and_then(Value::as_object_mut).and_then(|o| o.remove(last)).is_some())
            };
            ok(json!({ "success": true, "hostname": host, "cleared": cleared }))
        }
        other => Err(KitError::new(KitCode::NotFound, format!("no exec route /api/v1/exec/shared-state/{other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_paths_stay_under_the_scripts_directory() {
        assert_eq!(script_path("/hello", "path").unwrap(), "hello");
        assert_eq!(script_path("api/v2/users", "path").unwrap(), "api/v2/users");
        for bad in ["", "/", "../etc/passwd", "a/../../b", "a//b", "./x", "a\0b"] {
            assert!(script_path(bad, "path").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_tree_nests_children_under_their_directories() {
        let e = |id: &str, name: &str, kind: &str| json!({ "id": id, "name": name, "type": kind });
        let entries = [
            e("api", "api", "dir"),
            e("api/users", "users", "file"),
            e("api/v2", "v2", "dir"),
            e("api/v2/x", "x", "file"),
            e("top", "top", "file"),
        ];
        let t = tree(&entries, "", false);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0]["children"][1]["children"][0]["name"], "x", "{t:?}");
        assert_eq!(tree(&entries[1..2], "api", false)[0]["name"], "users");
    }

    #[test]
    fn shared_state_sets_merges_gets_and_clears_by_path() {
        let call = |action: &str, body: Value| {
            let resp = shared_state(action, body.to_string().as_bytes(), 4242).unwrap();
            futures_util::FutureExt::now_or_never(http_body_util::BodyExt::collect(resp.into_body()))
                .unwrap()
                .unwrap()
                .to_bytes()
        };
        let read = |action: &str, body: Value| serde_json::from_slice::<Value>(&call(action, body)).unwrap();
        read("set", json!({"hostname": "h", "path": "user.prefs", "value": "{\"theme\":\"dark\"}"}));
        read("set", json!({"hostname": "h", "path": "user.prefs", "value": {"lang": "nl"}, "merge": true}));
        assert_eq!(
            read("get", json!({"hostname": "h", "path": "user.prefs"}))["value"],
            json!({"theme": "dark", "lang": "nl"})
        );
        assert_eq!(read("get", json!({"hostname": "other"}))["value"], Value::Null);
        assert_eq!(read("clear", json!({"hostname": "h", "path": "user.prefs"}))["cleared"], 1);
        assert_eq!(read("get", json!({"hostname": "h", "path": "user"}))["value"], json!({}));
        assert!(shared_state("set", br#"{"value": 1}"#, 4242).is_err(), "hostname is required");
    }
}
