//! This machine's engine as a [`Server`], on behalf of one caller.

use super::{ContainerView, ImageFilter, LogsQuery, Page, Precondition, Server};
use crate::firewall::Direction;
use crate::proxy_gates::GateOwner;
use crate::{Engine, Principal, Result};
use hoody_model::{
    CommandRequest, CommandRun, Container, ContainerCopy, ContainerCreate, ContainerId, ContainerListQuery,
    ContainerLogs, ContainerUpdate, CreatedToken, EnvVarValue, EnvVarsText, EventFilter, EventListQuery, EventStats,
    EventsCleanup, EventsRemoved, FirewallRuleCreate, FirewallRuleMatch, FirewallRules, HookPosition, Id, Image,
    ImageBuild, ImageImport, KvmSettings, LoggedEvent, NamedProxyGroup, NetworkConfig, NetworkConfigUpdate, Operation,
    PageRequest, Project, ProjectCreate, ProjectId, ProjectPermission, ProjectPermissionCreate,
    ProjectPermissionUpdate, ProjectStats, ProjectUpdate, ProxyAccess, ProxyDefault, ProxyGroup, ProxyHook,
    ProxyHookWrite, ProxyHooks, ProxyIpGroup, ProxyJwtGroup, ProxyPasswordGroup, ProxyPermissions,
    ProxyPermissionsReplace, ProxyService, ProxySettings, ProxySettingsUpdate, ProxyState, ProxyTokenGroup,
    PublicProfile, Realm, RealmCreate, Rental, RuntimeInfo, ServerCommand, ServerId, Snapshot, SnapshotAlias,
    SnapshotCreate, StatusLogEntry, Token, TokenCopy, TokenCreate, TokenId, TokenPublicProfile, TokenRealm,
    TokenUpdate,
};
use hoody_model::{ContainerExport, ContainerImport, ExportCreate, ImportCreate};
use hoody_model::{
    IncomingMount, IncomingShare, StorageShare, StorageShareCreate, StorageShareFilter, StorageShareUpdate,
};

/// The engine, acting for `caller` (whose token decides what it sees and may do).
#[derive(Clone)]
pub struct LocalServer {
    pub engine: Engine,
    pub caller: Principal,
}

impl std::fmt::Debug for LocalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServer").field("caller", &self.caller).finish()
    }
}

impl LocalServer {
    pub fn new(engine: Engine, caller: Principal) -> Self {
        Self { engine, caller }
    }
}

#[async_trait::async_trait]
impl Server for LocalServer {
    fn explain(&self, error: crate::EngineError) -> crate::EngineError {
        self.engine.explain(error)
    }

    async fn create_project(&self, _: (), body: ProjectCreate) -> Result<Project> {
        self.engine.create_project(&self.caller, body).await
    }

    async fn list_projects(&self, page: PageRequest, _: ()) -> Result<Page<Project>> {
        self.engine.list_projects(&self.caller, page).await.map(Page::new)
    }

    async fn project_permissions(&self, id: ProjectId, page: PageRequest, _: ()) -> Result<Page<ProjectPermission>> {
        self.engine.project_permissions(&self.caller, &id, page).await.map(Page::new)
    }

    async fn add_project_permission(
        &self,
        id: ProjectId,
        _: (),
        body: ProjectPermissionCreate,
    ) -> Result<ProjectPermission> {
        self.engine.add_project_permission(&self.caller, &id, body).await
    }

    async fn update_project_permission(
        &self,
        id: ProjectId,
        grant: Id,
        _: (),
        body: ProjectPermissionUpdate,
    ) -> Result<ProjectPermission> {
        self.engine.update_project_permission(&self.caller, &id, &grant, body).await
    }

    async fn remove_project_permission(&self, id: ProjectId, grant: Id, _: (), _: ()) -> Result<ProjectPermission> {
        self.engine.remove_project_permission(&self.caller, &id, &grant).await
    }

    async fn get_project(&self, id: ProjectId, _: (), _: ()) -> Result<Project> {
        self.engine.project(&self.caller, &id).await
    }

    async fn project_stats(&self, id: ProjectId, _: (), _: ()) -> Result<ProjectStats> {
        self.engine.project_stats(&self.caller, &id).await
    }

