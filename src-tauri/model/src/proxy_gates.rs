//! A container's proxy permissions (`/containers/{id}/proxy/permissions`, as on the platform):
//! the gates its kit URLs sit behind. Named auth groups — a password (HTTP Basic), a bearer
//! token, a JWT or an IP range — are allowed programs (`terminal`, `files`, `http-8080`, `*`);
//! a request that meets no group allowed for its program gets the `default` (allow or deny).
//! Open by default: no document, or `default: allow`, lets everyone through, as on the platform.
//!
//! Passwords and tokens are kept as salted SHA-256 digests; a JWT group's secret must be read
//! back (a signature is checked with it), so the engine keeps it sealed in the database (its
//! `sealed` module). None of them is ever answered.

use crate::error::{ErrorCode, ModelError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::IpAddr;
use ts_rs::TS;

/// The proxy permissions of one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ProxyPermissions {
    /// Off: the proxy answers 403 to every request for the container's services.
    pub enable_proxy: bool,
    /// `allow` or `deny`: what a request that meets no allowed group gets.
    pub default: String,
    pub groups: BTreeMap<String, ProxyGroup>,
    /// Group → program → allowed.
    pub permissions: BTreeMap<String, BTreeMap<String, bool>>,
    /// Changes with every change: a write with `If-Match` must name the current one.
    #[serde(default)]
    pub etag: String,
}

impl ProxyPermissions {
    /// Every JWT group's secret, to change in place (the engine seals them for the database
    /// and opens them for the gate).
    pub fn jwt_secrets_mut(&mut self) -> impl Iterator<Item = &mut String> {
        self.groups.values_mut().filter_map(|group| match group {
            ProxyGroup::Jwt { secret, .. } => Some(secret),
            _ => None,
        })
    }
}

impl Default for ProxyPermissions {
    fn default() -> Self {
        Self {
            enable_proxy: true,
            default: "allow".into(),
            groups: BTreeMap::new(),
            permissions: BTreeMap::new(),
            etag: String::new(),
        }
    }
}

/// An auth group: who meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[ts(export)]
pub enum ProxyGroup {
    /// HTTP Basic with this user and the password whose salted digest is kept.
    Password {
        username: String,
        algorithm: String,
        salt: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        #[ts(skip)]
        digest: String,
    },
    /// `Authorization: Bearer` with the token whose digest is kept.
    Token {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        #[ts(skip)]
        digest: String,
    },
    /// Requests from an address in this range (`10.0.0.0/8`, `::1/128`, one address).
    Ip { range: String },
    /// A JWT signed with `secret` under `algorithm` (HS256, HS384, HS512), found in one of
    /// `sources` (`header` for `Authorization: Bearer`, `header:NAME`, `cookie:NAME`,
    /// `query:NAME`), unexpired, holding every claim of `claims`.
    Jwt {
        algorithm: String,
        sources: Vec<String>,
        #[serde(default)]
        #[ts(type = "Record<string, unknown>")]
        #[schema(value_type = Object)]
        claims: BTreeMap<String, serde_json::Value>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        #[ts(skip)]
        secret: String,
    },
}

/// What a gate looks at in a request.
#[derive(Debug, Clone)]
pub struct GateRequest<'a> {
    pub peer: IpAddr,
    /// The request's headers (names in any case).
    pub headers: Vec<(&'a str, &'a str)>,
    /// The URL's query, without `?`.
    pub query: Option<&'a str>,
}

impl<'a> GateRequest<'a> {
    /// A request with no credentials from `peer`.
    pub fn from(peer: IpAddr) -> Self {
        Self { peer, headers: Vec::new(), query: None }
    }

    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }

    pub fn authorization(&self) -> Option<&'a str> {
        self.header("authorization")
    }

    fn bearer(&self) -> Option<&'a str> {
        let h = self.authorization()?;
        h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")).map(str::trim)
    }

    fn cookie(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim())
    }

    fn query_param(&self, name: &str) -> Option<&'a str> {
        self.query?.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// The value at a JWT group's source.
    fn source(&self, source: &str) -> Option<&'a str> {
        match source.split_once(':') {
            None if source == "header" => self.bearer(),
            Some(("header", name)) if name.eq_ignore_ascii_case("authorization") => self.bearer(),
            Some(("header", name)) => self.header(name).map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim()),
            Some(("cookie", name)) => self.cookie(name),
            Some(("query", name)) => self.query_param(name),
            _ => None,
        }
    }
}

