use crate::error::{Result, StoreError, container_conflict};
use crate::rows::{count, id, json, ms, time, to_json};
use crate::{Store, Visible};
use chrono::{DateTime, Utc};
use hoody_model::{
    Container, ContainerId, ContainerListQuery, ContainerStatus, Id, ProjectId, SortOrder, StatusLogEntry, Trigger,
};

/// A container row as selected with its server's name and snapshot count.
#[derive(Debug)]
struct ContainerRow {
    id: String,
    project_id: String,
    server_id: String,
    server_name: String,
    name: String,
    status: String,
    error: Option<String>,
    container_image: String,
    hoody_kit: bool,
    dev_kit: bool,
    realm_ids: String,
    environment_vars: String,
    ssh_public_key: Option<String>,
    color: Option<String>,
    comment: Option<String>,
    autostart: bool,
    ai: bool,
    cache: bool,
    prespawn: bool,
    ramdisk: bool,
    network: bool,
    nesting: bool,
    source_container_id: Option<String>,
    snapshot_count: i64,
    created_at: i64,
    updated_at: i64,
}

impl ContainerRow {
    fn into_model(self) -> Result<Container> {
        Ok(Container {
            id: id("container id", &self.id)?,
            project_id: id("project id", &self.project_id)?,
            server_id: id("server id", &self.server_id)?,
            server_name: self.server_name,
            name: self.name,
            status: ContainerStatus::parse(&self.status).map_err(|e| StoreError::corrupt("status", e))?,
            error: self.error,
            container_image: self.container_image,
            hoody_kit: self.hoody_kit,
            dev_kit: self.dev_kit,
            realm_ids: json("realm_ids", &self.realm_ids)?,
            environment_vars: json("environment_vars", &self.environment_vars)?,
            ssh_public_key: self.ssh_public_key,
            color: self.color,
            comment: self.comment,
            autostart: self.autostart,
            ai: self.ai,
            cache: self.cache,
            prespawn: self.prespawn,
            ramdisk: self.ramdisk,
            network: self.network,
            nesting: self.nesting,
            source_container_id: self
                .source_container_id
                .as_deref()
                .map(|s| id("source container id", s))
                .transpose()?,
            snapshot_count: count(self.snapshot_count),
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
            runtime_info: None,
            urls: Default::default(),
        })
    }
}

/// A container to insert, with the SSH key fingerprint that keeps keys unique.
#[derive(Debug, Clone)]
pub struct NewContainer {
    pub container: Container,
    pub ssh_key_fingerprint: Option<String>,
    /// The project's `max_containers`, checked in the same transaction as the insert.
    pub project_quota: Option<u32>,
    pub trigger: Trigger,
}

/// A move of the status machine, recorded with its log entry in one transaction.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub id: ContainerId,
    /// The status the caller saw; the change is refused if the row moved on meanwhile.
    pub from: ContainerStatus,
    pub to: ContainerStatus,
    /// What to show as the container's `error` from now on (None clears it).
    pub error: Option<String>,
    pub reason: Option<String>,
    pub trigger: Trigger,
    pub at: DateTime<Utc>,
}

/// Who is asking: None sees everything; Some reaches only containers in one of its realms or
/// in one of its projects.
#[derive(Debug, Clone, Default)]
pub struct ContainerFilter {
    pub visible: Option<Visible>,
}

