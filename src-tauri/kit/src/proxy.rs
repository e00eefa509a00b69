//! The one loopback listener in front of every container's services. It reads the Host header
//! (`{project}-{container}-{service}-{n}.{server}.localhost`), finds the container, and passes
//! the request on — WebSocket upgrades included. What it cannot reach it says so: unknown host
//! 404, container not running 503, service down 502, each as a page naming the cause. The
//! container id in the host name is the credential, as on the platform.
//!
//! A proxy can also relay for other servers (the desktop's, for its remote `hoodyd`s, whose own
//! proxies name services `….{their name}.localhost`, which only resolves on their machine): a
//! host naming such a server is passed to that server's proxy, under the name it knows.

use crate::display::Displays;
use crate::frame::Identity;
use crate::netns;
use crate::terminal::Terminals;
use bytes::Bytes;
use hoody_model::services::{Service, ServiceAddress};
use hoody_model::{ContainerId, KitServiceInfo, ProjectId};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_TYPE, HOST, HeaderValue, UPGRADE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

pub type Body = BoxBody<Bytes, hyper::Error>;

/// What the proxy needs to know of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// No such container in that project (or it is deleted).
    Unknown,
    /// It exists but does not run.
    Down { identity: Identity, status: String },
    /// It runs; its init's host pid gives the way into its network namespace.
    Up { identity: Identity, init_pid: u32 },
}

#[async_trait::async_trait]
pub trait Directory: Send + Sync + 'static {
    async fn find(&self, project: &ProjectId, container: &ContainerId) -> Lookup;
    /// The containers of this server that run now (their scheduled scripts are due).
    async fn running(&self) -> Vec<(ProjectId, ContainerId)>;
    /// Stops the container (and with `restart`, starts it again), as its terminal service's
    /// `system/shutdown` and `system/reboot` ask; why not, when it cannot.
    async fn power(&self, project: &ProjectId, container: &ContainerId, restart: bool) -> Result<(), String>;
}

/// The service proxy of another server, which this proxy relays to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// `host:port` of that proxy.
    pub addr: String,
    /// The server name that proxy answers to (in its host names).
    pub server_name: String,
}

/// Other servers this proxy relays for, by the name host names give them here.
pub trait Upstreams: Send + Sync + 'static {
    fn find(&self, server_name: &str) -> Option<Upstream>;
}

/// Where a request goes.
enum Target {
    /// A port inside a running container of this server.
    Container { name: String, init_pid: u32, port: u16, tls: bool },
    /// Another server's proxy.
    Relay(Upstream),
}

const RELAY_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone)]
pub struct Proxy {
    directory: Arc<dyn Directory>,
    server_name: String,
    terminals: Arc<Terminals>,
    displays: Arc<Displays>,
    upstreams: Option<Arc<dyn Upstreams>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("server_name", &self.server_name).finish()
    }
}

/// Aborts a task when dropped (when the function that started it returns).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The backend connection of one client connection, reused while it asks for the same service.
type Backend = Option<(ServiceAddress, hyper::client::conn::http1::SendRequest<Incoming>)>;

impl Proxy {
    pub fn new(directory: Arc<dyn Directory>, server_name: &str) -> Self {
        Self {
            directory,
            server_name: server_name.to_ascii_lowercase(),
            terminals: Arc::default(),
            displays: Arc::default(),
            upstreams: None,
        }
    }

    /// Relays host names of these other servers to their proxies.
    pub fn relaying_to(mut self, upstreams: Arc<dyn Upstreams>) -> Self {
        self.upstreams = Some(upstreams);
        self
    }

