//! One async lock per container, so two requests never drive the runtime on the same
//! container at once (a stop racing a pause, a delete racing a start).

use hoody_model::ContainerId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Default)]
pub(crate) struct ContainerLocks {
    map: Mutex<HashMap<ContainerId, Arc<AsyncMutex<()>>>>,
}

impl ContainerLocks {
    pub(crate) async fn lock(&self, id: &ContainerId) -> OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.map.lock().expect("container lock map");
            // Drop entries nobody holds, so the map stays as small as the work in flight.
            map.retain(|_, l| Arc::strong_count(l) > 1);
            map.entry(id.clone()).or_default().clone()
        };
        lock.lock_owned().await
    }
}
