//! One call of a documented operation, built from its row (placeholders for what it requires),
//! and what the answer says of the operation here.

use super::contract::{Operation, Param};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// What the server made of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Served: an answer or a refusal with its reason, in the documented shape.
    Covered,
    /// 501, naming what is not honoured yet.
    NotYet,
    /// 503: the service is there but cannot answer on this container (say why).
    Unavailable,
    /// No such route here (404 "no … route", 405).
    Missing,
    /// Answered wrongly: a 500, no answer, or an answer not in the documented shape.
    Broken(String),
}

/// The real resources a call names.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    pub container: String,
    pub project: String,
    pub server: String,
    pub realm: String,
    pub token: String,
    pub event: String,
    pub snapshot: String,
}

/// Where the call goes: the API origin (with the admin token) or a kit service's URL.
pub struct Target<'a> {
    pub http: &'a reqwest::Client,
    pub base: String,
    pub token: Option<&'a str>,
}

fn placeholder(kind: &str) -> Value {
    match kind {
        "number" => json!(1),
        "boolean" => json!(true),
        "string[]" => json!(["x"]),
        "json" | "map" => json!({}),
        _ => json!("x"),
    }
}

/// A path parameter's value: the real resource its segment names, else a plain word.
fn path_value(op: &Operation, name: &str, before: &str, ids: &Ids) -> String {
    let real = match (op.file, name, before) {
        ("containers", "id", "containers") => &ids.container,
        ("containers", "id", "projects") => &ids.project,
        ("containers", "id", "servers") => &ids.server,
        ("containers", "id", "realms") => &ids.realm,
        ("containers", "id", "tokens") => &ids.token,
        ("containers", "id", "events") => &ids.event,
        ("containers", "name", "snapshots") => &ids.snapshot,
        ("containers", "operation", _) => "start",
        ("containers", "id", _) => "busybox%2F1",
        (_, "terminal_id" | "windowId" | "index" | "pid" | "timestamp", _) => "1",
        ("files", "path" | "archive" | "directory" | "image", _) => "root",
        ("sqlite", "key", _) => "conformance",
        _ => "conformance",
    };
    real.to_owned()
}

