//! `/api/v1/exec/magic-comments/{read|update|bulk-update|schema}` and
//! `validate/magic-comments`: a script's magic comments ([`magic`]) read, changed in place
//! (dry run first if asked), checked; and the settings a run takes from them, read once per
//! version of the script.

use super::Call;
use super::SCRIPTS_DIR;
use super::magic::{self, Settings};
use super::scripts::{as_json, bad, fields, files, flag, in_dir, ok, script_path, text, walk};
use crate::error::{KitCode, KitError};
use crate::files::FileOp;
use crate::proxy::{Body, json};
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

/// Settings by container init and script, with the script's modification time and size.
type SettingsCache = HashMap<(u32, String), (i64, u64, Settings)>;
static SETTINGS: Mutex<Option<SettingsCache>> = Mutex::new(None);

/// The settings of `script` (an absolute path in the container) at the version `entry` describes.
pub(super) async fn settings_of(
    init_pid: u32,
    script: &str,
    entry: &hoody_runtime::rootdir::Entry,
) -> Result<Settings, KitError> {
    let key = (init_pid, script.to_owned());
    {
        let cache = SETTINGS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((modified, size, settings)) = cache.as_ref().and_then(|c| c.get(&key))
            && (*modified, *size) == (entry.modified, entry.size)
        {
            return Ok(settings.clone());
        }
    }
    let (_, content) = files(init_pid, FileOp::Read(script.trim_start_matches('/').to_owned()), Bytes::new()).await?;
    let settings = magic::settings(&String::from_utf8_lossy(&content));
    let mut cache = SETTINGS.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if !cache.keys().any(|(pid, _)| *pid == init_pid) {
        cache.retain(|(pid, _), _| hoody_runtime::is_alive(*pid));
    }
    cache.insert(key, (entry.modified, entry.size, settings.clone()));
    Ok(settings)
}

/// Drops the settings read from the container's scripts (of `script`, an absolute path, or
/// all): they are read again at the next run. How many went.
pub(super) fn forget_settings(init_pid: u32, script: Option<&str>) -> usize {
    let mut cache = SETTINGS.lock().unwrap_or_else(|e| e.into_inner());
    let Some(cache) = cache.as_mut() else { return 0 };
    let before = cache.len();
    cache.retain(|(pid, s), _| *pid != init_pid || script.is_some_and(|script| script != s));
    before - cache.len()
}

/// A script's text (under the scripts directory).
pub(super) async fn read_script(init_pid: u32, rel: &str) -> Result<String, KitError> {
    let entry = as_json(&files(init_pid, FileOp::Stat(in_dir(rel)), Bytes::new()).await?.1);
    if entry["type"] != "file" {
        return Err(bad(format!("{rel} is a {}, not a script", entry["type"].as_str().unwrap_or("?"))));
    }
    let (_, content) = files(init_pid, FileOp::Read(in_dir(rel)), Bytes::new()).await?;
    String::from_utf8(content.to_vec()).map_err(|_| bad(format!("{rel} is not text")))
}

/// Writes a script back (keeping it executable).
async fn write_script(init_pid: u32, rel: &str, content: &str) -> Result<(), KitError> {
    let op = FileOp::Put { path: in_dir(rel), append: false, permissions: Some(0o755) };
    files(init_pid, op, Bytes::copy_from_slice(content.as_bytes())).await.map(drop)
}

/// `comments`: a JSON object of key → value (null removes it), or that object as a string.
fn changes(body: &Map<String, Value>) -> Result<Map<String, Value>, KitError> {
    let parsed = match body.get("comments") {
        None | Some(Value::Null) => return Err(bad("comments is required: {\"key\": \"value\"} (null removes a key)")),
        Some(Value::Object(map)) => map.clone(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => return Err(bad("comments is a JSON object of key to value (null removes a key)")),
        },
        Some(other) => return Err(bad(format!("comments is a JSON object of key to value, not {other}"))),
    };
    if parsed.is_empty() {
        return Err(bad("comments names no key to change"));
    }
    Ok(parsed)
}

fn invalid(problems: &[magic::Problem]) -> KitError {
    let list: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
    bad(format!("the magic comments do not check out: {}", list.join("; ")))
}

