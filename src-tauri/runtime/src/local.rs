//! [`LocalRuntime`]: the container lifecycle on this machine.

use crate::console::Console;
use crate::container_files::ContainerFiles;
use crate::contract::{ContainerRuntime, Halt, RuntimeState};
use crate::enter::{Enter, Overlay, Setup, View};
use crate::error::{Result, RuntimeError};
use crate::firewall;
use crate::images::ImageStore;
use crate::layout::{Bundle, Layout};
use crate::phases::{phase, timed};
use crate::prepare::InitKind;
use crate::rootdir::RootDir;
use crate::runc::Runc;
use crate::shares::ShareMount;
use crate::spec::{self, Limits, SpecInput};
use crate::{info, layers, mounts, network};
use async_trait::async_trait;
use hoody_model::{Container, ContainerId, ContainerLogs, Id, Image, RuntimeInfo, SnapshotId, WorkProgress};
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
    /// `hoody-enter`; None looks beside the running program, then on PATH.
    pub enter: Option<PathBuf>,
    /// `slirp4netns`, which gives containers their network; None looks it up on PATH.
    pub slirp4netns: Option<PathBuf>,
    /// The network namespace containers' connections leave from (their helpers run there);
    /// None: the engine's own.
    pub egress_netns: Option<PathBuf>,
    /// The cgroup (in every hierarchy) under which each start of a container gets its own:
    /// `hoody` for a root engine, `hoody-USER` (delegated by host-setup) otherwise.
    pub cgroup_parent: String,
}

impl RuntimeConfig {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            run_dir: default_run_dir(),
            runc: None,
            limits: Limits::default(),
            ramdisk_bytes: 512 << 20,
            stop_grace: Duration::from_secs(10),
            call_timeout: Duration::from_secs(30),
            prespawn: Vec::new(),
            image_server: None,
            enter: None,
            slirp4netns: None,
            egress_netns: None,
            cgroup_parent: default_cgroup_parent(),
        }
    }
}

/// Where state that must not outlive a boot goes: /run/hoody for root; for anyone else their
/// runtime directory ($XDG_RUNTIME_DIR, or /run/user/UID, which host-setup makes where no
/// login manager does).
pub fn default_run_dir() -> PathBuf {
    let uid = rustix::process::geteuid();
    if uid.is_root() {
        return PathBuf::from(DEFAULT_RUN_DIR);
    }
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .unwrap_or_else(|| PathBuf::from(format!("/run/user/{}", uid.as_raw())))
        .join("hoody")
}

