//! Cross-site requests to kit services. A container's id in a service host name is the
//! credential, so any web page that learned a URL could otherwise drive the terminal from the
//! visitor's browser: a WebSocket or a `fetch` POST carries no same-origin check of its own,
//! and an `<img>` sends a GET — which, on the platform's routes, can write (the files service's
//! `?download=` and `?extract`, a sqlite `/query`, an exec script run by its URL).
//!
//! So a request that a browser sent from a page anywhere else is refused, whatever its method,
//! unless it only opens a service's front page (a top-level or framed navigation to `/`, as the
//! app's chips and its detail view do). "Anywhere else" is every page but the kit's own pages of
//! the same container behind the same proxy: another site, another container, and the
//! container's own web servers (`http-PORT`), whose pages are the container's content and as
//! untrusted as any. Browsers say where a request comes from in `Origin`, `Sec-Fetch-Site` and
//! `Referer`; a request with none of them (curl, the platform's SDK and CLI) is not from a page
//! and passes, as does one the person started (`Sec-Fetch-Site: none`: a typed URL, a bookmark).
//! The container's own web servers decide for themselves, as any web server does.

use hoody_model::services::{Service, ServiceAddress};
use hyper::header::{HOST, ORIGIN, REFERER};
use hyper::{Method, Request};

/// Whether the proxy guards this service against other sites (the kit's own services).
pub fn guarded(service: Service) -> bool {
    !matches!(service, Service::Http(_) | Service::Https(_))
}

/// The request headers a browser names a request's source with: a proxy that relays a
/// request it checked drops them (the next proxy would see its own page as another site).
pub const SOURCE_HEADERS: [&str; 4] = ["origin", "referer", "sec-fetch-site", "sec-fetch-mode"];

/// Where a request comes from, as far as its headers tell.
enum Source {
    /// Not a page: a program, or the person (a typed URL, a bookmark).
    NoPage,
    /// A kit page of the same container (same-origin requests included).
    OwnPage,
    /// Any other page, as its origin (or the browser's word for it).
    Elsewhere(String),
}

/// Ok when `req` may act on `address`; else why not.
pub fn check<B>(req: &Request<B>, address: &ServiceAddress, upgrade: bool) -> Result<(), String> {
    let Source::Elsewhere(page) = source(req, address) else { return Ok(()) };
    if !upgrade && opens_the_front_page(req) {
        return Ok(());
    }
    Err(format!(
        "a page at {page} may not drive {} of this container (cross-site requests are refused): only its own service pages may; open the service from the app, or type its address",
        address.service.slug()
    ))
}

fn source<B>(req: &Request<B>, address: &ServiceAddress) -> Source {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let host = header(HOST).unwrap_or("");
    let judge = |origin: &str| {
        if own_page(origin, host, address) { Source::OwnPage } else { Source::Elsewhere(origin.to_owned()) }
    };
    if let Some(origin) = req.headers().get(ORIGIN) {
        return judge(origin.to_str().unwrap_or("null"));
    }
    match header(hyper::header::HeaderName::from_static("sec-fetch-site")) {
        Some("same-origin") => return Source::OwnPage,
        Some("none") => return Source::NoPage,
        Some(site @ ("same-site" | "cross-site")) => {
            // Without an Origin (a GET), the Referer may still name a page of the container's.
            return match header(REFERER).and_then(origin_of) {
                Some(origin) => judge(origin),
                None => Source::Elsewhere(format!("a {site} page")),
            };
        }
        _ => {}
    }
    match header(REFERER).and_then(origin_of) {
        Some(origin) => judge(origin),
        None => Source::NoPage,
    }
}

/// The `scheme://authority` a Referer URL starts with.
fn origin_of(referer: &str) -> Option<&str> {
    let after_scheme = referer.find("://")? + 3;
    let end = referer[after_scheme..].find(['/', '?', '#']).map_or(referer.len(), |i| after_scheme + i);
    Some(&referer[..end])
}

/// A GET or HEAD that only opens the service's front page in a window or a frame (what a link,
/// the app's chip or its detail view does): it shows the service, and changes nothing.
fn opens_the_front_page<B>(req: &Request<B>) -> bool {
    let navigating = req.headers().get("sec-fetch-mode").is_some_and(|m| m == "navigate");
    matches!(*req.method(), Method::GET | Method::HEAD)
        && navigating
        && req.uri().path() == "/"
        && req.uri().query().is_none_or(str::is_empty)
}

