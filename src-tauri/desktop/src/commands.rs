//! The desktop's engine and what the UI asks of it. The app starts one [`Desktop`]: the same
//! engine as hoodyd, on this machine's container runtime, with the service proxy on loopback,
//! in a [`Fleet`] with the remote endpoints the user added. Every command asks the fleet for
//! the server concerned; it answers with the API's types or a [`CommandError`] carrying the
//! API's code.

use crate::CommandError;
use crate::DesktopEvent;
use crate::local_api::LocalApi;
use crate::relay::Relays;
use crate::remotes::{RemoteEndpoint, Remotes, ServerEntry};
use crate::secrets::{SecretStore, Secrets};
use hoody_engine::fleet::Fleet;
use hoody_engine::server::{HttpInput, ImageFilter, LocalServer};
use hoody_engine::{Engine, EngineConfig, Principal};
use hoody_model::services::Service;
use hoody_model::{
    Container, ContainerCreate, ContainerId, ContainerStatus, ContainerUpdate, ErrorCode, Image, Operation, Project,
    ProjectCreate, ProjectId, Realm, RuntimeInfo, Snapshot, SnapshotCreate, StatusLogEntry, TokenId,
};
use hoody_runtime::{LocalRuntime, RuntimeConfig};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

type Result<T> = std::result::Result<T, CommandError>;

/// One operation of the Hoody API as the UI sends it to the desktop: by its declared name,
/// with its path parameters, query and body as an HTTP request would carry them.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RpcCall {
    /// The server to ask; absent: the one holding the container or project `params.id` names,
    /// else this machine.
    #[serde(default)]
    #[ts(optional)]
    pub server: Option<String>,
    pub op: String,
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub query: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    #[ts(optional, type = "unknown")]
    pub body: Option<serde_json::Value>,
}

/// How long opening a service of a stopped container waits for it to run.
const START_WAIT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Desktop {
    engine: Engine,
    /// This machine's engine (for the desktop user, who owns it) and the remote endpoints.
    fleet: Arc<Fleet>,
    proxy_port: u16,
    remotes: Arc<Remotes>,
    secrets: Secrets,
    /// This machine's REST API, once served.
    api: Arc<std::sync::OnceLock<LocalApi>>,
    data_dir: std::path::PathBuf,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop").field("proxy_port", &self.proxy_port).finish()
    }
}

impl Desktop {
    /// Starts the engine on `data_dir` (reconciling with the runtime) and the service proxy on
    /// `proxy` (127.0.0.1:8701 normally; a free port when that one is taken).
    pub async fn start(data_dir: &Path, proxy: SocketAddr) -> std::result::Result<Self, String> {
        let secrets = Secrets::new("hoody-desktop");
        let mut config = EngineConfig::new(data_dir.to_owned(), "local");
        config.sealing_key = crate::sealing::sealing_key(data_dir, &secrets).await;
        let runtime = LocalRuntime::new(RuntimeConfig::new(data_dir));
        if let Some(reason) = hoody_runtime::ContainerRuntime::unavailable_reason(&runtime) {
            tracing::warn!("containers cannot run here: {reason}");
        }
        let engine = Engine::start(config, Arc::new(runtime))
            .await
            .map_err(|e| format!("the engine did not start on {}: {e}", data_dir.display()))?;
        let listener = crate::listen::bind_or_free_port(proxy, "the service proxy")
            .await
            .map_err(|e| format!("the service proxy cannot listen: {e}"))?;
        let proxy_port = listener.local_addr().map_err(|e| format!("the service proxy has no address: {e}"))?.port();
        let principal = Principal::unrestricted(TokenId::generate());
        let home = Arc::new(LocalServer::new(engine.clone(), principal));
        let fleet = Arc::new(Fleet::new(engine.server_name(), home).with_cache(engine.store().clone()));
        fleet.follow_engine(engine.server_name(), &engine);
        let relays = Arc::new(Relays::new(proxy_port));
        let remotes = Remotes::load(data_dir.join("remotes.json"), secrets.clone(), relays.clone(), fleet.clone())
            .await
            .map_err(|e| format!("the remote servers did not load: {e}"))?;
        hoody_api::services::serve_services(&engine, listener, std::future::pending(), Some(relays))
            .map_err(|e| format!("the service proxy did not start: {e}"))?;
        Ok(Self {
            engine,
            fleet,
            proxy_port,
            remotes: Arc::new(remotes),
            secrets,
            api: Arc::default(),
            data_dir: data_dir.to_owned(),
        })
    }

