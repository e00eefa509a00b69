//! The orchestration core. HTTP stays out: the api crate turns requests into calls on
//! [`Engine`], and the engine never sees a status code.
//!
//! This crate holds the local server's bookkeeping (projects, containers, realms, tokens, the
//! status log, the event bus) and drives a [`ContainerRuntime`] for everything that touches a
//! real container. Until a runtime is plugged in, [`UnavailableRuntime`] answers every
//! operation with a clear "runtime unavailable" error.

mod auth;
pub mod backups;
mod commands;
mod containers;
mod copy;
pub mod data_lock;
mod error;
mod event_log;
mod events;
mod exits;
pub mod firewall;
pub mod fleet;
mod images;
mod journal;
mod lifecycle;
mod locks;
mod network;
pub mod private;
mod project_permissions;
mod projects;
pub mod proxy_gates;
mod proxy_hooks;
mod realms;
mod reconcile;
pub mod records;
pub mod recover;
pub mod sealed;
pub mod server;
mod servers;

mod snapshots;
mod space;
mod storage_shares;
mod tokens;
mod transfers;

pub use auth::{Principal, Scope, issue_token};
pub use error::{EngineError, Result};
pub use hoody_runtime::{ContainerRuntime, RuntimeError, RuntimeState, UnavailableRuntime};
pub use journal::{Followed, Numbered};
pub use transfers::ByteStream;

use chrono::{DateTime, Utc};
use hoody_model::ContainerId;
use hoody_store::{ServerRecord, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Settings of the local server.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    /// The server's name in service URLs: `{project}-{container}-{service}-{n}.{server_name}.localhost`.
    pub server_name: String,
    /// The key secrets are sealed with in the database (see [`sealed`]); None: the data
    /// directory's key file, made when missing.
    pub sealing_key: Option<sealed::SealingKey>,
}

impl EngineConfig {
    /// A server named `server_name` on `data_dir`, sealing with the data directory's key file.
    pub fn new(data_dir: impl Into<PathBuf>, server_name: impl Into<String>) -> Self {
        Self { data_dir: data_dir.into(), server_name: server_name.into(), sealing_key: None }
    }
}

/// What the service proxy runs for a container (its terminal sessions, displays…).
#[async_trait::async_trait]
pub trait KitReport: Send + Sync + 'static {
    async fn services(&self, container: &ContainerId, init_pid: u32) -> Vec<hoody_model::KitServiceInfo>;
    /// The container no longer runs: what its services kept on the host can go.
    async fn container_ended(&self, container: &ContainerId);
}

/// The engine; cheap to clone (all clones share one state).
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    runtime: Arc<dyn ContainerRuntime>,
    /// Container events as they go out, the latest kept for clients that come back.
    journal: Arc<journal::Journal>,
    server: ServerRecord,
    data_dir: PathBuf,
    locks: locks::ContainerLocks,
    tasks: tokio_util_tasks::Tasks,
    sweeper: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
    /// The port of the service proxy, once it listens (service URLs name it).
    proxy_port: std::sync::OnceLock<u16>,
    kit: std::sync::OnceLock<Arc<dyn KitReport>>,
    /// One task per running container, waiting for its init to exit (exits.rs).
    exit_watchers: std::sync::Mutex<std::collections::HashMap<ContainerId, tokio::task::AbortHandle>>,
    /// Image downloads under way or failed (images.rs).
    image_jobs: images::ImageJobs,
    /// The data directory's disk: its room and reserve (space.rs).
    space: space::Space,
    /// The database's contents as files, for `hoodyd recover` (records.rs).
    records: records::Records,
    /// The writer of the event log (event_log.rs).
    event_log: event_log::EventLog,
    /// Containers on their way to or from other servers (transfers.rs).
    transfers: transfers::Transfers,
    /// Seals the secrets the database keeps (sealed.rs).
    sealer: sealed::Sealer,
    /// Held while the engine lives: one engine per data directory.
    _lock: data_lock::DataDirLock,
}

/// How often expired snapshots (and transfers) are looked for.
const EXPIRY_SWEEP: std::time::Duration = std::time::Duration::from_secs(60);

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("server", &self.inner.server)
            .field("runtime", &self.inner.runtime.name())
            .finish()
    }
}

