//! A container's firewall (`/containers/{id}/firewall/*`, as on the platform): egress and
//! ingress rules on its network (what leaves or arrives through its interface to the world;
//! its loopback, and with it the kit proxy's way in, is not filtered), first match wins, no
//! match accepts. The engine sets them as nftables rules in the container's network namespace,
//! where the container's processes (without CAP_NET_ADMIN) cannot change them.

use crate::error::{ErrorCode, ModelError};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use ts_rs::TS;

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct FirewallRule {
    pub id: String,
    /// `accept`, `drop` or `reject`.
    pub action: String,
    /// `tcp`, `udp`, `icmp`, `icmpv6` or `all`.
    pub protocol: String,
    pub description: String,
    /// An address or network (`10.0.0.0/8`, `2001:db8::/32`); egress rules only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub destination: Option<String>,
    /// An address or network; ingress rules only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source: Option<String>,
    /// A port, a range (`8000-8080`) or a list (`80,443`); tcp and udp only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub destination_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub icmp_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub icmp_code: Option<String>,
    /// `enabled` or `disabled` (kept, not applied).
    pub state: String,
}

/// A container's rules, in the order they are matched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct FirewallRules {
    pub egress: Vec<FirewallRule>,
    pub ingress: Vec<FirewallRule>,
}

/// A new rule, as the platform's clients send it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct FirewallRuleCreate {
    pub action: String,
    pub protocol: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub destination_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub icmp_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub icmp_code: Option<String>,
}

/// Which rules a removal or a toggle is for: those whose every given field is equal (with
/// `all`, every rule of the direction). A toggle's `state` is the state to set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct FirewallRuleMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub all: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub destination_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub icmp_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub icmp_code: Option<String>,
}

/// Rules one direction may have.
pub const MAX_RULES: usize = 256;

fn invalid(message: impl Into<String>) -> ModelError {
    ModelError::new(ErrorCode::InvalidField, message)
}

/// An address or network, as nftables writes it.
fn network(field: &str, text: &str) -> Result<(bool, String), ModelError> {
    let (addr, prefix) = text.split_once('/').map_or((text, None), |(a, p)| (a, Some(p)));
    let ip: IpAddr =
        addr.parse().map_err(|_| invalid(format!("{field} is an address or a network (10.0.0.0/8), not '{text}'")))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if let Some(p) = prefix
        && !p.parse::<u8>().is_ok_and(|p| p <= max)
    {
        return Err(invalid(format!(
            "{field}: /{p} is not a prefix length of {}",
            if ip.is_ipv4() { "IPv4 (0-32)" } else { "IPv6 (0-128)" }
        )));
    }
    Ok((ip.is_ipv4(), text.to_owned()))
}

/// Ports as nftables writes them: `80`, `8000-8080`, `{ 80, 443 }`.
fn ports(field: &str, text: &str) -> Result<String, ModelError> {
    let bad = || invalid(format!("{field} is a port, a range (8000-8080) or a list (80,443), not '{text}'"));
    let port = |p: &str| p.trim().parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad);
    let items: Vec<String> = text
        .split(',')
        .map(|item| match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (port(a)?, port(b)?);
                if a > b {
                    return Err(bad());
                }
                Ok(format!("{a}-{b}"))
            }
            None => port(item).map(|p| p.to_string()),
        })
        .collect::<Result<_, _>>()?;
    Ok(if items.len() == 1 { items[0].clone() } else { format!("{{ {} }}", items.join(", ")) })
}

fn small_number(field: &str, text: &str) -> Result<u8, ModelError> {
    text.parse::<u8>().map_err(|_| invalid(format!("{field} is a number 0-255, not '{text}'")))
}

impl FirewallRuleCreate {
    /// The rule, checked, for `egress` (destination) or ingress (source).
    pub fn into_rule(self, egress: bool, id: String) -> Result<FirewallRule, ModelError> {
        let rule = FirewallRule {
            id,
            action: self.action,
            protocol: self.protocol,
            description: self.description,
            destination: self.destination.filter(|d| !d.is_empty() && d != "any"),
            source: self.source.filter(|s| !s.is_empty() && s != "any"),
            destination_port: self.destination_port.filter(|p| !p.is_empty()),
            source_port: self.source_port.filter(|p| !p.is_empty()),
            icmp_type: self.icmp_type.filter(|t| !t.is_empty()),
            icmp_code: self.icmp_code.filter(|c| !c.is_empty()),
            state: self.state.unwrap_or_else(|| "enabled".into()),
        };
        if egress && rule.source.is_some() {
            return Err(invalid("source belongs to ingress rules: an egress rule names its destination"));
        }
        if !egress && rule.destination.is_some() {
            return Err(invalid("destination belongs to egress rules: an ingress rule names its source"));
        }
        rule.nft()?;
        Ok(rule)
    }
}