    /// What runs for a container behind this proxy (listening on `port`): its terminal
    /// sessions, its displays, and the services answered here (files, exec, sqlite).
    pub async fn services(&self, container: &ContainerId, init_pid: u32, port: u16) -> Vec<KitServiceInfo> {
        let key = container.to_string();
        let terminals = self.terminals.sessions(&key, init_pid).into_iter().map(|s| KitServiceInfo {
            service: Service::Terminal(s.terminal_id).slug(),
            pid: Some(s.pid),
            port,
            clients: s.clients as u32,
            size: Some(format!("{}x{}", s.cols, s.rows)),
        });
        let displays = self.displays.list(&key, init_pid).await.into_iter().map(|d| KitServiceInfo {
            service: Service::Display(d.n).slug(),
            pid: Some(d.pid),
            port,
            clients: d.clients as u32,
            size: Some(format!("{}x{}", d.width, d.height)),
        });
        let answered_here = [Service::Files, Service::Exec, Service::Sqlite].into_iter().map(|s| KitServiceInfo {
            service: s.slug(),
            pid: None,
            port,
            clients: 0,
            size: None,
        });
        terminals.chain(displays).chain(answered_here).collect()
    }

    /// The container stopped or is gone: forgets its sessions and displays, and removes what
    /// they kept on the host.
    pub async fn container_ended(&self, container: &ContainerId) {
        let key = container.to_string();
        self.terminals.forget(&key);
        self.displays.forget(&key).await;
    }

