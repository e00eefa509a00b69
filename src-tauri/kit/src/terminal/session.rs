//! One terminal session: a PTY whose other end is a login shell inside the container. The
//! shell joins every namespace of the container's init (nsenter), so it dies with the
//! container; its output is kept (a scrollback) and fanned out to every attached client.

use bytes::Bytes;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::process::{Pid, Signal};
use rustix::pty::OpenptFlags;
use rustix::termios::Winsize;
use std::collections::VecDeque;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;
use tokio::io::unix::AsyncFd;
use tokio::sync::{broadcast, watch};

/// Output kept for clients that attach later (a page reload re-draws from it).
pub const SCROLLBACK: usize = 256 << 10;

#[derive(Debug)]
pub struct Session {
    pub id: u16,
    pub created_at: SystemTime,
    master: AsyncFd<OwnedFd>,
    state: Mutex<State>,
    output: broadcast::Sender<Bytes>,
    ended: watch::Sender<bool>,
    clients: AtomicUsize,
    /// One `execute` at a time: their markers must not interleave.
    pub exec_lock: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct State {
    scrollback: VecDeque<u8>,
    size: (u16, u16),
}

/// What a client sees when it attaches: the output so far, then everything that follows.
#[derive(Debug)]
pub struct Attached {
    pub scrollback: Bytes,
    pub output: broadcast::Receiver<Bytes>,
    pub ended: watch::Receiver<bool>,
}

/// How to start the shell.
#[derive(Debug, Clone)]
pub struct Launch {
    pub init_pid: u32,
    pub shell: String,
    /// Where the shell starts (None: root's home).
    pub cwd: Option<String>,
    pub env: Vec<(String, String)>,
    pub cols: u16,
    pub rows: u16,
}

impl Session {
    /// Opens a PTY and starts the shell on it; `on_end` runs once the shell is gone.
    pub fn start(id: u16, launch: &Launch, on_end: impl FnOnce() + Send + 'static) -> io::Result<std::sync::Arc<Self>> {
        let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
        rustix::pty::grantpt(&master)?;
        rustix::pty::unlockpt(&master)?;
        let name = rustix::pty::ptsname(&master, Vec::new())?;
        let slave: OwnedFd =
            rustix::fs::open(name.as_c_str(), OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC, Mode::empty())?;
        rustix::termios::tcsetwinsize(&master, winsize(launch.cols, launch.rows))?;
        rustix::fs::fcntl_setfl(&master, OFlags::NONBLOCK | OFlags::RDWR)?;
        // The shell runs inside the container as its root, in a session of its own whose
        // controlling terminal is the PTY; it changes to its directory (the one asked, given as
        // an argument, never as script text; else its home) and becomes a login shell.
        // hoody-enter waits for it, and both let go of the terminal at its end.
        let script = match launch.cwd {
            Some(_) => "cd \"$1\" || exit 1; exec \"$0\" -l",
            None => "cd ~ 2>/dev/null; exec \"$0\" -l",
        };
        let child = crate::enter::contained(launch.init_pid)?
            .args(["--ctty", "--init-env", "--", "/bin/sh", "-c", script])
            .arg(&launch.shell)
            .args(launch.cwd.iter())
            .env_clear()
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::from(slave.try_clone()?))
            .stdout(std::process::Stdio::from(slave.try_clone()?))
            .stderr(std::process::Stdio::from(slave))
            .kill_on_drop(false)
            .spawn()?;
        #[allow(unsafe_code)]
        // SAFETY: an OwnedFd's raw fd stays open and the same for as long as it is owned,
        // here by the AsyncFd.
        let master = unsafe { AsyncFd::register(master) }.map_err(io::Error::from)?;
        let (output, _) = broadcast::channel(256);
        let session = std::sync::Arc::new(Self {
            id,
            created_at: SystemTime::now(),
            master,
            state: Mutex::new(State { scrollback: VecDeque::new(), size: (launch.cols, launch.rows) }),
            output,
            ended: watch::channel(false).0,
            clients: AtomicUsize::new(0),
            exec_lock: tokio::sync::Mutex::new(()),
        });
        // hoody-enter holds the terminal too: reaped, it lets go once the shell is gone.
        let reaped = tokio::spawn(async move {
            let mut child = child;
            let _ = child.wait().await;
        });
        let reader = session.clone();
        tokio::spawn(async move {
            reader.pump().await;
            // Every process holding the terminal is gone: let go of the session.
            let _ = reaped.await;
            reader.ended.send_replace(true);
            on_end();
        });
        Ok(session)
    }

