//! A container's firewall ([`hoody_model::firewall`]): its rules kept in the store and set by
//! the runtime (now when the container runs, and at each start before its network is
//! attached). A change is set first and kept after, so the store never holds rules the
//! container does not have.

use crate::auth::Principal;
use crate::{Engine, EngineError, Result};
use hoody_model::firewall::MAX_RULES;
use hoody_model::{ContainerId, ErrorCode, FirewallRuleCreate, FirewallRuleMatch, FirewallRules};

/// Which rules: those for what leaves the container, or what arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Egress,
    Ingress,
}

impl Direction {
    fn rules(self, all: &mut FirewallRules) -> &mut Vec<hoody_model::FirewallRule> {
        match self {
            Direction::Egress => &mut all.egress,
            Direction::Ingress => &mut all.ingress,
        }
    }

    /// No rule of this direction is the one a request names.
    fn none_matched(self) -> EngineError {
        EngineError::not_found("firewall rule", format!("{} rule matching the request", self.name()))
    }

    fn name(self) -> &'static str {
        match self {
            Direction::Egress => "egress",
            Direction::Ingress => "ingress",
        }
    }
}

impl Engine {
    pub async fn firewall_rules(&self, caller: &Principal, id: &ContainerId) -> Result<FirewallRules> {
        self.container(caller, id).await?;
        Ok(self.inner.store.firewall_rules(id).await?.unwrap_or_default())
    }

    /// Changes the container's rules with `change`: set in the container, then kept.
    async fn change_firewall(
        &self,
        caller: &Principal,
        id: &ContainerId,
        change: impl FnOnce(&mut FirewallRules) -> Result<()>,
    ) -> Result<FirewallRules> {
        let _guard = self.inner.locks.lock(id).await;
        let c = self.container(caller, id).await?;
        let mut rules = self.inner.store.firewall_rules(id).await?.unwrap_or_default();
        change(&mut rules)?;
        let ruleset = rules.ruleset()?;
        self.inner.runtime.set_firewall(&c, ruleset.as_deref()).await?;
        self.inner.store.set_firewall_rules(id, &rules, crate::now()).await?;
        Ok(rules)
    }

    pub async fn add_firewall_rule(
        &self,
        caller: &Principal,
        id: &ContainerId,
        direction: Direction,
        body: FirewallRuleCreate,
    ) -> Result<FirewallRules> {
        let rule = body.into_rule(direction == Direction::Egress, hoody_model::ids::random_hex(6))?;
        self.change_firewall(caller, id, |all| {
            let rules = direction.rules(all);
            if rules.len() >= MAX_RULES {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!("a container has at most {MAX_RULES} {} rules", direction.name()),
                ));
            }
            rules.push(rule);
            Ok(())
        })
        .await
    }

    /// Removes the rules `which` names (404 when it names none).
    pub async fn remove_firewall_rules(
        &self,
        caller: &Principal,
        id: &ContainerId,
        direction: Direction,
        which: FirewallRuleMatch,
    ) -> Result<FirewallRules> {
        if !which.names_something() {
            return Err(EngineError::rule(
                ErrorCode::InvalidField,
                "name the rules to remove (their fields, or id), or send all=true for every one",
            ));
        }
        self.change_firewall(caller, id, |all| {
            let rules = direction.rules(all);
            let before = rules.len();
            rules.retain(|r| !which.selects(r));
            if rules.len() == before {
                return Err(direction.none_matched());
            }
            Ok(())
        })
        .await
    }

    /// Turns the rules `which` names on or off (its `state`).
    pub async fn toggle_firewall_rules(
        &self,
        caller: &Principal,
        id: &ContainerId,
        direction: Direction,
        which: FirewallRuleMatch,
    ) -> Result<FirewallRules> {
        let state = match which.state.as_deref() {
            Some(s @ ("enabled" | "disabled")) => s.to_owned(),
            other => {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!("state is enabled or disabled, not '{}'", other.unwrap_or("")),
                ));
            }
        };
        let which = FirewallRuleMatch { state: None, ..which };
        self.change_firewall(caller, id, |all| {
            let mut changed = 0;
            for rule in direction.rules(all).iter_mut().filter(|r| which.selects(r)) {
                rule.state = state.clone();
                changed += 1;
            }
            if changed == 0 {
                return Err(direction.none_matched());
            }
            Ok(())
        })
        .await
    }

    /// No rules: nothing filtered.
    pub async fn reset_firewall(&self, caller: &Principal, id: &ContainerId) -> Result<FirewallRules> {
        self.change_firewall(caller, id, |all| {
            *all = FirewallRules::default();
            Ok(())
        })
        .await
    }
}
