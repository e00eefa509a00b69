//! A container's proxy hooks ([`hoody_model::proxy_hooks`]): read, added, changed, moved and
//! removed, each change guarded by `If-Match` when the caller sends one (412 on a stale ETag)
//! and announced as an `updated` event, so the service proxy runs the new hooks at once.

use crate::auth::Principal;
use crate::{Engine, EngineError, Result};
use hoody_model::proxy_hooks::{DEFAULT_HOOK_TIMEOUT_MS, MAX_HOOKS, check_hook_service};
use hoody_model::{ContainerId, ErrorCode, EventKind, HookPosition, ProxyHook, ProxyHookWrite, ProxyHooks, Trigger};
use sha2::{Digest, Sha256};

/// The document with its ETag (a digest of everything else in it).
fn with_etag(mut hooks: ProxyHooks) -> ProxyHooks {
    hooks.renumber();
    hooks.etag = String::new();
    let text = serde_json::to_string(&hooks).expect("proxy hooks serialise");
    hooks.etag = hex::encode(&Sha256::digest(text.as_bytes())[..8]);
    hooks
}

impl Engine {
    /// The hooks the service proxy runs for container `id` (None: none set).
    pub async fn hooks_for_proxy(&self, id: &ContainerId) -> Result<Option<ProxyHooks>> {
        Ok(self.inner.store.proxy_hooks(id).await?.filter(|h| !h.hooks.is_empty()))
    }

    /// The container's hooks, as the caller may see them.
    pub async fn proxy_hooks(&self, caller: &Principal, id: &ContainerId) -> Result<ProxyHooks> {
        self.container(caller, id).await?;
        Ok(with_etag(self.inner.store.proxy_hooks(id).await?.unwrap_or_default()))
    }

    /// One hook of a service.
    pub async fn proxy_hook(
        &self,
        caller: &Principal,
        id: &ContainerId,
        service: &str,
        hook: &str,
    ) -> Result<ProxyHook> {
        let hooks = self.proxy_hooks(caller, id).await?;
        find(&hooks, service, hook).cloned()
    }

    /// Changes the container's hooks with `change`, if `if_match` (when given) names their
    /// ETag; answers the new document and what `change` answered.
    async fn change_proxy_hooks<T>(
        &self,
        caller: &Principal,
        id: &ContainerId,
        if_match: Option<&str>,
        change: impl FnOnce(&mut ProxyHooks) -> Result<T>,
    ) -> Result<(ProxyHooks, T)> {
        let _guard = self.inner.locks.lock(id).await;
        let c = self.container(caller, id).await?;
        let mut hooks = with_etag(self.inner.store.proxy_hooks(id).await?.unwrap_or_default());
        if let Some(wanted) = if_match.map(|w| w.trim().trim_start_matches("W/").trim_matches('"'))
            && wanted != "*"
            && wanted != hooks.etag
        {
            return Err(EngineError::rule(
                ErrorCode::PreconditionFailed,
                format!("the proxy hooks changed: their ETag is {}, not {wanted}; read them again", hooks.etag),
            ));
        }
        let answer = change(&mut hooks)?;
        let hooks = with_etag(hooks);
        self.inner.store.set_proxy_hooks(id, &hooks, crate::now()).await?;
        self.emit(EventKind::Updated, &c, Some(c.status), c.status, None, Some(Trigger::User));
        Ok((hooks, answer))
    }

    pub async fn add_proxy_hook(
        &self,
        caller: &Principal,
        id: &ContainerId,
        service: &str,
        if_match: Option<&str>,
        body: ProxyHookWrite,
    ) -> Result<ProxyHook> {
        check_hook_service(service)?;
        body.check(true)?;
        let now = crate::now().to_rfc3339();
        let (hooks, hook_id) = self
            .change_proxy_hooks(caller, id, if_match, |hooks| {
                let list = hooks.hooks.entry(service.to_owned()).or_default();
                if list.len() >= MAX_HOOKS {
                    return Err(EngineError::rule(
                        ErrorCode::InvalidField,
                        format!("{service} has {MAX_HOOKS} hooks, the most it may"),
                    ));
                }
                let hook = ProxyHook {
                    id: hoody_model::ids::random_hex(8),
                    service: service.to_owned(),
                    matches: body.matches.unwrap_or_default(),
                    script: body.script.expect("checked: the script is there"),
                    timeout: body.timeout.unwrap_or(DEFAULT_HOOK_TIMEOUT_MS),
                    applies_to: body.applies_to.unwrap_or_default(),
                    position: 0,
                    created_at: now.clone(),
                    updated_at: now,
                };
                let at = body.position.unwrap_or(list.len()).min(list.len());
                let hook_id = hook.id.clone();
                list.insert(at, hook);
                Ok(hook_id)
            })
            .await?;
        find(&hooks, service, &hook_id).cloned()
    }

