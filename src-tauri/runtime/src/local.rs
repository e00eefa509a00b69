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
use hoody_model::{Container, ContainerId, Image, RuntimeInfo, SnapshotId};
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
        }
    }
}

/// What the runtime remembers about a container between calls (`instance.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Instance {
    pub image: String,
    pub init: InitKind,
    /// The cgroup of the current (or last) start.
    pub cgroup_path: Option<String>,
}

#[derive(Debug)]
pub struct LocalRuntime {
    pub(crate) layout: Layout,
    images: ImageStore,
    pub(crate) runc: Runc,
    config: RuntimeConfig,
    unavailable: Option<String>,
    rebooted: bool,
}

impl LocalRuntime {
    /// Never fails: what keeps containers from running here becomes `unavailable_reason`.
    pub fn new(config: RuntimeConfig) -> Self {
        let layout = Layout::new(&config.data_dir, &config.run_dir);
        let runc_binary = config.runc.clone().or_else(Runc::find);
        let unavailable = unavailable_reason(&config, runc_binary.as_deref());
        let runc = Runc::new(runc_binary.unwrap_or_else(|| "runc".into()), layout.runc_root(), config.call_timeout);
        let rebooted = unavailable.is_none() && record_boot(&layout.boot_marker());
        Self { images: ImageStore::new(layout.clone()), layout, runc, config, unavailable, rebooted }
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

    fn ensure_available(&self) -> Result<()> {
        match &self.unavailable {
            Some(reason) => Err(RuntimeError::Unavailable(reason.clone())),
            None => Ok(()),
        }
    }

    pub(crate) fn bundle(&self, id: &ContainerId) -> Bundle {
        Bundle { dir: self.layout.container(id) }
    }

    pub(crate) fn instance(&self, id: &ContainerId) -> Result<Instance> {
        let path = self.bundle(id).instance();
        let text = std::fs::read(&path)
            .map_err(|_| RuntimeError::Failed(format!("container {id} has no filesystem on this server")))?;
        serde_json::from_slice(&text).map_err(|e| RuntimeError::Failed(format!("{}: {e}", path.display())))
    }

    pub(crate) fn save_instance(&self, id: &ContainerId, instance: &Instance) -> Result<()> {
        let path = self.bundle(id).instance();
        let tmp = path.with_extension("tmp");
        let json = serde_json::to_vec_pretty(instance).map_err(|e| RuntimeError::Failed(e.to_string()))?;
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| RuntimeError::io("instance.json", e))
    }

