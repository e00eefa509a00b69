//! The REST client as the [`Transport`] of a remote server: any endpoint that speaks the Hoody
//! API (the Hoody cloud, another hoodyd) is then a [`Server`](super::Server) as `Remote(client)`.

use super::{HttpCall, Method, Transport};
use crate::error::{EngineError, Result};
use hoody_client::{ClientError, HoodyClient};
use hoody_model::ErrorCode;

#[async_trait::async_trait]
impl Transport for HoodyClient {
    async fn send(&self, call: HttpCall) -> Result<serde_json::Value> {
        let method = match call.method() {
            Method::GET => reqwest::Method::GET,
            Method::POST => reqwest::Method::POST,
            Method::PUT => reqwest::Method::PUT,
            Method::PATCH => reqwest::Method::PATCH,
            Method::DELETE => reqwest::Method::DELETE,
        };
        self.data(method, &call.path_and_query(), call.body.as_ref()).await.map_err(|e| remote_error(self.base(), e))
    }

    fn undecodable(&self, operation: &str, e: serde_json::Error) -> EngineError {
        let message = format!("{} answered {operation} outside the Hoody API: {e}", self.base());
        EngineError::Remote { code: ErrorCode::Internal, message }
    }
}

/// A client's failure with its server's code, or why the server gave no answer.
fn remote_error(server: &str, e: ClientError) -> EngineError {
    let (code, message) = match e {
        ClientError::Api { code, message, .. } => (code.unwrap_or(ErrorCode::Internal), message),
        ClientError::Transport(e) => (ErrorCode::RuntimeUnavailable, format!("{server} does not answer: {e}")),
        ClientError::Decode(e) => (ErrorCode::Internal, format!("{server} answered outside the Hoody API: {e}")),
    };
    EngineError::Remote { code, message }
}
