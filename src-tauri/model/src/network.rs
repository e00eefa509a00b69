//! `/containers/{id}/network`: how a container reaches the outside. This server connects each
//! container directly, through this host (`direct`), or not at all (`none`: its loopback
//! only); the Hoody cloud's routes through proxies, VPNs and other countries are refused by
//! name.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The network as a container has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct NetworkConfig {
    /// `direct` (its own connection through this host) or `none` (loopback only).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the container has a way out (the same as the container's `network`).
    pub enabled: bool,
    /// The container's address and gateway while it has a network.
    pub address: Option<String>,
    pub gateway: Option<String>,
    /// The DNS servers its /etc/resolv.conf names (the forwarder to this host's resolvers).
    pub dns_servers: Vec<String>,
}

/// `PATCH /containers/{id}/network`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NetworkConfigUpdate {
    /// `direct` or `none`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Routing through an outside proxy: the Hoody cloud's, refused here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub proxy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub region: Option<String>,
    /// Not kept by this server yet: a non-empty one is refused (501).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub comment: Option<String>,
    /// Other DNS servers than the forwarder: not set by this server yet (501 when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dns_servers: Option<Vec<String>>,
}

/// The two networks this server gives: the container's own connection, or none.
pub const DIRECT: &str = "direct";
pub const NONE: &str = "none";
