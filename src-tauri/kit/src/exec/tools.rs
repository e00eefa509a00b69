//! `/api/v1/exec/route/{discover|resolve|test}` (which scripts answer, which one a path reaches,
//! a request tried through its script) and `/api/v1/exec/validate/{syntax|script}` (a shell
//! script checked by the container's own shell, without running it).

use super::Call;
use super::scripts::{as_json, bad, fields, flag, ok, text, walk};
use crate::error::{KitCode, KitError};
use crate::files::FileOp;
use crate::proxy::Body;
use bytes::Bytes;
use hyper::Response;
use serde_json::{Value, json};

/// Shells whose syntax `-n` checks without running anything.
const SHELLS: [&str; 5] = ["sh", "bash", "dash", "ash", "busybox"];

/// `/api/v1/exec/route/{discover|resolve|test}` and `/api/v1/exec/validate/{syntax|script}`.
pub(crate) async fn answer(call: &Call) -> Result<Response<Body>, KitError> {
    let (area, action, raw, init_pid) = (call.area.as_str(), call.action.as_str(), &call.body[..], call.init_pid);
    let body = fields(raw)?;
    // The platform sends the route as `body`; `path` is taken too.
    let path = || -> Result<String, KitError> {
        let raw = match text(&body, "path")? {
            Some(path) => path,
            None => text(&body, "body")?
                .ok_or_else(|| bad("path is required: the request path to resolve, like /hello/more"))?,
        };
        Ok(if raw.starts_with('/') { raw.to_owned() } else { format!("/{raw}") })
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
            let (script, path_info) = super::route_of(&path)?;
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
            let executable = entry["type"] == "file" && super::executable(entry["mode"].as_str().unwrap_or("0"));
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
            let (script, path_info) = super::route_of(path.split('?').next().unwrap_or(&path))?;
            let query = path.split_once('?').map_or("", |(_, q)| q).to_owned();
            let mut env = super::cgi_env(&method, &query, &path_info, &script);
            env.push(("CONTENT_LENGTH".to_owned(), input.len().to_string()));
            let started = std::time::Instant::now();
            let (answer, _, stderr) = super::run(init_pid, &script, env, input, super::TIMEOUT).await;
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
            let checked = hoody_runtime::bounded::output_cut(child, 0);
            let out = tokio::time::timeout(std::time::Duration::from_secs(10), checked)
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
