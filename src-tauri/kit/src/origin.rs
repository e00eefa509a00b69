//! Cross-site requests to kit services. A container's id in a service host name is the
//! credential, so any web page that learned a URL could otherwise drive the terminal from the
//! visitor's browser (a WebSocket, or a `fetch` POST, carries no same-origin check of its own).
//! Browsers name the page a request comes from in `Origin`: a WebSocket upgrade or a
//! state-changing request to a kit service is refused unless that page is a service of the
//! same container behind the same proxy (the kit's own pages are). Requests without an
//! `Origin` (curl, the platform's SDK and CLI) are not from a page and pass. The container's own
//! web servers (`http-PORT`) decide for themselves, as any web server does.

use hoody_model::services::{Service, ServiceAddress};
use hyper::header::{HOST, ORIGIN};
use hyper::{Method, Request};

/// Whether the proxy guards this service against other sites (the kit's own services).
pub fn guarded(service: Service) -> bool {
    !matches!(service, Service::Http(_) | Service::Https(_))
}

/// Ok when `req` may act on `address`; else why not.
pub fn check<B>(req: &Request<B>, address: &ServiceAddress, upgrade: bool) -> Result<(), String> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe && !upgrade {
        return Ok(());
    }
    let Some(origin) = req.headers().get(ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().unwrap_or("null");
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if same_container(origin, host, address) {
        return Ok(());
    }
    Err(format!(
        "a page at {origin} may not drive {} of this container: only its own service pages may (cross-site requests are refused)",
        address.service.slug()
    ))
}

/// `origin` is `http://HOST[:PORT]` of a service of the same container and server, on the
/// same proxy port as `host`.
fn same_container(origin: &str, host: &str, address: &ServiceAddress) -> bool {
    let Some(authority) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        return false;
    };
    let port = |authority: &str| authority.rsplit_once(':').map(|(_, p)| p.to_owned()).unwrap_or_default();
    let Some(page) = ServiceAddress::from_host(authority) else { return false };
    page.project_id == address.project_id
        && page.container_id == address.container_id
        && page.server_name == address.server_name
        && port(authority) == port(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "0123456789abcdef01234567";
    const C: &str = "89abcdef0123456789abcdef";

    fn request(method: Method, host: &str, origin: Option<&str>) -> Request<()> {
        let mut req = Request::builder().method(method).uri("/api/v1/terminal/execute").header(HOST, host);
        if let Some(origin) = origin {
            req = req.header(ORIGIN, origin);
        }
        req.body(()).unwrap()
    }

    #[test]
    fn only_the_containers_own_pages_may_drive_its_services() {
        let host = format!("{P}-{C}-terminal-1.local.localhost:8701");
        let address = ServiceAddress::from_host(&host).unwrap();
        let own = format!("http://{host}");
        let sibling = format!("http://{P}-{C}-display-1.local.localhost:8701");
        let other_container = format!("http://{P}-{}-terminal-1.local.localhost:8701", "f".repeat(24));
        let other_port = format!("http://{P}-{C}-terminal-1.local.localhost:9999");
        let check = |method, origin: Option<&str>, upgrade| check(&request(method, &host, origin), &address, upgrade);

        assert!(check(Method::POST, Some(&own), false).is_ok());
        assert!(check(Method::GET, Some(&sibling), true).is_ok());
        assert!(check(Method::POST, None, false).is_ok(), "not from a page");
        assert!(check(Method::GET, Some("https://evil.example"), false).is_ok(), "reading is not acting");
        for bad in ["https://evil.example", "null", other_container.as_str(), other_port.as_str()] {
            assert!(check(Method::POST, Some(bad), false).is_err(), "{bad}");
            assert!(check(Method::GET, Some(bad), true).is_err(), "{bad} upgrading");
        }
        assert!(guarded(Service::Terminal(1)) && !guarded(Service::Http(8080)));
    }
}
