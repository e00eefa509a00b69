//! [`LocalRuntime`]: the container lifecycle on this machine.

use crate::contract::{ContainerRuntime, RuntimeState};
use crate::error::{Result, RuntimeError};
use crate::images::ImageStore;
use crate::layout::{Bundle, Layout};
use crate::prepare::{InitKind, write_identity};
use crate::rootdir::RootDir;
use crate::runc::Runc;
use crate::spec::{self, Limits, SpecInput};
use crate::{info, layers, mounts};
use async_trait::async_trait;
use hoody_model::{Container, ContainerId, Image, RuntimeInfo, SnapshotId, WorkProgress};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) const DEFAULT_RUN_DIR: &str = "/run/hoody";

#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Absolute; images, container layers and snapshots live under `data_dir/runtime`.
    pub data_dir: PathBuf,
    /// Where state that must not outlive a host boot goes (runc's state, ramdisks).
    pub run_dir: PathBuf,
    /// The runc binary; None looks it up on PATH.
    pub runc: Option<PathBuf>,
    pub limits: Limits,
    pub ramdisk_bytes: u64,
    /// How long a container's init gets to halt before it is killed.
    pub stop_grace: Duration,
    /// The longest any single runc call may take.
    pub call_timeout: Duration,
    /// Warm containers kept ready per image alias, claimed by creates in milliseconds.
    pub prespawn: Vec<(String, usize)>,
    /// A simplestreams server that images missing from the store are pulled from on create
    /// (None: a missing image fails the create).
    pub image_server: Option<String>,
}

impl RuntimeConfig {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            run_dir: PathBuf::from(DEFAULT_RUN_DIR),
            runc: None,
            limits: Limits::default(),
            ramdisk_bytes: 512 << 20,
            stop_grace: Duration::from_secs(10),
            call_timeout: Duration::from_secs(30),
            prespawn: Vec::new(),
            image_server: None,
        }
    }
}

/// What the runtime remembers about a slot between calls (`instance.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Instance {
    pub image: String,
    pub init: InitKind,
    /// The cgroup of the current (or last) start.
    pub cgroup_path: Option<String>,
    /// For a prespawn pool member: the container that claimed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<ContainerId>,
}

/// What one start of a slot needs to know about its container.
#[derive(Debug, Clone)]
pub(crate) struct BootSpec {
    pub hostname: String,
    pub env: Vec<(String, String)>,
    pub ramdisk: bool,
}

impl BootSpec {
    pub fn of(c: &Container) -> Self {
        Self {
            hostname: c.name.clone(),
            env: c.environment_vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ramdisk: c.ramdisk,
        }
    }
}

#[derive(Debug)]
pub struct LocalRuntime {
    pub(crate) layout: Layout,
    pub(crate) images: ImageStore,
    pub(crate) runc: Runc,
    pub(crate) config: RuntimeConfig,
    pub(crate) pools: crate::pool::Pools,
    /// One image pull at a time, so concurrent creates of a new image download it once.
    pulls: tokio::sync::Mutex<()>,
    progress: ProgressSlot,
    unavailable: Option<String>,
    rebooted: bool,
}

/// Where image downloads report their progress, once the engine says.
#[derive(Default)]
struct ProgressSlot(std::sync::OnceLock<crate::contract::ProgressSink>);

impl std::fmt::Debug for ProgressSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "ProgressSlot(set)" } else { "ProgressSlot(unset)" })
    }
}

impl LocalRuntime {
    /// Never fails: what keeps containers from running here becomes `unavailable_reason`.
    pub fn new(config: RuntimeConfig) -> Self {
        let layout = Layout::new(&config.data_dir, &config.run_dir);
        let runc_binary = config.runc.clone().or_else(Runc::find);
        let unavailable = unavailable_reason(&config, runc_binary.as_deref());
        let runc = Runc::new(runc_binary.unwrap_or_else(|| "runc".into()), layout.runc_root(), config.call_timeout);
        let rebooted = unavailable.is_none() && record_boot(&layout.boot_marker());
        Self {
            images: ImageStore::new(layout.clone()),
            layout,
            runc,
            config,
            pools: Default::default(),
            pulls: Default::default(),
            progress: Default::default(),
            unavailable,
            rebooted,
        }
    }

