//! runc as a subprocess, with a private state root and a timeout on every call. Every call
//! runs in runc's user namespace (see [`crate::enter`]): there the engine's user is root, so
//! runc can give each container a user namespace of its own over the containers' host range,
//! whether the engine runs as root or not.

use crate::console::Console;
use crate::enter::{Bind, Enter, Overlay, Setup, View};
use crate::error::{Result, RuntimeError};
use serde::Deserialize;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

#[derive(Debug, Clone)]
pub struct Runc {
    binary: PathBuf,
    root: PathBuf,
    timeout: Duration,
    /// None only where nothing can run anyway (the runtime says why); runc is then called
    /// as it is, for what it can still tell.
    enter: Option<Enter>,
}

/// `runc state`, the fields we use.
#[derive(Debug, Clone, Deserialize)]
pub struct RuncState {
    pub status: String,
    pub pid: u32,
    pub created: chrono::DateTime<chrono::Utc>,
}

impl Runc {
    pub fn new(binary: PathBuf, root: PathBuf, timeout: Duration, enter: Option<Enter>) -> Self {
        Self { binary, root, timeout, enter }
    }

    /// Finds `runc` on PATH.
    pub fn find() -> Option<PathBuf> {
        crate::enter::on_path("runc")
    }

    fn command(&self) -> Command {
        self.command_with(&Setup::default())
    }

    fn command_with(&self, setup: &Setup<'_>) -> Command {
        let mut cmd = match &self.enter {
            Some(enter) => Command::from(enter.userns(View::Runc, setup, &self.binary)),
            None => Command::new(&self.binary),
        };
        cmd.arg("--root").arg(&self.root).stdin(Stdio::null()).kill_on_drop(true);
        cmd
    }

    /// Runs `runc ARGS` (in runc's namespace), returning stdout; a non-zero exit or the timeout
    /// is an error carrying runc's own message.
    async fn call(&self, args: &[&str]) -> Result<Vec<u8>> {
        let mut cmd = self.command();
        cmd.args(args);
        self.finish(cmd, args[0]).await
    }