impl Engine {
    /// Opens the store in the data directory, registers this machine as the local server and
    /// reconciles the store with the runtime.
    pub async fn start(config: EngineConfig, runtime: Arc<dyn ContainerRuntime>) -> Result<Self> {
        private::create_dir(&config.data_dir)
            .map_err(|e| EngineError::Runtime(format!("cannot create {}: {e}", config.data_dir.display())))?;
        let lock = data_lock::DataDirLock::take(&config.data_dir)?;
        private::repair(&config.data_dir);
        let sealing_key = match config.sealing_key.clone() {
            Some(key) => key,
            None => sealed::SealingKey::from_key_file(&config.data_dir)
                .map_err(|e| EngineError::Runtime(format!("cannot read the key secrets are sealed with: {e}")))?,
        };
        let space = space::Space::new(&config.data_dir);
        // On a full disk the reserve makes room for opening the database and for the records
        // of the start: the engine starts, reads and deletes work, writes answer 507.
        space.make_room();
        let full = |e: EngineError| space.explain_error(e);
        let records = records::Records::new(&config.data_dir);
        let db = config.data_dir.join(hoody_store::DB_FILE);
        if !db.exists() && records.exist() {
            let what =
                format!("{} is missing, but the data directory holds the records of its containers", db.display());
            return Err(EngineError::NeedsRecovery(recover::ways_back(&config.data_dir, &what)));
        }
        let store = match Store::open(&config.data_dir).await {
            Ok(store) => store,
            Err(e) if e.is_damaged() => {
                let what = format!("{} is damaged ({e})", db.display());
                return Err(EngineError::NeedsRecovery(recover::ways_back(&config.data_dir, &what)));
            }
            Err(e) => return Err(full(e.into())),
        };
        let server = store.local_server(&config.server_name, now()).await.map_err(|e| full(e.into()))?;
        if !records.exist() {
            records::write_all(&store, &records).await?;
        }
        records.server(&server);
        let event_log = event_log::EventLog::start(store.clone());
        let transfers = transfers::Transfers::new(config.data_dir.join("transfers"));
        let engine = Self {
            inner: Arc::new(Inner {
                store,
                runtime,
                journal: Arc::new(journal::Journal::new()),
                server,
                data_dir: config.data_dir,
                locks: locks::ContainerLocks::default(),
                tasks: tokio_util_tasks::Tasks::default(),
                sweeper: std::sync::Mutex::new(None),
                proxy_port: std::sync::OnceLock::new(),
                kit: std::sync::OnceLock::new(),
                exit_watchers: std::sync::Mutex::default(),
                image_jobs: images::ImageJobs::default(),
                space,
                records,
                event_log,
                transfers,
                sealer: sealed::Sealer::new(&sealing_key),
                _lock: lock,
            }),
        };
        engine.forward_progress();
        engine.seal_secrets_kept_plain().await?;
        engine.reconcile().await?;
        if let Err(e) = engine.tidy().await {
            tracing::warn!("cannot tidy what interrupted work left: {e}");
        }
        engine.watch_running().await?;
        engine.spawn_housekeeping();
        engine.spawn_refill();
        engine.inner.space.replenish();
        Ok(engine)
    }

    /// `error` told with what the engine knows of its cause: a full disk names the data
    /// directory, its free space and what is missing.
    pub fn explain(&self, error: EngineError) -> EngineError {
        self.inner.space.explain_error(error)
    }

    /// Tells the engine where the service proxy listens, so containers carry their `urls`,
    /// and what runs behind it, so their `runtime_info` lists their kit services.
    pub fn publish_services_at(&self, proxy_port: u16, kit: Arc<dyn KitReport>) {
        let _ = self.inner.proxy_port.set(proxy_port);
        let _ = self.inner.kit.set(kit);
    }

    /// Refuses `work` ("copying a container") when there is no container runtime, saying why.
    pub(crate) fn need_runtime(&self, work: &str) -> Result<()> {
        match self.inner.runtime.unavailable_reason() {
            Some(reason) => {
                Err(EngineError::RuntimeUnavailable(format!("{work} needs the container runtime: {reason}")))
            }
            None => Ok(()),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Waits until the background work started so far (container creation) has finished and
    /// the event log holds everything that happened until then.
    pub async fn settle(&self) {
        self.inner.tasks.wait().await;
        self.inner.event_log.flush().await;
    }

    /// The engine's chores, now and then on their clocks: expired snapshots deleted every
    /// [`EXPIRY_SWEEP`], a backup of the database every [`backups::EVERY`].
    fn spawn_housekeeping(&self) {
        let engine = self.clone();
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(EXPIRY_SWEEP);
            let mut last_backup: Option<std::time::Instant> = None;
            loop {
                every.tick().await;
                if let Err(e) = engine.expire_snapshots().await {
                    tracing::warn!("snapshot expiry: {e}");
                }
                // Exports and imports a copy that died midway left behind.
                engine.inner.transfers.expire();
                if last_backup.is_none_or(|at| at.elapsed() >= backups::EVERY) {
                    last_backup = Some(std::time::Instant::now());
                    match engine.backup().await {
                        Ok(path) => tracing::debug!("database backed up to {}", path.display()),
                        Err(e) => tracing::warn!("no backup of the database this time: {e}"),
                    }
                }
            }
        });
        *self.inner.sweeper.lock().expect("sweeper lock") = Some(sweeper.abort_handle());
    }

    /// Waits for background work to finish, then closes the store.
    pub async fn shutdown(&self) {
        if let Some(sweeper) = self.inner.sweeper.lock().expect("sweeper lock").take() {
            sweeper.abort();
        }
        self.settle().await;
        self.inner.store.close().await;
    }
}

/// The engine's clock.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Background tasks the engine must finish before it closes the store.
mod tokio_util_tasks {
    use std::sync::Mutex;
    use tokio::task::JoinSet;

    #[derive(Default)]
    pub struct Tasks {
        set: Mutex<JoinSet<()>>,
    }

    impl Tasks {
        pub fn spawn(&self, fut: impl std::future::Future<Output = ()> + Send + 'static) {
            let mut set = self.set.lock().expect("task set lock");
            // Reap finished tasks so the set does not grow without bound.
            while set.try_join_next().is_some() {}
            set.spawn(fut);
        }

        pub async fn wait(&self) {
            let mut set = std::mem::take(&mut *self.set.lock().expect("task set lock"));
            while set.join_next().await.is_some() {}
        }
    }
}