    /// Creates the container's empty layers over an image (no start).
    pub(crate) fn make_bundle(&self, id: &ContainerId, image: &str, init: InitKind) -> Result<Bundle> {
        let bundle = self.bundle(id);
        for dir in [bundle.upper(), bundle.work(), bundle.rootfs()] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| RuntimeError::io(format!("cannot create {}", dir.display()), e))?;
        }
        self.save_instance(id, &Instance { image: image.to_owned(), init, cgroup_path: None })?;
        Ok(bundle)
    }

    async fn boot(&self, c: &Container) -> Result<()> {
        let id = &c.id;
        let bundle = self.bundle(id);
        let mut instance = self.instance(id)?;
        if let Some(state) = self.runc.state(id.as_str()).await? {
            if matches!(state.status.as_str(), "running" | "paused") {
                return Ok(());
            }
            self.runc.delete(id.as_str(), true).await?;
        }
        let ramdisk = if c.ramdisk {
            let dir = self.layout.ramdisk(id);
            std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::io("cannot create the ramdisk", e))?;
            mounts::mount_tmpfs(&dir, self.config.ramdisk_bytes)?;
            Some(dir)
        } else {
            None
        };
        mounts::mount_overlay(&self.images.rootfs(&instance.image), &bundle.upper(), &bundle.work(), &bundle.rootfs())?;
        let env: Vec<(String, String)> = c.environment_vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        RootDir::open(&bundle.rootfs())
            .and_then(|root| write_identity(&root, instance.init, &c.name, &env))
            .map_err(|e| RuntimeError::io("cannot write the container's hostname and environment", e))?;
        let cgroup_path = format!("/hoody/{id}-{}", hoody_model::ids::random_hex(4));
        instance.cgroup_path = Some(cgroup_path.clone());
        self.save_instance(id, &instance)?;
        let spec = spec::build(&SpecInput {
            hostname: &c.name,
            env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            rootfs: bundle.rootfs(),
            cgroup_path,
            limits: self.config.limits,
            ramdisk,
        })?;
        spec.save(bundle.config()).map_err(|e| RuntimeError::io("cannot write config.json", e))?;
        self.runc.run(id.as_str(), &bundle.dir, &bundle.console_log(), &bundle.runc_log()).await
    }

    /// Halts the container (or kills it when `force`), then removes its runc state, cgroups and
    /// root mount. The ramdisk stays: its data survives restarts.
    async fn halt(&self, id: &ContainerId, force: bool) -> Result<()> {
        let runc_id = id.as_str();
        if let Some(state) = self.runc.state(runc_id).await? {
            if state.status == "paused" {
                self.runc.resume(runc_id).await?;
            }
            let mut gone = !matches!(state.status.as_str(), "running" | "paused" | "created");
            if !gone && !force {
                let init = self.instance(id).map(|i| i.init).unwrap_or(InitKind::Other);
                self.runc.kill(runc_id, init.halt_signal()).await?;
                gone = wait_for_exit(state.pid, self.config.stop_grace).await;
            }
            if !gone {
                // The process may have exited since; runc then says so, and delete cleans up.
                let _ = self.runc.kill(runc_id, 9).await;
                if !wait_for_exit(state.pid, Duration::from_secs(5)).await {
                    return Err(RuntimeError::Failed(format!(
                        "the container's init (pid {}) survived SIGKILL",
                        state.pid
                    )));
                }
            }
            self.runc.delete(runc_id, true).await?;
        }
        mounts::unmount(&self.bundle(id).rootfs())
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

    async fn create(&self, c: &Container) -> Result<()> {
        self.ensure_available()?;
        let image = self.images.resolve(&c.container_image)?;
        let init = RootDir::open(&self.images.rootfs(&image))
            .and_then(|root| InitKind::detect(&root))
            .map_err(|e| RuntimeError::io(format!("cannot read image {}", c.container_image), e))?;
        self.make_bundle(&c.id, &image, init)?;
        self.start(c).await
    }

    async fn start(&self, c: &Container) -> Result<()> {
        self.ensure_available()?;
        let result = self.boot(c).await;
        if result.is_err() {
            // Leave nothing half-started behind.
            let _ = self.halt(&c.id, true).await;
        }
        result
    }

    async fn stop(&self, c: &Container, force: bool) -> Result<()> {
        self.ensure_available()?;
        self.halt(&c.id, force).await
    }

    async fn pause(&self, c: &Container) -> Result<()> {
        self.ensure_available()?;
        self.runc.pause(c.id.as_str()).await
    }

    async fn resume(&self, c: &Container) -> Result<()> {
        self.ensure_available()?;
        self.runc.resume(c.id.as_str()).await
    }

    async fn destroy(&self, id: &ContainerId) -> Result<()> {
        self.ensure_available()?;
        self.halt(id, true).await?;
        let ramdisk = self.layout.ramdisk(id);
        mounts::unmount(&ramdisk)?;
        let bundle = self.bundle(id);
        let id = id.clone();
        blocking(move || {
            for dir in [&ramdisk, &bundle.dir] {
                match std::fs::remove_dir_all(dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(RuntimeError::io(format!("cannot remove {}", dir.display()), e)),
                }
            }
            info::remove_leftover_cgroups(&id);
            Ok(())
        })
        .await
    }

    async fn state(&self, id: &ContainerId) -> Result<RuntimeState> {
        self.ensure_available()?;
        Ok(match self.runc.state(id.as_str()).await? {
            Some(s) if s.status == "running" => RuntimeState::Running,
            Some(s) if s.status == "paused" => RuntimeState::Paused,
            _ if self.bundle(id).instance().exists() => RuntimeState::Stopped,
            _ => RuntimeState::Absent,
        })
    }

    async fn info(&self, c: &Container) -> Result<RuntimeInfo> {
        self.ensure_available()?;
        let state = self.runc.state(c.id.as_str()).await?;
        let cgroup = self.instance(&c.id).ok().and_then(|i| i.cgroup_path);
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
        layers::snapshot(self, c, snapshot).await
    }

    async fn restore(&self, c: &Container, snapshot: &SnapshotId) -> Result<()> {
        self.ensure_available()?;
        layers::restore(self, c, snapshot).await
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
        layers::copy(self, source, target).await
    }
}