    pub async fn update_proxy_hook(
        &self,
        caller: &Principal,
        id: &ContainerId,
        service: &str,
        hook_id: &str,
        if_match: Option<&str>,
        body: ProxyHookWrite,
    ) -> Result<ProxyHook> {
        body.check(false)?;
        let now = crate::now().to_rfc3339();
        let (hooks, ()) = self
            .change_proxy_hooks(caller, id, if_match, |hooks| {
                let (list, at) = place(hooks, service, hook_id)?;
                let mut hook = list.remove(at);
                if let Some(m) = body.matches {
                    hook.matches = m;
                }
                if let Some(s) = body.script {
                    hook.script = s;
                }
                if let Some(t) = body.timeout {
                    hook.timeout = t;
                }
                if let Some(a) = body.applies_to {
                    hook.applies_to = a;
                }
                hook.updated_at = now;
                list.insert(body.position.unwrap_or(at).min(list.len()), hook);
                Ok(())
            })
            .await?;
        find(&hooks, service, hook_id).cloned()
    }

    pub async fn move_proxy_hook(
        &self,
        caller: &Principal,
        id: &ContainerId,
        service: &str,
        hook_id: &str,
        if_match: Option<&str>,
        body: HookPosition,
    ) -> Result<ProxyHook> {
        let (hooks, ()) = self
            .change_proxy_hooks(caller, id, if_match, |hooks| {
                let (list, at) = place(hooks, service, hook_id)?;
                if body.position >= list.len() {
                    return Err(EngineError::rule(
                        ErrorCode::InvalidField,
                        format!(
                            "position is 0 to {} ({service} has {} hooks), not {}",
                            list.len() - 1,
                            list.len(),
                            body.position
                        ),
                    ));
                }
                let hook = list.remove(at);
                list.insert(body.position, hook);
                Ok(())
            })
            .await?;
        find(&hooks, service, hook_id).cloned()
    }

    pub async fn remove_proxy_hook(
        &self,
        caller: &Principal,
        id: &ContainerId,
        service: &str,
        hook_id: &str,
        if_match: Option<&str>,
    ) -> Result<ProxyHooks> {
        let (hooks, ()) = self
            .change_proxy_hooks(caller, id, if_match, |hooks| {
                let (list, at) = place(hooks, service, hook_id)?;
                list.remove(at);
                Ok(())
            })
            .await?;
        Ok(hooks)
    }

    /// Removes every hook of a service.
    pub async fn clear_service_hooks(
        &self,
        caller: &Principal,
        id: &ContainerId,
        service: &str,
        if_match: Option<&str>,
    ) -> Result<ProxyHooks> {
        check_hook_service(service)?;
        let (hooks, ()) = self
            .change_proxy_hooks(caller, id, if_match, |hooks| {
                hooks.hooks.remove(service);
                Ok(())
            })
            .await?;
        Ok(hooks)
    }
}

/// A service's hooks and the place of one of them in it.
fn place<'a>(hooks: &'a mut ProxyHooks, service: &str, hook: &str) -> Result<(&'a mut Vec<ProxyHook>, usize)> {
    let list = hooks.hooks.get_mut(service).ok_or_else(|| EngineError::not_found("proxy hook", hook))?;
    let at = list.iter().position(|h| h.id == hook).ok_or_else(|| EngineError::not_found("proxy hook", hook))?;
    Ok((list, at))
}

fn find<'a>(hooks: &'a ProxyHooks, service: &str, hook: &str) -> Result<&'a ProxyHook> {
    hooks
        .hooks
        .get(service)
        .and_then(|list| list.iter().find(|h| h.id == hook))
        .ok_or_else(|| EngineError::not_found("proxy hook", hook))
}
