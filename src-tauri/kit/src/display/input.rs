//! The display's input actions, as the platform's bodies name them, turned into xdotool
//! command lines (run inside the container against its display, through XTEST like a real
//! keyboard and mouse). Each action is parsed whole before anything is sent, so a batch with
//! one bad action does nothing.

use crate::error::{KitCode, KitError};
use serde::Deserialize;
use serde_json::Value;

/// The actions `input/act` and `input/batch` take, by name, and the routes that do one each.
pub const ACTIONS: &[(&str, &str)] = &[
    ("click", "/mouse/click"),
    ("double-click", "/mouse/double-click"),
    ("mouse-down", "/mouse/down"),
    ("mouse-up", "/mouse/up"),
    ("move", "/mouse/move"),
    ("move-relative", "/mouse/move-relative"),
    ("scroll", "/mouse/scroll"),
    ("click-at", "/input/click-at"),
    ("type-at", "/input/type-at"),
    ("drag", "/input/drag"),
    ("select", "/input/select"),
    ("type", "/keyboard/type"),
    ("key", "/keyboard/key"),
    ("key-down", "/keyboard/key-down"),
    ("key-up", "/keyboard/key-up"),
    ("wait", "/input/wait"),
    ("reset", "/input/reset"),
];

/// Longest a `wait` (or a held key or button) may take: the tool's own time limit is longer.
const MAX_WAIT_MS: u64 = 15_000;
/// Most characters one `type` sends.
const MAX_TEXT: usize = 16 << 10;

/// One parsed action: xdotool's arguments, what the answer says was done, and whether a
/// screenshot follows it (`input/wait`'s `screenshot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub args: Vec<String>,
    pub message: String,
    pub screenshot: bool,
}

/// The action a route does, by its name in [`ACTIONS`].
pub fn action_of_route(route: &str) -> Option<&'static str> {
    ACTIONS.iter().find(|(_, r)| *r == route).map(|(name, _)| *name)
}

/// A window id as xdotool takes it (decimal), from the decimal or `0x` hex a client sends.
pub fn window_id(text: &str) -> Result<String, KitError> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse::<u32>(),
    };
    match parsed {
        Ok(id) if id > 0 => Ok(id.to_string()),
        _ => Err(KitError::new(
            KitCode::InvalidParameters,
            format!(
                "windowId is an X window id (a number, decimal or 0x hex), not {text:?}: GET /api/v1/display/windows lists them"
            ),
        )),
    }
}

fn button(b: Option<u8>) -> Result<String, KitError> {
    match b.unwrap_or(1) {
        b @ 1..=9 => Ok(b.to_string()),
        _ => Err(KitError::new(KitCode::InvalidParameters, "button is 1 (left) to 9 (2 middle, 3 right, 4-7 scroll)")),
    }
}

fn wait_ms(ms: u64, field: &str) -> Result<String, KitError> {
    if ms > MAX_WAIT_MS {
        return Err(KitError::new(KitCode::InvalidParameters, format!("{field} is at most {MAX_WAIT_MS} ms")));
    }
    Ok(format!("{:.3}", ms as f64 / 1000.0))
}

/// `--window W` when a body names one.
fn window_option(window: &Option<String>) -> Result<Vec<String>, KitError> {
    Ok(match window {
        Some(w) => vec!["--window".into(), window_id(w)?],
        None => vec![],
    })
}

/// Coordinates on the screen are never negative.
fn at(x: i64, y: i64) -> Result<[String; 2], KitError> {
    if x < 0 || y < 0 || x > i64::from(u16::MAX) || y > i64::from(u16::MAX) {
        return Err(KitError::new(KitCode::InvalidParameters, format!("{x},{y} is not a place on the screen")));
    }
    Ok([x.to_string(), y.to_string()])
}

