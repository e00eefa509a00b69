//! What the database holds, also on disk: one small JSON file per thing, written atomically at
//! every change, so that `hoodyd recover` can rebuild a lost or damaged database from the data
//! directory alone (as `incus admin recover` does from what is on disk).
//!
//! `DIR/records/server.json`, `realms/ID.json`, `projects/ID.json`, and for each container its
//! own directory `containers/ID/` with `container.json` and `snapshots/SNAPSHOT.json`.
//! A record that cannot be written (a full disk) is logged, not fatal: the database stays the
//! truth, and the next change writes the record again.

use hoody_model::{Container, ContainerId, Project, ProjectId, Realm, Snapshot};
use hoody_store::ServerRecord;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Records {
    dir: PathBuf,
}

/// Everything the records of a data directory hold, and what could not be read.
#[derive(Debug, Default)]
pub struct Found {
    pub server: Option<ServerRecord>,
    pub realms: Vec<Realm>,
    pub projects: Vec<Project>,
    pub containers: Vec<Container>,
    pub snapshots: Vec<Snapshot>,
    /// Files that are not records of this kind (damaged, half-written by another program).
    pub unreadable: Vec<String>,
}

impl Records {
    pub fn new(data_dir: &Path) -> Self {
        Self { dir: data_dir.join("records") }
    }

    /// Whether records were ever written here.
    pub fn exist(&self) -> bool {
        self.dir.join("server.json").exists()
    }

    pub(crate) fn server(&self, server: &ServerRecord) {
        self.write(&self.dir.join("server.json"), server);
    }

    pub(crate) fn realm(&self, realm: &Realm) {
        self.write(&self.dir.join("realms").join(format!("{}.json", realm.id)), realm);
    }

    pub(crate) fn project(&self, project: &Project) {
        self.write(&self.project_file(&project.id), project);
    }

    pub(crate) fn project_gone(&self, id: &ProjectId) {
        let _ = std::fs::remove_file(self.project_file(id));
    }

    /// A container as it is now (a deleted one keeps its record: its snapshots outlive it).
    pub(crate) fn container(&self, c: &Container) {
        // What the runtime says of it now is not a record.
        let recorded = Container { runtime_info: None, urls: Default::default(), ..c.clone() };
        self.write(&self.container_dir(&c.id).join("container.json"), &recorded);
    }

    pub(crate) fn snapshot(&self, s: &Snapshot) {
        self.write(&self.snapshot_file(s), s);
    }

    pub(crate) fn snapshot_gone(&self, s: &Snapshot) {
        let _ = std::fs::remove_file(self.snapshot_file(s));
    }

    /// A snapshot gone whose container is not at hand (expired): looked for in every
    /// container's records.
    pub(crate) fn snapshot_id_gone(&self, id: &hoody_model::SnapshotId) {
        for dir in entries(&self.dir.join("containers")) {
            let _ = std::fs::remove_file(dir.join("snapshots").join(format!("{id}.json")));
        }
    }

    fn project_file(&self, id: &ProjectId) -> PathBuf {
        self.dir.join("projects").join(format!("{id}.json"))
    }

    fn container_dir(&self, id: &ContainerId) -> PathBuf {
        self.dir.join("containers").join(id.as_str())
    }

    fn snapshot_file(&self, s: &Snapshot) -> PathBuf {
        self.container_dir(&s.container_id).join("snapshots").join(format!("{}.json", s.id))
    }

    /// Writes `value` to `path` whole or not at all: a temporary file, flushed to the disk, then
    /// renamed over the old record.
    fn write(&self, path: &Path, value: &impl Serialize) {
        let json = serde_json::to_vec_pretty(value).expect("records serialise to JSON");
        let temp = path.with_extension("json.partial");
        let written = path
            .parent()
            .map_or(Ok(()), crate::private::create_dir)
            .and_then(|()| crate::private::write_private(&temp, &json))
            .and_then(|()| std::fs::rename(&temp, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            tracing::warn!("the record {} is not written ({e}); the next change writes it again", path.display());
        }
    }

    /// Everything recorded in this data directory.
    pub fn read(&self) -> Found {
        let mut found = Found::default();
        let mut unreadable = Vec::new();
        found.server = read_one(&self.dir.join("server.json"), &mut unreadable);
        found.realms = read_all(&self.dir.join("realms"), &mut unreadable);
        found.projects = read_all(&self.dir.join("projects"), &mut unreadable);
        for dir in entries(&self.dir.join("containers")) {
            if let Some(c) = read_one::<Container>(&dir.join("container.json"), &mut unreadable) {
                found.containers.push(c);
            }
            found.snapshots.extend(read_all::<Snapshot>(&dir.join("snapshots"), &mut unreadable));
        }
        found.unreadable = unreadable;
        found
    }
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    paths.sort();
    paths
}

fn read_all<T: DeserializeOwned>(dir: &Path, unreadable: &mut Vec<String>) -> Vec<T> {
    entries(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| read_one(&p, unreadable))
        .collect()
}

fn read_one<T: DeserializeOwned>(path: &Path, unreadable: &mut Vec<String>) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(value) => Some(value),
        Err(e) => {
            unreadable.push(format!("{}: {e}", path.display()));
            None
        }
    }
}

/// Writes a record of everything the database holds (a data directory from before records).
pub(crate) async fn write_all(store: &hoody_store::Store, records: &Records) -> crate::Result<()> {
    for realm in store.realms().await? {
        records.realm(&realm);
    }
    let (projects, _) = store.list_projects(None, 0, u32::MAX).await?;
    for project in &projects {
        records.project(project);
    }
    for (id, _) in store.container_statuses().await? {
        if let Some(c) = store.container(&id).await? {
            records.container(&c);
        }
        for snapshot in store.snapshots(&id).await? {
            records.snapshot(&snapshot);
        }
    }
    Ok(())
}
