//! The REST client as the [`Transport`] of a remote server: any endpoint that speaks the Hoody
//! API (the Hoody cloud, another hoodyd) is then a [`Server`](super::Server) as
//! `Remote(client)`, or `Remote(Endpoint)` to have its errors name it as the user does.

use super::{HttpCall, Method, Transport};
use crate::error::{EngineError, Result};
use hoody_client::{ClientError, HoodyClient};
use hoody_model::ErrorCode;

/// A remote endpoint under the name its user gave it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub client: HoodyClient,
}

#[async_trait::async_trait]
impl Transport for Endpoint {
    async fn send(&self, call: HttpCall) -> Result<serde_json::Value> {
        send(&self.client, &self.name, call).await
    }

    fn undecodable(&self, operation: &str, e: serde_json::Error) -> EngineError {
        undecodable(&self.name, operation, e)
    }
}

#[async_trait::async_trait]
impl Transport for HoodyClient {
    async fn send(&self, call: HttpCall) -> Result<serde_json::Value> {
        send(self, self.base(), call).await
    }

    fn undecodable(&self, operation: &str, e: serde_json::Error) -> EngineError {
        undecodable(self.base(), operation, e)
    }
}

async fn send(client: &HoodyClient, server: &str, call: HttpCall) -> Result<serde_json::Value> {
    let method = match call.method() {
        Method::GET => reqwest::Method::GET,
        Method::POST => reqwest::Method::POST,
        Method::PUT => reqwest::Method::PUT,
        Method::PATCH => reqwest::Method::PATCH,
        Method::DELETE => reqwest::Method::DELETE,
    };
    client.data(method, &call.path_and_query(), call.body.as_ref()).await.map_err(|e| remote_error(server, e))
}

fn undecodable(server: &str, operation: &str, e: serde_json::Error) -> EngineError {
    let message = format!("{server} answered {operation} outside the Hoody API: {e}");
    EngineError::Remote { code: ErrorCode::Internal, message }
}

/// A server that cannot be asked anything (no token for it, say): every operation answers
/// with this refusal.
#[derive(Debug, Clone)]
pub struct Refusing {
    pub code: ErrorCode,
    pub message: String,
}

#[async_trait::async_trait]
impl Transport for Refusing {
    async fn send(&self, _: HttpCall) -> Result<serde_json::Value> {
        Err(EngineError::Remote { code: self.code, message: self.message.clone() })
    }
}

/// A client's failure with its server's code, or why the server gave no answer.
fn remote_error(server: &str, e: ClientError) -> EngineError {
    let (code, message) = match e {
        ClientError::Api { status: 401, message, .. } => {
            (ErrorCode::Unauthorized, format!("{server} refused the token: {message}"))
        }
        ClientError::Api { code, message, .. } => (code.unwrap_or(ErrorCode::Internal), message),
        ClientError::Transport(e) => (ErrorCode::RuntimeUnavailable, format!("{server} does not answer: {e}")),
        ClientError::Decode(e) => (ErrorCode::Internal, format!("{server} answered outside the Hoody API: {e}")),
    };
    EngineError::Remote { code, message }
}
