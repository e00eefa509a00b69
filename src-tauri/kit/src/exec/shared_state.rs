//! `/api/v1/exec/shared-state/{get|set|clear}`: a JSON document per host name that scripts
//! share, kept by the service in memory while the container runs (a new start begins empty).

use super::Call;
use super::scripts::{bad, fields, flag, ok, text};
use crate::error::{KitCode, KitError};
use crate::proxy::Body;
use hyper::Response;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

/// The shared state documents, by container (its init) and host name.
static SHARED: Mutex<Option<HashMap<(u32, String), Value>>> = Mutex::new(None);

/// Drops the container's shared documents (the one of `host`, or all): how many went.
pub(super) fn forget(init_pid: u32, host: Option<&str>) -> usize {
    let mut shared = SHARED.lock().expect("shared state lock");
    let documents = shared.get_or_insert_with(HashMap::new);
    let before = documents.len();
    documents.retain(|(pid, h), _| *pid != init_pid || host.is_some_and(|host| host != h));
    before - documents.len()
}

/// `/api/v1/exec/shared-state/{get|set|clear}`: `path` is a dotted path into the document.
pub(crate) fn answer(call: &Call) -> Result<Response<Body>, KitError> {
    let (action, body, init_pid) = (call.action.as_str(), &call.body[..], call.init_pid);
    let body = fields(body)?;
    let host =
        text(&body, "hostname")?.filter(|h| !h.is_empty()).ok_or_else(|| bad("hostname is required"))?.to_owned();
    let path: Vec<String> = text(&body, "path")?
        .map(|p| p.split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut shared = SHARED.lock().expect("shared state lock");
    let documents = shared.get_or_insert_with(HashMap::new);
    if !documents.keys().any(|(pid, _)| *pid == init_pid) {
        // A container seen for the first time (or started again): ended containers' documents go.
        documents.retain(|(pid, _), _| hoody_runtime::is_alive(*pid));
    }
    let key = (init_pid, host.clone());
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
    fn shared_state_sets_merges_gets_and_clears_by_path() {
        let call = |action: &str, body: Value| {
            let resp = answer(&Call::post("shared-state", action, body.to_string().as_bytes(), 4242)).unwrap();
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
        assert!(answer(&Call::post("shared-state", "set", br#"{"value": 1}"#, 4242)).is_err(), "hostname is required");
    }
}
