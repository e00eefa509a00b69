//! `POST /containers/{id}/copy`: a new container (in the source's project or another) with the
//! source's files — or those of one of its snapshots — and settings, `copying` until its files
//! are in place, then running (if the source ran) or stopped. `POST /containers/{id}/sync`: a
//! copy's files become its source's again.

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::validate;
use hoody_model::{
    Container, ContainerCopy, ContainerId, ContainerStatus, ErrorCode, EventKind, ProjectId, ServerId, SnapshotId,
    Trigger,
};
use hoody_store::{NewContainer, StoreError};

/// Names tried for a copy: `web-copy`, `web-copy-2`, … `web-copy-20`.
const NAME_ATTEMPTS: usize = 20;

impl Engine {
    pub async fn copy_container(&self, caller: &Principal, id: &ContainerId, req: ContainerCopy) -> Result<Container> {
        let source = self.container(caller, id).await?;
        if let Some(raw) = &req.target_server_id {
            let server = ServerId::parse(raw)?;
            if &server != self.server_id() {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!(
                        "target_server_id: {server} is not this server ({}); a copy to another server is made \
                         through the fleet (Hoody Desktop), which streams it between the two",
                        self.server_id()
                    ),
                ));
            }
        }
        crate::containers::refuse_kvm(req.kvm, req.dev_kvm)?;
        let project_id = req.target_project_id.as_deref().map(ProjectId::parse).transpose()?;
        let project = self.project(caller, project_id.as_ref().unwrap_or(&source.project_id)).await?;
        let name = req.name.as_deref().map(validate::container_name).transpose()?;
        let ssh = req.ssh_public_key.as_deref().map(validate::ssh_public_key).transpose()?;
        let snapshot = match &req.source_snapshot {
            Some(name) => Some(self.snapshot_named(caller, id, name).await?),
            None => None,
        };
        self.need_runtime("copying a container")?;
        if !source.status.can_copy() {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("cannot copy a container that is {}; it must be running, paused or stopped", source.status),
            ));
        }
        let source_realms: Vec<String> = source.realm_ids.iter().map(|r| r.as_str().to_owned()).collect();
        let realm_ids = match project.id == source.project_id {
            true => source.realm_ids.clone(),
            false => self.container_realms(caller, &project, &source_realms).await?,
        };
        self.inner.space.check(&format!("a copy of {}", source.name), snapshot.as_ref().map_or(0, |s| s.size_bytes))?;
        let now = crate::now();
        let mut copy = Container {
            id: ContainerId::generate(),
            project_id: project.id.clone(),
            status: ContainerStatus::Copying,
            error: None,
            realm_ids,
            // An SSH key identifies one container: the copy has the one asked for, or none.
            ssh_public_key: ssh.as_ref().map(|k| k.openssh.clone()),
            network: source.network || !req.copy_network_rules.unwrap_or(false),
            source_container_id: Some(source.id.clone()),
            snapshot_count: 0,
            created_at: now,
            updated_at: now,
            runtime_info: None,
            urls: Default::default(),
            ..source.clone()
        };
        let mut new = NewContainer {
            container: copy.clone(),
            ssh_key_fingerprint: ssh.map(|k| k.fingerprint),
            project_quota: project.max_containers,
            trigger: Trigger::User,
        };
        let mut attempt = 1;
        let created = loop {
            copy.name = name.clone().unwrap_or_else(|| copy_name(&source.name, attempt));
            new.container.name = copy.name.clone();
            match self.inner.store.insert_container(&new).await {
                Err(StoreError::DuplicateName { .. }) if name.is_none() && attempt < NAME_ATTEMPTS => attempt += 1,
                other => break other?,
            }
        };
        self.emit(EventKind::Status, &created, None, ContainerStatus::Copying, None, Some(Trigger::User));
        let engine = self.clone();
        let (source_id, copy_id) = (source.id.clone(), created.id.clone());
        let snapshot = snapshot.map(|s| s.id);
        self.inner.tasks.spawn(async move { engine.fill_copy(&source_id, &copy_id, snapshot.as_ref()).await });
        Ok(created)
    }

    /// Gives a copy its source's current files again (the copy stopped; its settings, name and
    /// snapshots stay). The source's files are saved aside as a snapshot would be, with the
    /// source frozen for that moment, then put in place as a restore does; the saved files
    /// go once they are in (or, after a kill, at the next start: no record names them).
    pub async fn sync_container(&self, caller: &Principal, id: &ContainerId) -> Result<Container> {
        let copy = self.container(caller, id).await?;
        let Some(source_id) = copy.source_container_id.clone() else {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("{} is not a copy of another container, so there is nothing to sync it from", copy.name),
            ));
        };
        let source = match self.inner.store.container(&source_id).await? {
            Some(source) if source.status != ContainerStatus::Deleted => source,
            _ => {
                return Err(EngineError::rule(
                    ErrorCode::WrongState,
                    format!("the container {} was copied from is deleted, so it can no longer be synced", copy.name),
                ));
            }
        };
        if !caller.sees(&source.realm_ids, &source.project_id) {
            return Err(EngineError::Forbidden(format!(
                "{} was copied from a container outside this token's realms",
                copy.name
            )));
        }
        let _source_guard = self.inner.locks.lock(&source.id).await;
        let _guard = self.inner.locks.lock(id).await;
        // Both read again under their locks: either may have moved while the locks were awaited.
        let copy = self.container(caller, id).await?;
        let source = self.inner.store.container(&source.id).await?.unwrap_or(source);
        if !copy.status.can_restore() {
            return Err(EngineError::rule(
                ErrorCode::ContainerMustBeStopped,
                format!("a copy is synced only while it is stopped (it is {}): stop it first", copy.status),
            ));
        }
        if !source.status.can_copy() {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("cannot sync from {} while it is {}", source.name, source.status),
            ));
        }
        self.inner.space.check(&format!("syncing {} from {}", copy.name, source.name), 0)?;
        let runtime = &self.inner.runtime;
        let aside = SnapshotId::generate();
        runtime.snapshot(&source, &aside).await?;
        let restored = runtime.restore(&copy, &aside).await;
        if let Err(e) = runtime.delete_snapshot(&aside).await {
            tracing::warn!(container = %id, "cannot remove the files saved for the sync (removed at the next start): {e}");
        }
        restored?;
        tracing::info!(container = %id, source = %source.id, "synced from its source");
        self.log_container("synced", &copy, format!("Container \"{}\" was synced from \"{}\"", copy.name, source.name));
        self.container(caller, id).await
    }

    /// Gives the copy the source's files (or those of the source's snapshot `snapshot`).
    async fn fill_copy(&self, source_id: &ContainerId, copy_id: &ContainerId, snapshot: Option<&SnapshotId>) {
        let _source_guard = self.inner.locks.lock(source_id).await;
        let _guard = self.inner.locks.lock(copy_id).await;
        let (Ok(Some(source)), Ok(Some(copy))) =
            (self.inner.store.container(source_id).await, self.inner.store.container(copy_id).await)
        else {
            return;
        };
        let runtime = &self.inner.runtime;
        // From a snapshot: the copy is made (its layer the source's), then its files become the
        // snapshot's, as a restore does.
        let copied = match runtime.copy(&source, &copy).await {
            Ok(()) => match snapshot {
                Some(snapshot) => runtime.restore(&copy, snapshot).await,
                None => Ok(()),
            },
            Err(e) => Err(e),
        };
        let outcome = match copied {
            Ok(()) if source.status == ContainerStatus::Running => {
                runtime.start(&copy).await.map(|()| ContainerStatus::Running)
            }
            Ok(()) if source.status == ContainerStatus::Deleted => Err(hoody_runtime::RuntimeError::Failed(
                "the source was deleted before its files could be copied".into(),
            )),
            Ok(()) => Ok(ContainerStatus::Stopped),
            Err(e) => Err(e),
        };
        let (to, error) = match outcome {
            Ok(to) => (to, None),
            Err(e) => {
                tracing::warn!(container = %copy_id, "copy failed: {e}");
                (ContainerStatus::Failed, Some(format!("copy failed: {}", EngineError::from(e))))
            }
        };
        if let Err(e) = self.record_status(&copy, to, error, Trigger::System).await {
            tracing::error!(container = %copy_id, "cannot record the outcome of the copy: {e}");
        }
    }
}

/// `web-copy`, `web-copy-2`, … kept within the 100-character name limit.
fn copy_name(source: &str, attempt: usize) -> String {
    let suffix = if attempt == 1 { "-copy".to_owned() } else { format!("-copy-{attempt}") };
    let keep = 100 - suffix.len();
    format!("{}{suffix}", &source[..source.len().min(keep)])
}

#[cfg(test)]
mod tests {
    use super::copy_name;

    #[test]
    fn copy_names_stay_valid() {
        assert_eq!(copy_name("web", 1), "web-copy");
        assert_eq!(copy_name("web", 3), "web-copy-3");
        let long = "x".repeat(100);
        assert_eq!(copy_name(&long, 12).len(), 100);
        assert!(hoody_model::validate::container_name(&copy_name(&long, 12)).is_ok());
    }
}