    pub fn image_store(&self) -> &ImageStore {
        &self.images
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The container ids runc holds state for (`runc list`).
    pub async fn runc_ids(&self) -> Result<Vec<String>> {
        self.runc.list().await
    }

    pub(crate) fn ensure_available(&self) -> Result<()> {
        match &self.unavailable {
            Some(reason) => Err(RuntimeError::Unavailable(reason.clone())),
            None => Ok(()),
        }
    }

    /// The slot holding a container's files and runc state: its own id, or the pool member it
    /// claimed (its bundle path is then a symlink to that slot).
    pub fn slot(&self, id: &ContainerId) -> String {
        match std::fs::read_link(self.layout.container(id)) {
            Ok(target) => target.file_name().map_or_else(|| id.to_string(), |n| n.to_string_lossy().into_owned()),
            Err(_) => id.to_string(),
        }
    }

    pub(crate) fn bundle(&self, slot: &str) -> Bundle {
        Bundle { dir: self.layout.slot(slot) }
    }

    pub(crate) fn instance(&self, slot: &str) -> Result<Instance> {
        let path = self.bundle(slot).instance();
        let text = std::fs::read(&path)
            .map_err(|_| RuntimeError::Failed(format!("container {slot} has no filesystem on this server")))?;
        serde_json::from_slice(&text).map_err(|e| RuntimeError::Failed(format!("{}: {e}", path.display())))
    }

    pub(crate) fn save_instance(&self, slot: &str, instance: &Instance) -> Result<()> {
        let path = self.bundle(slot).instance();
        let tmp = path.with_extension("tmp");
        let json = serde_json::to_vec_pretty(instance).map_err(|e| RuntimeError::Failed(e.to_string()))?;
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| RuntimeError::io("instance.json", e))
    }

