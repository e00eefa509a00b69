//! What the desktop's event stream carries: container changes from the local engine and from
//! every remote endpoint, and a request to read everything again when changes may have been
//! missed (a slow reader, a remote's stream lost or regained, a server added or removed).

use hoody_model::ContainerEvent;
use tokio::sync::broadcast;

#[derive(Debug, Clone)]
pub enum DesktopEvent {
    Container(ContainerEvent),
    Resync,
}

/// Forwards the local engine's events into the desktop's stream.
pub(crate) fn forward_local(mut engine: broadcast::Receiver<ContainerEvent>, to: broadcast::Sender<DesktopEvent>) {
    tokio::spawn(async move {
        loop {
            match engine.recv().await {
                Ok(event) => {
                    let _ = to.send(DesktopEvent::Container(event));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let _ = to.send(DesktopEvent::Resync);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
