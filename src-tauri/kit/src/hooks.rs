//! A container's proxy hooks ([`hoody_model::proxy_hooks`]), run by the proxy for a request to
//! one of its services once the gates let it in (a hook for some auth groups only when the request
//! came in through one of them): each matching hook's exec script runs inside
//! the container (CGI-style, as the exec service runs it: the request's method, path, query and
//! headers in its environment, no body), in order. Exit 0 lets the request go on to the next
//! hook and then the service; any other exit answers the request with the script's output and
//! the status its exit code means (64 → 400, 77 → 403, 66 → 404, …). A hook whose script is not
//! there, or that runs past its time, is a refusal too (502, 504): a hook may be a check, and a
//! check that cannot run does not let anything through.

use crate::proxy::{Body, page};
use bytes::Bytes;
use hoody_model::ProxyHooks;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::time::Duration;

/// None when every matching hook let the request go on; else the answer one of them gave.
pub(crate) async fn run(
    hooks: &ProxyHooks,
    req: &Request<Incoming>,
    slug: &str,
    groups_met: &[String],
    init_pid: u32,
    name: &str,
) -> Option<Response<Body>> {
    let method = req.method().as_str();
    let path = req.uri().path();
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
    // A hook for some auth groups runs for the requests the gates let in through one of them.
    let for_them = |groups: &[String]| groups.is_empty() || groups.iter().any(|g| groups_met.contains(g));
    let applies =
        |h: &&hoody_model::ProxyHook| h.matches.accepts(method, path, header) && for_them(&h.applies_to.groups);
    for hook in hooks.for_service(slug).filter(applies) {
        if hook.script.path.is_empty() {
            return Some(page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Hooks unreadable",
                &format!("the proxy hooks of {name} could not be read, so nothing goes through to {slug}"),
            ));
        }
        let script = format!("{}/{}", crate::exec::SCRIPTS_DIR, hook.script.path.trim_start_matches('/'));
        let there = hoody_runtime::procfs::root(init_pid)
            .and_then(|root| root.stat(&script))
            .is_ok_and(|e| e.kind == "file" && crate::exec::executable(&e.mode));
        if !there {
            return Some(page(
                StatusCode::BAD_GATEWAY,
                "Hook missing",
                &format!("hook {} of {slug} runs {script}, which is not an executable file in {name}", hook.id),
            ));
        }
        let mut env = crate::exec::cgi_env(method, req.uri().query().unwrap_or(""), path, &script);
        env.extend([("HOODY_HOOK_ID".to_owned(), hook.id.clone()), ("HOODY_HOOK_SERVICE".to_owned(), slug.to_owned())]);
        env.extend(crate::exec::header_vars(req.headers()));
        let timeout = Duration::from_millis(hook.timeout);
        let (answer, _, _) = crate::exec::run(init_pid, &script, env, Bytes::new(), timeout).await;
        match answer {
            Ok(resp) if resp.status() == StatusCode::OK => continue,
            Ok(resp) => return Some(resp),
            Err(e) => return Some(e.into_response()),
        }
    }
    None
}
