use crate::Store;
use crate::error::Result;
use crate::rows::{id, json, ms, time, to_json};
use hoody_model::Token;

/// A stored token: its public description and the hash of its secret (never the secret).
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub token: Token,
    pub token_hash: String,
}

impl Store {
    pub async fn insert_token(&self, record: &TokenRecord) -> Result<()> {
        let t = &record.token;
        let (id_text, realms, created) = (t.id.as_str(), to_json(&t.realm_ids), ms(t.created_at));
        sqlx::query!(
            "INSERT INTO tokens (id, token_hash, name, realm_ids, created_at) VALUES (?, ?, ?, ?, ?)",
            id_text,
            record.token_hash,
            t.name,
            realms,
            created
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        let row = sqlx::query!("SELECT id, name, realm_ids, created_at FROM tokens WHERE token_hash = ?", hash)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| {
            Ok(Token {
                id: id("token id", &r.id)?,
                name: r.name,
                realm_ids: json("realm_ids", &r.realm_ids)?,
                created_at: time(r.created_at)?,
            })
        })
        .transpose()
    }
}