    async fn update_project(&self, id: ProjectId, _: (), body: ProjectUpdate) -> Result<Project> {
        self.engine.update_project(&self.caller, &id, body).await
    }

    async fn delete_project(&self, id: ProjectId, _: (), _: ()) -> Result<Project> {
        self.engine.delete_project(&self.caller, &id).await
    }

    async fn list_project_containers(
        &self,
        id: ProjectId,
        mut query: ContainerListQuery,
        _: (),
    ) -> Result<Page<Container>> {
        self.engine.project(&self.caller, &id).await?; // an unknown or hidden project is a 404
        query.project_id = Some(id);
        self.engine.list_containers(&self.caller, &query).await.map(Page::new)
    }

    async fn create_container(&self, id: ProjectId, _: (), body: ContainerCreate) -> Result<Container> {
        self.engine.create_container(&self.caller, &id, body).await
    }

    async fn list_containers(&self, query: ContainerListQuery, _: ()) -> Result<Page<Container>> {
        self.engine.list_containers(&self.caller, &query).await.map(Page::new)
    }

    async fn get_container(&self, id: ContainerId, view: ContainerView, _: ()) -> Result<Container> {
        match view.with_runtime {
            true => self.engine.container_with_runtime(&self.caller, &id).await,
            false => self.engine.container(&self.caller, &id).await,
        }
    }

    async fn update_container(&self, id: ContainerId, _: (), body: ContainerUpdate) -> Result<Container> {
        self.engine.update_container(&self.caller, &id, body).await
    }

    async fn delete_container(&self, id: ContainerId, _: (), _: ()) -> Result<Container> {
        self.engine.delete_container(&self.caller, &id).await
    }

    async fn operate(&self, id: ContainerId, operation: Operation, _: (), _: ()) -> Result<Container> {
        self.engine.operate(&self.caller, &id, operation).await
    }

    async fn copy_container(&self, id: ContainerId, _: (), body: ContainerCopy) -> Result<Container> {
        self.engine.copy_container(&self.caller, &id, body).await
    }

    async fn get_network(&self, id: ContainerId, _: (), _: ()) -> Result<NetworkConfig> {
        self.engine.network(&self.caller, &id).await
    }

    async fn update_network(&self, id: ContainerId, _: (), body: NetworkConfigUpdate) -> Result<NetworkConfig> {
        self.engine.update_network(&self.caller, &id, body).await
    }

    async fn reset_network(&self, id: ContainerId, _: (), _: ()) -> Result<NetworkConfig> {
        self.engine.switch_network(&self.caller, &id, true).await
    }

    async fn start_network(&self, id: ContainerId, _: (), _: ()) -> Result<NetworkConfig> {
        self.engine.switch_network(&self.caller, &id, true).await
    }

    async fn stop_network(&self, id: ContainerId, _: (), _: ()) -> Result<NetworkConfig> {
        self.engine.switch_network(&self.caller, &id, false).await
    }

    async fn sync_container(&self, id: ContainerId, _: (), _: ()) -> Result<Container> {
        self.engine.sync_container(&self.caller, &id).await
    }

    async fn export_bytes(&self, export: Id, offset: u64) -> Result<crate::ByteStream> {
        self.engine.export_bytes(&self.caller, &export, offset).await
    }

    async fn import_bytes(&self, import: Id, offset: u64, bytes: crate::ByteStream) -> Result<ContainerImport> {
        self.engine.write_import(&self.caller, &import, offset, bytes).await
    }

    async fn create_export(&self, id: ContainerId, _: (), body: ExportCreate) -> Result<ContainerExport> {
        self.engine.create_export(&self.caller, &id, body).await
    }

    async fn get_export(&self, export: Id, _: (), _: ()) -> Result<ContainerExport> {
        self.engine.export(&self.caller, &export).await
    }

    async fn delete_export(&self, export: Id, _: (), _: ()) -> Result<ContainerExport> {
        self.engine.delete_export(&self.caller, &export).await
    }

    async fn create_import(&self, id: ProjectId, _: (), body: ImportCreate) -> Result<ContainerImport> {
        self.engine.create_import(&self.caller, &id, body).await
    }

    async fn get_import(&self, import: Id, _: (), _: ()) -> Result<ContainerImport> {
        self.engine.import(&self.caller, &import).await
    }