    async fn finish(&self, mut cmd: Command, verb: &str) -> Result<Vec<u8>> {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = cmd.spawn().map_err(|e| RuntimeError::io(format!("cannot run {}", self.binary.display()), e))?;
        let out = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| RuntimeError::Failed(format!("runc {verb} did not finish within {:?}", self.timeout)))?
            .map_err(|e| RuntimeError::io(format!("runc {verb}"), e))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(RuntimeError::Failed(format!("runc {verb}: {}", last_message(&out.stderr))))
        }
    }

    /// Creates the container from `bundle`, its root the `overlay` (mounted for runc alone; the
    /// container keeps it, and it goes with the container), its init waiting to be started with
    /// the pty that `console` keeps as its `/dev/console`. runc's own log goes to `log`, whose
    /// last error explains a failure. Returns the init's host pid.
    pub async fn create(
        &self,
        id: &str,
        bundle: &Path,
        overlay: &Overlay<'_>,
        binds: &[Bind],
        console: &Console,
        log: &Path,
    ) -> Result<u32> {
        // What runc (or hoody-enter before it) says on its way goes to the console's log too.
        let said = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(console.log())
            .map_err(|e| RuntimeError::io("cannot open the console log", e))?;
        let _ = std::fs::remove_file(log);
        let mountpoint = bundle_mountpoint(&[bundle, &self.root, log]);
        let fifo = self.start_fifo(id);
        let mut cmd = self.command_with(&Setup {
            overlay: Some(overlay.clone()),
            binds: binds.to_vec(),
            bundle: Some((bundle, &mountpoint)),
            // A rootless engine's runc gives the fifo to the container's root: taken back here,
            // the engine opens it itself (see `start`).
            own_after: self.rootless().then_some(fifo.as_path()),
            ..Setup::default()
        });
        let pid_file = log.with_file_name("init.pid");
        let _ = std::fs::remove_file(&pid_file);
        // No session keyring per container: runc would make one owned by the container's root,
        // and every container of a range shares that host uid, whose kernel key quota (200 keys)
        // then runs out ("disk quota exceeded") when containers come and go faster than the keys'
        // garbage collection. The seccomp filter refuses the keyring calls inside anyway.
        cmd.arg("--log").arg(log).args(["--log-format", "json", "create", "--no-new-keyring", "--bundle", "."]);
        cmd.arg("--console-socket").arg(console.socket());
        cmd.arg("--pid-file").arg(&pid_file).arg(id);
        cmd.stdout(said.try_clone().map_err(|e| RuntimeError::io("console log", e))?).stderr(said);
        let mut child =
            cmd.spawn().map_err(|e| RuntimeError::io(format!("cannot run {}", self.binary.display()), e))?;
        let status = tokio::time::timeout(self.timeout, child.wait())
            .await
            .map_err(|_| RuntimeError::Failed(format!("runc create did not finish within {:?}", self.timeout)))?
            .map_err(|e| RuntimeError::io("runc create", e))?;
        if status.success() {
            let pid = std::fs::read_to_string(&pid_file).ok().and_then(|p| p.trim().parse::<u32>().ok());
            return pid.ok_or_else(|| RuntimeError::Failed("runc create wrote no pid of the container's init".into()));
        }
        let runc_log = std::fs::read(log).unwrap_or_default();
        let message = match last_message(&runc_log) {
            // hoody-enter failed before runc ran: its reason went to the console.
            m if runc_log.is_empty() => format!("{m}; {}", last_console_line(console.log())),
            m => m,
        };
        Err(RuntimeError::Failed(format!("runc create: {message}")))
    }

    fn rootless(&self) -> bool {
        self.enter.as_ref().is_some_and(|e| e.map().rootless())
    }

    /// Where a created container's init waits to be started.
    fn start_fifo(&self, id: &str) -> PathBuf {
        self.root.join(id).join("exec.fifo")
    }

    /// Starts a created container's init (host pid `init_pid`).
    ///
    /// The engine does what `runc start` does itself, one Go program's start less (~9 ms of
    /// every create and start for a root engine; a rootless one also saves entering runc's
    /// namespace, ~15 ms): the init, still `runc init`, waits to open `ROOT/ID/exec.fifo` for
    /// writing; opened for reading here, it writes one byte and runs the container's program,
    /// and the fifo's removal is what then tells runc the container runs (it says "created"
    /// while the fifo is there). runc start would also run poststart hooks: the engine's
    /// configs have none. A rootless engine's fifo is its own once `create` took it; one
    /// created by an engine of an older build still belongs to the container's root, and runc
    /// start, in runc's namespace, starts that one.
    pub async fn start(&self, id: &str, init_pid: u32) -> Result<()> {
        let fifo = self.start_fifo(id);
        let deadline = tokio::time::Instant::now() + self.timeout;
        let opened =
            std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC).open(&fifo);
        let mut file = match opened {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && self.rootless() => {
                return self.call(&["start", id]).await.map(drop);
            }
            opened => opened.map_err(|e| {
                RuntimeError::io(format!("runc start: the container is not waiting to start ({})", fifo.display()), e)
            })?,
        };
        let mut byte = [0u8; 1];
        loop {
            match std::io::Read::read(&mut file, &mut byte) {
                Ok(1) => break,
                // No writer yet (it opens once this reader is there), or none any more.
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(RuntimeError::io("runc start: cannot read the container's start fifo", e)),
            }
            if !crate::procfs::is_alive(init_pid) {
                return Err(RuntimeError::Failed("runc start: the container's init ended before it started".into()));
            }
            if tokio::time::Instant::now() > deadline {
                return Err(RuntimeError::Failed(format!("runc start did not finish within {:?}", self.timeout)));
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        std::fs::remove_file(&fifo).map_err(|e| RuntimeError::io("runc start: cannot remove the start fifo", e))
    }

    /// The container's state, or None when runc holds nothing for `id`.
    pub async fn state(&self, id: &str) -> Result<Option<RuncState>> {
        let dir = self.root.join(id);
        if !dir.exists() {
            return Ok(None);
        }
        // runc saves state.json once the container exists: without it, a `runc run` is under
        // way (perhaps one a killed engine started), or one was cut off.
        if !dir.join("state.json").exists() {
            self.wait_for_calls_on(id).await;
            if !dir.join("state.json").exists() {
                // runc no longer knows such a container; clear its directory, so it can be made.
                self.delete(id, true).await?;
                return Ok(None);
            }
        }
        match self.call(&["state", id]).await {
            Ok(out) => serde_json::from_slice(&out)
                .map(Some)
                .map_err(|e| RuntimeError::Failed(format!("runc state printed something unexpected: {e}"))),
            // The state directory vanished between the check and the call.
            Err(_) if !self.root.join(id).exists() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits (up to the call timeout) until no process is running runc on `id` in this root.
    async fn wait_for_calls_on(&self, id: &str) {
        let deadline = tokio::time::Instant::now() + self.timeout;
        while self.call_in_flight(id) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether some process runs `runc --root ROOT … ID`.
    fn call_in_flight(&self, id: &str) -> bool {
        let root = self.root.as_os_str().as_encoded_bytes();
        let Ok(procs) = std::fs::read_dir("/proc") else { return false };
        procs.flatten().any(|p| {
            let Ok(cmdline) = std::fs::read(p.path().join("cmdline")) else { return false };
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            args.windows(2).any(|w| w == [b"--root".as_slice(), root]) && args.contains(&id.as_bytes())
        })
    }

    pub async fn pause(&self, id: &str) -> Result<()> {
        self.call(&["pause", id]).await.map(drop)
    }

    pub async fn resume(&self, id: &str) -> Result<()> {
        self.call(&["resume", id]).await.map(drop)
    }

    /// Removes runc's state and the container's cgroups; `force` kills what still runs first
    /// (runc thaws a frozen container before it kills it).
    pub async fn delete(&self, id: &str, force: bool) -> Result<()> {
        let args: &[&str] = if force { &["delete", "--force", id] } else { &["delete", id] };
        self.call(args).await.map(drop)
    }

    /// The ids runc holds state for.
    pub async fn list(&self) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Entry {
            id: String,
        }
        let out = self.call(&["list", "--format", "json"]).await?;
        let entries: Option<Vec<Entry>> = serde_json::from_slice(&out)
            .map_err(|e| RuntimeError::Failed(format!("runc list printed something unexpected: {e}")))?;
        Ok(entries.unwrap_or_default().into_iter().map(|e| e.id).collect())
    }
}

/// A directory to show a bundle at in runc's namespace: one that exists and holds none of
/// the paths runc is given (a tmpfs is mounted over it there).
fn bundle_mountpoint(used: &[&Path]) -> PathBuf {
    ["/mnt", "/media", "/srv", "/opt", "/var/tmp", "/tmp", "/boot"]
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.is_dir() && !used.iter().any(|p| p.starts_with(dir)))
        .unwrap_or_else(|| PathBuf::from("/mnt"))
}

/// The last line the console got (where hoody-enter says why it could not start runc).
fn last_console_line(console: &Path) -> String {
    let text = std::fs::read_to_string(console).unwrap_or_default();
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim().to_owned()
}

/// The most useful line of runc's output: the last JSON log `msg` at level error, or the last
/// non-empty line.
fn last_message(output: &[u8]) -> String {
    let text = String::from_utf8_lossy(output);
    let from_json = text.lines().rev().find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        (v["level"] == "error").then(|| v["msg"].as_str().map(str::to_owned)).flatten()
    });
    from_json
        .or_else(|| text.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_owned()))
        .unwrap_or_else(|| "failed without a message".into())
}

