//! A container's console: the pty its init has as `/dev/console`, held for as long as it runs
//! by a keeper process of its own (`hoody-enter console`) that writes what it says to the
//! bundle's `console.log` — one file per start, the start before kept as `console.log.1`.
//! The keeper outlives the engine, as the container does; systemd writes why it gives up only
//! there, so this is how a container that dies says why.

use crate::error::{Result, RuntimeError};
use crate::layout::Bundle;
use crate::prepare::InitKind;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// How many of a console's last lines are searched for the reason it stopped.
const LAST_LINES: usize = 12;
/// The longest reason taken from a console.
const REASON_CHARS: usize = 300;
/// The longest a keeper gets to write out what a container said before it stopped.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

/// The keeper of one start's console, until runc has handed it the pty.
#[derive(Debug)]
pub(crate) struct Console {
    socket: PathBuf,
    log: PathBuf,
    keeper: tokio::process::Child,
}

impl Console {
    /// Starts this start's log (the last one becomes `console.log.1`) and its keeper, which
    /// waits at `socket` for runc's pty.
    pub fn open(enter: &Path, socket: &Path, bundle: &Bundle) -> Result<Self> {
        let log = &bundle.console_log();
        let _ = std::fs::rename(log, log.with_extension("log.1"));
        if let Some(dir) = socket.parent() {
            std::fs::create_dir_all(dir).map_err(|e| RuntimeError::io(format!("cannot make {}", dir.display()), e))?;
        }
        let _ = std::fs::remove_file(socket);
        let listener = UnixListener::bind(socket)
            .map_err(|e| RuntimeError::io(format!("cannot make the console's socket {}", socket.display()), e))?;
        let said = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| RuntimeError::io("cannot open the console log", e))?;
        let mut keeper = tokio::process::Command::new(enter)
            .arg("console")
            .arg("--log")
            .arg(log)
            .arg("--init-pid-file")
            .arg(bundle.init_pid())
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(listener)))
            .stdout(Stdio::null())
            .stderr(said)
            // Its own process group: a Ctrl-C meant for the engine does not reach it.
            .process_group(0)
            .spawn()
            .map_err(|e| RuntimeError::io(format!("cannot run {} console", enter.display()), e))?;
        if let Err(e) = std::fs::write(bundle.console_pid(), keeper.id().unwrap_or(0).to_string()) {
            let _ = keeper.start_kill();
            return Err(RuntimeError::io("cannot record the console's keeper", e));
        }
        Ok(Self { socket: socket.to_owned(), log: log.to_owned(), keeper })
    }

    /// Where runc sends the pty (`--console-socket`).
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// This start's log, where runc's own words before the container's go too.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// runc has handed the pty over: the keeper goes on alone (it ends with the container);
    /// while the engine runs, it reaps it.
    pub fn keep(mut self) {
        let _ = std::fs::remove_file(&self.socket);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = self.keeper.wait().await;
            });
        }
    }

    /// runc failed: no console will come.
    pub async fn abandon(mut self) {
        let _ = std::fs::remove_file(&self.socket);
        let _ = self.keeper.kill().await;
    }
}

/// Waits (a moment at most) until the keeper recorded in `pid_file` has written everything
/// the console said: it ends once the console closes, with the container's last process.
pub(crate) async fn wait_for_keeper(pid_file: &Path) {
    let Some(pid) = std::fs::read_to_string(pid_file).ok().and_then(|p| p.trim().parse::<u32>().ok()) else { return };
    let deadline = tokio::time::Instant::now() + DRAIN;
    let keeps = || crate::procfs::args(pid).iter().any(|arg| arg == "console") && crate::procfs::is_alive(pid);
    while keeps() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Why a container stopped, in its console's own words: among its last lines the first that
/// reads as a failure (systemd says the cause first, then what followed from it), else the
/// last line; None for a console that said nothing.
pub(crate) fn last_words(lines: &[String], init: InitKind) -> Option<String> {
    let said: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
    let tail = &said[said.len().saturating_sub(LAST_LINES)..];
    let failure = tail.iter().find(|line| {
        let lower = line.to_lowercase();
        ["fail", "error", "denied", "cannot", "can't", "no such", "not found", "refused", "panic", "fatal"]
            .iter()
            .any(|word| lower.contains(word))
    });
    let line = failure.or(tail.last())?;
    let mut words: String = line.chars().take(REASON_CHARS).collect();
    if words.len() < line.len() {
        words.push('…');
    }
    Some(match init {
        InitKind::Systemd => format!("systemd: {words}"),
        _ => format!("its console: {words}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn systemd_giving_up_is_told_by_its_first_failure() {
        let console = lines(
            "systemd 257.9-1~deb13u1 running in system mode (+PAM +AUDIT)\n\
             Detected virtualization container-other.\n\
             Detected architecture x86-64.\n\
             \n\
             Welcome to Debian GNU/Linux 13 (trixie)!\n\
             \n\
             Failed to create /init.scope control group: Permission denied\n\
             Failed to allocate manager object: Permission denied\n\
             [!!!!!!] Failed to allocate manager object.\n\
             Exiting PID 1...\n",
        );
        assert_eq!(
            last_words(&console, InitKind::Systemd).as_deref(),
            Some("systemd: Failed to create /init.scope control group: Permission denied")
        );
    }

    #[test]
    fn without_a_failure_the_last_line_is_told_and_silence_tells_nothing() {
        let console = lines("starting\nReached target System Power Off.\n\n");
        assert_eq!(
            last_words(&console, InitKind::Other).as_deref(),
            Some("its console: Reached target System Power Off.")
        );
        assert_eq!(last_words(&lines("\n \n"), InitKind::Systemd), None);
        let long = vec!["x".repeat(1000)];
        assert_eq!(last_words(&long, InitKind::Other).unwrap().chars().count(), "its console: ".len() + 301);
    }
}