    async fn finish_import(&self, import: Id, _: (), _: ()) -> Result<Container> {
        self.engine.finish_import(&self.caller, &import).await
    }

    async fn delete_import(&self, import: Id, _: (), _: ()) -> Result<ContainerImport> {
        self.engine.delete_import(&self.caller, &import).await
    }

    async fn set_container_kvm(&self, id: ContainerId, _: (), body: KvmSettings) -> Result<Container> {
        self.engine.set_kvm(&self.caller, &id, body).await
    }

    async fn list_snapshots(&self, id: ContainerId, _: (), _: ()) -> Result<Page<Snapshot>> {
        self.engine.snapshots(&self.caller, &id).await.map(Page::whole)
    }

    async fn create_snapshot(&self, id: ContainerId, _: (), body: SnapshotCreate) -> Result<Snapshot> {
        self.engine.create_snapshot(&self.caller, &id, body).await
    }

    async fn restore_snapshot(&self, id: ContainerId, name: String, _: (), _: ()) -> Result<Container> {
        self.engine.restore_snapshot(&self.caller, &id, &name).await
    }

    async fn delete_snapshot(&self, id: ContainerId, name: String, _: (), _: ()) -> Result<Snapshot> {
        self.engine.delete_snapshot(&self.caller, &id, &name).await
    }

    async fn container_stats(&self, id: ContainerId, _: (), _: ()) -> Result<RuntimeInfo> {
        self.engine.stats(&self.caller, &id).await
    }

    async fn container_logs(&self, id: ContainerId, query: LogsQuery, _: ()) -> Result<ContainerLogs> {
        self.engine.logs(&self.caller, &id, query.lines).await
    }

    async fn status_logs(&self, id: ContainerId, _: (), _: ()) -> Result<Vec<StatusLogEntry>> {
        self.engine.status_logs(&self.caller, &id).await
    }

    async fn rentals(&self, _: (), _: ()) -> Result<Vec<Rental>> {
        self.engine.rentals().await
    }

    async fn get_rental(&self, id: Id, _: (), _: ()) -> Result<Rental> {
        self.engine.rental(&id).await
    }

    async fn extend_rental(&self, id: Id, _: (), _: ()) -> Result<Rental> {
        self.engine.extend_rental(&id).await
    }

    async fn rental_marketplace(&self, _: (), _: ()) -> Result<Vec<hoody_model::Server>> {
        Err(self.engine.rental_marketplace())
    }

    async fn rent_server(&self, _: String, _: (), _: ()) -> Result<hoody_model::Server> {
        Err(self.engine.rental_marketplace())
    }

    async fn get_image(&self, alias: String, _: (), _: ()) -> Result<Image> {
        self.engine.image(&alias).await
    }

    async fn image_icon(&self, alias: String, _: (), _: ()) -> Result<Image> {
        self.engine.image_icon(&alias).await
    }

    async fn purchase_image(&self, alias: String, _: (), _: ()) -> Result<Image> {
        Err(crate::EngineError::not_offered(
            "buying an image",
            &format!("images here are free: download {alias} with POST /images/import/{{alias}}"),
        ))
    }

    async fn rate_image(&self, _: String, _: (), _: ()) -> Result<Image> {
        Err(crate::EngineError::not_offered("rating images", "images here have no ratings"))
    }

    async fn server_commands(&self, id: ServerId, q: super::CommandFilter, _: ()) -> Result<Page<ServerCommand>> {
        self.engine.server_commands(&id, q.category.as_deref(), q.risk_level.as_deref()).map(Page::whole)
    }

    async fn execute_command(&self, id: ServerId, _: (), body: CommandRequest) -> Result<CommandRun> {
        self.engine.execute_command(&self.caller, &id, body).await
    }

    async fn servers(&self, _: (), _: ()) -> Result<Vec<hoody_model::Server>> {
        self.engine.servers().await
    }

    async fn get_server(&self, id: ServerId, _: (), _: ()) -> Result<hoody_model::Server> {
        self.engine.server(&id).await
    }

    async fn images(&self, filter: ImageFilter, _: ()) -> Result<Page<Image>> {
        self.engine.images(filter.os.as_deref()).await.map(Page::whole)
    }

    async fn user_images(&self, _: (), _: ()) -> Result<Page<Image>> {
        self.engine.user_images().await.map(Page::whole)
    }

