//! Magic comments: `# @key value` lines at the head of a script (after its shebang, among its
//! first comments; `// @key` for scripts in languages that comment so) that tell the exec
//! service how to serve it. The service honours them: `@methods` (others answer 405),
//! `@timeout` (seconds a run may take), `@content-type` (the answer's type), `@schedule` (a
//! cron line: the script runs on it); `@description`, `@summary`, `@tag` and `@param` describe
//! it in the route list and the generated OpenAPI document.

use super::schedule::Cron;
use serde_json::{Value, json};

/// The keys a magic comment may have: name, what its value is, what it does, whether it may repeat.
pub const SCHEMA: &[(&str, &str, &str, bool)] = &[
    ("description", "text", "what the script does (route list, OpenAPI document)", false),
    ("summary", "text", "a one-line title (OpenAPI document)", false),
    ("tag", "text", "a group it belongs to (OpenAPI document)", true),
    ("param", "NAME TYPE [required] DESCRIPTION", "a query parameter it reads (OpenAPI document)", true),
    ("methods", "GET,POST,…", "the HTTP methods it answers; any other gets 405", false),
    ("timeout", "seconds, 1-300", "how long one run may take (default 30)", false),
    ("content-type", "a media type", "the answer's Content-Type (default text/plain; charset=utf-8)", false),
    (
        "schedule",
        "cron: minute hour day month weekday, or @hourly/@daily/@weekly/@monthly",
        "runs it on that schedule (GET, no body)",
        false,
    ),
];

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
pub const MAX_TIMEOUT: u64 = 300;

/// One magic comment, with its line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A problem with one comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub key: String,
    pub message: String,
}

/// The header's lines: the shebang, then comments and blank lines, up to the first line of code.
fn header_len(lines: &[&str]) -> usize {
    lines
        .iter()
        .enumerate()
        .take_while(|(i, l)| {
            let t = l.trim();
            (*i == 0 && t.starts_with("#!")) || t.is_empty() || t.starts_with('#') || t.starts_with("//")
        })
        .count()
}

/// `# @key value` (or `// @key value`): the key and value.
fn magic(line: &str) -> Option<(String, String)> {
    let t = line.trim();
    let rest = t.strip_prefix("//").or_else(|| t.strip_prefix('#').filter(|_| !t.starts_with("#!")))?;
    let rest = rest.trim_start().strip_prefix('@')?;
    let (key, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let valid = !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then(|| (key.to_owned(), value.trim().to_owned()))
}

/// The magic comments of a script.
pub fn read(content: &str) -> Vec<Comment> {
    let lines: Vec<&str> = content.lines().collect();
    lines[..header_len(&lines)]
        .iter()
        .enumerate()
        .filter_map(|(i, l)| magic(l).map(|(key, value)| Comment { key, value, line: i + 1 }))
        .collect()
}

/// What is wrong with the comments: unknown keys, values that do not fit, keys given twice.
pub fn check(comments: &[Comment]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, c) in comments.iter().enumerate() {
        let problem = |message: String| Problem { line: c.line, key: c.key.clone(), message };
        let Some((_, _, _, repeats)) = SCHEMA.iter().find(|(k, ..)| *k == c.key) else {
            let known: Vec<&str> = SCHEMA.iter().map(|(k, ..)| *k).collect();
            problems.push(problem(format!(
                "@{} is not a magic comment here: the keys are {}",
                c.key,
                known.join(", ")
            )));
            continue;
        };
        if !repeats && comments[..i].iter().any(|earlier| earlier.key == c.key) {
            problems.push(problem(format!("@{} is given twice", c.key)));
        }
        if let Err(why) = check_value(&c.key, &c.value) {
            problems.push(problem(why));
        }
    }
    problems
}

fn check_value(key: &str, value: &str) -> Result<(), String> {
    match key {
        "methods" => {
            let listed: Vec<&str> = value.split([',', ' ']).filter(|m| !m.is_empty()).collect();
            if listed.is_empty() {
                return Err("@methods lists at least one method".into());
            }
            match listed.iter().find(|m| !METHODS.contains(&m.to_ascii_uppercase().as_str())) {
                Some(m) => Err(format!("@methods: {m} is not one of {}", METHODS.join(", "))),
                None => Ok(()),
            }
        }
        "timeout" => match value.parse::<u64>() {
            Ok(1..=MAX_TIMEOUT) => Ok(()),
            _ => Err(format!("@timeout is a number of seconds, 1 to {MAX_TIMEOUT}, not {value:?}")),
        },
        "content-type" => match value.split_once('/') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() && !value.contains(['\r', '\n']) => Ok(()),
            _ => Err(format!("@content-type is a media type like application/json, not {value:?}")),
        },
        "schedule" => Cron::parse(value).map(drop).map_err(|e| format!("@schedule: {e}")),
        "param" => match value.split_whitespace().count() {
            0 | 1 => Err("@param is NAME TYPE [required] DESCRIPTION".into()),
            _ => Ok(()),
        },
        _ if value.is_empty() => Err(format!("@{key} needs a value")),
        _ => Ok(()),
    }
}

/// What the service does with a script, from its comments (the ones that check out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub methods: Option<Vec<String>>,
    pub timeout_secs: Option<u64>,
    pub content_type: Option<String>,
    pub schedule: Option<String>,
    pub description: Option<String>,
}

