//! Containers carried between servers (see `hoody_model::transfer`). An **export** is the
//! source's layer written once into a tar file of the engine's (`{data}/transfers`) with its
//! SHA-256, read from any byte offset until it is deleted or expires. An **import** is the
//! announced size and SHA-256 and a file the bytes are appended to at the offset it has got to
//! (so a cut transfer goes on where it stopped); once every byte is in and the SHA-256 holds,
//! the layer is unpacked beside the container's place and moved in, and only then is the
//! container's record written. Nothing of either survives a restart (the files are removed
//! at start; a bundle an import left without a record is the runtime's tidy's).

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use futures_util::StreamExt;
use hoody_model::validate;
use hoody_model::{
    Container, ContainerExport, ContainerId, ContainerImport, ContainerStatus, ErrorCode, EventKind, ExportCreate, Id,
    ImportCreate, Operation, ProjectId, Trigger,
};
use hoody_store::NewContainer;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

/// Bytes on their way between servers.
pub type ByteStream = Pin<Box<dyn futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send>>;

/// How long an export or an import not finished is kept.
const KEPT_FOR: chrono::Duration = chrono::Duration::hours(1);

/// How long an import's bytes may stop coming before the write gives up (keeping what came).
const STALLED: std::time::Duration = std::time::Duration::from_secs(60);

/// How much of an export file is read at a time.
const CHUNK: usize = 256 * 1024;

pub(crate) struct Transfers {
    dir: PathBuf,
    exports: Mutex<HashMap<Id, ContainerExport>>,
    /// Each import behind its own lock: one writer at a time, and no finish during a write.
    imports: Mutex<HashMap<Id, Arc<tokio::sync::Mutex<Import>>>>,
}

struct Import {
    state: ContainerImport,
    request: ImportCreate,
}

impl Transfers {
    /// The transfers kept in `dir`; what an earlier run left there goes (no record of it is left).
    pub(crate) fn new(dir: PathBuf) -> Self {
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove the transfers an earlier run left in {}: {e}", dir.display());
        }
        Self { dir, exports: Mutex::default(), imports: Mutex::default() }
    }

    /// Before a new transfer: the expired ones go, and the directory is there.
    fn make_room(&self) -> Result<()> {
        self.expire();
        crate::private::create_dir(&self.dir)
            .map_err(|e| EngineError::Runtime(format!("cannot create {}: {e}", self.dir.display())))
    }

    fn file(&self, id: &Id) -> PathBuf {
        self.dir.join(format!("{id}.tar"))
    }

    /// Forgets the transfers that have expired, and their files.
    pub(crate) fn expire(&self) {
        let now = crate::now();
        let mut gone: Vec<Id> = Vec::new();
        self.exports.lock().expect("transfers lock").retain(|id, e| {
            let keep = e.expires_at > now;
            if !keep {
                gone.push(id.clone());
            }
            keep
        });
        self.imports.lock().expect("transfers lock").retain(|id, i| {
            // One being written is not expired under its writer.
            let keep = i.try_lock().map_or(true, |i| i.state.expires_at > now);
            if !keep {
                gone.push(id.clone());
            }
            keep
        });
        for id in gone {
            let _ = std::fs::remove_file(self.file(&id));
        }
    }

    fn export(&self, id: &Id) -> Result<ContainerExport> {
        self.exports
            .lock()
            .expect("transfers lock")
            .get(id)
            .cloned()
            .ok_or_else(|| EngineError::not_found("export", id))
    }

    fn import(&self, id: &Id) -> Result<Arc<tokio::sync::Mutex<Import>>> {
        self.imports
            .lock()
            .expect("transfers lock")
            .get(id)
            .cloned()
            .ok_or_else(|| EngineError::not_found("import", id))
    }

    fn forget_import(&self, id: &Id) {
        self.imports.lock().expect("transfers lock").remove(id);
        let _ = std::fs::remove_file(self.file(id));
    }
}

