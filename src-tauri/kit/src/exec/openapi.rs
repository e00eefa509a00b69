//! `/api/v1/exec/user-openapi/*`: an OpenAPI 3.1 document of the container's scripts, made
//! from what they say of themselves in their magic comments (`@methods`, `@summary`,
//! `@description`, `@tag`, `@param`, `@content-type`): listed, generated (and kept in the
//! container at [`SPEC_FILE`]), served as JSON or YAML; OpenAPI documents checked and merged.

use super::Call;
use super::SCRIPTS_DIR;
use super::magic::{self, Comment};
use super::scripts::{as_json, bad, check_exec_id, fields, files, in_dir, ok, script_path, walk};
use crate::error::{KitCode, KitError};
use crate::files::FileOp;
use crate::proxy::{Body, with_type};
use crate::request::Query;
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Map, Value, json};

/// Where `generate` keeps the document, inside the container.
pub const SPEC_FILE: &str = "/hoody/exec-openapi.json";
const OPERATIONS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

/// The top-level scripts (those that answer at /NAME) with their magic comments.
async fn scripts(init_pid: u32, query: &Query) -> Result<Vec<(String, Vec<Comment>)>, KitError> {
    check_exec_id(query)?;
    let dir = query.get("directory").or(query.get("dir")).unwrap_or("scripts");
    if !["", "scripts", "/", SCRIPTS_DIR].contains(&dir) {
        return Err(bad(format!(
            "directory: scripts answer from the top of {SCRIPTS_DIR} only (directory=scripts), not {dir:?}"
        )));
    }
    let mut found = Vec::new();
    for entry in walk(init_pid, "", 0).await? {
        if entry["executable"] != true {
            continue;
        }
        let rel = entry["id"].as_str().unwrap_or("").to_owned();
        let content = super::comments::read_script(init_pid, &rel).await.unwrap_or_default();
        found.push((rel, magic::read(&content)));
    }
    Ok(found)
}

fn value_of<'a>(comments: &'a [Comment], key: &str) -> Option<&'a str> {
    comments.iter().find(|c| c.key == key).map(|c| c.value.as_str())
}

fn methods(comments: &[Comment]) -> Option<Vec<String>> {
    value_of(comments, "methods")
        .map(|m| m.split([',', ' ']).filter(|m| !m.is_empty()).map(str::to_ascii_lowercase).collect())
}

/// The OpenAPI document of `scripts`.
fn document(scripts: &[(String, Vec<Comment>)], title: &str, version: &str) -> Value {
    let mut paths = Map::new();
    for (name, comments) in scripts {
        let problems = magic::check(comments);
        let bad_lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        let good: Vec<Comment> = comments.iter().filter(|c| !bad_lines.contains(&c.line)).cloned().collect();
        let content_type = value_of(&good, "content-type").unwrap_or("text/plain");
        let parameters: Vec<Value> = good
            .iter()
            .filter(|c| c.key == "param")
            .map(|c| {
                let mut words = c.value.split_whitespace();
                let name = words.next().unwrap_or("");
                let kind = words.next().unwrap_or("string");
                let rest: Vec<&str> = words.collect();
                let required = rest.first() == Some(&"required");
                let description = rest[usize::from(required)..].join(" ");
                json!({ "name": name, "in": "query", "required": required, "schema": { "type": kind }, "description": description })
            })
            .collect();
        let tags: Vec<&str> = good.iter().filter(|c| c.key == "tag").map(|c| c.value.as_str()).collect();
        let listed = methods(&good);
        let mut item = Map::new();
        for method in listed.clone().unwrap_or_else(|| vec!["get".into(), "post".into()]) {
            let mut op = json!({
                "operationId": format!("{}_{}", name.replace(['-', '.'], "_"), method),
                "responses": {
                    "200": { "description": "what the script writes (exit 0)", "content": { content_type: { "schema": { "type": "string" } } } },
                    "400": { "description": "the script exited with 64" },
                    "404": { "description": "the script exited with 66" },
                    "500": { "description": "the script failed" },
                },
            });
            for (key, field) in [("summary", "summary"), ("description", "description")] {
                if let Some(v) = value_of(&good, key) {
                    op[field] = json!(v);
                }
            }
            if !tags.is_empty() {
                op["tags"] = json!(tags);
            }
            if !parameters.is_empty() {
                op["parameters"] = json!(parameters);
            }
            if method != "get" && method != "head" {
                op["requestBody"] =
                    json!({ "required": false, "content": { "*/*": { "schema": { "type": "string" } } } });
            }
            item.insert(method, op);
        }
        if listed.is_none() {
            item.insert("x-hoody-any-method".into(), json!(true));
        }
        paths.insert(format!("/{name}"), Value::Object(item));
    }
    json!({ "openapi": "3.1.0", "info": { "title": title, "version": version }, "paths": paths })
}