    /// Serves until `shutdown` resolves (open connections finish on their own).
    pub async fn serve(self, listener: TcpListener, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        // Scheduled exec scripts run while the proxy serves.
        let schedules = tokio::spawn(crate::exec::run_schedules(self.directory.clone()));
        let _stop_schedules = AbortOnDrop(schedules);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!("proxy accept: {e}");
                        continue;
                    }
                },
                () = &mut shutdown => return,
            };
            let _ = stream.set_nodelay(true);
            let proxy = self.clone();
            tokio::spawn(async move {
                let backend: Arc<Mutex<Backend>> = Arc::default();
                let service = hyper::service::service_fn(move |req| {
                    let (proxy, backend) = (proxy.clone(), backend.clone());
                    async move { Ok::<_, Infallible>(proxy.handle(req, peer, &backend).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                if let Err(e) = conn.with_upgrades().await {
                    tracing::debug!("proxy connection from {peer}: {e}");
                }
            });
        }
    }

    async fn handle(&self, req: Request<Incoming>, peer: SocketAddr, backend: &Mutex<Backend>) -> Response<Body> {
        let host = req.headers().get(HOST).and_then(|h| h.to_str().ok()).or(req.uri().host()).unwrap_or("").to_owned();
        let Some(address) = ServiceAddress::from_host(&host) else {
            return page(
                StatusCode::NOT_FOUND,
                "No such service",
                &format!(
                    "{host} is not a service address: they look like PROJECT-CONTAINER-SERVICE-N.{}.localhost",
                    self.server_name
                ),
            );
        };
        if crate::origin::guarded(address.service)
            && let Err(why) = crate::origin::check(&req, &address, is_upgrade(&req))
        {
            return page(StatusCode::FORBIDDEN, "Cross-site request refused", &why);
        }
        if address.server_name != self.server_name {
            if let Some(upstream) = self.upstreams.as_ref().and_then(|u| u.find(&address.server_name)) {
                return self.forward(req, peer, &address, Target::Relay(upstream), backend).await;
            }
            return page(
                StatusCode::NOT_FOUND,
                "Another server",
                &format!("this proxy serves the server {}, and {host} names {}", self.server_name, address.server_name),
            );
        }
        let found = self.directory.find(&address.project_id, &address.container_id).await;
        // The container's gates come before anything of it is answered.
        let gated = match &found {
            Lookup::Up { identity, .. } | Lookup::Down { identity, .. } => {
                identity.gates.clone().map(|gates| (gates, identity.name.clone()))
            }
            Lookup::Unknown => None,
        };
        let mut req = req;
        // The auth groups the request came in through (none when the container has no gates).
        let groups_met = match gated {
            Some((gates, name)) => match crate::gates::admit(&gates, &mut req, peer, &address.service.slug(), &name) {
                Ok(met) => met,
                Err(refused) => return *refused,
            },
            None => Vec::new(),
        };
        let (identity, init_pid) = match found {
            Lookup::Unknown => {
                return page(
                    StatusCode::NOT_FOUND,
                    "No such container",
                    &format!("there is no container {} in project {}", address.container_id, address.project_id),
                );
            }
            Lookup::Down { identity, status } => {
                return page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Container not running",
                    &format!("container {} is {status}; start it to reach {}", identity.name, address.service.slug()),
                );
            }
            Lookup::Up { identity, init_pid } => (identity, init_pid),
        };
        if let Some(hooks) = identity.hooks.clone()
            && let Some(answered) =
                crate::hooks::run(&hooks, &req, &address.service.slug(), &groups_met, init_pid, &identity.name).await
        {
            return answered;
        }
        // `/` with a query is the files service's root-path route (`/?extractions`), not its page.
        let files_root_route = address.service == Service::Files
            && req.uri().path() == "/"
            && req.uri().query().is_some_and(|q| !q.is_empty());
        if req.method() == hyper::Method::GET
            && !files_root_route
            && let Some(answer) = crate::assets::page(address.service, req.uri().path(), &identity)
        {
            return answer;
        }
        let name = identity.name;
        match address.service {
            Service::Http(port) => {
                let target = Target::Container { name, init_pid, port, tls: false };
                self.forward(req, peer, &address, target, backend).await
            }
            Service::Https(port) => {
                let target = Target::Container { name, init_pid, port, tls: true };
                self.forward(req, peer, &address, target, backend).await
            }
            Service::Files => crate::files::handle(req, init_pid).await,
            Service::Exec => crate::exec::handle(req, init_pid).await,
            Service::Sqlite => crate::sqlite::handle(req, init_pid).await,
            Service::Terminal(_) if crate::terminal::is_power(&req) => {
                let (directory, project, container) =
                    (self.directory.clone(), address.project_id.clone(), address.container_id.clone());
                crate::terminal::power(&req, &name, move |restart| async move {
                    directory.power(&project, &container, restart).await
                })
            }
            Service::Terminal(n) => {
                crate::terminal::handle(&self.terminals, req, &address.container_id.to_string(), init_pid, n).await
            }
            Service::Display(n) => {
                crate::display::handle(&self.displays, req, &address.container_id.to_string(), init_pid, n).await
            }
        }
    }

    /// Passes the request to `target` over the client connection's backend connection (a new
    /// one when it is not to this service), WebSocket and other upgrades included.
    async fn forward(
        &self,
        mut req: Request<Incoming>,
        peer: SocketAddr,
        address: &ServiceAddress,
        target: Target,
        backend: &Mutex<Backend>,
    ) -> Response<Body> {
        let slug = address.service.slug();
        let down = |why: String| {
            let whose = match &target {
                Target::Container { name, .. } => format!("container {name}"),
                Target::Relay(up) => format!("server {} (its proxy at {})", address.server_name, up.addr),
            };
            page(StatusCode::BAD_GATEWAY, "Service down", &format!("{slug} of {whose}: {why}"))
        };
        let mut cached = backend.lock().await;
        let reusable = matches!(&*cached, Some((a, sender)) if a == address && sender.is_ready());
        if !reusable {
            let sender = match &target {
                Target::Container { init_pid, port, tls: secure, .. } => match netns::connect(*init_pid, *port).await {
                    Err(e) => Err(format!("nothing answers on port {port} inside the container ({e})")),
                    Ok(stream) if *secure => match tls(stream).await {
                        Ok(stream) => handshake(stream).await,
                        Err(e) => Err(format!("no TLS on port {port}: {e}")),
                    },
                    Ok(stream) => handshake(stream).await,
                },
                Target::Relay(up) => match relay_connect(&up.addr).await {
                    Ok(stream) => handshake(stream).await,
                    Err(e) => Err(format!("it does not answer ({e})")),
                },
            };
            match sender {
                Ok(sender) => *cached = Some((address.clone(), sender)),
                Err(e) => return down(e),
            }
        }
        let Some((_, sender)) = cached.as_mut() else { unreachable!("set above") };
        let client_upgrade = is_upgrade(&req).then(|| hyper::upgrade::on(&mut req));
        let headers = req.headers_mut();
        if let Target::Relay(up) = &target {
            // The other proxy knows the service under its own server name.
            let port = up.addr.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or(80);
            let there = ServiceAddress { server_name: up.server_name.clone(), ..address.clone() };
            if let Ok(host) = HeaderValue::from_str(&there.host(port)) {
                // Checked here already: the other proxy would take this server's pages for
                // another site's.
                for name in crate::origin::SOURCE_HEADERS {
                    headers.remove(name);
                }
                headers.insert(HOST, host);
            }
        }
        if let Ok(v) = HeaderValue::from_str(&peer.ip().to_string()) {
            headers.insert("x-forwarded-for", v);
        }
        headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
        let mut resp = match sender.send_request(req).await {
            Ok(resp) => resp,
            Err(e) => {
                *cached = None;
                return down(e.to_string());
            }
        };
        if let (StatusCode::SWITCHING_PROTOCOLS, Some(client_upgrade)) = (resp.status(), client_upgrade) {
            // The backend connection now belongs to the tunnel.
            *cached = None;
            let server_upgrade = hyper::upgrade::on(&mut resp);
            tokio::spawn(async move {
                if let (Ok(client), Ok(server)) = tokio::join!(client_upgrade, server_upgrade) {
                    let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(client), &mut TokioIo::new(server)).await;
                }
            });
        }
        resp.map(BodyExt::boxed)
    }
}

