//! The service proxy in front of the engine's containers, wired here so that neither knows the
//! other: the engine as the proxy's directory
//! (which container a service host name means, whether it runs, its init's pid), and the proxy
//! as the engine's report of what runs for each container. Directory answers are cached and
//! dropped on every status event of the container, so a request costs a map lookup and a /proc
//! check, not a store and runc call.

use hoody_engine::{Engine, EngineError, KitReport, Principal};
use hoody_kit::{Directory, Identity, Lookup};
pub use hoody_kit::{Upstream, Upstreams};
use hoody_model::{ContainerId, ContainerListQuery, ContainerStatus, PageRequest, ProjectId, TokenId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::error::RecvError;

struct EngineDirectory {
    engine: Engine,
    /// The proxy acts for whoever holds the URL: the container id in it is the credential.
    principal: Principal,
    cache: Mutex<HashMap<ContainerId, (ProjectId, Lookup)>>,
}

impl EngineDirectory {
    fn new(engine: Engine) -> Arc<Self> {
        let directory = Arc::new(Self {
            principal: Principal::unrestricted(TokenId::generate()),
            cache: Mutex::default(),
            engine: engine.clone(),
        });
        let weak = Arc::downgrade(&directory);
        let mut events = engine.subscribe();
        tokio::spawn(async move {
            loop {
                let event = events.recv().await;
                let Some(directory) = weak.upgrade() else { return };
                let mut cache = directory.cache.lock().expect("cache lock");
                match event {
                    Ok(event) => drop(cache.remove(&event.container_id)),
                    Err(RecvError::Lagged(_)) => cache.clear(),
                    Err(RecvError::Closed) => return,
                }
            }
        });
        directory
    }

    async fn look_up(&self, container: &ContainerId) -> (ProjectId, Lookup) {
        let c = match self.engine.container_with_runtime(&self.principal, container).await {
            Ok(c) => c,
            Err(EngineError::NotFound { .. }) => return (ProjectId::generate(), Lookup::Unknown),
            Err(e) => {
                tracing::warn!(container = %container, "proxy lookup: {e}");
                return (ProjectId::generate(), Lookup::Unknown);
            }
        };
        let init = c.runtime_info.as_ref().and_then(|i| i.processes.iter().find(|p| p.pid == 1)).map(|p| p.host_pid);
        // Its pages show whose they are: the container's name, its project's, its colour.
        let project = match self.engine.project(&self.principal, &c.project_id).await {
            Ok(p) => p.alias,
            Err(e) => {
                tracing::warn!(container = %container, "proxy lookup of its project: {e}");
                c.project_id.to_string()
            }
        };
        let gates = match self.engine.proxy_gates(container, &c.project_id).await {
            Ok(gates) => gates.map(Arc::new),
            Err(e) => {
                // Unknown gates are closed gates: nothing goes through until they can be read.
                tracing::warn!(container = %container, "proxy lookup of its gates: {e}");
                Some(Arc::new(hoody_model::ProxyPermissions { enable_proxy: false, ..Default::default() }))
            }
        };
        let hooks = match self.engine.hooks_for_proxy(container).await {
            Ok(hooks) => hooks.map(Arc::new),
            Err(e) => {
                // Hooks that cannot be read are a refusal, as gates are: a hook may be a check.
                tracing::warn!(container = %container, "proxy lookup of its hooks: {e}");
                Some(Arc::new(hoody_model::ProxyHooks::unreadable()))
            }
        };
        let identity = Identity { name: c.name, project, color: c.color, gates, hooks };
        let lookup = match (c.status, init) {
            (ContainerStatus::Running, Some(init_pid)) => Lookup::Up { identity, init_pid },
            (status, _) => Lookup::Down { identity, status: status.to_string() },
        };
        (c.project_id, lookup)
    }
}

#[async_trait::async_trait]
impl Directory for EngineDirectory {
    async fn find(&self, project: &ProjectId, container: &ContainerId) -> Lookup {
        let cached = self.cache.lock().expect("cache lock").get(container).cloned();
        let (owner, lookup) = match cached {
            // A cached init that has exited means the container stopped behind our back.
            Some(hit) if !matches!(hit.1, Lookup::Up { init_pid, .. } if !hoody_runtime::is_alive(init_pid)) => hit,
            _ => {
                let found = self.look_up(container).await;
                self.cache.lock().expect("cache lock").insert(container.clone(), found.clone());
                found
            }
        };
        if &owner != project { Lookup::Unknown } else { lookup }
    }

    async fn power(&self, project: &ProjectId, container: &ContainerId, restart: bool) -> Result<(), String> {
        if !matches!(self.find(project, container).await, Lookup::Up { .. }) {
            return Err(format!("container {container} does not run in project {project}"));
        }
        let op = if restart { hoody_model::Operation::Restart } else { hoody_model::Operation::Stop };
        self.engine.operate(&self.principal, container, op).await.map(drop).map_err(|e| e.to_string())
    }

    async fn running(&self) -> Vec<(ProjectId, ContainerId)> {
        let mut running = Vec::new();
        for page in 1.. {
            let q = ContainerListQuery {
                page: PageRequest { page, limit: 200 },
                status: Some(ContainerStatus::Running),
                ..Default::default()
            };
            match self.engine.list_containers(&self.principal, &q).await {
                Ok((found, pagination)) => {
                    let last = found.len() < 200 || running.len() + found.len() >= pagination.total as usize;
                    running.extend(found.into_iter().map(|c| (c.project_id, c.id)));
                    if last {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!("listing the running containers for their schedules: {e}");
                    break;
                }
            }
        }
        running
    }
}

/// Starts the service proxy for `engine` on `listener` (until `shutdown` resolves) and tells
/// the engine about it, so containers carry their service `urls` and `kit_services`. With
/// `upstreams`, it also relays host names of those other servers to their proxies.
pub fn serve_services(
    engine: &Engine,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    upstreams: Option<Arc<dyn hoody_kit::Upstreams>>,
) -> std::io::Result<u16> {
    let port = listener.local_addr()?.port();
    let mut proxy = hoody_kit::Proxy::new(EngineDirectory::new(engine.clone()), engine.server_name());
    if let Some(upstreams) = upstreams {
        proxy = proxy.relaying_to(upstreams);
    }
    engine.publish_services_at(port, Arc::new(KitServices { proxy: proxy.clone(), port }));
    tokio::spawn(proxy.serve(listener, shutdown));
    Ok(port)
}

/// The proxy as the engine sees it: what runs for a container behind it.
struct KitServices {
    proxy: hoody_kit::Proxy,
    port: u16,
}

#[async_trait::async_trait]
impl KitReport for KitServices {
    async fn services(&self, container: &ContainerId, init_pid: u32) -> Vec<hoody_model::KitServiceInfo> {
        self.proxy.services(container, init_pid, self.port).await
    }

    async fn container_ended(&self, container: &ContainerId) {
        self.proxy.container_ended(container).await;
    }
}