impl Store {
    pub async fn insert_container(&self, new: &NewContainer) -> Result<Container> {
        let c = &new.container;
        let mut tx = self.writer.begin().await?;
        if let Some(max) = new.project_quota {
            let project_id = c.project_id.as_str();
            let n = sqlx::query_scalar!(
                r#"SELECT COUNT(*) AS "n!: i64" FROM containers WHERE project_id = ? AND status <> 'deleted'"#,
                project_id
            )
            .fetch_one(&mut *tx)
            .await?;
            if n >= i64::from(max) {
                return Err(StoreError::QuotaExceeded { max, count: count(n) });
            }
        }
        let (id, project_id, server_id, status) =
            (c.id.as_str(), c.project_id.as_str(), c.server_id.as_str(), c.status.as_str());
        let (realm_ids, env) = (to_json(&c.realm_ids), to_json(&c.environment_vars));
        let source = c.source_container_id.as_ref().map(|s| s.as_str());
        let (created, updated) = (ms(c.created_at), ms(c.updated_at));
        sqlx::query!(
            "INSERT INTO containers (id, project_id, server_id, name, status, status_since, error, container_image,
                hoody_kit, dev_kit, realm_ids, environment_vars, ssh_public_key, ssh_key_fingerprint, color, comment,
                autostart, ai, cache, prespawn, ramdisk, network, nesting, source_container_id, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            id,
            project_id,
            server_id,
            c.name,
            status,
            created,
            c.error,
            c.container_image,
            c.hoody_kit,
            c.dev_kit,
            realm_ids,
            env,
            c.ssh_public_key,
            new.ssh_key_fingerprint,
            c.color,
            c.comment,
            c.autostart,
            c.ai,
            c.cache,
            c.prespawn,
            c.ramdisk,
            c.network,
            c.nesting,
            source,
            created,
            updated
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| container_conflict(e, &c.name))?;
        log_in_tx(&mut tx, &c.id, None, c.status, created, None, new.trigger, None).await?;
        tx.commit().await?;
        self.container(&c.id).await?.ok_or(StoreError::NotFound { what: "container" })
    }

    /// The container with this id, unless it is deleted.
    pub async fn container(&self, id: &ContainerId) -> Result<Option<Container>> {
        let id = id.as_str();
        let row = sqlx::query_as!(
            ContainerRow,
            r#"SELECT c.id, c.project_id, c.server_id, s.name AS server_name, c.name, c.status, c.error,
                c.container_image, c.hoody_kit AS "hoody_kit: bool", c.dev_kit AS "dev_kit: bool", c.realm_ids,
                c.environment_vars, c.ssh_public_key, c.color, c.comment, c.autostart AS "autostart: bool",
                c.ai AS "ai: bool", c.cache AS "cache: bool", c.prespawn AS "prespawn: bool", c.ramdisk AS "ramdisk: bool", c.network AS "network: bool", c.nesting AS "nesting: bool",
                c.source_container_id,
                (SELECT COUNT(*) FROM snapshots sn WHERE sn.container_id = c.id) AS "snapshot_count!: i64",
                c.created_at, c.updated_at
             FROM containers c JOIN servers s ON s.id = c.server_id
             WHERE c.id = ? AND c.status <> 'deleted'"#,
            id
        )
        .fetch_optional(&self.reader)
        .await?;
        row.map(ContainerRow::into_model).transpose()
    }

