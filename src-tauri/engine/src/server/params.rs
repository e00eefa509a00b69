//! How an operation's inputs come from an HTTP request: path segments, query parameters and a
//! JSON body, each refused with the platform's error code when it does not parse. The same
//! traits say what the OpenAPI document lists for them.

use crate::error::{EngineError, Result};
use hoody_model::event_log::{parse_moment, parse_resource_type};
use hoody_model::{
    CommandRequest, ContainerCopy, ContainerCreate, ContainerId, ContainerListQuery, ContainerStatus, ContainerUpdate,
    EnvVarValue, EnvVarsText, ErrorCode, EventFilter, EventListQuery, EventsCleanup, FirewallRuleCreate,
    FirewallRuleMatch, HookPosition, Id, ImageBuild, ImageImport, KvmSettings, NetworkConfigUpdate, Operation,
    PageRequest, ProjectCreate, ProjectId, ProjectPermissionCreate, ProjectPermissionUpdate, ProjectUpdate,
    ProxyAccess, ProxyDefault, ProxyHookWrite, ProxyIpGroup, ProxyJwtGroup, ProxyPasswordGroup,
    ProxyPermissionsReplace, ProxySettingsUpdate, ProxyState, ProxyTokenGroup, RealmCreate, RealmId, ServerId,
    SnapshotAlias, SnapshotCreate, SortField, SortOrder, TokenCopy, TokenCreate, TokenId, TokenPublicProfile,
    TokenRealm, TokenUpdate,
};
use hoody_model::{ExportCreate, ImportCreate};
use hoody_model::{IncomingMount, StorageShareCreate, StorageShareFilter, StorageShareUpdate};

/// A value taken from one `{name}` segment of a path (and put back into one).
pub trait PathParam: Sized {
    /// Its type in the UI's TypeScript.
    const TS: &'static str = "string";
    fn from_param(raw: &str) -> Result<Self>;
    fn to_param(&self) -> String;
}

macro_rules! id_params {
    ($($id:ty),*) => {$(
        impl PathParam for $id {
            fn from_param(raw: &str) -> Result<Self> {
                Ok(<$id>::parse(raw)?)
            }
            fn to_param(&self) -> String {
                self.as_str().to_owned()
            }
        }
    )*};
}
id_params!(ContainerId, ProjectId, ServerId, Id, TokenId);

impl PathParam for String {
    fn from_param(raw: &str) -> Result<Self> {
        Ok(raw.to_owned())
    }
    fn to_param(&self) -> String {
        self.clone()
    }
}

impl PathParam for Operation {
    const TS: &'static str = "Operation";
    fn to_param(&self) -> String {
        self.as_str().to_owned()
    }
    fn from_param(raw: &str) -> Result<Self> {
        Operation::parse(raw).ok_or_else(|| {
            let names: Vec<_> = Operation::ALL.iter().map(|o| o.as_str()).collect();
            EngineError::rule(
                ErrorCode::NotFound,
                format!("'{raw}' is not a container operation; use one of {}", names.join(", ")),
            )
        })
    }
}

/// An operation's query parameters (unknown ones are ignored, as the platform does).
pub trait QueryParams: Sized {
    /// Name and description of each, for the OpenAPI document.
    const PARAMS: &'static [(&'static str, &'static str)];
    fn from_query(pairs: &[(String, String)]) -> Result<Self>;
    /// The pairs that [`Self::from_query`] reads back as `self` (defaults left out).
    fn to_query(&self) -> Vec<(String, String)>;
}

fn pair(name: &str, value: impl ToString) -> (String, String) {
    (name.to_owned(), value.to_string())
}

/// The last value given for `name`.
fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn number(name: &str, v: Option<&str>) -> Result<Option<i64>> {
    v.map(|s| {
        s.parse::<i64>().map_err(|_| {
            EngineError::rule(ErrorCode::InvalidPagination, format!("{name} must be a whole number (got '{s}')"))
        })
    })
    .transpose()
}

fn flag(name: &str, v: Option<&str>) -> Result<bool> {
    match v {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(other) => {
            Err(EngineError::rule(ErrorCode::InvalidField, format!("{name} must be true or false (got '{other}')")))
        }
    }
}

