use crate::Store;
use crate::error::Result;
use crate::error::StoreError;
use crate::rows::{id, ms, time};
use chrono::{DateTime, Utc};
use hoody_model::{ContainerId, Snapshot, SnapshotId};

impl Store {
    pub async fn snapshots(&self, container: &ContainerId) -> Result<Vec<Snapshot>> {
        let id_text = container.as_str();
        let rows = sqlx::query!(
            "SELECT id, container_id, name, created_at, expires_at, size_bytes FROM snapshots WHERE container_id = ? ORDER BY created_at, id",
            id_text
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Snapshot {
                    alias: r.name.clone(),
                    id: id("snapshot id", &r.id)?,
                    container_id: id("container id", &r.container_id)?,
                    name: r.name,
                    created_at: time(r.created_at)?,
                    expires_at: r.expires_at.map(time).transpose()?,
                    size_bytes: u64::try_from(r.size_bytes).unwrap_or(0),
                })
            })
            .collect()
    }

    pub async fn insert_snapshot(&self, s: &Snapshot) -> Result<()> {
        let (id, container, created, expires) =
            (s.id.as_str(), s.container_id.as_str(), ms(s.created_at), s.expires_at.map(ms));
        let size = i64::try_from(s.size_bytes).unwrap_or(i64::MAX);
        sqlx::query!(
            "INSERT INTO snapshots (id, container_id, name, created_at, expires_at, size_bytes) VALUES (?, ?, ?, ?, ?, ?)",
            id,
            container,
            s.name,
            created,
            expires,
            size
        )
        .execute(&self.writer)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::DuplicateSnapshot { name: s.name.clone() }
            }
            _ => StoreError::from(e),
        })?;
        Ok(())
    }

    /// Gives the snapshot `id` the name `name` (unique among its container's snapshots).
    pub async fn rename_snapshot(&self, id: &SnapshotId, name: &str) -> Result<()> {
        let id = id.as_str();
        sqlx::query!("UPDATE snapshots SET name = ? WHERE id = ?", name, id).execute(&self.writer).await.map_err(
            |e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::DuplicateSnapshot { name: name.to_owned() }
                }
                _ => StoreError::from(e),
            },
        )?;
        Ok(())
    }

    pub async fn delete_snapshot(&self, id: &SnapshotId) -> Result<()> {
        let id = id.as_str();
        sqlx::query!("DELETE FROM snapshots WHERE id = ?", id).execute(&self.writer).await?;
        Ok(())
    }

    /// Snapshots whose expiry has passed at `now`, of any container.
    pub async fn expired_snapshots(&self, now: DateTime<Utc>) -> Result<Vec<SnapshotId>> {
        let now = ms(now);
        let rows =
            sqlx::query_scalar!("SELECT id FROM snapshots WHERE expires_at IS NOT NULL AND expires_at <= ?", now)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(|r| id("snapshot id", r)).collect()
    }
}

impl Store {
    /// Every snapshot's id, of any container.
    pub async fn snapshot_ids(&self) -> Result<Vec<SnapshotId>> {
        let rows = sqlx::query_scalar!("SELECT id FROM snapshots").fetch_all(&self.reader).await?;
        rows.iter().map(|r| id("snapshot id", r)).collect()
    }

    /// Whether any container was ever recorded (deleted ones included).
    pub async fn ever_had_containers(&self) -> Result<bool> {
        let n = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM containers"#).fetch_one(&self.reader).await?;
        Ok(n > 0)
    }

    pub async fn count_containers(&self) -> Result<u32> {
        let n = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM containers WHERE status <> 'deleted'"#)
            .fetch_one(&self.reader)
            .await?;
        Ok(crate::rows::count(n))
    }
}
