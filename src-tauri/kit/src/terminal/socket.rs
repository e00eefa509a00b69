//! A browser attached to a session over its WebSocket. Server → client: binary frames of
//! terminal output (the scrollback first), and a text frame `{"type":"exit"}` when the shell
//! ends. Client → server: binary frames are keystrokes; text frames are JSON
//! `{"type":"input","data":"…"}` or `{"type":"resize","cols":C,"rows":R}`, anything else is
//! typed as it is.

use super::Session;
use crate::websocket::Socket;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::Message;

#[derive(serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ClientMessage {
    Input { data: String },
    Resize { cols: u16, rows: u16 },
}

pub async fn serve(ws: Socket, session: Arc<Session>) {
    let _client = session.client();
    let attached = session.attach();
    let (mut tx, mut rx) = ws.split();
    if !attached.scrollback.is_empty() && tx.send(Message::Binary(attached.scrollback)).await.is_err() {
        return;
    }
    let (mut output, mut ended) = (attached.output, attached.ended);
    loop {
        tokio::select! {
            chunk = output.recv() => match chunk {
                Ok(chunk) => {
                    if tx.send(Message::Binary(chunk)).await.is_err() {
                        return;
                    }
                }
                // A client too slow to keep up misses output rather than holding the shell back.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            },
            _ = async { ended.wait_for(|e| *e).await.is_ok() } => break,
            message = rx.next() => {
                let input = match message {
                    Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(ClientMessage::Input { data }) => data.into_bytes(),
                        Ok(ClientMessage::Resize { cols, rows }) => {
                            let _ = session.resize(cols, rows);
                            continue;
                        }
                        Err(_) => text.as_bytes().to_vec(),
                    },
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue, // ping/pong are answered by the library
                };
                if session.write(&input).await.is_err() {
                    break;
                }
            }
        }
    }
    // The shell is gone: say so, then close.
    let _ = tx.send(Message::Text(r#"{"type":"exit"}"#.into())).await;
    let _ = tx.close().await;
}