/// Whether `source` names where a JWT may be: `header`, `header:NAME`, `cookie:NAME`, `query:NAME`.
fn valid_source(source: &str) -> bool {
    match source.split_once(':') {
        None => source == "header",
        Some(("header" | "cookie" | "query", name)) => {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        }
        _ => false,
    }
}

fn digest(salt: &str, secret: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}{secret}").as_bytes()))
}

fn invalid(message: impl Into<String>) -> ModelError {
    ModelError::new(ErrorCode::InvalidField, message)
}

impl ProxyGroup {
    pub fn password(username: &str, password: &str, salt: &str, algorithm: Option<&str>) -> Result<Self, ModelError> {
        let algorithm = algorithm.unwrap_or("sha256");
        if algorithm != "sha256" {
            return Err(ModelError::new(
                ErrorCode::NotImplemented,
                format!("algorithm {algorithm} is not honoured yet: passwords are kept as salted sha256"),
            ));
        }
        if username.is_empty() || username.contains(':') || password.is_empty() {
            return Err(invalid("username (without ':') and password must not be empty"));
        }
        Ok(Self::Password {
            username: username.into(),
            algorithm: algorithm.into(),
            salt: salt.into(),
            digest: digest(salt, password),
        })
    }

    pub fn token(token: &str) -> Result<Self, ModelError> {
        if token.len() < 16 {
            return Err(invalid("a gate's token must be at least 16 characters"));
        }
        Ok(Self::Token { digest: digest("", token) })
    }

    pub fn ip(range: &str) -> Result<Self, ModelError> {
        IpRange::parse(range)?;
        Ok(Self::Ip { range: range.into() })
    }

    pub fn jwt(
        secret: &str,
        algorithm: &str,
        sources: &[String],
        claims: Option<&serde_json::Value>,
    ) -> Result<Self, ModelError> {
        if crate::jwt::NOT_YET.contains(&algorithm) {
            return Err(ModelError::new(
                ErrorCode::NotImplemented,
                format!(
                    "algorithm {algorithm} is not honoured yet: JWT groups check {} signatures",
                    crate::jwt::ALGORITHMS.join(", ")
                ),
            ));
        }
        if !crate::jwt::ALGORITHMS.contains(&algorithm) {
            return Err(invalid(format!(
                "algorithm '{algorithm}' is not a JWT signing algorithm; use {}",
                crate::jwt::ALGORITHMS.join(", ")
            )));
        }
        if secret.len() < 16 {
            return Err(invalid("a JWT group's secret must be at least 16 characters"));
        }
        if sources.is_empty() {
            return Err(invalid(
                "sources must name where the token is: header, header:NAME, cookie:NAME or query:NAME",
            ));
        }
        if let Some(bad) = sources.iter().find(|s| !valid_source(s)) {
            return Err(invalid(format!(
                "source '{bad}' is not one of header, header:NAME, cookie:NAME or query:NAME"
            )));
        }
        let claims = match claims {
            None | Some(serde_json::Value::Null) => BTreeMap::new(),
            Some(serde_json::Value::Object(map)) => map.clone().into_iter().collect(),
            Some(other) => return Err(invalid(format!("claims must be an object of claim → value, not {other}"))),
        };
        Ok(Self::Jwt { algorithm: algorithm.into(), sources: sources.to_vec(), claims, secret: secret.into() })
    }

    /// Whether `request` meets the group.
    pub fn admits(&self, request: &GateRequest<'_>) -> bool {
        let authorization = request.authorization();
        match self {
            Self::Password { username, salt, digest: kept, .. } => authorization
                .and_then(|h| h.strip_prefix("Basic ").or_else(|| h.strip_prefix("basic ")))
                .and_then(|b64| {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()
                })
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|pair| pair.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
                .is_some_and(|(user, password)| user == *username && digest(salt, &password) == *kept),
            Self::Token { digest: kept } => authorization
                .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
                .is_some_and(|token| digest("", token.trim()) == *kept),
            Self::Ip { range } => IpRange::parse(range).is_ok_and(|r| r.contains(request.peer)),
            Self::Jwt { algorithm, sources, claims, secret } => {
                let now = chrono::Utc::now().timestamp();
                sources
                    .iter()
                    .filter_map(|source| request.source(source))
                    .any(|token| crate::jwt::verify(token, algorithm, secret.as_bytes(), claims, now).is_ok())
            }
        }
    }

