//! The fleet's one stream of changes: every member's container events merged, and requests to
//! read everything again when changes may have been missed (a slow reader, a member's stream
//! lost or regained, a member joining or leaving).

use super::health::Healths;
use crate::Engine;
use hoody_client::{ClientError, HoodyClient};
use hoody_model::ContainerEvent;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

/// How long a lost stream of a remote member waits before it connects again.
const RECONNECT: Duration = Duration::from_secs(3);
/// How often a member without a live stream is polled: this often after a change, twice as
/// long after each poll that finds none (or fails), up to [`POLL_MAX`].
const POLL_FIRST: Duration = Duration::from_secs(2);
const POLL_MAX: Duration = Duration::from_secs(30);

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

/// Passes a remote endpoint's event stream on, connecting again whenever it is lost. A stream
/// cut off is asked again at once from the last event received: when the server sends what was
/// missed (it keeps its latest events), nothing else happens; otherwise everything is read
/// again. The member's health follows the stream: connected while it flows, unreachable (with
/// why) once it ended and cannot be opened again.
pub(super) fn follow_remote(
    name: &str,
    client: HoodyClient,
    to: broadcast::Sender<FleetEvent>,
    health: Healths,
) -> AbortHandle {
    let name = name.to_owned();
    tokio::spawn(async move {
        // Where the last stream got to, and why it ended (until it is open again).
        let (mut last_id, mut ended): (Option<String>, Option<String>) = (None, None);
        loop {
            match client.events_after(last_id.as_deref()).await {
                Ok(mut stream) => {
                    let opened = std::time::Instant::now();
                    health.answered(&name);
                    if !stream.resumed() {
                        let _ = to.send(FleetEvent::Resync);
                    }
                    let why = loop {
                        match stream.next().await {
                            Ok(Some(event)) => {
                                let _ = to.send(FleetEvent::Container(event));
                            }
                            Ok(None) => break "its event stream ended".to_owned(),
                            // Events were missed (this reader was slow): read everything again.
                            Err(ClientError::Decode(_)) => {
                                let _ = to.send(FleetEvent::Resync);
                            }
                            Err(e) => break format!("its event stream broke off: {e}"),
                        }
                    };
                    last_id = stream.last_id().map(str::to_owned);
                    ended = Some(why);
                    // Asked again at once (a cut line resumes without a pause), unless the
                    // stream ended as soon as it opened: a server that does so is not hammered.
                    if opened.elapsed() >= RECONNECT {
                        continue;
                    }
                }
                // No live stream there (the Hoody cloud has none): its containers are polled.
                Err(ClientError::Api { status: 404..=406, .. }) => poll(&name, &client, &to, &health).await,
                Err(e) => match ended.take() {
                    // The stream ended and cannot be opened again: the server is away.
                    Some(why) => {
                        health.unreachable(&name, format!("{name} does not answer: {why}"));
                        let _ = to.send(FleetEvent::Resync);
                    }
                    None => health.failed(&name, &crate::server::remote_error(&name, e)),
                },
            }
            tokio::time::sleep(RECONNECT).await;
        }
    })
    .abort_handle()
}

/// Polls a member that offers no live stream, for as long as the fleet follows it: a change of
/// its containers (one made, gone, or in another status) asks for everything to be read again.
async fn poll(name: &str, client: &HoodyClient, to: &broadcast::Sender<FleetEvent>, health: &Healths) {
    let mut wait = POLL_FIRST;
    let mut seen: Option<Vec<(String, String, String)>> = None;
    loop {
        match digest(client).await {
            Ok(now) => {
                health.answered(name);
                wait = match seen.as_ref() {
                    Some(before) if *before == now => (wait * 2).min(POLL_MAX),
                    Some(_) => {
                        let _ = to.send(FleetEvent::Resync);
                        POLL_FIRST
                    }
                    None => POLL_FIRST,
                };
                seen = Some(now);
            }
            Err(e) => {
                health.failed(name, &crate::server::remote_error(name, e));
                wait = (wait * 2).min(POLL_MAX);
            }
        }
        tokio::time::sleep(wait).await;
    }
}

/// Every container's id, status and last change, in order: what a poll compares.
async fn digest(client: &HoodyClient) -> Result<Vec<(String, String, String)>, ClientError> {
    let mut all = Vec::new();
    for page in 1.. {
        let listed = client.list_containers(&format!("page={page}&limit={}", hoody_model::page::MAX_LIMIT)).await?;
        all.extend(
            listed.items.into_iter().map(|c| (c.id.to_string(), c.status.to_string(), c.updated_at.to_rfc3339())),
        );
        if page >= listed.pagination.total_pages {
            break;
        }
    }
    all.sort();
    Ok(all)
}
