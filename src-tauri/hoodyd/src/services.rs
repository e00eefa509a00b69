//! The engine as the proxy's directory: which container a service host name means, whether it
//! runs, and its init's pid. Answers are cached and dropped on every status event of the
//! container, so a request costs a map lookup and a /proc check, not a store and runc call.

use hoody_engine::{Engine, EngineError, Principal, Scope};
use hoody_kit::{Directory, Lookup};
use hoody_model::{ContainerId, ContainerStatus, ProjectId, TokenId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::error::RecvError;

pub struct EngineDirectory {
    engine: Engine,
    /// The proxy acts for whoever holds the URL: the container id in it is the credential.
    principal: Principal,
    cache: Mutex<HashMap<ContainerId, (ProjectId, Lookup)>>,
}

impl EngineDirectory {
    pub fn new(engine: Engine) -> Arc<Self> {
        let directory = Arc::new(Self {
            principal: Principal { token_id: TokenId::generate(), scope: Scope::All },
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
        let lookup = match (c.status, init) {
            (ContainerStatus::Running, Some(init_pid)) => Lookup::Up { name: c.name, init_pid },
            (status, _) => Lookup::Down { name: c.name, status: status.to_string() },
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
            Some((_, Lookup::Up { init_pid, .. })) if !hoody_runtime::is_alive(init_pid) => {
                self.look_up(container).await
            }
            Some(hit) => hit,
            None => self.look_up(container).await,
        };
        self.cache.lock().expect("cache lock").insert(container.clone(), (owner.clone(), lookup.clone()));
        if &owner != project { Lookup::Unknown } else { lookup }
    }
}

/// The proxy as the engine sees it: what runs for a container behind it.
pub struct KitServices {
    pub proxy: hoody_kit::Proxy,
    pub port: u16,
}

#[async_trait::async_trait]
impl hoody_engine::KitReport for KitServices {
    async fn services(&self, container: &ContainerId, init_pid: u32) -> Vec<hoody_model::KitServiceInfo> {
        self.proxy.services(container, init_pid, self.port).await
    }
}