    /// The group as answered: its secrets' digests left out.
    pub fn public(&self) -> Self {
        match self {
            Self::Password { username, algorithm, salt, .. } => Self::Password {
                username: username.clone(),
                algorithm: algorithm.clone(),
                salt: salt.clone(),
                digest: String::new(),
            },
            Self::Token { .. } => Self::Token { digest: String::new() },
            Self::Ip { range } => Self::Ip { range: range.clone() },
            Self::Jwt { algorithm, sources, claims, .. } => Self::Jwt {
                algorithm: algorithm.clone(),
                sources: sources.clone(),
                claims: claims.clone(),
                secret: String::new(),
            },
        }
    }
}

/// An address range: an address and a prefix length.
struct IpRange(IpAddr, u8);

impl IpRange {
    fn parse(raw: &str) -> Result<Self, ModelError> {
        let bad = || invalid(format!("range must be an address or a CIDR range like 10.0.0.0/8, not '{raw}'"));
        let (addr, bits) = raw.split_once('/').unwrap_or((raw, ""));
        let addr: IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = if bits.is_empty() { max } else { bits.parse::<u8>().map_err(|_| bad())? };
        if bits > max {
            return Err(bad());
        }
        Ok(Self(addr, bits))
    }

    fn contains(&self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (self.0, peer) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.1 == 0 { 0 } else { u32::MAX << (32 - self.1) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.1 == 0 { 0 } else { u128::MAX << (128 - self.1) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// What the gates decide for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Let,
    /// The proxy is off for the container.
    ProxyOff,
    /// No allowed group met; `ask_password` when a password group could let it in.
    Refused {
        ask_password: bool,
    },
}

impl ProxyPermissions {
    /// `allow` or `deny`, checked.
    pub fn set_default(&mut self, default: &str) -> Result<(), ModelError> {
        match default {
            "allow" | "deny" => {
                self.default = default.into();
                Ok(())
            }
            other => Err(invalid(format!("default must be allow or deny, not '{other}'"))),
        }
    }

    /// Allows (or not) `group` the `program` (`terminal`, `files`, `http-8080`, `*`); `access`
    /// is true/false or `allow`/`deny`.
    pub fn set_access(&mut self, group: &str, program: &str, access: &serde_json::Value) -> Result<(), ModelError> {
        if !self.groups.contains_key(group) {
            return Err(ModelError::new(
                ErrorCode::NotFound,
                format!("there is no auth group '{group}': make it first"),
            ));
        }
        if program.is_empty() {
            return Err(invalid("program must name a service (terminal, files, http-8080…) or *"));
        }
        let allowed = match access {
            serde_json::Value::Bool(b) => *b,
            serde_json::Value::String(s) if s == "allow" => true,
            serde_json::Value::String(s) if s == "deny" => false,
            other => return Err(invalid(format!("access must be true, false, \"allow\" or \"deny\", not {other}"))),
        };
        self.permissions.entry(group.into()).or_default().insert(program.into(), allowed);
        Ok(())
    }

    /// Whether `request`, for the service `slug` (`terminal-1`), goes through.
    pub fn admit(&self, slug: &str, request: &GateRequest<'_>) -> Admission {
        self.admit_through(slug, request).0
    }

    /// [`Self::admit`], with the auth groups the request met (each credential checked once).
    pub fn admit_through(&self, slug: &str, request: &GateRequest<'_>) -> (Admission, Vec<String>) {
        if !self.enable_proxy {
            return (Admission::ProxyOff, Vec::new());
        }
        let met = self.groups_met(slug, request);
        if !met.is_empty() || self.default == "allow" {
            return (Admission::Let, met);
        }
        let ask_password = self
            .groups
            .iter()
            .any(|(name, group)| matches!(group, ProxyGroup::Password { .. }) && self.allows(name, slug));
        (Admission::Refused { ask_password }, met)
    }

    /// The auth groups allowed `slug` whose credential `request` meets (what proxy hooks'
    /// `applies_to.groups` name).
    pub fn groups_met(&self, slug: &str, request: &GateRequest<'_>) -> Vec<String> {
        self.groups
            .iter()
            .filter(|(name, group)| self.allows(name, slug) && group.admits(request))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Whether `group` is allowed the service `slug` (`terminal-1`: itself, its kind or `*`,
    /// unless the slug or kind is denied).
    fn allows(&self, group: &str, slug: &str) -> bool {
        let kind = slug.rsplit_once('-').map_or(slug, |(kind, _)| kind);
        self.permissions.get(group).is_some_and(|programs| {
            [slug, kind, "*"].iter().any(|p| programs.get(*p) == Some(&true))
                && ![slug, kind].iter().any(|p| programs.get(*p) == Some(&false))
        })
    }

    /// Whether the request's `Authorization` is the credential of a password or token group (the
    /// proxy then keeps it from the container: it is the gate's, not the service's). A JWT is
    /// left to the service: it is the kind of token a service reads too.
    pub fn credential_used(&self, request: &GateRequest<'_>) -> bool {
        self.groups
            .values()
            .any(|g| matches!(g, ProxyGroup::Password { .. } | ProxyGroup::Token { .. }) && g.admits(request))
    }

    /// The document as answered: secrets' digests left out.
    pub fn public(&self) -> Self {
        Self { groups: self.groups.iter().map(|(k, g)| (k.clone(), g.public())).collect(), ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn admit(p: &ProxyPermissions, slug: &str, authorization: Option<&str>, peer: IpAddr) -> Admission {
        let headers = authorization.map(|a| vec![("Authorization", a)]).unwrap_or_default();
        p.admit(slug, &GateRequest { peer, headers, query: None })
    }

    fn basic(user: &str, password: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
    }

    #[test]
    fn gates_let_in_whom_they_name_and_refuse_the_rest() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let mut p = ProxyPermissions::default();
        assert_eq!(admit(&p, "terminal-1", None, local), Admission::Let, "open by default");
        p.groups.insert("team".into(), ProxyGroup::password("ana", "s3cret", "salt", None).unwrap());
        p.groups.insert("ci".into(), ProxyGroup::token("0123456789abcdef0123").unwrap());
        p.groups.insert("office".into(), ProxyGroup::ip("10.0.0.0/8").unwrap());
        p.set_access("team", "terminal", &serde_json::json!("allow")).unwrap();
        p.set_access("ci", "*", &serde_json::json!(true)).unwrap();
        p.set_access("office", "files", &serde_json::json!(true)).unwrap();
        p.set_default("deny").unwrap();
        assert_eq!(admit(&p, "terminal-1", None, local), Admission::Refused { ask_password: true });
        assert_eq!(admit(&p, "terminal-1", Some(&basic("ana", "s3cret")), local), Admission::Let);
        assert_eq!(
            admit(&p, "terminal-1", Some(&basic("ana", "wrong")), local),
            Admission::Refused { ask_password: true }
        );
        assert_eq!(
            admit(&p, "files-1", Some(&basic("ana", "s3cret")), local),
            Admission::Refused { ask_password: false }
        );
        assert_eq!(admit(&p, "http-8080", Some("Bearer 0123456789abcdef0123"), local), Admission::Let);
        assert_eq!(admit(&p, "files-1", None, "10.1.2.3".parse().unwrap()), Admission::Let);
        assert_eq!(admit(&p, "files-1", None, "::ffff:10.1.2.3".parse().unwrap()), Admission::Let);
        assert_eq!(admit(&p, "files-1", None, "11.1.2.3".parse().unwrap()), Admission::Refused { ask_password: false });
        p.enable_proxy = false;
        assert_eq!(admit(&p, "terminal-1", Some(&basic("ana", "s3cret")), local), Admission::ProxyOff);
        let shown = serde_json::to_string(&p.public()).unwrap();
        assert!(!shown.contains("digest") && !shown.contains("s3cret"), "{shown}");
        assert!(ProxyGroup::ip("10.0.0.0/33").is_err() && ProxyGroup::ip("ten").is_err());
        assert!(p.set_access("nobody", "terminal", &serde_json::json!(true)).is_err());
        assert!(p.set_default("maybe").is_err());
        assert_eq!(ProxyGroup::password("a", "b", "c", Some("bcrypt")).unwrap_err().code, ErrorCode::NotImplemented);
    }

    #[test]
    fn a_jwt_group_lets_in_a_signed_token_from_its_sources_with_its_claims() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let secret = "the gate's secret, long enough";
        let sources = vec!["header".to_owned(), "cookie:session".to_owned(), "query:token".to_owned()];
        let claims = serde_json::json!({"team": "core"});
        let mut p = ProxyPermissions::default();
        p.groups.insert("sso".into(), ProxyGroup::jwt(secret, "HS256", &sources, Some(&claims)).unwrap());
        p.set_access("sso", "*", &serde_json::json!(true)).unwrap();
        p.set_default("deny").unwrap();
        let good = crate::jwt::sign("HS256", secret.as_bytes(), &serde_json::json!({"team": "core"}));
        let other = crate::jwt::sign("HS256", secret.as_bytes(), &serde_json::json!({"team": "web"}));
        let forged = crate::jwt::sign("HS256", b"not the gate's secret", &serde_json::json!({"team": "core"}));
        let bearer = format!("Bearer {good}");
        assert_eq!(admit(&p, "files-1", Some(&bearer), local), Admission::Let);
        let cookie = format!("theme=dark; session={good}");
        let by_cookie = GateRequest { peer: local, headers: vec![("Cookie", cookie.as_str())], query: None };
        assert_eq!(p.admit("files-1", &by_cookie), Admission::Let);
        let query = format!("a=1&token={good}");
        let by_query = GateRequest { peer: local, headers: vec![], query: Some(query.as_str()) };
        assert_eq!(p.admit("files-1", &by_query), Admission::Let);
        assert!(!p.credential_used(&by_query), "a JWT is left to the service");
        for refused in [format!("Bearer {other}"), format!("Bearer {forged}"), "Bearer nonsense".into()] {
            assert_eq!(admit(&p, "files-1", Some(&refused), local), Admission::Refused { ask_password: false });
        }
        let shown = serde_json::to_string(&p.public()).unwrap();
        assert!(!shown.contains(secret) && shown.contains("cookie:session"), "{shown}");
        // Refused at set time, by name.
        let code = |r: Result<ProxyGroup, ModelError>| r.unwrap_err().code;
        assert_eq!(code(ProxyGroup::jwt(secret, "RS256", &sources, None)), ErrorCode::NotImplemented);
        assert_eq!(code(ProxyGroup::jwt(secret, "none", &sources, None)), ErrorCode::InvalidField);
        assert_eq!(code(ProxyGroup::jwt("short", "HS256", &sources, None)), ErrorCode::InvalidField);
        assert_eq!(code(ProxyGroup::jwt(secret, "HS256", &[], None)), ErrorCode::InvalidField);
        assert_eq!(code(ProxyGroup::jwt(secret, "HS256", &["body".into()], None)), ErrorCode::InvalidField);
        let list = serde_json::json!(["x"]);
        assert_eq!(code(ProxyGroup::jwt(secret, "HS256", &sources, Some(&list))), ErrorCode::InvalidField);
        let doc =
            serde_json::json!({"type": "jwt", "secret": secret, "algorithm": "HS512", "sources": ["header:X-Token"]});
        assert!(matches!(ProxyGroup::from_document("g", &doc), Ok(ProxyGroup::Jwt { .. })));
    }
}

/// `PATCH /containers/{id}/proxy/permissions`: the whole document at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxyPermissionsReplace {
    /// The container's project id (the platform's clients send it for a container, where it must
    /// match; a project's document has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub project: Option<String>,
    /// Group name → `{"type": "password", username, password, salt, algorithm?}`,
    /// `{"type": "token", body}`, `{"type": "ip", range}` or
    /// `{"type": "jwt", secret, algorithm, sources, claims?}`.
    #[ts(type = "Record<string, unknown>")]
    #[schema(value_type = Object)]
    pub groups: BTreeMap<String, serde_json::Value>,
    /// Group → program → `true`/`false`/`"allow"`/`"deny"`.
    #[ts(type = "Record<string, Record<string, unknown>>")]
    #[schema(value_type = Object)]
    pub permissions: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub enable_proxy: Option<bool>,
    /// Hooks are set at their own routes (`/proxy/hooks/{service}`): a non-empty map is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "Record<string, unknown>")]
    #[schema(value_type = Option<Object>)]
    pub hooks: Option<serde_json::Value>,
}

/// `PATCH …/proxy/permissions/default`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxyDefault {
    pub default: String,
}

/// `PATCH …/proxy/permissions/state`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxyState {
    pub enable_proxy: bool,
}

/// `PATCH …/proxy/permissions/groups/{group}/password`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxyPasswordGroup {
    pub username: String,
    pub password: String,
    pub salt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub algorithm: Option<String>,
}

/// `PATCH …/proxy/permissions/groups/{group}/token`: the token is the platform's `body` field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxyTokenGroup {
    pub body: String,
}

