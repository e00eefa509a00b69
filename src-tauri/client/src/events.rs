//! A minimal server-sent-events reader for the live stream (`GET /api/v1/events`, asked as a stream).

use crate::{ClientError, Result};
use futures_util::StreamExt;
use hoody_model::ContainerEvent;

type ByteStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// The live event stream. `next` returns container events in order; `None` when the server
/// closed the stream.
pub struct EventStream {
    body: ByteStream,
    /// Bytes received but not yet parsed; a frame may arrive split across chunks.
    buffer: Vec<u8>,
    /// The id of the last event received (to ask for what follows it after a cut).
    last_id: Option<String>,
    /// Whether the server sent the events missed since the id this stream was asked from.
    resumed: bool,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").field("buffered", &self.buffer.len()).finish()
    }
}

impl EventStream {
    pub(crate) async fn start(resp: reqwest::Response, after: Option<&str>) -> Result<Self> {
        let body = Box::pin(resp.bytes_stream());
        let mut stream = Self { body, buffer: Vec::new(), last_id: after.map(str::to_owned), resumed: false };
        // The server opens with a `ready` event once the subscription is in place; it says
        // whether the events missed since `after` follow (servers from before say nothing: no).
        match stream.next_frame().await? {
            Some((event, data)) if event == "ready" => {
                let ready: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
                stream.resumed = after.is_some() && ready["resumed"] == true;
                Ok(stream)
            }
            other => Err(ClientError::Decode(format!("expected a ready event first, got {other:?}"))),
        }
    }

    /// Whether this stream goes on from the event it was asked from (nothing was missed).
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// The id of the last event received, or the one the stream was asked from.
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    pub async fn next(&mut self) -> Result<Option<ContainerEvent>> {
        while let Some((event, data)) = self.next_frame().await? {
            match event.as_str() {
                "container" => {
                    return serde_json::from_str(&data).map(Some).map_err(|e| ClientError::Decode(e.to_string()));
                }
                "lagged" => {
                    return Err(ClientError::Decode(format!("missed {data} events: re-read the containers")));
                }
                _ => continue,
            }
        }
        Ok(None)
    }

    /// The next `(event, data)` frame; comments (keep-alives) are skipped.
    async fn next_frame(&mut self) -> Result<Option<(String, String)>> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let raw: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let frame = String::from_utf8_lossy(&raw);
                let (mut event, mut data) = (String::from("message"), Vec::new());
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        self.last_id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Ok(Some((event, data.join("\n"))));
            }
            match self.body.next().await {
                Some(chunk) => self.buffer.extend_from_slice(&chunk?),
                None => return Ok(None),
            }
        }
    }
}
