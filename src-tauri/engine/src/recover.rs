//! `hoodyd recover`: a new database rebuilt from the data directory when the old one is lost or
//! damaged — from the records the engine keeps beside it (records.rs), checked against what is
//! on disk — or put back from one of the rolling backups (backups.rs). The old database, if
//! any, is moved aside (never deleted) so that nothing is lost twice.

use crate::records::Records;
use crate::{EngineError, Result};
use hoody_model::{ContainerStatus, Project, Trigger, validate};
use hoody_store::{DB_FILE, NewContainer, Store};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What a recovery found and did, to tell the user.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Where the old database went (None: there was none).
    pub moved_aside: Option<PathBuf>,
    pub realms: usize,
    pub projects: usize,
    /// Containers recovered (deleted ones included: their snapshots stay attributable).
    pub containers: usize,
    pub snapshots: usize,
    /// What was found but not taken back, and why.
    pub skipped: Vec<String>,
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(old) = &self.moved_aside {
            writeln!(f, "the old database is kept as {}", old.display())?;
        }
        writeln!(
            f,
            "recovered {} realms, {} projects, {} containers and {} snapshots",
            self.realms, self.projects, self.containers, self.snapshots
        )?;
        for skipped in &self.skipped {
            writeln!(f, "not recovered: {skipped}")?;
        }
        write!(f, "API tokens other than the admin token (admin.token) and the desktop's must be created again")
    }
}

/// `what` went wrong with the database of `data_dir`, and the two ways back.
pub fn ways_back(data_dir: &Path, what: &str) -> String {
    let dir = data_dir.display();
    let backup = match crate::backups::backups(data_dir).first() {
        Some(newest) => format!(
            "put back the newest backup ({}) with `hoodyd recover --data-dir {dir} --from-backup latest`",
            newest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ),
        None => format!("there is no backup in {dir}/backups to put back"),
    };
    format!(
        "{what}. Rebuild it from the data directory with `hoodyd recover --data-dir {dir}` (projects, containers and snapshots come back from their records), or {backup}. The damaged file is kept aside either way."
    )
}

/// Puts the backup `backup` in place of the database of `data_dir` (moved aside first).
pub fn restore_backup(data_dir: &Path, backup: &Path) -> Result<Option<PathBuf>> {
    let _lock = crate::data_lock::DataDirLock::take(data_dir)?;
    if !backup.is_file() {
        return Err(EngineError::NotFound { what: "backup", id: backup.display().to_string() });
    }
    let aside = move_aside(data_dir)?;
    let db = data_dir.join(DB_FILE);
    std::fs::copy(backup, &db)
        .map_err(|e| EngineError::Runtime(format!("cannot copy {} to {}: {e}", backup.display(), db.display())))?;
    Ok(aside)
}

/// Moves the database of `data_dir` (and its WAL files) aside: `hoody.db.broken-TIME`.
pub(crate) fn move_aside(data_dir: &Path) -> Result<Option<PathBuf>> {
    let db = data_dir.join(DB_FILE);
    if !db.exists() {
        return Ok(None);
    }
    let stamp = crate::now().format("%Y%m%d-%H%M%S");
    let aside = data_dir.join(format!("{DB_FILE}.broken-{stamp}"));
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", aside.display()));
            std::fs::rename(&from, &to).map_err(|e| {
                EngineError::Runtime(format!("cannot move {} aside to {}: {e}", from.display(), to.display()))
            })?;
        }
    }
    Ok(Some(aside))
}

/// Rebuilds the database of `data_dir` from its records. The engine must not be running on it.
pub async fn recover(data_dir: &Path) -> Result<Recovery> {
    let _lock = crate::data_lock::DataDirLock::take(data_dir)?;
    let found = Records::new(data_dir).read();
    let Some(server) = found.server else {
        return Err(EngineError::NotFound {
            what: "record of this data directory",
            id: format!(
                "({} has no records/server.json: an engine of this version never ran on it, so there is nothing to rebuild from; put back a backup instead)",
                data_dir.display()
            ),
        });
    };
    let mut report = Recovery { moved_aside: move_aside(data_dir)?, ..Default::default() };
    report.skipped.extend(found.unreadable.iter().map(|f| format!("{f} (unreadable)")));
    let store = Store::open(data_dir).await?;
    store.adopt_server(&server).await?;
    for realm in &found.realms {
        store.insert_realm(realm).await?;
        report.realms += 1;
    }
    let mut projects: HashSet<_> = HashSet::new();
    for project in &found.projects {
        store.insert_project(project).await?;
        projects.insert(project.id.clone());
        report.projects += 1;
    }
    let mut containers = found.containers;
    containers.sort_by_key(|c| c.created_at);
    let mut recovered = HashSet::new();
    for c in containers {
        if !projects.contains(&c.project_id) {
            // Its project's record is gone (damaged): the container keeps a project of its id.
            let project = Project {
                id: c.project_id.clone(),
                alias: format!("recovered-{}", &c.project_id.as_str()[..6.min(c.project_id.as_str().len())]),
                color: None,
                max_containers: None,
                realm_ids: c.realm_ids.clone(),
                container_count: 0,
                created_at: c.created_at,
                updated_at: crate::now(),
            };
            store.insert_project(&project).await?;
            projects.insert(project.id.clone());
            report.projects += 1;
            report.skipped.push(format!("the record of project {} (made again as {})", project.id, project.alias));
        }
        let layer = data_dir.join("runtime/containers").join(c.id.as_str());
        let c = if c.status != ContainerStatus::Deleted && !c.status.is_transitional() && !layer.exists() {
            report.skipped.push(format!("the files of container {} ({}): marked failed", c.name, c.id));
            hoody_model::Container {
                status: ContainerStatus::Failed,
                error: Some("its files were not found when the database was rebuilt".into()),
                ..c
            }
        } else {
            c
        };
        let fingerprint =
            c.ssh_public_key.as_deref().and_then(|k| validate::ssh_public_key(k).ok()).map(|k| k.fingerprint);
        let new = NewContainer {
            container: c.clone(),
            ssh_key_fingerprint: fingerprint,
            project_quota: None,
            trigger: Trigger::Reconcile,
        };
        match store.insert_container(&new).await {
            // A deleted container is stored, and not shown (insert answers what is shown).
            Ok(_) | Err(hoody_store::StoreError::NotFound { .. }) => {
                recovered.insert(c.id.clone());
                report.containers += 1;
            }
            Err(e) => report.skipped.push(format!("container {} ({}): {e}", c.name, c.id)),
        }
    }
    for snapshot in &found.snapshots {
        if !recovered.contains(&snapshot.container_id) {
            report.skipped.push(format!("snapshot {} (its container is not recovered)", snapshot.name));
        } else if !data_dir.join("runtime/snapshots").join(snapshot.id.as_str()).exists() {
            report
                .skipped
                .push(format!("snapshot {} of {} (its files are gone)", snapshot.name, snapshot.container_id));
        } else {
            store.insert_snapshot(snapshot).await?;
            report.snapshots += 1;
        }
    }
    store.close().await;
    Ok(report)
}