impl QueryParams for () {
    const PARAMS: &'static [(&'static str, &'static str)] = &[];
    fn from_query(_: &[(String, String)]) -> Result<Self> {
        Ok(())
    }
    fn to_query(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl QueryParams for PageRequest {
    const PARAMS: &'static [(&'static str, &'static str)] =
        &[("page", "Page number, from 1"), ("limit", "Items per page, 1-200 (default 20)")];
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        Ok(PageRequest::new(number("page", value(pairs, "page"))?, number("limit", value(pairs, "limit"))?)?)
    }
    fn to_query(&self) -> Vec<(String, String)> {
        vec![pair("page", self.page), pair("limit", self.limit)]
    }
}

impl QueryParams for ContainerListQuery {
    const PARAMS: &'static [(&'static str, &'static str)] = &[
        ("page", "Page number, from 1"),
        ("limit", "Items per page, 1-200 (default 20)"),
        ("sort_by", "created_at | updated_at | name | status"),
        ("sort_order", "asc | desc (default desc)"),
        ("status", "Only containers in this status"),
        ("name", "Only names containing this (case-insensitive)"),
        ("project_id", "Only this project's containers"),
        ("realm_id", "Only containers in this realm"),
        ("runtime", "true: add runtime_info to running containers"),
    ];
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let get = |name| value(pairs, name);
        Ok(ContainerListQuery {
            page: PageRequest::from_query(pairs)?,
            sort_by: get("sort_by").map(SortField::parse).transpose()?.unwrap_or_default(),
            sort_order: get("sort_order").map(SortOrder::parse).transpose()?.unwrap_or_default(),
            realm_id: get("realm_id").map(RealmId::parse).transpose()?,
            project_id: get("project_id").map(ProjectId::parse).transpose()?,
            status: get("status").map(ContainerStatus::parse).transpose()?,
            name: get("name").filter(|n| !n.is_empty()).map(str::to_owned),
            with_runtime: flag("runtime", get("runtime"))?,
        })
    }
    fn to_query(&self) -> Vec<(String, String)> {
        let mut pairs = self.page.to_query();
        pairs.push(pair("sort_by", self.sort_by.as_str()));
        pairs.push(pair("sort_order", self.sort_order.as_str()));
        pairs.extend(self.realm_id.as_ref().map(|r| pair("realm_id", r)));
        pairs.extend(self.project_id.as_ref().map(|p| pair("project_id", p)));
        pairs.extend(self.status.map(|s| pair("status", s.as_str())));
        pairs.extend(self.name.as_ref().map(|n| pair("name", n)));
        if self.with_runtime {
            pairs.push(pair("runtime", true));
        }
        pairs
    }
}

/// The event log's filter parameters, after `extra` ones (a const list cannot be joined).
macro_rules! event_filter_params {
    ($($extra:expr),* $(,)?) => {
        &[
            $($extra,)*
            ("event_type", "Only entries of this type (container.running, project.created, snapshot.restored…)"),
            ("resource_type", "Only entries of container, project or snapshot"),
            ("resource_id", "Only entries of this resource"),
            ("project_id", "Only entries of this project and its containers"),
            ("container_id", "Only entries of this container and its snapshots"),
            ("realm_id", "Only entries of resources in this realm"),
            ("start_date", "From this day or RFC 3339 time on"),
            ("end_date", "Up to this day (inclusive) or RFC 3339 time"),
            ("before_date", "Before this day or RFC 3339 time"),
        ]
    };
}

