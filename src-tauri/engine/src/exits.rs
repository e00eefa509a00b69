//! Containers that stop by themselves: their init exits (it crashed, was killed, or halted from
//! inside). The runtime tells the moment it happens (a pidfd on Linux), and the engine settles
//! the container as stopped with the reason, so store and runtime agree without waiting for a
//! restart, and the desktop can say so.

use crate::Engine;
use hoody_model::{ContainerId, ContainerStatus, Trigger};
use hoody_runtime::RuntimeState;
use std::sync::Weak;

/// The reason a container that stopped by itself carries (its event's trigger says `system`).
pub const STOPPED_UNEXPECTEDLY: &str = "stopped unexpectedly: its init exited";

impl Engine {
    /// Watches a running container's init; one watcher per container (a new one replaces it).
    pub(crate) fn watch_exit(&self, id: &ContainerId) {
        let inner: Weak<_> = std::sync::Arc::downgrade(&self.inner);
        let runtime = self.inner.runtime.clone();
        let watched = id.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = runtime.wait_exit(&watched).await {
                tracing::warn!(container = %watched, "cannot watch the container's init: {e}");
                return;
            }
            // The engine may be gone by now; then there is nothing to tell.
            if let Some(inner) = inner.upgrade() {
                Engine { inner }.settle_exit(&watched).await;
            }
        });
        let mut watchers = self.inner.exit_watchers.lock().expect("exit watchers");
        watchers.retain(|_, w| !w.is_finished());
        if let Some(old) = watchers.insert(id.clone(), task.abort_handle()) {
            old.abort();
        }
    }

    /// Watches every container the store says runs (after a restart of the engine).
    pub(crate) async fn watch_running(&self) -> crate::error::Result<()> {
        for (id, status) in self.inner.store.container_statuses().await? {
            if matches!(status, ContainerStatus::Running | ContainerStatus::Paused) {
                self.watch_exit(&id);
            }
        }
        Ok(())
    }

    /// The init of `id` exited: unless the engine itself stopped, restarted or deleted the
    /// container meanwhile, it stopped by itself.
    async fn settle_exit(&self, id: &ContainerId) {
        let guard = self.inner.locks.lock(id).await;
        let Ok(Some(c)) = self.inner.store.container(id).await else { return };
        if !matches!(c.status, ContainerStatus::Running | ContainerStatus::Paused) {
            return;
        }
        match self.inner.runtime.state(id).await {
            // Started again since (a restart): watch its new init. (The pause keeps a runtime
            // that still reports an exiting init as running from spinning.)
            Ok(RuntimeState::Running | RuntimeState::Paused) => {
                drop(guard);
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                self.watch_exit(id);
                return;
            }
            Err(e) => {
                tracing::warn!(container = %id, "its init exited, and the runtime cannot say more: {e}");
                return;
            }
            Ok(RuntimeState::Stopped | RuntimeState::Absent) => {}
        }
        // In its own words, when its console said why (read before the stop clears anything).
        let stopped = match self.inner.runtime.last_words(id).await {
            Some(words) => format!("{STOPPED_UNEXPECTEDLY} ({words})"),
            None => STOPPED_UNEXPECTEDLY.to_owned(),
        };
        // Clear what the runtime still holds (mounts, runc state), as a stop does.
        let (to, reason) = match self.inner.runtime.stop(&c, true).await {
            Ok(_) => (ContainerStatus::Stopped, stopped),
            Err(e) => (ContainerStatus::Failed, format!("{stopped}, and cleaning up failed: {e}")),
        };
        tracing::warn!(container = %id, "{reason}");
        if let Err(e) = self.record_status(&c, to, Some(reason), Trigger::System).await {
            tracing::warn!(container = %id, "recording the stop: {e}");
        }
    }
}
