//! What the engine needs from a container runtime. [`crate::LocalRuntime`] is the real one;
//! [`UnavailableRuntime`] says why nothing can run instead of pretending.

use crate::error::{Result, RuntimeError};
use crate::shares::ShareMount;
use async_trait::async_trait;
use hoody_model::{Container, ContainerId, ContainerLogs, Id, Image, RuntimeInfo, SnapshotId, WorkProgress};

/// What the runtime sees of a container, for reconciling the store after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeState {
    Running,
    Paused,
    /// The container's files exist but nothing runs.
    Stopped,
    /// The runtime holds nothing for this container.
    Absent,
}

/// How a stop ended the container's init.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// Nothing of it was running.
    AlreadyDown,
    /// It halted on its init's own signal, within the grace period.
    OnSignal,
    /// It was killed: at once when forced, else once the grace period (`Some`) ran out.
    Killed { grace: Option<std::time::Duration> },
}

impl Halt {
    /// What the status log says of it.
    pub fn describe(self) -> Option<String> {
        match self {
            Self::AlreadyDown => None,
            Self::OnSignal => Some("its init halted on its signal".into()),
            Self::Killed { grace: None } => Some("killed at once (force-stop)".into()),
            Self::Killed { grace: Some(grace) } => {
                let grace = match grace.subsec_millis() {
                    0 => format!("{} s", grace.as_secs()),
                    _ => format!("{} ms", grace.as_millis()),
                };
                Some(format!("killed: its init did not halt within the {grace} grace period"))
            }
        }
    }
}

/// Where a runtime reports how far long work on a container has got.
pub type ProgressSink = std::sync::Arc<dyn Fn(&ContainerId, WorkProgress) + Send + Sync>;

