//! On start, bring the store in line with what the runtime holds. Containers outlive the
//! engine: one found running stays running, one found gone becomes stopped (or starts again
//! after a host reboot when it has autostart), and work the engine was doing when it stopped
//! (a create, a copy, a delete) is finished or marked failed.

use crate::Engine;
use crate::error::{EngineError, Result};
use hoody_model::{Container, ContainerStatus, Trigger};
use hoody_runtime::RuntimeState;

impl Engine {
    pub(crate) async fn reconcile(&self) -> Result<()> {
        let runtime = &self.inner.runtime;
        // Without a runtime, "nothing is running" says nothing about the containers.
        let runtime_available = runtime.unavailable_reason().is_none();
        let rebooted = runtime.host_rebooted();
        for (id, status) in self.inner.store.container_statuses().await? {
            let Some(c) = self.inner.store.container(&id).await? else { continue };
            if status == ContainerStatus::Failed || (!runtime_available && !status.is_transitional()) {
                continue;
            }
            // One container the runtime cannot account for must not keep the engine from starting.
            if let Err(e) = self.reconcile_one(&c, rebooted).await {
                tracing::warn!(container = %id, "cannot reconcile it with the runtime: {e}");
                if status.is_transitional() {
                    let error = format!("the engine could not finish its work on the container after a restart: {e}");
                    match self.record_status(&c, ContainerStatus::Failed, Some(error), Trigger::Reconcile).await {
                        // A full disk keeps the record for the next start, not the engine down.
                        Err(EngineError::NoSpace(why)) => tracing::warn!(container = %id, "not recorded: {why}"),
                        other => drop(other?),
                    }
                }
            }
        }
        Ok(())
    }

    /// Removes what interrupted work left that no record names (half-made imports, the files
    /// of a container or snapshot whose record never came or is gone), so that store, runtime
    /// and disk agree. A database that never recorded a container beside container files is
    /// not a reason to delete them (it is a new or replaced database: `hoodyd recover`).
    pub(crate) async fn tidy(&self) -> Result<()> {
        let store = &self.inner.store;
        let containers: std::collections::HashSet<_> =
            store.container_statuses().await?.into_iter().map(|(id, _)| id).collect();
        let snapshots = store.snapshot_ids().await?.into_iter().collect();
        let has_files = std::fs::read_dir(self.inner.data_dir.join("runtime/containers"))
            .is_ok_and(|mut d| d.any(|e| e.is_ok_and(|e| !e.file_name().to_string_lossy().starts_with("pool-"))));
        if !store.ever_had_containers().await? && has_files {
            tracing::warn!(
                "container files without any record in the database: left alone (hoodyd recover rebuilds it)"
            );
            return Ok(());
        }
        for removed in self.inner.runtime.tidy(&containers, &snapshots).await? {
            tracing::info!("after a restart: removed {removed}");
        }
        Ok(())
    }

    async fn reconcile_one(&self, c: &Container, rebooted: bool) -> Result<()> {
        let runtime = &self.inner.runtime;
        if c.status == ContainerStatus::Deleting {
            runtime.destroy(&c.id).await?;
            return self.record_status(c, ContainerStatus::Deleted, None, Trigger::Reconcile).await.map(drop);
        }
        let seen = runtime.state(&c.id).await?;
        let Some((to, error)) = self.settle_status(c, seen, rebooted).await else { return Ok(()) };
        tracing::info!(container = %c.id, "reconciled {} → {to}", c.status);
        let trigger = if rebooted && to == ContainerStatus::Running && !c.status.is_transitional() {
            Trigger::Autostart
        } else {
            Trigger::Reconcile
        };
        self.record_status(c, to, error, trigger).await.map(drop)
    }

    /// The status `c` should have given what the runtime sees (None: it already has it),
    /// doing the runtime work that gets it there.
    async fn settle_status(
        &self,
        c: &Container,
        seen: RuntimeState,
        rebooted: bool,
    ) -> Option<(ContainerStatus, Option<String>)> {
        use ContainerStatus::*;
        let runtime = &self.inner.runtime;
        let interrupted = |what: &str| {
            Some((
                Failed,
                Some(format!("the engine stopped while the container was {what}; delete it and create it again")),
            ))
        };
        let start = || async {
            match runtime.start(c).await {
                Ok(()) => Some((Running, None)),
                Err(e) => Some((Failed, Some(format!("start failed: {e}")))),
            }
        };
        match (c.status, seen) {
            (Running, RuntimeState::Running) | (Paused, RuntimeState::Paused) => None,
            (_, RuntimeState::Running) => Some((Running, None)),
            (Running, RuntimeState::Paused) => Some((Paused, None)),
            // Paused by nobody we know of: thaw it, so store and runtime agree on running.
            (_, RuntimeState::Paused) => match runtime.resume(c).await {
                Ok(()) => Some((Running, None)),
                Err(e) => Some((Failed, Some(format!("resume failed: {e}")))),
            },
            // Its layers exist and are complete: finish the create by starting it.
            (Creating | Claiming, RuntimeState::Stopped) => start().await,
            // A copy may have been cut off halfway.
            (Copying, RuntimeState::Stopped | RuntimeState::Absent) => interrupted("being copied"),
            (Creating | Claiming, RuntimeState::Absent) => interrupted("being created"),
            (Running | Paused, RuntimeState::Stopped) if rebooted && c.autostart => start().await,
            // Its init is gone; clear what the runtime still holds (mounts, runc state).
            (Running | Paused, RuntimeState::Stopped) => match runtime.stop(c, true).await {
                Ok(_) => Some((Stopped, None)),
                Err(e) => Some((Failed, Some(format!("cleaning up after the container stopped failed: {e}")))),
            },
            // Nothing to change, but a crash mid-stop may have left a mount or runc state.
            (Stopped, RuntimeState::Stopped) => {
                if let Err(e) = runtime.stop(c, true).await {
                    tracing::warn!(container = %c.id, "cleaning up a stopped container: {e}");
                }
                None
            }
            (_, RuntimeState::Absent) => Some((Failed, Some("the container's files are gone from this server".into()))),
            _ => None,
        }
    }
}
