//! Tokens as the platform manages them (`/auth/tokens`): listed, read, changed, disabled,
//! copied, deleted, their realms added and removed, their permissions flag by flag.
//!
//! A realm-restricted caller sees and manages only tokens of its own realms, and no caller
//! hands out more than it has: a flag off for the caller is off for every token it makes or
//! changes, and turning it on is refused.

use crate::auth::{Principal, Scope, new_secret, new_token, store_token};
use crate::{Engine, EngineError, Result};
use hoody_model::token::permission_flags;
use hoody_model::{
    CreatedToken, ErrorCode, PublicProfile, RealmId, Token, TokenCopy, TokenCreate, TokenId, TokenPublicProfile,
    TokenRealm, TokenUpdate,
};
use std::collections::BTreeMap;

/// Whether a field's value asks for nothing.
type AsksNothing = fn(&serde_json::Value) -> bool;

/// The platform's token fields this server does not honour yet, and the value that asks for
/// nothing (sent as such, they are accepted).
const NOT_YET: &[(&str, AsksNothing)] = &[
    ("ip_whitelist", |v| v.as_array().is_some_and(Vec::is_empty)),
    ("permission_template", serde_json::Value::is_null),
    ("allow_no_realm", |v| v.as_bool() == Some(true)),
    ("vault_access", |v| v.as_bool() == Some(false)),
    ("deny_reauthorization", |v| v.as_bool() == Some(false)),
];

/// Refuses the fields of `others` (those a body carried beyond the ones taken): a field not yet
/// honoured, set to ask for something, is a 501; any other field a 400.
fn refuse_others(others: &BTreeMap<String, serde_json::Value>) -> Result<()> {
    for (field, value) in others {
        match NOT_YET.iter().find(|(name, _)| name == field) {
            Some((_, asks_nothing)) if asks_nothing(value) => {}
            Some(_) => {
                return Err(EngineError::NotImplemented(format!(
                    "{field} is a token field of the platform that this server does not honour yet"
                )));
            }
            None => {
                return Err(EngineError::rule(
                    ErrorCode::InvalidRequest,
                    format!("the body does not fit this request: unknown field `{field}`"),
                ));
            }
        }
    }
    Ok(())
}

fn alias(raw: Option<String>) -> Result<Option<String>> {
    match raw {
        Some(name) if name.chars().count() > 100 => {
            Err(EngineError::rule(ErrorCode::InvalidField, "a token's alias must be at most 100 characters"))
        }
        other => Ok(other),
    }
}

fn expiry(raw: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    let at = chrono::DateTime::parse_from_rfc3339(raw)
        .map_err(|_| {
            EngineError::rule(ErrorCode::InvalidField, format!("expires_at must be an RFC 3339 time, not '{raw}'"))
        })?
        .with_timezone(&chrono::Utc);
    if at <= crate::now() {
        return Err(EngineError::rule(ErrorCode::InvalidField, format!("expires_at {raw} has passed")));
    }
    Ok(at)
}

/// `permissions` (and `event_access`) applied over `current`; a flag the caller lacks stays off
/// and may not be turned on.
fn permissions(
    caller: &Principal,
    current: &BTreeMap<String, bool>,
    asked: Option<&serde_json::Value>,
    event_access: Option<bool>,
) -> Result<BTreeMap<String, bool>> {
    let mut flags = current.clone();
    if let Some(asked) = asked {
        flags.extend(permission_flags(asked)?);
    }
    if let Some(events) = event_access {
        flags.insert("resources.events".into(), events);
    }
    for flag in &caller.denied {
        if flags.get(flag) == Some(&true) && current.get(flag) != Some(&true) {
            return Err(EngineError::rule(
                ErrorCode::PermissionDenied,
                format!("this token cannot give permissions.{flag}: it does not have it"),
            ));
        }
        flags.insert(flag.clone(), false);
    }
    Ok(flags)
}

impl Engine {
    /// Whether `caller` may see (and manage) `token`.
    fn token_visible(caller: &Principal, token: &Token) -> bool {
        match &caller.scope {
            Scope::All => true,
            Scope::Realms(mine) => !token.realm_ids.is_empty() && token.realm_ids.iter().all(|r| mine.contains(r)),
        }
    }

