//! The exec service's management of its scripts, at the platform's paths: `scripts/list`,
//! `read`, `write`, `move`, `delete`, `tree` under [`SCRIPTS_DIR`], done inside the container as
//! its root (through the files service's operations: what is written belongs to the container,
//! links resolve inside it).
//!
//! Scripts here are programs the container runs (a shebang line names the interpreter); the
//! platform's JavaScript metadata filters (`metadata`, `label`, `tags`, `mode`, `enabled`,
//! `websocket`, `include_comments`) are 501s naming them.

use super::Call;
use super::SCRIPTS_DIR;
use crate::error::{KitCode, KitError};
use crate::files::{FileOp, GlobQuery};
use crate::proxy::{Body, json};
use crate::request::Query;
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Map, Value, json};

/// A 200 with this JSON.
pub(super) fn ok(value: Value) -> Result<Response<Body>, KitError> {
    Ok(json(StatusCode::OK, &value))
}

pub(super) fn bad(message: impl Into<String>) -> KitError {
    KitError::new(KitCode::InvalidParameters, message)
}

/// A script's place under the scripts directory: relative, without `.` or `..` parts.
pub(super) fn script_path(raw: &str, what: &str) -> Result<String, KitError> {
    let trimmed = raw.trim_matches('/');
    let ok = !trimmed.is_empty()
        && !trimmed.contains('\0')
        && trimmed.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    match ok {
        true => Ok(trimmed.to_owned()),
        false => Err(bad(format!("{what} must name a place under {SCRIPTS_DIR} (no '..'), not {raw:?}"))),
    }
}

pub(super) fn in_dir(rel: &str) -> String {
    format!("{}/{rel}", SCRIPTS_DIR.trim_start_matches('/'))
}

/// Only this container's one exec service is addressed here.
pub(super) fn check_exec_id(query: &Query) -> Result<(), KitError> {
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

/// The same for an `execId` in a body.
pub(super) fn check_exec_id_in(body: &Map<String, Value>) -> Result<(), KitError> {
    match text(body, "execId")? {
        Some(id) if !["", "1", "exec-1"].contains(&id) => {
            Err(KitError::new(KitCode::NotFound, format!("execId={id}: this container has one exec service, exec-1")))
        }
        _ => Ok(()),
    }
}

pub(super) fn fields(body: &[u8]) -> Result<Map<String, Value>, KitError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    serde_json::from_slice(body)
        .map_err(|e| KitError::new(KitCode::InvalidJson, format!("the body must be a JSON object: {e}")))
}

pub(super) fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, KitError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(bad(format!("{name} must be a string, not {other}"))),
    }
}

pub(super) fn flag(fields: &Map<String, Value>, name: &str, default: bool) -> Result<bool, KitError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(bad(format!("{name} must be true or false, not {other}"))),
    }
}

/// The files operation's answer: its JSON, or its refusal passed on as the exec service's.
pub(super) async fn files(init_pid: u32, op: FileOp, input: Bytes) -> Result<(StatusCode, Bytes), KitError> {
    let (status, body) = crate::files::run(init_pid, &op, input).await?;
    if status.is_success() {
        return Ok((status, body));
    }
    let refusal: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let message =
        refusal["message"].as_str().unwrap_or("the files operation failed").replace(&format!("/{}", in_dir("")), "");
    Err(KitError::of_status(status, message))
}

pub(super) fn as_json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// Entries under `dir` (relative to the scripts directory), each with its path relative to it.
pub(super) async fn walk(init_pid: u32, dir: &str, depth: u32) -> Result<Vec<Value>, KitError> {
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
pub(crate) async fn answer(call: &Call) -> Result<Response<Body>, KitError> {
    let (method, action, query, body, init_pid) =
        (&call.method, call.action.as_str(), &call.query, &call.body[..], call.init_pid);
    check_exec_id(query)?;
    let body = fields(body)?;
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
            super::schedules::changed(init_pid);
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
            super::schedules::changed(init_pid);
            ok(json!({ "success": true, "from": format!("{SCRIPTS_DIR}/{from}"), "to": format!("{SCRIPTS_DIR}/{to}") }))
        }
        ("DELETE", "delete") => {
            let rel = script_path(query.get("path").ok_or_else(|| bad("path is required"))?, "path")?;
            let entry = as_json(&files(init_pid, FileOp::Stat(in_dir(&rel)), Bytes::new()).await?.1);
            if entry["type"] == "dir" && !query.flag("confirm") {
                return Err(bad(format!("{rel} is a directory: it goes with its contents; send confirm=true")));
            }
            files(init_pid, FileOp::Remove(in_dir(&rel)), Bytes::new()).await?;
            super::schedules::changed(init_pid);
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
}