impl Engine {
    /// Writes the container's layer (or its snapshot's) and settings into an export.
    pub async fn create_export(
        &self,
        caller: &Principal,
        id: &ContainerId,
        req: ExportCreate,
    ) -> Result<ContainerExport> {
        let source = self.container(caller, id).await?;
        let snapshot = match &req.source_snapshot {
            Some(name) => Some(self.snapshot_named(caller, id, name).await?),
            None => None,
        };
        self.need_runtime("exporting a container")?;
        self.inner
            .space
            .check(&format!("an export of {}", source.name), snapshot.as_ref().map_or(0, |s| s.size_bytes))?;
        let transfers = &self.inner.transfers;
        transfers.make_room()?;
        let export_id = Id::generate();
        let file = transfers.file(&export_id);
        let _guard = self.inner.locks.lock(id).await;
        // Read again under its lock: it may have moved while the lock was awaited.
        let source = self.container(caller, id).await?;
        if !source.status.can_copy() {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("cannot export a container that is {}; it must be running, paused or stopped", source.status),
            ));
        }
        let written = self.inner.runtime.export_layer(&source, snapshot.as_ref().map(|s| &s.id), &file).await;
        let digest = match written {
            Ok(()) => sha256_of(&file).await,
            Err(e) => Err(e.into()),
        };
        let (size_bytes, sha256) = match digest {
            Ok(digest) => digest,
            Err(e) => {
                let _ = std::fs::remove_file(&file);
                return Err(self.explain(e));
            }
        };
        let now = crate::now();
        let export = ContainerExport {
            id: export_id,
            container_id: source.id.clone(),
            container: source,
            source_snapshot: req.source_snapshot,
            size_bytes,
            sha256,
            created_at: now,
            expires_at: now + KEPT_FOR,
        };
        transfers.exports.lock().expect("transfers lock").insert(export.id.clone(), export.clone());
        tracing::info!(container = %id, export = %export.id, bytes = size_bytes, "exported");
        Ok(export)
    }

    /// The export, if the caller may read its container.
    pub async fn export(&self, caller: &Principal, id: &Id) -> Result<ContainerExport> {
        let export = self.inner.transfers.export(id)?;
        self.container(caller, &export.container_id).await.map_err(|_| EngineError::not_found("export", id))?;
        Ok(export)
    }

    /// The export's bytes from `offset` on.
    pub async fn export_bytes(&self, caller: &Principal, id: &Id, offset: u64) -> Result<ByteStream> {
        let export = self.export(caller, id).await?;
        if offset > export.size_bytes {
            return Err(EngineError::rule(
                ErrorCode::InvalidField,
                format!("offset: export {id} has {} bytes; {offset} is past its end", export.size_bytes),
            ));
        }
        let path = self.inner.transfers.file(id);
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| EngineError::Runtime(format!("cannot read export {id}: {e}")))?;
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(|e| EngineError::Runtime(format!("cannot read export {id}: {e}")))?;
        Ok(read_chunks(file))
    }

    /// Deletes an export and its file.
    pub async fn delete_export(&self, caller: &Principal, id: &Id) -> Result<ContainerExport> {
        let export = self.export(caller, id).await?;
        self.inner.transfers.exports.lock().expect("transfers lock").remove(id);
        let _ = std::fs::remove_file(self.inner.transfers.file(id));
        Ok(export)
    }

    /// Announces a container coming into `project_id`: checked as a copy into it would be,
    /// before any of its bytes are sent.
    pub async fn create_import(
        &self,
        caller: &Principal,
        project_id: &ProjectId,
        req: ImportCreate,
    ) -> Result<ContainerImport> {
        let project = self.project(caller, project_id).await?;
        let name = validate::container_name(req.name.as_deref().unwrap_or(&req.source.name))?;
        if let Some(key) = &req.ssh_public_key {
            validate::ssh_public_key(key)?;
        }
        let mut req = req;
        check_settings(&mut req.source)?;
        if req.sha256.len() != 64 || !req.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(EngineError::rule(
                ErrorCode::InvalidField,
                "sha256: the layer's SHA-256 is 64 lowercase hex characters",
            ));
        }
        self.need_runtime("importing a container")?;
        // The tar, and its files once unpacked.
        self.inner.space.check(&format!("importing {name}"), req.size_bytes.saturating_mul(2))?;
        let transfers = &self.inner.transfers;
        transfers.make_room()?;
        let now = crate::now();
        let state = ContainerImport {
            id: Id::generate(),
            project_id: project.id,
            container_id: ContainerId::generate(),
            name,
            size_bytes: req.size_bytes,
            received_bytes: 0,
            sha256: req.sha256.clone(),
            created_at: now,
            expires_at: now + KEPT_FOR,
        };
        std::fs::File::create(transfers.file(&state.id))
            .map_err(|e| self.explain(EngineError::Runtime(format!("cannot create the import's file: {e}"))))?;
        let import = Import { state: state.clone(), request: req };
        transfers
            .imports
            .lock()
            .expect("transfers lock")
            .insert(state.id.clone(), Arc::new(tokio::sync::Mutex::new(import)));
        Ok(state)
    }

    /// The import, if the caller may reach its project.
    pub async fn import(&self, caller: &Principal, id: &Id) -> Result<ContainerImport> {
        let import = self.inner.transfers.import(id)?;
        let state = import.lock().await.state.clone();
        self.project(caller, &state.project_id).await.map_err(|_| EngineError::not_found("import", id))?;
        Ok(state)
    }

    /// Gives up an import: its bytes go, nothing is made.
    pub async fn delete_import(&self, caller: &Principal, id: &Id) -> Result<ContainerImport> {
        let state = self.import(caller, id).await?;
        self.inner.transfers.forget_import(id);
        Ok(state)
    }

    /// Adds `bytes` to the import at `offset` (where it has got to). Bytes that stop short are
    /// kept: the rest is sent from where they stopped.
    pub async fn write_import(
        &self,
        caller: &Principal,
        id: &Id,
        offset: u64,
        mut bytes: ByteStream,
    ) -> Result<ContainerImport> {
        self.import(caller, id).await?;
        let import = self.inner.transfers.import(id)?;
        let mut import = import.lock().await;
        let (received, size) = (import.state.received_bytes, import.state.size_bytes);
        if offset != received {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("import {id} has {received} of its {size} bytes: send from byte {received} (not {offset})"),
            ));
        }
        let path = self.inner.transfers.file(id);
        let io = |e: std::io::Error| self.explain(EngineError::Runtime(format!("cannot write import {id}: {e}")));
        let mut file = tokio::fs::OpenOptions::new().write(true).open(&path).await.map_err(io)?;
        file.set_len(received).await.map_err(io)?;
        file.seek(std::io::SeekFrom::Start(received)).await.map_err(io)?;
        let mut at = received;
        let outcome = loop {
            // Bytes that stop coming without the line being closed free the import all the same.
            let Ok(next) = tokio::time::timeout(STALLED, bytes.next()).await else {
                break Err(EngineError::Unanswered(format!(
                    "the bytes of import {id} stopped coming for {} s; send the rest from where they stopped",
                    STALLED.as_secs()
                )));
            };
            match next {
                None => break Ok(()),
                Some(Ok(chunk)) if at + chunk.len() as u64 > size => {
                    break Err(EngineError::rule(
                        ErrorCode::InvalidField,
                        format!("import {id} was announced with {size} bytes; more were sent"),
                    ));
                }
                Some(Ok(chunk)) => match file.write_all(&chunk).await {
                    Ok(()) => at += chunk.len() as u64,
                    Err(e) => break Err(io(e)),
                },
                Some(Err(e)) => {
                    break Err(EngineError::Unanswered(format!(
                        "the bytes of import {id} stopped coming ({e}); send the rest from where they stopped"
                    )));
                }
            }
        };
        // What arrived whole is kept (and counted); what did not fit goes.
        let kept = match file.flush().await.and(file.set_len(at).await) {
            Ok(()) => at,
            Err(_) => received,
        };
        import.state.received_bytes = kept;
        outcome.map(|()| import.state.clone())
    }

    /// Makes the container from a complete import: its SHA-256 checked, its files in place,
    /// then its record; started if its source was running.
    pub async fn finish_import(&self, caller: &Principal, id: &Id) -> Result<Container> {
        self.import(caller, id).await?;
        let transfers = &self.inner.transfers;
        let import = transfers.import(id)?;
        let import = import.lock().await;
        let state = &import.state;
        if state.received_bytes != state.size_bytes {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!(
                    "import {id} has {} of its {} bytes: send the rest first",
                    state.received_bytes, state.size_bytes
                ),
            ));
        }
        let file = transfers.file(id);
        let (_, sha256) = sha256_of(&file).await?;
        if sha256 != state.sha256 {
            transfers.forget_import(id);
            return Err(EngineError::rule(
                ErrorCode::ChecksumMismatch,
                format!(
                    "import {id}: the bytes received have SHA-256 {sha256}, not the {} announced; nothing was made",
                    state.sha256
                ),
            ));
        }
        let made = self.make_imported(caller, &import).await;
        transfers.forget_import(id);
        let made = made?;
        if import.request.source.status != ContainerStatus::Running {
            return Ok(made);
        }
        // Its source ran, so it does; a start that fails leaves it stopped, saying why.
        match self.operate(caller, &made.id, Operation::Start).await {
            Ok(running) => Ok(running),
            Err(e) => {
                tracing::warn!(container = %made.id, "the imported container did not start: {e}");
                self.container(caller, &made.id).await
            }
        }
    }

    /// The container an import becomes, stopped: its files unpacked, then its record.
    async fn make_imported(&self, caller: &Principal, import: &Import) -> Result<Container> {
        let (state, req) = (&import.state, &import.request);
        let project = self.project(caller, &state.project_id).await?;
        let ssh = req.ssh_public_key.as_deref().map(validate::ssh_public_key).transpose()?;
        // The source's realms are another server's: the copy has the project's, as the caller's.
        let realm_ids = self.container_realms(caller, &project, &[]).await?;
        let now = crate::now();
        let container = Container {
            id: state.container_id.clone(),
            project_id: project.id.clone(),
            server_id: self.server_id().clone(),
            server_name: self.server_name().to_owned(),
            name: state.name.clone(),
            status: ContainerStatus::Stopped,
            error: None,
            realm_ids,
            ssh_public_key: ssh.as_ref().map(|k| k.openssh.clone()),
            network: req.source.network || !req.copy_network_rules.unwrap_or(false),
            // Its source is on another server: there is nothing here to sync it from.
            source_container_id: None,
            snapshot_count: 0,
            created_at: now,
            updated_at: now,
            runtime_info: None,
            urls: Default::default(),
            ..*req.source.clone()
        };
        self.inner
            .runtime
            .import_layer(&container, &self.inner.transfers.file(&state.id))
            .await
            .map_err(|e| self.explain(e.into()))?;
        let new = NewContainer {
            container: container.clone(),
            ssh_key_fingerprint: ssh.map(|k| k.fingerprint),
            project_quota: project.max_containers,
            trigger: Trigger::User,
        };
        let created = match self.inner.store.insert_container(&new).await {
            Ok(created) => created,
            Err(e) => {
                if let Err(gone) = self.inner.runtime.destroy(&container.id).await {
                    tracing::warn!(container = %container.id, "cannot remove the files of an import refused ({gone}); removed at the next start");
                }
                return Err(e.into());
            }
        };
        self.emit(EventKind::Status, &created, None, ContainerStatus::Stopped, None, Some(Trigger::User));
        let from = format!("{} on server {}", req.source.name, req.source.server_name);
        self.log_container("imported", &created, format!("Container \"{}\" was copied here from {from}", created.name));
        tracing::info!(container = %created.id, source = %req.source.id, "imported");
        Ok(created)
    }
}