#[async_trait]
pub trait ContainerRuntime: Send + Sync + 'static {
    /// A short name for `GET /servers` ("runc").
    fn name(&self) -> &str;
    /// Why containers cannot run, or None when they can.
    fn unavailable_reason(&self) -> Option<String>;
    /// True when the host has booted since this runtime last ran (autostart containers start).
    fn host_rebooted(&self) -> bool {
        false
    }
    /// Where to report progress of long work (image downloads); runtimes without any ignore it.
    fn report_progress_to(&self, _sink: ProgressSink) {}
    /// Builds the container's filesystem and starts it.
    async fn create(&self, container: &Container) -> Result<()>;
    /// Whether a warm prespawned container is ready for this one to claim.
    fn can_claim(&self, _container: &Container) -> bool {
        false
    }
    /// Gives the container a warm prespawned one (running already); false when none was ready.
    async fn claim(&self, _container: &Container) -> Result<bool> {
        Ok(false)
    }
    /// Tops the prespawn pools up to their configured sizes.
    async fn refill(&self) -> Result<()> {
        Ok(())
    }
    async fn start(&self, container: &Container) -> Result<()>;
    /// Stops the container: its init's halt signal and a grace period, or at once when `force`;
    /// answers how it ended.
    async fn stop(&self, container: &Container, force: bool) -> Result<Halt>;
    async fn pause(&self, container: &Container) -> Result<()>;
    async fn resume(&self, container: &Container) -> Result<()>;
    /// Removes everything the runtime holds for the container (stopped first by the caller).
    /// Snapshots are kept.
    async fn destroy(&self, id: &ContainerId) -> Result<()>;
    async fn state(&self, id: &ContainerId) -> Result<RuntimeState>;
    /// Why the container's last start ended, in its own words (the last failure its console
    /// told), when it said anything.
    async fn last_words(&self, _id: &ContainerId) -> Option<String> {
        None
    }
    /// Resolves when the container's init exits, whoever stopped it; at once when it does not
    /// run. A runtime that cannot tell never resolves.
    async fn wait_exit(&self, _id: &ContainerId) -> Result<()> {
        std::future::pending().await
    }
    /// Sets the container's firewall (`ruleset`, an nftables script; None: no firewall): now
    /// when it runs, and at each of its starts before its network is attached.
    async fn set_firewall(&self, container: &Container, _ruleset: Option<&str>) -> Result<()> {
        Err(RuntimeError::Unavailable(format!("{} cannot set {}'s firewall", self.name(), container.name)))
    }
    /// Makes the share `share` of the stopped container's directory `path`: a directory of the
    /// runtime's takes a copy of it, which the container mounts back at `path` from its next
    /// start once [`Self::set_mounts`] says so. `Invalid` when `path` is not a plain directory.
    async fn make_share(&self, container: &Container, _share: &Id, _path: &str) -> Result<()> {
        Err(RuntimeError::Unavailable(format!("{} cannot share {}'s files", self.name(), container.name)))
    }
    /// Removes a share's files.
    async fn remove_share(&self, _share: &Id) -> Result<()> {
        Err(RuntimeError::Unavailable(format!("{} has no storage shares", self.name())))
    }
    /// Bytes of a share's files.
    async fn share_size(&self, _share: &Id) -> Result<u64> {
        Err(RuntimeError::Unavailable(format!("{} has no storage shares", self.name())))
    }
    /// The shares the container mounts at its starts from now on.
    async fn set_mounts(&self, container: &Container, _mounts: &[ShareMount]) -> Result<()> {
        Err(RuntimeError::Unavailable(format!("{} cannot mount shares in {}", self.name(), container.name)))
    }
    /// Every mount point of the running container now (none when it does not run).
    async fn mounted(&self, _container: &Container) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// Turns a running container's network on or off now (a stopped one's follows its setting
    /// at its next start): off ends its way out, on gives it back.
    async fn set_network(&self, container: &Container, _on: bool) -> Result<()> {
        Err(RuntimeError::Unavailable(format!(
            "{} cannot change {}'s network while it runs",
            self.name(),
            container.name
        )))
    }
    async fn info(&self, container: &Container) -> Result<RuntimeInfo>;
    /// The images containers can be created from.
    /// What the container wrote: the last `lines` of its console and, when it has one to
    /// read, of its journal.
    async fn logs(&self, container: &Container, _lines: usize) -> Result<ContainerLogs> {
        Err(RuntimeError::Unavailable(format!("{} keeps no logs of {}", self.name(), container.name)))
    }
    async fn images(&self) -> Result<Vec<Image>>;
    /// Images the configured image server offers (none without one), status `available`.
    async fn catalog(&self) -> Result<Vec<Image>> {
        Ok(Vec::new())
    }
    /// What the image server offers under `alias` (an error when there is none, or it lacks it).
    async fn find_offered(&self, alias: &str) -> Result<Image> {
        Err(RuntimeError::NoImageServer(format!("{} has no image server to download {alias} from", self.name())))
    }
    /// Downloads `alias` from the image server into the store, reporting how far it is.
    async fn pull_image(&self, alias: &str, _progress: Box<dyn FnMut(WorkProgress) + Send>) -> Result<Image> {
        Err(RuntimeError::NoImageServer(format!("{} has no image server to download {alias} from", self.name())))
    }
    /// Why `alias` cannot be built here, if it cannot (asked before a build starts).
    fn check_build(&self, alias: &str) -> Result<()> {
        Err(RuntimeError::Unavailable(format!("{} cannot build {alias}: it builds no images", self.name())))
    }
    /// Builds `alias` (debian/N) from the Debian mirror `mirror` into the store, reporting its
    /// steps (`done` and `total` 0: a build cannot tell how far it is).
    async fn build_image(
        &self,
        alias: &str,
        _mirror: &str,
        _progress: Box<dyn FnMut(WorkProgress) + Send>,
    ) -> Result<Image> {
        self.check_build(alias)?;
        Err(RuntimeError::Unavailable(format!("{} builds no images", self.name())))
    }
    /// Imports the rootfs tarball at `tarball` (a file on this machine) as `alias`.
    async fn import_image(&self, alias: &str, _tarball: &std::path::Path, _description: &str) -> Result<Image> {
        Err(RuntimeError::Unavailable(format!("{} cannot import {alias}: it imports no images", self.name())))
    }
    /// After a restart: removes what an interrupted operation left and no record names —
    /// half-made imports, container files whose container is not in `containers`, snapshot
    /// files not in `snapshots`. Answers what it removed, in words.
    async fn tidy(
        &self,
        _containers: &std::collections::HashSet<ContainerId>,
        _snapshots: &std::collections::HashSet<SnapshotId>,
    ) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// Deletes `alias` from the store (and the image when nothing else names or uses it).
    async fn remove_image(&self, alias: &str) -> Result<()> {
        Err(RuntimeError::UnknownImage(format!("image {alias} is not in this server's image store")))
    }
    /// Saves the container's filesystem changes; returns the snapshot's size in bytes.
    async fn snapshot(&self, container: &Container, snapshot: &SnapshotId) -> Result<u64>;
    /// Puts the container's filesystem back to the snapshot (the container is stopped).
    async fn restore(&self, container: &Container, snapshot: &SnapshotId) -> Result<()>;
    async fn delete_snapshot(&self, snapshot: &SnapshotId) -> Result<()>;
    /// Gives `target` a copy of `source`'s filesystem; `target` is left stopped.
    async fn copy(&self, source: &Container, target: &Container) -> Result<()>;
    /// Writes the container's files (its changes to its image; those of its snapshot
    /// `snapshot` when given) into `to` as one tar, consistent: a running container is frozen
    /// while they are read.
    async fn export_layer(&self, c: &Container, _snapshot: Option<&SnapshotId>, _to: &std::path::Path) -> Result<()> {
        Err(RuntimeError::Unavailable(format!("{} cannot export {}: it keeps no container files", self.name(), c.name)))
    }
    /// Gives `c` (a container with no files yet) the files of a tar `export_layer` wrote, on
    /// its image: all of them in place, or none.
    async fn import_layer(&self, c: &Container, _from: &std::path::Path) -> Result<()> {
        Err(RuntimeError::Unavailable(format!("{} cannot import {}: it keeps no container files", self.name(), c.name)))
    }
}

