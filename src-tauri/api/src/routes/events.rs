//! `GET /api/v1/events`: server-sent events of container changes the caller may see.

use crate::AppState;
use crate::extract::Caller;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::{BroadcastStream, WatchStream};

pub(crate) async fn stream(
    State(s): State<AppState>,
    Caller(who): Caller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let engine = s.engine.clone();
    let events = BroadcastStream::new(s.engine.subscribe()).filter_map(move |item| match item {
        Ok(event) if engine.event_visible(&who, &event) => {
            Some(Ok(Event::default().event("container").json_data(&event).expect("events serialise")))
        }
        Ok(_) => None,
        // The client fell behind; tell it to re-read rather than silently miss changes.
        Err(BroadcastStreamRecvError::Lagged(n)) => Some(Ok(Event::default().event("lagged").data(n.to_string()))),
    });
    let mut shutdown = WatchStream::new(s.shutdown.clone()).filter(|down| *down);
    let ready = futures_util::stream::once(async { Ok(Event::default().event("ready").data("{}")) });
    let until_shutdown = Box::pin(async move {
        shutdown.next().await;
    });
    Sse::new(futures_util::StreamExt::take_until(ready.chain(events), until_shutdown))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
