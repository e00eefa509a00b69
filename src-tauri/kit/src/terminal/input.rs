//! What the input routes type into a session, as the platform documents them: `write` (text;
//! `enter` adds the Enter key), `paste` (text, `bracketed` for programs that ask for bracketed
//! paste) and `press` (named keys and chords: `Enter`, `Up`, `F5`, `Ctrl+C`, `Alt+F`).
//! Each body is checked field by field: a documented field this service does not honour yet is
//! a 501 naming it, any other unknown field a 400, so nothing is silently dropped.

use crate::error::{KitCode, KitError};
use serde_json::{Map, Value};

/// Named keys and what a terminal sends for each (xterm's sequences).
const KEYS: &[(&str, &[u8])] = &[
    ("Enter", b"\r"),
    ("Tab", b"\t"),
    ("Escape", b"\x1b"),
    ("Backspace", b"\x7f"),
    ("Space", b" "),
    ("Delete", b"\x1b[3~"),
    ("Insert", b"\x1b[2~"),
    ("Up", b"\x1b[A"),
    ("Down", b"\x1b[B"),
    ("Right", b"\x1b[C"),
    ("Left", b"\x1b[D"),
    ("Home", b"\x1b[H"),
    ("End", b"\x1b[F"),
    ("PageUp", b"\x1b[5~"),
    ("PageDown", b"\x1b[6~"),
    ("F1", b"\x1bOP"),
    ("F2", b"\x1bOQ"),
    ("F3", b"\x1bOR"),
    ("F4", b"\x1bOS"),
    ("F5", b"\x1b[15~"),
    ("F6", b"\x1b[17~"),
    ("F7", b"\x1b[18~"),
    ("F8", b"\x1b[19~"),
    ("F9", b"\x1b[20~"),
    ("F10", b"\x1b[21~"),
    ("F11", b"\x1b[23~"),
    ("F12", b"\x1b[24~"),
];

/// Other names people use for the same keys.
const ALIASES: &[(&str, &str)] = &[
    ("Return", "Enter"),
    ("Esc", "Escape"),
    ("Del", "Delete"),
    ("ArrowUp", "Up"),
    ("ArrowDown", "Down"),
    ("ArrowLeft", "Left"),
    ("ArrowRight", "Right"),
    ("PgUp", "PageUp"),
    ("PgDn", "PageDown"),
];

/// `GET /keys`: the names `press` takes.
pub(super) fn supported_keys() -> Value {
    let names: Vec<&str> = KEYS.iter().map(|(name, _)| *name).collect();
    serde_json::json!({
        "keys": names,
        "aliases": ALIASES.iter().map(|(alias, key)| (alias.to_string(), Value::from(*key))).collect::<Map<_, _>>(),
        "modifiers": ["Ctrl+<letter or [\\]^_>", "Alt+<key or character>"],
        "characters": "any single character is typed as itself",
    })
}

/// The bytes of one key or chord, by name (any case).
fn key(name: &str) -> Result<Vec<u8>, KitError> {
    let unknown = || {
        KitError::new(
            KitCode::InvalidParameters,
            format!("'{name}' is not a key this terminal knows: see GET /api/v1/terminal/keys"),
        )
    };
    let lower = name.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("ctrl+").or_else(|| lower.strip_prefix("c-")) {
        return match rest.as_bytes() {
            [c @ (b'a'..=b'z' | b'[' | b'\\' | b']' | b'^' | b'_')] => Ok(vec![c.to_ascii_uppercase() & 0x1f]),
            [b'@'] | b"space" => Ok(vec![0]),
            _ => Err(unknown()),
        };
    }
    if let Some(rest) = name.get(4..).filter(|_| lower.starts_with("alt+") || lower.starts_with("meta")) {
        let rest = rest.strip_prefix('+').unwrap_or(rest);
        let mut bytes = vec![0x1b];
        bytes.extend(key(rest)?);
        return Ok(bytes);
    }
    let canonical = ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(name)).map_or(name, |(_, key)| key);
    if let Some((_, bytes)) = KEYS.iter().find(|(key, _)| key.eq_ignore_ascii_case(canonical)) {
        return Ok(bytes.to_vec());
    }
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c.to_string().into_bytes()),
        _ => Err(unknown()),
    }
}

/// A route's body fields checked: `honoured` are taken, `not_yet` (documented by the platform,
/// not honoured here) are a 501 naming them, anything else a 400 naming it.
pub(super) fn check_fields(body: &Map<String, Value>, honoured: &[&str], not_yet: &[&str]) -> Result<(), KitError> {
    for field in body.keys() {
        if honoured.contains(&field.as_str()) {
            continue;
        }
        return Err(match not_yet.contains(&field.as_str()) {
            true => KitError::new(
                KitCode::NotImplemented,
                format!("`{field}` is documented by the platform but this terminal does not honour it yet"),
            ),
            false => KitError::new(
                KitCode::InvalidParameters,
                format!("unknown field `{field}`: this route takes {}", honoured.join(", ")),
            ),
        });
    }
    Ok(())
}