    async fn pull_image(&self, alias: String, _: (), _: ()) -> Result<Image> {
        self.engine.pull_image(&self.caller, &alias).await
    }

    async fn build_image(&self, alias: String, _: (), body: ImageBuild) -> Result<Image> {
        self.engine.build_image(&self.caller, &alias, body).await
    }

    async fn import_image(&self, alias: String, _: (), body: ImageImport) -> Result<Image> {
        self.engine.import_image(&self.caller, &alias, body).await
    }

    async fn container_env(&self, id: ContainerId, _: (), _: ()) -> Result<Container> {
        self.engine.container(&self.caller, &id).await
    }

    async fn set_container_env(&self, id: ContainerId, _: (), body: EnvVarsText) -> Result<Container> {
        let vars = hoody_model::env::parse_env_text(&body.body)?;
        self.engine.edit_env(&self.caller, &id, |env| *env = vars).await
    }

    async fn set_container_env_var(&self, id: ContainerId, key: String, _: (), body: EnvVarValue) -> Result<Container> {
        self.engine.edit_env(&self.caller, &id, |env| drop(env.insert(key, body.value))).await
    }

    async fn delete_container_env_var(&self, id: ContainerId, key: String, _: (), _: ()) -> Result<Container> {
        let gone = key.clone();
        let c = self.engine.container(&self.caller, &id).await?;
        if !c.environment_vars.contains_key(&key) {
            return Err(crate::EngineError::not_found("environment variable", gone));
        }
        self.engine.edit_env(&self.caller, &id, |env| drop(env.remove(&key))).await
    }

    async fn rename_snapshot(&self, id: ContainerId, name: String, _: (), body: SnapshotAlias) -> Result<Snapshot> {
        self.engine.rename_snapshot(&self.caller, &id, &name, body).await
    }

    async fn delete_image(&self, alias: String, _: (), _: ()) -> Result<Image> {
        self.engine.delete_image(&self.caller, &alias).await
    }

    async fn realms(&self, _: (), _: ()) -> Result<Vec<Realm>> {
        self.engine.list_realms(&self.caller).await
    }

    async fn create_realm(&self, _: (), body: RealmCreate) -> Result<Realm> {
        self.engine.create_realm(&self.caller, body).await
    }

    async fn list_events(&self, query: EventListQuery, _: ()) -> Result<Page<LoggedEvent>> {
        self.engine.list_events(&self.caller, &query).await.map(Page::new)
    }

    async fn delete_events(&self, filter: EventFilter, _: ()) -> Result<EventsRemoved> {
        self.engine.delete_events(&self.caller, &filter).await
    }

    async fn clean_up_events(&self, _: (), body: EventsCleanup) -> Result<EventsRemoved> {
        self.engine.clean_up_events(&self.caller, &body).await
    }

    async fn event_stats(&self, filter: EventFilter, _: ()) -> Result<EventStats> {
        self.engine.event_stats(&self.caller, &filter).await
    }

    async fn get_event(&self, id: Id, _: (), _: ()) -> Result<LoggedEvent> {
        self.engine.event(&self.caller, &id).await
    }

    async fn delete_event(&self, id: Id, _: (), _: ()) -> Result<LoggedEvent> {
        self.engine.delete_event(&self.caller, &id).await
    }

    async fn create_token(&self, _: (), body: TokenCreate) -> Result<CreatedToken> {
        self.engine.create_token(&self.caller, body).await
    }

    async fn list_tokens(&self, _: (), _: ()) -> Result<Vec<Token>> {
        self.engine.tokens(&self.caller).await
    }

    async fn current_token(&self, _: (), _: ()) -> Result<Token> {
        self.engine.current_token(&self.caller).await
    }

    async fn update_public_profile(&self, _: (), body: TokenPublicProfile) -> Result<Token> {
        self.engine.update_public_profile(&self.caller, body).await
    }

    async fn public_profile(&self, key: String, _: (), _: ()) -> Result<PublicProfile> {
        self.engine.public_profile(&key).await
    }

    async fn get_token(&self, id: TokenId, _: (), _: ()) -> Result<Token> {
        self.engine.token(&self.caller, &id).await
    }

    async fn update_token(&self, id: TokenId, _: (), body: TokenUpdate) -> Result<Token> {
        self.engine.update_token(&self.caller, &id, body).await
    }