pub fn settings(content: &str) -> Settings {
    let comments = read(content);
    let bad: Vec<usize> = check(&comments).iter().map(|p| p.line).collect();
    let mut s = Settings::default();
    for c in comments.into_iter().filter(|c| !bad.contains(&c.line)) {
        match c.key.as_str() {
            "methods" => {
                s.methods =
                    Some(c.value.split([',', ' ']).filter(|m| !m.is_empty()).map(str::to_ascii_uppercase).collect())
            }
            "timeout" => s.timeout_secs = c.value.parse().ok(),
            "content-type" => s.content_type = Some(c.value),
            "schedule" => s.schedule = Some(c.value),
            "description" => s.description = Some(c.value),
            _ => {}
        }
    }
    s
}

/// The comments as JSON: a map of key to value (a list for the keys that repeat) and the lines.
pub fn as_json(comments: &[Comment]) -> Value {
    let mut map = serde_json::Map::new();
    for c in comments {
        let repeats = SCHEMA.iter().any(|(k, _, _, r)| *k == c.key && *r);
        match (repeats, map.get_mut(&c.key)) {
            (true, Some(Value::Array(list))) => list.push(json!(c.value)),
            (true, _) => drop(map.insert(c.key.clone(), json!([c.value]))),
            (false, _) => drop(map.insert(c.key.clone(), json!(c.value))),
        }
    }
    let lines: Vec<Value> =
        comments.iter().map(|c| json!({ "key": c.key, "value": c.value, "line": c.line })).collect();
    json!({ "comments": map, "lines": lines })
}

/// `content` with its magic comments changed: each key of `changes` set to its value (in place
/// when the script has it, else added after the last magic comment or the shebang), removed
/// when the value is null. A repeating key's list replaces all its lines.
pub fn update(content: &str, changes: &serde_json::Map<String, Value>) -> Result<String, Vec<Problem>> {
    let mut lines: Vec<String> = content.lines().map(str::to_owned).collect();
    // New lines comment as the script's magic comments do (`//` in a script that uses it).
    let style = if content
        .lines()
        .take(header_len(&content.lines().collect::<Vec<_>>()))
        .any(|l| l.trim_start().starts_with("// @"))
    {
        "//"
    } else {
        "#"
    };
    let mut problems = Vec::new();
    for (key, value) in changes {
        let values: Vec<String> = match value {
            Value::Null => vec![],
            Value::String(s) => vec![s.clone()],
            Value::Number(n) => vec![n.to_string()],
            Value::Array(list) => {
                list.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect()
            }
            other => {
                problems.push(Problem {
                    line: 0,
                    key: key.clone(),
                    message: format!("@{key}: {other} is not a text value"),
                });
                continue;
            }
        };
        let probe: Vec<Comment> =
            values.iter().map(|v| Comment { key: key.clone(), value: v.clone(), line: 0 }).collect();
        problems.extend(check(&probe));
        let head = header_len(&lines.iter().map(String::as_str).collect::<Vec<_>>());
        let at: Vec<usize> = (0..head).filter(|i| magic(&lines[*i]).is_some_and(|(k, _)| &k == key)).collect();
        let insert_at = at.first().copied().unwrap_or_else(|| {
            (0..head)
                .rev()
                .find(|i| magic(&lines[*i]).is_some())
                .map_or(usize::from(lines.first().is_some_and(|l| l.starts_with("#!"))), |i| i + 1)
        });
        for i in at.iter().rev() {
            lines.remove(*i);
        }
        for (offset, v) in values.iter().enumerate() {
            lines.insert(insert_at + offset, format!("{style} @{key} {v}").trim_end().to_owned());
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = lines.join("\n");
    if content.ends_with('\n') || content.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

pub fn problems_json(problems: &[Problem]) -> Value {
    json!(problems.iter().map(|p| json!({ "line": p.line, "key": p.key, "message": p.message })).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "#!/bin/sh\n# @description Says hello\n# @methods GET, POST\n# @timeout 5\n# plain comment\necho hi\n# @timeout 9\n";

    #[test]
    fn the_header_s_comments_are_read_and_checked() {
        let comments = read(SCRIPT);
        assert_eq!(comments.len(), 3, "the one after code is not a magic comment: {comments:?}");
        assert!(check(&comments).is_empty());
        let s = settings(SCRIPT);
        assert_eq!(s.methods.unwrap(), ["GET", "POST"]);
        assert_eq!((s.timeout_secs, s.description.as_deref()), (Some(5), Some("Says hello")));
        let bad =
            read("#!/bin/sh\n# @timeout 0\n# @colour red\n# @methods FETCH\n# @schedule 61 * * * *\n# @timeout 3\n");
        let problems = check(&bad);
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [2, 3, 4, 5, 6], "{problems:?}");
        assert_eq!(settings("#!/bin/sh\n# @timeout 0\n").timeout_secs, None, "a bad value is not honoured");
    }

    #[test]
    fn updates_change_set_and_remove_in_place() {
        let mut changes = serde_json::Map::new();
        changes.insert("timeout".into(), json!(10));
        changes.insert("description".into(), Value::Null);
        changes.insert("schedule".into(), json!("*/5 * * * *"));
        let out = update(SCRIPT, &changes).unwrap();
        assert_eq!(
            out,
            "#!/bin/sh\n# @methods GET, POST\n# @timeout 10\n# @schedule */5 * * * *\n# plain comment\necho hi\n# @timeout 9\n"
        );
        let mut bad = serde_json::Map::new();
        bad.insert("timeout".into(), json!("soon"));
        assert!(update(SCRIPT, &bad).is_err());
        let fresh = update("#!/bin/sh\necho\n", &changes).unwrap();
        // The keys are applied in name order (schedule before timeout).
        assert_eq!(fresh, "#!/bin/sh\n# @schedule */5 * * * *\n# @timeout 10\necho\n");
    }
}