impl FirewallRule {
    /// The rule as an nftables statement (a disabled one too: it is checked all the same).
    pub fn nft(&self) -> Result<String, ModelError> {
        let mut parts = Vec::new();
        if let Some(address) = self.destination.as_deref().or(self.source.as_deref()) {
            let field = if self.destination.is_some() { "destination" } else { "source" };
            let (v4, net) = network(field, address)?;
            let dir = if self.destination.is_some() { "daddr" } else { "saddr" };
            parts.push(format!("{} {dir} {net}", if v4 { "ip" } else { "ip6" }));
        }
        let has_ports = self.destination_port.is_some() || self.source_port.is_some();
        let has_icmp = self.icmp_type.is_some() || self.icmp_code.is_some();
        match self.protocol.as_str() {
            "tcp" | "udp" => {
                if has_icmp {
                    return Err(invalid("icmp_type and icmp_code belong to icmp rules"));
                }
                if let Some(p) = &self.source_port {
                    parts.push(format!("{} sport {}", self.protocol, ports("source_port", p)?));
                }
                match &self.destination_port {
                    Some(p) => parts.push(format!("{} dport {}", self.protocol, ports("destination_port", p)?)),
                    None if self.source_port.is_none() => parts.push(format!("meta l4proto {}", self.protocol)),
                    None => {}
                }
            }
            "icmp" | "icmpv6" => {
                if has_ports {
                    return Err(invalid("ports belong to tcp and udp rules"));
                }
                parts.push(format!("meta l4proto {}", if self.protocol == "icmp" { "icmp" } else { "ipv6-icmp" }));
                if let Some(t) = &self.icmp_type {
                    parts.push(format!("{} type {}", self.protocol, small_number("icmp_type", t)?));
                }
                if let Some(c) = &self.icmp_code {
                    parts.push(format!("{} code {}", self.protocol, small_number("icmp_code", c)?));
                }
            }
            "all" | "any" => {
                if has_ports || has_icmp {
                    return Err(invalid("ports and icmp fields need protocol tcp, udp or icmp"));
                }
            }
            other => return Err(invalid(format!("protocol is tcp, udp, icmp, icmpv6 or all, not '{other}'"))),
        }
        match self.action.as_str() {
            "accept" | "drop" | "reject" => parts.push(self.action.clone()),
            other => return Err(invalid(format!("action is accept, drop or reject, not '{other}'"))),
        }
        if !matches!(self.state.as_str(), "enabled" | "disabled") {
            return Err(invalid(format!("state is enabled or disabled, not '{}'", self.state)));
        }
        if self.description.trim().is_empty()
            || self.description.len() > 120
            || self.description.contains(['"', '\\', '\n', '\r'])
        {
            return Err(invalid("description is 1-120 characters, without quotes, backslashes or line breaks"));
        }
        parts.push(format!("comment \"{}\"", self.description));
        Ok(parts.join(" "))
    }
}

impl FirewallRuleMatch {
    /// Whether `rule` is one of those this names (every field given is equal).
    pub fn selects(&self, rule: &FirewallRule) -> bool {
        if self.all == Some(true) {
            return true;
        }
        let same = |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
        same(&self.id, Some(&rule.id))
            && same(&self.action, Some(&rule.action))
            && same(&self.protocol, Some(&rule.protocol))
            && same(&self.destination_port, rule.destination_port.as_deref())
            && same(&self.destination, rule.destination.as_deref())
            && same(&self.source, rule.source.as_deref())
            && same(&self.source_port, rule.source_port.as_deref())
            && same(&self.description, Some(&rule.description))
            && same(&self.icmp_type, rule.icmp_type.as_deref())
            && same(&self.icmp_code, rule.icmp_code.as_deref())
    }

    /// Whether it names anything at all (a removal of everything must say `all`).
    pub fn names_something(&self) -> bool {
        self.all == Some(true)
            || [
                &self.id,
                &self.action,
                &self.protocol,
                &self.destination_port,
                &self.destination,
                &self.source,
                &self.source_port,
                &self.description,
                &self.icmp_type,
                &self.icmp_code,
            ]
            .iter()
            .any(|f| f.is_some())
    }
}