/// The runtime of an engine that has none: every operation that needs a real container fails
/// with the reason given.
#[derive(Debug, Clone)]
pub struct UnavailableRuntime {
    reason: String,
}

impl UnavailableRuntime {
    pub fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into() }
    }

    fn err<T>(&self) -> Result<T> {
        Err(RuntimeError::Unavailable(self.reason.clone()))
    }
}

#[async_trait]
impl ContainerRuntime for UnavailableRuntime {
    fn name(&self) -> &str {
        "none"
    }
    fn unavailable_reason(&self) -> Option<String> {
        Some(self.reason.clone())
    }
    async fn create(&self, _: &Container) -> Result<()> {
        self.err()
    }
    async fn start(&self, _: &Container) -> Result<()> {
        self.err()
    }
    async fn stop(&self, _: &Container, _: bool) -> Result<Halt> {
        self.err()
    }
    async fn pause(&self, _: &Container) -> Result<()> {
        self.err()
    }
    async fn resume(&self, _: &Container) -> Result<()> {
        self.err()
    }
    /// Nothing was ever created by this runtime, so there is nothing to remove.
    async fn destroy(&self, _: &ContainerId) -> Result<()> {
        Ok(())
    }
    /// Nothing was ever created by this runtime, so it holds nothing for any container.
    async fn state(&self, _: &ContainerId) -> Result<RuntimeState> {
        Ok(RuntimeState::Absent)
    }
    async fn info(&self, _: &Container) -> Result<RuntimeInfo> {
        self.err()
    }
    /// It holds no images.
    async fn images(&self) -> Result<Vec<Image>> {
        Ok(Vec::new())
    }
    async fn snapshot(&self, _: &Container, _: &SnapshotId) -> Result<u64> {
        self.err()
    }
    async fn restore(&self, _: &Container, _: &SnapshotId) -> Result<()> {
        self.err()
    }
    async fn delete_snapshot(&self, _: &SnapshotId) -> Result<()> {
        self.err()
    }
    async fn copy(&self, _: &Container, _: &Container) -> Result<()> {
        self.err()
    }
}
