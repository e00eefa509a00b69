use crate::Store;
use crate::error::{Result, StoreError};
use crate::rows::{id, json, ms, time, to_json};
use hoody_model::{Token, TokenId};

/// A stored token: its public description and the hash of its secret (never the secret).
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub token: Token,
    pub token_hash: String,
}

/// A token's row as read.
struct TokenRow {
    id: String,
    name: Option<String>,
    prefix: String,
    is_enabled: bool,
    realm_ids: String,
    permissions: String,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    created_at: i64,
    updated_at: Option<i64>,
    public_key: Option<String>,
    public_storage: Option<String>,
}

impl TokenRow {
    fn into_model(self) -> Result<Token> {
        let at = |t: Option<i64>| t.map(time).transpose();
        Ok(Token {
            id: id("token id", &self.id)?,
            alias: self.name.clone(),
            name: self.name,
            prefix: self.prefix,
            is_enabled: self.is_enabled,
            realm_ids: json("realm_ids", &self.realm_ids)?,
            permissions: json("permissions", &self.permissions)?,
            expires_at: at(self.expires_at)?,
            last_used_at: at(self.last_used_at)?,
            created_at: time(self.created_at)?,
            updated_at: at(self.updated_at)?,
            public_key: self.public_key,
            public_storage: self.public_storage.as_deref().map(|doc| json("public_storage", doc)).transpose()?,
        })
    }
}

impl Store {
    pub async fn insert_token(&self, record: &TokenRecord) -> Result<()> {
        let t = &record.token;
        let (id_text, realms, permissions) = (t.id.as_str(), to_json(&t.realm_ids), to_json(&t.permissions));
        let (created, expires) = (ms(t.created_at), t.expires_at.map(ms));
        let public_storage = t.public_storage.as_ref().map(to_json);
        sqlx::query!(
            "INSERT INTO tokens (id, token_hash, name, prefix, is_enabled, realm_ids, permissions, expires_at, created_at,
                                 public_key, public_storage)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            id_text,
            record.token_hash,
            t.name,
            t.prefix,
            t.is_enabled,
            realms,
            permissions,
            expires,
            created,
            t.public_key,
            public_storage
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        let row = sqlx::query_as!(
            TokenRow,
            r#"SELECT id, name, prefix, is_enabled AS "is_enabled: bool", realm_ids, permissions, expires_at,
                      last_used_at, created_at, updated_at,
                      public_key, public_storage
               FROM tokens WHERE token_hash = ?"#,
            hash
        )
        .fetch_optional(&self.reader)
        .await?;
        row.map(TokenRow::into_model).transpose()
    }

    pub async fn token(&self, token: &TokenId) -> Result<Option<Token>> {
        let id_text = token.as_str();
        let row = sqlx::query_as!(
            TokenRow,
            r#"SELECT id, name, prefix, is_enabled AS "is_enabled: bool", realm_ids, permissions, expires_at,
                      last_used_at, created_at, updated_at,
                      public_key, public_storage
               FROM tokens WHERE id = ?"#,
            id_text
        )
        .fetch_optional(&self.reader)
        .await?;
        row.map(TokenRow::into_model).transpose()
    }

    /// Every token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<Token>> {
        let rows = sqlx::query_as!(
            TokenRow,
            r#"SELECT id, name, prefix, is_enabled AS "is_enabled: bool", realm_ids, permissions, expires_at,
                      last_used_at, created_at, updated_at,
                      public_key, public_storage
               FROM tokens ORDER BY created_at, id"#
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(TokenRow::into_model).collect()
    }

    /// Writes a token's changeable fields (name, on/off, realms, permissions, expiry, public
    /// profile).
    pub async fn update_token(&self, t: &Token) -> Result<()> {
        let (id_text, realms, permissions) = (t.id.as_str(), to_json(&t.realm_ids), to_json(&t.permissions));
        let (expires, updated) = (t.expires_at.map(ms), t.updated_at.map(ms));
        let public_storage = t.public_storage.as_ref().map(to_json);
        let done = sqlx::query!(
            "UPDATE tokens SET name = ?, is_enabled = ?, realm_ids = ?, permissions = ?, expires_at = ?, updated_at = ?,
                               public_key = ?, public_storage = ?
             WHERE id = ?",
            t.name,
            t.is_enabled,
            realms,
            permissions,
            expires,
            updated,
            t.public_key,
            public_storage,
            id_text
        )
        .execute(&self.writer)
        .await?;
        match done.rows_affected() {
            0 => Err(StoreError::NotFound { what: "token" }),
            _ => Ok(()),
        }
    }

    /// The token whose public profile has this key.
    pub async fn token_by_public_key(&self, key: &str) -> Result<Option<Token>> {
        let row = sqlx::query_as!(
            TokenRow,
            r#"SELECT id, name, prefix, is_enabled AS "is_enabled: bool", realm_ids, permissions, expires_at,
                      last_used_at, created_at, updated_at,
                      public_key, public_storage
               FROM tokens WHERE public_key = ?"#,
            key
        )
        .fetch_optional(&self.reader)
        .await?;
        row.map(TokenRow::into_model).transpose()
    }

    pub async fn delete_token(&self, token: &TokenId) -> Result<bool> {
        let id_text = token.as_str();
        let done = sqlx::query!("DELETE FROM tokens WHERE id = ?", id_text).execute(&self.writer).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records that the token was used at `at`.
    pub async fn token_used(&self, token: &TokenId, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        let (id_text, at) = (token.as_str(), ms(at));
        sqlx::query!("UPDATE tokens SET last_used_at = ? WHERE id = ?", at, id_text).execute(&self.writer).await?;
        Ok(())
    }
}
