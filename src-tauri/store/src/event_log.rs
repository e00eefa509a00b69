//! The event log's rows. Every read and removal takes the same filter, so its queries share one
//! `WHERE` clause (built at run time: the clause is the same text for each of them).

use crate::error::{Result, StoreError};
use crate::rows::{id, json, ms, time, to_json};
use crate::{Store, Visible};
use hoody_model::{EventFilter, EventListQuery, EventStats, Id, LoggedEvent, SortOrder};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Row};

/// The filter's conditions, `?1`…`?10` in the order [`bind_filter`] binds them.
const WHERE: &str = "WHERE (?1 IS NULL OR event_type = ?1)
   AND (?2 IS NULL OR resource_type = ?2)
   AND (?3 IS NULL OR resource_id = ?3)
   AND (?4 IS NULL OR project_id = ?4)
   AND (?5 IS NULL OR container_id = ?5)
   AND (?6 IS NULL OR EXISTS (SELECT 1 FROM json_each(realm_ids) r WHERE r.value = ?6))
   AND (?7 IS NULL OR created_at >= ?7)
   AND (?8 IS NULL OR created_at < ?8)
   AND (?9 IS NULL OR EXISTS (SELECT 1 FROM json_each(realm_ids) r JOIN json_each(?9) v ON r.value = v.value)
        OR project_id IN (SELECT value FROM json_each(?10)))";

const COLUMNS: &str =
    "id, event_type, message, resource_type, resource_id, project_id, container_id, realm_ids, created_at";

/// The filter's values; `visible` (None: everything) limits what a restricted caller reaches.
fn bind_filter(filter: &EventFilter, visible: Option<&Visible>) -> Result<SqliteArguments> {
    let mut args = SqliteArguments::default();
    let text = |v: Option<&str>| v.map(str::to_owned);
    args.add(text(filter.event_type.as_deref())).map_err(encode)?;
    args.add(text(filter.resource_type.as_deref())).map_err(encode)?;
    args.add(text(filter.resource_id.as_deref())).map_err(encode)?;
    args.add(filter.project_id.as_ref().map(|p| p.as_str().to_owned())).map_err(encode)?;
    args.add(filter.container_id.as_ref().map(|c| c.as_str().to_owned())).map_err(encode)?;
    args.add(filter.realm_id.as_ref().map(|r| r.as_str().to_owned())).map_err(encode)?;
    args.add(filter.since.map(ms)).map_err(encode)?;
    args.add(filter.before.map(ms)).map_err(encode)?;
    args.add(visible.map(Visible::realms_json)).map_err(encode)?;
    args.add(visible.map(Visible::projects_json)).map_err(encode)?;
    Ok(args)
}

/// A query built from this file's constant fragments and numbers only: every value the caller
/// gives is bound, never written into the text.
fn sql(text: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text)
}

fn encode(e: sqlx::error::BoxDynError) -> StoreError {
    StoreError::from(sqlx::Error::Encode(e))
}

fn event_of(row: &SqliteRow) -> Result<LoggedEvent> {
    let optional = |name: &str| row.try_get::<Option<String>, _>(name);
    Ok(LoggedEvent {
        id: id("event id", &row.try_get::<String, _>("id")?)?,
        event_type: row.try_get("event_type")?,
        message: row.try_get("message")?,
        resource_type: row.try_get("resource_type")?,
        resource_id: row.try_get("resource_id")?,
        project_id: optional("project_id")?.map(|p| id("project id", &p)).transpose()?,
        container_id: optional("container_id")?.map(|c| id("container id", &c)).transpose()?,
        realm_ids: json("event realm ids", &row.try_get::<String, _>("realm_ids")?)?,
        created_at: time(row.try_get("created_at")?)?,
    })
}

