//! What a container wrote: its console (its init's output, which the runtime keeps as
//! `console.log`, the start before as `console.log.1`) and, for a systemd container that runs,
//! the end of its journal — read inside the container with its own rights by its own
//! `journalctl`, so the journal's files (the container's, untrusted) are never parsed here.

use crate::enter::Enter;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::Duration;

/// The most of each file read for a tail: enough for thousands of lines.
const TAIL_BYTES: u64 = 512 << 10;
/// The most of the journal's lines read (a thousand lines of 16 KiB each).
const JOURNAL_LIMIT: usize = 16 << 20;
/// The longest the journal's reading may take.
const JOURNAL_TIMEOUT: Duration = Duration::from_secs(10);

/// The last `lines` lines of `files` taken as one text, older files first. Files that are not
/// there add nothing; bytes that are not UTF-8 are replaced, terminal escapes dropped.
pub(crate) fn tail(files: &[PathBuf], lines: usize) -> Vec<String> {
    let mut text = Vec::new();
    for path in files {
        let Ok(mut file) = std::fs::File::open(path) else { continue };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let cut = len > TAIL_BYTES;
        if cut && file.seek(SeekFrom::Start(len - TAIL_BYTES)).is_err() {
            continue;
        }
        let mut chunk = Vec::new();
        let _ = file.take(TAIL_BYTES).read_to_end(&mut chunk);
        // Read from the middle of the file: its first line is a piece of one.
        let whole_lines = if cut { chunk.iter().position(|&b| b == b'\n').map_or(chunk.len(), |i| i + 1) } else { 0 };
        text.extend_from_slice(&chunk[whole_lines..]);
        if !text.ends_with(b"\n") && !text.is_empty() {
            text.push(b'\n');
        }
    }
    let text = String::from_utf8_lossy(&text);
    let all: Vec<String> = text.lines().map(printable).collect();
    all[all.len().saturating_sub(lines)..].to_vec()
}

/// A console line as text: colour and cursor escapes out, carriage returns out.
fn printable(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: ESC [ parameters… final byte (@ to ~).
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC (systemd resets the palette with one): ESC ] … ended by BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                // Any other escape is two characters (ESC c, ESC 7…).
                _ => {}
            },
            '\r' => {}
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The journal's last `lines` lines, read inside the running container whose init is
/// `init_pid`; why not, when they cannot be read.
pub(crate) async fn journal(enter: &Enter, init_pid: u32, lines: usize) -> Result<Vec<String>, String> {
    let mut command = tokio::process::Command::from(enter.join(init_pid));
    command.args(["--", "journalctl", "--no-pager", "--quiet", "--output=short-iso", "--lines"]);
    command.arg(lines.to_string()).kill_on_drop(true);
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().map_err(|e| format!("journalctl cannot run: {e}"))?;
    // The container's journalctl may be anything of its root's: what it prints is cut off.
    let read = crate::bounded::output(child, JOURNAL_LIMIT);
    let out = match tokio::time::timeout(JOURNAL_TIMEOUT, read).await {
        Err(_) => return Err(format!("journalctl did not answer within {}s", JOURNAL_TIMEOUT.as_secs())),
        Ok(Err(e)) if crate::bounded::is_too_much(&e) => return Err(format!("journalctl {e}: it was stopped")),
        Ok(Err(e)) => return Err(format!("journalctl cannot run: {e}")),
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(format!("journalctl failed: {}", why.trim().lines().last().unwrap_or("no message")));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(printable).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_spans_the_previous_start_and_drops_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("console.log.1"), dir.path().join("console.log"));
        std::fs::write(&old, "boot 1\nbye").unwrap();
        std::fs::write(
            &new,
            "boot 2\r\n\u{1b}[1;32mOK\u{1b}[0m started\n\u{1b}]104\u{7}\u{1b}]104\u{1b}\\systemd 257\n",
        )
        .unwrap();
        let files = [old, new, dir.path().join("missing")];
        assert_eq!(tail(&files, 10), ["boot 1", "bye", "boot 2", "OK started", "systemd 257"]);
        assert_eq!(tail(&files, 2), ["OK started", "systemd 257"]);
        assert!(tail(&[dir.path().join("missing")], 5).is_empty());
    }
}
