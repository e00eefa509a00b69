//! Real containers: the engine with [`LocalRuntime`] on a busybox image made from the host's
//! `busybox-static`. Each test has its own data directory (so its own runc root, cgroups and
//! ramdisks) and checks that nothing is left behind.

mod layers;
mod lifecycle;
mod network;
mod prespawn;
mod reconcile;
mod systemd;

use hoody_engine::{ContainerRuntime, Engine, EngineConfig, Principal};
use hoody_model::{Container, ContainerCreate, ContainerId, ContainerStatus, ProjectCreate, ProjectId, TokenId};
use hoody_runtime::{LocalRuntime, RuntimeConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub fn admin() -> Principal {
    Principal::unrestricted(TokenId::generate())
}

pub struct Local {
    pub engine: Engine,
    pub runtime: Arc<LocalRuntime>,
    pub project: ProjectId,
    pub dir: tempfile::TempDir,
}

pub fn runtime_config(data_dir: &Path) -> RuntimeConfig {
    let mut config = RuntimeConfig::new(data_dir);
    config.stop_grace = Duration::from_secs(5);
    config.ramdisk_bytes = 16 << 20;
    config
}

impl Local {
    /// A fresh engine with the busybox image imported as `busybox/1`.
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(configure: impl FnOnce(&mut RuntimeConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().canonicalize().unwrap();
        let mut config = runtime_config(&data);
        configure(&mut config);
        let runtime = Arc::new(LocalRuntime::new(config));
        assert_eq!(runtime.unavailable_reason(), None, "these tests need root, runc and overlayfs");
        runtime
            .image_store()
            .import_tarball("busybox/1", hoody_runtime::testkit::shared_busybox_tarball(), "busybox")
            .unwrap();
        let engine = start_engine(&data, runtime.clone()).await;
        let project = engine
            .create_project(&admin(), ProjectCreate { alias: "p".into(), ..Default::default() })
            .await
            .unwrap()
            .id;
        Self { engine, runtime, project, dir }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    /// Creates a container on the busybox image and waits until its creation has finished.
    pub async fn create(&self, name: &str, tweak: impl FnOnce(&mut ContainerCreate)) -> Container {
        let mut req = ContainerCreate {
            name: Some(name.into()),
            container_image: Some("busybox/1".into()),
            ..Default::default()
        };
        req.server_id = Some(self.engine.server_id().as_str().into());
        tweak(&mut req);
        let c = self.engine.create_container(&admin(), &self.project, req).await.unwrap();
        self.engine.settle().await;
        self.get(&c.id).await
    }

    pub async fn get(&self, id: &ContainerId) -> Container {
        self.engine.container(&admin(), id).await.unwrap()
    }

    /// The container's init as the host sees it.
    pub async fn init_pid(&self, id: &ContainerId) -> u32 {
        let c = self.engine.container_with_runtime(&admin(), id).await.unwrap();
        let info = c.runtime_info.expect("runtime info of a running container");
        info.processes.iter().find(|p| p.pid == 1).expect("an init with pid 1").host_pid
    }

    /// Deletes every container and checks that the runtime left nothing behind.
    pub async fn delete_all_and_check_clean(&self) {
        let (all, _) = self.engine.list_containers(&admin(), &Default::default()).await.unwrap();
        for c in all.iter().filter(|c| c.status != ContainerStatus::Deleted) {
            self.engine.delete_container(&admin(), &c.id).await.unwrap();
        }
        for c in &all {
            assert_clean(&self.runtime, &self.data_dir(), &c.id).await;
        }
    }
}

/// The runtime's /run directory goes with the test's data directory.
impl Drop for Local {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.runtime.layout().run_dir());
    }
}

pub async fn start_engine(data: &Path, runtime: Arc<LocalRuntime>) -> Engine {
    let config = EngineConfig::new(data.to_owned(), "t");
    Engine::start(config, runtime).await.unwrap()
}

/// Nothing of a deleted container is left: no mount, no runc state, no cgroup, no files.
pub async fn assert_clean(runtime: &LocalRuntime, data: &Path, id: &ContainerId) {
    let mounts = hoody_runtime::mount_points_under(data);
    assert!(mounts.iter().all(|m| !m.contains(id.as_str())), "mounts left: {mounts:?}");
    let ramdisk = runtime.layout().ramdisk(id.as_str());
    assert!(!ramdisk.exists(), "ramdisk dir left: {}", ramdisk.display());
    assert!(!runtime.runc_ids().await.unwrap().contains(&id.to_string()), "runc state left");
    assert!(!runtime.layout().container(id).exists(), "bundle left");
    let cgroups = leftover_cgroups(id);
    assert!(cgroups.is_empty(), "cgroups left: {cgroups:?}");
}

pub fn leftover_cgroups(id: &ContainerId) -> Vec<PathBuf> {
    let mut left = Vec::new();
    for controller in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        if let Ok(entries) = std::fs::read_dir(controller.path().join("hoody")) {
            left.extend(entries.flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().contains(id.as_str())));
        }
    }
    left
}

/// A file inside the running container, through its init's view of the filesystem.
pub fn in_container(pid: u32, path: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/root{path}"))
}

/// Waits until `check` holds (the container's own init works asynchronously).
pub async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let check = || {
        let holds = check();
        async move { holds.await.then_some(()) }
    };
    hoody_client::testkit::eventually(what, Duration::from_secs(5), check).await
}
