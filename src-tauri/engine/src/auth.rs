//! Tokens and what a caller may see. A token is a random secret shown once; the store keeps
//! only its SHA-256. A realm-scoped token sees and touches only its realms' projects and
//! containers (and the projects granted to it, as far as each grant's level reaches), and
//! cannot change which realms anything belongs to.

use crate::Engine;
use crate::error::{EngineError, Result};
use hoody_model::ids::random_hex;
use hoody_model::{CreatedToken, ErrorCode, PermissionLevel, ProjectId, RealmId, Token, TokenId};
use hoody_store::{TokenRecord, Visible};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const TOKEN_PREFIX: &str = "hoody_";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An unrestricted token: every realm, and resources in none.
    All,
    /// A realm-restricted token.
    Realms(Vec<RealmId>),
}

impl Scope {
    /// Whether a resource in `realms` is visible under this scope.
    pub fn sees(&self, realms: &[RealmId]) -> bool {
        match self {
            Self::All => true,
            Self::Realms(mine) => realms.iter().any(|r| mine.contains(r)),
        }
    }

    pub fn realms(&self) -> Option<&[RealmId]> {
        match self {
            Self::All => None,
            Self::Realms(r) => Some(r),
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: TokenId,
    pub scope: Scope,
    /// The permission flags turned off for its token (a flag not named is allowed).
    pub denied: BTreeSet<String>,
    /// Projects granted to its token (`/projects/{id}/permissions`), each at its level.
    pub grants: BTreeMap<ProjectId, PermissionLevel>,
    /// The level the request at hand needs of a grant: a grant below it reaches nothing.
    /// Admin unless the API says what the operation needs ([`Principal::acting_at`]).
    pub level: PermissionLevel,
}

impl Principal {
    /// A caller that may do everything (this machine's own app, the engine's tests).
    pub fn unrestricted(token_id: TokenId) -> Self {
        Self {
            token_id,
            scope: Scope::All,
            denied: BTreeSet::new(),
            grants: BTreeMap::new(),
            level: PermissionLevel::Admin,
        }
    }

    /// The same caller for a request that needs `level` of a grant.
    pub fn acting_at(self, level: PermissionLevel) -> Self {
        Self { level, ..self }
    }

    pub fn allows(&self, flag: &str) -> bool {
        !self.denied.contains(flag)
    }

    /// Refuses what the token's permissions leave out.
    pub fn require(&self, flag: &str) -> Result<()> {
        match self.allows(flag) {
            true => Ok(()),
            false => Err(EngineError::rule(
                ErrorCode::PermissionDenied,
                format!("this token may not do this: its permissions.{flag} is off"),
            )),
        }
    }

    /// Whether the caller reaches a resource of `project` in `realms` for this request: through
    /// its realms, or through a grant of the project at the level the request needs.
    pub fn sees(&self, realms: &[RealmId], project: &ProjectId) -> bool {
        self.scope.sees(realms) || self.grants.get(project).is_some_and(|level| *level >= self.level)
    }

    /// [`Principal::sees`], or why not: a grant too low for the request is a refusal that says
    /// so; a resource the caller cannot see at all is not found.
    pub(crate) fn reach(&self, realms: &[RealmId], project: &ProjectId, not_found: EngineError) -> Result<()> {
        match (self.sees(realms, project), self.grants.get(project)) {
            (true, _) => Ok(()),
            (false, Some(granted)) => Err(EngineError::rule(
                ErrorCode::PermissionDenied,
                format!("this token's permission on project {project} is {granted}; this needs {}", self.level),
            )),
            (false, None) => Err(not_found),
        }
    }

    /// What the store may show the caller: None for everything.
    pub fn visible(&self) -> Option<Visible> {
        let realms = self.scope.realms()?;
        let projects = self.grants.iter().filter(|(_, level)| **level >= self.level).map(|(p, _)| p.clone()).collect();
        Some(Visible { realms: realms.to_vec(), projects })
    }

    /// Refuses realms outside a realm-restricted caller's own.
    pub(crate) fn check_within_scope(&self, realms: &[RealmId]) -> Result<()> {
        match (&self.scope, realms.iter().find(|r| !self.scope.sees(std::slice::from_ref(r)))) {
            (Scope::Realms(_), Some(outside)) => Err(EngineError::Forbidden(format!(
                "this token is restricted to other realms and cannot use realm {outside}"
            ))),
            _ => Ok(()),
        }
    }

    pub(crate) fn forbid_if_scoped(&self, what: &str) -> Result<()> {
        match self.scope {
            Scope::All => Ok(()),
            Scope::Realms(_) => Err(EngineError::Forbidden(format!("a realm-restricted token cannot {what}"))),
        }
    }
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Engine {
    /// Resolves a bearer token to its principal: a disabled or expired token is refused.
    pub async fn authenticate(&self, secret: &str) -> Result<Principal> {
        let token = self
            .inner
            .store
            .token_by_hash(&hash(secret))
            .await?
            .ok_or_else(|| EngineError::Unauthorized("the token is not valid for this server".into()))?;
        let now = crate::now();
        if !token.is_enabled {
            return Err(EngineError::Unauthorized("this token is disabled: enable it with another token".into()));
        }
        if let Some(at) = token.expires_at.filter(|at| *at <= now) {
            return Err(EngineError::Unauthorized(format!("this token expired at {}", at.to_rfc3339())));
        }
        // When it was last used, to the minute: not a write on every request.
        if token.last_used_at.is_none_or(|at| now - at > chrono::Duration::seconds(60)) {
            let (store, id) = (self.inner.store.clone(), token.id.clone());
            tokio::spawn(async move {
                if let Err(e) = store.token_used(&id, now).await {
                    tracing::debug!("cannot record when token {id} was used: {e}");
                }
            });
        }
        let scope = if token.realm_ids.is_empty() { Scope::All } else { Scope::Realms(token.realm_ids.clone()) };
        let denied = token.permissions.iter().filter(|(_, on)| !**on).map(|(flag, _)| flag.clone()).collect();
        let grants = self.inner.store.grants_of(&token.id).await?.into_iter().collect();
        Ok(Principal { token_id: token.id, scope, denied, grants, level: PermissionLevel::Admin })
    }

    /// Makes sure a token that already exists as a secret (the admin token file) is known.
    pub async fn ensure_token(&self, secret: &str, name: &str) -> Result<()> {
        if self.inner.store.token_by_hash(&hash(secret)).await?.is_none() {
            let token = new_token(Some(name.into()), secret, Vec::new());
            self.inner.store.insert_token(&TokenRecord { token, token_hash: hash(secret) }).await?;
        }
        Ok(())
    }

    /// Parses realm ids and checks that each names a realm.
    pub(crate) async fn existing_realms(&self, ids: &[String]) -> Result<Vec<RealmId>> {
        let mut parsed = Vec::with_capacity(ids.len());
        for raw in ids {
            let id = RealmId::parse(raw)?;
            if !parsed.contains(&id) {
                parsed.push(id);
            }
        }
        let unknown = self.inner.store.unknown_realms(&parsed).await?;
        if let Some(first) = unknown.first() {
            return Err(EngineError::rule(
                ErrorCode::UnknownRealm,
                format!("realm {first} does not exist; list realms with GET /api/v1/realms/ or create it first"),
            ));
        }
        Ok(parsed)
    }
}

/// A new token's description: enabled, every permission, no expiry.
pub(crate) fn new_token(name: Option<String>, secret: &str, realm_ids: Vec<RealmId>) -> Token {
    Token {
        id: TokenId::generate(),
        alias: name.clone(),
        name,
        prefix: secret.chars().take(TOKEN_PREFIX.len() + 6).collect(),
        is_enabled: true,
        realm_ids,
        permissions: Default::default(),
        expires_at: None,
        last_used_at: None,
        created_at: crate::now(),
        updated_at: None,
        public_key: None,
        public_storage: None,
    }
}

/// A fresh secret.
pub(crate) fn new_secret() -> String {
    format!("{TOKEN_PREFIX}{}", random_hex(24))
}

/// Stores `token` under `secret`'s hash; answers what the caller is shown once.
pub(crate) async fn store_token(store: &hoody_store::Store, token: Token, secret: String) -> Result<CreatedToken> {
    store.insert_token(&TokenRecord { token: token.clone(), token_hash: hash(&secret) }).await?;
    Ok(CreatedToken { token: secret, info: token })
}

/// Issues a token straight into a store. The `hoodyd token create` command uses this on the data
/// directory of a server that may be running: it touches nothing but the tokens table.
pub async fn issue_token(
    store: &hoody_store::Store,
    name: Option<String>,
    realm_ids: Vec<RealmId>,
) -> Result<CreatedToken> {
    let unknown = store.unknown_realms(&realm_ids).await?;
    if let Some(first) = unknown.first() {
        return Err(EngineError::rule(ErrorCode::UnknownRealm, format!("realm {first} does not exist")));
    }
    let secret = new_secret();
    store_token(store, new_token(name, &secret, realm_ids), secret).await
}
