use crate::Store;
use crate::error::Result;
use crate::rows::{id, ms, time};
use chrono::{DateTime, Utc};
use hoody_model::ServerId;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerRecord {
    pub id: ServerId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

const LOCAL_SERVER_KEY: &str = "local_server_id";

impl Store {
    /// Makes `server` this engine's server (rebuilding a database: the id containers name).
    pub async fn adopt_server(&self, server: &ServerRecord) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let (id, created) = (server.id.as_str(), ms(server.created_at));
        sqlx::query!("INSERT INTO servers (id, name, created_at) VALUES (?, ?, ?)", id, server.name, created)
            .execute(&mut *tx)
            .await?;
        sqlx::query!("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", LOCAL_SERVER_KEY, id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The server this engine runs on, created with `name` on first use.
    pub async fn local_server(&self, name: &str, now: DateTime<Utc>) -> Result<ServerRecord> {
        let mut tx = self.writer.begin().await?;
        let existing = sqlx::query_scalar!("SELECT value FROM meta WHERE key = ?", LOCAL_SERVER_KEY)
            .fetch_optional(&mut *tx)
            .await?;
        let server_id = match existing {
            Some(v) => v,
            None => {
                let new_id = ServerId::generate().to_string();
                let created = ms(now);
                sqlx::query!("INSERT INTO servers (id, name, created_at) VALUES (?, ?, ?)", new_id, name, created)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query!("INSERT INTO meta (key, value) VALUES (?, ?)", LOCAL_SERVER_KEY, new_id)
                    .execute(&mut *tx)
                    .await?;
                new_id
            }
        };
        // The name may be changed by configuration between runs; the id never changes.
        // Only when it changed: a start on a full disk writes nothing here.
        sqlx::query!("UPDATE servers SET name = ? WHERE id = ? AND name <> ?", name, server_id, name)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query!("SELECT id, name, created_at FROM servers WHERE id = ?", server_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ServerRecord { id: id("server id", &row.id)?, name: row.name, created_at: time(row.created_at)? })
    }
}
