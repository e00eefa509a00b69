//! This machine as a Hoody server (`GET /servers`, `GET /rentals`), and the Hoody cloud's
//! server marketplace as a self-hosted server answers it: it rents nothing.

use crate::Engine;
use crate::error::Result;
use hoody_model::{Id, Rental, Server, ServerId, ServerStatus};

impl Engine {
    pub fn server_id(&self) -> &ServerId {
        &self.inner.server.id
    }

    pub fn server_name(&self) -> &str {
        &self.inner.server.name
    }

    pub async fn servers(&self) -> Result<Vec<Server>> {
        let runtime = &self.inner.runtime;
        let reason = runtime.unavailable_reason();
        let host = hoody_runtime::host::facts();
        let room = self.inner.space.room();
        Ok(vec![Server {
            id: self.inner.server.id.clone(),
            name: self.inner.server.name.clone(),
            status: ServerStatus::Ready,
            hostname: host.hostname,
            cpu_count: host.cpu_count,
            memory_bytes: host.memory_bytes,
            runtime: reason.is_none().then(|| runtime.name().to_owned()),
            runtime_unavailable_reason: reason,
            container_count: self.inner.store.count_containers().await?,
            disk_free_bytes: room.map(|r| r.free),
            disk_total_bytes: room.map(|r| r.total),
            created_at: self.inner.server.created_at,
        }])
    }

    pub async fn server(&self, id: &ServerId) -> Result<Server> {
        self.servers()
            .await?
            .into_iter()
            .find(|s| &s.id == id)
            .ok_or_else(|| crate::EngineError::not_found("server", id))
    }

    /// The servers the caller may place containers on: this one.
    pub async fn rentals(&self) -> Result<Vec<Rental>> {
        let s = &self.inner.server;
        Ok(vec![Rental {
            id: Id::parse(s.id.as_str())?,
            server_id: s.id.clone(),
            server_name: s.name.clone(),
            status: ServerStatus::Ready,
            created_at: s.created_at,
        }])
    }

    /// One of [`Self::rentals`].
    pub async fn rental(&self, id: &Id) -> Result<Rental> {
        self.rentals()
            .await?
            .into_iter()
            .find(|r| &r.id == id)
            .ok_or_else(|| crate::EngineError::not_found("rental", id))
    }

    /// This server is the caller's own machine: there is no rental period to extend.
    pub async fn extend_rental(&self, id: &Id) -> Result<Rental> {
        let rental = self.rental(id).await?;
        Err(crate::EngineError::not_offered(
            "extending a rental",
            &format!("{} is a machine of your own, not rented, so it has no end to extend", rental.server_name),
        ))
    }

    pub fn rental_marketplace(&self) -> crate::EngineError {
        crate::EngineError::not_offered(
            "the server rental marketplace",
            "rent servers on the Hoody cloud, or run hoodyd on a machine of your own and add it as a server",
        )
    }
}
