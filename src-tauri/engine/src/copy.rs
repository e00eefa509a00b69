//! `POST /containers/{id}/copy`: a new container in the same project with the source's files and
//! settings, `copying` until its files are in place, then running (if the source ran) or stopped.

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::{Container, ContainerId, ContainerStatus, ErrorCode, EventKind, Trigger};
use hoody_store::{NewContainer, StoreError};

/// Names tried for a copy: `web-copy`, `web-copy-2`, … `web-copy-20`.
const NAME_ATTEMPTS: usize = 20;

impl Engine {
    pub async fn copy_container(&self, caller: &Principal, id: &ContainerId) -> Result<Container> {
        let source = self.container(caller, id).await?;
        if let Some(reason) = self.inner.runtime.unavailable_reason() {
            return Err(EngineError::RuntimeUnavailable(format!(
                "copying a container needs the container runtime: {reason}"
            )));
        }
        if !source.status.can_copy() {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("cannot copy a container that is {}; it must be running, paused or stopped", source.status),
            ));
        }
        self.inner.space.check(&format!("a copy of {}", source.name), 0)?;
        let project = self
            .inner
            .store
            .project(&source.project_id)
            .await?
            .ok_or_else(|| EngineError::not_found("project", &source.project_id))?;
        let now = crate::now();
        let mut copy = Container {
            id: ContainerId::generate(),
            status: ContainerStatus::Copying,
            error: None,
            // An SSH key identifies one container; the copy gets its own later.
            ssh_public_key: None,
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
            ssh_key_fingerprint: None,
            project_quota: project.max_containers,
            trigger: Trigger::User,
        };
        let mut attempt = 1;
        let created = loop {
            copy.name = copy_name(&source.name, attempt);
            new.container.name = copy.name.clone();
            match self.inner.store.insert_container(&new).await {
                Err(StoreError::DuplicateName { .. }) if attempt < NAME_ATTEMPTS => attempt += 1,
                other => break other?,
            }
        };
        self.emit(EventKind::Status, &created, None, ContainerStatus::Copying, None, Some(Trigger::User));
        let engine = self.clone();
        let (source_id, copy_id) = (source.id.clone(), created.id.clone());
        self.inner.tasks.spawn(async move { engine.fill_copy(&source_id, &copy_id).await });
        Ok(created)
    }

    async fn fill_copy(&self, source_id: &ContainerId, copy_id: &ContainerId) {
        let _source_guard = self.inner.locks.lock(source_id).await;
        let _guard = self.inner.locks.lock(copy_id).await;
        let (Ok(Some(source)), Ok(Some(copy))) =
            (self.inner.store.container(source_id).await, self.inner.store.container(copy_id).await)
        else {
            return;
        };
        let runtime = &self.inner.runtime;
        let outcome = match runtime.copy(&source, &copy).await {
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
