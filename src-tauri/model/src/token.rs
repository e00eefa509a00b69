use crate::error::{ErrorCode, ModelError};
use crate::ids::{RealmId, TokenId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// An API token as listed: never the secret itself, which is shown once at creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Token {
    pub id: TokenId,
    pub name: Option<String>,
    /// The name again, under the platform's word for it.
    #[serde(default)]
    pub alias: Option<String>,
    /// The secret's first characters, to tell tokens apart (`hoody_1a2b3c`).
    #[serde(default)]
    pub prefix: String,
    /// A disabled token is refused (401) until it is enabled again.
    #[serde(default = "enabled")]
    pub is_enabled: bool,
    /// Empty for an unrestricted token; otherwise the only realms it may see and touch.
    pub realm_ids: Vec<RealmId>,
    /// What it may do, flag by flag (`containers.create`, `projects.delete`, `resources.events`…);
    /// a flag left out is allowed.
    #[serde(default)]
    #[ts(type = "Record<string, boolean>")]
    pub permissions: BTreeMap<String, bool>,
    #[serde(default)]
    #[ts(type = "string | null")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    #[ts(type = "string | null")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    #[ts(type = "string | null")]
    pub updated_at: Option<DateTime<Utc>>,
    /// The key its public profile is found by (`GET /auth/tokens/public-profiles/{key}`).
    #[serde(default)]
    pub public_key: Option<String>,
    /// The JSON document its public profile shows.
    #[serde(default)]
    #[ts(type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub public_storage: Option<serde_json::Value>,
}

/// What anyone with a token of this server may read of a token by its public key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct PublicProfile {
    pub public_key: String,
    #[ts(type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub public_storage: Option<serde_json::Value>,
    pub alias: Option<String>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

/// `PUT /auth/tokens/me/public-profile` (and the same fields on a token's create and update):
/// absent leaves a field as it is, `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TokenPublicProfile {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::container::double_option")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub public_key: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::container::double_option")]
    #[ts(optional, type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub public_storage: Option<Option<serde_json::Value>>,
}

/// The longest public key, and the largest public document (as JSON text).
pub const MAX_PUBLIC_KEY: usize = 1024;
pub const MAX_PUBLIC_STORAGE: usize = 64 << 10;

impl TokenPublicProfile {
    /// Checks the fields given: a key of 1-1024 printable characters, a document of at most 64 KiB.
    pub fn validate(&self) -> Result<(), ModelError> {
        if let Some(Some(key)) = &self.public_key
            && (key.is_empty() || key.chars().count() > MAX_PUBLIC_KEY || key.chars().any(char::is_control))
        {
            return Err(ModelError::new(
                ErrorCode::InvalidField,
                format!("public_key must be 1 to {MAX_PUBLIC_KEY} printable characters"),
            ));
        }
        if let Some(Some(doc)) = &self.public_storage
            && doc.to_string().len() > MAX_PUBLIC_STORAGE
        {
            return Err(ModelError::new(
                ErrorCode::InvalidField,
                format!("public_storage must be at most {} KiB of JSON", MAX_PUBLIC_STORAGE >> 10),
            ));
        }
        Ok(())
    }
}

fn enabled() -> bool {
    true
}

impl Token {
    /// Whether the token may do what `flag` names.
    pub fn allows(&self, flag: &str) -> bool {
        self.permissions.get(flag).copied().unwrap_or(true)
    }
}

/// The permission flags a token's `permissions` may carry, each honoured by this server: the
/// operations it guards answer 403 to a token without it. The platform's other flags (its wallet,
/// billing, rentals, administration, vault…) guard things this server does not have: they are
/// accepted and stored, and guard nothing here.
pub const HONOURED_PERMISSIONS: &[&str] = &[
    "containers.create",
    "containers.read",
    "containers.update",
    "containers.delete",
    "containers.actions.start",
    "containers.actions.stop",
    "containers.actions.restart",
    "containers.actions.exec",
    "containers.actions.logs",
    "containers.features.ai",
    "containers.features.hoody_kit",
    "containers.features.snapshots",
    "containers.features.networking",
    "containers.features.kvm",
    "projects.create",
    "projects.read",
    "projects.update",
    "projects.delete",
    "resources.events",
    "resources.realms",
    "resources.create_tokens",
    "resources.auth_token_public_profile",
    "admin.servers",
];

