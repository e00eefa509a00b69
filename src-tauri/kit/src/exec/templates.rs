//! `/api/v1/exec/templates/*`: scripts to start from. The built-in ones are shell scripts
//! (they run on any container with a shell); custom ones are kept inside the container, one
//! JSON file each under [`TEMPLATES_DIR`]. A template's code names its variables as
//! `{{name}}`; generating fills them (each variable's default unless given; a required one
//! missing is refused) and may save the result as a script.

use super::Call;
use super::SCRIPTS_DIR;
use super::scripts::{as_json, bad, fields, files, flag, in_dir, ok, script_path, text};
use crate::error::{KitCode, KitError};
use crate::files::FileOp;
use crate::proxy::Body;
use bytes::Bytes;
use hyper::Response;
use serde_json::{Map, Value, json};

/// Where a container keeps its custom templates.
pub const TEMPLATES_DIR: &str = "/hoody/exec-templates";

/// The built-in templates: name, category, description, variables (name, default; None:
/// required), code.
type Builtin =
    (&'static str, &'static str, &'static str, &'static [(&'static str, Option<&'static str>)], &'static str);
const BUILTIN: &[Builtin] = &[
    (
        "hello",
        "basic",
        "Answers with a greeting",
        &[("greeting", Some("hello"))],
        "#!/bin/sh\n# @description Answers with a greeting\n# @methods GET\necho \"{{greeting}} from $(hostname)\"\n",
    ),
    (
        "json-api",
        "api",
        "Answers JSON naming the request's method, path and query",
        &[("name", Some("api"))],
        "#!/bin/sh\n# @description {{name}}: the request, as JSON\n# @content-type application/json\nprintf '{\"name\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"query\":\"%s\"}\\n' \\\n  '{{name}}' \"$REQUEST_METHOD\" \"$PATH_INFO\" \"$QUERY_STRING\"\n",
    ),
    (
        "echo-body",
        "api",
        "Answers with the request's body",
        &[],
        "#!/bin/sh\n# @description Answers with the request's body\n# @methods POST,PUT\ncat\n",
    ),
    (
        "scheduled-task",
        "schedule",
        "Runs a command on a schedule and keeps its output in a log",
        &[("schedule", Some("*/5 * * * *")), ("command", None), ("log", Some("/var/log/scheduled-task.log"))],
        "#!/bin/sh\n# @description Runs {{command}} on a schedule\n# @schedule {{schedule}}\n{ date; {{command}}; } >> '{{log}}' 2>&1\necho done\n",
    ),
    (
        "file-listing",
        "files",
        "Lists a directory of the container as text",
        &[("directory", Some("/"))],
        "#!/bin/sh\n# @description Lists {{directory}}\n# @methods GET\nls -la '{{directory}}'\n",
    ),
];

/// A template, as listed and used.
#[derive(Debug, Clone)]
struct Template {
    name: String,
    category: String,
    description: String,
    /// (name, default; None when required)
    variables: Vec<(String, Option<String>)>,
    code: String,
    builtin: bool,
}

impl Template {
    fn json(&self, with_code: bool) -> Value {
        let variables: Vec<Value> = self
            .variables
            .iter()
            .map(|(name, default)| json!({ "name": name, "default": default, "required": default.is_none() }))
            .collect();
        let mut value = json!({ "id": self.name, "name": self.name, "category": self.category,
            "description": self.description, "variables": variables, "status": if self.builtin { "builtin" } else { "custom" },
            "builtin": self.builtin });
        if with_code {
            value["code"] = json!(self.code);
        }
        value
    }

    /// The code with its variables filled.
    fn render(&self, given: &Map<String, Value>) -> Result<String, KitError> {
        if let Some(unknown) = given.keys().find(|k| !self.variables.iter().any(|(name, _)| name == *k)) {
            let names: Vec<&str> = self.variables.iter().map(|(n, _)| n.as_str()).collect();
            return Err(bad(format!(
                "{} has no variable {unknown:?} (its variables: {})",
                self.name,
                names.join(", ")
            )));
        }
        let mut code = self.code.clone();
        for (name, default) in &self.variables {
            let value = match given.get(name) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::Bool(b)) => b.to_string(),
                Some(other) => return Err(bad(format!("variable {name} is text, not {other}"))),
                None => default.clone().ok_or_else(|| bad(format!("variable {name} is required by {}", self.name)))?,
            };
            if value.contains(['\'', '\n', '\0']) {
                return Err(bad(format!("variable {name} may not hold quotes or line breaks")));
            }
            code = code.replace(&format!("{{{{{name}}}}}"), &value);
        }
        Ok(code)
    }
}

fn builtin() -> Vec<Template> {
    BUILTIN
        .iter()
        .map(|(name, category, description, variables, code)| Template {
            name: (*name).into(),
            category: (*category).into(),
            description: (*description).into(),
            variables: variables.iter().map(|(n, d)| ((*n).into(), d.map(str::to_owned))).collect(),
            code: (*code).into(),
            builtin: true,
        })
        .collect()
}

