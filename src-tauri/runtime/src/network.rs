//! A container's network: outbound connectivity and DNS, without root and without a host
//! port, from `slirp4netns` (Debian's package of that name) attached to the container's
//! network namespace once `runc create` has made it (the init starts meanwhile). It gives the container `tap0`
//! (10.0.2.100/24, gateway 10.0.2.2) and a DNS forwarder at [`RESOLVER`] that asks the
//! host's own resolvers. The host's loopback is not reachable from inside (the gateway does
//! not lead to 127.0.0.1: services the host keeps to itself, this engine's API included,
//! stay its own); anything the host serves on its other addresses is, as it would be for
//! another machine. Nothing reaches the container from outside but through the proxy.
//!
//! slirp4netns uses about 1.8 MB (PSS, most of it shared library pages) per container, an
//! eighth of what pasta takes here. It runs in a sandbox of its own (a mount namespace, no
//! capabilities but binding low ports, a seccomp filter) and is ended when the container
//! stops: it would otherwise keep the namespace (its tap device) alive.

use crate::error::{Result, RuntimeError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The address inside at which DNS queries are forwarded to the host's resolvers.
pub const RESOLVER: &str = "10.0.2.3";
/// The container's own address on `tap0`, and its gateway (slirp4netns' defaults).
pub const ADDRESS: &str = "10.0.2.100/24";
pub const GATEWAY: &str = "10.0.2.2";
/// How long the helper may take to configure the network.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Finds `slirp4netns` on PATH (or the usual places).
pub fn find_slirp4netns() -> Option<PathBuf> {
    crate::enter::on_path("slirp4netns")
}

/// A network helper on its way up.
#[derive(Debug)]
pub struct Attaching {
    child: tokio::process::Child,
    pid: u32,
    log: PathBuf,
}

/// The network helper's log, in the bundle beside its pid file.
const LOG: &str = "network.log";

/// Starts giving the container whose init is host pid `pid` its network, and records the
/// helper's pid in `pid_file`; [`Attaching::ready`] waits until it is configured (so the init
/// may start meanwhile: it comes up as a machine's network does, a moment into its boot).
///
/// The helper runs as the container's root (in its user namespace and its cgroups, through
/// `hoody-enter join --network-helper`), never as the engine's user — nor as host root for a
/// root engine — and ends with the container. Its own network namespace, where the container's
/// connections leave from, is `egress` when given (else the engine's).
pub fn attach(
    enter: &crate::enter::Enter,
    slirp4netns: Option<&Path>,
    egress: Option<&Path>,
    pid: u32,
    pid_file: &Path,
) -> Result<Attaching> {
    let binary = slirp4netns.map(Path::to_owned).or_else(find_slirp4netns).ok_or_else(|| {
        RuntimeError::Unavailable(
            "slirp4netns is not installed (apt-get install slirp4netns), so containers cannot have a network; \
             create the container with network off, or install it"
                .into(),
        )
    })?;
    // What it says goes to a log beside its pid file (read when it fails; a pipe nobody
    // read would stall it once full).
    let log = pid_file.with_file_name(LOG);
    let said = std::fs::File::create(&log).map_err(|e| RuntimeError::io("cannot open the network helper's log", e))?;
    let child = tokio::process::Command::from(enter.network_helper(pid, egress))
        .arg(&binary)
        .args(["--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp"])
        // The container's network namespace, which hoody-enter holds open as descriptor 3.
        .args(["--netns-type=path", "/proc/self/fd/3"])
        .arg("tap0")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(said)
        .spawn()
        .map_err(|e| RuntimeError::io(format!("cannot run {}", binary.display()), e))?;
    let helper = child.id().unwrap_or(0);
    std::fs::write(pid_file, helper.to_string())
        .map_err(|e| RuntimeError::io("cannot record the network helper", e))?;
    Ok(Attaching { child, pid, log })
}

impl Attaching {
    /// Waits until the network is configured (its default route is there), or the container
    /// has stopped by itself.
    pub async fn ready(mut self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        while !has_default_route(self.pid) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(RuntimeError::Failed(format!(
                    "the container's network did not come up (slirp4netns {status}): {}",
                    self.last_said()
                )));
            }
            if !crate::procfs::is_alive(self.pid) {
                // It stopped by itself, moments into its boot: nothing is left to configure,
                // and the engine, watching its init, says why in the container's own words.
                let _ = self.child.start_kill();
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                let _ = self.child.start_kill();
                return Err(RuntimeError::Failed(format!(
                    "the container's network was not configured within {}s (slirp4netns: {})",
                    READY_TIMEOUT.as_secs(),
                    self.last_said()
                )));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // The helper is this process's child: it is reaped here when it ends (with the container).
        let mut child = self.child;
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        Ok(())
    }

    /// The helper's last line, or that it said nothing.
    fn last_said(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("it said nothing").trim().to_owned()
    }
}

/// Whether the helper recorded in `pid_file` runs.
pub fn attached(pid_file: &Path) -> bool {
    helper(pid_file).is_some()
}

/// Ends a running container's network now (init host pid `pid`): its helper is ended, and
/// this answers once the way out is gone (the helper's device, and with it the default route).
pub async fn cut(pid_file: &Path, pid: u32) -> Result<()> {
    detach(pid_file);
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    while has_default_route(pid) {
        if tokio::time::Instant::now() > deadline {
            return Err(RuntimeError::Failed(format!(
                "the container's network was still up {}s after its helper was ended",
                READY_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// The pid of the helper recorded in `pid_file`, if that process is a network helper.
fn helper(pid_file: &Path) -> Option<rustix::process::Pid> {
    let helper = std::fs::read_to_string(pid_file).ok()?.trim().parse::<i32>().ok()?;
    let is_ours = crate::procfs::args(helper as u32).first().is_some_and(|argv0| argv0.ends_with("slirp4netns"));
    if is_ours { rustix::process::Pid::from_raw(helper) } else { None }
}

/// Ends the network helper recorded in `pid_file` (if it is the helper of container init
/// `pid`, or of one that ran before, in this bundle) and forgets it.
pub fn detach(pid_file: &Path) {
    if let Some(helper) = helper(pid_file) {
        let _ = rustix::process::kill_process(helper, rustix::process::Signal::TERM);
    }
    let _ = std::fs::remove_file(pid_file);
}

/// Ends the helper recorded in `pid_file` and waits (a moment) until it is gone: it sits in the
/// container's cgroups, which cannot be removed while it lives.
pub async fn end(pid_file: &Path) {
    let Some(helper) = helper(pid_file) else { return };
    let _ = rustix::process::kill_process(helper, rustix::process::Signal::KILL);
    let _ = std::fs::remove_file(pid_file);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while crate::procfs::is_alive(helper.as_raw_nonzero().get() as u32) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Whether the network namespace of `pid` has a default route (the helper has configured it).
fn has_default_route(pid: u32) -> bool {
    crate::procfs::net_table(pid, "route")
        .lines()
        .skip(1)
        .any(|line| line.split_whitespace().nth(1) == Some("00000000"))
}