/// `PATCH …/proxy/permissions/groups/{group}/ip`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxyIpGroup {
    pub range: String,
}

/// `PATCH …/proxy/permissions/groups/{group}/jwt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxyJwtGroup {
    pub secret: String,
    pub algorithm: String,
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "Record<string, unknown>")]
    #[schema(value_type = Option<Object>)]
    pub claims: Option<serde_json::Value>,
}

/// `PATCH …/proxy/permissions/permissions/{group}`: what the group may reach.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxyAccess {
    pub program: String,
    #[ts(type = "unknown")]
    #[schema(value_type = Object)]
    pub access: serde_json::Value,
}

impl ProxyGroup {
    /// A group of a whole document (`{"type": …, …}`).
    pub fn from_document(name: &str, value: &serde_json::Value) -> Result<Self, ModelError> {
        let field = |f: &str| value.get(f).and_then(serde_json::Value::as_str);
        let required = |f: &str| field(f).ok_or_else(|| invalid(format!("groups.{name}.{f} is required")));
        match field("type") {
            Some("password") => {
                Self::password(required("username")?, required("password")?, required("salt")?, field("algorithm"))
            }
            Some("token") => Self::token(
                field("body").or(field("token")).ok_or_else(|| invalid(format!("groups.{name}.body is required")))?,
            ),
            Some("ip") => Self::ip(required("range")?),
            Some("jwt") => {
                let sources: Vec<String> = match value.get("sources") {
                    Some(serde_json::Value::Array(items)) => items
                        .iter()
                        .map(|s| s.as_str().map(str::to_owned))
                        .collect::<Option<_>>()
                        .ok_or_else(|| invalid(format!("groups.{name}.sources must be a list of strings")))?,
                    _ => return Err(invalid(format!("groups.{name}.sources is required (a list)"))),
                };
                Self::jwt(required("secret")?, required("algorithm")?, &sources, value.get("claims"))
            }
            _ => Err(invalid(format!("groups.{name}.type must be password, token, ip or jwt"))),
        }
    }
}