/// A TCP connection to another server's proxy.
async fn relay_connect(addr: &str) -> std::io::Result<tokio::net::TcpStream> {
    let stream = tokio::time::timeout(RELAY_CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connecting timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// An HTTP/1 client connection over `io`, driven in the background (upgrades included).
async fn handshake<T>(io: T) -> Result<hyper::client::conn::http1::SendRequest<Incoming>, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await.map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    Ok(sender)
}

/// TLS to a container's own HTTPS server. Its certificate is not checked: it is the
/// container's own, usually self-signed, and the connection never leaves this machine.
async fn tls(stream: tokio::net::TcpStream) -> Result<tokio_native_tls::TlsStream<tokio::net::TcpStream>, String> {
    let connector = native_tls::TlsConnector::builder()
        .danger_accept_invalid_certs(true)
        .danger_accept_invalid_hostnames(true)
        .build()
        .map_err(|e| e.to_string())?;
    tokio_native_tls::TlsConnector::from(connector).connect("localhost", stream).await.map_err(|e| e.to_string())
}

fn is_upgrade<B>(req: &Request<B>) -> bool {
    req.headers().contains_key(UPGRADE)
        && req
            .headers()
            .get(CONNECTION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")))
}

/// A small HTML page that names the problem.
pub(crate) fn page(status: StatusCode, title: &str, message: &str) -> Response<Body> {
    let body = format!("<p>{}</p><p>Hoody Desktop proxy</p>", escape(message));
    html_page(status, &format!("{status} · {title}"), &body)
}

/// An HTML page around `body_html` (already escaped).
fn html_page(status: StatusCode, title: &str, body_html: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body_html}</body></html>\n"
    );
    with_type(status, Bytes::from(html), "text/html; charset=utf-8")
}

pub(crate) fn json<T: serde::Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    let bytes = serde_json::to_vec(value).expect("service answers always serialise");
    with_type(status, Bytes::from(bytes), "application/json")
}

/// An answer with no body.
pub(crate) fn empty(status: StatusCode) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::new()).map_err(|never: Infallible| match never {}).boxed());
    *resp.status_mut() = status;
    resp
}

pub(crate) fn with_type(status: StatusCode, bytes: Bytes, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(Full::new(bytes).map_err(|never: Infallible| match never {}).boxed());
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// Text made safe to place in HTML.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
