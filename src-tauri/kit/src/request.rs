//! Reading what a client sent: query parameters, percent-escapes and size-limited bodies.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use std::collections::HashMap;

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); None when an escape is
/// malformed or the result is not UTF-8.
pub fn percent_decode(raw: &str, plus_is_space: bool) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The query string of a request, decoded.
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let mut map = HashMap::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(name, true).ok_or("the query string has a malformed %-escape")?;
            let value = percent_decode(value, true).ok_or("the query string has a malformed %-escape")?;
            map.insert(name, value);
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A boolean flag: present as `name`, `name=true` or `name=1`.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("" | "true" | "1"))
    }
}

/// The whole body, or a message for a 413 answer when it is larger than `limit` bytes.
pub async fn body(body: Incoming, limit: usize) -> Result<Bytes, String> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(format!("request bodies are limited to {} KiB here", limit >> 10)),
    }
}

#[cfg(test)]
mod tests {
    use super::{Query, percent_decode};

    #[test]
    fn escapes_and_flags() {
        assert_eq!(percent_decode("a%20b+c", true).as_deref(), Some("a b c"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("%2", false), None);
        assert_eq!(percent_decode("%ff", false), None);
        let q = Query::parse(Some("db=app.db&wait&x=false&sql=U0VM%3D")).unwrap();
        assert_eq!(q.get("db"), Some("app.db"));
        assert_eq!(q.get("sql"), Some("U0VM="));
        assert!(q.flag("wait") && !q.flag("x") && !q.flag("missing"));
        assert!(Query::parse(Some("a=%zz")).is_err());
    }
}