    async fn delete_token(&self, id: TokenId, _: (), _: ()) -> Result<Token> {
        self.engine.delete_token(&self.caller, &id).await
    }

    async fn copy_token(&self, id: TokenId, _: (), body: TokenCopy) -> Result<CreatedToken> {
        self.engine.copy_token(&self.caller, &id, body).await
    }

    async fn add_token_realm(&self, id: TokenId, _: (), body: TokenRealm) -> Result<Token> {
        self.engine.add_token_realm(&self.caller, &id, body).await
    }

    async fn remove_token_realm(&self, id: TokenId, _: (), body: TokenRealm) -> Result<Token> {
        self.engine.remove_token_realm(&self.caller, &id, body).await
    }

    async fn get_proxy_permissions(&self, id: ContainerId, _: (), _: ()) -> Result<ProxyPermissions> {
        self.engine.proxy_permissions(&self.caller, &GateOwner::Container(id)).await
    }

    async fn replace_proxy_permissions(
        &self,
        id: ContainerId,
        q: Precondition,
        body: ProxyPermissionsReplace,
    ) -> Result<ProxyPermissions> {
        self.engine
            .replace_proxy_permissions(&self.caller, &GateOwner::Container(id), q.if_match.as_deref(), body)
            .await
    }

    async fn delete_proxy_permissions(&self, id: ContainerId, q: Precondition, _: ()) -> Result<ProxyPermissions> {
        self.engine.clear_proxy_permissions(&self.caller, &GateOwner::Container(id), q.if_match.as_deref()).await
    }

    async fn set_proxy_default(
        &self,
        id: ContainerId,
        q: Precondition,
        body: ProxyDefault,
    ) -> Result<ProxyPermissions> {
        self.engine
            .set_proxy_default(&self.caller, &GateOwner::Container(id), q.if_match.as_deref(), &body.default)
            .await
    }

    async fn set_proxy_state(&self, id: ContainerId, q: Precondition, body: ProxyState) -> Result<ProxyPermissions> {
        self.engine
            .set_proxy_state(&self.caller, &GateOwner::Container(id), q.if_match.as_deref(), body.enable_proxy)
            .await
    }

    async fn set_proxy_password_group(
        &self,
        id: ContainerId,
        group: String,
        q: Precondition,
        b: ProxyPasswordGroup,
    ) -> Result<ProxyPermissions> {
        let made = ProxyGroup::password(&b.username, &b.password, &b.salt, b.algorithm.as_deref());
        self.engine.set_proxy_group(&self.caller, &GateOwner::Container(id), q.if_match.as_deref(), &group, made).await
    }

    async fn set_proxy_token_group(
        &self,
        id: ContainerId,
        group: String,
        q: Precondition,
        b: ProxyTokenGroup,
    ) -> Result<ProxyPermissions> {
        self.engine
            .set_proxy_group(
                &self.caller,
                &GateOwner::Container(id),
                q.if_match.as_deref(),
                &group,
                ProxyGroup::token(&b.body),
            )
            .await
    }

    async fn set_proxy_ip_group(
        &self,
        id: ContainerId,
        group: String,
        q: Precondition,
        b: ProxyIpGroup,
    ) -> Result<ProxyPermissions> {
        self.engine
            .set_proxy_group(
                &self.caller,
                &GateOwner::Container(id),
                q.if_match.as_deref(),
                &group,
                ProxyGroup::ip(&b.range),
            )
            .await
    }

    async fn set_proxy_jwt_group(
        &self,
        id: ContainerId,
        group: String,
        q: Precondition,
        b: ProxyJwtGroup,
    ) -> Result<ProxyPermissions> {
        self.engine
            .set_proxy_group(
                &self.caller,
                &GateOwner::Container(id),
                q.if_match.as_deref(),
                &group,
                ProxyGroup::jwt(&b.secret, &b.algorithm, &b.sources, b.claims.as_ref()),
            )
            .await
    }

    async fn remove_proxy_group(
        &self,
        id: ContainerId,
        group: String,
        q: Precondition,
        _: (),
    ) -> Result<ProxyPermissions> {
        self.engine.remove_proxy_group(&self.caller, &GateOwner::Container(id), q.if_match.as_deref(), &group).await
    }