fn template_name(raw: &str) -> Result<String, KitError> {
    let ok =
        !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match ok {
        true => Ok(raw.to_owned()),
        false => Err(bad(format!("a template's name is 1-64 letters, digits, '-' or '_', not {raw:?}"))),
    }
}

fn custom_file(name: &str) -> String {
    format!("{}/{name}.json", TEMPLATES_DIR.trim_start_matches('/'))
}

/// A custom template from what a client sent: its JSON (or that JSON as a string).
fn from_body(value: &Value, name: Option<&str>) -> Result<Template, KitError> {
    let value = match value {
        Value::String(s) => serde_json::from_str(s).map_err(|_| {
            bad("body is the template as JSON: {\"name\", \"code\", \"description\", \"category\", \"variables\"}")
        })?,
        other => other.clone(),
    };
    let Value::Object(map) = value else { return Err(bad("the template is a JSON object")) };
    let name = template_name(
        name.or(map.get("name").and_then(Value::as_str)).ok_or_else(|| bad("the template's name is required"))?,
    )?;
    let code = map
        .get("code")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad("the template's code is required"))?;
    let mut variables = Vec::new();
    for v in map.get("variables").and_then(Value::as_array).into_iter().flatten() {
        let var = v["name"]
            .as_str()
            .filter(|n| template_name(n).is_ok())
            .ok_or_else(|| bad(format!("a variable is {{\"name\", \"default\"}}, not {v}")))?;
        variables.push((var.to_owned(), v["default"].as_str().map(str::to_owned)));
    }
    Ok(Template {
        name,
        category: map.get("category").and_then(Value::as_str).unwrap_or("custom").to_owned(),
        description: map.get("description").and_then(Value::as_str).unwrap_or("").to_owned(),
        variables,
        code: code.to_owned(),
        builtin: false,
    })
}

fn stored(t: &Template) -> Bytes {
    let variables: Vec<Value> = t.variables.iter().map(|(n, d)| json!({ "name": n, "default": d })).collect();
    Bytes::from(
        json!({ "name": t.name, "category": t.category, "description": t.description,
        "variables": variables, "code": t.code })
        .to_string(),
    )
}

async fn customs(init_pid: u32) -> Result<Vec<Template>, KitError> {
    let listed =
        match files(init_pid, FileOp::Browse(TEMPLATES_DIR.trim_start_matches('/').to_owned()), Bytes::new()).await {
            Ok((_, body)) => as_json(&body),
            Err(e) if e.code == KitCode::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
    let mut found = Vec::new();
    let entries = listed["data"]["paths"].as_array().cloned().unwrap_or_default();
    for entry in entries {
        let Some(name) = entry["name"].as_str().and_then(|n| n.strip_suffix(".json")) else { continue };
        let (_, body) = files(init_pid, FileOp::Read(custom_file(name)), Bytes::new()).await?;
        if let Ok(t) = from_body(&as_json(&body), Some(name)) {
            found.push(t);
        }
    }
    Ok(found)
}

async fn find(init_pid: u32, name: &str) -> Result<Template, KitError> {
    let name = template_name(name)?;
    if let Some(t) = builtin().into_iter().find(|t| t.name == name) {
        return Ok(t);
    }
    customs(init_pid)
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| KitError::new(KitCode::NotFound, format!("no template {name}: templates/list names them")))
}