    /// Realms a token of `caller` may be given: existing ones, within a restricted caller's own.
    async fn grantable_realms(&self, caller: &Principal, ids: &[String]) -> Result<Vec<RealmId>> {
        let mut realms = self.existing_realms(ids).await?;
        if let Scope::Realms(mine) = &caller.scope {
            if let Some(outside) = realms.iter().find(|r| !mine.contains(r)) {
                return Err(EngineError::Forbidden(format!(
                    "a token restricted to other realms cannot give a token realm {outside}"
                )));
            }
            if realms.is_empty() {
                realms = mine.clone();
            }
        }
        Ok(realms)
    }

    /// Issues a token.
    pub async fn create_token(&self, caller: &Principal, req: TokenCreate) -> Result<CreatedToken> {
        caller.require("resources.create_tokens")?;
        refuse_others(&req.others)?;
        let realm_ids = self.grantable_realms(caller, req.realm_ids.as_deref().unwrap_or_default()).await?;
        let secret = new_secret();
        let profile = req.profile();
        let mut token = new_token(alias(req.alias.or(req.name))?, &secret, realm_ids);
        token.permissions = permissions(caller, &BTreeMap::new(), req.permissions.as_ref(), req.event_access)?;
        token.expires_at = req.expires_at.as_deref().map(expiry).transpose()?;
        self.apply_profile(&mut token, &profile).await?;
        store_token(&self.inner.store, token, secret).await
    }

    /// Sets the fields of a public profile that `profile` gives (a key another token has is a 409).
    async fn apply_profile(&self, token: &mut Token, profile: &TokenPublicProfile) -> Result<()> {
        profile.validate()?;
        if let Some(key) = &profile.public_key {
            if let Some(key) = key
                && let Some(holder) = self.inner.store.token_by_public_key(key).await?
                && holder.id != token.id
            {
                return Err(EngineError::rule(
                    ErrorCode::DuplicateName,
                    "this public_key is another token's: a key finds one token's profile",
                ));
            }
            token.public_key = key.clone();
        }
        if let Some(doc) = &profile.public_storage {
            token.public_storage = doc.clone();
        }
        Ok(())
    }

    /// `PUT /auth/tokens/me/public-profile`: the public profile of the token the request is made with.
    pub async fn update_public_profile(&self, caller: &Principal, profile: TokenPublicProfile) -> Result<Token> {
        caller.require("resources.auth_token_public_profile")?;
        let mut token = self.current_token(caller).await?;
        self.apply_profile(&mut token, &profile).await?;
        token.updated_at = Some(crate::now());
        self.inner.store.update_token(&token).await?;
        Ok(token)
    }

    /// A token's public profile, by its key (any token of this server may read it).
    pub async fn public_profile(&self, key: &str) -> Result<PublicProfile> {
        let token = self
            .inner
            .store
            .token_by_public_key(key)
            .await?
            .ok_or_else(|| EngineError::not_found("public profile with key", key))?;
        Ok(PublicProfile {
            public_key: key.to_owned(),
            public_storage: token.public_storage,
            alias: token.alias,
            created_at: token.created_at,
        })
    }

    pub async fn tokens(&self, caller: &Principal) -> Result<Vec<Token>> {
        let mut tokens = self.inner.store.tokens().await?;
        tokens.retain(|t| Self::token_visible(caller, t));
        Ok(tokens)
    }

    pub async fn token(&self, caller: &Principal, id: &TokenId) -> Result<Token> {
        self.inner
            .store
            .token(id)
            .await?
            .filter(|t| Self::token_visible(caller, t))
            .ok_or_else(|| EngineError::not_found("token", id))
    }

    /// The token the request was made with.
    pub async fn current_token(&self, caller: &Principal) -> Result<Token> {
        self.inner.store.token(&caller.token_id).await?.ok_or_else(|| {
            EngineError::not_found("token", format!("{} (this caller is not a stored token)", caller.token_id))
        })
    }

    pub async fn update_token(&self, caller: &Principal, id: &TokenId, req: TokenUpdate) -> Result<Token> {
        refuse_others(&req.others)?;
        let mut token = self.token(caller, id).await?;
        let profile = req.profile();
        if let Some(name) = req.alias {
            token.name = alias(Some(name))?;
            token.alias = token.name.clone();
        }
        if let Some(realms) = &req.realm_ids {
            token.realm_ids = self.grantable_realms(caller, realms).await?;
        }
        token.permissions = permissions(caller, &token.permissions, req.permissions.as_ref(), req.event_access)?;
        if let Some(expires_at) = &req.expires_at {
            token.expires_at = expires_at.as_deref().map(expiry).transpose()?;
        }
        if let Some(enabled) = req.is_enabled {
            token.is_enabled = enabled;
        }
        self.apply_profile(&mut token, &profile).await?;
        token.updated_at = Some(crate::now());
        self.inner.store.update_token(&token).await?;
        Ok(token)
    }

