use crate::error::{Result, StoreError};
use crate::rows::{count, id, json, ms, time, to_json};
use crate::{Store, Visible};
use chrono::{DateTime, Utc};
use hoody_model::{ContainerId, ContainerStatus, Project, ProjectId, Trigger};

#[derive(Debug)]
struct ProjectRow {
    id: String,
    alias: String,
    color: Option<String>,
    max_containers: Option<i64>,
    realm_ids: String,
    container_count: i64,
    created_at: i64,
    updated_at: i64,
}

impl ProjectRow {
    fn into_model(self) -> Result<Project> {
        Ok(Project {
            id: id("project id", &self.id)?,
            alias: self.alias,
            color: self.color,
            max_containers: self.max_containers.map(|m| u32::try_from(m).unwrap_or(u32::MAX)),
            realm_ids: json("realm_ids", &self.realm_ids)?,
            container_count: count(self.container_count),
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
        })
    }
}

impl Store {
    pub async fn insert_project(&self, p: &Project) -> Result<Project> {
        let (id_text, realms, created, updated) =
            (p.id.as_str(), to_json(&p.realm_ids), ms(p.created_at), ms(p.updated_at));
        let max = p.max_containers.map(i64::from);
        sqlx::query!(
            "INSERT INTO projects (id, alias, color, max_containers, realm_ids, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            id_text, p.alias, p.color, max, realms, created, updated
        )
        .execute(&self.writer)
        .await?;
        self.project(&p.id).await?.ok_or(StoreError::NotFound { what: "project" })
    }

    pub async fn project(&self, project: &ProjectId) -> Result<Option<Project>> {
        let id_text = project.as_str();
        let row = sqlx::query_as!(
            ProjectRow,
            r#"SELECT p.id, p.alias, p.color, p.max_containers, p.realm_ids,
                (SELECT COUNT(*) FROM containers c WHERE c.project_id = p.id AND c.status <> 'deleted') AS "container_count!: i64",
                p.created_at, p.updated_at
             FROM projects p WHERE p.id = ?"#,
            id_text
        )
        .fetch_optional(&self.reader)
        .await?;
        row.map(ProjectRow::into_model).transpose()
    }

    /// Projects visible to a caller: all of them (`None`), or those in one of its realms or
    /// granted to it.
    pub async fn list_projects(
        &self,
        visible: Option<&Visible>,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<Project>, u64)> {
        let (visible, granted) = (visible.map(Visible::realms_json), visible.map(Visible::projects_json));
        let (offset, limit) = (i64::try_from(offset).unwrap_or(i64::MAX), i64::from(limit));
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM projects p
             WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM json_each(p.realm_ids) r JOIN json_each(?1) v ON r.value = v.value)
                    OR p.id IN (SELECT value FROM json_each(?2)))"#,
            visible,
            granted
        )
        .fetch_one(&self.reader)
        .await?;
        let rows = sqlx::query_as!(
            ProjectRow,
            r#"SELECT p.id, p.alias, p.color, p.max_containers, p.realm_ids,
                (SELECT COUNT(*) FROM containers c WHERE c.project_id = p.id AND c.status <> 'deleted') AS "container_count!: i64",
                p.created_at, p.updated_at
             FROM projects p
             WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM json_each(p.realm_ids) r JOIN json_each(?1) v ON r.value = v.value)
                    OR p.id IN (SELECT value FROM json_each(?2)))
             ORDER BY p.created_at DESC, p.id
             LIMIT ?3 OFFSET ?4"#,
            visible, granted, limit, offset
        )
        .fetch_all(&self.reader)
        .await?;
        let projects = rows.into_iter().map(ProjectRow::into_model).collect::<Result<Vec<_>>>()?;
        Ok((projects, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn update_project(&self, p: &Project) -> Result<Project> {
        let (id_text, realms, updated) = (p.id.as_str(), to_json(&p.realm_ids), ms(p.updated_at));
        let max = p.max_containers.map(i64::from);
        let done = sqlx::query!(
            "UPDATE projects SET alias = ?, color = ?, max_containers = ?, realm_ids = ?, updated_at = ? WHERE id = ?",
            p.alias,
            p.color,
            max,
            realms,
            updated,
            id_text
        )
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "project" });
        }
        self.project(&p.id).await?.ok_or(StoreError::NotFound { what: "project" })
    }

    /// Deletes a project row. Its containers must already be deleted (the engine does that,
    /// since each needs the runtime); any that are not are marked deleted here, in one
    /// transaction, with a status-log entry each.
    pub async fn delete_project(&self, project: &ProjectId, at: DateTime<Utc>) -> Result<Vec<ContainerId>> {
        let id_text = project.as_str();
        let at_ms = ms(at);
        let mut tx = self.writer.begin().await?;
        let left = sqlx::query!(
            "SELECT id, status, status_since FROM containers WHERE project_id = ? AND status <> 'deleted'",
            id_text
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut swept = Vec::new();
        for row in left {
            let from = ContainerStatus::parse(&row.status).map_err(|e| StoreError::corrupt("status", e))?;
            let cid: ContainerId = id("container id", &row.id)?;
            sqlx::query!(
                "UPDATE containers SET status = 'deleted', status_since = ?, updated_at = ? WHERE id = ?",
                at_ms,
                at_ms,
                row.id
            )
            .execute(&mut *tx)
            .await?;
            crate::containers::log_in_tx(
                &mut tx,
                &cid,
                Some(from),
                ContainerStatus::Deleted,
                at_ms,
                Some(at_ms - row.status_since),
                Trigger::User,
                Some("project deleted"),
            )
            .await?;
            swept.push(cid);
        }
        let done = sqlx::query!("DELETE FROM projects WHERE id = ?", id_text).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "project" });
        }
        tx.commit().await?;
        Ok(swept)
    }
}
