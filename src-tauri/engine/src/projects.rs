use crate::Engine;
use crate::auth::{Principal, Scope};
use crate::error::{EngineError, Result};
use hoody_model::{
    ContainerStatus, PageRequest, Pagination, Project, ProjectCreate, ProjectId, ProjectStats, ProjectUpdate, validate,
};

impl Engine {
    pub async fn create_project(&self, caller: &Principal, req: ProjectCreate) -> Result<Project> {
        let alias = validate::project_alias(&req.alias)?;
        let color = req.color.as_deref().map(validate::color).transpose()?;
        let max_containers = req.max_containers.map(validate::max_containers).transpose()?;
        let mut realm_ids = self.existing_realms(req.realm_ids.as_deref().unwrap_or_default()).await?;
        if let Scope::Realms(mine) = &caller.scope {
            // A realm-restricted caller creates inside its own realms only.
            caller.check_within_scope(&realm_ids)?;
            for r in mine {
                if !realm_ids.contains(r) {
                    realm_ids.push(r.clone());
                }
            }
        }
        let now = crate::now();
        let project = Project {
            id: ProjectId::generate(),
            alias,
            color,
            max_containers,
            realm_ids,
            container_count: 0,
            created_at: now,
            updated_at: now,
        };
        let project = self.inner.store.insert_project(&project).await?;
        self.inner.records.project(&project);
        self.log_project("created", &project);
        Ok(project)
    }

    /// The project, if it exists and the caller reaches it (else NotFound: a scoped caller
    /// learns nothing of other realms; a grant too low for the request is refused as such).
    pub async fn project(&self, caller: &Principal, id: &ProjectId) -> Result<Project> {
        let project = self.inner.store.project(id).await?.ok_or_else(|| EngineError::not_found("project", id))?;
        caller.reach(&project.realm_ids, &project.id, EngineError::not_found("project", id))?;
        Ok(project)
    }

    /// The project's containers by status, and what those that run use now (a container of
    /// the project in a realm the caller cannot see is not counted).
    pub async fn project_stats(&self, caller: &Principal, id: &ProjectId) -> Result<ProjectStats> {
        let project = self.project(caller, id).await?;
        let mut stats = ProjectStats {
            project_id: project.id.clone(),
            container_count: 0,
            containers_by_status: Default::default(),
            max_containers: project.max_containers,
            snapshot_count: 0,
            cpu_usage_ns: 0,
            memory_bytes: 0,
            process_count: 0,
        };
        for container_id in self.inner.store.project_container_ids(&project.id).await? {
            let Some(c) = self.inner.store.container(&container_id).await? else { continue };
            if c.status == ContainerStatus::Deleted || !caller.sees(&c.realm_ids, &c.project_id) {
                continue;
            }
            stats.container_count += 1;
            stats.snapshot_count += c.snapshot_count;
            *stats.containers_by_status.entry(c.status.to_string()).or_default() += 1;
            if matches!(c.status, ContainerStatus::Running | ContainerStatus::Paused) {
                // A container that stops while it is read counts as using nothing.
                if let Ok(info) = self.inner.runtime.info(&c).await {
                    stats.cpu_usage_ns += info.cpu_usage_ns;
                    stats.memory_bytes += info.memory_bytes;
                    stats.process_count += u32::try_from(info.processes.len()).unwrap_or(u32::MAX);
                }
            }
        }
        Ok(stats)
    }

    pub async fn list_projects(&self, caller: &Principal, page: PageRequest) -> Result<(Vec<Project>, Pagination)> {
        let (projects, total) =
            self.inner.store.list_projects(caller.visible().as_ref(), page.offset(), page.limit).await?;
        Ok((projects, Pagination::new(total, page)))
    }

    pub async fn update_project(&self, caller: &Principal, id: &ProjectId, req: ProjectUpdate) -> Result<Project> {
        let mut project = self.project(caller, id).await?;
        if let Some(alias) = &req.alias {
            project.alias = validate::project_alias(alias)?;
        }
        if let Some(color) = &req.color {
            project.color = color.as_deref().map(validate::color).transpose()?;
        }
        if let Some(max) = req.max_containers {
            project.max_containers = max.map(validate::max_containers).transpose()?;
        }
        if let Some(realms) = &req.realm_ids {
            let realms = self.existing_realms(realms).await?;
            if realms != project.realm_ids {
                caller.forbid_if_scoped("change realm_ids")?;
                project.realm_ids = realms;
            }
        }
        project.updated_at = crate::now();
        let project = self.inner.store.update_project(&project).await?;
        self.inner.records.project(&project);
        self.log_project("updated", &project);
        Ok(project)
    }

    /// Deletes the project and, first, each of its containers (stopping running ones).
    pub async fn delete_project(&self, caller: &Principal, id: &ProjectId) -> Result<Project> {
        let project = self.project(caller, id).await?;
        for container in self.inner.store.project_container_ids(id).await? {
            self.delete_container_unchecked(&container).await?;
        }
        self.inner.store.delete_project(id, crate::now()).await?;
        self.inner.records.project_gone(id);
        self.log_project("deleted", &project);
        Ok(project)
    }
}
