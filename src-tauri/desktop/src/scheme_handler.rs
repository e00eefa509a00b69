//! The desktop entry that hands `hoody://` links to the app, made fit for every `xdg-open`.
//!
//! Tauri's deep-link plugin writes it with the program's path in double quotes. The desktop
//! entry spec allows that, but `xdg-open` without a desktop environment (its generic mode, as
//! on a bare X session or a window manager of its own; xdg-utils 1.1) takes the Exec line's
//! first word as the program, quotes and all, finds no such program and fails ("Permission
//! denied", exit 4): the link never reached the app. A path that needs no quoting is written
//! without them.
//!
//! Installed from the package, the app needs none of that: the package's own entry
//! (`/usr/share/applications/hoody-desktop.desktop`) takes the links for every user, and an
//! entry of the user's would only shadow it. [`installed_handler`] finds that entry.

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

/// The system-wide desktop entry (in `$XDG_DATA_DIRS`, by default `/usr/local/share:/usr/share`)
/// that hands `{scheme}://` links to `program`, as a package installs it.
pub fn installed_handler(scheme: &str, program: &Path) -> Option<PathBuf> {
    let dirs = std::env::var("XDG_DATA_DIRS").ok().filter(|d| !d.is_empty());
    let dirs = dirs.as_deref().unwrap_or("/usr/local/share:/usr/share");
    let mime = format!("x-scheme-handler/{scheme}");
    let on_path = |name: &str| hoody_runtime::enter::on_path(name);
    std::env::split_paths(dirs).filter(|d| d.is_absolute()).find_map(|dir| {
        let entries = std::fs::read_dir(dir.join("applications")).ok()?;
        entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "desktop"))
            .find(|path| std::fs::read_to_string(path).is_ok_and(|text| handles(&text, &mime, program, &on_path)))
    })
}

/// Whether a desktop entry's text takes `mime` and runs `program` (by its path, or by a name
/// that `on_path` finds to be it).
fn handles(entry: &str, mime: &str, program: &Path, on_path: &dyn Fn(&str) -> Option<PathBuf>) -> bool {
    let takes = entry.lines().any(|l| l.starts_with("MimeType=") && l.split(['=', ';']).any(|m| m == mime));
    let runs = entry.lines().filter_map(|l| l.strip_prefix("Exec=")).any(|exec| {
        let first = exec.split_whitespace().next().unwrap_or_default().trim_matches('"');
        let found = if first.contains('/') { Some(PathBuf::from(first)) } else { on_path(first) };
        found.is_some_and(|found| same_file(&found, program))
    });
    takes && runs
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
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
    use super::{handles, unquoted};
    use std::path::{Path, PathBuf};

    #[test]
    fn the_packages_entry_is_told_from_others() {
        let program = Path::new("/usr/bin/hoody-desktop");
        let on_path = |name: &str| (name == "hoody-desktop").then(|| PathBuf::from("/usr/bin/hoody-desktop"));
        let entry = "[Desktop Entry]\nExec=hoody-desktop %u\nMimeType=x-scheme-handler/hoody;\n";
        assert!(handles(entry, "x-scheme-handler/hoody", program, &on_path), "by name, found on PATH");
        let by_path = "[Desktop Entry]\nExec=/usr/bin/hoody-desktop %u\nMimeType=text/plain;x-scheme-handler/hoody\n";
        assert!(handles(by_path, "x-scheme-handler/hoody", program, &on_path), "by path, the MIME type second");
        let other_program = "[Desktop Entry]\nExec=/opt/old/hoody-desktop %u\nMimeType=x-scheme-handler/hoody;\n";
        assert!(!handles(other_program, "x-scheme-handler/hoody", program, &on_path), "another build's");
        let other_scheme = "[Desktop Entry]\nExec=hoody-desktop %u\nMimeType=x-scheme-handler/hoodyx;\n";
        assert!(!handles(other_scheme, "x-scheme-handler/hoody", program, &on_path), "another scheme");
    }

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