/// What is wrong with an OpenAPI document (empty when nothing is).
fn problems(doc: &Value) -> Vec<String> {
    let mut found = Vec::new();
    if !doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")) {
        found.push("openapi is the version, 3.x".to_owned());
    }
    for field in ["title", "version"] {
        if !doc["info"][field].is_string() {
            found.push(format!("info.{field} is required (text)"));
        }
    }
    match doc["paths"].as_object() {
        None => found.push("paths is required (an object)".to_owned()),
        Some(paths) => {
            for (path, item) in paths {
                if !path.starts_with('/') {
                    found.push(format!("path {path:?} does not start with /"));
                }
                let Some(item) = item.as_object() else {
                    found.push(format!("{path} is not an object"));
                    continue;
                };
                for (method, op) in item {
                    if method.starts_with("x-")
                        || ["parameters", "summary", "description", "servers"].contains(&method.as_str())
                    {
                        continue;
                    }
                    if !OPERATIONS.contains(&method.as_str()) && method != "trace" {
                        found.push(format!("{path}: {method} is not an HTTP method"));
                    } else if op["responses"].as_object().is_none_or(|r| r.is_empty()) {
                        found.push(format!("{method} {path} has no responses"));
                    }
                }
            }
        }
    }
    found
}

/// A document from a body's `body` field: its JSON, or that JSON as a string.
fn parsed(value: Option<&Value>, what: &str) -> Result<Value, KitError> {
    match value {
        None | Some(Value::Null) => Err(bad(format!("body is required: {what}"))),
        Some(Value::String(s)) => serde_json::from_str(s).map_err(|e| bad(format!("body is {what} as JSON: {e}"))),
        Some(other) => Ok(other.clone()),
    }
}

/// JSON as YAML (block style; strings quoted as JSON does, which YAML reads the same).
fn yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                out.push_str(&format!("{pad}{}:", Value::String(key.clone())));
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push('\n');
                        yaml(v, indent + 1, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        yaml(v, indent, out);
                    }
                    scalar => out.push_str(&format!(" {scalar}\n")),
                }
            }
        }
        Value::Array(list) if !list.is_empty() => {
            for v in list {
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        yaml(v, indent + 1, &mut inner);
                        let inner = inner.trim_start().to_owned();
                        out.push_str(&format!("{pad}- {inner}"));
                    }
                    scalar => out.push_str(&format!("{pad}- {scalar}\n")),
                }
            }
        }
        scalar => out.push_str(&format!("{pad}{scalar}\n")),
    }
}

