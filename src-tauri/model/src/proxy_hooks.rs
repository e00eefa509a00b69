//! A container's proxy hooks (`/containers/{id}/proxy/hooks/{service}`, as on the platform):
//! exec scripts the proxy runs, in order, for the requests to one of its kit services that
//! match (methods, a path or path prefix, header values), after the gates let them in and
//! before the service sees them. A script that exits 0 lets the request go on; any other exit
//! answers it (its output, with the exec service's status for its exit code). Kept by the
//! engine, like the gates: the container cannot change them.

use crate::error::{ErrorCode, ModelError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// A hook run's longest time (milliseconds) unless it says less.
pub const DEFAULT_HOOK_TIMEOUT_MS: u64 = 5_000;
pub const MAX_HOOK_TIMEOUT_MS: u64 = 30_000;
/// Hooks one service may have.
pub const MAX_HOOKS: usize = 32;
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Which requests a hook is for (every one when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct HookMatch {
    /// Methods (any when empty).
    #[serde(default)]
    pub method: Vec<String>,
    /// A path (`/api/x`), or a prefix ending in `*` (`/api/*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub path: Option<String>,
    /// Header name → the value it must have.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// The exec script a hook runs: a script of the container's exec service (`exec-1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct HookScript {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub subdomain: Option<String>,
    #[serde(default, rename = "execId", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub exec_id: Option<String>,
    /// The script, under the exec service's scripts directory (`auth-check`).
    pub path: String,
}

/// Whom a hook is for: requests the gates let in through one of these auth groups (every
/// request when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct HookAppliesTo {
    #[serde(default)]
    pub groups: Vec<String>,
}

/// One hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ProxyHook {
    pub id: String,
    /// The service it is for: `terminal-1`, a kind (`terminal`), or `*`.
    pub service: String,
    #[serde(rename = "match")]
    pub matches: HookMatch,
    pub script: HookScript,
    /// Milliseconds a run may take.
    pub timeout: u64,
    pub applies_to: HookAppliesTo,
    /// Its place among the service's hooks (from 0: first run first).
    pub position: usize,
    pub created_at: String,
    pub updated_at: String,
}

/// A container's hooks, by service, with the ETag a change's `If-Match` must name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ProxyHooks {
    pub hooks: BTreeMap<String, Vec<ProxyHook>>,
    #[serde(default)]
    pub etag: String,
}

/// A new hook, or a hook's new settings (`PUT`: what is sent replaces what it had).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ProxyHookWrite {
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub matches: Option<HookMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub script: Option<HookScript>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub applies_to: Option<HookAppliesTo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub position: Option<usize>,
}

/// A hook's new place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct HookPosition {
    pub position: usize,
}

fn invalid(message: impl Into<String>) -> ModelError {
    ModelError::new(ErrorCode::InvalidField, message)
}

/// A service name hooks may be for: a kit service (`terminal-1`), its kind, or `*`.
pub fn check_hook_service(service: &str) -> Result<(), ModelError> {
    let ok = service == "*"
        || (!service.is_empty()
            && service.len() <= 32
            && service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    match ok {
        true => Ok(()),
        false => Err(invalid(format!("service is a kit service (terminal-1, files, http-8080) or *, not '{service}'"))),
    }
}

impl HookMatch {
    fn check(&self) -> Result<(), ModelError> {
        if let Some(m) = self.method.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return Err(invalid(format!("match.method: '{m}' is not one of {}", METHODS.join(", "))));
        }
        if let Some(path) = &self.path
            && (!path.starts_with('/') || path.contains(['\0', ' ']) || path.trim_end_matches('*').contains('*'))
        {
            return Err(invalid(format!(
                "match.path is a path (/api/x) or a prefix ending in * (/api/*), not '{path}'"
            )));
        }
        let token = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
        if let Some(name) = self.headers.keys().find(|n| !token(n)) {
            return Err(invalid(format!("match.headers: '{name}' is not a header name")));
        }
        Ok(())
    }

    /// Whether a request (method, path, headers by lowercase name) is one of these.
    pub fn accepts<'a>(&self, method: &str, path: &str, header: impl Fn(&str) -> Option<&'a str>) -> bool {
        let path_ok = match self.path.as_deref() {
            None => true,
            Some(prefix) if prefix.ends_with('*') => path.starts_with(prefix.trim_end_matches('*')),
            Some(exact) => path == exact,
        };
        (self.method.is_empty() || self.method.iter().any(|m| m == method))
            && path_ok
            && self.headers.iter().all(|(name, value)| header(&name.to_ascii_lowercase()) == Some(value.as_str()))
    }
}