    async fn set_proxy_access(
        &self,
        id: ContainerId,
        group: String,
        q: Precondition,
        body: ProxyAccess,
    ) -> Result<ProxyPermissions> {
        self.engine.set_proxy_access(&self.caller, &GateOwner::Container(id), q.if_match.as_deref(), &group, body).await
    }

    async fn remove_proxy_group_access(
        &self,
        id: ContainerId,
        group: String,
        q: Precondition,
        _: (),
    ) -> Result<ProxyPermissions> {
        self.engine
            .remove_proxy_access(&self.caller, &GateOwner::Container(id), q.if_match.as_deref(), &group, None)
            .await
    }

    async fn remove_proxy_program_access(
        &self,
        id: ContainerId,
        group: String,
        program: String,
        q: Precondition,
        _: (),
    ) -> Result<ProxyPermissions> {
        self.engine
            .remove_proxy_access(&self.caller, &GateOwner::Container(id), q.if_match.as_deref(), &group, Some(&program))
            .await
    }

    async fn get_project_proxy_permissions(&self, id: ProjectId, _: (), _: ()) -> Result<ProxyPermissions> {
        self.engine.proxy_permissions(&self.caller, &GateOwner::Project(id)).await
    }

    async fn replace_project_proxy_permissions(
        &self,
        id: ProjectId,
        q: Precondition,
        body: ProxyPermissionsReplace,
    ) -> Result<ProxyPermissions> {
        self.engine.replace_proxy_permissions(&self.caller, &GateOwner::Project(id), q.if_match.as_deref(), body).await
    }

    async fn delete_project_proxy_permissions(
        &self,
        id: ProjectId,
        q: Precondition,
        _: (),
    ) -> Result<ProxyPermissions> {
        self.engine.clear_proxy_permissions(&self.caller, &GateOwner::Project(id), q.if_match.as_deref()).await
    }

    async fn set_project_proxy_default(
        &self,
        id: ProjectId,
        q: Precondition,
        body: ProxyDefault,
    ) -> Result<ProxyPermissions> {
        self.engine.set_proxy_default(&self.caller, &GateOwner::Project(id), q.if_match.as_deref(), &body.default).await
    }

    async fn set_project_proxy_state(
        &self,
        id: ProjectId,
        q: Precondition,
        body: ProxyState,
    ) -> Result<ProxyPermissions> {
        self.engine
            .set_proxy_state(&self.caller, &GateOwner::Project(id), q.if_match.as_deref(), body.enable_proxy)
            .await
    }

    async fn set_project_proxy_password_group(
        &self,
        id: ProjectId,
        group: String,
        q: Precondition,
        b: ProxyPasswordGroup,
    ) -> Result<ProxyPermissions> {
        let made = ProxyGroup::password(&b.username, &b.password, &b.salt, b.algorithm.as_deref());
        self.engine.set_proxy_group(&self.caller, &GateOwner::Project(id), q.if_match.as_deref(), &group, made).await
    }

    async fn set_project_proxy_token_group(
        &self,
        id: ProjectId,
        group: String,
        q: Precondition,
        b: ProxyTokenGroup,
    ) -> Result<ProxyPermissions> {
        self.engine
            .set_proxy_group(
                &self.caller,
                &GateOwner::Project(id),
                q.if_match.as_deref(),
                &group,
                ProxyGroup::token(&b.body),
            )
            .await
    }

    async fn set_project_proxy_ip_group(
        &self,
        id: ProjectId,
        group: String,
        q: Precondition,
        b: ProxyIpGroup,
    ) -> Result<ProxyPermissions> {
        self.engine
            .set_proxy_group(
                &self.caller,
                &GateOwner::Project(id),
                q.if_match.as_deref(),
                &group,
                ProxyGroup::ip(&b.range),
            )
            .await
    }

    async fn set_project_proxy_jwt_group(
        &self,
        id: ProjectId,
        group: String,
        q: Precondition,
        b: ProxyJwtGroup,
    ) -> Result<ProxyPermissions> {
        self.engine
            .set_proxy_group(
                &self.caller,
                &GateOwner::Project(id),
                q.if_match.as_deref(),
                &group,
                ProxyGroup::jwt(&b.secret, &b.algorithm, &b.sources, b.claims.as_ref()),
            )
            .await
    }

