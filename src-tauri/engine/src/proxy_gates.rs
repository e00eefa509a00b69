//! Proxy permissions (the gates of kit URLs), a container's own or its project's (which hold for
//! its containers that have none of their own): read, replaced whole, or changed piece by piece,
//! each change guarded by `If-Match` when the caller sends one (412 on a stale ETag). A change is
//! an `updated` event of each container it touches, so the service proxy reads the new gates at
//! once.

use crate::auth::Principal;
use crate::{Engine, EngineError, Result};
use hoody_model::{
    ContainerId, ErrorCode, EventKind, ModelError, ProjectId, ProxyAccess, ProxyGroup, ProxyPermissions,
    ProxyPermissionsReplace, ProxyService, Trigger,
};
use sha2::{Digest, Sha256};

/// Whose gates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateOwner {
    Container(ContainerId),
    /// For the project's containers that have no gates of their own.
    Project(ProjectId),
}

/// The document with its ETag (a digest of everything else in it).
fn with_etag(mut permissions: ProxyPermissions) -> ProxyPermissions {
    permissions.etag = String::new();
    let text = serde_json::to_string(&permissions).expect("proxy permissions serialise");
    permissions.etag = hex::encode(&Sha256::digest(text.as_bytes())[..8]);
    permissions
}

impl Engine {
    /// The gates the service proxy applies to container `id`: its own, else its project's
    /// (None: open, nothing set).
    pub async fn proxy_gates(&self, id: &ContainerId, project: &ProjectId) -> Result<Option<ProxyPermissions>> {
        let stored = match self.inner.store.proxy_permissions(id).await? {
            Some(own) => Some(own),
            None => self.inner.store.project_proxy_permissions(project).await?,
        };
        Ok(stored.map(|gates| self.opened(gates)))
    }

    /// `gates` with their secrets opened, for checking requests. A group whose secret cannot be
    /// opened (sealed under another key: a desktop whose keyring lost its entry) is left out, so
    /// it lets no one in, and the reason is logged.
    fn opened(&self, mut gates: ProxyPermissions) -> ProxyPermissions {
        let sealer = &self.inner.sealer;
        gates.groups.retain(|name, group| match group {
            ProxyGroup::Jwt { secret, .. } => match sealer.open(secret) {
                Some(plain) => {
                    *secret = plain;
                    true
                }
                None => {
                    tracing::error!(
                        "the secret of the JWT group {name} cannot be opened with this engine's key: \
                         the group lets no one in; set its secret again"
                    );
                    false
                }
            },
            _ => true,
        });
        gates
    }

    /// `gates` with every secret sealed (those sealed already stay as they are).
    fn sealed(&self, mut gates: ProxyPermissions) -> ProxyPermissions {
        for secret in gates.jwt_secrets_mut().filter(|s| !crate::sealed::Sealer::is_sealed(s)) {
            *secret = self.inner.sealer.seal(secret);
        }
        gates
    }

    /// Seals the secrets a database from before sealing keeps in plaintext, and empties the WAL
    /// so that they are nowhere in the files any more.
    pub(crate) async fn seal_secrets_kept_plain(&self) -> Result<()> {
        let (containers, projects) = self.inner.store.all_proxy_permissions().await?;
        let plain =
            |gates: &mut ProxyPermissions| gates.jwt_secrets_mut().any(|s| !crate::sealed::Sealer::is_sealed(s));
        let mut sealed = 0;
        for (id, mut gates) in containers {
            if plain(&mut gates) {
                self.inner.store.set_proxy_permissions(&id, &self.sealed(gates), crate::now()).await?;
                sealed += 1;
            }
        }
        for (id, mut gates) in projects {
            if plain(&mut gates) {
                self.inner.store.set_project_proxy_permissions(&id, &self.sealed(gates), crate::now()).await?;
                sealed += 1;
            }
        }
        if sealed > 0 {
            self.inner.store.checkpoint().await?;
            tracing::warn!("sealed the JWT secrets of {sealed} proxy permission documents kept in plaintext");
        }
        Ok(())
    }

