//! The desktop's engine and what the UI asks of it. The app starts one [`Desktop`]: the same
//! engine as hoodyd, on this machine's container runtime, with the service proxy on loopback.
//! Every method answers with the API's types or a [`CommandError`] carrying the API's code.

use crate::CommandError;
use crate::events::{self, DesktopEvent};
use crate::local_api::LocalApi;
use crate::relay::Relays;
use crate::remotes::{RemoteEndpoint, Remotes, ServerEntry, remote_error};
use crate::secrets::{SecretStore, Secrets};
use hoody_client::{ClientError, HoodyClient};
use hoody_engine::{Engine, EngineConfig, Principal, Scope};
use hoody_model::page::{ContainerListQuery, PageRequest};
use hoody_model::services::{Service, ServiceAddress};
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

/// How long opening a service of a stopped container waits for it to run.
const START_WAIT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Desktop {
    engine: Engine,
    /// The desktop user owns the local engine.
    principal: Principal,
    proxy_port: u16,
    remotes: Arc<Remotes>,
    events: tokio::sync::broadcast::Sender<DesktopEvent>,
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
        let config = EngineConfig { data_dir: data_dir.to_owned(), server_name: "local".into() };
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
        let principal = Principal { token_id: TokenId::generate(), scope: Scope::All };
        let (events, _) = tokio::sync::broadcast::channel(1024);
        events::forward_local(engine.subscribe(), events.clone());
        let secrets = Secrets::new("hoody-desktop");
        let relays = Arc::new(Relays::new(proxy_port));
        let remotes = Remotes::load(data_dir.join("remotes.json"), secrets.clone(), events.clone(), relays.clone())
            .await
            .map_err(|e| format!("the remote servers did not load: {e}"))?;
        hoody_engine::services::serve_services(&engine, listener, std::future::pending(), Some(relays))
            .map_err(|e| format!("the service proxy did not start: {e}"))?;
        Ok(Self {
            engine,
            principal,
            proxy_port,
            remotes: Arc::new(remotes),
            events,
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
        self.events.subscribe()
    }

    /// This machine and the remote endpoints, with what went wrong reading each.
    pub async fn servers(&self) -> Result<Vec<ServerEntry>> {
        let this = self.engine.servers().await?.into_iter().next();
        let local = ServerEntry {
            name: self.engine.server_name().to_owned(),
            url: self.api.get().map(|api| api.url.clone()),
            remote: false,
            problem: this.and_then(|s| s.runtime_unavailable_reason),
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

    /// The remote holding container `id`, when it is not this machine's.
    async fn remote(&self, id: &str) -> Option<(String, HoodyClient)> {
        self.remotes.client_for(id).await
    }

    /// Every container on every server, with runtime details.
    pub async fn containers(&self) -> Result<Vec<Container>> {
        let mut all = self.local_containers().await?;
        all.extend(self.remotes.containers().await);
        Ok(all)
    }

    async fn local_containers(&self) -> Result<Vec<Container>> {
        let mut all = Vec::new();
        for page in 1.. {
            let q = ContainerListQuery {
                page: PageRequest { page, limit: hoody_model::page::MAX_LIMIT },
                with_runtime: true,
                ..Default::default()
            };
            let (batch, pagination) = self.engine.list_containers(&self.principal, &q).await?;
            all.extend(batch);
            if page >= pagination.total_pages {
                break;
            }
        }
        Ok(all)
    }

    pub async fn container(&self, id: &str) -> Result<Container> {
        if let Some((server, client)) = self.remote(id).await {
            return self.remote_answer(&server, client.container(id, true).await);
        }
        Ok(self.engine.container_with_runtime(&self.principal, &ContainerId::parse(id)?).await?)
    }

    /// The projects of one server (`None` or this machine's name: this machine), or of every
    /// server with `all`.
    pub async fn projects(&self, server: Option<&str>, all: bool) -> Result<Vec<Project>> {
        if let Some((name, client)) = self.remote_named(server).await? {
            return client.all_projects().await.map_err(|e| remote_error(name, e));
        }
        let mut projects = Vec::new();
        for page in 1.. {
            let request = PageRequest { page, limit: hoody_model::page::MAX_LIMIT };
            let (batch, pagination) = self.engine.list_projects(&self.principal, request).await?;
            projects.extend(batch);
            if page >= pagination.total_pages {
                break;
            }
        }
        if all {
            projects.extend(self.remotes.projects().await);
        }
        Ok(projects)
    }

    pub async fn create_project(&self, server: Option<&str>, req: ProjectCreate) -> Result<Project> {
        if let Some((name, client)) = self.remote_named(server).await? {
            return client.create_project(&req).await.map_err(|e| remote_error(name, e));
        }
        Ok(self.engine.create_project(&self.principal, req).await?)
    }

    /// The realms of one server (this machine when `None`).
    pub async fn realms(&self, server: Option<&str>) -> Result<Vec<Realm>> {
        if let Some((name, client)) = self.remote_named(server).await? {
            return client.realms().await.map_err(|e| remote_error(name, e));
        }
        Ok(self.engine.list_realms(&self.principal).await?)
    }

    pub async fn images(&self, server: Option<&str>) -> Result<Vec<Image>> {
        if let Some((name, client)) = self.remote_named(server).await? {
            return client.images().await.map_err(|e| remote_error(name, e));
        }
        Ok(self.engine.images(None).await?)
    }

    pub async fn create_container(
        &self,
        server: Option<&str>,
        project_id: &str,
        req: ContainerCreate,
    ) -> Result<Container> {
        if let Some((name, client)) = self.remote_named(server).await? {
            let created = client.create_container(project_id, &req).await.map_err(|e| remote_error(name, e))?;
            self.remotes.remember(created.id.as_str(), name);
            return Ok(self.remotes.localize(name, created));
        }
        Ok(self.engine.create_container(&self.principal, &ProjectId::parse(project_id)?, req).await?)
    }

    /// A named remote server and its client; None for this machine (no name, or its own).
    async fn remote_named<'a>(&self, server: Option<&'a str>) -> Result<Option<(&'a str, HoodyClient)>> {
        match server {
            None => Ok(None),
            Some(name) if name == self.engine.server_name() => Ok(None),
            Some(name) => match self.remotes.client_named(name).await {
                Some(client) => client.map(|c| Some((name, c))),
                None => Err(CommandError::new(ErrorCode::NotFound, format!("there is no server called {name:?}"))),
            },
        }
    }

    pub async fn operate(&self, id: &str, op: Operation) -> Result<Container> {
        if let Some((server, client)) = self.remote(id).await {
            return self.remote_answer(&server, client.operate(id, op).await);
        }
        Ok(self.engine.operate(&self.principal, &ContainerId::parse(id)?, op).await?)
    }

    pub async fn delete_container(&self, id: &str) -> Result<Container> {
        if let Some((server, client)) = self.remote(id).await {
            return self.remote_answer(&server, client.delete_container(id).await);
        }
        Ok(self.engine.delete_container(&self.principal, &ContainerId::parse(id)?).await?)
    }

    pub async fn snapshot(&self, id: &str, req: SnapshotCreate) -> Result<Snapshot> {
        if let Some((server, client)) = self.remote(id).await {
            return client.create_snapshot(id, &req).await.map_err(|e| remote_error(&server, e));
        }
        Ok(self.engine.create_snapshot(&self.principal, &ContainerId::parse(id)?, req).await?)
    }

    pub async fn update_container(&self, id: &str, req: ContainerUpdate) -> Result<Container> {
        if let Some((server, client)) = self.remote(id).await {
            return self.remote_answer(&server, client.update_container(id, &req).await);
        }
        Ok(self.engine.update_container(&self.principal, &ContainerId::parse(id)?, req).await?)
    }

    pub async fn snapshots(&self, id: &str) -> Result<Vec<Snapshot>> {
        if let Some((server, client)) = self.remote(id).await {
            return client.snapshots(id).await.map_err(|e| remote_error(&server, e));
        }
        Ok(self.engine.snapshots(&self.principal, &ContainerId::parse(id)?).await?)
    }

    pub async fn restore_snapshot(&self, id: &str, name: &str) -> Result<Container> {
        if let Some((server, client)) = self.remote(id).await {
            return self.remote_answer(&server, client.restore_snapshot(id, name).await);
        }
        Ok(self.engine.restore_snapshot(&self.principal, &ContainerId::parse(id)?, name).await?)
    }

    pub async fn delete_snapshot(&self, id: &str, name: &str) -> Result<Snapshot> {
        if let Some((server, client)) = self.remote(id).await {
            return client.delete_snapshot(id, name).await.map_err(|e| remote_error(&server, e));
        }
        Ok(self.engine.delete_snapshot(&self.principal, &ContainerId::parse(id)?, name).await?)
    }

    pub async fn status_logs(&self, id: &str) -> Result<Vec<StatusLogEntry>> {
        if let Some((server, client)) = self.remote(id).await {
            return client.status_logs(id).await.map_err(|e| remote_error(&server, e));
        }
        Ok(self.engine.status_logs(&self.principal, &ContainerId::parse(id)?).await?)
    }

    pub async fn stats(&self, id: &str) -> Result<RuntimeInfo> {
        if let Some((server, client)) = self.remote(id).await {
            return client.stats(id).await.map_err(|e| remote_error(&server, e));
        }
        Ok(self.engine.stats(&self.principal, &ContainerId::parse(id)?).await?)
    }

    pub async fn copy(&self, id: &str) -> Result<Container> {
        if let Some((server, client)) = self.remote(id).await {
            let copy = self.remote_answer(&server, client.copy_container(id).await)?;
            self.remotes.remember(copy.id.as_str(), &server);
            return Ok(copy);
        }
        Ok(self.engine.copy_container(&self.principal, &ContainerId::parse(id)?).await?)
    }

    /// The URL of a service of a container. A stopped container is started first when
    /// `start_if_stopped` is set (the caller asked the user), and the URL is given once it runs.
    pub async fn service_url(&self, id: &ContainerId, service: Service, start_if_stopped: bool) -> Result<String> {
        let id = id.as_str();
        let mut c = self.status_of(id).await?;
        if c.status == ContainerStatus::Stopped {
            if !start_if_stopped {
                return Err(CommandError::new(
                    ErrorCode::WrongState,
                    format!("{} is stopped; start it to open its {}", c.name, service.slug()),
                ));
            }
            c = self.operate(id, Operation::Start).await?;
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
        if self.remote(id).await.is_some() {
            // A remote's URLs are in its answer with runtime details (through our proxy).
            let c = self.container(id).await?;
            return c.urls.get(&service.slug()).cloned().ok_or_else(|| {
                CommandError::new(
                    ErrorCode::NotFound,
                    format!("{} on {} offers no {}", c.name, c.server_name, service.slug()),
                )
            });
        }
        let address = ServiceAddress {
            project_id: c.project_id,
            container_id: c.id,
            service,
            server_name: self.engine.server_name().to_owned(),
        };
        Ok(address.url(self.proxy_port))
    }

    /// Whether a container is stopped (so opening one of its services means starting it).
    pub async fn is_stopped(&self, id: &ContainerId) -> Result<bool> {
        Ok(self.status_of(id.as_str()).await?.status == ContainerStatus::Stopped)
    }

    /// A remote's answer as the grid shows it (under its name here, its URLs through our
    /// proxy), or its refusal.
    fn remote_answer(&self, server: &str, answer: std::result::Result<Container, ClientError>) -> Result<Container> {
        answer.map(|c| self.remotes.localize(server, c)).map_err(|e| remote_error(server, e))
    }

    /// A container without its runtime details (which cost a look at its processes): enough to
    /// know its state.
    async fn status_of(&self, id: &str) -> Result<Container> {
        if let Some((server, client)) = self.remote(id).await {
            return self.remote_answer(&server, client.container(id, false).await);
        }
        Ok(self.engine.container(&self.principal, &ContainerId::parse(id)?).await?)
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