impl QueryParams for EventFilter {
    const PARAMS: &'static [(&'static str, &'static str)] = event_filter_params!();
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let get = |name| value(pairs, name).filter(|v| !v.is_empty());
        let moment = |name| get(name).map(|raw| parse_moment(name, raw)).transpose();
        // An end day counts whole: the entries before the next day's start.
        let end = match get("end_date") {
            Some(raw) if raw.len() == 10 => moment("end_date")?.map(|t| t + chrono::Duration::days(1)),
            _ => moment("end_date")?.map(|t| t + chrono::Duration::milliseconds(1)),
        };
        let before = [end, moment("before_date")?].into_iter().flatten().min();
        Ok(EventFilter {
            event_type: get("event_type").map(str::to_owned),
            resource_type: get("resource_type").map(parse_resource_type).transpose()?,
            resource_id: get("resource_id").map(str::to_owned),
            project_id: get("project_id").map(ProjectId::parse).transpose()?,
            container_id: get("container_id").map(ContainerId::parse).transpose()?,
            realm_id: get("realm_id").map(RealmId::parse).transpose()?,
            since: moment("start_date")?,
            before,
        })
    }
    fn to_query(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        pairs.extend(self.event_type.as_ref().map(|t| pair("event_type", t)));
        pairs.extend(self.resource_type.as_ref().map(|t| pair("resource_type", t)));
        pairs.extend(self.resource_id.as_ref().map(|r| pair("resource_id", r)));
        pairs.extend(self.project_id.as_ref().map(|p| pair("project_id", p)));
        pairs.extend(self.container_id.as_ref().map(|c| pair("container_id", c)));
        pairs.extend(self.realm_id.as_ref().map(|r| pair("realm_id", r)));
        pairs.extend(self.since.map(|t| pair("start_date", t.to_rfc3339())));
        pairs.extend(self.before.map(|t| pair("before_date", t.to_rfc3339())));
        pairs
    }
}

impl QueryParams for EventListQuery {
    const PARAMS: &'static [(&'static str, &'static str)] = event_filter_params!(
        ("limit", "Entries per answer, 1-1000 (default 100)"),
        ("offset", "Entries to skip (default 0)"),
        ("sort_by", "created_at (the only order the log keeps)"),
        ("sort_order", "asc | desc (default desc)"),
    );
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let get = |name| value(pairs, name);
        let limit = number("limit", get("limit"))?.unwrap_or(i64::from(EventListQuery::DEFAULT_LIMIT));
        if !(1..=i64::from(EventListQuery::MAX_LIMIT)).contains(&limit) {
            return Err(EngineError::rule(
                ErrorCode::InvalidPagination,
                format!("limit must be between 1 and {} (got {limit})", EventListQuery::MAX_LIMIT),
            ));
        }
        let offset = number("offset", get("offset"))?.unwrap_or(0);
        let offset = u64::try_from(offset).map_err(|_| {
            EngineError::rule(ErrorCode::InvalidPagination, format!("offset must be 0 or more (got {offset})"))
        })?;
        if let Some(by) = get("sort_by").filter(|by| *by != "created_at") {
            return Err(EngineError::rule(
                ErrorCode::InvalidPagination,
                format!("sort_by '{by}' is not an order of the event log: it is kept by created_at"),
            ));
        }
        Ok(EventListQuery {
            filter: EventFilter::from_query(pairs)?,
            limit: limit as u32,
            offset,
            sort_order: get("sort_order").map(SortOrder::parse).transpose()?.unwrap_or_default(),
        })
    }
    fn to_query(&self) -> Vec<(String, String)> {
        let mut pairs =
            vec![pair("limit", self.limit), pair("offset", self.offset), pair("sort_order", self.sort_order.as_str())];
        pairs.extend(self.filter.to_query());
        pairs
    }
}

/// A write's precondition: the `If-Match` header (the REST layer passes it with the query's
/// pairs, as `if-match`), or `if_match` in the query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Precondition {
    pub if_match: Option<String>,
}

impl QueryParams for Precondition {
    const PARAMS: &'static [(&'static str, &'static str)] =
        &[("if_match", "The ETag the document must still have (also the If-Match header)")];
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        Ok(Self { if_match: value(pairs, "if-match").or(value(pairs, "if_match")).map(str::to_owned) })
    }
    fn to_query(&self) -> Vec<(String, String)> {
        self.if_match.iter().map(|etag| pair("if_match", etag)).collect()
    }
}

