//! A typed client for any endpoint that speaks the Hoody API: the Hoody cloud or a `hoodyd`.
//! Answers are unwrapped from the platform's envelope; errors keep the server's status, code
//! and message.

mod events;
mod retry;
pub mod testkit;

pub use events::EventStream;

use hoody_model::{
    Container, ContainerCreate, ContainerUpdate, CreatedToken, ErrorCode, Image, Operation, Pagination, Project,
    ProjectCreate, ProjectUpdate, Realm, RealmCreate, Rental, RuntimeInfo, Server, Snapshot, SnapshotCreate,
    StatusLogEntry, TokenCreate,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error in the platform's shape.
    #[error("{status}: {message}")]
    Api {
        status: u16,
        code: Option<ErrorCode>,
        message: String,
        /// When to ask again, as a 429 or 503 said (`Retry-After`, in seconds).
        retry_after: Option<std::time::Duration>,
    },
    #[error("cannot reach the server: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the server's answer does not fit the Hoody API: {0}")]
    Decode(String),
}

impl ClientError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { code, .. } => *code,
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// One page of a list route.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

/// A raw answer: status and body, for callers that check the wire format itself.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub body: Value,
}

#[derive(Debug, Clone)]
pub struct HoodyClient {
    http: reqwest::Client,
    /// For the live stream: no limit on the whole answer (it never ends), only on silence —
    /// the server sends a keep-alive every 15 s, so a stream quiet for longer is lost.
    streams: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// How long the live stream may stay silent before it counts as lost.
pub const STREAM_SILENCE: std::time::Duration = std::time::Duration::from_secs(45);

impl HoodyClient {
    /// `base` is the server's origin (`http://127.0.0.1:8700`); routes live under `/api/v1`.
    pub fn new(base: impl Into<String>, token: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("an HTTP client without TLS always builds");
        let streams = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .read_timeout(STREAM_SILENCE)
            .build()
            .expect("an HTTP client without TLS always builds");
        Self { http, streams, base: base.into().trim_end_matches('/').to_owned(), token }
    }

    pub fn with_token(&self, token: Option<String>) -> Self {
        Self { http: self.http.clone(), streams: self.streams.clone(), base: self.base.clone(), token }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.authorised(self.http.request(method, self.url(path)))
    }