    /// Creates a slot's empty layers over an image (no start).
    pub(crate) fn make_bundle(&self, slot: &str, image: &str, init: InitKind) -> Result<Bundle> {
        let bundle = self.bundle(slot);
        for dir in [bundle.upper(), bundle.work(), bundle.rootfs()] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| RuntimeError::io(format!("cannot create {}", dir.display()), e))?;
        }
        self.save_instance(slot, &Instance { image: image.to_owned(), init, cgroup_path: None, claimed_by: None })?;
        Ok(bundle)
    }

    /// The image fingerprint and init of an alias.
    pub(crate) fn image_for(&self, alias: &str) -> Result<(String, InitKind)> {
        let image = self.images.resolve(alias)?;
        let init = RootDir::open(&self.images.rootfs(&image))
            .and_then(|root| InitKind::detect(&root))
            .map_err(|e| RuntimeError::io(format!("cannot read image {alias}"), e))?;
        Ok((image, init))
    }

    /// The engine's progress sink, once it gave one.
    pub(crate) fn progress_sink(&self) -> Option<crate::contract::ProgressSink> {
        self.progress.0.get().cloned()
    }

    /// The image of `alias`, pulled from the configured image server when the store lacks it;
    /// the download's progress is reported for container `for_container`.
    async fn image_or_pull(&self, alias: &str, for_container: &ContainerId) -> Result<(String, InitKind)> {
        let server = match (self.image_for(alias), &self.config.image_server) {
            (Err(RuntimeError::UnknownImage(_)), Some(server)) => server,
            (found, _) => return found,
        };
        let _one_pull = self.pulls.lock().await;
        if let Ok(found) = self.image_for(alias) {
            return Ok(found);
        }
        tracing::info!("pulling {alias} from {server}");
        let sink = self.progress_sink();
        let mut reported = (String::new(), 0u64);
        let image = crate::ImageServer::new(server)?
            .pull(&self.images, alias, |p| {
                // A report per file and per percent, not per chunk.
                let percent = (p.done * 100).checked_div(p.total).unwrap_or(0);
                if reported.0 == p.file && percent <= reported.1 && p.done != p.total {
                    return;
                }
                reported = (p.file.to_owned(), percent);
                if let Some(sink) = &sink {
                    let stage = format!("downloading {alias} ({})", p.file);
                    sink(for_container, WorkProgress { stage, done: p.done, total: p.total });
                }
            })
            .await?;
        tracing::info!("pulled {alias} ({})", image.fingerprint);
        self.image_for(alias)
    }

    /// Starts a slot: mounts, identity files, a fresh cgroup, config.json, `runc run`. On a
    /// failure nothing half-started is left.
    pub(crate) async fn boot(&self, slot: &str, spec: &BootSpec) -> Result<()> {
        let result = self.boot_inner(slot, spec).await;
        if result.is_err() {
            let _ = self.halt(slot, true).await;
        }
        result
    }

    async fn boot_inner(&self, slot: &str, boot: &BootSpec) -> Result<()> {
        let bundle = self.bundle(slot);
        let mut instance = self.instance(slot)?;
        if let Some(state) = self.runc.state(slot).await? {
            if matches!(state.status.as_str(), "running" | "paused") {
                return Ok(());
            }
            self.runc.delete(slot, true).await?;
        }
        let ramdisk = if boot.ramdisk {
            let dir = self.layout.ramdisk(slot);
            std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::io("cannot create the ramdisk", e))?;
            mounts::mount_tmpfs(&dir, self.config.ramdisk_bytes)?;
            Some(dir)
        } else {
            None
        };
        mounts::mount_overlay(&self.images.rootfs(&instance.image), &bundle.upper(), &bundle.work(), &bundle.rootfs())?;
        RootDir::open(&bundle.rootfs())
            .and_then(|root| write_identity(&root, instance.init, &boot.hostname, &boot.env))
            .map_err(|e| RuntimeError::io("cannot write the container's hostname and environment", e))?;
        let cgroup_path = format!("/hoody/{slot}-{}", hoody_model::ids::random_hex(4));
        instance.cgroup_path = Some(cgroup_path.clone());
        self.save_instance(slot, &instance)?;
        let spec = spec::build(&SpecInput {
            hostname: &boot.hostname,
            env: boot.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            rootfs: bundle.rootfs(),
            cgroup_path,
            limits: self.config.limits,
            ramdisk,
        })?;
        spec.save(bundle.config()).map_err(|e| RuntimeError::io("cannot write config.json", e))?;
        self.runc.run(slot, &bundle.dir, &bundle.console_log(), &bundle.runc_log()).await
    }

    /// Halts a slot (or kills it when `force`), then removes its runc state, cgroups and root
    /// mount. The ramdisk stays: its data survives restarts.
    pub(crate) async fn halt(&self, slot: &str, force: bool) -> Result<()> {
        if let Some(state) = self.runc.state(slot).await? {
            if state.status == "paused" {
                self.runc.resume(slot).await?;
            }
            let mut gone = !matches!(state.status.as_str(), "running" | "paused" | "created");
            if !gone && !force {
                let init = self.instance(slot).map(|i| i.init).unwrap_or(InitKind::Other);
                self.runc.kill(slot, init.halt_signal()).await?;
                gone = wait_for_exit(state.pid, self.config.stop_grace).await;
            }
            if !gone {
                // The process may have exited since; runc then says so, and delete cleans up.
                let _ = self.runc.kill(slot, 9).await;
                if !wait_for_exit(state.pid, Duration::from_secs(5)).await {
                    return Err(RuntimeError::Failed(format!(
                        "the container's init (pid {}) survived SIGKILL",
                        state.pid
                    )));
                }
            }
            self.runc.delete(slot, true).await?;
        }
        mounts::unmount(&self.bundle(slot).rootfs())
    }

    /// Removes everything of a slot: processes, mounts, ramdisk, files, cgroups.
    pub(crate) async fn remove_slot(&self, slot: &str) -> Result<()> {
        self.halt(slot, true).await?;
        let ramdisk = self.layout.ramdisk(slot);
        mounts::unmount(&ramdisk)?;
        let bundle = self.bundle(slot);
        let slot = slot.to_owned();
        blocking(move || {
            for dir in [&ramdisk, &bundle.dir] {
                match std::fs::remove_dir_all(dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(RuntimeError::io(format!("cannot remove {}", dir.display()), e)),
                }
            }
            info::remove_leftover_cgroups(&slot);
            Ok(())
        })
        .await
    }
}

