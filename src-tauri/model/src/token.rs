use crate::ids::{RealmId, TokenId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An API token as listed: never the secret itself, which is shown once at creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Token {
    pub id: TokenId,
    pub name: Option<String>,
    /// Empty for an unrestricted token; otherwise the only realms it may see and touch.
    pub realm_ids: Vec<RealmId>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TokenCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub realm_ids: Option<Vec<String>>,
}

/// The answer to a token creation: the only time the secret is revealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub info: Token,
}