#[cfg(test)]
mod tests {
    use super::{Runc, last_message};
    use std::time::Duration;

    fn runc_in(root: &std::path::Path) -> Runc {
        Runc::new(Runc::find().expect("runc on PATH"), root.to_owned(), Duration::from_secs(10), None)
    }

    #[tokio::test]
    async fn a_run_cut_off_before_saving_its_state_is_cleared() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("cut-off")).unwrap();
        assert!(runc_in(root.path()).state("cut-off").await.unwrap().is_none());
        assert!(!root.path().join("cut-off").exists(), "the directory would keep runc from making it");
    }

    #[tokio::test]
    async fn state_waits_for_a_run_under_way() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("booting")).unwrap();
        // Stands in for the `runc --root ROOT run … booting` of an engine killed meanwhile.
        let mut call = std::process::Command::new("sh")
            .args(["-c", "sleep 0.5; true", "runc", "--root"])
            .arg(root.path())
            .args(["run", "booting"])
            .spawn()
            .unwrap();
        let cmdline = format!("/proc/{}/cmdline", call.id());
        while !std::fs::read(&cmdline).unwrap().ends_with(b"booting\0") {
            std::thread::sleep(Duration::from_millis(5)); // until the fork has become the call
        }
        assert!(runc_in(root.path()).state("booting").await.unwrap().is_none());
        assert!(call.try_wait().unwrap().is_some(), "state answered while the run was under way");
    }

    #[test]
    fn picks_the_last_error_of_a_json_log() {
        let log = br#"{"level":"info","msg":"starting"}
{"level":"error","msg":"container_linux.go: exec: \"/sbin/init\": no such file"}
{"level":"info","msg":"done"}"#;
        assert_eq!(last_message(log), "container_linux.go: exec: \"/sbin/init\": no such file");
        assert_eq!(last_message(b"plain failure\n\n"), "plain failure");
        assert_eq!(last_message(b""), "failed without a message");
    }
}