/// `/api/v1/exec/templates/{action}`.
pub(super) async fn answer(call: &Call) -> Result<Response<Body>, KitError> {
    let (method, action, query, raw, init_pid) =
        (&call.method, call.action.as_str(), &call.query, &call.body[..], call.init_pid);
    let (verb, target) = action.split_once('/').map_or((action, None), |(v, t)| (v, Some(t)));
    match (method.as_str(), verb, target) {
        ("GET", "list", None) => {
            let category = query.get("category").filter(|c| !c.is_empty());
            let include = |name: &str| !matches!(query.get(name), Some("false" | "0"));
            let mut all = Vec::new();
            if include("includeBuiltin") {
                all.extend(builtin());
            }
            if include("includeCustom") {
                all.extend(customs(init_pid).await?);
            }
            let listed: Vec<Value> =
                all.iter().filter(|t| category.is_none_or(|c| t.category == c)).map(|t| t.json(false)).collect();
            ok(json!({ "data": { "templates": listed }, "count": listed.len() }))
        }
        ("GET", "preview", None) => {
            let t = find(init_pid, query.get("name").ok_or_else(|| bad("name is required"))?).await?;
            let variables = match query.get("variables").filter(|v| !v.is_empty()) {
                Some(v) => match serde_json::from_str(v) {
                    Ok(Value::Object(map)) => map,
                    _ => return Err(bad("variables is a JSON object of name to value")),
                },
                None => Map::new(),
            };
            let mut answer = t.json(false);
            answer["code"] = json!(t.render(&variables)?);
            ok(answer)
        }
        ("POST", "generate", None) => {
            let body = fields(raw)?;
            let t = find(init_pid, text(&body, "name")?.ok_or_else(|| bad("name is required"))?).await?;
            let variables = match body.get("variables") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(map)) => map.clone(),
                Some(other) => return Err(bad(format!("variables is an object of name to value, not {other}"))),
            };
            let code = t.render(&variables)?;
            if !flag(&body, "saveFile", false)? {
                return ok(
                    json!({ "success": true, "message": format!("generated from {}", t.name), "code": code, "saved": false }),
                );
            }
            let rel = script_path(
                text(&body, "outputPath")?.ok_or_else(|| bad("outputPath is required with saveFile"))?,
                "outputPath",
            )?;
            if files(init_pid, FileOp::Stat(in_dir(&rel)), Bytes::new()).await.is_ok() {
                return Err(KitError::new(
                    KitCode::Conflict,
                    format!("{SCRIPTS_DIR}/{rel} exists: choose another outputPath"),
                ));
            }
            let op = FileOp::Put { path: in_dir(&rel), append: false, permissions: Some(0o755) };
            files(init_pid, op, Bytes::from(code.clone())).await?;
            super::schedules::changed(init_pid);
            ok(json!({ "success": true, "message": format!("{SCRIPTS_DIR}/{rel} generated from {}", t.name),
                "code": code, "saved": true, "path": format!("{SCRIPTS_DIR}/{rel}"),
                "url_path": (!rel.contains('/')).then(|| format!("/{rel}")) }))
        }
        ("POST", "create-custom", None) | ("PUT", "update-custom", Some(_)) => {
            let body = fields(raw)?;
            let t = if verb == "create-custom" {
                let t = from_body(body.get("body").unwrap_or(&Value::Object(body.clone())), None)?;
                if builtin().iter().any(|b| b.name == t.name) || find(init_pid, &t.name).await.is_ok() {
                    return Err(KitError::new(
                        KitCode::Conflict,
                        format!("a template {} exists: update-custom changes it", t.name),
                    ));
                }
                t
            } else {
                let name = template_name(target.unwrap_or(""))?;
                if builtin().iter().any(|b| b.name == name) {
                    return Err(KitError::new(
                        KitCode::Forbidden,
                        format!("{name} is built in: create a custom template instead"),
                    ));
                }
                let mut t = find(init_pid, &name).await?;
                if let Some(code) = text(&body, "code")? {
                    t.code = code.to_owned();
                }
                match body.get("metadata") {
                    None | Some(Value::Null) => {}
                    Some(Value::Object(m)) => {
                        let mut merged = Value::Object(m.clone());
                        merged["name"] = json!(t.name);
                        merged["code"] = json!(t.code);
                        if m.get("variables").is_none() {
                            merged["variables"] = t.json(false)["variables"].clone();
                        }
                        t = from_body(&merged, Some(&name))?;
                    }
                    Some(other) => return Err(bad(format!("metadata is an object, not {other}"))),
                }
                t
            };
            let op = FileOp::Put { path: custom_file(&t.name), append: false, permissions: Some(0o644) };
            files(init_pid, op, stored(&t)).await?;
            let verb = if verb == "create-custom" { "created" } else { "updated" };
            let mut answer = t.json(true);
            answer["success"] = json!(true);
            answer["message"] = json!(format!("template {} {verb}", t.name));
            ok(answer)
        }
        ("DELETE", "delete-custom", Some(name)) => {
            let name = template_name(name)?;
            if builtin().iter().any(|b| b.name == name) {
                return Err(KitError::new(KitCode::Forbidden, format!("{name} is built in and cannot be deleted")));
            }
            files(init_pid, FileOp::Remove(custom_file(&name)), Bytes::new()).await.map_err(|e| match e.code {
                KitCode::NotFound => KitError::new(KitCode::NotFound, format!("no custom template {name}")),
                _ => e,
            })?;
            ok(json!({ "success": true, "message": format!("template {name} deleted") }))
        }
        _ => Err(KitError::new(KitCode::NotFound, format!("no exec route {method} /api/v1/exec/templates/{action}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_their_variables_and_refuse_what_does_not_fit() {
        let task = builtin().into_iter().find(|t| t.name == "scheduled-task").unwrap();
        let mut given = Map::new();
        assert!(task.render(&given).is_err(), "command is required");
        given.insert("command".into(), json!("uptime"));
        let code = task.render(&given).unwrap();
        assert!(code.contains("# @schedule */5 * * * *") && code.contains("{ date; uptime; }"), "{code}");
        given.insert("colour".into(), json!("red"));
        assert!(task.render(&given).is_err());
        given.remove("colour");
        given.insert("command".into(), json!("x'; rm -rf /"));
        assert!(task.render(&given).is_err(), "quotes would break out of the script's quoting");
        for t in builtin() {
            assert!(t.code.starts_with("#!"), "{}", t.name);
        }
    }
}