/// Which firewall rules a removal is for (`DELETE /containers/{id}/firewall/{egress|ingress}`).
impl QueryParams for StorageShareFilter {
    const PARAMS: &'static [(&'static str, &'static str)] = &[
        ("target_type", "container or project"),
        ("label", "Shares with this label"),
        ("status", "active, disabled or expired"),
        ("enabled", "true or false"),
        ("include_expired", "true: expired shares too"),
        ("realm_id", "Shares whose target is in this realm"),
    ];
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let text = |name: &str| value(pairs, name).map(str::to_owned);
        let on = |name: &str| value(pairs, name).map(|v| flag(name, Some(v))).transpose();
        Ok(StorageShareFilter {
            target_type: text("target_type"),
            label: text("label"),
            status: text("status"),
            enabled: on("enabled")?,
            include_expired: on("include_expired")?,
            realm_id: text("realm_id"),
        })
    }
    fn to_query(&self) -> Vec<(String, String)> {
        let texts = [
            ("target_type", &self.target_type),
            ("label", &self.label),
            ("status", &self.status),
            ("realm_id", &self.realm_id),
        ];
        let flags = [("enabled", self.enabled), ("include_expired", self.include_expired)];
        texts
            .into_iter()
            .filter_map(|(name, v)| v.as_ref().map(|v| pair(name, v)))
            .chain(flags.into_iter().filter_map(|(name, v)| v.map(|v| pair(name, v))))
            .collect()
    }
}

impl QueryParams for FirewallRuleMatch {
    const PARAMS: &'static [(&'static str, &'static str)] = &[
        ("all", "true: every rule of the direction"),
        ("id", "The rule's id"),
        ("action", "accept, drop or reject"),
        ("protocol", "tcp, udp, icmp, icmpv6 or all"),
        ("destination_port", "A port, range or list"),
        ("destination", "An address or network (egress)"),
        ("source", "An address or network (ingress)"),
        ("source_port", "A port, range or list"),
        ("description", "The rule's description"),
        ("state", "enabled or disabled"),
        ("icmp_type", "The ICMP type"),
        ("icmp_code", "The ICMP code"),
    ];
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let text = |name: &str| value(pairs, name).map(str::to_owned);
        Ok(FirewallRuleMatch {
            all: value(pairs, "all").map(|v| flag("all", Some(v))).transpose()?,
            id: text("id"),
            action: text("action"),
            protocol: text("protocol"),
            destination_port: text("destination_port"),
            destination: text("destination"),
            source: text("source"),
            source_port: text("source_port"),
            description: text("description"),
            state: text("state"),
            icmp_type: text("icmp_type"),
            icmp_code: text("icmp_code"),
        })
    }
    fn to_query(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self.all.iter().map(|a| pair("all", a)).collect();
        for (name, v) in [
            ("id", &self.id),
            ("action", &self.action),
            ("protocol", &self.protocol),
            ("destination_port", &self.destination_port),
            ("destination", &self.destination),
            ("source", &self.source),
            ("source_port", &self.source_port),
            ("description", &self.description),
            ("state", &self.state),
            ("icmp_type", &self.icmp_type),
            ("icmp_code", &self.icmp_code),
        ] {
            pairs.extend(v.iter().map(|v| pair(name, v)));
        }
        pairs
    }
}

/// `GET /containers/{id}`'s options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContainerView {
    /// Add `runtime_info` when the container runs (a look at its processes).
    pub with_runtime: bool,
}

impl QueryParams for ContainerView {
    const PARAMS: &'static [(&'static str, &'static str)] =
        &[("runtime", "true: add runtime_info when the container runs")];
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        Ok(Self { with_runtime: flag("runtime", value(pairs, "runtime"))? })
    }
    fn to_query(&self) -> Vec<(String, String)> {
        if self.with_runtime { vec![pair("runtime", true)] } else { Vec::new() }
    }
}

/// `GET /images/public`'s filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFilter {
    pub os: Option<String>,
}

impl QueryParams for ImageFilter {
    const PARAMS: &'static [(&'static str, &'static str)] =
        &[("os", "Only images of this OS (debian, ubuntu, alpine…), any case")];
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        Ok(Self { os: value(pairs, "os").map(str::to_owned) })
    }
    fn to_query(&self) -> Vec<(String, String)> {
        self.os.iter().map(|os| pair("os", os)).collect()
    }
}

/// `GET /servers/{id}/available-commands`: which.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandFilter {
    pub category: Option<String>,
    pub risk_level: Option<String>,
}

