//! Grants of a project to a token, and what a caller reaches through its realms and grants.

use crate::Store;
use crate::error::{Result, StoreError};
use crate::rows::{id, ms, time, to_json};
use hoody_model::{Id, PermissionLevel, ProjectId, ProjectPermission, RealmId, TokenId};

/// What a restricted caller reaches: resources in one of `realms`, and those of `projects`
/// (granted to it at the level the request needs). `None` in its place means everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visible {
    pub realms: Vec<RealmId>,
    pub projects: Vec<ProjectId>,
}

impl Visible {
    pub(crate) fn realms_json(&self) -> String {
        to_json(&self.realms)
    }

    pub(crate) fn projects_json(&self) -> String {
        to_json(&self.projects)
    }
}

#[derive(Debug)]
struct GrantRow {
    id: String,
    project_id: String,
    token_id: String,
    alias: Option<String>,
    level: String,
    granted_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl GrantRow {
    fn into_model(self) -> Result<ProjectPermission> {
        Ok(ProjectPermission {
            id: id("permission id", &self.id)?,
            project_id: id("project id", &self.project_id)?,
            user_id: id("token id", &self.token_id)?,
            user_alias: self.alias,
            permission_level: level(&self.level)?,
            granted_by: self.granted_by.as_deref().map(|t| id("token id", t)).transpose()?,
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
        })
    }
}

fn level(text: &str) -> Result<PermissionLevel> {
    PermissionLevel::parse(text).ok_or_else(|| StoreError::corrupt("permission level", text))
}

impl Store {
    /// The project's grants, oldest first, and how many there are.
    pub async fn project_permissions(
        &self,
        project: &ProjectId,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<ProjectPermission>, u64)> {
        let project = project.as_str();
        let (offset, limit) = (i64::try_from(offset).unwrap_or(i64::MAX), i64::from(limit));
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM project_permissions WHERE project_id = ?"#,
            project
        )
        .fetch_one(&self.reader)
        .await?;
        let rows = sqlx::query_as!(
            GrantRow,
            r#"SELECT g.id, g.project_id, g.token_id, t.name AS alias, g.level, g.granted_by, g.created_at, g.updated_at
             FROM project_permissions g LEFT JOIN tokens t ON t.id = g.token_id
             WHERE g.project_id = ? ORDER BY g.created_at, g.id LIMIT ? OFFSET ?"#,
            project,
            limit,
            offset
        )
        .fetch_all(&self.reader)
        .await?;
        let grants = rows.into_iter().map(GrantRow::into_model).collect::<Result<Vec<_>>>()?;
        Ok((grants, u64::try_from(total).unwrap_or(0)))
    }

    /// One grant of the project.
    pub async fn project_permission(&self, project: &ProjectId, grant: &Id) -> Result<Option<ProjectPermission>> {
        let (project, grant) = (project.as_str(), grant.as_str());
        let row = sqlx::query_as!(
            GrantRow,
            r#"SELECT g.id, g.project_id, g.token_id, t.name AS alias, g.level, g.granted_by, g.created_at, g.updated_at
             FROM project_permissions g LEFT JOIN tokens t ON t.id = g.token_id
             WHERE g.project_id = ? AND g.id = ?"#,
            project,
            grant
        )
        .fetch_optional(&self.reader)
        .await?;
        row.map(GrantRow::into_model).transpose()
    }

    /// The grant of the project to `token`, if there is one.
    pub async fn project_permission_of(&self, project: &ProjectId, token: &TokenId) -> Result<Option<Id>> {
        let (project, token) = (project.as_str(), token.as_str());
        let row = sqlx::query_scalar!(
            "SELECT id FROM project_permissions WHERE project_id = ? AND token_id = ?",
            project,
            token
        )
        .fetch_optional(&self.reader)
        .await?;
        row.map(|g| id("permission id", &g)).transpose()
    }

    pub async fn insert_project_permission(&self, grant: &ProjectPermission) -> Result<()> {
        let (gid, project, token) = (grant.id.as_str(), grant.project_id.as_str(), grant.user_id.as_str());
        let (level, by) = (grant.permission_level.as_str(), grant.granted_by.as_ref().map(TokenId::as_str));
        let (created, updated) = (ms(grant.created_at), ms(grant.updated_at));
        sqlx::query!(
            "INSERT INTO project_permissions (id, project_id, token_id, level, granted_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            gid,
            project,
            token,
            level,
            by,
            created,
            updated
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Changes a grant's level; false when it is not there.
    pub async fn update_project_permission(&self, grant: &ProjectPermission) -> Result<bool> {
        let (gid, project) = (grant.id.as_str(), grant.project_id.as_str());
        let (level, by, updated) =
            (grant.permission_level.as_str(), grant.granted_by.as_ref().map(TokenId::as_str), ms(grant.updated_at));
        let done = sqlx::query!(
            "UPDATE project_permissions SET level = ?, granted_by = ?, updated_at = ? WHERE id = ? AND project_id = ?",
            level,
            by,
            updated,
            gid,
            project
        )
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes a grant; false when it was not there.
    pub async fn delete_project_permission(&self, project: &ProjectId, grant: &Id) -> Result<bool> {
        let (project, grant) = (project.as_str(), grant.as_str());
        let done = sqlx::query!("DELETE FROM project_permissions WHERE id = ? AND project_id = ?", grant, project)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every project granted to `token`, with its level.
    pub async fn grants_of(&self, token: &TokenId) -> Result<Vec<(ProjectId, PermissionLevel)>> {
        let token = token.as_str();
        let rows = sqlx::query!("SELECT project_id, level FROM project_permissions WHERE token_id = ?", token)
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter().map(|r| Ok((id("project id", &r.project_id)?, level(&r.level)?))).collect()
    }
}