    async fn stored_gates(&self, owner: &GateOwner) -> Result<Option<ProxyPermissions>> {
        Ok(match owner {
            GateOwner::Container(id) => self.inner.store.proxy_permissions(id).await?,
            GateOwner::Project(id) => self.inner.store.project_proxy_permissions(id).await?,
        })
    }

    /// Refuses an owner the caller may not see.
    async fn visible_owner(&self, caller: &Principal, owner: &GateOwner) -> Result<()> {
        match owner {
            GateOwner::Container(id) => self.container(caller, id).await.map(drop),
            GateOwner::Project(id) => self.project(caller, id).await.map(drop),
        }
    }

    /// Tells the proxy (through `updated` events) that the gates of `owner`'s containers changed.
    async fn announce_gates(&self, owner: &GateOwner) -> Result<()> {
        let ids = match owner {
            GateOwner::Container(id) => vec![id.clone()],
            GateOwner::Project(id) => self.inner.store.project_container_ids(id).await?,
        };
        for id in ids {
            if let Some(c) = self.inner.store.container(&id).await? {
                self.emit(EventKind::Updated, &c, Some(c.status), c.status, None, Some(Trigger::User));
            }
        }
        Ok(())
    }

    /// The proxy permissions as their owner sees them (open ones when none are set).
    pub async fn proxy_permissions(&self, caller: &Principal, owner: &GateOwner) -> Result<ProxyPermissions> {
        self.visible_owner(caller, owner).await?;
        Ok(with_etag(self.stored_gates(owner).await?.unwrap_or_default()).public())
    }

