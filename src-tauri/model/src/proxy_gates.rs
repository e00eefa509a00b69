//! A container's proxy permissions (`/containers/{id}/proxy/permissions`, as on the platform):
//! the gates its kit URLs sit behind. Named auth groups — a password (HTTP Basic), a bearer
//! token or an IP range — are allowed programs (`terminal`, `files`, `http-8080`, `*`); a
//! request that meets no group allowed for its program gets the `default` (allow or deny).
//! Open by default: no document, or `default: allow`, lets everyone through, as on the platform.
//!
//! Secrets are kept as salted SHA-256 digests and never answered.

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

    /// Whether a request with this `Authorization` header, from `peer`, meets the group.
    pub fn admits(&self, authorization: Option<&str>, peer: IpAddr) -> bool {
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
            Self::Ip { range } => IpRange::parse(range).is_ok_and(|r| r.contains(peer)),
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

    /// Whether a request for the service `slug` (`terminal-1`), with this `Authorization`, from
    /// `peer`, goes through.
    pub fn admit(&self, slug: &str, authorization: Option<&str>, peer: IpAddr) -> Admission {
        if !self.enable_proxy {
            return Admission::ProxyOff;
        }
        let kind = slug.rsplit_once('-').map_or(slug, |(kind, _)| kind);
        let allowed_for = |group: &str| {
            self.permissions.get(group).is_some_and(|programs| {
                [slug, kind, "*"].iter().any(|p| programs.get(*p) == Some(&true))
                    && ![slug, kind].iter().any(|p| programs.get(*p) == Some(&false))
            })
        };
        let met = self.groups.iter().any(|(name, group)| allowed_for(name) && group.admits(authorization, peer));
        if met || self.default == "allow" {
            return Admission::Let;
        }
        let ask_password =
            self.groups.iter().any(|(name, group)| matches!(group, ProxyGroup::Password { .. }) && allowed_for(name));
        Admission::Refused { ask_password }
    }

    /// Whether `authorization` is the credential of a password or token group (the proxy then
    /// keeps it from the container: it is the gate's, not the service's).
    pub fn credential_used(&self, authorization: Option<&str>, peer: IpAddr) -> bool {
        self.groups.values().any(|g| !matches!(g, ProxyGroup::Ip { .. }) && g.admits(authorization, peer))
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

    fn basic(user: &str, password: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
    }

    #[test]
    fn gates_let_in_whom_they_name_and_refuse_the_rest() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let mut p = ProxyPermissions::default();
        assert_eq!(p.admit("terminal-1", None, local), Admission::Let, "open by default");
        p.groups.insert("team".into(), ProxyGroup::password("ana", "s3cret", "salt", None).unwrap());
        p.groups.insert("ci".into(), ProxyGroup::token("0123456789abcdef0123").unwrap());
        p.groups.insert("office".into(), ProxyGroup::ip("10.0.0.0/8").unwrap());
        p.set_access("team", "terminal", &serde_json::json!("allow")).unwrap();
        p.set_access("ci", "*", &serde_json::json!(true)).unwrap();
        p.set_access("office", "files", &serde_json::json!(true)).unwrap();
        p.set_default("deny").unwrap();
        assert_eq!(p.admit("terminal-1", None, local), Admission::Refused { ask_password: true });
        assert_eq!(p.admit("terminal-1", Some(&basic("ana", "s3cret")), local), Admission::Let);
        assert_eq!(
            p.admit("terminal-1", Some(&basic("ana", "wrong")), local),
            Admission::Refused { ask_password: true }
        );
        assert_eq!(
            p.admit("files-1", Some(&basic("ana", "s3cret")), local),
            Admission::Refused { ask_password: false }
        );
        assert_eq!(p.admit("http-8080", Some("Bearer 0123456789abcdef0123"), local), Admission::Let);
        assert_eq!(p.admit("files-1", None, "10.1.2.3".parse().unwrap()), Admission::Let);
        assert_eq!(p.admit("files-1", None, "::ffff:10.1.2.3".parse().unwrap()), Admission::Let);
        assert_eq!(p.admit("files-1", None, "11.1.2.3".parse().unwrap()), Admission::Refused { ask_password: false });
        p.enable_proxy = false;
        assert_eq!(p.admit("terminal-1", Some(&basic("ana", "s3cret")), local), Admission::ProxyOff);
        let shown = serde_json::to_string(&p.public()).unwrap();
        assert!(!shown.contains("digest") && !shown.contains("s3cret"), "{shown}");
        assert!(ProxyGroup::ip("10.0.0.0/33").is_err() && ProxyGroup::ip("ten").is_err());
        assert!(p.set_access("nobody", "terminal", &serde_json::json!(true)).is_err());
        assert!(p.set_default("maybe").is_err());
        assert_eq!(ProxyGroup::password("a", "b", "c", Some("bcrypt")).unwrap_err().code, ErrorCode::NotImplemented);
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
    /// `{"type": "token", body}` or `{"type": "ip", range}`.
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
    /// Proxy hooks are not honoured yet: a non-empty map is refused.
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

/// `PATCH …/proxy/permissions/groups/{group}/jwt` (not honoured yet: its answer says so).
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
            Some("jwt") => Err(ModelError::new(ErrorCode::NotImplemented, "JWT groups are not honoured yet")),
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
        self.enable_proxy && self.default == "allow" || self.admit(slug, None, nowhere) == Admission::Let
    }
}
