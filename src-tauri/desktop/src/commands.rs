//! The desktop's engine and what the UI asks of it. The app starts one [`Desktop`]: the same
//! engine as hoodyd, on this machine's container runtime, with the service proxy on loopback.
//! Every method answers with the API's types or a [`CommandError`] carrying the API's code.

use crate::CommandError;
use hoody_engine::{Engine, EngineConfig, Principal, Scope};
use hoody_model::page::{ContainerListQuery, PageRequest};
use hoody_model::services::{Service, ServiceAddress};
use hoody_model::{
    Container, ContainerCreate, ContainerEvent, ContainerId, ContainerStatus, ContainerUpdate, ErrorCode, Image,
    Operation, Project, ProjectCreate, ProjectId, RuntimeInfo, Snapshot, SnapshotCreate, StatusLogEntry, TokenId,
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
        let listener = match tokio::net::TcpListener::bind(proxy).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!("{proxy} is taken ({e}); the service proxy takes a free port");
                tokio::net::TcpListener::bind(SocketAddr::new(proxy.ip(), 0)).await.map_err(|e| e.to_string())?
            }
        };
        let proxy_port = hoody_engine::services::serve_services(&engine, listener, std::future::pending())
            .map_err(|e| format!("the service proxy did not start: {e}"))?;
        let principal = Principal { token_id: TokenId::generate(), scope: Scope::All };
        Ok(Self { engine, principal, proxy_port })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn proxy_port(&self) -> u16 {
        self.proxy_port
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ContainerEvent> {
        self.engine.subscribe()
    }

    /// Every container, with runtime details.
    pub async fn containers(&self) -> Result<Vec<Container>> {
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
        Ok(self.engine.container_with_runtime(&self.principal, &ContainerId::parse(id)?).await?)
    }

    pub async fn projects(&self) -> Result<Vec<Project>> {
        let mut all = Vec::new();
        for page in 1.. {
            let request = PageRequest { page, limit: hoody_model::page::MAX_LIMIT };
            let (batch, pagination) = self.engine.list_projects(&self.principal, request).await?;
            all.extend(batch);
            if page >= pagination.total_pages {
                break;
            }
        }
        Ok(all)
    }

    pub async fn create_project(&self, req: ProjectCreate) -> Result<Project> {
        Ok(self.engine.create_project(&self.principal, req).await?)
    }

    pub async fn images(&self) -> Result<Vec<Image>> {
        Ok(self.engine.images(None).await?)
    }

    pub async fn create_container(&self, project_id: &str, req: ContainerCreate) -> Result<Container> {
        Ok(self.engine.create_container(&self.principal, &ProjectId::parse(project_id)?, req).await?)
    }

    pub async fn operate(&self, id: &str, op: Operation) -> Result<Container> {
        Ok(self.engine.operate(&self.principal, &ContainerId::parse(id)?, op).await?)
    }

    pub async fn delete_container(&self, id: &str) -> Result<Container> {
        Ok(self.engine.delete_container(&self.principal, &ContainerId::parse(id)?).await?)
    }

    pub async fn snapshot(&self, id: &str, req: SnapshotCreate) -> Result<Snapshot> {
        Ok(self.engine.create_snapshot(&self.principal, &ContainerId::parse(id)?, req).await?)
    }

    pub async fn update_container(&self, id: &str, req: ContainerUpdate) -> Result<Container> {
        Ok(self.engine.update_container(&self.principal, &ContainerId::parse(id)?, req).await?)
    }

    pub async fn snapshots(&self, id: &str) -> Result<Vec<Snapshot>> {
        Ok(self.engine.snapshots(&self.principal, &ContainerId::parse(id)?).await?)
    }

    pub async fn restore_snapshot(&self, id: &str, name: &str) -> Result<Container> {
        Ok(self.engine.restore_snapshot(&self.principal, &ContainerId::parse(id)?, name).await?)
    }

    pub async fn delete_snapshot(&self, id: &str, name: &str) -> Result<Snapshot> {
        Ok(self.engine.delete_snapshot(&self.principal, &ContainerId::parse(id)?, name).await?)
    }

    pub async fn status_logs(&self, id: &str) -> Result<Vec<StatusLogEntry>> {
        Ok(self.engine.status_logs(&self.principal, &ContainerId::parse(id)?).await?)
    }

    pub async fn stats(&self, id: &str) -> Result<RuntimeInfo> {
        Ok(self.engine.stats(&self.principal, &ContainerId::parse(id)?).await?)
    }

    pub async fn copy(&self, id: &str) -> Result<Container> {
        Ok(self.engine.copy_container(&self.principal, &ContainerId::parse(id)?).await?)
    }

    /// The URL of a service of a container. A stopped container is started first when
    /// `start_if_stopped` is set (the caller asked the user), and the URL is given once it runs.
    pub async fn service_url(&self, id: &ContainerId, service: Service, start_if_stopped: bool) -> Result<String> {
        let mut c = self.engine.container(&self.principal, id).await?;
        if c.status == ContainerStatus::Stopped {
            if !start_if_stopped {
                return Err(CommandError::new(
                    ErrorCode::WrongState,
                    format!("{} is stopped; start it to open its {}", c.name, service.slug()),
                ));
            }
            c = self.engine.operate(&self.principal, id, Operation::Start).await?;
        }
        let deadline = tokio::time::Instant::now() + START_WAIT;
        while matches!(c.status, ContainerStatus::Creating | ContainerStatus::Claiming | ContainerStatus::Copying)
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
            c = self.engine.container(&self.principal, id).await?;
        }
        if c.status != ContainerStatus::Running {
            return Err(CommandError::new(
                ErrorCode::WrongState,
                format!("{} is {}; its {} opens when it runs", c.name, c.status, service.slug()),
            ));
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
        Ok(self.engine.container(&self.principal, id).await?.status == ContainerStatus::Stopped)
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
