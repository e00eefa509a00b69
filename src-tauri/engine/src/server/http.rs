//! An operation on the wire: the methods it uses, what an HTTP request brings to it (decoded,
//! not yet parsed), and the HTTP call that asks a server for it.

use crate::error::{EngineError, Result};
use hoody_model::ErrorCode;

use super::OperationSpec;

/// The HTTP methods operations use.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    GET,
    POST,
    PUT,
    PATCH,
    DELETE,
}

impl Method {
    /// Lower case, as OpenAPI writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GET => "get",
            Self::POST => "post",
            Self::PUT => "put",
            Self::PATCH => "patch",
            Self::DELETE => "delete",
        }
    }
}

/// What an HTTP request brings to an operation, decoded but not yet parsed.
#[derive(Debug, Default)]
pub struct HttpInput {
    pub params: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    /// `null` when the operation takes no body.
    pub body: serde_json::Value,
}

/// An operation as an HTTP request to send.
#[derive(Debug, Clone)]
pub struct HttpCall {
    pub spec: &'static OperationSpec,
    pub params: Vec<(&'static str, String)>,
    pub query: Vec<(String, String)>,
    pub body: Option<serde_json::Value>,
}

impl HttpCall {
    /// The operation's first method.
    pub fn method(&self) -> Method {
        self.spec.methods[0]
    }

    /// The path under `/api/v1` with the parameters filled in (each one percent-encoded as a
    /// segment) and the query string.
    pub fn path_and_query(&self) -> String {
        let mut path = self.spec.path.to_owned();
        for (name, value) in &self.params {
            path = path.replace(&format!("{{{name}}}"), &encode(value));
        }
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        path
    }
}

/// Anything but letters, digits and `-_.~` percent-encoded.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl HttpInput {
    pub(super) fn param(&self, name: &str) -> Result<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| EngineError::rule(ErrorCode::InvalidRequest, format!("the path lacks its {name} segment")))
    }
}
