//! The proxy permissions of a container, applied by the proxy before any of its services sees
//! a request: the proxy turned off is a 403; a request that meets no allowed group, when the
//! default is deny, is a 401 asking for a password (when a password group could let it in) or
//! a 403. A password or token gate's credential (Basic or Bearer) is the gate's: it is not
//! passed on to the container, which is not to be trusted with it. A JWT is passed on: it is
//! the kind of token the service behind the gate reads too.

use crate::proxy::Body;
use hoody_model::{Admission, GateRequest, ProxyPermissions};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;

/// The auth groups the request met when it may go on (its gate credential taken off it), for
/// the proxy hooks that apply to some groups only; else the refusal.
pub(crate) fn admit(
    gates: &ProxyPermissions,
    req: &mut Request<Incoming>,
    peer: SocketAddr,
    slug: &str,
    name: &str,
) -> Result<Vec<String>, Box<Response<Body>>> {
    let (admission, credential_used, met) = {
        let asking = GateRequest {
            peer: peer.ip(),
            headers: req.headers().iter().filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?))).collect(),
            query: req.uri().query(),
        };
        let (admission, met) = gates.admit_through(slug, &asking);
        (admission, gates.credential_used(&asking), met)
    };
    match admission {
        Admission::Let => {
            if credential_used {
                req.headers_mut().remove(AUTHORIZATION);
            }
            Ok(met)
        }
        Admission::ProxyOff => Err(Box::new(crate::proxy::page(
            StatusCode::FORBIDDEN,
            "Proxy turned off",
            &format!("the proxy is turned off for {name}: its owner can turn it on (proxy permissions, state)"),
        ))),
        Admission::Refused { ask_password } => {
            let mut refused = crate::proxy::page(
                if ask_password { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN },
                "Not allowed",
                &format!("{slug} of {name} is behind a gate that this request does not pass"),
            );
            if ask_password {
                let realm =
                    HeaderValue::from_str(&format!("Basic realm=\"{name} {slug}\"", name = name.replace('"', "")))
                        .unwrap_or(HeaderValue::from_static("Basic realm=\"hoody\""));
                refused.headers_mut().insert(WWW_AUTHENTICATE, realm);
            }
            Err(Box::new(refused))
        }
    }
}