/// The source's settings, held to the rules a create holds its own to (its colour written as a
/// create writes it): they come from another server, or from anyone who may create here.
fn check_settings(source: &mut Container) -> Result<()> {
    validate::container_image(&source.container_image)?;
    validate::environment_vars(&source.environment_vars)?;
    source.color = source.color.as_deref().map(validate::color).transpose()?;
    source.comment.as_deref().map(validate::comment).transpose()?;
    crate::containers::check_kits(source.hoody_kit, source.dev_kit)
}

/// The size and SHA-256 (lowercase hex) of the file at `path`.
async fn sha256_of(path: &Path) -> Result<(u64, String)> {
    let (path, shown) = (path.to_owned(), path.display().to_string());
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)?;
        let mut hasher = Sha256::new();
        let size = std::io::copy(&mut file, &mut hasher)?;
        Ok::<_, std::io::Error>((size, hex::encode(hasher.finalize())))
    })
    .await
    .map_err(|e| EngineError::Runtime(format!("the checksum was not computed: {e}")))?
    .map_err(|e| EngineError::Runtime(format!("cannot read {shown} for its checksum: {e}")))
}

/// A file's bytes from where it is positioned to its end, a chunk at a time.
fn read_chunks(file: tokio::fs::File) -> ByteStream {
    use tokio::io::AsyncReadExt;
    Box::pin(futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    }))
}
