//! Servers at the other end of a wire. Any [`Transport`] makes a [`Server`](super::Server) as
//! `Remote(transport)` (the operations are derived from the declaration): the REST client for
//! an endpoint that speaks the Hoody API (the Hoody cloud, another hoodyd), an [`Endpoint`] to
//! have its errors name it as the user does, or [`Refusing`] for one that cannot be asked.
//! [`Presented`] shows a server's containers as this host does.

use super::{HttpCall, Method};
use crate::ByteStream;
use crate::error::{EngineError, Result};
use futures_util::StreamExt;
use hoody_client::{ClientError, HoodyClient};
use hoody_model::{Container, ErrorCode};

/// Carries an operation's HTTP call to a server that speaks the Hoody API, and brings back the
/// `data` of its answer (or its refusal, with the server's code).
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    async fn send(&self, call: HttpCall) -> Result<serde_json::Value>;

    /// The error for an answer that does not fit the operation.
    fn undecodable(&self, operation: &str, e: serde_json::Error) -> EngineError {
        EngineError::rule(ErrorCode::Internal, format!("the answer to {operation} does not fit the Hoody API: {e}"))
    }

    /// The bytes at `path` (under `/api/v1`) from byte `offset` on.
    async fn download(&self, path: &str, _offset: u64) -> Result<ByteStream> {
        Err(EngineError::rule(ErrorCode::NotImplemented, format!("{path}: this server cannot be asked for bytes")))
    }

    /// Sends `bytes` to `path` (under `/api/v1`) with PUT; answers `data`.
    async fn upload(&self, path: &str, _bytes: ByteStream) -> Result<serde_json::Value> {
        Err(EngineError::rule(ErrorCode::NotImplemented, format!("{path}: this server cannot be sent bytes")))
    }
}

/// A server at the other end of a [`Transport`].
#[derive(Debug, Clone)]
pub struct Remote<T>(pub T);

/// How a host shows a container it got from a server.
pub type Presenter = std::sync::Arc<dyn Fn(&mut Container) + Send + Sync>;

/// `server`, its answers' containers passed through `present`.
pub struct Presented<S> {
    pub server: S,
    pub present: Presenter,
}

impl<S> std::fmt::Debug for Presented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented").finish_non_exhaustive()
    }
}

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

    async fn download(&self, path: &str, offset: u64) -> Result<ByteStream> {
        download(&self.client, &self.name, path, offset).await
    }

    async fn upload(&self, path: &str, bytes: ByteStream) -> Result<serde_json::Value> {
        upload(&self.client, &self.name, path, bytes).await
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

    async fn download(&self, path: &str, offset: u64) -> Result<ByteStream> {
        download(self, self.base(), path, offset).await
    }

    async fn upload(&self, path: &str, bytes: ByteStream) -> Result<serde_json::Value> {
        upload(self, self.base(), path, bytes).await
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
    let sent_at = chrono::Utc::now();
    let answered = match call.spec.name {
        // A container's files written into one tar, or unpacked: as long as they take.
        "create_export" | "finish_import" => {
            client.data_within(method, &call.path_and_query(), call.body.as_ref(), FILES_WORK).await
        }
        _ => client.data(method, &call.path_and_query(), call.body.as_ref()).await,
    };
    match answered {
        Ok(data) => Ok(data),
        Err(ClientError::Transport(e)) if call.spec.name == "create_container" => {
            find_or_create_again(client, server, &call, sent_at, e).await
        }
        Err(e) => Err(remote_error(server, e)),
    }
}

/// The bytes `server` has at `path`, from byte `offset` on.
async fn download(client: &HoodyClient, server: &str, path: &str, offset: u64) -> Result<ByteStream> {
    let bytes = client.download(path, offset).await.map_err(|e| remote_error(server, e))?;
    Ok(Box::pin(bytes.map(|chunk| chunk.map_err(std::io::Error::other))))
}

/// Sends `bytes` to `server`'s `path`.
async fn upload(client: &HoodyClient, server: &str, path: &str, bytes: ByteStream) -> Result<serde_json::Value> {
    client.upload(path, reqwest::Body::wrap_stream(bytes)).await.map_err(|e| remote_error(server, e))
}

/// How long an operation that writes or unpacks a container's files is waited for.
const FILES_WORK: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// How much earlier than the lost create a container it finds may say it was made (the two
/// machines' clocks may differ).
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// A create whose answer was lost may have been acted on. The container is looked for by its
/// name in its project (names are unique there) before the create is sent again, so that it
/// is made once. One made long before the create was sent is not taken for it (the create
/// would have been refused as a duplicate): the create is sent again and says so.
async fn find_or_create_again(
    client: &HoodyClient,
    server: &str,
    call: &HttpCall,
    sent_at: chrono::DateTime<chrono::Utc>,
    lost: reqwest::Error,
) -> Result<serde_json::Value> {
    let name = call.body.as_ref().and_then(|b| b.get("name")).and_then(|n| n.as_str());
    let project = call.params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v.as_str());
    let (Some(name), Some(project)) = (name, project) else {
        return Err(EngineError::Unanswered(format!(
            "{server} did not answer the create ({lost}); it may have made the container under a name of its              own: look for it before creating another"
        )));
    };
    let look = HttpCall {
        spec: super::OperationSpec::named("list_project_containers").expect("declared"),
        params: vec![("id", project.to_owned())],
        query: vec![("name".into(), name.to_owned()), ("limit".into(), "200".into())],
        body: None,
    };
    let listed =
        client.data(reqwest::Method::GET, &look.path_and_query(), None).await.map_err(|e| remote_error(server, e))?;
    let made_by_it = listed["containers"].as_array().and_then(|all| {
        all.iter().find(|c| {
            let made_at = c["created_at"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            c["name"] == name && made_at.is_some_and(|at| at >= sent_at - CLOCK_SKEW)
        })
    });
    match made_by_it {
        Some(found) => Ok(found.clone()),
        None => client
            .data(reqwest::Method::POST, &call.path_and_query(), call.body.as_ref())
            .await
            .map_err(|e| remote_error(server, e)),
    }
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
pub(crate) fn remote_error(server: &str, e: ClientError) -> EngineError {
    let (code, message) = match e {
        ClientError::Api { status: 401, message, .. } => {
            (ErrorCode::Unauthorized, format!("{server} refused the token: {message}"))
        }
        ClientError::Api { status: 429, message, .. } => {
            (ErrorCode::RateLimited, format!("{server} is asked too often (429): {message}"))
        }
        ClientError::Api { code, message, .. } => (code.unwrap_or(ErrorCode::Internal), message),
        ClientError::Transport(e) => return EngineError::Unanswered(format!("{server} does not answer: {e}")),
        ClientError::Decode(e) => (ErrorCode::Internal, format!("{server} answered outside the Hoody API: {e}")),
    };
    EngineError::Remote { code, message }
}