    pub async fn delete_token(&self, caller: &Principal, id: &TokenId) -> Result<Token> {
        let token = self.token(caller, id).await?;
        if token.id == caller.token_id {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                "a token cannot delete itself: delete it with another token",
            ));
        }
        match self.inner.store.delete_token(id).await? {
            true => Ok(token),
            false => Err(EngineError::not_found("token", id)),
        }
    }

    /// A new token with the realms, permissions and (unless given) the expiry of `id`.
    pub async fn copy_token(&self, caller: &Principal, id: &TokenId, req: TokenCopy) -> Result<CreatedToken> {
        caller.require("resources.create_tokens")?;
        let source = self.token(caller, id).await?;
        let secret = new_secret();
        let name = req.alias.or_else(|| source.name.as_ref().map(|n| format!("{n} (copy)")));
        let mut token = new_token(alias(name)?, &secret, source.realm_ids.clone());
        token.permissions = permissions(caller, &source.permissions, None, None)?;
        token.expires_at = match req.expires_at.as_deref() {
            Some(raw) => Some(expiry(raw)?),
            None => source.expires_at,
        };
        store_token(&self.inner.store, token, secret).await
    }

    pub async fn add_token_realm(&self, caller: &Principal, id: &TokenId, req: TokenRealm) -> Result<Token> {
        let mut token = self.token(caller, id).await?;
        let [realm] = <[RealmId; 1]>::try_from(self.grantable_realms(caller, &[req.realm_id]).await?)
            .expect("one realm asked, one given");
        if !token.realm_ids.contains(&realm) {
            token.realm_ids.push(realm);
        }
        token.updated_at = Some(crate::now());
        self.inner.store.update_token(&token).await?;
        Ok(token)
    }

    pub async fn remove_token_realm(&self, caller: &Principal, id: &TokenId, req: TokenRealm) -> Result<Token> {
        let mut token = self.token(caller, id).await?;
        let realm = RealmId::parse(&req.realm_id)?;
        if !token.realm_ids.contains(&realm) {
            return Err(EngineError::not_found("realm of this token", realm));
        }
        if token.realm_ids.len() == 1 {
            return Err(EngineError::rule(
                ErrorCode::InvalidField,
                "a token's last realm cannot be removed: without realms it would reach every realm; delete the token instead",
            ));
        }
        token.realm_ids.retain(|r| *r != realm);
        token.updated_at = Some(crate::now());
        self.inner.store.update_token(&token).await?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_token_gives_no_more_than_it_has() {
        let mut caller = Principal::unrestricted(TokenId::generate());
        caller.denied.insert("containers.delete".into());
        let asked = json!({"containers": {"create": false}});
        let flags = permissions(&caller, &BTreeMap::new(), Some(&asked), Some(false)).unwrap();
        assert_eq!(flags.get("containers.create"), Some(&false));
        assert_eq!(flags.get("containers.delete"), Some(&false), "the caller's own denial is passed on");
        assert_eq!(flags.get("resources.events"), Some(&false));
        let escalate = json!({"containers": {"delete": true}});
        let e = permissions(&caller, &BTreeMap::new(), Some(&escalate), None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::PermissionDenied);
        let e = permissions(&caller, &BTreeMap::new(), Some(&json!({"containers": {"fly": true}})), None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidField);
    }

    #[test]
    fn platform_fields_not_honoured_are_refused_only_when_they_ask_something() {
        let fields = |v: serde_json::Value| v.as_object().unwrap().clone().into_iter().collect();
        assert!(refuse_others(&fields(json!({"allow_no_realm": true, "ip_whitelist": []}))).is_ok());
        assert_eq!(refuse_others(&fields(json!({"public_key": "k"}))).unwrap_err().code(), ErrorCode::InvalidRequest);
        let e = refuse_others(&fields(json!({"ip_whitelist": ["10.0.0.0/8"]}))).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotImplemented);
        assert!(e.to_string().contains("ip_whitelist"), "{e}");
        assert_eq!(refuse_others(&fields(json!({"nmae": "x"}))).unwrap_err().code(), ErrorCode::InvalidRequest);
    }
}