/// `origin` is `http://HOST[:PORT]` of a kit service (not a web server of the container's own)
/// of the same container and server, on the same proxy port as `host`.
fn own_page(origin: &str, host: &str, address: &ServiceAddress) -> bool {
    let Some(authority) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        return false;
    };
    let port = |authority: &str| authority.rsplit_once(':').map(|(_, p)| p.to_owned()).unwrap_or_default();
    let Some(page) = ServiceAddress::from_host(authority) else { return false };
    guarded(page.service)
        && page.project_id == address.project_id
        && page.container_id == address.container_id
        && page.server_name == address.server_name
        && port(authority) == port(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "0123456789abcdef01234567";
    const C: &str = "89abcdef0123456789abcdef";

    fn request(method: Method, uri: &str, host: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut req = Request::builder().method(method).uri(uri).header(HOST, host);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.body(()).unwrap()
    }

    #[test]
    fn only_the_containers_own_kit_pages_may_drive_its_services() {
        let host = format!("{P}-{C}-terminal-1.local.localhost:8701");
        let address = ServiceAddress::from_host(&host).unwrap();
        let own = format!("http://{host}");
        let sibling = format!("http://{P}-{C}-display-1.local.localhost:8701");
        let its_web_app = format!("http://{P}-{C}-http-8080.local.localhost:8701");
        let other_container = format!("http://{P}-{}-terminal-1.local.localhost:8701", "f".repeat(24));
        let other_port = format!("http://{P}-{C}-terminal-1.local.localhost:9999");
        let check = |method, uri: &str, headers: &[(&str, &str)], upgrade| {
            check(&request(method, uri, &host, headers), &address, upgrade)
        };
        let execute = "/api/v1/terminal/execute";

        assert!(check(Method::POST, execute, &[("origin", &own)], false).is_ok());
        assert!(check(Method::GET, "/ws", &[("origin", &sibling)], true).is_ok());
        assert!(check(Method::POST, execute, &[], false).is_ok(), "not from a page");
        assert!(check(Method::GET, "/x?download=u", &[("sec-fetch-site", "none")], false).is_ok(), "typed");
        assert!(check(Method::GET, "/x?download=u", &[("sec-fetch-site", "same-origin")], false).is_ok());
        for bad in ["https://evil.example", "null", &its_web_app, &other_container, &other_port] {
            assert!(check(Method::POST, execute, &[("origin", bad)], false).is_err(), "{bad}");
            assert!(check(Method::GET, "/ws", &[("origin", bad)], true).is_err(), "{bad} upgrading");
            assert!(check(Method::GET, "/etc?download=u", &[("origin", bad)], false).is_err(), "{bad} GET");
        }
    }

    #[test]
    fn a_get_from_another_page_acts_on_nothing() {
        let host = format!("{P}-{C}-files-1.local.localhost:8701");
        let address = ServiceAddress::from_host(&host).unwrap();
        let check =
            |method, uri: &str, headers: &[(&str, &str)]| check(&request(method, uri, &host, headers), &address, false);
        // An <img> of another site's: no Origin, its site named, its Referer stripped or not.
        let img = [("sec-fetch-site", "cross-site"), ("sec-fetch-mode", "no-cors")];
        assert!(check(Method::GET, "/etc?download=http://x/a&filename=b", &img).is_err());
        let web_app = format!("http://{P}-{C}-http-8080.local.localhost:8701/page");
        let from_web_app = [("sec-fetch-site", "same-site"), ("referer", web_app.as_str())];
        assert!(check(Method::GET, "/a.zip?extract&dest=/etc", &from_web_app).is_err());
        // An old browser naming only the page.
        assert!(check(Method::GET, "/a.zip?extract", &[("referer", "https://evil.example/")]).is_err());
        // A link or a frame that opens the front page is fine; one deeper in is not.
        let navigate = [("sec-fetch-site", "cross-site"), ("sec-fetch-mode", "navigate")];
        assert!(check(Method::GET, "/", &navigate).is_ok());
        assert!(check(Method::GET, "/?download=u", &navigate).is_err());
        assert!(check(Method::GET, "/probe", &navigate).is_err());
        // A page of the same container's kit, by its Referer.
        let sibling = format!("http://{P}-{C}-terminal-1.local.localhost:8701/");
        assert!(
            check(Method::GET, "/a.zip?extract", &[("sec-fetch-site", "same-site"), ("referer", &sibling)]).is_ok()
        );
        assert!(guarded(Service::Terminal(1)) && !guarded(Service::Http(8080)));
        assert_eq!(origin_of("http://h:1/p?q"), Some("http://h:1"));
    }
}
