//! The display's windows: listed, searched and read with xdotool and xprop, moved, sized,
//! focused and raised with xdotool — all inside the container against its display. Closing
//! and minimizing are the service's own X requests (see `xproto`), as they need a check xdotool
//! does not make.

use super::input::window_id;
use crate::error::{KitCode, KitError};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// A window operation, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowOp {
    /// Windows with a name (the programs' top-level windows), those shown only when asked.
    List {
        only_visible: bool,
    },
    Search {
        pattern: String,
        fields: Vec<&'static str>,
        only_visible: bool,
    },
    Active,
    Geometry(String),
    Name(String),
    Properties(String),
    /// xdotool changes to one window.
    Change {
        window: String,
        args: Vec<String>,
        message: String,
    },
    Minimize(String),
    Close(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Target {
    window_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MoveTo {
    window_id: String,
    x: i32,
    y: i32,
    #[serde(default)]
    sync: bool,
    #[serde(default)]
    relative: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SizeTo {
    window_id: String,
    width: u16,
    height: u16,
    #[serde(default)]
    sync: bool,
    #[serde(default)]
    use_hints: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Search {
    pattern: String,
    #[serde(default)]
    name: bool,
    #[serde(default)]
    class: bool,
    #[serde(default)]
    classname: bool,
    #[serde(default)]
    only_visible: bool,
}

fn read<T: serde::de::DeserializeOwned>(what: &str, body: &Value) -> Result<T, KitError> {
    T::deserialize(body)
        .map_err(|e| KitError::new(KitCode::InvalidParameters, format!("the body does not fit {what}: {e}")))
}

/// The POST operations of `/window/{verb}`, from their bodies.
pub fn parse_post(verb: &str, body: &Value) -> Result<Option<WindowOp>, KitError> {
    let op = match verb {
        "close" => WindowOp::Close(window_id(&read::<Target>("window/close", body)?.window_id)?),
        "minimize" => WindowOp::Minimize(window_id(&read::<Target>("window/minimize", body)?.window_id)?),
        "focus" | "raise" => {
            let window = window_id(&read::<Target>(verb, body)?.window_id)?;
            let tool = if verb == "focus" { "windowfocus" } else { "windowraise" };
            let message = format!("window {window} {}", if verb == "focus" { "has the focus" } else { "raised" });
            WindowOp::Change { args: vec![tool.into(), window.clone()], window, message }
        }
        "move" => {
            let m: MoveTo = read("window/move", body)?;
            let window = window_id(&m.window_id)?;
            let mut args = vec!["windowmove".to_owned()];
            if m.sync {
                args.push("--sync".into());
            }
            if m.relative {
                args.push("--relative".into());
            }
            args.extend([window.clone(), m.x.to_string(), m.y.to_string()]);
            let message = format!("window {window} moved {} {},{}", if m.relative { "by" } else { "to" }, m.x, m.y);
            WindowOp::Change { window, args, message }
        }
        "resize" => {
            let s: SizeTo = read("window/resize", body)?;
            let window = window_id(&s.window_id)?;
            if s.width == 0 || s.height == 0 {
                return Err(KitError::new(KitCode::InvalidParameters, "width and height are at least 1"));
            }
            let mut args = vec!["windowsize".to_owned()];
            if s.sync {
                args.push("--sync".into());
            }
            if s.use_hints {
                args.push("--usehints".into());
            }
            args.extend([window.clone(), s.width.to_string(), s.height.to_string()]);
            let unit = if s.use_hints { " (in its size hints' units)" } else { "" };
            let message = format!("window {window} resized to {}x{}{unit}", s.width, s.height);
            WindowOp::Change { window, args, message }
        }
        "search" => {
            let s: Search = read("window/search", body)?;
            if s.pattern.is_empty() || s.pattern.len() > 1024 {
                return Err(KitError::new(
                    KitCode::InvalidParameters,
                    "pattern is a regular expression of 1 to 1024 bytes",
                ));
            }
            regex::Regex::new(&s.pattern).map_err(|e| {
                KitError::new(KitCode::InvalidParameters, format!("pattern is not a regular expression: {e}"))
            })?;
            let mut fields = Vec::new();
            for (asked, field) in [(s.name, "--name"), (s.class, "--class"), (s.classname, "--classname")] {
                if asked {
                    fields.push(field);
                }
            }
            if fields.is_empty() {
                fields = vec!["--name", "--class", "--classname"];
            }
            WindowOp::Search { pattern: s.pattern, fields, only_visible: s.only_visible }
        }
        _ => return Ok(None),
    };
    Ok(Some(op))
}

/// The GET operations of `/window/{id}/{what}`.
pub fn parse_get(id: &str, what: &str) -> Result<Option<WindowOp>, KitError> {
    let op = match what {
        "geometry" => WindowOp::Geometry(window_id(id)?),
        "name" => WindowOp::Name(window_id(id)?),
        "properties" => WindowOp::Properties(window_id(id)?),
        _ => return Ok(None),
    };
    Ok(Some(op))
}

/// Prints `id<TAB>name` for each window `xdotool search "$@"` finds.
const LIST_SCRIPT: &str = "ids=$(xdotool search \"$@\" 2>/dev/null); for w in $ids; do \
                           printf '%s\\t' \"$w\"; xdotool getwindowname \"$w\" 2>/dev/null | tr '\\t\\n' '  '; \
                           printf '\\n'; done";

/// The command line (run inside the container with `DISPLAY` set) that reads or changes what
/// `op` names; None for the operations the service makes itself.
pub fn command(op: &WindowOp) -> Option<Vec<String>> {
    let sh = |args: Vec<&str>| {
        let mut line = vec!["/bin/sh".to_owned(), "-c".to_owned(), LIST_SCRIPT.to_owned(), "sh".to_owned()];
        line.extend(args.into_iter().map(str::to_owned));
        line
    };
    let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Some(match op {
        WindowOp::List { only_visible: true } => sh(vec!["--onlyvisible", "--name", "."]),
        WindowOp::List { only_visible: false } => sh(vec!["--name", "."]),
        WindowOp::Search { pattern, fields, only_visible } => {
            let mut args = if *only_visible { vec!["--onlyvisible"] } else { vec![] };
            args.extend(fields.iter().copied());
            args.extend(["--", pattern.as_str()]);
            sh(args)
        }
        WindowOp::Active => words(&[
            "/bin/sh",
            "-c",
            "w=$(xdotool getactivewindow 2>/dev/null || xdotool getwindowfocus) || exit 1; \
             printf '%s\\t' \"$w\"; xdotool getwindowname \"$w\" 2>/dev/null | tr '\\t\\n' '  '",
        ]),
        WindowOp::Geometry(w) => words(&["xdotool", "getwindowgeometry", "--shell", w]),
        WindowOp::Name(w) => words(&["xdotool", "getwindowname", w]),
        WindowOp::Properties(w) => words(&["xprop", "-id", w]),
        WindowOp::Change { args, .. } => std::iter::once("xdotool".to_owned()).chain(args.iter().cloned()).collect(),
        WindowOp::Minimize(_) | WindowOp::Close(_) => return None,
    })
}

/// `id<TAB>name` lines as windows.
fn windows(out: &str) -> Vec<Value> {
    out.lines()
        .filter_map(|line| {
            let (id, name) = line.split_once('\t')?;
            Some(json!({ "id": id, "name": name.trim_end(), "windowId": id }))
        })
        .collect()
}

/// The answer to `op` from what its command printed.
pub fn answer(op: &WindowOp, out: &[u8]) -> Value {
    let out = String::from_utf8_lossy(out);
    match op {
        WindowOp::List { .. } => {
            let list = windows(&out);
            json!({ "data": { "windows": list }, "count": list.len() })
        }
        WindowOp::Search { pattern, .. } => {
            let list = windows(&out);
            let message = format!("{} window(s) match {pattern:?}", list.len());
            json!({ "success": true, "message": message, "data": { "windows": list }, "count": list.len() })
        }
        WindowOp::Active => {
            let (id, name) = out.split_once('\t').unwrap_or((out.trim(), ""));
            json!({ "windowId": id.trim(), "id": id.trim(), "name": name.trim_end() })
        }
        WindowOp::Geometry(w) => {
            let mut answer = json!({ "windowId": w });
            for line in out.lines() {
                if let Some((key, value)) = line.split_once('=') {
                    let key = match key {
                        "X" => "x",
                        "Y" => "y",
                        "WIDTH" => "width",
                        "HEIGHT" => "height",
                        "SCREEN" => "screen",
                        _ => continue,
                    };
                    answer[key] = value.trim().parse::<i64>().map_or(json!(value.trim()), |v| json!(v));
                }
            }
            answer
        }
        WindowOp::Name(w) => json!({ "windowId": w, "name": out.trim_end_matches('\n') }),
        WindowOp::Properties(w) => json!({ "windowId": w, "properties": properties(&out) }),
        WindowOp::Change { message, window, .. } => json!({ "success": true, "message": message, "windowId": window }),
        WindowOp::Minimize(w) => json!({ "success": true, "message": format!("window {w} minimized"), "windowId": w }),
        WindowOp::Close(w) => {
            json!({ "success": true, "message": format!("window {w} was asked to close (WM_DELETE_WINDOW)"), "windowId": w })
        }
    }
}

/// xprop's lines (`WM_NAME(STRING) = "xlogo"`, `WM_PROTOCOLS(ATOM): protocols  WM_DELETE_WINDOW`,
/// indented continuation lines) as a map of property name to its text.
fn properties(out: &str) -> Map<String, Value> {
    let mut props = Map::new();
    let mut last: Option<String> = None;
    for line in out.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(Value::String(value)) = last.as_ref().and_then(|k| props.get_mut(k)) {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        let split = line.find(" = ").map(|at| (at, 3)).or_else(|| line.find(':').map(|at| (at, 1)));
        let Some((at, sep)) = split else { continue };
        let head = &line[..at];
        let name = head.split('(').next().unwrap_or(head).trim().to_owned();
        props.insert(name.clone(), json!(line[at + sep..].trim()));
        last = Some(name);
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xprop_lines_become_a_map() {
        let out = "WM_PROTOCOLS(ATOM): protocols  WM_DELETE_WINDOW\nWM_NAME(STRING) = \"xlogo\"\n\
                   WM_NORMAL_HINTS(WM_SIZE_HINTS):\n\t\tuser specified location: 100, 100\n";
        let props = properties(out);
        assert_eq!(props["WM_NAME"], "\"xlogo\"");
        assert_eq!(props["WM_PROTOCOLS"], "protocols  WM_DELETE_WINDOW");
        assert_eq!(props["WM_NORMAL_HINTS"], "\nuser specified location: 100, 100");
    }

    #[test]
    fn window_bodies_are_checked() {
        let op = parse_post("move", &json!({"windowId": "0x20", "x": 5, "y": 6, "relative": true})).unwrap().unwrap();
        assert_eq!(command(&op).unwrap(), ["xdotool", "windowmove", "--relative", "32", "5", "6"]);
        assert!(parse_post("move", &json!({"windowId": "x", "x": 5, "y": 6})).is_err());
        assert!(parse_post("resize", &json!({"windowId": "1", "width": 0, "height": 6})).is_err());
        assert!(parse_post("search", &json!({"pattern": "("})).is_err());
        assert!(parse_post("focus", &json!({"window": "1"})).is_err());
        assert_eq!(parse_post("fly", &json!({})).unwrap(), None);
        let found = answer(&WindowOp::List { only_visible: false }, b"12\txlogo\n13\t\n");
        assert_eq!(found["data"]["windows"][0]["name"], "xlogo");
        assert_eq!(found["count"], 2);
    }
}