/// `hoody` for root, `hoody-USER` for anyone else (what host-setup delegates).
pub fn default_cgroup_parent() -> String {
    let uid = rustix::process::geteuid().as_raw();
    match uid {
        0 => "hoody".into(),
        _ => format!("hoody-{}", crate::idmap::user_name(uid).unwrap_or_else(|| uid.to_string())),
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
    /// Outbound connectivity and DNS; off leaves the container its loopback only.
    pub network: bool,
    /// Nested user namespaces allowed inside (see `crate::init_shim`).
    pub nesting: bool,
}

impl BootSpec {
    pub fn of(c: &Container) -> Self {
        Self {
            hostname: c.name.clone(),
            env: c.environment_vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ramdisk: c.ramdisk,
            network: c.network,
            nesting: c.nesting,
        }
    }
}

/// How long the image server's offer is kept, and how long one that could not be read is not
/// asked again.
const CATALOG_FRESH: Duration = Duration::from_secs(600);
const CATALOG_RETRY: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct LocalRuntime {
    pub(crate) layout: Layout,
    pub(crate) images: ImageStore,
    pub(crate) runc: Runc,
    pub(crate) config: RuntimeConfig,
    /// File work on container layers, as the containers' root.
    pub(crate) files: ContainerFiles,
    pub(crate) pools: crate::pool::Pools,
    /// One image pull at a time, so concurrent creates of a new image download it once.
    pulls: tokio::sync::Mutex<()>,
    /// The image server's offer, when it was read (or why it could not be).
    catalog: tokio::sync::Mutex<Option<(std::time::Instant, Result<Vec<Image>>)>>,
    progress: ProgressSlot,
    unavailable: Option<String>,
    /// Where a rootless engine's containers get their cgroups, settled before the first needs
    /// one (see [`crate::placement`]), or why they cannot.
    placement: std::sync::OnceLock<std::result::Result<String, String>>,
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
        let enter = Enter::for_this_user(config.enter.clone());
        let mut unavailable = unavailable_reason(&config, runc_binary.as_deref(), &enter, &layout);
        if let (None, Ok(enter)) = (&unavailable, &enter) {
            match crate::shift::shift_once(layout.root(), enter.map()) {
                Ok(0) => {}
                Ok(n) => tracing::info!("gave {n} files of earlier containers and images to the containers' id range"),
                Err(e) => unavailable = Some(e.to_string()),
            }
        }
        if let (None, Ok(enter)) = (&unavailable, &enter) {
            unavailable = install_init_shim(&layout, enter).err();
        }
        let runc = Runc::new(
            runc_binary.unwrap_or_else(|| "runc".into()),
            layout.runc_root(),
            config.call_timeout,
            enter.as_ref().ok().cloned(),
        );
        let rebooted = unavailable.is_none() && record_boot(&layout.boot_marker());
        let files = ContainerFiles::new(enter);
        Self {
            images: ImageStore::new(layout.clone(), files.clone()),
            files,
            layout,
            runc,
            config,
            pools: Default::default(),
            pulls: Default::default(),
            catalog: Default::default(),
            progress: Default::default(),
            unavailable,
            placement: Default::default(),
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
            None => self.cgroup_parent().map(drop),
        }
    }

    /// The cgroup under which each start of a container gets its own: the configured one for a
    /// root engine; for a rootless one, where [`crate::placement::settle`] put it (once).
    pub(crate) fn cgroup_parent(&self) -> Result<String> {
        let ids = match self.files.enter() {
            Ok(enter) if enter.map().rootless() => enter.map(),
            _ => return Ok(self.config.cgroup_parent.clone()),
        };
        let placed = self.placement.get_or_init(|| {
            let user = crate::idmap::user_name(ids.engine_uid).unwrap_or_else(|| ids.engine_uid.to_string());
            crate::placement::settle(&self.config.cgroup_parent, &user)
        });
        placed.clone().map_err(RuntimeError::Unavailable)
    }

    /// The cgroup parent for clearing leftovers: where containers go, or the configured one.
    fn leftovers_parent(&self) -> String {
        self.cgroup_parent().unwrap_or_else(|_| self.config.cgroup_parent.clone())
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

    /// Creates a slot's empty layers over an image (no start): the bundle is the engine's
    /// (the container's root passes through it, nothing more); its upper layer goes to
    /// container root (the root directory the container sees) at the first start.
    pub(crate) fn make_bundle(&self, slot: &str, image: &str, init: InitKind) -> Result<Bundle> {
        use std::os::unix::fs::PermissionsExt;
        let bundle = self.bundle(slot);
        let io = |e| RuntimeError::io(format!("cannot create {}", bundle.dir.display()), e);
        for dir in [bundle.rootfs(), bundle.upper(), bundle.work()] {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::set_permissions(&bundle.dir, std::fs::Permissions::from_mode(0o711)).map_err(io)?;
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

    /// The configured image server, to download `alias` from.
    fn image_server(&self, alias: &str) -> Result<crate::ImageServer> {
        match &self.config.image_server {
            Some(server) => crate::ImageServer::new(server),
            None => Err(RuntimeError::NoImageServer(format!(
                "this server has no image server to download {alias} from (start it with --image-server URL); \
                 import the image instead (`hoodyd image import {alias} ROOTFS.tar`)"
            ))),
        }
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
        if let Err(e) = result {
            let _ = self.halt(slot, true).await;
            return Err(match self.last_words_of(slot).await {
                Some(words) => RuntimeError::Failed(format!("{e} ({words})")),
                None => e,
            });
        }
        Ok(())
    }

    /// What the slot's console said last about why it stopped (see [`crate::console::last_words`]),
    /// once its keeper has written all of it.
    pub(crate) async fn last_words_of(&self, slot: &str) -> Option<String> {
        let bundle = self.bundle(slot);
        crate::console::wait_for_keeper(&bundle.console_pid()).await;
        let init = self.instance(slot).map(|i| i.init).unwrap_or(InitKind::Other);
        crate::console::last_words(&crate::logs::tail(&[bundle.console_log()], 40), init)
    }

    async fn boot_inner(&self, slot: &str, boot: &BootSpec) -> Result<()> {
        let bundle = self.bundle(slot);
        let mut instance = self.instance(slot)?;
        let state = phase("runc state (one left from before?)");
        if let Some(state) = self.runc.state(slot).await? {
            if matches!(state.status.as_str(), "running" | "paused") {
                return Ok(());
            }
            self.runc.delete(slot, true).await?;
        }
        drop(state);
        network::detach(&bundle.network_pid()); // a helper a crash left behind
        let lower = self.images.rootfs(&instance.image);
        let overlay = Overlay { lower: &lower, upper: &bundle.upper(), work: &bundle.work(), target: &bundle.rootfs() };
        let ramdisk = boot.ramdisk.then(|| self.layout.ramdisk(slot));
        let cgroup_path = format!("/{}/{slot}-{}", self.cgroup_parent()?, hoody_model::ids::random_hex(4));
        let prepared = self.prepare_as_container_root(&overlay, instance.init, boot, ramdisk.as_deref(), &cgroup_path);
        timed("identity, ramdisk, cgroup (hoody-enter as the containers' root)", prepared).await?;
        let config = phase("config.json, init, console");
        instance.cgroup_path = Some(cgroup_path.clone());
        self.save_instance(slot, &instance)?;
        crate::init_shim::place(self.layout.root(), &bundle.dir)
            .map_err(|e| RuntimeError::io("cannot put the container's first program in its bundle", e))?;
        let spec = spec::build(&SpecInput {
            hostname: &boot.hostname,
            env: boot.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            ids: self.files.enter()?.map(),
            cgroup_path,
            limits: self.config.limits,
            ramdisk,
            nesting: boot.nesting,
        })?;
        spec.save(bundle.config()).map_err(|e| RuntimeError::io("cannot write config.json", e))?;
        let binds = self.binds(&bundle.shares());
        let console = Console::open(self.files.enter()?.binary(), &self.layout.console_socket(slot), &bundle)?;
        drop(config);
        let runc_log = bundle.runc_log();
        let created =
            timed("runc create", self.runc.create(slot, &bundle.dir, &overlay, &binds, &console, &runc_log)).await;
        let init_pid = match created {
            Ok(pid) => {
                console.keep();
                pid
            }
            Err(e) => {
                console.abandon().await;
                return Err(e);
            }
        };
        // Its firewall holds before it has a way out (and before its init runs anything).
        if let Some(ruleset) = firewall::kept(&bundle.firewall()) {
            timed("firewall", firewall::apply(self.files.enter()?, init_pid, &ruleset)).await?;
        }
        let attach = phase("network helper started");
        let network = match boot.network {
            true => Some(self.attach_network(init_pid, &bundle)?),
            false => None,
        };
        drop(attach);
        timed("runc start", self.runc.start(slot, init_pid)).await?;
        match network {
            Some(network) => timed("network ready", network.ready()).await,
            None => Ok(()),
        }
    }

    /// Starts giving the container whose init is `init_pid` its network (see [`network::attach`]).
    fn attach_network(&self, init_pid: u32, bundle: &Bundle) -> Result<network::Attaching> {
        let (helper, egress) = (self.config.slirp4netns.as_deref(), self.config.egress_netns.as_deref());
        network::attach(self.files.enter()?, helper, egress, init_pid, &bundle.network_pid())
    }

    /// What a boot needs of the containers' root: its hostname, hosts entry, environment and
    /// resolver written into the container's root (through an overlay of the layers mounted for
    /// that alone; the containers' root takes a fresh upper layer first), its /ramdisk, and its
    /// part of the unified cgroup tree. A rootless engine does it all in one namespace (each
    /// costs ~10 ms of id mapping); a root engine mounts the ramdisk and gives the cgroup itself.
    ///
    /// The ramdisk is a tmpfs of its own for a root engine, a directory in the user's runtime
    /// directory (a tmpfs too, without a size of its own) otherwise; it is kept across starts
    /// and gone after a reboot. systemd in a container manages its own part of the unified
    /// cgroup tree: it has to exist and belong to the container's root before the init starts —
    /// all but the leaf the engine keeps for the kit's processes ([`info::KIT_CGROUP`]).
    async fn prepare_as_container_root(
        &self,
        overlay: &Overlay<'_>,
        init: InitKind,
        boot: &BootSpec,
        ramdisk: Option<&Path>,
        cgroup_path: &str,
    ) -> Result<()> {
        let enter = self.files.enter()?;
        let ids = enter.map();
        let cgroup = info::unified_dir(cgroup_path);
        let mut command = enter.userns(
            View::ContainerRoot,
            &Setup { own: vec![overlay.upper], overlay: Some(overlay.clone()), ..Setup::default() },
            enter.binary(),
        );
        command.arg("identity").arg("--root").arg(overlay.target).args(["--init", init.as_str()]);
        command.arg("--hostname").arg(&boot.hostname);
        // The resolver is written with the network off too: turned on while the container runs,
        // its names resolve at once (off, a lookup fails at once: the address has no route).
        command.args(["--resolver", network::RESOLVER]);
        for (k, v) in &boot.env {
            command.arg("--env").arg(format!("{k}={v}"));
        }
        if ids.rootless() {
            command.args(ramdisk.map(|dir| ["--make-dir".as_ref(), dir.as_os_str()]).into_iter().flatten());
            command.arg("--give-cgroup").arg(&cgroup);
        }
        let (files, bytes, ramdisk) = (self.files.clone(), self.config.ramdisk_bytes, ramdisk.map(Path::to_owned));
        blocking(move || {
            std::fs::create_dir_all(cgroup.join(info::KIT_CGROUP))
                .map_err(|e| RuntimeError::io(format!("cannot create the cgroup {}", cgroup.display()), e))?;
            if !ids.rootless() {
                if let Some(dir) = &ramdisk {
                    std::fs::create_dir_all(dir).map_err(|e| RuntimeError::io("cannot create the ramdisk", e))?;
                    mounts::mount_tmpfs(dir, bytes, ids.uid_base, ids.gid_base)?;
                }
                files.give_cgroup_to_root(&cgroup)?;
            }
            crate::container_files::run(&mut command)
        })
        .await
    }

    /// Halts a slot (or kills it when `force`), then removes its runc state, cgroups and root
    /// mount. The ramdisk stays: its data survives restarts.
    pub(crate) async fn halt(&self, slot: &str, force: bool) -> Result<Halt> {
        let mut halt = Halt::AlreadyDown;
        if let Some(state) = timed("halt: runc state", self.runc.state(slot)).await? {
            let ending = phase("halt: the init ended (signal, grace, SIGKILL)");
            if state.status == "paused" {
                self.runc.resume(slot).await?;
            }
            let mut gone = !matches!(state.status.as_str(), "running" | "paused" | "created");
            if !gone && !force {
                let init = self.instance(slot).map(|i| i.init).unwrap_or(InitKind::Other);
                signal(state.pid, init.halt_signal())?;
                gone = wait_for_exit(state.pid, self.config.stop_grace).await;
                halt = if gone { Halt::OnSignal } else { Halt::Killed { grace: Some(self.config.stop_grace) } };
            }
            if !gone {
                if force {
                    halt = Halt::Killed { grace: None };
                }
                signal(state.pid, 9)?;
                if !wait_for_exit(state.pid, Duration::from_secs(5)).await {
                    return Err(RuntimeError::Failed(format!(
                        "the container's init (pid {}) survived SIGKILL",
                        state.pid
                    )));
                }
            }
            drop(ending);
            timed("halt: the network helper ended", network::end(&self.bundle(slot).network_pid())).await;
            timed("halt: runc delete", self.runc.delete(slot, true)).await?;
        }
        let rest = phase("halt: leftover cgroups, the root unmounted");
        network::detach(&self.bundle(slot).network_pid());
        // What no runc state accounts for any more (a run a crash cut off) goes too.
        let (parent, slot_name) = (self.leftovers_parent(), slot.to_owned());
        blocking(move || {
            info::remove_leftover_cgroups(&parent, &slot_name);
            Ok(())
        })
        .await?;
        mounts::unmount(&self.bundle(slot).rootfs())?;
        drop(rest);
        Ok(halt)
    }

    /// Removes everything of a slot: processes, mounts, ramdisk, files, cgroups.
    pub(crate) async fn remove_slot(&self, slot: &str) -> Result<()> {
        self.halt(slot, true).await?;
        let ramdisk = self.layout.ramdisk(slot);
        mounts::unmount(&ramdisk)?;
        let bundle = self.bundle(slot);
        let (slot, parent) = (slot.to_owned(), self.leftovers_parent());
        let files = self.files.clone();
        let removed = blocking(move || {
            // Unmounted, the ramdisk is an empty directory of the engine's run directory, which
            // the engine removes itself; anything else goes with the bundle, as the containers'
            // root, in one helper.
            let ramdisk = std::fs::remove_dir(&ramdisk).is_err().then_some(ramdisk.as_path());
            files.remove_trees(&[Some(bundle.dir.as_path()), ramdisk].into_iter().flatten().collect::<Vec<_>>())?;
            info::remove_leftover_cgroups(&parent, &slot);
            Ok(())
        });
        timed("delete: the slot's files and cgroups", removed).await
    }
}

/// Puts the containers' first program and their seccomp filter (the helper's) where
/// every bundle links them from; or says why containers cannot start.
fn install_init_shim(layout: &Layout, enter: &Enter) -> std::result::Result<(), String> {
    let filter = enter.container_filter()?;
    layout
        .create_dir(layout.root())
        .and_then(|()| crate::init_shim::install(layout.root(), &filter))
        .map_err(|e| format!("cannot write the containers' first program into {}: {e}", layout.root().display()))
}

fn unavailable_reason(
    config: &RuntimeConfig,
    runc: Option<&Path>,
    enter: &std::result::Result<Enter, String>,
    layout: &Layout,
) -> Option<String> {
    if runc.is_none() {
        return Some("runc is not installed (apt-get install runc)".into());
    }
    let enter = match enter {
        Ok(enter) => enter,
        Err(why) => return Some(why.clone()),
    };
    if std::fs::read_to_string("/proc/sys/user/max_user_namespaces").is_ok_and(|n| n.trim() == "0") {
        return Some("user namespaces are disabled (sysctl user.max_user_namespaces=0)".into());
    }
    if enter.map().rootless()
        && let Some(why) = crate::idmap::id_mappers_missing()
    {
        return Some(why);
    }
    if let Err(e) = std::fs::create_dir_all(layout.run_dir()) {
        return Some(format!(
            "cannot create {} ({e}): run `sudo hoodyd host-setup --user {}` once",
            layout.run_dir().display(),
            crate::idmap::user_name(enter.map().engine_uid).unwrap_or_default()
        ));
    }
    if let Err(e) = mounts::check_overlay_path(&config.data_dir) {
        return Some(e.to_string());
    }
    if !crate::mounts::overlay_available() {
        return Some("the kernel has no overlayfs, built in or as a module".into());
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

/// Sends `signal` to a container's init. The engine does it from where it runs: it owns the
/// namespace above the container's, which a later runc call (in a namespace of its own) does
/// not. An init gone meanwhile is fine.
fn signal(pid: u32, signal: i32) -> Result<()> {
    let Some(pid) = rustix::process::Pid::from_raw(pid as i32).filter(|_| (1..=64).contains(&signal)) else {
        return Err(RuntimeError::Failed(format!("cannot send signal {signal} to pid {pid}")));
    };
    #[allow(unsafe_code)]
    // SAFETY: 1..=64 are the kernel's signal numbers; this one is only sent to another
    // process (systemd's halt is SIGRTMIN+3), never blocked or handled here.
    let sig = unsafe { rustix::process::Signal::from_raw_unchecked(signal) };
    match rustix::process::kill_process(pid, sig) {
        Ok(()) | Err(rustix::io::Errno::SRCH) => Ok(()),
        Err(e) => {
            Err(RuntimeError::io(format!("cannot signal the container's init (pid {})", pid.as_raw_nonzero()), e))
        }
    }
}

/// Waits until `pid` has exited (gone, or a zombie nobody reaped yet).
async fn wait_for_exit(pid: u32, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if !crate::procfs::is_alive(pid) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The slots (containers, warm prespawn slots) and snapshots whose layers sit on the image
/// `fingerprint`, by their directory names.
fn made_from(layout: &Layout, fingerprint: &str) -> Vec<String> {
    let mut users = Vec::new();
    for dir in [layout.containers(), layout.snapshots()] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let record = std::fs::read(entry.path().join("instance.json")).ok();
            let instance = record.and_then(|r| serde_json::from_slice::<Instance>(&r).ok());
            if instance.is_some_and(|i| i.image == fingerprint) {
                users.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    users.sort();
    users
}

/// Runs blocking file work off the async runtime.
/// The names in `dir` (none when it does not exist).
fn dir_names(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().filter_map(|e| e.file_name().into_string().ok()).collect())
        .unwrap_or_default()
}

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
        self.unavailable.clone().or_else(|| self.cgroup_parent().err().map(|e| e.to_string()))
    }

    fn host_rebooted(&self) -> bool {
        self.rebooted
    }

    fn report_progress_to(&self, sink: crate::contract::ProgressSink) {
        let _ = self.progress.0.set(sink);
    }

    async fn create(&self, c: &Container) -> Result<()> {
        self.ensure_available()?;
        let (image, init) = timed("image", self.image_or_pull(&c.container_image, &c.id)).await?;
        let bundle = phase("bundle");
        self.make_bundle(c.id.as_str(), &image, init)?;
        drop(bundle);
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

    async fn stop(&self, c: &Container, force: bool) -> Result<Halt> {
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

    async fn last_words(&self, id: &ContainerId) -> Option<String> {
        self.last_words_of(&self.slot(id)).await
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

    async fn logs(&self, c: &Container, lines: usize) -> Result<ContainerLogs> {
        self.ensure_available()?;
        let slot = self.slot(&c.id);
        let console_log = self.bundle(&slot).console_log();
        let files = [console_log.with_extension("log.1"), console_log];
        let console = blocking(move || Ok(crate::logs::tail(&files, lines))).await?;
        let systemd = self.instance(&slot).is_ok_and(|i| i.init == InitKind::Systemd);
        let state = self.runc.state(&slot).await?;
        let (journal, journal_missing) = match state {
            _ if !systemd => {
                (None, Some("its init is not systemd: what its programs print is on the console".to_owned()))
            }
            Some(s) if s.status == "running" => match crate::logs::journal(self.files.enter()?, s.pid, lines).await {
                Ok(journal) => (Some(journal), None),
                Err(why) => (None, Some(why)),
            },
            Some(s) if s.status == "paused" => (None, Some("it is paused: resume it to read its journal".to_owned())),
            _ => (None, Some("it is not running: its journal is read from the running container".to_owned())),
        };
        Ok(ContainerLogs { console, journal, journal_missing })
    }

    async fn images(&self) -> Result<Vec<Image>> {
        let images = self.images.clone();
        blocking(move || images.list()).await
    }

    async fn catalog(&self) -> Result<Vec<Image>> {
        let Some(server) = &self.config.image_server else { return Ok(Vec::new()) };
        // The image server's lists are megabytes and change daily: read once in a while, and a
        // server that did not answer is not asked again at every listing.
        let mut cached = self.catalog.lock().await;
        if let Some((at, answer)) = cached.as_ref() {
            let fresh = if answer.is_ok() { CATALOG_FRESH } else { CATALOG_RETRY };
            if at.elapsed() < fresh {
                return answer.clone();
            }
        }
        let answer = match crate::ImageServer::new(server)?.catalog().await {
            Ok(offered) => Ok(offered.iter().map(crate::RemoteImage::offered).collect()),
            Err(e) => Err(e),
        };
        *cached = Some((std::time::Instant::now(), answer.clone()));
        answer
    }

    async fn find_offered(&self, alias: &str) -> Result<Image> {
        Ok(self.image_server(alias)?.find(alias).await?.offered())
    }

    async fn pull_image(&self, alias: &str, mut progress: Box<dyn FnMut(WorkProgress) + Send>) -> Result<Image> {
        let server = self.image_server(alias)?;
        // One download at a time: a create needing the same image waits for this one.
        let _one_pull = self.pulls.lock().await;
        let stage = |file: &str| format!("downloading {alias} ({file})");
        server
            .pull(&self.images, alias, |p| {
                progress(WorkProgress { stage: stage(p.file), done: p.done, total: p.total })
            })
            .await
    }

    fn check_build(&self, alias: &str) -> Result<()> {
        crate::debootstrap::check_buildable(alias)
    }

    async fn build_image(
        &self,
        alias: &str,
        mirror: &str,
        mut progress: Box<dyn FnMut(WorkProgress) + Send>,
    ) -> Result<Image> {
        let (images, alias, mirror) = (self.images.clone(), alias.to_owned(), mirror.to_owned());
        blocking(move || {
            let mut step =
                |what: &str| progress(WorkProgress { stage: format!("building {alias}: {what}"), done: 0, total: 0 });
            images.build_debian(&alias, &mirror, &mut step)
        })
        .await
    }

    async fn import_image(&self, alias: &str, tarball: &std::path::Path, description: &str) -> Result<Image> {
        let (images, alias, tarball, description) =
            (self.images.clone(), alias.to_owned(), tarball.to_owned(), description.to_owned());
        blocking(move || images.import_tarball(&alias, &tarball, &description)).await
    }

    async fn tidy(
        &self,
        containers: &std::collections::HashSet<ContainerId>,
        snapshots: &std::collections::HashSet<SnapshotId>,
    ) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        let files = self.files.clone();
        let staging = self.layout.staging();
        if std::fs::read_dir(&staging).is_ok_and(|mut d| d.next().is_some()) {
            blocking(move || files.remove_tree(&staging)).await?;
            removed.push("half-made imports (staging)".to_owned());
        }
        for name in dir_names(&self.layout.containers()) {
            // Warm pool members belong to the pool, which refills and reaps them.
            let Ok(id) = ContainerId::parse(&name) else { continue };
            if !containers.contains(&id) {
                self.destroy(&id).await?;
                removed.push(format!("the files of container {id}, which no record names"));
            }
        }
        for name in dir_names(&self.layout.snapshots()) {
            let Ok(id) = SnapshotId::parse(&name) else { continue };
            if !snapshots.contains(&id) {
                self.delete_snapshot(&id).await?;
                removed.push(format!("the files of snapshot {id}, which no record names"));
            }
        }
        Ok(removed)
    }

    async fn remove_image(&self, alias: &str) -> Result<()> {
        let (images, layout, alias) = (self.images.clone(), self.layout.clone(), alias.to_owned());
        blocking(move || images.remove(&alias, |fingerprint| made_from(&layout, fingerprint))).await
    }

    async fn snapshot(&self, c: &Container, snapshot: &SnapshotId) -> Result<u64> {
        self.ensure_available()?;
        layers::snapshot(self, &self.slot(&c.id), snapshot).await
    }

    async fn restore(&self, c: &Container, snapshot: &SnapshotId) -> Result<()> {
        self.ensure_available()?;
        layers::restore(self, &self.slot(&c.id), snapshot).await
    }

    async fn set_firewall(&self, c: &Container, ruleset: Option<&str>) -> Result<()> {
        self.ensure_available()?;
        let slot = self.slot(&c.id);
        let bundle = self.bundle(&slot);
        if let Some(state) = self.runc.state(&slot).await?
            && matches!(state.status.as_str(), "running" | "paused" | "created")
        {
            firewall::apply(self.files.enter()?, state.pid, ruleset.unwrap_or(hoody_model::firewall::NO_FIREWALL))
                .await?;
        }
        std::fs::create_dir_all(&bundle.dir).map_err(|e| RuntimeError::io("cannot make the container's bundle", e))?;
        firewall::keep(&bundle.firewall(), ruleset)
    }

    async fn make_share(&self, c: &Container, share: &Id, path: &str) -> Result<()> {
        self.ensure_available()?;
        self.make_share_of(c, share, path).await
    }

    async fn remove_share(&self, share: &Id) -> Result<()> {
        self.ensure_available()?;
        self.remove_share_dir(share).await
    }

    async fn share_size(&self, share: &Id) -> Result<u64> {
        self.ensure_available()?;
        self.share_bytes(share).await
    }

    async fn set_mounts(&self, c: &Container, mounts: &[ShareMount]) -> Result<()> {
        self.keep_mounts(c, mounts)
    }

    async fn mounted(&self, c: &Container) -> Result<Vec<String>> {
        self.mounted_paths(c).await
    }

    async fn set_network(&self, c: &Container, on: bool) -> Result<()> {
        self.ensure_available()?;
        let slot = self.slot(&c.id);
        let bundle = self.bundle(&slot);
        let Some(state) = self.runc.state(&slot).await? else { return Ok(()) };
        if !matches!(state.status.as_str(), "running" | "paused") {
            return Ok(());
        }
        match on {
            true if network::attached(&bundle.network_pid()) => Ok(()),
            true => self.attach_network(state.pid, &bundle)?.ready().await,
            false => network::cut(&bundle.network_pid(), state.pid).await,
        }
    }

    async fn delete_snapshot(&self, snapshot: &SnapshotId) -> Result<()> {
        let dir = self.layout.snapshot(snapshot);
        let files = self.files.clone();
        blocking(move || files.remove_tree(&dir)).await
    }

    async fn copy(&self, source: &Container, target: &Container) -> Result<()> {
        self.ensure_available()?;
        layers::copy(self, &self.slot(&source.id), &target.id).await
    }

    async fn export_layer(&self, c: &Container, snapshot: Option<&SnapshotId>, to: &std::path::Path) -> Result<()> {
        self.ensure_available()?;
        layers::export(self, &self.slot(&c.id), snapshot, to).await
    }

    async fn import_layer(&self, c: &Container, from: &std::path::Path) -> Result<()> {
        self.ensure_available()?;
        let (image, init) = self.image_or_pull(&c.container_image, &c.id).await?;
        layers::import(self, &c.id, &image, init, from).await
    }
}