    /// Reads the PTY until it hangs up, keeping the scrollback and fanning out the output.
    async fn pump(&self) {
        let mut buf = vec![0u8; 16 << 10];
        loop {
            let Ok(mut ready) = self.master.readable().await else { return };
            match ready.try_io(|fd| rustix::io::read(fd.get_ref(), &mut buf).map_err(io::Error::from)) {
                Ok(Ok(0)) | Ok(Err(_)) => return, // EIO: every process holding the terminal is gone
                Ok(Ok(n)) => {
                    let chunk = Bytes::copy_from_slice(&buf[..n]);
                    let mut state = self.state.lock().expect("session lock");
                    state.scrollback.extend(chunk.iter());
                    let excess = state.scrollback.len().saturating_sub(SCROLLBACK);
                    state.scrollback.drain(..excess);
                    // Sent under the lock, so an attaching client sees each byte exactly once.
                    let _ = self.output.send(chunk);
                }
                Err(_would_block) => continue,
            }
        }
    }

    pub fn attach(&self) -> Attached {
        let state = self.state.lock().expect("session lock");
        let scrollback = Bytes::from(state.scrollback.iter().copied().collect::<Vec<u8>>());
        Attached { scrollback, output: self.output.subscribe(), ended: self.ended.subscribe() }
    }

    /// Output from now on, without the scrollback.
    pub fn subscribe(&self) -> broadcast::Receiver<Bytes> {
        self.output.subscribe()
    }

    pub fn scrollback(&self) -> Vec<u8> {
        self.state.lock().expect("session lock").scrollback.iter().copied().collect()
    }

    /// Host pid of the shell (the leader of the terminal's session); 0 until it has started.
    pub fn pid(&self) -> u32 {
        rustix::termios::tcgetsid(self.master.get_ref()).map_or(0, |pid| pid.as_raw_nonzero().get() as u32)
    }

    /// The shell's pid, once it has taken the terminal (None if it did not within 5 s).
    pub async fn started(&self) -> Option<u32> {
        for _ in 0..1000 {
            match self.pid() {
                0 if !self.is_ended() => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
                0 => return None,
                pid => return Some(pid),
            }
        }
        None
    }

    /// Types `data` into the terminal, as keystrokes.
    pub async fn write(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let mut ready = self.master.writable().await?;
            match ready.try_io(|fd| rustix::io::write(fd.get_ref(), data).map_err(io::Error::from)) {
                Ok(Ok(n)) => data = &data[n..],
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
        Ok(())
    }

    pub fn resize(&self, cols: u16, rows: u16) -> io::Result<()> {
        let (cols, rows) = (cols.clamp(2, 1000), rows.clamp(1, 1000));
        rustix::termios::tcsetwinsize(self.master.get_ref().as_fd(), winsize(cols, rows))?;
        self.state.lock().expect("session lock").size = (cols, rows);
        Ok(())
    }

    pub fn size(&self) -> (u16, u16) {
        self.state.lock().expect("session lock").size
    }

    pub fn is_ended(&self) -> bool {
        *self.ended.borrow()
    }

    /// Counts an attached client while the guard lives.
    pub fn client(self: &std::sync::Arc<Self>) -> ClientGuard {
        self.clients.fetch_add(1, Ordering::Relaxed);
        ClientGuard(self.clone())
    }

    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    /// Ends the session: the terminal's foreground job and the shell get SIGHUP (as when a
    /// terminal window closes), then SIGKILL if the session lingers.
    pub async fn end(&self) {
        for signal in [Signal::HUP, Signal::KILL] {
            if let Ok(foreground) = rustix::termios::tcgetpgrp(self.master.get_ref()) {
                let _ = rustix::process::kill_process_group(foreground, signal);
            }
            if let Some(shell) = Pid::from_raw(self.pid() as i32) {
                let _ = rustix::process::kill_process(shell, signal);
            }
            let mut ended = self.ended.subscribe();
            let gone = async { ended.wait_for(|e| *e).await.is_ok() };
            if tokio::time::timeout(std::time::Duration::from_secs(2), gone).await.is_ok() {
                return;
            }
        }
    }
}

#[derive(Debug)]
pub struct ClientGuard(std::sync::Arc<Session>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::Relaxed);
    }
}

fn winsize(cols: u16, rows: u16) -> Winsize {
    Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }
}
