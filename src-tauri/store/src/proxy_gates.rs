//! Proxy permissions, one JSON document per container and per project (none: open); proxy
//! hooks and firewall rules, one document each per container.

use crate::Store;
use crate::error::Result;
use crate::rows::{id, json, ms, to_json};
use hoody_model::{ContainerId, FirewallRules, ProjectId, ProxyHooks, ProxyPermissions};

impl Store {
    /// Every container's and every project's proxy permissions (for the engine's work on all of
    /// them at once: sealing secrets kept from before).
    pub async fn all_proxy_permissions(
        &self,
    ) -> Result<(Vec<(ContainerId, ProxyPermissions)>, Vec<(ProjectId, ProxyPermissions)>)> {
        let containers: Vec<(String, String)> =
            sqlx::query_as("SELECT container_id, document FROM proxy_permissions").fetch_all(&self.reader).await?;
        let projects: Vec<(String, String)> =
            sqlx::query_as("SELECT project_id, document FROM project_proxy_permissions")
                .fetch_all(&self.reader)
                .await?;
        let containers = containers
            .into_iter()
            .map(|(owner, text)| Ok((id("container id", &owner)?, json("proxy permissions", &text)?)))
            .collect::<Result<_>>()?;
        let projects = projects
            .into_iter()
            .map(|(owner, text)| Ok((id("project id", &owner)?, json("project proxy permissions", &text)?)))
            .collect::<Result<_>>()?;
        Ok((containers, projects))
    }

    pub async fn proxy_permissions(&self, container: &ContainerId) -> Result<Option<ProxyPermissions>> {
        let id_text = container.as_str();
        let document = sqlx::query_scalar!("SELECT document FROM proxy_permissions WHERE container_id = ?", id_text)
            .fetch_optional(&self.reader)
            .await?;
        document.map(|text| json("proxy permissions", &text)).transpose()
    }

    pub async fn set_proxy_permissions(
        &self,
        container: &ContainerId,
        permissions: &ProxyPermissions,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let (id_text, document, at) = (container.as_str(), to_json(permissions), ms(at));
        sqlx::query!(
            "INSERT INTO proxy_permissions (container_id, document, updated_at) VALUES (?, ?, ?)
             ON CONFLICT(container_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
            id_text,
            document,
            at
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn delete_proxy_permissions(&self, container: &ContainerId) -> Result<()> {
        let id_text = container.as_str();
        sqlx::query!("DELETE FROM proxy_permissions WHERE container_id = ?", id_text).execute(&self.writer).await?;
        Ok(())
    }
}

impl Store {
    pub async fn project_proxy_permissions(&self, project: &ProjectId) -> Result<Option<ProxyPermissions>> {
        let id_text = project.as_str();
        let document =
            sqlx::query_scalar!("SELECT document FROM project_proxy_permissions WHERE project_id = ?", id_text)
                .fetch_optional(&self.reader)
                .await?;
        document.map(|text| json("project proxy permissions", &text)).transpose()
    }

    pub async fn set_project_proxy_permissions(
        &self,
        project: &ProjectId,
        permissions: &ProxyPermissions,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let (id_text, document, at) = (project.as_str(), to_json(permissions), ms(at));
        sqlx::query!(
            "INSERT INTO project_proxy_permissions (project_id, document, updated_at) VALUES (?, ?, ?)
             ON CONFLICT(project_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
            id_text,
            document,
            at
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn delete_project_proxy_permissions(&self, project: &ProjectId) -> Result<()> {
        let id_text = project.as_str();
        sqlx::query!("DELETE FROM project_proxy_permissions WHERE project_id = ?", id_text)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

impl Store {
    /// A container's proxy hooks (none: no hooks).
    pub async fn proxy_hooks(&self, container: &ContainerId) -> Result<Option<ProxyHooks>> {
        let id_text = container.as_str();
        let document = sqlx::query_scalar!("SELECT document FROM proxy_hooks WHERE container_id = ?", id_text)
            .fetch_optional(&self.reader)
            .await?;
        document.map(|text| json("proxy hooks", &text)).transpose()
    }

    pub async fn set_proxy_hooks(
        &self,
        container: &ContainerId,
        hooks: &ProxyHooks,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let (id_text, document, at) = (container.as_str(), to_json(hooks), ms(at));
        sqlx::query!(
            "INSERT INTO proxy_hooks (container_id, document, updated_at) VALUES (?, ?, ?)
             ON CONFLICT(container_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
            id_text,
            document,
            at
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

impl Store {
    /// A container's firewall rules (none: no firewall).
    pub async fn firewall_rules(&self, container: &ContainerId) -> Result<Option<FirewallRules>> {
        let id_text = container.as_str();
        let document = sqlx::query_scalar!("SELECT document FROM firewall_rules WHERE container_id = ?", id_text)
            .fetch_optional(&self.reader)
            .await?;
        document.map(|text| json("firewall rules", &text)).transpose()
    }

    pub async fn set_firewall_rules(
        &self,
        container: &ContainerId,
        rules: &FirewallRules,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let (id_text, document, at) = (container.as_str(), to_json(rules), ms(at));
        sqlx::query!(
            "INSERT INTO firewall_rules (container_id, document, updated_at) VALUES (?, ?, ?)
             ON CONFLICT(container_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
            id_text,
            document,
            at
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