    async fn remove_project_proxy_group(
        &self,
        id: ProjectId,
        group: String,
        q: Precondition,
        _: (),
    ) -> Result<ProxyPermissions> {
        self.engine.remove_proxy_group(&self.caller, &GateOwner::Project(id), q.if_match.as_deref(), &group).await
    }

    async fn set_project_proxy_access(
        &self,
        id: ProjectId,
        group: String,
        q: Precondition,
        body: ProxyAccess,
    ) -> Result<ProxyPermissions> {
        self.engine.set_proxy_access(&self.caller, &GateOwner::Project(id), q.if_match.as_deref(), &group, body).await
    }

    async fn remove_project_proxy_group_access(
        &self,
        id: ProjectId,
        group: String,
        q: Precondition,
        _: (),
    ) -> Result<ProxyPermissions> {
        self.engine
            .remove_proxy_access(&self.caller, &GateOwner::Project(id), q.if_match.as_deref(), &group, None)
            .await
    }

    async fn remove_project_proxy_program_access(
        &self,
        id: ProjectId,
        group: String,
        program: String,
        q: Precondition,
        _: (),
    ) -> Result<ProxyPermissions> {
        self.engine
            .remove_proxy_access(&self.caller, &GateOwner::Project(id), q.if_match.as_deref(), &group, Some(&program))
            .await
    }

    async fn proxy_settings(&self, id: ContainerId, _: (), _: ()) -> Result<ProxySettings> {
        Ok(self.engine.proxy_permissions(&self.caller, &GateOwner::Container(id)).await?.settings())
    }

    async fn update_proxy_settings(
        &self,
        id: ContainerId,
        q: Precondition,
        body: ProxySettingsUpdate,
    ) -> Result<ProxySettings> {
        let change = |p: &mut ProxyPermissions| {
            if let Some(default) = &body.default {
                p.set_default(default)?;
            }
            if let Some(on) = body.enable_proxy {
                p.enable_proxy = on;
            }
            Ok(())
        };
        let owner = GateOwner::Container(id);
        Ok(self.engine.change_proxy_permissions(&self.caller, &owner, q.if_match.as_deref(), change).await?.settings())
    }

    async fn proxy_groups(&self, id: ContainerId, _: (), _: ()) -> Result<Page<NamedProxyGroup>> {
        let permissions = self.engine.proxy_permissions(&self.caller, &GateOwner::Container(id)).await?;
        Ok(Page::whole(permissions.named_groups()))
    }

    async fn proxy_services(&self, id: ContainerId, _: (), _: ()) -> Result<Page<ProxyService>> {
        self.engine.proxy_services(&self.caller, &id).await.map(Page::whole)
    }

    async fn list_storage_shares(
        &self,
        id: ContainerId,
        filter: StorageShareFilter,
        _: (),
    ) -> Result<Vec<StorageShare>> {
        self.engine.shares(&self.caller, &id, filter).await
    }

    async fn create_storage_share(&self, id: ContainerId, _: (), body: StorageShareCreate) -> Result<StorageShare> {
        self.engine.create_share(&self.caller, &id, body).await
    }

    async fn get_storage_share(&self, id: ContainerId, share: Id, _: (), _: ()) -> Result<StorageShare> {
        self.engine.share(&self.caller, &id, &share).await
    }

    async fn update_storage_share(
        &self,
        id: ContainerId,
        share: Id,
        _: (),
        body: StorageShareUpdate,
    ) -> Result<StorageShare> {
        self.engine.update_share(&self.caller, &id, &share, body).await
    }

    async fn incoming_storage_shares(&self, id: ContainerId, _: (), _: ()) -> Result<Vec<IncomingShare>> {
        self.engine.incoming_shares(&self.caller, &id).await
    }

    async fn set_incoming_share_mount(
        &self,
        id: ContainerId,
        share: Id,
        _: (),
        body: IncomingMount,
    ) -> Result<IncomingShare> {
        self.engine.set_incoming_mount(&self.caller, &id, &share, body).await
    }

    async fn firewall_rules(&self, id: ContainerId, _: (), _: ()) -> Result<FirewallRules> {
        self.engine.firewall_rules(&self.caller, &id).await
    }

    async fn reset_firewall(&self, id: ContainerId, _: (), _: ()) -> Result<FirewallRules> {
        self.engine.reset_firewall(&self.caller, &id).await
    }