impl FirewallRules {
    /// The nftables script that makes the container's firewall these rules (one transaction:
    /// the table is replaced whole); None when there is nothing to enforce.
    pub fn ruleset(&self) -> Result<Option<String>, ModelError> {
        let enabled = |rules: &[FirewallRule]| -> Result<Vec<String>, ModelError> {
            rules.iter().filter(|r| r.state == "enabled").map(|r| r.nft().map(|s| format!("    {s}"))).collect()
        };
        let (egress, ingress) = (enabled(&self.egress)?, enabled(&self.ingress)?);
        let mut script = String::from("table inet hoody\ndelete table inet hoody\n");
        if egress.is_empty() && ingress.is_empty() {
            return Ok(None);
        }
        script.push_str("table inet hoody {\n  chain egress {\n    type filter hook output priority 0; policy accept;\n    oifname \"lo\" accept\n");
        for line in egress {
            script.push_str(&format!("{line}\n"));
        }
        script.push_str("  }\n  chain ingress {\n    type filter hook input priority 0; policy accept;\n    iifname \"lo\" accept\n    ct state established,related accept\n");
        for line in ingress {
            script.push_str(&format!("{line}\n"));
        }
        script.push_str("  }\n}\n");
        Ok(Some(script))
    }
}

/// The script that takes the firewall away (no table, nothing filtered).
pub const NO_FIREWALL: &str = "table inet hoody\ndelete table inet hoody\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: serde_json::Value, egress: bool) -> Result<FirewallRule, ModelError> {
        serde_json::from_value::<FirewallRuleCreate>(json).unwrap().into_rule(egress, "r1".into())
    }

    #[test]
    fn rules_become_nftables_statements() {
        let r = rule(serde_json::json!({"action": "drop", "protocol": "tcp", "description": "no web", "destination": "10.0.0.0/8", "destination_port": "80,443"}), true).unwrap();
        assert_eq!(r.nft().unwrap(), "ip daddr 10.0.0.0/8 tcp dport { 80, 443 } drop comment \"no web\"");
        let r = rule(
            serde_json::json!({"action": "reject", "protocol": "icmp", "description": "ping", "icmp_type": "8"}),
            true,
        )
        .unwrap();
        assert_eq!(r.nft().unwrap(), "meta l4proto icmp icmp type 8 reject comment \"ping\"");
        let r = rule(
            serde_json::json!({"action": "accept", "protocol": "udp", "description": "dns", "source": "2001:db8::/32"}),
            false,
        )
        .unwrap();
        assert_eq!(r.nft().unwrap(), "ip6 saddr 2001:db8::/32 meta l4proto udp accept comment \"dns\"");
        for (bad, egress) in [
            (
                serde_json::json!({"action": "drop", "protocol": "tcp", "description": "x", "destination": "example.com"}),
                true,
            ),
            (
                serde_json::json!({"action": "drop", "protocol": "tcp", "description": "x", "destination_port": "0"}),
                true,
            ),
            (
                serde_json::json!({"action": "drop", "protocol": "all", "description": "x", "destination_port": "80"}),
                true,
            ),
            (serde_json::json!({"action": "maybe", "protocol": "tcp", "description": "x"}), true),
            (serde_json::json!({"action": "drop", "protocol": "tcp", "description": "say \"hi\""}), true),
            (serde_json::json!({"action": "drop", "protocol": "tcp", "description": "x", "source": "1.2.3.4"}), true),
            (
                serde_json::json!({"action": "drop", "protocol": "tcp", "description": "x", "destination": "1.2.3.4/33"}),
                true,
            ),
            (serde_json::json!({"action": "drop", "protocol": "tcp", "description": "x", "state": "sometimes"}), false),
        ] {
            assert!(rule(bad.clone(), egress).is_err(), "{bad}");
        }
        let rules = FirewallRules {
            egress: vec![
                rule(serde_json::json!({"action": "drop", "protocol": "all", "description": "off"}), true).unwrap(),
            ],
            ingress: vec![],
        };
        let script = rules.ruleset().unwrap().unwrap();
        assert!(
            script.starts_with("table inet hoody\ndelete table inet hoody\n")
                && script.contains("    drop comment \"off\"\n"),
            "{script}"
        );
        assert_eq!(FirewallRules::default().ruleset().unwrap(), None);
    }
}