/// `/api/v1/exec/user-openapi/{action}`.
pub(super) async fn answer(call: &Call) -> Result<Response<Body>, KitError> {
    let (method, action, query, raw, init_pid) =
        (&call.method, call.action.as_str(), &call.query, &call.body[..], call.init_pid);
    match (method.as_str(), action) {
        ("GET", "list") => {
            let listed: Vec<Value> = scripts(init_pid, query)
                .await?
                .iter()
                .map(|(name, comments)| {
                    let problems = magic::check(comments);
                    json!({ "id": name, "name": name, "path": format!("{SCRIPTS_DIR}/{name}"), "url_path": format!("/{name}"),
                        "status": if problems.is_empty() { "valid" } else { "invalid" },
                        "methods": methods(comments), "description": value_of(comments, "description"),
                        "problems": magic::problems_json(&problems) })
                })
                .collect();
            ok(json!({ "data": { "scripts": listed }, "count": listed.len() }))
        }
        ("GET", "spec") => {
            let doc = document(&scripts(init_pid, query).await?, "Exec scripts", "1.0.0");
            match query.get("format").unwrap_or("json") {
                "json" => ok(doc),
                "yaml" | "yml" => {
                    let mut text = String::new();
                    yaml(&doc, 0, &mut text);
                    Ok(with_type(StatusCode::OK, Bytes::from(text), "application/yaml"))
                }
                other => Err(bad(format!("format is json or yaml, not {other:?}"))),
            }
        }
        ("POST", "generate") => {
            let body = fields(raw)?;
            let options = parsed(body.get("body"), "the options {\"title\", \"version\"}")?;
            let Value::Object(options) = options else {
                return Err(bad("body is the options object {\"title\", \"version\"}"));
            };
            let title = options.get("title").and_then(Value::as_str).unwrap_or("Exec scripts");
            let version = options.get("version").and_then(Value::as_str).unwrap_or("1.0.0");
            let doc = document(&scripts(init_pid, &Query::default()).await?, title, version);
            let op = FileOp::Put {
                path: SPEC_FILE.trim_start_matches('/').to_owned(),
                append: false,
                permissions: Some(0o644),
            };
            files(init_pid, op, Bytes::from(serde_json::to_vec_pretty(&doc).unwrap_or_default())).await?;
            let count = doc["paths"].as_object().map_or(0, Map::len);
            ok(
                json!({ "success": true, "message": format!("{count} path(s) written to {SPEC_FILE}"), "path": SPEC_FILE,
                "paths": count, "spec": doc }),
            )
        }
        ("GET", "schema") => {
            let file = match query.get("file").or(query.get("path")).filter(|f| !f.is_empty()) {
                Some(f) => in_dir(&script_path(f, "file")?),
                None => SPEC_FILE.trim_start_matches('/').to_owned(),
            };
            let (_, content) =
                files(init_pid, FileOp::Read(file.clone()), Bytes::new()).await.map_err(|e| match e.code {
                    KitCode::NotFound if file == SPEC_FILE.trim_start_matches('/') => KitError::new(
                        KitCode::NotFound,
                        "no document generated yet: POST /api/v1/exec/user-openapi/generate writes it",
                    ),
                    _ => e,
                })?;
            let doc = as_json(&content);
            if doc.is_null() {
                return Err(bad(format!("/{file} is not JSON")));
            }
            ok(doc)
        }
        ("POST", "validate") => {
            let body = fields(raw)?;
            let doc = parsed(body.get("body"), "the OpenAPI document")?;
            let found = problems(&doc);
            let message = match found.len() {
                0 => format!("a valid OpenAPI {} document", doc["openapi"].as_str().unwrap_or("3")),
                n => format!("{n} problem(s)"),
            };
            ok(json!({ "valid": found.is_empty(), "message": message, "errors": found }))
        }
        ("POST", "merge") => {
            let body = fields(raw)?;
            let given = parsed(body.get("body"), "a list of OpenAPI documents, or {\"specs\": [...]}")?;
            let docs = match &given {
                Value::Array(list) => list.clone(),
                Value::Object(m) if m.get("specs").is_some_and(Value::is_array) => {
                    m["specs"].as_array().cloned().unwrap_or_default()
                }
                _ => return Err(bad("body is a list of OpenAPI documents, or {\"specs\": [...]}")),
            };
            if docs.len() < 2 {
                return Err(bad("merging takes two documents or more"));
            }
            for (i, doc) in docs.iter().enumerate() {
                if let Some(first) = problems(doc).first() {
                    return Err(bad(format!("document {i}: {first}")));
                }
            }
            let mut merged = docs[0].clone();
            let mut conflicts = Vec::new();
            for doc in &docs[1..] {
                for (path, item) in doc["paths"].as_object().into_iter().flatten() {
                    let target = merged["paths"]
                        .as_object_mut()
                        .expect("checked")
                        .entry(path.clone())
                        .or_insert_with(|| json!({}));
                    for (method, op) in item.as_object().into_iter().flatten() {
                        match target.get(method) {
                            Some(_) => conflicts.push(format!("{method} {path}")),
                            None => target[method] = op.clone(),
                        }
                    }
                }
            }
            let message = match conflicts.len() {
                0 => format!("{} documents merged", docs.len()),
                n => format!(
                    "{} documents merged; {n} operation(s) in more than one: the first document's kept",
                    docs.len()
                ),
            };
            ok(json!({ "success": true, "message": message, "conflicts": conflicts, "spec": merged }))
        }
        (method, action) => {
            Err(KitError::new(KitCode::NotFound, format!("no exec route {method} /api/v1/exec/user-openapi/{action}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_become_a_valid_document_and_yaml() {
        let comments = magic::read(
            "#!/bin/sh\n# @summary Hi\n# @methods GET\n# @param who string required the name\n# @tag demo\n",
        );
        let doc = document(&[("hello".into(), comments), ("any".into(), vec![])], "T", "1");
        assert!(problems(&doc).is_empty(), "{:?}", problems(&doc));
        assert_eq!(doc["paths"]["/hello"]["get"]["parameters"][0]["required"], true);
        assert!(doc["paths"]["/hello"]["post"].is_null());
        assert!(doc["paths"]["/any"]["post"]["requestBody"].is_object());
        let mut text = String::new();
        yaml(&doc, 0, &mut text);
        assert!(text.contains("\"openapi\": \"3.1.0\"\n") && text.contains("    \"get\":\n"), "{text}");
        assert_eq!(problems(&json!({"openapi": "2.0", "paths": {"x": {"fly": {}}}})).len(), 5);
    }
}
