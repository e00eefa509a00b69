//! `hoody-enter console --log FILE`: holds a container's console for as long as the container
//! runs, as LXC's monitor and Podman's conmon do.
//!
//! Standard input is a listening unix socket (made by the engine), to which runc sends the
//! master of the pty that the container's init has as `/dev/console`. What the init and its
//! services write there — systemd's reason for giving up among it — is appended to FILE, kept
//! under [`MAX_BYTES`] (past that, the older half goes), so a container that dies says why in
//! its own words. It holds the console open itself (systemd opens it for each line it writes,
//! and a pty whose last user closed it reads as ended), watches the init runc names in
//! `--init-pid-file`, and ends once the init has exited and what it said is written, or when
//! no console came within [`ARRIVAL`] (runc failed).
//!
//! It reads only: nothing is ever written to the container's console, and it holds no
//! descriptor but the pty's master (and a peer of it), the init's pidfd and its log.

use rustix::event::{PollFd, PollFlags};
use rustix::fd::{AsFd, OwnedFd};
use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
use rustix::pty::OpenptFlags;
use std::io::{IoSliceMut, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The most a console log holds; past it, the older half is dropped.
const MAX_BYTES: u64 = 1 << 20;
/// How long runc gets to send the console, in milliseconds (its create's own limit is 30 s).
const ARRIVAL: i32 = 60_000;

pub fn main(raw: Vec<std::ffi::OsString>) -> Result<ExitCode, String> {
    let args = crate::args::Args::parse(raw, &[])?;
    let log = PathBuf::from(args.one("log").ok_or("--log is required")?);
    let init_pid_file = PathBuf::from(args.one("init-pid-file").ok_or("--init-pid-file is required")?);
    let listener = std::io::stdin().as_fd().try_clone_to_owned().map_err(|e| format!("standard input: {e}"))?;
    let master = receive_console(&listener)?;
    drop(listener);
    let null = std::fs::File::open("/dev/null").map_err(|e| format!("/dev/null: {e}"))?;
    rustix::stdio::dup2_stdin(&null).map_err(|e| format!("closing the console's socket: {e}"))?;
    drop(null);
    // The console stays open between the init's writes (systemd opens it for each line):
    // without a peer held here, every close would end the reading with EIO.
    let _peer = rustix::pty::ioctl_tiocgptpeer(&master, OpenptFlags::RDWR | OpenptFlags::NOCTTY)
        .map_err(|e| format!("cannot hold the console open: {e}"))?;
    let init = watch_init(&init_pid_file)?;
    keep(&master, init.as_ref(), &log)?;
    Ok(ExitCode::SUCCESS)
}

/// Waits for runc to name the container's init, and watches it (None: it is gone already).
fn watch_init(pid_file: &Path) -> Result<Option<OwnedFd>, String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ARRIVAL as u64);
    let pid = loop {
        let read = std::fs::read_to_string(pid_file).ok().and_then(|p| p.trim().parse::<i32>().ok());
        if let Some(pid) = read.and_then(rustix::process::Pid::from_raw) {
            break pid;
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("runc named no init in {}", pid_file.display()));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
        Ok(fd) => Ok(Some(fd)),
        Err(rustix::io::Errno::SRCH) => Ok(None),
        Err(e) => Err(format!("cannot watch the container's init: {e}")),
    }
}