/// The platform's flags that guard nothing on this server (see [`HONOURED_PERMISSIONS`]).
pub const PLATFORM_ONLY_PERMISSIONS: &[&str] = &[
    "projects.members.invite",
    "projects.members.remove",
    "projects.members.change_roles",
    "financial.wallet.read",
    "financial.wallet.transfer",
    "financial.wallet.withdraw",
    "financial.billing.read",
    "financial.billing.manage_payment_methods",
    "financial.billing.download_invoices",
    "financial.server_rental.view_marketplace",
    "financial.server_rental.rent_servers",
    "financial.server_rental.extend_rentals",
    "financial.server_rental.terminate_rentals",
    "resources.vault",
    "resources.ssh_keys",
    "resources.storage_shares",
    "resources.proxy_aliases",
    "resources.firewalls",
    "resources.read_account",
    "admin.users",
    "admin.system",
    "admin.billing",
    "admin.monitoring",
];

/// `permissions` as the platform's client sends it (nested objects of booleans, or dotted
/// keys), flattened to dotted flags; a flag of neither list is refused by name.
pub fn permission_flags(value: &serde_json::Value) -> Result<BTreeMap<String, bool>, ModelError> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, bool>) -> Result<(), ModelError> {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map {
                    let flag = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    walk(&flag, inner, out)?;
                }
                Ok(())
            }
            serde_json::Value::Bool(allowed) => {
                if !HONOURED_PERMISSIONS.contains(&prefix) && !PLATFORM_ONLY_PERMISSIONS.contains(&prefix) {
                    return Err(ModelError::new(
                        ErrorCode::InvalidField,
                        format!("permissions.{prefix} is not a permission a token can have"),
                    ));
                }
                out.insert(prefix.to_owned(), *allowed);
                Ok(())
            }
            _ => Err(ModelError::new(ErrorCode::InvalidField, format!("permissions.{prefix} must be true or false"))),
        }
    }
    let mut out = BTreeMap::new();
    walk("", value, &mut out)?;
    Ok(out)
}

/// `POST /auth/tokens`: the platform's fields. Those this server does not honour yet, and any
/// other, are refused by name when set (see the engine's token rules).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct TokenCreate {
    /// The platform calls it `alias`; either is taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub realm_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "Record<string, unknown>")]
    #[schema(value_type = Option<Object>)]
    pub permissions: Option<serde_json::Value>,
    /// RFC 3339; after it the token is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub expires_at: Option<String>,
    /// The same as `permissions.resources.events`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub event_access: Option<bool>,
    /// Accepted: this server asks for no second factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub otp_code: Option<String>,
    /// The token's public profile (see [`TokenPublicProfile`]).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::container::double_option")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub public_key: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::container::double_option")]
    #[ts(optional, type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub public_storage: Option<Option<serde_json::Value>>,
    /// Every other field sent, refused by name unless it asks for nothing (see the engine).
    #[serde(flatten)]
    #[ts(skip)]
    #[schema(ignore)]
    pub others: BTreeMap<String, serde_json::Value>,
}

/// `PUT|PATCH /auth/tokens/{id}`: what changes (absent: unchanged; `expires_at: null` clears it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct TokenUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub realm_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "Record<string, unknown>")]
    #[schema(value_type = Option<Object>)]
    pub permissions: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::container::double_option")]
    #[ts(optional, type = "string | null")]
    pub expires_at: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub is_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub event_access: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub otp_code: Option<String>,
    /// The token's public profile (see [`TokenPublicProfile`]).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::container::double_option")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub public_key: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::container::double_option")]
    #[ts(optional, type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub public_storage: Option<Option<serde_json::Value>>,
    #[serde(flatten)]
    #[ts(skip)]
    #[schema(ignore)]
    pub others: BTreeMap<String, serde_json::Value>,
}

/// `POST /auth/tokens/{id}/copy`: a new token with the same realms and permissions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TokenCopy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string | null")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub otp_code: Option<String>,
}

/// `POST /auth/tokens/{id}/add-realm` and `…/remove-realm`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TokenRealm {
    pub realm_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub otp_code: Option<String>,
}

/// The answer to a token creation: the only time the secret is revealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub info: Token,
}

impl TokenCreate {
    pub fn profile(&self) -> TokenPublicProfile {
        TokenPublicProfile { public_key: self.public_key.clone(), public_storage: self.public_storage.clone() }
    }
}

impl TokenUpdate {
    pub fn profile(&self) -> TokenPublicProfile {
        TokenPublicProfile { public_key: self.public_key.clone(), public_storage: self.public_storage.clone() }
    }
}
