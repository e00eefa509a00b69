//! Storage shares' rows: who gives which directory to whom, and which targets chose not to
//! mount one.

use crate::Store;
use crate::error::Result;
use crate::rows::{id, ms, time};
use chrono::{DateTime, Utc};
use hoody_model::{ContainerId, Id, ProjectId};

/// A share as stored (what is derived from it — its name, status, size — is the engine's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    pub id: Id,
    pub source_container_id: ContainerId,
    pub source_path: String,
    pub target_container_id: Option<ContainerId>,
    pub target_project_id: Option<ProjectId>,
    pub mode: String,
    pub alias: Option<String>,
    pub label: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug)]
struct ShareRow {
    id: String,
    source_container_id: String,
    source_path: String,
    target_container_id: Option<String>,
    target_project_id: Option<String>,
    mode: String,
    alias: Option<String>,
    label: Option<String>,
    description: Option<String>,
    enabled: bool,
    expires_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl ShareRow {
    fn into_record(self) -> Result<ShareRecord> {
        Ok(ShareRecord {
            id: id("share id", &self.id)?,
            source_container_id: id("container id", &self.source_container_id)?,
            source_path: self.source_path,
            target_container_id: self.target_container_id.as_deref().map(|c| id("container id", c)).transpose()?,
            target_project_id: self.target_project_id.as_deref().map(|p| id("project id", p)).transpose()?,
            mode: self.mode,
            alias: self.alias,
            label: self.label,
            description: self.description,
            enabled: self.enabled,
            expires_at: self.expires_at.map(time).transpose()?,
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
        })
    }
}

fn records(rows: Vec<ShareRow>) -> Result<Vec<ShareRecord>> {
    rows.into_iter().map(ShareRow::into_record).collect()
}

impl Store {
    pub async fn insert_share(&self, s: &ShareRecord) -> Result<()> {
        let (sid, source) = (s.id.as_str(), s.source_container_id.as_str());
        let target_c = s.target_container_id.as_ref().map(ContainerId::as_str);
        let target_p = s.target_project_id.as_ref().map(ProjectId::as_str);
        let (expires, created, updated) = (s.expires_at.map(ms), ms(s.created_at), ms(s.updated_at));
        sqlx::query!(
            "INSERT INTO storage_shares (id, source_container_id, source_path, target_container_id, target_project_id,
               mode, alias, label, description, enabled, expires_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            sid,
            source,
            s.source_path,
            target_c,
            target_p,
            s.mode,
            s.alias,
            s.label,
            s.description,
            s.enabled,
            expires,
            created,
            updated
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// What of a share can change: its mode, names, state and expiry.
    pub async fn update_share(&self, s: &ShareRecord) -> Result<bool> {
        let sid = s.id.as_str();
        let (expires, updated) = (s.expires_at.map(ms), ms(s.updated_at));
        let done = sqlx::query!(
            "UPDATE storage_shares SET mode = ?, alias = ?, label = ?, description = ?, enabled = ?, expires_at = ?,
               updated_at = ? WHERE id = ?",
            s.mode,
            s.alias,
            s.label,
            s.description,
            s.enabled,
            expires,
            updated,
            sid
        )
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn delete_share(&self, share: &Id) -> Result<bool> {
        let sid = share.as_str();
        let done = sqlx::query!("DELETE FROM storage_shares WHERE id = ?", sid).execute(&self.writer).await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn share(&self, share: &Id) -> Result<Option<ShareRecord>> {
        let sid = share.as_str();
        let row = sqlx::query_as!(
            ShareRow,
            r#"SELECT id, source_container_id, source_path, target_container_id, target_project_id, mode, alias, label,
                 description, enabled AS "enabled: bool", expires_at, created_at, updated_at
             FROM storage_shares WHERE id = ?"#,
            sid
        )
        .fetch_optional(&self.reader)
        .await?;
        row.map(ShareRow::into_record).transpose()
    }

    /// The shares a container gives, oldest first.
    pub async fn shares_from(&self, source: &ContainerId) -> Result<Vec<ShareRecord>> {
        let source = source.as_str();
        let rows = sqlx::query_as!(
            ShareRow,
            r#"SELECT id, source_container_id, source_path, target_container_id, target_project_id, mode, alias, label,
                 description, enabled AS "enabled: bool", expires_at, created_at, updated_at
             FROM storage_shares WHERE source_container_id = ? ORDER BY created_at, id"#,
            source
        )
        .fetch_all(&self.reader)
        .await?;
        records(rows)
    }

    /// The shares a container receives: given to it, or to its project by another container.
    pub async fn shares_to(&self, target: &ContainerId, project: &ProjectId) -> Result<Vec<ShareRecord>> {
        let (target, project) = (target.as_str(), project.as_str());
        let rows = sqlx::query_as!(
            ShareRow,
            r#"SELECT id, source_container_id, source_path, target_container_id, target_project_id, mode, alias, label,
                 description, enabled AS "enabled: bool", expires_at, created_at, updated_at
             FROM storage_shares
             WHERE (target_container_id = ?1 OR target_project_id = ?2) AND source_container_id <> ?1
             ORDER BY created_at, id"#,
            target,
            project
        )
        .fetch_all(&self.reader)
        .await?;
        records(rows)
    }

    /// Whether `container` chose not to mount `share`.
    pub async fn share_unmounted(&self, share: &Id, container: &ContainerId) -> Result<bool> {
        let (sid, cid) = (share.as_str(), container.as_str());
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM storage_share_unmounted WHERE share_id = ? AND container_id = ?"#,
            sid,
            cid
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(n > 0)
    }

    /// Records whether `container` mounts `share` when it starts.
    pub async fn set_share_mount(&self, share: &Id, container: &ContainerId, mount: bool) -> Result<()> {
        let (sid, cid) = (share.as_str(), container.as_str());
        match mount {
            true => {
                sqlx::query!("DELETE FROM storage_share_unmounted WHERE share_id = ? AND container_id = ?", sid, cid)
                    .execute(&self.writer)
                    .await
                    .map(drop)?
            }
            false => sqlx::query!(
                "INSERT OR IGNORE INTO storage_share_unmounted (share_id, container_id) VALUES (?, ?)",
                sid,
                cid
            )
            .execute(&self.writer)
            .await
            .map(drop)?,
        }
        Ok(())
    }
}
