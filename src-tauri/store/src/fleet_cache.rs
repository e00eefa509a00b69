//! The fleet's last known lists of each server, by kind (see migration 0014).

use crate::Store;
use crate::error::Result;
use crate::rows::{json, ms, time, to_json};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

impl Store {
    /// Keeps `items` as server `name`'s last list of `kind` (`containers`, `projects`).
    pub async fn cache_fleet_list<T: Serialize>(
        &self,
        name: &str,
        kind: &str,
        items: &[T],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (text, at) = (to_json(items), ms(at));
        sqlx::query!(
            "INSERT INTO fleet_lists (server, kind, items, fetched_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (server, kind) DO UPDATE SET items = excluded.items, fetched_at = excluded.fetched_at",
            name,
            kind,
            text,
            at
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Server `name`'s last list of `kind`, and when it was read.
    pub async fn fleet_list<T: DeserializeOwned>(
        &self,
        name: &str,
        kind: &str,
    ) -> Result<Option<(Vec<T>, DateTime<Utc>)>> {
        let row = sqlx::query!("SELECT items, fetched_at FROM fleet_lists WHERE server = ? AND kind = ?", name, kind)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((json("fleet list", &r.items)?, time(r.fetched_at)?))).transpose()
    }

    /// Forgets every list of a server that left the fleet.
    pub async fn forget_fleet_lists(&self, name: &str) -> Result<()> {
        sqlx::query!("DELETE FROM fleet_lists WHERE server = ?", name).execute(&self.writer).await?;
        Ok(())
    }
}