    /// A container's gate changes queue behind its other work; a project's take the store's order.
    async fn lock_gates(&self, owner: &GateOwner) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match owner {
            GateOwner::Container(id) => Some(self.inner.locks.lock(id).await),
            GateOwner::Project(_) => None,
        }
    }

    /// `owner`'s gates as they are (open when none are set), if the caller may see them and
    /// `if_match` (when given) names their ETag.
    async fn current_gates(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
    ) -> Result<ProxyPermissions> {
        self.visible_owner(caller, owner).await?;
        let current = with_etag(self.stored_gates(owner).await?.unwrap_or_default());
        if let Some(wanted) = if_match.map(|w| w.trim().trim_start_matches("W/").trim_matches('"'))
            && wanted != "*"
            && wanted != current.etag
        {
            return Err(EngineError::rule(
                ErrorCode::PreconditionFailed,
                format!("the proxy permissions changed: their ETag is {}, not {wanted}; read them again", current.etag),
            ));
        }
        Ok(current)
    }

    /// Changes `owner`'s proxy permissions with `change`, if `if_match` (when given) names the
    /// current ETag.
    pub async fn change_proxy_permissions(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
        change: impl FnOnce(&mut ProxyPermissions) -> Result<()>,
    ) -> Result<ProxyPermissions> {
        let _guard = self.lock_gates(owner).await;
        let mut next = self.current_gates(caller, owner, if_match).await?;
        change(&mut next)?;
        let next = with_etag(self.sealed(next));
        match owner {
            GateOwner::Container(id) => self.inner.store.set_proxy_permissions(id, &next, crate::now()).await?,
            GateOwner::Project(id) => self.inner.store.set_project_proxy_permissions(id, &next, crate::now()).await?,
        }
        self.announce_gates(owner).await?;
        Ok(next.public())
    }

    /// Back to open: nothing set (a container then has its project's gates, if any).
    pub async fn clear_proxy_permissions(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
    ) -> Result<ProxyPermissions> {
        let _guard = self.lock_gates(owner).await;
        self.current_gates(caller, owner, if_match).await?;
        match owner {
            GateOwner::Container(id) => self.inner.store.delete_proxy_permissions(id).await?,
            GateOwner::Project(id) => self.inner.store.delete_project_proxy_permissions(id).await?,
        }
        self.announce_gates(owner).await?;
        Ok(with_etag(ProxyPermissions::default()).public())
    }

    /// The whole document at once (for a container, `project` must be its project's id).
    pub async fn replace_proxy_permissions(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
        body: ProxyPermissionsReplace,
    ) -> Result<ProxyPermissions> {
        if let GateOwner::Container(id) = owner {
            let c = self.container(caller, id).await?;
            if body.project.as_deref() != Some(c.project_id.as_str()) {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!(
                        "project must be the container's project ({}), not '{}'",
                        c.project_id,
                        body.project.as_deref().unwrap_or("")
                    ),
                ));
            }
        }
        if body.hooks.as_ref().is_some_and(|h| !h.is_null() && h.as_object().is_none_or(|m| !m.is_empty())) {
            return Err(EngineError::NotImplemented(
                "hooks are not taken in the permissions document: they are set at /containers/{id}/proxy/hooks/{service}"
                    .into(),
            ));
        }
        let mut next = ProxyPermissions::default();
        for (name, group) in &body.groups {
            next.groups.insert(name.clone(), ProxyGroup::from_document(name, group)?);
        }
        for (group, programs) in &body.permissions {
            for (program, access) in programs {
                next.set_access(group, program, access)?;
            }
        }
        if let Some(default) = &body.default {
            next.set_default(default)?;
        }
        next.enable_proxy = body.enable_proxy.unwrap_or(true);
        self.change_proxy_permissions(caller, owner, if_match, move |p| {
            *p = next;
            Ok(())
        })
        .await
    }

    pub async fn set_proxy_default(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
        default: &str,
    ) -> Result<ProxyPermissions> {
        self.change_proxy_permissions(caller, owner, if_match, |p| Ok(p.set_default(default)?)).await
    }

    pub async fn set_proxy_state(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
        on: bool,
    ) -> Result<ProxyPermissions> {
        self.change_proxy_permissions(caller, owner, if_match, |p| {
            p.enable_proxy = on;
            Ok(())
        })
        .await
    }

    /// Sets (or replaces) the auth group `name`.
    pub async fn set_proxy_group(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
        name: &str,
        group: std::result::Result<ProxyGroup, ModelError>,
    ) -> Result<ProxyPermissions> {
        let group = group?;
        if name.is_empty() || name.len() > 64 {
            return Err(EngineError::rule(ErrorCode::InvalidField, "a group's name is 1 to 64 characters"));
        }
        self.change_proxy_permissions(caller, owner, if_match, |p| {
            p.groups.insert(name.to_owned(), group);
            Ok(())
        })
        .await
    }

    /// Removes the auth group `name` and what it was allowed.
    pub async fn remove_proxy_group(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
        name: &str,
    ) -> Result<ProxyPermissions> {
        self.change_proxy_permissions(caller, owner, if_match, |p| {
            p.groups.remove(name).ok_or_else(|| EngineError::not_found("auth group", name))?;
            p.permissions.remove(name);
            Ok(())
        })
        .await
    }

    pub async fn set_proxy_access(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
        group: &str,
        body: ProxyAccess,
    ) -> Result<ProxyPermissions> {
        self.change_proxy_permissions(caller, owner, if_match, |p| {
            Ok(p.set_access(group, &body.program, &body.access)?)
        })
        .await
    }

    /// Takes from `group` what it was allowed: every program, or one.
    pub async fn remove_proxy_access(
        &self,
        caller: &Principal,
        owner: &GateOwner,
        if_match: Option<&str>,
        group: &str,
        program: Option<&str>,
    ) -> Result<ProxyPermissions> {
        self.change_proxy_permissions(caller, owner, if_match, |p| {
            let missing = || EngineError::not_found("permission of group", group);
            match program {
                None => p.permissions.remove(group).map(drop).ok_or_else(missing),
                Some(program) => {
                    let programs = p.permissions.get_mut(group).ok_or_else(missing)?;
                    programs
                        .remove(program)
                        .ok_or_else(|| EngineError::not_found("permission for program", program))?;
                    if programs.is_empty() {
                        p.permissions.remove(group);
                    }
                    Ok(())
                }
            }
        })
        .await
    }

    /// The container's kit services behind the proxy, and whether each is open to anyone.
    pub async fn proxy_services(&self, caller: &Principal, id: &ContainerId) -> Result<Vec<ProxyService>> {
        let c = self.container_with_runtime(caller, id).await?;
        let gates = self.proxy_gates(id, &c.project_id).await?.unwrap_or_default();
        Ok(c.urls
            .into_iter()
            .map(|(service, url)| ProxyService { open: gates.is_open_for(&service), service, url })
            .collect())
    }
}
