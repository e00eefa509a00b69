//! Remote services through this machine's proxy. A remote `hoodyd` names its containers'
//! services `http://….{its name}.localhost:{its proxy port}`, which only reach it from its own
//! machine. So the desktop gives them out as `….{remote's name here}.localhost:{our proxy
//! port}`, and its proxy relays such host names to the remote's proxy (at the host of the
//! remote's API, on the port its URLs carry), under the name that proxy knows. Other URLs (a
//! cloud's public ones) are left as they are.

use hoody_api::services::{Upstream, Upstreams};
use hoody_model::Container;
use hoody_model::services::ServiceAddress;
use std::collections::HashMap;
use std::sync::Mutex;

/// A remote, as the proxy reaches it.
struct Relay {
    /// The host of its API (`127.0.0.1`, `[::1]`, `edge.example`).
    api_host: String,
    /// Its proxy, once one of its containers' URLs told where it is.
    upstream: Option<Upstream>,
}

pub struct Relays {
    /// This machine's proxy port, which localized URLs carry.
    proxy_port: u16,
    by_name: Mutex<HashMap<String, Relay>>,
}

impl std::fmt::Debug for Relays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relays").field("proxy_port", &self.proxy_port).finish()
    }
}

impl Relays {
    pub fn new(proxy_port: u16) -> Self {
        Self { proxy_port, by_name: Mutex::default() }
    }

    /// Remote `name` has its API at `url` (`http(s)://host[:port]`).
    pub fn register(&self, name: &str, url: &str) {
        let api_host = host_of(url).to_owned();
        self.by_name.lock().expect("relays lock").insert(name.to_owned(), Relay { api_host, upstream: None });
    }

    pub fn forget(&self, name: &str) {
        self.by_name.lock().expect("relays lock").remove(name);
    }

    /// A container of remote `name` as the grid shows it: under that name, with the URLs of
    /// its services through this machine's proxy.
    pub fn localize(&self, name: &str, c: &mut Container) {
        c.server_name = name.to_owned();
        let mut by_name = self.by_name.lock().expect("relays lock");
        let Some(relay) = by_name.get_mut(name) else { return };
        for url in c.urls.values_mut() {
            let Some(host) = url.strip_prefix("http://") else { continue };
            let Some(address) = ServiceAddress::from_host(host) else { continue };
            let Some(port) = host.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()) else { continue };
            let addr = format!("{}:{port}", relay.api_host);
            relay.upstream = Some(Upstream { addr, server_name: address.server_name.clone() });
            *url = ServiceAddress { server_name: name.to_owned(), ..address }.url(self.proxy_port);
        }
    }
}

impl Upstreams for Relays {
    fn find(&self, server_name: &str) -> Option<Upstream> {
        self.by_name.lock().expect("relays lock").get(server_name)?.upstream.clone()
    }
}

/// The host of an origin: `http://[::1]:8700` → `[::1]`.
fn host_of(url: &str) -> &str {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split(['/', '?', '#']).next().unwrap_or(authority);
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.is_empty() => host,
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hoody_model::services::Service;
    use hoody_model::{ContainerId, ProjectId};

    #[test]
    fn hosts_of_origins() {
        assert_eq!(host_of("http://127.0.0.1:8700"), "127.0.0.1");
        assert_eq!(host_of("http://[::1]:8700"), "[::1]");
        assert_eq!(host_of("https://edge.example"), "edge.example");
        assert_eq!(host_of("https://[::1]"), "[::1]");
    }

    #[test]
    fn a_remote_hoodyds_urls_go_through_this_proxy() {
        let relays = Relays::new(8701);
        relays.register("edge", "http://192.0.2.7:8700");
        let there = ServiceAddress {
            project_id: ProjectId::generate(),
            container_id: ContainerId::generate(),
            service: Service::Terminal(1),
            server_name: "build-box".into(),
        };
        let mut c = crate::testing::container("far", "aaaaaaaaaaaaaaaaaaaaaaaa", hoody_model::ContainerStatus::Running);
        c.urls.insert("terminal-1".into(), there.url(9801));
        c.urls.insert("http-3000".into(), "https://p-c-http-3000.hoody.example".into());
        assert_eq!(relays.find("edge"), None, "not known before a URL tells");
        relays.localize("edge", &mut c);

        let here = ServiceAddress { server_name: "edge".into(), ..there };
        assert_eq!(c.server_name, "edge");
        assert_eq!(c.urls["terminal-1"], here.url(8701));
        assert_eq!(c.urls["http-3000"], "https://p-c-http-3000.hoody.example", "public URLs stay");
        let upstream = Upstream { addr: "192.0.2.7:9801".into(), server_name: "build-box".into() };
        assert_eq!(relays.find("edge"), Some(upstream));
        relays.forget("edge");
        assert_eq!(relays.find("edge"), None);
    }
}
