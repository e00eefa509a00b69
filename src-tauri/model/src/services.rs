//! Service URLs of a container, in the Hoody form:
//! `http://{project_id}-{container_id}-{service}-{n}.{server_name}.localhost:{proxy_port}`.
//! Browsers resolve `*.localhost` to loopback, so no DNS setup is needed.

use crate::ids::{ContainerId, ProjectId};

/// A kit service of a container, as named in its host name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Terminal(u16),
    Display(u16),
    Files,
    Exec,
    Sqlite,
    /// An HTTP server the container runs on 127.0.0.1:PORT (or any address) inside.
    Http(u16),
    Https(u16),
}

impl Service {
    /// `terminal-1`, `files-1`, `http-8080`…
    pub fn slug(self) -> String {
        match self {
            Self::Terminal(n) => format!("terminal-{n}"),
            Self::Display(n) => format!("display-{n}"),
            Self::Files => "files-1".into(),
            Self::Exec => "exec-1".into(),
            Self::Sqlite => "sqlite-1".into(),
            Self::Http(port) => format!("http-{port}"),
            Self::Https(port) => format!("https-{port}"),
        }
    }

    /// `terminal-2` → `Terminal(2)`; None for anything that is not a service slug.
    pub fn from_slug(slug: &str) -> Option<Self> {
        let (name, n) = slug.rsplit_once('-')?;
        Self::parse(name, n)
    }

    fn parse(name: &str, n: &str) -> Option<Self> {
        let n: u16 = n.parse().ok().filter(|n| *n > 0)?;
        Some(match (name, n) {
            ("terminal", n) => Self::Terminal(n),
            ("display", n) => Self::Display(n),
            ("files", 1) => Self::Files,
            ("exec", 1) => Self::Exec,
            ("sqlite", 1) => Self::Sqlite,
            ("http", port) => Self::Http(port),
            ("https", port) => Self::Https(port),
            _ => return None,
        })
    }
}

/// Where a request to the proxy is meant to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAddress {
    pub project_id: ProjectId,
    pub container_id: ContainerId,
    pub service: Service,
    pub server_name: String,
}

impl ServiceAddress {
    /// Parses a Host header (`…localhost` or `…localhost:PORT`); None for anything else.
    pub fn from_host(host: &str) -> Option<Self> {
        let host =
            host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
        let host = host.to_ascii_lowercase();
        let rest = host.strip_suffix(".localhost")?;
        let (label, server_name) = rest.split_once('.')?;
        if server_name.is_empty() || server_name.contains('.') {
            return None;
        }
        let mut parts = label.splitn(4, '-');
        let project_id = ProjectId::parse(parts.next()?).ok()?;
        let container_id = ContainerId::parse(parts.next()?).ok()?;
        let service = Service::parse(parts.next()?, parts.next()?)?;
        Some(Self { project_id, container_id, service, server_name: server_name.to_owned() })
    }

    pub fn url(&self, proxy_port: u16) -> String {
        format!("http://{}", self.host(proxy_port))
    }

    /// The Host header naming this service at a proxy on `proxy_port`.
    pub fn host(&self, proxy_port: u16) -> String {
        format!(
            "{}-{}-{}.{}.localhost:{proxy_port}",
            self.project_id,
            self.container_id,
            self.service.slug(),
            self.server_name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_round_trip() {
        let address = ServiceAddress {
            project_id: ProjectId::generate(),
            container_id: ContainerId::generate(),
            service: Service::Http(8080),
            server_name: "local".into(),
        };
        let url = address.url(8701);
        let host = url.trim_start_matches("http://");
        assert_eq!(ServiceAddress::from_host(host), Some(address.clone()));
        assert_eq!(ServiceAddress::from_host(&host.to_ascii_uppercase()), Some(address.clone()));
        let without_port = host.rsplit_once(':').unwrap().0;
        assert_eq!(ServiceAddress::from_host(without_port), Some(address));
        for slug in ["terminal-2", "display-1", "files-1", "exec-1", "sqlite-1", "https-443"] {
            let h = format!("{}-{}-{slug}.local.localhost", ProjectId::generate(), ContainerId::generate());
            assert_eq!(ServiceAddress::from_host(&h).unwrap().service.slug(), slug);
        }
    }

    #[test]
    fn anything_else_is_not_a_service() {
        let (p, c) = (ProjectId::generate(), ContainerId::generate());
        for host in [
            "localhost".to_owned(),
            "example.com".to_owned(),
            format!("{p}-{c}-http-8080.local.example.com"),
            format!("{p}-{c}-http-0.local.localhost"),
            format!("{p}-{c}-http-70000.local.localhost"),
            format!("{p}-{c}-files-2.local.localhost"),
            format!("{p}-{c}-ftp-1.local.localhost"),
            format!("{p}-nothex-http-80.local.localhost"),
            format!("{p}-{c}-http-80.localhost"),
            format!("{p}-{c}-http-80.a.b.localhost"),
        ] {
            assert_eq!(ServiceAddress::from_host(&host), None, "{host}");
        }
    }
}
