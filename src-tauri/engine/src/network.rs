//! `/containers/{id}/network`: a container's way out, read and changed — at once, for a running
//! container as for a stopped one (the runtime cuts or restores it live).

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::network::{DIRECT, NONE};
use hoody_model::{Container, ContainerId, ContainerUpdate, ErrorCode, NetworkConfig, NetworkConfigUpdate};

impl Engine {
    pub async fn network(&self, caller: &Principal, id: &ContainerId) -> Result<NetworkConfig> {
        Ok(network_of(&self.container(caller, id).await?))
    }

    /// `direct` turns the network on, `none` off; what this server cannot do is refused by name
    /// and nothing changes.
    pub async fn update_network(
        &self,
        caller: &Principal,
        id: &ContainerId,
        req: NetworkConfigUpdate,
    ) -> Result<NetworkConfig> {
        let on = match req.kind.as_str() {
            DIRECT => true,
            NONE => false,
            other => {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!(
                        "type: '{other}' is not a network this server gives; use '{DIRECT}' (the container's own \
                         connection through this host) or '{NONE}' (its loopback only). Routing through a proxy, \
                         a VPN or another country is the Hoody cloud's"
                    ),
                ));
            }
        };
        let routed = [("proxy", &req.proxy), ("country", &req.country), ("city", &req.city), ("region", &req.region)];
        if let Some((field, _)) = routed.iter().find(|(_, v)| v.as_deref().is_some_and(|v| !v.is_empty())) {
            return Err(EngineError::rule(
                ErrorCode::InvalidField,
                format!(
                    "{field}: this server connects containers directly through this host; routing through a proxy, \
                     a VPN or another place is the Hoody cloud's. Leave {field} out"
                ),
            ));
        }
        if req.dns_servers.as_ref().is_some_and(|d| !d.is_empty()) {
            return Err(EngineError::NotImplemented(format!(
                "dns_servers: containers here ask this host's resolvers through {}; other DNS servers cannot be \
                 set yet. Leave dns_servers out",
                hoody_runtime::NETWORK_RESOLVER
            )));
        }
        if req.comment.as_deref().is_some_and(|c| !c.is_empty()) {
            return Err(EngineError::NotImplemented(
                "comment: this server keeps no comment on a network yet; leave comment out (the container's own \
                 comment is kept)"
                    .into(),
            ));
        }
        self.switch_network(caller, id, on).await
    }

    /// Turns the container's network on or off (now, if it runs).
    pub async fn switch_network(&self, caller: &Principal, id: &ContainerId, on: bool) -> Result<NetworkConfig> {
        let update = ContainerUpdate { network: Some(on), ..Default::default() };
        Ok(network_of(&self.update_container(caller, id, update).await?))
    }
}

fn network_of(c: &Container) -> NetworkConfig {
    let on = c.network;
    NetworkConfig {
        kind: if on { DIRECT } else { NONE }.to_owned(),
        enabled: on,
        address: on.then(|| hoody_runtime::NETWORK_ADDRESS.to_owned()),
        gateway: on.then(|| hoody_runtime::NETWORK_GATEWAY.to_owned()),
        dns_servers: if on { vec![hoody_runtime::NETWORK_RESOLVER.to_owned()] } else { Vec::new() },
    }
}