impl HookScript {
    fn check(&self) -> Result<(), ModelError> {
        for (field, value) in [("script.subdomain", &self.subdomain), ("script.execId", &self.exec_id)] {
            if let Some(v) = value.as_deref().filter(|v| !["", "1", "exec-1"].contains(v)) {
                return Err(invalid(format!(
                    "{field}: a hook runs a script of the container's own exec service (exec-1), not '{v}'"
                )));
            }
        }
        let path = self.path.trim_start_matches('/');
        let ok = !path.is_empty()
            && path.len() <= 255
            && path.split('/').all(|p| !p.is_empty() && p != "." && p != "..")
            && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
        match ok {
            true => Ok(()),
            false => Err(invalid(format!(
                "script.path names a script under the exec service's directory (auth-check), not '{}'",
                self.path
            ))),
        }
    }
}

impl ProxyHookWrite {
    /// Checks what is set; `creating` also needs the script.
    pub fn check(&self, creating: bool) -> Result<(), ModelError> {
        if let Some(m) = &self.matches {
            m.check()?;
        }
        match &self.script {
            Some(s) => s.check()?,
            None if creating => return Err(invalid("script is required: {\"path\": \"auth-check\"}")),
            None => {}
        }
        if let Some(t) = self.timeout
            && !(1..=MAX_HOOK_TIMEOUT_MS).contains(&t)
        {
            return Err(invalid(format!("timeout is 1 to {MAX_HOOK_TIMEOUT_MS} milliseconds, not {t}")));
        }
        let name_ok = |g: &String| {
            !g.is_empty() && g.len() <= 64 && g.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if let Some(bad) = self.applies_to.as_ref().and_then(|a| a.groups.iter().find(|g| !name_ok(g))) {
            return Err(invalid(format!("applies_to.groups names auth groups of the proxy permissions, not '{bad}'")));
        }
        Ok(())
    }
}

impl ProxyHooks {
    /// What stands for hooks that could not be read: one hook for every service that no script
    /// can pass (its path names none), so nothing goes through unchecked.
    pub fn unreadable() -> Self {
        let now = String::new();
        let hook = ProxyHook {
            id: "unreadable".into(),
            service: "*".into(),
            matches: HookMatch::default(),
            script: HookScript { subdomain: None, exec_id: None, path: String::new() },
            timeout: 1,
            applies_to: HookAppliesTo::default(),
            position: 0,
            created_at: now.clone(),
            updated_at: now,
        };
        Self { hooks: [("*".to_owned(), vec![hook])].into(), etag: String::new() }
    }

    /// The hooks that run for a request to the service `slug` (`terminal-1`): the service's
    /// own, then its kind's, then `*`'s, each in order.
    pub fn for_service<'a>(&'a self, slug: &'a str) -> impl Iterator<Item = &'a ProxyHook> + 'a {
        let kind = slug.rsplit_once('-').map_or(slug, |(kind, _)| kind);
        let keys: Vec<&str> = if kind == slug { vec![slug, "*"] } else { vec![slug, kind, "*"] };
        keys.into_iter().filter_map(|k| self.hooks.get(k)).flatten()
    }

    /// Numbers each service's hooks by their place.
    pub fn renumber(&mut self) {
        self.hooks.retain(|_, list| !list.is_empty());
        for list in self.hooks.values_mut() {
            for (i, hook) in list.iter_mut().enumerate() {
                hook.position = i;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_and_checks() {
        let m = HookMatch {
            method: vec!["POST".into()],
            path: Some("/api/*".into()),
            headers: [("X-Env".into(), "prod".into())].into(),
        };
        let header = |name: &str| (name == "x-env").then_some("prod");
        assert!(m.accepts("POST", "/api/v1/x", header));
        assert!(!m.accepts("GET", "/api/v1/x", header));
        assert!(!m.accepts("POST", "/other", header));
        assert!(!m.accepts("POST", "/api/x", |_| None));
        let script = |path: &str| HookScript { subdomain: None, exec_id: None, path: path.into() };
        let write = |s: HookScript| ProxyHookWrite { script: Some(s), ..Default::default() };
        assert!(write(script("auth-check")).check(true).is_ok());
        for bad in ["", "../x", "a/../b", "a b"] {
            assert!(write(script(bad)).check(true).is_err(), "{bad}");
        }
        assert!(ProxyHookWrite::default().check(true).is_err(), "the script is required");
        let other_exec = HookScript { exec_id: Some("exec-2".into()), ..script("x") };
        assert!(write(other_exec).check(true).is_err());
        let groups = |g: &str| ProxyHookWrite {
            applies_to: Some(HookAppliesTo { groups: vec![g.into()] }),
            ..write(script("x"))
        };
        assert!(groups("team").check(true).is_ok());
        assert!(groups("a b").check(true).is_err());
        assert!(check_hook_service("terminal-1").is_ok() && check_hook_service("*").is_ok());
        assert!(check_hook_service("Terminal/1").is_err());
    }
}
