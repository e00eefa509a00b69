use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::{ErrorCode, Realm, RealmCreate, RealmId, validate};

impl Engine {
    pub async fn create_realm(&self, caller: &Principal, req: RealmCreate) -> Result<Realm> {
        caller.forbid_if_scoped("create realms")?;
        let name = validate::realm_name(&req.name)?;
        if self.inner.store.realm_name_taken(&name).await? {
            return Err(EngineError::rule(ErrorCode::DuplicateName, format!("a realm named '{name}' already exists")));
        }
        let realm = Realm { id: RealmId::generate(), name, created_at: crate::now() };
        self.inner.store.insert_realm(&realm).await?;
        self.inner.records.realm(&realm);
        Ok(realm)
    }

    /// The realms the caller may see.
    pub async fn list_realms(&self, caller: &Principal) -> Result<Vec<Realm>> {
        let all = self.inner.store.realms().await?;
        Ok(all.into_iter().filter(|r| caller.scope.sees(std::slice::from_ref(&r.id))).collect())
    }
}
