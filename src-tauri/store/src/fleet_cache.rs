//! The fleet's last known containers of each server (see migration 0013).

use crate::Store;
use crate::error::Result;
use crate::rows::{json, ms, time, to_json};
use chrono::{DateTime, Utc};
use hoody_model::Container;

impl Store {
    /// Keeps `containers` as what server `name` last answered.
    pub async fn cache_fleet_list(&self, name: &str, containers: &[Container], at: DateTime<Utc>) -> Result<()> {
        let (text, at) = (to_json(containers), ms(at));
        sqlx::query!(
            "INSERT INTO fleet_cache (server, containers, fetched_at) VALUES (?, ?, ?)
             ON CONFLICT (server) DO UPDATE SET containers = excluded.containers, fetched_at = excluded.fetched_at",
            name,
            text,
            at
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// What server `name` last answered, and when.
    pub async fn fleet_list(&self, name: &str) -> Result<Option<(Vec<Container>, DateTime<Utc>)>> {
        let row = sqlx::query!("SELECT containers, fetched_at FROM fleet_cache WHERE server = ?", name)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((json("fleet cache", &r.containers)?, time(r.fetched_at)?))).transpose()
    }

    /// Forgets a server that left the fleet.
    pub async fn forget_fleet_list(&self, name: &str) -> Result<()> {
        sqlx::query!("DELETE FROM fleet_cache WHERE server = ?", name).execute(&self.writer).await?;
        Ok(())
    }
}