    /// One page of containers and the total that match, newest first unless asked otherwise.
    pub async fn list_containers(
        &self,
        q: &ContainerListQuery,
        filter: &ContainerFilter,
    ) -> Result<(Vec<Container>, u64)> {
        let project = q.project_id.as_ref().map(|p| p.as_str());
        let status = q.status.map(|s| s.as_str());
        let realm = q.realm_id.as_ref().map(|r| r.as_str());
        let visible = filter.visible.as_ref().map(Visible::realms_json);
        let granted = filter.visible.as_ref().map(Visible::projects_json);
        let sort = q.sort_by.as_str();
        let order = match q.sort_order {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        };
        let limit = i64::from(q.page.limit);
        let offset = i64::try_from(q.page.offset()).unwrap_or(i64::MAX);
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM containers c
             WHERE c.status <> 'deleted'
               AND (?1 IS NULL OR c.project_id = ?1)
               AND (?2 IS NULL OR c.status = ?2)
               AND (?3 IS NULL OR instr(lower(c.name), lower(?3)) > 0)
               AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(c.realm_ids) r WHERE r.value = ?4))
               AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(c.realm_ids) r JOIN json_each(?5) v ON r.value = v.value)
                    OR c.project_id IN (SELECT value FROM json_each(?6)))"#,
            project, status, q.name, realm, visible, granted
        )
        .fetch_one(&self.reader)
        .await?;
        let rows = sqlx::query_as!(
            ContainerRow,
            r#"SELECT c.id, c.project_id, c.server_id, s.name AS server_name, c.name, c.status, c.error,
                c.container_image, c.hoody_kit AS "hoody_kit: bool", c.dev_kit AS "dev_kit: bool", c.realm_ids,
                c.environment_vars, c.ssh_public_key, c.color, c.comment, c.autostart AS "autostart: bool",
                c.ai AS "ai: bool", c.cache AS "cache: bool", c.prespawn AS "prespawn: bool", c.ramdisk AS "ramdisk: bool", c.network AS "network: bool", c.nesting AS "nesting: bool",
                c.source_container_id,
                (SELECT COUNT(*) FROM snapshots sn WHERE sn.container_id = c.id) AS "snapshot_count!: i64",
                c.created_at, c.updated_at
             FROM containers c JOIN servers s ON s.id = c.server_id
             WHERE c.status <> 'deleted'
               AND (?1 IS NULL OR c.project_id = ?1)
               AND (?2 IS NULL OR c.status = ?2)
               AND (?3 IS NULL OR instr(lower(c.name), lower(?3)) > 0)
               AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(c.realm_ids) r WHERE r.value = ?4))
               AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(c.realm_ids) r JOIN json_each(?5) v ON r.value = v.value)
                    OR c.project_id IN (SELECT value FROM json_each(?6)))
             ORDER BY
               CASE WHEN ?8 = 'asc' THEN CASE ?7 WHEN 'name' THEN c.name WHEN 'status' THEN c.status
                    WHEN 'updated_at' THEN c.updated_at ELSE c.created_at END END ASC,
               CASE WHEN ?8 = 'desc' THEN CASE ?7 WHEN 'name' THEN c.name WHEN 'status' THEN c.status
                    WHEN 'updated_at' THEN c.updated_at ELSE c.created_at END END DESC,
               c.id ASC
             LIMIT ?9 OFFSET ?10"#,
            project, status, q.name, realm, visible, granted, sort, order, limit, offset
        )
        .fetch_all(&self.reader)
        .await?;
        let containers = rows.into_iter().map(ContainerRow::into_model).collect::<Result<Vec<_>>>()?;
        Ok((containers, u64::try_from(total).unwrap_or(0)))
    }

    /// Ids and statuses of every living container, for reconciling with the runtime.
    pub async fn container_statuses(&self) -> Result<Vec<(ContainerId, ContainerStatus)>> {
        let rows = sqlx::query!(r#"SELECT id, status FROM containers WHERE status <> 'deleted' ORDER BY created_at"#)
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter()
            .map(|r| {
                let status = ContainerStatus::parse(&r.status).map_err(|e| StoreError::corrupt("status", e))?;
                Ok((id("container id", &r.id)?, status))
            })
            .collect()
    }

    /// The names of the living containers made from each image alias, by alias.
    pub async fn image_users(&self) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
        let rows = sqlx::query!(
            r#"SELECT container_image, name FROM containers WHERE status <> 'deleted' ORDER BY container_image, name"#
        )
        .fetch_all(&self.reader)
        .await?;
        let mut users = std::collections::BTreeMap::<String, Vec<String>>::new();
        for r in rows {
            users.entry(r.container_image).or_default().push(r.name);
        }
        Ok(users)
    }

    /// Ids of the living containers of a project.
    pub async fn project_container_ids(&self, project: &ProjectId) -> Result<Vec<ContainerId>> {
        let project = project.as_str();
        let rows =
            sqlx::query_scalar!("SELECT id FROM containers WHERE project_id = ? AND status <> 'deleted'", project)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(|r| id("container id", r)).collect()
    }

    /// Writes every updatable column of `c`. The status is left alone: it only moves through
    /// [`Store::change_status`].
    pub async fn update_container(&self, c: &Container, ssh_key_fingerprint: Option<&str>) -> Result<Container> {
        let id_text = c.id.as_str();
        let (realm_ids, env) = (to_json(&c.realm_ids), to_json(&c.environment_vars));
        let updated = ms(c.updated_at);
        let done = sqlx::query!(
            "UPDATE containers SET name = ?, realm_ids = ?, environment_vars = ?, ssh_public_key = ?,
                ssh_key_fingerprint = ?, color = ?, comment = ?, autostart = ?, ai = ?, cache = ?, ramdisk = ?,
                network = ?, nesting = ?, updated_at = ?
             WHERE id = ? AND status <> 'deleted'",
            c.name,
            realm_ids,
            env,
            c.ssh_public_key,
            ssh_key_fingerprint,
            c.color,
            c.comment,
            c.autostart,
            c.ai,
            c.cache,
            c.ramdisk,
            c.network,
            c.nesting,
            updated,
            id_text
        )
        .execute(&self.writer)
        .await
        .map_err(|e| container_conflict(e, &c.name))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "container" });
        }
        self.container(&c.id).await?.ok_or(StoreError::NotFound { what: "container" })
    }

    /// Moves a container's status and appends the status log, atomically. Refused with
    /// [`StoreError::StatusChanged`] when the row is no longer in `change.from`.
    pub async fn change_status(&self, change: &StatusChange) -> Result<()> {
        let id_text = change.id.as_str();
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query!("SELECT status, status_since FROM containers WHERE id = ?", id_text)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound { what: "container" })?;
        let actual = ContainerStatus::parse(&row.status).map_err(|e| StoreError::corrupt("status", e))?;
        if actual != change.from {
            return Err(StoreError::StatusChanged { actual });
        }
        let (to, at) = (change.to.as_str(), ms(change.at));
        sqlx::query!(
            "UPDATE containers SET status = ?, status_since = ?, error = ?, updated_at = ? WHERE id = ?",
            to,
            at,
            change.error,
            at,
            id_text
        )
        .execute(&mut *tx)
        .await?;
        let duration = Some((at - row.status_since).max(0));
        log_in_tx(
            &mut tx,
            &change.id,
            Some(change.from),
            change.to,
            at,
            duration,
            change.trigger,
            change.reason.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn status_logs(&self, container: &ContainerId) -> Result<Vec<StatusLogEntry>> {
        let id_text = container.as_str();
        let rows = sqlx::query!(
            "SELECT id, container_id, from_status, to_status, at, duration_ms, triggered_by, reason
             FROM status_logs WHERE container_id = ? ORDER BY at, rowid",
            id_text
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                let status = |s: &str| ContainerStatus::parse(s).map_err(|e| StoreError::corrupt("status", e));
                Ok(StatusLogEntry {
                    id: id("status log id", &r.id)?,
                    container_id: id("container id", &r.container_id)?,
                    from_status: r.from_status.as_deref().map(status).transpose()?,
                    to_status: status(&r.to_status)?,
                    at: time(r.at)?,
                    duration_ms: r.duration_ms.map(|d| u64::try_from(d).unwrap_or(0)),
                    triggered_by: Trigger::parse(&r.triggered_by)
                        .ok_or_else(|| StoreError::corrupt("trigger", &r.triggered_by))?,
                    reason: r.reason,
                })
            })
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn log_in_tx(
    tx: &mut sqlx::SqliteConnection,
    container: &ContainerId,
    from: Option<ContainerStatus>,
    to: ContainerStatus,
    at: i64,
    duration_ms: Option<i64>,
    trigger: Trigger,
    reason: Option<&str>,
) -> Result<()> {
    let log_id = Id::generate();
    let (log_id, container, from, to, trigger) =
        (log_id.as_str(), container.as_str(), from.map(|s| s.as_str()), to.as_str(), trigger.as_str());
    sqlx::query!(
        "INSERT INTO status_logs (id, container_id, from_status, to_status, at, duration_ms, triggered_by, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        log_id,
        container,
        from,
        to,
        at,
        duration_ms,
        trigger,
        reason
    )
    .execute(tx)
    .await?;
    Ok(())
}

impl Store {
    /// Breaks the link of every copy of `source` (it is being deleted; the copies live on).
    pub async fn unlink_copies(&self, source: &ContainerId) -> Result<u64> {
        let id_text = source.as_str();
        let done =
            sqlx::query!("UPDATE containers SET source_container_id = NULL WHERE source_container_id = ?", id_text)
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// The realms and project of a container, deleted or not (its snapshots outlive it).
    pub async fn container_place_any_status(
        &self,
        id: &ContainerId,
    ) -> Result<Option<(Vec<hoody_model::RealmId>, ProjectId)>> {
        let id = id.as_str();
        let row = sqlx::query!("SELECT realm_ids, project_id FROM containers WHERE id = ?", id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((json("realm ids", &r.realm_ids)?, crate::rows::id("project id", &r.project_id)?))).transpose()
    }
}
