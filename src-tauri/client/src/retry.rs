//! When a request is sent again. A server that says when to ask again (429, or 503 with
//! `Retry-After`) did not act: any request is sent again then (waiting at most [`MAX_WAIT`]).
//! A request that got no answer (refused, cut off; not one that timed out) is sent again only
//! when sending it twice does what sending it once does (GET, PUT, DELETE): a POST or PATCH whose answer was lost may have been acted on,
//! and its caller decides (a create looks for what it made first). Backoff doubles from
//! [`FIRST_WAIT`]; [`ATTEMPTS`] in all.

use crate::ClientError;
use reqwest::Method;
use std::time::Duration;

pub const ATTEMPTS: u32 = 3;
pub const FIRST_WAIT: Duration = Duration::from_millis(250);
/// The longest a Retry-After is waited for; a server asking for longer is answered with its
/// refusal (the caller shows it as rate-limited).
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// How long to wait before attempt `attempt + 1`, or None to give up with `e`.
pub fn after(method: &Method, e: &ClientError, attempt: u32) -> Option<Duration> {
    if attempt + 1 >= ATTEMPTS {
        return None;
    }
    let backoff = FIRST_WAIT * 2u32.pow(attempt);
    match e {
        ClientError::Api { status: 429 | 503, retry_after: Some(wait), .. } => (*wait <= MAX_WAIT).then_some(*wait),
        ClientError::Api { status: 429, retry_after: None, .. } => Some(backoff),
        // Not one that timed out: a server that hangs is not asked to hang again.
        ClientError::Transport(e) if idempotent(method) && !e.is_timeout() => Some(backoff),
        _ => None,
    }
}

fn idempotent(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::PUT, Method::DELETE].contains(method)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, retry_after: Option<u64>) -> ClientError {
        ClientError::Api { status, code: None, message: "x".into(), retry_after: retry_after.map(Duration::from_secs) }
    }

    #[test]
    fn a_server_that_says_when_is_asked_again_then() {
        assert_eq!(after(&Method::POST, &refusal(429, Some(2)), 0), Some(Duration::from_secs(2)));
        assert_eq!(after(&Method::GET, &refusal(503, Some(1)), 1), Some(Duration::from_secs(1)));
        assert_eq!(after(&Method::GET, &refusal(429, None), 1), Some(FIRST_WAIT * 2));
        // Too long a wait, the last attempt, a 503 that does not say when, any other refusal: no.
        assert_eq!(after(&Method::GET, &refusal(429, Some(60)), 0), None);
        assert_eq!(after(&Method::GET, &refusal(429, Some(1)), ATTEMPTS - 1), None);
        assert_eq!(after(&Method::GET, &refusal(503, None), 0), None);
        assert_eq!(after(&Method::GET, &refusal(404, None), 0), None);
    }
}
