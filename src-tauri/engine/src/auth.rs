//! Tokens and what a caller may see. A token is a random secret shown once; the store keeps
//! only its SHA-256. A realm-scoped token sees and touches only its realms' projects and
//! containers, and cannot change which realms anything belongs to.

use crate::Engine;
use crate::error::{EngineError, Result};
use hoody_model::ids::random_hex;
use hoody_model::{CreatedToken, ErrorCode, RealmId, Token, TokenCreate, TokenId};
use hoody_store::TokenRecord;
use sha2::{Digest, Sha256};

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
}

impl Principal {
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
    /// Resolves a bearer token to its principal.
    pub async fn authenticate(&self, secret: &str) -> Result<Principal> {
        let token = self
            .inner
            .store
            .token_by_hash(&hash(secret))
            .await?
            .ok_or_else(|| EngineError::Unauthorized("the token is not valid for this server".into()))?;
        let scope = if token.realm_ids.is_empty() { Scope::All } else { Scope::Realms(token.realm_ids) };
        Ok(Principal { token_id: token.id, scope })
    }

    /// Issues a token. An unrestricted caller may scope it to any existing realms; a
    /// realm-restricted caller only to (a subset of) its own.
    pub async fn create_token(&self, caller: &Principal, req: TokenCreate) -> Result<CreatedToken> {
        let mut realm_ids = self.existing_realms(req.realm_ids.as_deref().unwrap_or_default()).await?;
        if let Scope::Realms(mine) = &caller.scope {
            if let Some(outside) = realm_ids.iter().find(|r| !mine.contains(r)) {
                return Err(EngineError::Forbidden(format!(
                    "a token restricted to other realms cannot issue a token for realm {outside}"
                )));
            }
            if realm_ids.is_empty() {
                realm_ids = mine.clone();
            }
        }
        if req.name.as_ref().is_some_and(|name| name.chars().count() > 100) {
            return Err(EngineError::rule(ErrorCode::InvalidField, "token name must be at most 100 characters"));
        }
        self.issue_token(req.name, realm_ids).await
    }

    async fn issue_token(&self, name: Option<String>, realm_ids: Vec<RealmId>) -> Result<CreatedToken> {
        issue_token(&self.inner.store, name, realm_ids).await
    }

    /// Makes sure a token that already exists as a secret (the admin token file) is known.
    pub async fn ensure_token(&self, secret: &str, name: &str) -> Result<()> {
        if self.inner.store.token_by_hash(&hash(secret)).await?.is_none() {
            let token = Token {
                id: TokenId::generate(),
                name: Some(name.into()),
                realm_ids: Vec::new(),
                created_at: crate::now(),
            };
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
    let secret = format!("{TOKEN_PREFIX}{}", random_hex(24));
    let token = Token { id: TokenId::generate(), name, realm_ids, created_at: crate::now() };
    store.insert_token(&TokenRecord { token: token.clone(), token_hash: hash(&secret) }).await?;
    Ok(CreatedToken { token: secret, info: token })
}