    /// Serves this machine's engine over the REST API on `addr` (127.0.0.1:8700 normally; a
    /// free port when taken), its token in the OS keyring. Answers the API's URL.
    pub async fn serve_api(&self, addr: SocketAddr) -> Result<String> {
        if let Some(api) = self.api.get() {
            return Ok(api.url.clone());
        }
        let api = LocalApi::serve(&self.engine, &self.data_dir, addr, &self.secrets).await?;
        let url = api.url.clone();
        let _ = self.api.set(api);
        Ok(url)
    }

    /// The token of this machine's REST API (from the keyring), to use it from a CLI or SDK.
    pub async fn local_api_token(&self) -> Result<String> {
        match self.api.get() {
            Some(api) => api.token(&self.secrets).await,
            None => Err(CommandError::new(ErrorCode::NotFound, "this machine's API is not served")),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn proxy_port(&self) -> u16 {
        self.proxy_port
    }

    /// Changes of containers on every server, and requests to read everything again.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<DesktopEvent> {
        self.fleet.subscribe()
    }

    /// This machine and the remote endpoints, with what went wrong reading each.
    pub async fn servers(&self) -> Result<Vec<ServerEntry>> {
        let this = self.engine.servers().await?.into_iter().next();
        let local = ServerEntry {
            name: self.engine.server_name().to_owned(),
            url: self.api.get().map(|api| api.url.clone()),
            remote: false,
            problem: this.and_then(|s| s.runtime_unavailable_reason),
            health: self.fleet.health(self.engine.server_name()),
        };
        Ok(std::iter::once(local).chain(self.remotes.entries().await).collect())
    }

    /// Adds a remote endpoint once it accepts the token (kept in the OS keyring).
    pub async fn add_remote(&self, endpoint: RemoteEndpoint, token: &str) -> Result<SecretStore> {
        self.remotes.add(&endpoint.name, &endpoint.url, token).await
    }

    pub async fn remove_remote(&self, name: &str) -> Result<()> {
        self.remotes.remove(name).await
    }

    /// Any declared operation on the server it concerns (see [`RpcCall`]). Answers `data` as
    /// the REST API would.
    pub async fn rpc(&self, call: RpcCall) -> Result<serde_json::Value> {
        let input = HttpInput {
            params: call.params.into_iter().collect(),
            query: call.query.into_iter().collect(),
            body: call.body.unwrap_or(serde_json::Value::Null),
        };
        Ok(self.fleet.call(call.server.as_deref(), &call.op, input).await?)
    }

    /// Every container on every server, with runtime details; a server that does not answer
    /// (within the fleet's time limit) gives its last known containers, and the servers list
    /// says why they are not fresh.
    pub async fn containers(&self) -> Result<Vec<Container>> {
        Ok(self.fleet.all_containers().await.into_iter().flat_map(|list| list.containers).collect())
    }

    /// Every server's last known containers, asking none (the grid's first picture at start).
    pub async fn known_containers(&self) -> Result<Vec<Container>> {
        Ok(self.fleet.known_containers().await.into_iter().flat_map(|list| list.containers).collect())
    }

    pub async fn container(&self, id: &str) -> Result<Container> {
        Ok(self.fleet.container(id, true).await?.1)
    }

    /// The projects of one server (`None`: this machine), or of every server with `all`.
    pub async fn projects(&self, server: Option<&str>, all: bool) -> Result<Vec<Project>> {
        if all {
            return Ok(self.fleet.all_projects().await);
        }
        Ok(self.fleet.projects_of(server).await?)
    }

    pub async fn create_project(&self, server: Option<&str>, req: ProjectCreate) -> Result<Project> {
        let (name, server) = self.fleet.named(server)?;
        let project = server.create_project((), req).await?;
        self.fleet.place(project.id.as_str(), &name);
        Ok(project)
    }

    /// The realms of one server (this machine when `None`).
    pub async fn realms(&self, server: Option<&str>) -> Result<Vec<Realm>> {
        Ok(self.fleet.named(server)?.1.realms((), ()).await?)
    }

    pub async fn images(&self, server: Option<&str>) -> Result<Vec<Image>> {
        Ok(self.fleet.named(server)?.1.images(ImageFilter::default(), ()).await?.items)
    }

    pub async fn create_container(
        &self,
        server: Option<&str>,
        project_id: &str,
        req: ContainerCreate,
    ) -> Result<Container> {
        let (name, server) = self.fleet.named(server)?;
        let mut req = req;
        if req.server_id.is_none() {
            // The server it goes to, by the id that server gives itself (the API requires one).
            req.server_id = server.servers((), ()).await?.first().map(|s| s.id.as_str().to_owned());
        }
        let created = server.create_container(ProjectId::parse(project_id)?, (), req).await?;
        self.fleet.place(created.id.as_str(), &name);
        Ok(created)
    }

    pub async fn operate(&self, id: &str, op: Operation) -> Result<Container> {
        Ok(self.fleet.holder(id).1.operate(ContainerId::parse(id)?, op, (), ()).await?)
    }

    pub async fn delete_container(&self, id: &str) -> Result<Container> {
        Ok(self.fleet.holder(id).1.delete_container(ContainerId::parse(id)?, (), ()).await?)
    }

    pub async fn snapshot(&self, id: &str, req: SnapshotCreate) -> Result<Snapshot> {
        Ok(self.fleet.holder(id).1.create_snapshot(ContainerId::parse(id)?, (), req).await?)
    }

    pub async fn update_container(&self, id: &str, req: ContainerUpdate) -> Result<Container> {
        Ok(self.fleet.holder(id).1.update_container(ContainerId::parse(id)?, (), req).await?)
    }

    pub async fn snapshots(&self, id: &str) -> Result<Vec<Snapshot>> {
        Ok(self.fleet.holder(id).1.list_snapshots(ContainerId::parse(id)?, (), ()).await?.items)
    }

    pub async fn restore_snapshot(&self, id: &str, name: &str) -> Result<Container> {
        Ok(self.fleet.holder(id).1.restore_snapshot(ContainerId::parse(id)?, name.to_owned(), (), ()).await?)
    }

    pub async fn delete_snapshot(&self, id: &str, name: &str) -> Result<Snapshot> {
        Ok(self.fleet.holder(id).1.delete_snapshot(ContainerId::parse(id)?, name.to_owned(), (), ()).await?)
    }

    pub async fn status_logs(&self, id: &str) -> Result<Vec<StatusLogEntry>> {
        Ok(self.fleet.holder(id).1.status_logs(ContainerId::parse(id)?, (), ()).await?)
    }

    pub async fn stats(&self, id: &str) -> Result<RuntimeInfo> {
        Ok(self.fleet.holder(id).1.container_stats(ContainerId::parse(id)?, (), ()).await?)
    }

    pub async fn copy(&self, id: &str) -> Result<Container> {
        let (name, server) = self.fleet.holder(id);
        let copy = server.copy_container(ContainerId::parse(id)?, (), Default::default()).await?;
        self.fleet.place(copy.id.as_str(), &name);
        Ok(copy)
    }

    /// The URL of a service of a container. A stopped container is started (a paused one
    /// resumed) first when `wake` is set (the caller asked the user), and the URL is given once
    /// it runs.
    pub async fn service_url(&self, id: &ContainerId, service: Service, wake: bool) -> Result<String> {
        let id = id.as_str();
        let mut c = self.status_of(id).await?;
        if let Some(op) = waking(c.status) {
            if !wake {
                return Err(CommandError::new(
                    ErrorCode::WrongState,
                    format!("{} is {}; {} it to open its {}", c.name, c.status, op.as_str(), service.slug()),
                ));
            }
            c = self.operate(id, op).await?;
        }
        let deadline = tokio::time::Instant::now() + START_WAIT;
        while matches!(c.status, ContainerStatus::Creating | ContainerStatus::Claiming | ContainerStatus::Copying)
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
            c = self.status_of(id).await?;
        }
        if c.status != ContainerStatus::Running {
            return Err(CommandError::new(
                ErrorCode::WrongState,
                format!("{} is {}; its {} opens when it runs", c.name, c.status, service.slug()),
            ));
        }
        // Its URLs come with its runtime details (a remote's through this machine's proxy).
        let c = self.container(id).await?;
        c.urls.get(&service.slug()).cloned().ok_or_else(|| {
            CommandError::new(
                ErrorCode::NotFound,
                format!("{} on {} offers no {}", c.name, c.server_name, service.slug()),
            )
        })
    }

    /// What opening one of a container's services would first do to it (start a stopped one,
    /// resume a paused one), so the user can be asked; None when it can open as it is.
    pub async fn waking_needed(&self, id: &ContainerId) -> Result<Option<Operation>> {
        Ok(waking(self.status_of(id.as_str()).await?.status))
    }

    /// A container without its runtime details (which cost a look at its processes): enough to
    /// know its state.
    async fn status_of(&self, id: &str) -> Result<Container> {
        Ok(self.fleet.container(id, false).await?.1)
    }
}

/// What wakes a container in `status` so its services open: start, resume, or nothing.
fn waking(status: ContainerStatus) -> Option<Operation> {
    match status {
        ContainerStatus::Stopped => Some(Operation::Start),
        ContainerStatus::Paused => Some(Operation::Resume),
        _ => None,
    }
}

/// Opens a URL in the user's default browser (`xdg-open` on Linux).
pub fn open_url(url: &str) -> Result<()> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(CommandError::new(ErrorCode::InvalidField, format!("only web addresses are opened, not {url:?}")));
    }
    open::that_detached(url)
        .map_err(|e| CommandError::new(ErrorCode::Internal, format!("the browser did not open {url}: {e}")))
}
