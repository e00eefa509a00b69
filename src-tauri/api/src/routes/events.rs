//! The live stream of container changes the caller may see, as server-sent events, at
//! `GET /api/v1/events/stream`. `GET /api/v1/events` is the platform's paged event log; a client
//! that asks it for a stream (`Accept: text/event-stream`, as every `EventSource` does) is given
//! the stream there too.

use crate::AppState;
use crate::extract::Caller;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use hoody_engine::Numbered;
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::{BroadcastStream, WatchStream};

/// The stream's own path, under `/api/v1`.
pub(crate) const STREAM: &str = "/events/stream";

/// Whether the request asks `/events` for the live stream rather than the log.
fn asks_for_stream(request: &Request) -> bool {
    request.method() == Method::GET
        && request.uri().path().trim_end_matches('/').ends_with("/events")
        && request
            .headers()
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|accept| accept.contains("text/event-stream"))
}

/// Serves the live stream to a request of `/events` that asks for it; passes the rest on.
pub(crate) async fn stream_when_asked(State(s): State<AppState>, request: Request, next: Next) -> Response {
    if !asks_for_stream(&request) {
        return next.run(request).await;
    }
    let (mut parts, _) = request.into_parts();
    match Caller::from_request_parts(&mut parts, &s).await {
        Ok(caller) => stream(State(s), caller, parts.headers).await.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Each container event the caller may see, with its id; after a cut, the client names the last
/// one it got (`Last-Event-ID`, as `EventSource` does) and is sent those it missed first, when
/// they are all still kept: the `ready` event says whether (`{"resumed": true}`), and when not
/// the client reads everything again.
pub(crate) async fn stream(
    State(s): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let followed = s.engine.follow_events(last);
    let resumed = followed.resumed;
    // Watching is reading: a project granted at any level shows its containers' changes.
    let who = who.acting_at(hoody_model::PermissionLevel::Read);
    let (engine, seen) = (s.engine.clone(), who);
    let visible = move |n: &Numbered| engine.event_visible(&seen, &n.event);
    let as_sse =
        |n: Numbered| Ok(Event::default().event("container").id(n.id).json_data(&n.event).expect("events serialise"));
    let missed: Vec<_> = followed.missed.into_iter().filter(&visible).map(as_sse).collect();
    let live = BroadcastStream::new(followed.live).filter_map(move |item| match item {
        Ok(n) if visible(&n) => Some(as_sse(n)),
        Ok(_) => None,
        // The client fell behind; tell it to re-read rather than silently miss changes.
        Err(BroadcastStreamRecvError::Lagged(n)) => Some(Ok(Event::default().event("lagged").data(n.to_string()))),
    });
    let events = futures_util::stream::iter(missed).chain(live);
    let mut shutdown = WatchStream::new(s.shutdown.clone()).filter(|down| *down);
    let ready = futures_util::stream::once(async move {
        Ok(Event::default().event("ready").data(serde_json::json!({ "resumed": resumed }).to_string()))
    });
    let until_shutdown = Box::pin(async move {
        shutdown.next().await;
    });
    Sse::new(futures_util::StreamExt::take_until(ready.chain(events), until_shutdown))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
