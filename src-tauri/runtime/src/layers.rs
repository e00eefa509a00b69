//! Snapshots and copies: copies of a container's upper layer. A running container is frozen
//! while its layer is copied, so the copy is consistent, and thawed afterwards.

use crate::error::{Result, RuntimeError};
use crate::local::{Instance, LocalRuntime, blocking};
use crate::prepare::InitKind;
use hoody_model::{ContainerId, SnapshotId, WorkProgress};
use std::path::{Path, PathBuf};

/// Runs `work` with the slot's container frozen if it is running.
async fn frozen<T: Send + 'static>(
    rt: &LocalRuntime,
    id: &str,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let freeze = matches!(rt.runc.state(id).await?, Some(s) if s.status == "running");
    if freeze {
        rt.runc.pause(id).await?;
    }
    let result = blocking(work).await;
    if freeze {
        rt.runc.resume(id).await?;
    }
    result
}

pub async fn snapshot(rt: &LocalRuntime, slot: &str, snapshot: &SnapshotId) -> Result<u64> {
    let instance = rt.instance(slot)?;
    let upper = rt.bundle(slot).upper();
    let dir = rt.layout.snapshot(snapshot);
    let files = rt.files.clone();
    frozen(rt, slot, move || {
        std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::io("cannot create the snapshot", e))?;
        let result = files.copy_tree(&upper, &dir.join("upper")).and_then(|()| {
            let json = serde_json::to_vec_pretty(&instance).map_err(|e| RuntimeError::Failed(e.to_string()))?;
            std::fs::write(dir.join("instance.json"), json).map_err(|e| RuntimeError::io("snapshot record", e))
        });
        if result.is_err() {
            let _ = files.remove_tree(&dir);
        }
        result.map(|()| files.size(&dir))
    })
    .await
}

pub async fn restore(rt: &LocalRuntime, slot: &str, snapshot: &SnapshotId) -> Result<()> {
    let saved = rt.layout.snapshot(snapshot).join("upper");
    if !saved.is_dir() {
        return Err(RuntimeError::Invalid(format!("snapshot {snapshot} has no saved files on this server")));
    }
    let bundle = rt.bundle(slot);
    let files = rt.files.clone();
    blocking(move || {
        let (upper, work) = (bundle.upper(), bundle.work());
        let incoming = sibling(&upper, "upper.restoring");
        let outgoing = sibling(&upper, "upper.replaced");
        files.remove_tree(&incoming)?;
        if let Err(e) = files.copy_tree(&saved, &incoming) {
            // A copy cut short (a full disk) leaves nothing: the container keeps its files.
            let _ = files.remove_tree(&incoming);
            return Err(e);
        }
        files.rename(&upper, &outgoing)?;
        files.rename(&incoming, &upper)?;
        // overlayfs' work dir must be empty and belong to the same upper layer.
        files.remove_tree(&work)?;
        std::fs::create_dir(&work).map_err(|e| RuntimeError::io("cannot make the overlay's work dir", e))?;
        files.remove_tree(&outgoing)
    })
    .await
}

pub async fn copy(rt: &LocalRuntime, source: &str, target: &ContainerId) -> Result<()> {
    let Instance { image, init, .. } = rt.instance(source)?;
    let from = rt.bundle(source).upper();
    let bundle = rt.make_bundle(target.as_str(), &image, init)?;
    let to = bundle.upper();
    // How far the copy has got: the bytes written so far against the source's, every half second.
    let sink = rt.progress_sink();
    let files = rt.files.clone();
    let total = match &sink {
        Some(_) => {
            let (files, from) = (files.clone(), from.clone());
            blocking(move || Ok(files.size(&from))).await?
        }
        None => 0,
    };
    let report = sink.clone().map(|sink| {
        let (to, target, files) = (to.clone(), target.clone(), files.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(COPY_REPORT_EVERY).await;
                let (measured, files) = (to.clone(), files.clone());
                let Ok(done) = tokio::task::spawn_blocking(move || files.size(&measured)).await else { return };
                sink(&target, WorkProgress { stage: "copying files".into(), done: done.min(total), total });
            }
        })
    });
    let copied = frozen(rt, source, move || {
        files.remove_tree(&to)?;
        let copied = files.copy_tree(&from, &to);
        if copied.is_err() {
            // What a cut-short copy wrote goes (a full disk gets its room back); the failed
            // copy is left without a layer until it is deleted.
            let _ = files.remove_tree(&to);
        }
        copied
    })
    .await;
    if let Some(report) = report {
        report.abort();
    }
    if let (Ok(()), Some(sink)) = (&copied, sink) {
        sink(target, WorkProgress { stage: "copying files".into(), done: total, total });
    }
    copied
}

/// Writes the layer of the container in `slot` (or of its snapshot) into `to` as one tar.
pub async fn export(rt: &LocalRuntime, slot: &str, snapshot: Option<&SnapshotId>, to: &Path) -> Result<()> {
    let dir = match snapshot {
        Some(snapshot) => rt.layout.snapshot(snapshot).join("upper"),
        None => rt.bundle(slot).upper(),
    };
    if !dir.is_dir() {
        return Err(RuntimeError::Invalid(format!("there are no files at {} to export", dir.display())));
    }
    let file = std::fs::File::create(to).map_err(|e| RuntimeError::io(format!("cannot create {}", to.display()), e))?;
    let files = rt.files.clone();
    let work = move || files.archive(&dir, file);
    match snapshot {
        // A snapshot's files do not change: no need to freeze anything.
        Some(_) => blocking(work).await,
        None => frozen(rt, slot, work).await,
    }
}

/// Gives container `target` a bundle on `image` and the files of the tar at `from`: unpacked
/// beside its (empty) layer and moved into place, so it has all of them or none.
pub async fn import(rt: &LocalRuntime, target: &ContainerId, image: &str, init: InitKind, from: &Path) -> Result<()> {
    let bundle = rt.make_bundle(target.as_str(), image, init)?;
    let tar = std::fs::File::open(from).map_err(|e| RuntimeError::io(format!("cannot read {}", from.display()), e))?;
    let files = rt.files.clone();
    blocking(move || {
        let upper = bundle.upper();
        let incoming = sibling(&upper, "upper.importing");
        let unpacked = files
            .remove_tree(&incoming)
            .and_then(|()| files.make_dirs(&[&incoming]))
            .and_then(|()| files.unpack(tar, &incoming))
            .and_then(|()| files.remove_tree(&upper))
            .and_then(|()| files.rename(&incoming, &upper));
        if unpacked.is_err() {
            // Nothing half-made stays: the bundle goes with what was unpacked.
            let _ = files.remove_tree(&bundle.dir);
        }
        unpacked
    })
    .await
}

/// How often a copy reports how far it has got.
const COPY_REPORT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

fn sibling(path: &Path, name: &str) -> PathBuf {
    path.with_file_name(name)
}