/// `GET|PUT /containers/{id}/proxy/settings`: the proxy's switch and default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ProxySettings {
    pub enable_proxy: bool,
    pub default: String,
    pub etag: String,
}

/// `PUT /containers/{id}/proxy/settings`: what changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxySettingsUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub enable_proxy: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub default: Option<String>,
}

/// One auth group, named (`GET /containers/{id}/proxy/groups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct NamedProxyGroup {
    pub name: String,
    pub group: ProxyGroup,
    /// The programs it is allowed (or refused).
    pub programs: BTreeMap<String, bool>,
}

/// One kit service of a container behind the proxy (`GET /containers/{id}/proxy/services`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ProxyService {
    /// `terminal-1`, `files-1`, `http-8080`…
    pub service: String,
    pub url: String,
    /// Whether anyone who has the URL gets through (no gate in front of it).
    pub open: bool,
}

impl ProxyPermissions {
    pub fn settings(&self) -> ProxySettings {
        ProxySettings { enable_proxy: self.enable_proxy, default: self.default.clone(), etag: self.etag.clone() }
    }

    pub fn named_groups(&self) -> Vec<NamedProxyGroup> {
        self.groups
            .iter()
            .map(|(name, group)| NamedProxyGroup {
                name: name.clone(),
                group: group.public(),
                programs: self.permissions.get(name).cloned().unwrap_or_default(),
            })
            .collect()
    }

    /// Whether `slug` is reachable without passing any gate.
    pub fn is_open_for(&self, slug: &str) -> bool {
        let nowhere: IpAddr = std::net::Ipv6Addr::UNSPECIFIED.into();
        self.enable_proxy && self.default == "allow" || self.admit(slug, &GateRequest::from(nowhere)) == Admission::Let
    }
}
