//! Snapshots: `GET|POST /containers/{id}/snapshots`, `PUT|DELETE /containers/{id}/snapshots/{name}`.
//! A snapshot is a copy of the container's own files; it survives the container's deletion and
//! goes when its expiry passes.

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::validate;
use hoody_model::{Container, ContainerId, ErrorCode, Snapshot, SnapshotAlias, SnapshotCreate, SnapshotId};

impl Engine {
    /// The container's snapshots that have not expired, oldest first. They outlive the
    /// container, so a deleted container's id still lists them.
    pub async fn snapshots(&self, caller: &Principal, id: &ContainerId) -> Result<Vec<Snapshot>> {
        let (realms, project) = self
            .inner
            .store
            .container_place_any_status(id)
            .await?
            .ok_or_else(|| EngineError::not_found("container", id))?;
        caller.reach(&realms, &project, EngineError::not_found("container", id))?;
        let now = crate::now();
        let mut snapshots = self.inner.store.snapshots(id).await?;
        snapshots.retain(|s| s.expires_at.is_none_or(|at| at > now));
        Ok(snapshots)
    }

    pub async fn create_snapshot(&self, caller: &Principal, id: &ContainerId, req: SnapshotCreate) -> Result<Snapshot> {
        let _guard = self.inner.locks.lock(id).await;
        let c = self.container(caller, id).await?;
        let now = crate::now();
        let name = match &req.alias {
            Some(alias) => validate::snapshot_alias(alias)?,
            None => format!("snapshot-{}", now.format("%Y%m%d-%H%M%S-%3f")),
        };
        let expires_at =
            req.expiry_days.map(validate::expiry_days).transpose()?.map(|d| now + chrono::Duration::days(d.into()));
        if !c.status.can_snapshot() {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("cannot snapshot a container that is {}", c.status),
            ));
        }
        if self.snapshots(caller, id).await?.iter().any(|s| s.name == name) {
            return Err(hoody_store::StoreError::DuplicateSnapshot { name }.into());
        }
        self.inner.space.check(&format!("a snapshot of {}", c.name), 0)?;
        let snapshot_id = SnapshotId::generate();
        let size_bytes = self.inner.runtime.snapshot(&c, &snapshot_id).await?;
        let snapshot = Snapshot {
            id: snapshot_id,
            container_id: c.id.clone(),
            alias: name.clone(),
            name,
            created_at: now,
            expires_at,
            size_bytes,
        };
        if let Err(e) = self.inner.store.insert_snapshot(&snapshot).await {
            let _ = self.inner.runtime.delete_snapshot(&snapshot.id).await;
            return Err(e.into());
        }
        self.inner.records.snapshot(&snapshot);
        self.log_snapshot("created", &snapshot, Some(&c));
        Ok(snapshot)
    }

    /// Puts the container's files back to the snapshot. The container must be stopped.
    pub async fn restore_snapshot(&self, caller: &Principal, id: &ContainerId, name: &str) -> Result<Container> {
        let _guard = self.inner.locks.lock(id).await;
        let snapshot = self.snapshot_named(caller, id, name).await?;
        let c = self.container(caller, id).await?;
        if !c.status.can_restore() {
            return Err(EngineError::rule(
                ErrorCode::ContainerMustBeStopped,
                format!("a snapshot can only be restored into a stopped container (it is {}): stop it first", c.status),
            ));
        }
        // Its files are copied in beside the container's before they replace them.
        self.inner.space.check(&format!("restoring {} into {}", snapshot.name, c.name), snapshot.size_bytes)?;
        self.inner.runtime.restore(&c, &snapshot.id).await?;
        tracing::info!(container = %id, snapshot = %snapshot.name, "restored");
        self.log_snapshot("restored", &snapshot, Some(&c));
        self.container(caller, id).await
    }

    /// Renames a snapshot (the platform calls its name its alias).
    pub async fn rename_snapshot(
        &self,
        caller: &Principal,
        id: &ContainerId,
        name: &str,
        to: SnapshotAlias,
    ) -> Result<Snapshot> {
        let _guard = self.inner.locks.lock(id).await;
        let Some(alias) = to.alias else {
            return Err(EngineError::rule(
                ErrorCode::InvalidField,
                "alias must be a name: a snapshot is always reached by its name",
            ));
        };
        let alias = validate::snapshot_alias(&alias)?;
        let snapshot = self.snapshot_named(caller, id, name).await?;
        self.inner.store.rename_snapshot(&snapshot.id, &alias).await?;
        let renamed = Snapshot { name: alias.clone(), alias, ..snapshot };
        self.inner.records.snapshot(&renamed);
        self.log_snapshot("renamed", &renamed, self.snapshot_owner(id).await.as_ref());
        Ok(renamed)
    }

    pub async fn delete_snapshot(&self, caller: &Principal, id: &ContainerId, name: &str) -> Result<Snapshot> {
        let snapshot = self.snapshot_named(caller, id, name).await?;
        self.inner.space.make_room();
        self.inner.runtime.delete_snapshot(&snapshot.id).await?;
        self.inner.store.delete_snapshot(&snapshot.id).await?;
        self.inner.records.snapshot_gone(&snapshot);
        self.inner.space.replenish();
        self.log_snapshot("deleted", &snapshot, self.snapshot_owner(id).await.as_ref());
        Ok(snapshot)
    }

    /// The container a snapshot was taken of, unless it is deleted (the log's entries name it).
    async fn snapshot_owner(&self, id: &ContainerId) -> Option<Container> {
        self.inner.store.container(id).await.ok().flatten()
    }

    pub(crate) async fn snapshot_named(&self, caller: &Principal, id: &ContainerId, name: &str) -> Result<Snapshot> {
        self.snapshots(caller, id)
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| EngineError::not_found("snapshot", name))
    }

    /// Deletes every snapshot whose expiry has passed; returns how many went.
    pub async fn expire_snapshots(&self) -> Result<usize> {
        self.expire_snapshots_at(crate::now()).await
    }

    /// Deletes every snapshot whose expiry is at or before `now`.
    pub async fn expire_snapshots_at(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize> {
        let expired = self.inner.store.expired_snapshots(now).await?;
        for id in &expired {
            self.inner.runtime.delete_snapshot(id).await?;
            self.inner.store.delete_snapshot(id).await?;
            self.inner.records.snapshot_id_gone(id);
            tracing::info!(snapshot = %id, "expired");
        }
        Ok(expired.len())
    }
}
