use crate::Store;
use crate::error::Result;
use crate::rows::{id, ms, time};
use hoody_model::{Realm, RealmId};

impl Store {
    pub async fn insert_realm(&self, realm: &Realm) -> Result<()> {
        let (id_text, created) = (realm.id.as_str(), ms(realm.created_at));
        sqlx::query!("INSERT INTO realms (id, name, created_at) VALUES (?, ?, ?)", id_text, realm.name, created)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn realms(&self) -> Result<Vec<Realm>> {
        let rows = sqlx::query!("SELECT id, name, created_at FROM realms ORDER BY created_at, id")
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter()
            .map(|r| Ok(Realm { id: id("realm id", &r.id)?, name: r.name, created_at: time(r.created_at)? }))
            .collect()
    }

    pub async fn realm_name_taken(&self, name: &str) -> Result<bool> {
        Ok(sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM realms WHERE name = ?"#, name)
            .fetch_one(&self.reader)
            .await?
            > 0)
    }

    /// Which of `ids` name no realm.
    pub async fn unknown_realms(&self, ids: &[RealmId]) -> Result<Vec<RealmId>> {
        let known: Vec<String> = sqlx::query_scalar!("SELECT id FROM realms").fetch_all(&self.reader).await?;
        Ok(ids.iter().filter(|i| !known.iter().any(|k| k == i.as_str())).cloned().collect())
    }
}