/// `/api/v1/exec/magic-comments/{action}`.
pub(super) async fn answer(call: &Call) -> Result<Response<Body>, KitError> {
    let (method, action, query, raw, init_pid) =
        (&call.method, call.action.as_str(), &call.query, &call.body[..], call.init_pid);
    match (method.as_str(), action) {
        ("GET", "schema") => {
            let keys: Vec<Value> = magic::SCHEMA
                .iter()
                .map(|(key, value, does, repeats)| json!({ "key": key, "value": value, "description": does, "repeats": repeats }))
                .collect();
            ok(
                json!({ "syntax": "# @key value (or // @key value), among the script's first comment lines, after its shebang",
                "keys": keys }),
            )
        }
        ("GET", "read") => {
            let rel = script_path(query.get("path").ok_or_else(|| bad("path is required"))?, "path")?;
            let comments = magic::read(&read_script(init_pid, &rel).await?);
            let mut answer = magic::as_json(&comments);
            answer["path"] = json!(format!("{SCRIPTS_DIR}/{rel}"));
            answer["problems"] = magic::problems_json(&magic::check(&comments));
            ok(answer)
        }
        ("PUT", "update") => {
            let body = fields(raw)?;
            let rel = script_path(text(&body, "path")?.ok_or_else(|| bad("path is required"))?, "path")?;
            let changes = changes(&body)?;
            let dry_run = flag(&body, "dry_run", false)?;
            let before = read_script(init_pid, &rel).await?;
            let after = magic::update(&before, &changes).map_err(|p| invalid(&p))?;
            if !dry_run && after != before {
                write_script(init_pid, &rel, &after).await?;
                super::schedules::changed(init_pid);
            }
            let verb = if dry_run { "would change" } else { "changed" };
            ok(json!({ "success": true, "message": format!("{verb} the magic comments of {SCRIPTS_DIR}/{rel}"),
                "path": format!("{SCRIPTS_DIR}/{rel}"), "dry_run": dry_run, "changed": after != before,
                "comments": magic::as_json(&magic::read(&after))["comments"], "content": after }))
        }
        ("POST", "bulk-update") => {
            let body = fields(raw)?;
            super::scripts::check_exec_id_in(&body)?;
            let changes = changes(&body)?;
            let dir = match text(&body, "directory")?.filter(|d| !d.trim_matches('/').is_empty()) {
                Some(d) => script_path(d, "directory")?,
                None => String::new(),
            };
            let extension = text(&body, "extension")?.unwrap_or(".ts").to_owned();
            let depth = if flag(&body, "recursive", true)? { 50 } else { 0 };
            let dry_run = flag(&body, "dry_run", false)?;
            // Every script's new text is worked out before any is written.
            let mut plan = Vec::new();
            for entry in walk(init_pid, &dir, depth).await? {
                let rel = entry["id"].as_str().unwrap_or("").to_owned();
                if entry["type"] != "file" || !rel.ends_with(&extension) {
                    continue;
                }
                let before = read_script(init_pid, &rel).await?;
                let after =
                    magic::update(&before, &changes).map_err(|p| bad(format!("{rel}: {}", invalid(&p).message)))?;
                if after != before {
                    plan.push((rel, after));
                }
            }
            if !dry_run {
                for (rel, after) in &plan {
                    write_script(init_pid, rel, after).await?;
                }
                super::schedules::changed(init_pid);
            }
            let changed: Vec<String> = plan.iter().map(|(rel, _)| format!("{SCRIPTS_DIR}/{rel}")).collect();
            let verb = if dry_run { "would change" } else { "changed" };
            ok(
                json!({ "success": true, "message": format!("{verb} {} script(s) ending in {extension:?}", changed.len()),
                "dry_run": dry_run, "changed": changed, "count": changed.len() }),
            )
        }
        (method, action) => Err(KitError::new(
            KitCode::NotFound,
            format!("no exec route {method} /api/v1/exec/magic-comments/{action}"),
        )),
    }
}

/// `POST /api/v1/exec/validate/magic-comments {"code"}`: the comments found, and what is wrong.
pub(super) fn validate(raw: &[u8]) -> Result<Response<Body>, KitError> {
    let body = fields(raw)?;
    let code = text(&body, "code")?.ok_or_else(|| bad("code is required"))?;
    let comments = magic::read(code);
    let problems = magic::check(&comments);
    let message = match problems.len() {
        0 => format!("{} magic comment(s), all valid", comments.len()),
        n => format!("{n} problem(s) in the magic comments"),
    };
    let mut answer = magic::as_json(&comments);
    answer["valid"] = json!(problems.is_empty());
    answer["message"] = json!(message);
    answer["errors"] = magic::problems_json(&problems);
    Ok(json(StatusCode::OK, &answer))
}
