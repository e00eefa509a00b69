//! The fleet's one stream of changes: every member's container events merged, and requests to
//! read everything again when changes may have been missed (a slow reader, a member's stream
//! lost or regained, a member joining or leaving).

use crate::Engine;
use hoody_client::HoodyClient;
use hoody_model::ContainerEvent;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

/// How long a lost stream of a remote member waits before it connects again.
const RECONNECT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub enum FleetEvent {
    Container(ContainerEvent),
    Resync,
}

/// Passes an engine's events on (its own, in this process).
pub(super) fn follow_engine(engine: &Engine, to: broadcast::Sender<FleetEvent>) -> AbortHandle {
    let mut events = engine.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let _ = to.send(FleetEvent::Container(event));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let _ = to.send(FleetEvent::Resync);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    })
    .abort_handle()
}

/// Passes a remote endpoint's event stream on, connecting again whenever it is lost; each
/// (re)connection asks for everything to be read again, since changes may have been missed.
pub(super) fn follow_remote(client: HoodyClient, to: broadcast::Sender<FleetEvent>) -> AbortHandle {
    tokio::spawn(async move {
        loop {
            if let Ok(mut stream) = client.events().await {
                let _ = to.send(FleetEvent::Resync);
                while let Ok(Some(event)) = stream.next().await {
                    let _ = to.send(FleetEvent::Container(event));
                }
                let _ = to.send(FleetEvent::Resync);
            }
            tokio::time::sleep(RECONNECT).await;
        }
    })
    .abort_handle()
}