fn unavailable_reason(config: &RuntimeConfig, runc: Option<&Path>) -> Option<String> {
    if !rustix::process::geteuid().is_root() {
        return Some("the local runtime needs root (mounts, namespaces, cgroups); run hoodyd as root".into());
    }
    if runc.is_none() {
        return Some("runc is not installed (apt-get install runc)".into());
    }
    if let Err(e) = mounts::check_overlay_path(&config.data_dir) {
        return Some(e.to_string());
    }
    let filesystems = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
    if !filesystems.lines().any(|l| l.ends_with("overlay")) {
        return Some("the kernel has no overlayfs (modprobe overlay)".into());
    }
    None
}

/// Records this boot's id; true when a different boot was recorded before.
fn record_boot(marker: &Path) -> bool {
    let Ok(boot_id) = std::fs::read_to_string("/proc/sys/kernel/random/boot_id") else {
        return false;
    };
    let previous = std::fs::read_to_string(marker).ok();
    if previous.as_deref() != Some(boot_id.as_str()) {
        if let Some(parent) = marker.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if let Err(e) = std::fs::write(marker, &boot_id) {
            tracing::warn!("cannot record the boot id in {}: {e}", marker.display());
        }
    }
    previous.is_some_and(|p| p != boot_id)
}

/// Waits until `pid` has exited (gone, or a zombie nobody reaped yet).
async fn wait_for_exit(pid: u32, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if !info::is_alive(pid) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs blocking file work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RuntimeError::Failed(format!("background file work failed: {e}")))?
}

#[async_trait]
impl ContainerRuntime for LocalRuntime {
    fn name(&self) -> &str {
        "runc"
    }

    fn unavailable_reason(&self) -> Option<String> {
        self.unavailable.clone()
    }

    fn host_rebooted(&self) -> bool {
        self.rebooted
    }

    fn report_progress_to(&self, sink: crate::contract::ProgressSink) {
        let _ = self.progress.0.set(sink);
    }

    async fn create(&self, c: &Container) -> Result<()> {
        self.ensure_available()?;
        let (image, init) = self.image_or_pull(&c.container_image, &c.id).await?;
        self.make_bundle(c.id.as_str(), &image, init)?;
        self.boot(c.id.as_str(), &BootSpec::of(c)).await
    }

    fn can_claim(&self, c: &Container) -> bool {
        self.unavailable.is_none() && self.pool_ready_for(c)
    }

    async fn claim(&self, c: &Container) -> Result<bool> {
        self.ensure_available()?;
        self.claim_from_pool(c).await
    }

    async fn refill(&self) -> Result<()> {
        if self.unavailable.is_some() {
            return Ok(()); // no pools without a runtime; the reason is reported elsewhere
        }
        self.refill_pools().await
    }

    async fn start(&self, c: &Container) -> Result<()> {
        self.ensure_available()?;
        self.boot(&self.slot(&c.id), &BootSpec::of(c)).await
    }