    /// Sends a request and returns status and JSON body as they came.
    pub async fn raw(&self, method: Method, path: &str, body: Option<&Value>) -> Result<RawResponse> {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))?
        };
        Ok(RawResponse { status, body })
    }

    /// Sends a request and answers the `data` of its envelope, or the server's refusal.
    pub async fn data(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        self.call(method, path, body).await
    }

    /// The same, for work that may take longer than the client's usual minute (a container's
    /// files written or unpacked): the answer is waited for up to `within`.
    pub async fn data_within(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        within: std::time::Duration,
    ) -> Result<Value> {
        self.call_within(method, path, body, Some(within)).await
    }

    /// Sends the request, again when it may be: see [`retry::after`].
    async fn call<T: DeserializeOwned>(&self, method: Method, path: &str, body: Option<&impl Serialize>) -> Result<T> {
        self.call_within(method, path, body, None).await
    }

    async fn call_within<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
        within: Option<std::time::Duration>,
    ) -> Result<T> {
        let mut attempt = 0;
        let bytes = loop {
            match self.send_once(method.clone(), path, body, within).await {
                Ok(bytes) => break bytes,
                Err(e) => match retry::after(&method, &e, attempt) {
                    Some(wait) => {
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    None => return Err(e),
                },
            }
        };
        #[derive(Deserialize)]
        struct Envelope<T> {
            data: T,
        }
        serde_json::from_slice::<Envelope<T>>(&bytes).map(|e| e.data).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// One request: the body of a successful answer, or the refusal (with its Retry-After).
    async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
        within: Option<std::time::Duration>,
    ) -> Result<bytes::Bytes> {
        let mut req = self.request(method, path);
        if let Some(within) = within {
            req = req.timeout(within);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(std::time::Duration::from_secs);
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            return Err(api_error(status, &bytes, retry_after));
        }
        Ok(bytes)
    }

    async fn page<T: DeserializeOwned>(&self, path: &str, key: &str) -> Result<Page<T>> {
        let mut data: serde_json::Map<String, Value> = self.call(Method::GET, path, None::<&()>).await?;
        let items = data.remove(key).ok_or_else(|| ClientError::Decode(format!("no `{key}` in the answer")))?;
        let pagination =
            data.remove("pagination").ok_or_else(|| ClientError::Decode("no `pagination` in the answer".into()))?;
        Ok(Page {
            items: serde_json::from_value(items).map_err(|e| ClientError::Decode(e.to_string()))?,
            pagination: serde_json::from_value(pagination).map_err(|e| ClientError::Decode(e.to_string()))?,
        })
    }

    pub async fn create_project(&self, req: &ProjectCreate) -> Result<Project> {
        self.call(Method::POST, "/projects/", Some(req)).await
    }

    pub async fn list_projects(&self, query: &str) -> Result<Page<Project>> {
        self.page(&format!("/projects{}", q(query)), "projects").await
    }

    pub async fn project(&self, id: &str) -> Result<Project> {
        self.call(Method::GET, &format!("/projects/{id}"), None::<&()>).await
    }

    pub async fn update_project(&self, id: &str, req: &ProjectUpdate) -> Result<Project> {
        self.call(Method::PUT, &format!("/projects/{id}"), Some(req)).await
    }

    pub async fn delete_project(&self, id: &str) -> Result<Project> {
        self.call(Method::DELETE, &format!("/projects/{id}"), None::<&()>).await
    }

    /// Creates a container; without a `server_id` in `req`, on the server this client talks to
    /// (its id read from `GET /servers` first: the API requires one).
    pub async fn create_container(&self, project: &str, req: &ContainerCreate) -> Result<Container> {
        let mut req = req.clone();
        if req.server_id.is_none() {
            let servers = self.servers().await?;
            req.server_id = servers.first().map(|s| s.id.as_str().to_owned());
        }
        self.call(Method::POST, &format!("/projects/{project}/containers"), Some(&req)).await
    }

    /// `query` is a query string without the '?' (`page=2&status=running`), or empty.
    pub async fn list_containers(&self, query: &str) -> Result<Page<Container>> {
        self.page(&format!("/containers/{}", q(query)), "containers").await
    }

    pub async fn project_containers(&self, project: &str, query: &str) -> Result<Page<Container>> {
        self.page(&format!("/projects/{project}/containers{}", q(query)), "containers").await
    }

    pub async fn container(&self, id: &str, runtime: bool) -> Result<Container> {
        let suffix = if runtime { "?runtime=true" } else { "" };
        self.call(Method::GET, &format!("/containers/{id}{suffix}"), None::<&()>).await
    }

    /// `PATCH`, as the platform's docs show it (`PUT` is accepted too).
    pub async fn update_container(&self, id: &str, req: &ContainerUpdate) -> Result<Container> {
        self.call(Method::PATCH, &format!("/containers/{id}"), Some(req)).await
    }

    pub async fn delete_container(&self, id: &str) -> Result<Container> {
        self.call(Method::DELETE, &format!("/containers/{id}"), None::<&()>).await
    }

    pub async fn operate(&self, id: &str, op: Operation) -> Result<Container> {
        self.call(Method::POST, &format!("/containers/{id}/{}", op.as_str()), None::<&()>).await
    }

    pub async fn status_logs(&self, id: &str) -> Result<Vec<StatusLogEntry>> {
        self.call(Method::GET, &format!("/containers/{id}/status-logs"), None::<&()>).await
    }

    /// A container's snapshots (the platform keeps them at `data.snapshots`).
    pub async fn snapshots(&self, id: &str) -> Result<Vec<Snapshot>> {
        Ok(self.page(&format!("/containers/{id}/snapshots"), "snapshots").await?.items)
    }

    pub async fn create_snapshot(&self, id: &str, req: &SnapshotCreate) -> Result<Snapshot> {
        self.call(Method::POST, &format!("/containers/{id}/snapshots"), Some(req)).await
    }

    pub async fn restore_snapshot(&self, id: &str, name: &str) -> Result<Container> {
        self.call(Method::PUT, &format!("/containers/{id}/snapshots/{}", path_segment(name)), None::<&()>).await
    }

    pub async fn delete_snapshot(&self, id: &str, name: &str) -> Result<Snapshot> {
        self.call(Method::DELETE, &format!("/containers/{id}/snapshots/{}", path_segment(name)), None::<&()>).await
    }

    pub async fn copy_container(&self, id: &str) -> Result<Container> {
        self.call(Method::POST, &format!("/containers/{id}/copy"), Some(&serde_json::json!({}))).await
    }

    pub async fn stats(&self, id: &str) -> Result<RuntimeInfo> {
        self.call(Method::GET, &format!("/containers/{id}/stats"), None::<&()>).await
    }

    pub async fn rentals(&self) -> Result<Vec<Rental>> {
        self.call(Method::GET, "/rentals", None::<&()>).await
    }

    pub async fn servers(&self) -> Result<Vec<Server>> {
        self.call(Method::GET, "/servers", None::<&()>).await
    }

    /// The images containers can be made from (the platform keeps them at `data.images`).
    pub async fn images(&self) -> Result<Vec<Image>> {
        Ok(self.page("/images/public", "images").await?.items)
    }

    pub async fn realms(&self) -> Result<Vec<Realm>> {
        self.call(Method::GET, "/realms/", None::<&()>).await
    }

    pub async fn create_realm(&self, name: &str) -> Result<Realm> {
        self.call(Method::POST, "/realms/", Some(&RealmCreate { name: name.into() })).await
    }

    pub async fn create_token(&self, req: &TokenCreate) -> Result<CreatedToken> {
        self.call(Method::POST, "/auth/tokens", Some(req)).await
    }

    /// The bytes at `path` from byte `offset` on (`Range: bytes=N-`), as they arrive: for
    /// transfers that take as long as they take (no total timeout, as the live stream).
    pub async fn download(
        &self,
        path: &str,
        offset: u64,
    ) -> Result<impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + use<>> {
        let request = self
            .authorised(self.streams.get(self.url(path)))
            .header(reqwest::header::RANGE, format!("bytes={offset}-"));
        let resp = request.send().await?;
        let status = resp.status();
        if !status.is_success() {
            let bytes = resp.bytes().await?;
            return Err(api_error(status, &bytes, None));
        }
        if offset > 0 && status != reqwest::StatusCode::PARTIAL_CONTENT {
            return Err(ClientError::Decode(format!("{path} did not answer from byte {offset} (status {status})")));
        }
        Ok(resp.bytes_stream())
    }

    /// Sends `body` to `path` with PUT (no total timeout) and answers the `data` of its envelope.
    pub async fn upload(&self, path: &str, body: reqwest::Body) -> Result<Value> {
        let request = self
            .authorised(self.streams.put(self.url(path)))
            .header(reqwest::header::CONTENT_TYPE, "application/x-tar");
        let resp = request.body(body).send().await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            return Err(api_error(status, &bytes, None));
        }
        #[derive(Deserialize)]
        struct Envelope {
            data: Value,
        }
        serde_json::from_slice::<Envelope>(&bytes).map(|e| e.data).map_err(|e| ClientError::Decode(e.to_string()))
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    }

    /// Subscribes to the live stream; the first item arrives once the subscription is live.
    /// It is asked of `/events` as a stream (`Accept: text/event-stream`), which servers with
    /// the paged event log at `/events` and those from before it both answer.
    pub async fn events(&self) -> Result<EventStream> {
        self.events_after(None).await
    }

    /// The live stream from after event `last` (an id a stream gave): the events missed since
    /// come first when the server still has them all (see [`EventStream::resumed`]).
    pub async fn events_after(&self, last: Option<&str>) -> Result<EventStream> {
        let mut request =
            self.authorised(self.streams.get(self.url("/events")).header(reqwest::header::ACCEPT, "text/event-stream"));
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        let resp = request.send().await?;
        let status = resp.status();
        if !status.is_success() {
            let bytes = resp.bytes().await?;
            return Err(api_error(status, &bytes, None));
        }
        EventStream::start(resp, last).await
    }
}

/// A name as one path segment: anything but letters, digits and `-_.` is percent-encoded.
fn path_segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn q(query: &str) -> String {
    if query.is_empty() { String::new() } else { format!("?{query}") }
}

fn api_error(status: StatusCode, body: &[u8], retry_after: Option<std::time::Duration>) -> ClientError {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: Option<String>,
        code: Option<ErrorCode>,
    }
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    ClientError::Api {
        status: status.as_u16(),
        code: parsed.as_ref().and_then(|b| b.code),
        message: parsed
            .and_then(|b| b.message)
            .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(500).collect()),
        retry_after,
    }
}
