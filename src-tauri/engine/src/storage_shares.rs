//! Storage shares (`/containers/{id}/storage/shares`, `…/storage/incoming`): a container's
//! directory given to another container or to a project's containers (see
//! [`hoody_model::storage_share`]). The store says who gives what to whom; the runtime keeps the
//! files and mounts them at each start, as [`Engine::refresh_mounts`] tells it.

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::storage_share::{SHARES_DIR, share_alias, share_expiry, share_mode, share_source_path, share_text};
use hoody_model::{
    Container, ContainerId, ContainerStatus, ErrorCode, Id, IncomingMount, IncomingShare, ProjectId, RealmId,
    StorageShare, StorageShareCreate, StorageShareFilter, StorageShareUpdate,
};
use hoody_runtime::ShareMount;
use hoody_store::ShareRecord;
use std::collections::BTreeSet;

const LABEL_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;

impl Engine {
    /// Shares `req.source_path` of the (stopped) container `id` with a container or a project.
    pub async fn create_share(
        &self,
        caller: &Principal,
        id: &ContainerId,
        req: StorageShareCreate,
    ) -> Result<StorageShare> {
        let _guard = self.inner.locks.lock(id).await;
        let source = self.container(caller, id).await?;
        let now = crate::now();
        let path = share_source_path(&req.source_path)?;
        let mode = share_mode(&req.mode)?;
        let alias = req.alias.as_deref().map(share_alias).transpose()?;
        let label = req.label.as_deref().map(|l| share_text("label", l, LABEL_MAX)).transpose()?;
        let description =
            req.description.as_deref().map(|d| share_text("description", d, DESCRIPTION_MAX)).transpose()?;
        let expires_at = req.expires_at.map(|at| share_expiry(at, now)).transpose()?;
        let (target_container_id, target_project_id) = match (&req.target_container_id, &req.target_project_id) {
            (Some(c), None) => {
                let target = self.container(caller, &ContainerId::parse(c)?).await?;
                if target.id == source.id {
                    return Err(field("a container cannot share a directory with itself: name another target"));
                }
                (Some(target.id), None)
            }
            (None, Some(p)) => (None, Some(self.project(caller, &ProjectId::parse(p)?).await?.id)),
            _ => return Err(field("name one target: target_container_id or target_project_id (not both)")),
        };
        for other in self.inner.store.shares_from(&source.id).await? {
            let nested = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}/"));
            if nested(&path, &other.source_path) || nested(&other.source_path, &path) {
                return Err(EngineError::rule(
                    ErrorCode::DuplicateName,
                    format!(
                        "{} already shares {} (share {}): a share cannot hold or be held by another",
                        source.name, other.source_path, other.id
                    ),
                ));
            }
        }
        if !matches!(source.status, ContainerStatus::Stopped | ContainerStatus::Failed) {
            return Err(EngineError::rule(
                ErrorCode::ContainerMustBeStopped,
                format!(
                    "{} is {}: stop it first — {path} moves into the share, which is done while the container is stopped",
                    source.name, source.status
                ),
            ));
        }
        let record = ShareRecord {
            id: Id::generate(),
            source_container_id: source.id.clone(),
            source_path: path.clone(),
            target_container_id,
            target_project_id,
            mode,
            alias,
            label,
            description,
            enabled: req.enabled.unwrap_or(true),
            expires_at,
            created_at: now,
            updated_at: now,
        };
        let recipients = self.recipients(&record).await?;
        self.refuse_taken_name(&record, &recipients).await?;
        self.inner.runtime.make_share(&source, &record.id, &path).await?;
        if let Err(e) = self.inner.store.insert_share(&record).await {
            let _ = self.inner.runtime.remove_share(&record.id).await;
            return Err(e.into());
        }
        self.refresh_mounts(std::iter::once(source.id.clone()).chain(recipients)).await?;
        Ok(share_of(&record, None, now))
    }

    /// The container's shares, as `filter` narrows them, each with its size.
    pub async fn shares(
        &self,
        caller: &Principal,
        id: &ContainerId,
        filter: StorageShareFilter,
    ) -> Result<Vec<StorageShare>> {
        let source = self.container(caller, id).await?;
        let realm = filter.realm_id.as_deref().map(RealmId::parse).transpose()?;
        if let Some(t) = filter.target_type.as_deref().filter(|t| !matches!(*t, "container" | "project")) {
            return Err(field(&format!("target_type '{t}' is neither container nor project")));
        }
        if let Some(s) = filter.status.as_deref().filter(|s| !matches!(*s, "active" | "disabled" | "expired")) {
            return Err(field(&format!("status '{s}' is not one of active, disabled, expired")));
        }
        let now = crate::now();
        let mut shares = Vec::new();
        for record in self.inner.store.shares_from(&source.id).await? {
            let share = share_of(&record, None, now);
            let keep = filter.target_type.as_ref().is_none_or(|t| *t == share.target_type)
                && filter.label.as_ref().is_none_or(|l| share.label.as_ref() == Some(l))
                && filter.status.as_ref().is_none_or(|s| *s == share.status)
                && filter.enabled.is_none_or(|on| on == share.enabled)
                && (share.status != "expired" || filter.include_expired == Some(true) || filter.status.is_some());
            if !keep || !self.targets_realm(&record, realm.as_ref()).await? {
                continue;
            }
            let size = self.inner.runtime.share_size(&record.id).await?;
            shares.push(StorageShare { size: Some(size), ..share });
        }
        Ok(shares)
    }

    pub async fn share(&self, caller: &Principal, id: &ContainerId, share: &Id) -> Result<StorageShare> {
        let record = self.share_record(caller, id, share).await?;
        let size = self.inner.runtime.share_size(&record.id).await?;
        Ok(share_of(&record, Some(size), crate::now()))
    }

    /// Changes a share; running targets see the change at their next start.
    pub async fn update_share(
        &self,
        caller: &Principal,
        id: &ContainerId,
        share: &Id,
        req: StorageShareUpdate,
    ) -> Result<StorageShare> {
        let _guard = self.inner.locks.lock(id).await;
        let mut record = self.share_record(caller, id, share).await?;
        let now = crate::now();
        if let Some(mode) = &req.mode {
            record.mode = share_mode(mode)?;
        }
        if let Some(alias) = &req.alias {
            record.alias = alias.as_deref().map(share_alias).transpose()?;
        }
        if let Some(label) = &req.label {
            record.label = label.as_deref().map(|l| share_text("label", l, LABEL_MAX)).transpose()?;
        }
        if let Some(description) = &req.description {
            record.description =
                description.as_deref().map(|d| share_text("description", d, DESCRIPTION_MAX)).transpose()?;
        }
        if let Some(expires_at) = req.expires_at {
            record.expires_at = expires_at.map(|at| share_expiry(at, now)).transpose()?;
        }
        record.enabled = req.enabled.unwrap_or(record.enabled);
        record.updated_at = now;
        let recipients = self.recipients(&record).await?;
        self.refuse_taken_name(&record, &recipients).await?;
        if !self.inner.store.update_share(&record).await? {
            return Err(EngineError::not_found("share", share));
        }
        self.refresh_mounts(recipients).await?;
        let size = self.inner.runtime.share_size(&record.id).await?;
        Ok(share_of(&record, Some(size), now))
    }

    /// The shares the container receives, whether it mounts each and whether it is mounted now.
    pub async fn incoming_shares(&self, caller: &Principal, id: &ContainerId) -> Result<Vec<IncomingShare>> {
        let target = self.container(caller, id).await?;
        let mounted: BTreeSet<String> = self.inner.runtime.mounted(&target).await?.into_iter().collect();
        let now = crate::now();
        let mut incoming = Vec::new();
        for record in self.received(&target).await? {
            let share = share_of(&record, None, now);
            let mount = !self.inner.store.share_unmounted(&record.id, &target.id).await?;
            let is_mounted = mounted.contains(&share.mount_path);
            incoming.push(IncomingShare { share, mount, mounted: is_mounted });
        }
        Ok(incoming)
    }

    /// Whether the container mounts a share it receives, from its next start.
    pub async fn set_incoming_mount(
        &self,
        caller: &Principal,
        id: &ContainerId,
        share: &Id,
        req: IncomingMount,
    ) -> Result<IncomingShare> {
        let target = self.container(caller, id).await?;
        if !self.received(&target).await?.iter().any(|r| &r.id == share) {
            return Err(EngineError::not_found("incoming share", share));
        }
        self.inner.store.set_share_mount(share, &target.id, req.mount).await?;
        self.refresh_mounts([target.id.clone()]).await?;
        let entry = self.incoming_shares(caller, id).await?.into_iter().find(|i| &i.share.id == share);
        entry.ok_or_else(|| EngineError::not_found("incoming share", share))
    }

    /// Tells the runtime what each of `containers` mounts at its next start: its own shares
    /// back at their paths, and the active shares it receives and has not turned off.
    pub(crate) async fn refresh_mounts(&self, containers: impl IntoIterator<Item = ContainerId>) -> Result<()> {
        for id in containers.into_iter().collect::<BTreeSet<_>>() {
            let Some(c) = self.inner.store.container(&id).await? else { continue };
            if c.status == ContainerStatus::Deleted {
                continue;
            }
            let own = self.inner.store.shares_from(&c.id).await?.into_iter().map(|r| ShareMount {
                share: r.id,
                path: r.source_path,
                read_only: false,
                expires_at: None,
            });
            let mut mounts: Vec<ShareMount> = own.collect();
            let mut names = BTreeSet::new();
            for r in self.received(&c).await? {
                let share = share_of(&r, None, crate::now());
                if share.status != "active"
                    || self.inner.store.share_unmounted(&r.id, &c.id).await?
                    || !names.insert(share.name.clone())
                {
                    continue;
                }
                let expires_at = r.expires_at.map(|at| at.timestamp());
                mounts.push(ShareMount { share: r.id, path: share.mount_path, read_only: r.mode == "ro", expires_at });
            }
            self.inner.runtime.set_mounts(&c, &mounts).await?;
        }
        Ok(())
    }

    /// A new container receives its project's shares from its first start.
    pub(crate) async fn mount_project_shares(&self, c: &Container) -> Result<()> {
        match self.received(c).await?.is_empty() {
            true => Ok(()),
            false => self.refresh_mounts([c.id.clone()]).await,
        }
    }

    /// Removes a deleted container's shares (their files were its directories); their targets
    /// stop mounting them.
    pub(crate) async fn drop_shares_of(&self, source: &ContainerId) -> Result<()> {
        for record in self.inner.store.shares_from(source).await? {
            let recipients = self.recipients(&record).await?;
            self.inner.store.delete_share(&record.id).await?;
            self.refresh_mounts(recipients).await?;
            self.inner.runtime.remove_share(&record.id).await?;
        }
        Ok(())
    }

    async fn share_record(&self, caller: &Principal, id: &ContainerId, share: &Id) -> Result<ShareRecord> {
        let source = self.container(caller, id).await?;
        let record = self.inner.store.share(share).await?.filter(|r| r.source_container_id == source.id);
        record.ok_or_else(|| EngineError::not_found("share", share))
    }

    /// The shares `c` receives (not its own), whose source still exists.
    async fn received(&self, c: &Container) -> Result<Vec<ShareRecord>> {
        Ok(self.inner.store.shares_to(&c.id, &c.project_id).await?)
    }

    /// The containers a share goes to now.
    async fn recipients(&self, record: &ShareRecord) -> Result<Vec<ContainerId>> {
        Ok(match (&record.target_container_id, &record.target_project_id) {
            (Some(c), _) => vec![c.clone()],
            (None, Some(p)) => self
                .inner
                .store
                .project_container_ids(p)
                .await?
                .into_iter()
                .filter(|c| *c != record.source_container_id)
                .collect(),
            (None, None) => Vec::new(),
        })
    }

    /// Refuses a name another share already has in one of the same targets.
    async fn refuse_taken_name(&self, record: &ShareRecord, recipients: &[ContainerId]) -> Result<()> {
        let name = share_name(record);
        for id in recipients {
            let Some(c) = self.inner.store.container(id).await? else { continue };
            if let Some(other) =
                self.received(&c).await?.into_iter().find(|r| r.id != record.id && share_name(r) == name)
            {
                return Err(EngineError::rule(
                    ErrorCode::DuplicateName,
                    format!(
                        "{} already receives a share named {name} (share {}): give this one another alias",
                        c.name, other.id
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether the share's target (its container, or its project) is in `realm`.
    async fn targets_realm(&self, record: &ShareRecord, realm: Option<&RealmId>) -> Result<bool> {
        let Some(realm) = realm else { return Ok(true) };
        let realms = match (&record.target_container_id, &record.target_project_id) {
            (Some(c), _) => self.inner.store.container(c).await?.map(|c| c.realm_ids),
            (None, Some(p)) => self.inner.store.project(p).await?.map(|p| p.realm_ids),
            (None, None) => None,
        };
        Ok(realms.is_some_and(|r| r.contains(realm)))
    }
}

fn field(message: &str) -> EngineError {
    EngineError::rule(ErrorCode::InvalidField, message.to_owned())
}

fn share_name(record: &ShareRecord) -> String {
    record.alias.clone().unwrap_or_else(|| format!("share-{}", &record.id.as_str()[..8]))
}

fn share_of(record: &ShareRecord, size: Option<u64>, now: chrono::DateTime<chrono::Utc>) -> StorageShare {
    let name = share_name(record);
    StorageShare {
        id: record.id.clone(),
        mount_path: format!("{SHARES_DIR}/{name}"),
        name,
        alias: record.alias.clone(),
        label: record.label.clone(),
        description: record.description.clone(),
        target_type: if record.target_container_id.is_some() { "container" } else { "project" }.to_owned(),
        source_container_id: record.source_container_id.clone(),
        source_path: record.source_path.clone(),
        target_container_id: record.target_container_id.clone(),
        target_project_id: record.target_project_id.clone(),
        mode: record.mode.clone(),
        enabled: record.enabled,
        status: StorageShare::status_at(record.enabled, record.expires_at, now).to_owned(),
        size,
        expires_at: record.expires_at,
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}