    async fn stop(&self, c: &Container, force: bool) -> Result<()> {
        self.ensure_available()?;
        self.halt(&self.slot(&c.id), force).await
    }

    async fn pause(&self, c: &Container) -> Result<()> {
        self.ensure_available()?;
        self.runc.pause(&self.slot(&c.id)).await
    }

    async fn resume(&self, c: &Container) -> Result<()> {
        self.ensure_available()?;
        self.runc.resume(&self.slot(&c.id)).await
    }

    async fn destroy(&self, id: &ContainerId) -> Result<()> {
        self.ensure_available()?;
        let slot = self.slot(id);
        self.remove_slot(&slot).await?;
        // A claimed container's bundle path is a symlink to its slot.
        match std::fs::remove_file(self.layout.container(id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(RuntimeError::io("cannot remove the container's bundle link", e)),
        }
    }

    async fn state(&self, id: &ContainerId) -> Result<RuntimeState> {
        self.ensure_available()?;
        let slot = self.slot(id);
        Ok(match self.runc.state(&slot).await? {
            Some(s) if s.status == "running" => RuntimeState::Running,
            Some(s) if s.status == "paused" => RuntimeState::Paused,
            _ if self.bundle(&slot).instance().exists() => RuntimeState::Stopped,
            _ => RuntimeState::Absent,
        })
    }

    async fn wait_exit(&self, id: &ContainerId) -> Result<()> {
        let Some(state) = self.runc.state(&self.slot(id)).await? else { return Ok(()) };
        if !matches!(state.status.as_str(), "running" | "paused" | "created") {
            return Ok(());
        }
        const WATCH: &str = "cannot watch the container's init";
        let pid = rustix::process::Pid::from_raw(state.pid as i32)
            .ok_or_else(|| RuntimeError::Failed("runc gave pid 0".into()))?;
        // A pidfd turns readable when the process exits; gone already means exited.
        let fd = match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::SRCH) => return Ok(()),
            Err(e) => return Err(RuntimeError::io(WATCH, e)),
        };
        // SAFETY: the AsyncFd owns the OwnedFd, which stays open and the same until it is dropped.
        #[allow(unsafe_code)]
        let fd = unsafe { tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
            .map_err(|e| RuntimeError::io(WATCH, std::io::Error::from(e)))?;
        let _ready = fd.readable().await.map_err(|e| RuntimeError::io(WATCH, e))?;
        Ok(())
    }

    async fn info(&self, c: &Container) -> Result<RuntimeInfo> {
        self.ensure_available()?;
        let slot = self.slot(&c.id);
        let state = self.runc.state(&slot).await?;
        let cgroup = self.instance(&slot).ok().and_then(|i| i.cgroup_path);
        Ok(match (state, cgroup) {
            (Some(s), Some(cgroup)) if matches!(s.status.as_str(), "running" | "paused") => {
                info::read(s.pid, s.created, &cgroup)
            }
            _ => RuntimeInfo::default(),
        })
    }

    async fn images(&self) -> Result<Vec<Image>> {
        let images = self.images.clone();
        blocking(move || images.list()).await
    }

    async fn snapshot(&self, c: &Container, snapshot: &SnapshotId) -> Result<u64> {
        self.ensure_available()?;
        layers::snapshot(self, &self.slot(&c.id), snapshot).await
    }

    async fn restore(&self, c: &Container, snapshot: &SnapshotId) -> Result<()> {
        self.ensure_available()?;
        layers::restore(self, &self.slot(&c.id), snapshot).await
    }

    async fn delete_snapshot(&self, snapshot: &SnapshotId) -> Result<()> {
        let dir = self.layout.snapshot(snapshot);
        blocking(move || match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(RuntimeError::io(format!("cannot remove {}", dir.display()), e)),
        })
        .await
    }

    async fn copy(&self, source: &Container, target: &Container) -> Result<()> {
        self.ensure_available()?;
        layers::copy(self, &self.slot(&source.id), &target.id).await
    }
}