/// The URL path with its parameters filled (`{name}` and `:name` both).
fn fill_path(op: &Operation, ids: &Ids) -> String {
    let mut before = "";
    op.path
        .split('/')
        .map(|segment| {
            let name =
                segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')).or_else(|| segment.strip_prefix(':'));
            let filled = match name {
                Some(name) => path_value(op, name, before, ids),
                None => segment.to_owned(),
            };
            before = segment;
            filled
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn query_value(p: &Param) -> String {
    match (p.name.as_str(), p.kind.as_str()) {
        ("terminal_id", _) => "1".into(),
        ("db", _) | ("path", _) => "conformance".into(),
        ("sql", _) => "U0VMRUNUIDE=".into(), // SELECT 1
        (_, "number") => "1".into(),
        (_, "boolean") => "true".into(),
        _ => "x".into(),
    }
}

/// Calls `op` with what it requires and classifies the answer.
pub async fn call(op: &Operation, target: &Target<'_>, ids: &Ids) -> Outcome {
    let method = reqwest::Method::from_bytes(op.method.as_bytes()).expect("a method");
    let mut query: Vec<(String, String)> = op
        .params
        .iter()
        .filter(|p| p.required && p.place == "query")
        .map(|p| (p.name.clone(), query_value(p)))
        .collect();
    // The terminal's reboot and shutdown act on the suite's own container: an hour from now,
    // long after the suite.
    if matches!(op.name.as_str(), "rebootSystem" | "shutdownSystem") {
        query.push(("delay".into(), "3600".into()));
    }
    let body: Map<String, Value> = op
        .params
        .iter()
        .filter(|p| p.required && p.place == "body" && !p.name.contains('.'))
        .map(|p| (p.name.clone(), placeholder(&p.kind)))
        .collect();
    // The placeholders are plain words, digits and base64 ('=' escaped).
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", v.replace('=', "%3D"))).collect();
    // Some of the contract's paths carry their own query (`/{directory}?zip`).
    let path = fill_path(op, ids);
    let url = match (query.is_empty(), path.contains('?')) {
        (true, _) => format!("{}{path}", target.base),
        (false, true) => format!("{}{path}&{}", target.base, query.join("&")),
        (false, false) => format!("{}{path}?{}", target.base, query.join("&")),
    };
    let mut request = target.http.request(method.clone(), &url).timeout(Duration::from_secs(20));
    if let Some(token) = target.token {
        request = request.bearer_auth(token);
    }
    if !body.is_empty() || matches!(method, reqwest::Method::POST | reqwest::Method::PUT | reqwest::Method::PATCH) {
        request = request.json(&Value::Object(body));
    }
    let answer = match request.send().await {
        // A HEAD answer has no body to say why it is a 404: the same GET says.
        Ok(answer) if method == reqwest::Method::HEAD && answer.status().as_u16() == 404 => {
            match target.http.get(&url).timeout(Duration::from_secs(20)).send().await {
                Ok(again) => again,
                Err(e) => return Outcome::Broken(format!("no answer: {e}")),
            }
        }
        Ok(answer) => answer,
        Err(e) => return Outcome::Broken(format!("no answer: {e}")),
    };
    let status = answer.status().as_u16();
    let json_answer = answer
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let text = answer.text().await.unwrap_or_default();
    if std::env::var_os("HOODY_CONFORMANCE_VERBOSE").is_some() {
        println!("{} {} {} → {status} {}", op.file, op.name, url, text.chars().take(160).collect::<String>());
    }
    classify(op, status, json_answer, &text, method == reqwest::Method::HEAD && status != 404)
}

fn literal_taken_as_parameter(op: &Operation, message: &str) -> bool {
    op.path
        .split(['/', '?'])
        .filter(|s| !s.is_empty() && !s.starts_with('{') && !s.starts_with(':') && !matches!(*s, "api" | "v1"))
        .any(|word| message.contains(&format!("'{word}' is not")))
}

fn classify(op: &Operation, status: u16, json_answer: bool, text: &str, head: bool) -> Outcome {
    let body: Option<Value> = serde_json::from_str(text).ok();
    let message = body.as_ref().and_then(|b| b["message"].as_str()).unwrap_or("").to_owned();
    // Every service says "no … route" (exec: "no script for" an API path) for a path it lacks.
    let no_route = ["route", "no script for /api/"];
    match status {
        501 => return Outcome::NotYet,
        405 => return Outcome::Missing,
        404 if no_route.iter().any(|n| message.contains(n)) => return Outcome::Missing,
        // The server read a fixed word of the contract's path as a parameter of one of its own
        // routes (`/servers/available` as a server id): the operation is not here.
        400 | 404 if literal_taken_as_parameter(op, &message) => return Outcome::Missing,
        503 => return Outcome::Unavailable,
        s if s >= 500 => return Outcome::Broken(format!("{s}: {}", text.chars().take(200).collect::<String>())),
        _ => {}
    }
    if head {
        return Outcome::Covered;
    }
    // The shape: the control plane's envelope; a kit's JSON when it says JSON, its refusals
    // with a code and a message.
    let shape = match (op.file, &body) {
        ("containers", Some(b)) => b["statusCode"] == status && b["message"].is_string(),
        ("containers", None) => false,
        (_, Some(b)) if status >= 400 => b["error"].is_string() && b["message"].is_string(),
        (_, None) if status >= 400 => false,
        (_, None) => !json_answer,
        (_, Some(_)) => true,
    };
    match shape {
        true => Outcome::Covered,
        false => Outcome::Broken(format!(
            "{status}, not in the documented shape: {}",
            text.chars().take(200).collect::<String>()
        )),
    }
}