impl QueryParams for CommandFilter {
    const PARAMS: &'static [(&'static str, &'static str)] =
        &[("category", "storage | maintenance"), ("risk_level", "low | medium | high")];
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let get = |name| value(pairs, name).map(str::to_owned);
        Ok(Self { category: get("category"), risk_level: get("risk_level") })
    }
    fn to_query(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<_> = self.category.iter().map(|c| pair("category", c)).collect();
        pairs.extend(self.risk_level.iter().map(|r| pair("risk_level", r)));
        pairs
    }
}

/// `GET /containers/{id}/logs`: how many of the last lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsQuery {
    pub lines: usize,
}

impl LogsQuery {
    pub const DEFAULT_LINES: usize = 200;
    pub const MAX_LINES: usize = 5000;
}

impl Default for LogsQuery {
    fn default() -> Self {
        Self { lines: Self::DEFAULT_LINES }
    }
}

impl QueryParams for LogsQuery {
    const PARAMS: &'static [(&'static str, &'static str)] =
        &[("lines", "How many of the last lines (1-5000, default 200)")];
    fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let Some(raw) = value(pairs, "lines") else { return Ok(Self::default()) };
        match raw.parse::<usize>() {
            Ok(lines) if (1..=Self::MAX_LINES).contains(&lines) => Ok(Self { lines }),
            _ => Err(EngineError::rule(
                ErrorCode::InvalidField,
                format!("lines must be a whole number from 1 to {} (got '{raw}')", Self::MAX_LINES),
            )),
        }
    }
    fn to_query(&self) -> Vec<(String, String)> {
        vec![pair("lines", self.lines)]
    }
}

/// An operation's JSON body; `()` for none.
pub trait RequestBody: Sized {
    /// Its schema in the OpenAPI document.
    const SCHEMA: Option<&'static str>;
    fn from_json(body: serde_json::Value) -> Result<Self>;
    /// The body to send; None for `()`.
    fn to_json(&self) -> Option<serde_json::Value>;
}

impl RequestBody for () {
    const SCHEMA: Option<&'static str> = None;
    fn from_json(_: serde_json::Value) -> Result<Self> {
        Ok(())
    }
    fn to_json(&self) -> Option<serde_json::Value> {
        None
    }
}

/// Bodies read as JSON; those after `;` may also be left out (every field has a default).
macro_rules! bodies {
    ($($body:ident),* ; $($optional:ident),*) => {
        bodies!(@impl false, $($body),*);
        bodies!(@impl true, $($optional),*);
    };
    (@impl $optional:literal, $($body:ident),*) => {$(
        impl RequestBody for $body {
            const SCHEMA: Option<&'static str> = Some(stringify!($body));
            fn from_json(body: serde_json::Value) -> Result<Self> {
                let body = match body {
                    serde_json::Value::Null if $optional => serde_json::json!({}),
                    serde_json::Value::Null => {
                        return Err(EngineError::rule(
                            ErrorCode::InvalidRequest,
                            concat!("this request needs a JSON body (", stringify!($body), ") sent with \"Content-Type: application/json\"").to_owned(),
                        ));
                    }
                    body => body,
                };
                serde_json::from_value(body).map_err(|e| {
                    EngineError::rule(ErrorCode::InvalidRequest, format!("the body does not fit this request: {e}"))
                })
            }
            fn to_json(&self) -> Option<serde_json::Value> {
                Some(serde_json::to_value(self).expect("request bodies serialise to JSON"))
            }
        }
    )*};
}
bodies!(
    ProjectCreate, ProjectUpdate, ContainerCreate, ContainerUpdate, SnapshotCreate, RealmCreate, TokenCreate, ImageImport,
    EnvVarsText, EnvVarValue, SnapshotAlias, EventsCleanup, TokenRealm, ProxyPermissionsReplace, ProxyDefault,
    ProxyState, ProxyPasswordGroup, ProxyTokenGroup, ProxyIpGroup, ProxyJwtGroup, ProxyAccess, KvmSettings,
    NetworkConfigUpdate, TokenPublicProfile, CommandRequest, ProxyHookWrite, HookPosition, FirewallRuleCreate,
    FirewallRuleMatch, ProjectPermissionCreate, ProjectPermissionUpdate, StorageShareCreate, StorageShareUpdate,
    IncomingMount, ImportCreate;
    ImageBuild, ExportCreate, TokenUpdate, TokenCopy, ProxySettingsUpdate, ContainerCopy
);
