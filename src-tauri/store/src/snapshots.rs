use crate::Store;
use crate::error::Result;
use crate::rows::{id, time};
use hoody_model::{ContainerId, Snapshot};

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
}

impl Store {
    /// Images in the local store, by alias.
    pub async fn images(&self) -> Result<Vec<hoody_model::Image>> {
        let rows = sqlx::query!(
            "SELECT alias, os, release, fingerprint, size_bytes, description, created_at FROM images ORDER BY alias"
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(hoody_model::Image {
                    alias: r.alias,
                    os: r.os,
                    release: r.release,
                    fingerprint: r.fingerprint,
                    size_bytes: u64::try_from(r.size_bytes).unwrap_or(0),
                    description: r.description,
                    created_at: time(r.created_at)?,
                })
            })
            .collect()
    }

    pub async fn count_containers(&self) -> Result<u32> {
        let n = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM containers WHERE status <> 'deleted'"#)
            .fetch_one(&self.reader)
            .await?;
        Ok(crate::rows::count(n))
    }
}