impl Store {
    /// Appends entries to the log, in one transaction.
    pub async fn log_events(&self, events: &[LoggedEvent]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for e in events {
            sqlx::query(
                "INSERT INTO event_log (id, event_type, message, resource_type, resource_id, project_id, container_id,
                   realm_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(e.id.as_str())
            .bind(&e.event_type)
            .bind(&e.message)
            .bind(&e.resource_type)
            .bind(&e.resource_id)
            .bind(e.project_id.as_ref().map(|p| p.as_str()))
            .bind(e.container_id.as_ref().map(|c| c.as_str()))
            .bind(to_json(&e.realm_ids))
            .bind(ms(e.created_at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A window of the entries `query` asks for, and how many match in all.
    pub async fn events(&self, query: &EventListQuery, visible: Option<&Visible>) -> Result<(Vec<LoggedEvent>, u64)> {
        let total: i64 = sqlx::query_scalar_with(
            sql(format!("SELECT COUNT(*) FROM event_log {WHERE}")),
            bind_filter(&query.filter, visible)?,
        )
        .fetch_one(&self.reader)
        .await?;
        let order = match query.sort_order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
        let rows = sqlx::query_with(
            sql(format!(
                "SELECT {COLUMNS} FROM event_log {WHERE} ORDER BY created_at {order}, rowid {order} LIMIT {} OFFSET {}",
                query.limit,
                i64::try_from(query.offset).unwrap_or(i64::MAX)
            )),
            bind_filter(&query.filter, visible)?,
        )
        .fetch_all(&self.reader)
        .await?;
        let events = rows.iter().map(event_of).collect::<Result<Vec<_>>>()?;
        Ok((events, u64::try_from(total).unwrap_or(0)))
    }

    /// One entry, if it is there and visible.
    pub async fn event(&self, event: &Id, visible: Option<&Visible>) -> Result<Option<LoggedEvent>> {
        let mut args = bind_filter(&EventFilter::default(), visible)?;
        args.add(event.as_str().to_owned()).map_err(encode)?;
        let row = sqlx::query_with(sql(format!("SELECT {COLUMNS} FROM event_log {WHERE} AND id = ?11")), args)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(event_of).transpose()
    }

    /// Removes the entries that match (and are visible); answers how many went.
    pub async fn delete_events(&self, filter: &EventFilter, visible: Option<&Visible>) -> Result<u64> {
        let done = sqlx::query_with(sql(format!("DELETE FROM event_log {WHERE}")), bind_filter(filter, visible)?)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    /// Removes one entry; false when it was not there (or not visible).
    pub async fn delete_event(&self, event: &Id, visible: Option<&Visible>) -> Result<bool> {
        let mut args = bind_filter(&EventFilter::default(), visible)?;
        args.add(event.as_str().to_owned()).map_err(encode)?;
        let done = sqlx::query_with(sql(format!("DELETE FROM event_log {WHERE} AND id = ?11")), args)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Counts of the entries that match, by type and by resource, and the span they cover.
    pub async fn event_stats(&self, filter: &EventFilter, visible: Option<&Visible>) -> Result<EventStats> {
        let rows = sqlx::query_with(
            sql(format!(
                "SELECT event_type, resource_type, COUNT(*) AS n, MIN(created_at) AS first, MAX(created_at) AS last
                 FROM event_log {WHERE} GROUP BY event_type, resource_type"
            )),
            bind_filter(filter, visible)?,
        )
        .fetch_all(&self.reader)
        .await?;
        let mut stats = EventStats::default();
        for row in &rows {
            let n = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0);
            let (first, last) = (time(row.try_get("first")?)?, time(row.try_get("last")?)?);
            stats.total += n;
            *stats.by_type.entry(row.try_get("event_type")?).or_default() += n;
            *stats.by_resource_type.entry(row.try_get("resource_type")?).or_default() += n;
            stats.first_at = Some(stats.first_at.map_or(first, |f| f.min(first)));
            stats.last_at = Some(stats.last_at.map_or(last, |l| l.max(last)));
        }
        Ok(stats)
    }

    /// Keeps the newest `keep` entries; answers how many older ones went.
    pub async fn trim_event_log(&self, keep: u64) -> Result<u64> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let done = sqlx::query(
            "DELETE FROM event_log WHERE rowid IN
               (SELECT rowid FROM event_log ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
        )
        .bind(keep)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}
