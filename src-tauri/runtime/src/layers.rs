//! Snapshots and copies: copies of a container's upper layer. A running container is frozen
//! while its layer is copied, so the copy is consistent, and thawed afterwards.

use crate::error::{Result, RuntimeError};
use crate::images::{run, tree_size};
use crate::local::{Instance, LocalRuntime, blocking};
use hoody_model::{ContainerId, SnapshotId, WorkProgress};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `cp -a`: keeps owners, modes, xattrs and overlayfs whiteouts.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    run(Command::new("cp").arg("-a").arg("--reflink=auto").arg(from).arg(to))
}

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
    frozen(rt, slot, move || {
        std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::io("cannot create the snapshot", e))?;
        let result = copy_tree(&upper, &dir.join("upper")).and_then(|()| {
            let json = serde_json::to_vec_pretty(&instance).map_err(|e| RuntimeError::Failed(e.to_string()))?;
            std::fs::write(dir.join("instance.json"), json).map_err(|e| RuntimeError::io("snapshot record", e))
        });
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result.map(|()| tree_size(&dir))
    })
    .await
}

pub async fn restore(rt: &LocalRuntime, slot: &str, snapshot: &SnapshotId) -> Result<()> {
    let saved = rt.layout.snapshot(snapshot).join("upper");
    if !saved.is_dir() {
        return Err(RuntimeError::Invalid(format!("snapshot {snapshot} has no saved files on this server")));
    }
    let bundle = rt.bundle(slot);
    blocking(move || {
        let (upper, work) = (bundle.upper(), bundle.work());
        let incoming = sibling(&upper, "upper.restoring");
        let outgoing = sibling(&upper, "upper.replaced");
        let _ = std::fs::remove_dir_all(&incoming);
        copy_tree(&saved, &incoming)?;
        let io = |e| RuntimeError::io("cannot swap in the snapshot's files", e);
        std::fs::rename(&upper, &outgoing).map_err(io)?;
        std::fs::rename(&incoming, &upper).map_err(io)?;
        // overlayfs' work dir must be empty and belong to the same upper layer.
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).map_err(io)?;
        std::fs::remove_dir_all(&outgoing).map_err(io)
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
    let total = match &sink {
        Some(_) => {
            blocking({
                let from = from.clone();
                move || Ok(tree_size(&from))
            })
            .await?
        }
        None => 0,
    };
    let report = sink.clone().map(|sink| {
        let (to, target) = (to.clone(), target.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(COPY_REPORT_EVERY).await;
                let measured = to.clone();
                let Ok(done) = tokio::task::spawn_blocking(move || tree_size(&measured)).await else { return };
                sink(&target, WorkProgress { stage: "copying files".into(), done: done.min(total), total });
            }
        })
    });
    let copied = frozen(rt, source, move || {
        std::fs::remove_dir(&to).map_err(|e| RuntimeError::io("preparing the copy", e))?;
        copy_tree(&from, &to)
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

/// How often a copy reports how far it has got.
const COPY_REPORT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

fn sibling(path: &Path, name: &str) -> PathBuf {
    path.with_file_name(name)
}
