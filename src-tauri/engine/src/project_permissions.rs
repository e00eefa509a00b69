//! `GET|POST /projects/{id}/permissions`, `PATCH|DELETE …/{permissionId}`: grants of a project
//! to a token. This server's users are its tokens, so a grant is how a realm-restricted token
//! reaches a project outside its realms, as far as the grant's level says ([`Principal::sees`]).
//! Managing them needs the project at admin level and the token's `projects.members.*` flags
//! (checked with the operation's other flags).

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::{
    ErrorCode, Id, PageRequest, Pagination, ProjectId, ProjectPermission, ProjectPermissionCreate,
    ProjectPermissionUpdate, TokenId,
};

impl Engine {
    pub async fn project_permissions(
        &self,
        caller: &Principal,
        id: &ProjectId,
        page: PageRequest,
    ) -> Result<(Vec<ProjectPermission>, Pagination)> {
        let project = self.project(caller, id).await?;
        let (grants, total) = self.inner.store.project_permissions(&project.id, page.offset(), page.limit).await?;
        Ok((grants, Pagination::new(total, page)))
    }

    /// Grants the project to a token the caller may see (any other is not found).
    pub async fn add_project_permission(
        &self,
        caller: &Principal,
        id: &ProjectId,
        req: ProjectPermissionCreate,
    ) -> Result<ProjectPermission> {
        let project = self.project(caller, id).await?;
        let token_id = TokenId::parse(&req.user_id)?;
        let token = self.token(caller, &token_id).await?;
        if let Some(existing) = self.inner.store.project_permission_of(&project.id, &token.id).await? {
            return Err(EngineError::rule(
                ErrorCode::AlreadyGranted,
                format!(
                    "token {} already has a permission on this project ({existing}): change its level with \
                     PATCH /api/v1/projects/{}/permissions/{existing}",
                    token.id, project.id
                ),
            ));
        }
        let now = crate::now();
        let grant = ProjectPermission {
            id: Id::generate(),
            project_id: project.id,
            user_id: token.id,
            user_alias: token.alias,
            permission_level: req.permission_level,
            granted_by: Some(caller.token_id.clone()),
            created_at: now,
            updated_at: now,
        };
        self.inner.store.insert_project_permission(&grant).await?;
        Ok(grant)
    }

    pub async fn update_project_permission(
        &self,
        caller: &Principal,
        id: &ProjectId,
        grant: &Id,
        req: ProjectPermissionUpdate,
    ) -> Result<ProjectPermission> {
        let mut grant = self.grant_of(caller, id, grant).await?;
        grant.permission_level = req.permission_level;
        grant.granted_by = Some(caller.token_id.clone());
        grant.updated_at = crate::now();
        match self.inner.store.update_project_permission(&grant).await? {
            true => Ok(grant),
            false => Err(EngineError::not_found("permission", &grant.id)),
        }
    }

    pub async fn remove_project_permission(
        &self,
        caller: &Principal,
        id: &ProjectId,
        grant: &Id,
    ) -> Result<ProjectPermission> {
        let grant = self.grant_of(caller, id, grant).await?;
        match self.inner.store.delete_project_permission(&grant.project_id, &grant.id).await? {
            true => Ok(grant),
            false => Err(EngineError::not_found("permission", &grant.id)),
        }
    }

    /// One grant of a project the caller reaches.
    async fn grant_of(&self, caller: &Principal, id: &ProjectId, grant: &Id) -> Result<ProjectPermission> {
        let project = self.project(caller, id).await?;
        self.inner
            .store
            .project_permission(&project.id, grant)
            .await?
            .ok_or_else(|| EngineError::not_found("permission", grant))
    }
}
