//! The desktop entry that hands `hoody://` links to the app, made fit for every `xdg-open`.
//!
//! Tauri's deep-link plugin writes it with the program's path in double quotes. The desktop
//! entry spec allows that, but `xdg-open` without a desktop environment (its generic mode, as
//! on a bare X session or a window manager of its own; xdg-utils 1.1) takes the Exec line's
//! first word as the program, quotes and all, finds no such program and fails ("Permission
//! denied", exit 4): the link never reached the app. A path that needs no quoting is written
//! without them.

use std::path::{Path, PathBuf};

/// The characters for which the spec requires quoting an Exec argument.
const RESERVED: &[char] =
    &[' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')', '`'];

/// Rewrites the Exec line of every desktop entry in the user's applications directory that
/// handles `x-scheme-handler/{scheme}`; answers the entries changed.
pub fn unquote_handlers(scheme: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    let Ok(entries) = std::fs::read_dir(applications_dir()) else { return Ok(changed) };
    let mime = format!("x-scheme-handler/{scheme}");
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "desktop") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if !text.lines().any(|l| l.starts_with("MimeType=") && l.split(['=', ';']).any(|m| m == mime)) {
            continue;
        }
        if let Some(fixed) = unquoted(&text) {
            let staged = path.with_extension("desktop.new");
            std::fs::write(&staged, fixed)?;
            std::fs::rename(&staged, &path)?;
            changed.push(path);
        }
    }
    Ok(changed)
}

/// `$XDG_DATA_HOME/applications` (`~/.local/share/applications`).
fn applications_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".local/share"))
        .join("applications")
}

/// The entry with its Exec program unquoted, or None when there is nothing to change (not
/// quoted, or a path that needs the quotes).
fn unquoted(entry: &str) -> Option<String> {
    let mut changed = false;
    let lines: Vec<String> = entry
        .lines()
        .map(|line| {
            let quoted = line.strip_prefix("Exec=\"").and_then(|rest| rest.split_once('"'));
            match quoted {
                Some((program, rest)) if !program.contains(RESERVED) => {
                    changed = true;
                    format!("Exec={program}{rest}")
                }
                _ => line.to_owned(),
            }
        })
        .collect();
    changed.then(|| lines.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::unquoted;

    #[test]
    fn a_quoted_program_path_is_unquoted_unless_it_needs_the_quotes() {
        let entry = "[Desktop Entry]\nType=Application\nExec=\"/home/bob/.local/lib/hoody-desktop/hoody-desktop\" %u\nMimeType=x-scheme-handler/hoody\n";
        assert_eq!(
            unquoted(entry).unwrap(),
            "[Desktop Entry]\nType=Application\nExec=/home/bob/.local/lib/hoody-desktop/hoody-desktop %u\nMimeType=x-scheme-handler/hoody\n"
        );
        assert_eq!(unquoted("Exec=/usr/bin/hoody-desktop %u\n"), None, "nothing to change");
        assert_eq!(unquoted("Exec=\"/home/my apps/hoody-desktop\" %u\n"), None, "the space needs the quotes");
    }
}