fn text<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, KitError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(KitError::new(KitCode::InvalidParameters, format!("`{field}` must be a string"))),
    }
}

fn flag(body: &Map<String, Value>, field: &str) -> Result<bool, KitError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(KitError::new(KitCode::InvalidParameters, format!("`{field}` must be true or false"))),
    }
}

/// `write`: `input` (the platform's name; `data` is ours), Enter after it when `enter`.
pub(super) fn write(body: &Map<String, Value>) -> Result<Vec<u8>, KitError> {
    check_fields(body, &["terminal_id", "input", "data", "enter"], &[])?;
    let input = match (text(body, "input")?, text(body, "data")?) {
        (Some(input), _) | (None, Some(input)) => input,
        (None, None) => {
            return Err(KitError::new(KitCode::InvalidParameters, "`input` is required: the text to type"));
        }
    };
    let mut bytes = input.as_bytes().to_vec();
    if flag(body, "enter")? {
        bytes.push(b'\r');
    }
    Ok(bytes)
}

/// `paste`: `text`, inside the bracketed-paste markers when `bracketed`.
pub(super) fn paste(body: &Map<String, Value>) -> Result<Vec<u8>, KitError> {
    check_fields(body, &["terminal_id", "text", "bracketed"], &[])?;
    let Some(text) = text(body, "text")? else {
        return Err(KitError::new(KitCode::InvalidParameters, "`text` is required: the text to paste"));
    };
    Ok(match flag(body, "bracketed")? {
        true => [b"\x1b[200~".as_slice(), text.as_bytes(), b"\x1b[201~"].concat(),
        false => text.as_bytes().to_vec(),
    })
}

/// `press`: `key` (one) or `keys` (a list, or one name), in order.
pub(super) fn press(body: &Map<String, Value>) -> Result<Vec<u8>, KitError> {
    check_fields(body, &["terminal_id", "key", "keys"], &[])?;
    let names: Vec<&str> = match (body.get("keys"), text(body, "key")?) {
        (Some(Value::Array(keys)), _) => keys
            .iter()
            .map(|k| k.as_str().ok_or_else(|| KitError::new(KitCode::InvalidParameters, "`keys` must be key names")))
            .collect::<Result<_, _>>()?,
        (Some(Value::String(k)), _) => vec![k.as_str()],
        (Some(Value::Null) | None, Some(k)) => vec![k],
        (Some(Value::Null) | None, None) => {
            return Err(KitError::new(KitCode::InvalidParameters, "`key` or `keys` is required: the keys to press"));
        }
        (Some(_), _) => {
            return Err(KitError::new(KitCode::InvalidParameters, "`keys` must be a key name or a list of them"));
        }
    };
    if names.is_empty() {
        return Err(KitError::new(KitCode::InvalidParameters, "`keys` is empty: name at least one key"));
    }
    names.into_iter().map(key).collect::<Result<Vec<_>, _>>().map(|keys| keys.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn keys_and_chords_are_the_bytes_a_terminal_sends() {
        let pressed = |v| press(&body(v)).map_err(|e| e.code);
        assert_eq!(pressed(json!({"key": "Enter"})), Ok(b"\r".to_vec()));
        assert_eq!(pressed(json!({"keys": ["ctrl+c", "Up", "esc", "x"]})), Ok(b"\x03\x1b[A\x1bx".to_vec()));
        assert_eq!(pressed(json!({"keys": "Alt+f"})), Ok(b"\x1bf".to_vec()));
        assert_eq!(pressed(json!({"key": "F5"})), Ok(b"\x1b[15~".to_vec()));
        assert_eq!(pressed(json!({"key": "Hyper+Q"})), Err(KitCode::InvalidParameters));
        assert_eq!(pressed(json!({"keys": []})), Err(KitCode::InvalidParameters));
        assert_eq!(pressed(json!({})), Err(KitCode::InvalidParameters));
    }

    #[test]
    fn write_and_paste_take_the_platforms_fields() {
        assert_eq!(write(&body(json!({"input": "ls", "enter": true}))).unwrap(), b"ls\r");
        assert_eq!(write(&body(json!({"data": "ls"}))).unwrap(), b"ls");
        assert_eq!(write(&body(json!({}))).unwrap_err().code, KitCode::InvalidParameters);
        assert_eq!(write(&body(json!({"input": "ls", "typo": 1}))).unwrap_err().code, KitCode::InvalidParameters);
        assert_eq!(paste(&body(json!({"text": "a", "bracketed": true}))).unwrap(), b"\x1b[200~a\x1b[201~");
        assert_eq!(paste(&body(json!({"text": 5}))).unwrap_err().code, KitCode::InvalidParameters);
    }

    #[test]
    fn documented_fields_not_honoured_are_named_as_such() {
        let e = check_fields(&body(json!({"shell": "/bin/zsh"})), &["cols"], &["shell"]).unwrap_err();
        assert_eq!(e.code, KitCode::NotImplemented);
        assert!(e.message.contains("`shell`"), "{}", e.message);
    }
}