    async fn add_egress_rule(&self, id: ContainerId, _: (), body: FirewallRuleCreate) -> Result<FirewallRules> {
        self.engine.add_firewall_rule(&self.caller, &id, Direction::Egress, body).await
    }

    async fn remove_egress_rule(&self, id: ContainerId, which: FirewallRuleMatch, _: ()) -> Result<FirewallRules> {
        self.engine.remove_firewall_rules(&self.caller, &id, Direction::Egress, which).await
    }

    async fn toggle_egress_rule(&self, id: ContainerId, _: (), which: FirewallRuleMatch) -> Result<FirewallRules> {
        self.engine.toggle_firewall_rules(&self.caller, &id, Direction::Egress, which).await
    }

    async fn add_ingress_rule(&self, id: ContainerId, _: (), body: FirewallRuleCreate) -> Result<FirewallRules> {
        self.engine.add_firewall_rule(&self.caller, &id, Direction::Ingress, body).await
    }

    async fn remove_ingress_rule(&self, id: ContainerId, which: FirewallRuleMatch, _: ()) -> Result<FirewallRules> {
        self.engine.remove_firewall_rules(&self.caller, &id, Direction::Ingress, which).await
    }

    async fn toggle_ingress_rule(&self, id: ContainerId, _: (), which: FirewallRuleMatch) -> Result<FirewallRules> {
        self.engine.toggle_firewall_rules(&self.caller, &id, Direction::Ingress, which).await
    }

    async fn list_proxy_hooks(&self, id: ContainerId, _: (), _: ()) -> Result<ProxyHooks> {
        self.engine.proxy_hooks(&self.caller, &id).await
    }

    async fn list_service_hooks(&self, id: ContainerId, service: String, _: (), _: ()) -> Result<Page<ProxyHook>> {
        hoody_model::proxy_hooks::check_hook_service(&service)?;
        let mut hooks = self.engine.proxy_hooks(&self.caller, &id).await?;
        Ok(Page::whole(hooks.hooks.remove(&service).unwrap_or_default()))
    }

    async fn add_proxy_hook(
        &self,
        id: ContainerId,
        service: String,
        q: Precondition,
        body: ProxyHookWrite,
    ) -> Result<ProxyHook> {
        self.engine.add_proxy_hook(&self.caller, &id, &service, q.if_match.as_deref(), body).await
    }

    async fn clear_service_hooks(
        &self,
        id: ContainerId,
        service: String,
        q: Precondition,
        _: (),
    ) -> Result<ProxyHooks> {
        self.engine.clear_service_hooks(&self.caller, &id, &service, q.if_match.as_deref()).await
    }

    async fn get_proxy_hook(
        &self,
        id: ContainerId,
        service: String,
        hook_id: String,
        _: (),
        _: (),
    ) -> Result<ProxyHook> {
        self.engine.proxy_hook(&self.caller, &id, &service, &hook_id).await
    }

    async fn update_proxy_hook(
        &self,
        id: ContainerId,
        service: String,
        hook_id: String,
        q: Precondition,
        body: ProxyHookWrite,
    ) -> Result<ProxyHook> {
        self.engine.update_proxy_hook(&self.caller, &id, &service, &hook_id, q.if_match.as_deref(), body).await
    }

    async fn remove_proxy_hook(
        &self,
        id: ContainerId,
        service: String,
        hook_id: String,
        q: Precondition,
        _: (),
    ) -> Result<ProxyHooks> {
        self.engine.remove_proxy_hook(&self.caller, &id, &service, &hook_id, q.if_match.as_deref()).await
    }

    async fn move_proxy_hook(
        &self,
        id: ContainerId,
        service: String,
        hook_id: String,
        q: Precondition,
        body: HookPosition,
    ) -> Result<ProxyHook> {
        self.engine.move_proxy_hook(&self.caller, &id, &service, &hook_id, q.if_match.as_deref(), body).await
    }

    async fn proxy_service(&self, id: ContainerId, service: String, _: (), _: ()) -> Result<ProxyService> {
        let services = self.engine.proxy_services(&self.caller, &id).await?;
        services
            .into_iter()
            .find(|s| s.service == service)
            .ok_or_else(|| crate::EngineError::not_found("kit service of this container", &service))
    }
}