fn text_of(text: String) -> Result<String, KitError> {
    if text.chars().count() > MAX_TEXT {
        return Err(KitError::new(KitCode::InvalidParameters, format!("text is at most {MAX_TEXT} characters")));
    }
    Ok(text)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Click {
    button: Option<u8>,
    #[serde(default)]
    repeat: Option<u16>,
    delay: Option<u32>,
    window: Option<String>,
    /// Not in the platform's body: where to click first (`click-at` is the platform's way).
    x: Option<i64>,
    y: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Button {
    button: Option<u8>,
    window: Option<String>,
    hold_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Move {
    x: i64,
    y: i64,
    window: Option<String>,
    screen: Option<u8>,
    #[serde(default)]
    sync: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBy {
    x: i32,
    y: i32,
    #[serde(default)]
    sync: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scroll {
    direction: String,
    clicks: Option<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClickAt {
    x: i64,
    y: i64,
    button: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeAt {
    x: i64,
    y: i64,
    text: String,
    delay: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Drag {
    start_x: i64,
    start_y: i64,
    end_x: i64,
    end_y: i64,
    button: Option<u8>,
    steps: Option<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Select {
    x: i64,
    y: i64,
    end_x: i64,
    end_y: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TypeText {
    text: String,
    window: Option<String>,
    delay: Option<u32>,
    #[serde(default)]
    clear_modifiers: bool,
}

/// `keys` is a list; a string of space-separated keys is taken too.
#[derive(Deserialize)]
#[serde(untagged)]
enum KeyList {
    List(Vec<String>),
    Line(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Keys {
    keys: KeyList,
    window: Option<String>,
    delay: Option<u32>,
    #[serde(default)]
    clear_modifiers: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Key {
    key: String,
    window: Option<String>,
    hold_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wait {
    ms: u64,
    #[serde(default)]
    screenshot: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Nothing {}

/// A key name as xdotool takes it: a keysym or a chord (`ctrl+a`), nothing that could be read
/// as one of its options or commands.
fn key_name(key: &str) -> Result<String, KitError> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && !key.starts_with('-')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '_'));
    match ok {
        true => Ok(key.to_owned()),
        false => Err(KitError::new(
            KitCode::InvalidParameters,
            format!("{key:?} is not a key: a keysym (Return, a, F5) or a chord (ctrl+shift+t)"),
        )),
    }
}

/// The modifiers and buttons `input/reset` lets go of.
const MODIFIERS: &[&str] =
    &["Shift_L", "Shift_R", "Control_L", "Control_R", "Alt_L", "Alt_R", "Super_L", "Super_R", "Meta_L", "Meta_R"];

/// Parses `action`'s body.
pub fn parse(action: &str, body: &Value) -> Result<Input, KitError> {
    fn read<T: serde::de::DeserializeOwned>(action: &str, body: &Value) -> Result<T, KitError> {
        T::deserialize(body)
            .map_err(|e| KitError::new(KitCode::InvalidParameters, format!("the body does not fit {action}: {e}")))
    }
    let strings = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    let mut screenshot = false;
    let (args, message) = match action {
        "click" | "double-click" => {
            let c: Click = read(action, body)?;
            let repeat = if action == "double-click" { 2 } else { c.repeat.unwrap_or(1).clamp(1, 100) };
            let b = button(c.button)?;
            let mut args = vec![];
            match (c.x, c.y) {
                (Some(x), Some(y)) => args.extend(["mousemove".into()].into_iter().chain(at(x, y)?)),
                (None, None) => {}
                _ => return Err(KitError::new(KitCode::InvalidParameters, "x and y go together")),
            }
            args.push("click".into());
            args.extend(window_option(&c.window)?);
            args.extend(["--repeat".into(), repeat.to_string()]);
            if let Some(delay) = c.delay {
                args.extend(["--delay".into(), delay.min(10_000).to_string()]);
            }
            args.push(b.clone());
            (args, format!("clicked button {b} {repeat} time(s)"))
        }
        "mouse-down" | "mouse-up" => {
            let b: Button = read(action, body)?;
            let which = button(b.button)?;
            let verb = if action == "mouse-down" { "mousedown" } else { "mouseup" };
            let mut args = vec![verb.to_owned()];
            args.extend(window_option(&b.window)?);
            args.push(which.clone());
            match (action, b.hold_ms) {
                ("mouse-down", Some(ms)) => {
                    args.extend(["sleep".into(), wait_ms(ms, "holdMs")?, "mouseup".into(), which.clone()]);
                    (args, format!("held button {which} for {ms} ms"))
                }
                ("mouse-up", Some(_)) => {
                    return Err(KitError::new(KitCode::InvalidParameters, "holdMs belongs to mouse/down"));
                }
                _ => (args, format!("button {which} {}", if verb == "mousedown" { "down" } else { "up" })),
            }
        }
        "move" => {
            let m: Move = read(action, body)?;
            let mut args = vec!["mousemove".to_owned()];
            args.extend(window_option(&m.window)?);
            if let Some(screen) = m.screen {
                args.extend(["--screen".into(), screen.to_string()]);
            }
            if m.sync {
                args.push("--sync".into());
            }
            let [x, y] = at(m.x, m.y)?;
            args.extend([x.clone(), y.clone()]);
            (args, format!("moved the pointer to {x},{y}"))
        }
        "move-relative" => {
            let m: MoveBy = read(action, body)?;
            let mut args = vec!["mousemove_relative".to_owned()];
            if m.sync {
                args.push("--sync".into());
            }
            args.extend(["--".into(), m.x.to_string(), m.y.to_string()]);
            (args, format!("moved the pointer by {},{}", m.x, m.y))
        }
        "scroll" => {
            let s: Scroll = read(action, body)?;
            let b = match s.direction.as_str() {
                "up" => "4",
                "down" => "5",
                "left" => "6",
                "right" => "7",
                other => {
                    let why = format!("direction is up, down, left or right, not {other:?}");
                    return Err(KitError::new(KitCode::InvalidParameters, why));
                }
            };
            let clicks = s.clicks.unwrap_or(5).clamp(1, 100);
            let args = strings(&["click", "--repeat", &clicks.to_string(), "--delay", "20", b]);
            (args, format!("scrolled {} {clicks} click(s)", s.direction))
        }
        "click-at" => {
            let c: ClickAt = read(action, body)?;
            let b = button(c.button)?;
            let [x, y] = at(c.x, c.y)?;
            (strings(&["mousemove", &x, &y, "click", &b]), format!("clicked button {b} at {x},{y}"))
        }
        "type-at" => {
            let t: TypeAt = read(action, body)?;
            let [x, y] = at(t.x, t.y)?;
            let delay = t.delay.unwrap_or(12).min(1000).to_string();
            let text = text_of(t.text)?;
            let count = text.chars().count();
            let args = strings(&["mousemove", &x, &y, "click", "1", "type", "--delay", &delay, "--", &text]);
            (args, format!("typed {count} character(s) at {x},{y}"))
        }
        "drag" | "select" => {
            let (start, end, b, steps) = if action == "drag" {
                let d: Drag = read(action, body)?;
                ((d.start_x, d.start_y), (d.end_x, d.end_y), button(d.button)?, d.steps.unwrap_or(10))
            } else {
                let s: Select = read(action, body)?;
                ((s.x, s.y), (s.end_x, s.end_y), "1".to_owned(), 10)
            };
            let steps = i64::from(steps.clamp(1, 200));
            let [sx, sy] = at(start.0, start.1)?;
            at(end.0, end.1)?;
            let mut args = strings(&["mousemove", &sx, &sy, "mousedown", &b]);
            for step in 1..=steps {
                let (x, y) = (start.0 + (end.0 - start.0) * step / steps, start.1 + (end.1 - start.1) * step / steps);
                args.extend(strings(&["sleep", "0.01", "mousemove", &x.to_string(), &y.to_string()]));
            }
            args.extend(strings(&["mouseup", &b]));
            let what = if action == "drag" { "dragged" } else { "selected" };
            (args, format!("{what} from {},{} to {},{}", start.0, start.1, end.0, end.1))
        }
        "type" => {
            let t: TypeText = read(action, body)?;
            let mut args = vec!["type".to_owned()];
            args.extend(window_option(&t.window)?);
            if t.clear_modifiers {
                args.push("--clearmodifiers".into());
            }
            args.extend(["--delay".into(), t.delay.unwrap_or(12).min(1000).to_string(), "--".into()]);
            let text = text_of(t.text)?;
            let count = text.chars().count();
            args.push(text);
            (args, format!("typed {count} character(s)"))
        }
        "key" => {
            let k: Keys = read(action, body)?;
            let keys: Vec<String> = match k.keys {
                KeyList::List(list) => list,
                KeyList::Line(line) => line.split_whitespace().map(str::to_owned).collect(),
            };
            if keys.is_empty() || keys.len() > 100 {
                return Err(KitError::new(KitCode::InvalidParameters, "keys lists 1 to 100 keys"));
            }
            let mut args = vec!["key".to_owned()];
            args.extend(window_option(&k.window)?);
            if k.clear_modifiers {
                args.push("--clearmodifiers".into());
            }
            if let Some(delay) = k.delay {
                args.extend(["--delay".into(), delay.min(1000).to_string()]);
            }
            args.push("--".into());
            for key in &keys {
                args.push(key_name(key)?);
            }
            (args, format!("pressed {}", keys.join(" ")))
        }
        "key-down" | "key-up" => {
            let k: Key = read(action, body)?;
            let key = key_name(&k.key)?;
            let verb = if action == "key-down" { "keydown" } else { "keyup" };
            let mut args = vec![verb.to_owned()];
            args.extend(window_option(&k.window)?);
            args.extend(["--".into(), key.clone()]);
            match (action, k.hold_ms) {
                ("key-down", Some(ms)) => {
                    args.extend(["sleep".into(), wait_ms(ms, "holdMs")?, "keyup".into(), key.clone()]);
                    (args, format!("held {key} for {ms} ms"))
                }
                ("key-up", Some(_)) => {
                    return Err(KitError::new(KitCode::InvalidParameters, "holdMs belongs to keyboard/key-down"));
                }
                _ => (args, format!("{key} {}", if verb == "keydown" { "down" } else { "up" })),
            }
        }
        "wait" => {
            let w: Wait = read(action, body)?;
            screenshot = w.screenshot;
            (strings(&["sleep", &wait_ms(w.ms, "ms")?]), format!("waited {} ms", w.ms))
        }
        "reset" => {
            let _: Nothing = if body.is_null() { Nothing {} } else { read(action, body)? };
            let mut args = vec!["keyup".to_owned()];
            args.extend(strings(MODIFIERS));
            for b in ["1", "2", "3"] {
                args.extend(strings(&["mouseup", b]));
            }
            (args, "released every modifier key and mouse button".to_owned())
        }
        other => {
            let names: Vec<&str> = ACTIONS.iter().map(|(name, _)| *name).collect();
            let why = format!("no input action {other:?}: the actions are {}", names.join(", "));
            return Err(KitError::new(KitCode::InvalidParameters, why));
        }
    };
    Ok(Input { args, message, screenshot })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(action: &str, body: Value) -> Vec<String> {
        parse(action, &body).unwrap().args
    }

    #[test]
    fn bodies_become_xdotool_command_lines() {
        assert_eq!(args("click-at", json!({"x": 3, "y": 4})), ["mousemove", "3", "4", "click", "1"]);
        assert_eq!(args("double-click", json!({"button": 3})), ["click", "--repeat", "2", "3"]);
        assert_eq!(
            args("key", json!({"keys": ["ctrl+a", "Return"], "window": "0x10"})),
            ["key", "--window", "16", "--", "ctrl+a", "Return"]
        );
        assert_eq!(args("key", json!({"keys": "a b"})), ["key", "--", "a", "b"]);
        assert_eq!(
            args("scroll", json!({"direction": "down", "clicks": 2})),
            ["click", "--repeat", "2", "--delay", "20", "5"]
        );
        assert_eq!(
            args("key-down", json!({"key": "shift", "holdMs": 250})),
            ["keydown", "--", "shift", "sleep", "0.250", "keyup", "shift"]
        );
        let drag = args("drag", json!({"startX": 0, "startY": 0, "endX": 10, "endY": 20, "steps": 2}));
        assert_eq!(drag.iter().filter(|a| *a == "mousemove").count(), 3);
        assert_eq!(drag[drag.len() - 5..], ["mousemove", "10", "20", "mouseup", "1"]);
        assert!(parse("wait", &json!({"ms": 10, "screenshot": true})).unwrap().screenshot);
    }

    #[test]
    fn bad_bodies_are_refused_naming_why() {
        for (action, body) in [
            ("click", json!({"button": 12})),
            ("click", json!({"x": 1})),
            ("type", json!({"txt": "x"})),
            ("key", json!({"keys": ["--window"]})),
            ("key", json!({"keys": []})),
            ("scroll", json!({"direction": "sideways"})),
            ("click-at", json!({"x": -1, "y": 0})),
            ("wait", json!({"ms": 60_000})),
            ("mouse-up", json!({"holdMs": 1})),
            ("click", json!({"window": "xterm"})),
            ("fly", json!({})),
        ] {
            let e = parse(action, &body).unwrap_err();
            assert_eq!(e.code, KitCode::InvalidParameters, "{action} {body}");
        }
    }
}