/// Waits for runc's connection and takes the pty master it carries.
fn receive_console(listener: &OwnedFd) -> Result<OwnedFd, String> {
    let mut poll = [PollFd::new(listener, PollFlags::IN)];
    let timeout = rustix::event::Timespec { tv_sec: i64::from(ARRIVAL / 1000), tv_nsec: 0 };
    match rustix::event::poll(&mut poll, Some(&timeout)) {
        Ok(0) => return Err("no console came (runc did not start the container)".into()),
        Ok(_) => {}
        Err(e) => return Err(format!("waiting for the console: {e}")),
    }
    let connection = rustix::net::accept(listener).map_err(|e| format!("accepting runc's connection: {e}"))?;
    let mut name = [0u8; 4096];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut ancillary = RecvAncillaryBuffer::new(&mut space);
    rustix::net::recvmsg(&connection, &mut [IoSliceMut::new(&mut name)], &mut ancillary, RecvFlags::CMSG_CLOEXEC)
        .map_err(|e| format!("receiving the console: {e}"))?;
    let mut received: Vec<OwnedFd> = ancillary
        .drain()
        .flat_map(|message| match message {
            RecvAncillaryMessage::ScmRights(fds) => fds.collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    match received.len() {
        1 => Ok(received.remove(0)),
        n => Err(format!("runc sent {n} descriptors, not the console's one")),
    }
}

/// Appends everything the console says to `log` until the init has exited (None: it has) and
/// what it said last is written.
fn keep(master: &OwnedFd, init: Option<&OwnedFd>, log: &Path) -> Result<(), String> {
    let mut file = open(log)?;
    let mut size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut buffer = vec![0u8; 16 << 10];
    rustix::fs::fcntl_setfl(master, rustix::fs::OFlags::NONBLOCK).map_err(|e| format!("the console: {e}"))?;
    loop {
        let exited = match init {
            None => true,
            Some(init) => {
                let mut poll = [PollFd::new(master, PollFlags::IN), PollFd::new(init, PollFlags::IN)];
                match rustix::event::poll(&mut poll, None) {
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(e) => return Err(format!("waiting on the console: {e}")),
                }
                !poll[1].revents().is_empty()
            }
        };
        // Everything there is now (all of it, once the init is gone).
        loop {
            let n = match rustix::io::read(master, &mut buffer) {
                Ok(0) | Err(rustix::io::Errno::AGAIN | rustix::io::Errno::IO) => break,
                Ok(n) => n,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(format!("reading the console: {e}")),
            };
            file.write_all(&buffer[..n]).map_err(|e| format!("writing {}: {e}", log.display()))?;
            size += n as u64;
            if size > MAX_BYTES {
                file = keep_newer_half(log)?;
                size = file.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
        if exited {
            return Ok(());
        }
    }
}

fn open(log: &Path) -> Result<std::fs::File, String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("opening {}: {e}", log.display()))
}

/// Rewrites `log` with its newer half only (swapped in by a rename, so a reader never sees it
/// half written) and opens it again for appending.
fn keep_newer_half(log: &Path) -> Result<std::fs::File, String> {
    let io = |e: std::io::Error| format!("shortening {}: {e}", log.display());
    let mut old = std::fs::File::open(log).map_err(io)?;
    let len = old.metadata().map_err(io)?.len();
    old.seek(SeekFrom::Start(len - MAX_BYTES / 2)).map_err(io)?;
    let mut newer = Vec::new();
    old.read_to_end(&mut newer).map_err(io)?;
    // From the start of a line: the first one is a piece.
    let start = newer.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    let staged = log.with_extension("log.new");
    std::fs::write(&staged, &newer[start..]).and_then(|()| std::fs::rename(&staged, log)).map_err(io)?;
    open(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_log_keeps_its_newer_half_from_a_line_start() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("console.log");
        let line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n"; // 64 bytes
        let text: String = (0..(MAX_BYTES / 64 + 10)).map(|_| line).collect();
        std::fs::write(&log, format!("{text}the last line\n")).unwrap();
        let mut file = keep_newer_half(&log).unwrap();
        file.write_all(b"appended\n").unwrap();
        let kept = std::fs::read_to_string(&log).unwrap();
        assert!(kept.len() as u64 <= MAX_BYTES / 2 + 9, "{}", kept.len());
        assert!(kept.starts_with(line), "starts at a line");
        assert!(kept.ends_with("the last line\nappended\n"));
    }
}
