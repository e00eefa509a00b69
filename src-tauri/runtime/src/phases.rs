//! Where a container's lifecycle spends its time: each step of a create or a boot is a phase,
//! reported when it ends as a `tracing` event of target [`TARGET`] with the fields `phase` (its
//! name) and `micros`. The lifecycle benchmark collects them with a subscriber of its own; a
//! log filter of `hoody_runtime::phase=trace` shows them. Without a subscriber that wants them
//! an event costs a check of a cached flag.

use std::time::Instant;

/// The events' target.
pub const TARGET: &str = "hoody_runtime::phase";

/// A phase under way; it ends (and is reported) when dropped, on success or error alike.
#[derive(Debug)]
#[must_use = "a phase ends when dropped"]
pub struct Phase {
    name: &'static str,
    started: Instant,
}

/// Starts timing the phase `name`.
pub fn phase(name: &'static str) -> Phase {
    Phase { name, started: Instant::now() }
}

/// Runs the step `work` as the phase `name`.
pub async fn timed<T>(name: &'static str, work: impl Future<Output = T>) -> T {
    let _phase = phase(name);
    work.await
}

impl Drop for Phase {
    fn drop(&mut self) {
        let micros = self.started.elapsed().as_micros() as u64;
        tracing::trace!(target: TARGET, phase = self.name, micros);
    }
}
