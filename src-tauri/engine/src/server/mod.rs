//! The Hoody API's operations, each declared once (below): its method and path, inputs,
//! answer, success status and message, and the error statuses it documents. From that list
//! come the [`Request`] an HTTP request is parsed into, the [`Server`] trait that this
//! machine's engine ([`LocalServer`]) implements, a remote endpoint's implementation over any
//! [`Transport`] (`Remote(HoodyClient)`), and the [`OPERATIONS`] table from which the REST
//! router and the OpenAPI document are built.
//!
//! Adding an operation: one entry here and its method on [`LocalServer`]; the remote side and
//! the REST route follow from the entry.

mod answer;
mod declare;
mod http;
mod local;
mod params;
pub mod permissions;
mod remote;
#[cfg(test)]
mod typescript;

pub use answer::{Answer, Data, Listed, Page};
pub use http::{HttpCall, HttpInput, Method};
pub use local::LocalServer;
pub use params::{
    CommandFilter, ContainerView, ImageFilter, LogsQuery, PathParam, Precondition, QueryParams, RequestBody,
};
pub(crate) use remote::remote_error;
pub use remote::{Endpoint, Presented, Presenter, Refusing, Remote, Transport};

use crate::error::Result;
use hoody_model::{
    CommandRequest, CommandRun, Container, ContainerCopy, ContainerCreate, ContainerId, ContainerListQuery,
    ContainerLogs, ContainerUpdate, CreatedToken, EnvVarValue, EnvVarsText, EventFilter, EventListQuery, EventStats,
    EventsCleanup, EventsRemoved, FirewallRuleCreate, FirewallRuleMatch, FirewallRules, HookPosition, Id, Image,
    ImageBuild, ImageImport, KvmSettings, LoggedEvent, NamedProxyGroup, NetworkConfig, NetworkConfigUpdate, Operation,
    PageRequest, Project, ProjectCreate, ProjectId, ProjectPermission, ProjectPermissionCreate,
    ProjectPermissionUpdate, ProjectStats, ProjectUpdate, ProxyAccess, ProxyDefault, ProxyHook, ProxyHookWrite,
    ProxyHooks, ProxyIpGroup, ProxyJwtGroup, ProxyPasswordGroup, ProxyPermissions, ProxyPermissionsReplace,
    ProxyService, ProxySettings, ProxySettingsUpdate, ProxyState, ProxyTokenGroup, PublicProfile, Realm, RealmCreate,
    Rental, RuntimeInfo, ServerCommand, ServerId, Snapshot, SnapshotAlias, SnapshotCreate, StatusLogEntry, Token,
    TokenCopy, TokenCreate, TokenId, TokenPublicProfile, TokenRealm, TokenUpdate,
};
use hoody_model::{ContainerExport, ContainerImport, ExportCreate, ImportCreate};
use hoody_model::{
    IncomingMount, IncomingShare, StorageShare, StorageShareCreate, StorageShareFilter, StorageShareUpdate,
};

/// One operation as the API serves and documents it.
#[derive(Debug, Clone, Copy)]
pub struct OperationSpec {
    pub name: &'static str,
    /// More than one where the platform accepts either (PUT and PATCH for updates).
    pub methods: &'static [Method],
    /// Under `/api/v1`, with `{name}` segments for path parameters.
    pub path: &'static str,
    /// Each path parameter's name and its type in the UI's TypeScript.
    pub params: &'static [(&'static str, &'static str)],
    pub summary: &'static str,
    pub status: u16,
    /// The envelope's `message`; `{name}` is replaced by that path parameter.
    pub message: &'static str,
    pub errors: &'static [u16],
    pub query: &'static [(&'static str, &'static str)],
    pub body: Option<&'static str>,
    pub data: fn() -> Data,
    pub parse: fn(HttpInput) -> Result<Request>,
}

impl OperationSpec {
    /// The operation named `name`.
    pub fn named(name: &str) -> Option<&'static OperationSpec> {
        OPERATIONS.iter().find(|op| op.name == name)
    }

    /// Its path parameters, in order.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.params.iter().map(|(name, _)| *name)
    }

    /// The success message, with path parameters filled in.
    pub fn message_for(&self, params: &[(String, String)]) -> String {
        params.iter().fold(self.message.to_owned(), |m, (k, v)| m.replace(&format!("{{{k}}}"), v))
    }
}

use declare::operations;

operations! {
    "Create a project"
    create_project => CreateProject: POST "/projects/" {}
        query: (), body: ProjectCreate,
        answers 201 "Project created successfully" Project,
        errors [400, 401, 403];
    "List projects"
    list_projects => ListProjects: GET "/projects" {}
        query: PageRequest, body: (),
        answers 200 "Projects retrieved successfully" Page<Project>,
        errors [400, 401];
    "Get a project"
    get_project => GetProject: GET "/projects/{id}" { id: ProjectId }
        query: (), body: (),
        answers 200 "Project retrieved successfully" Project,
        errors [400, 401, 404];
    "Update a project"
    update_project => UpdateProject: PUT | PATCH "/projects/{id}" { id: ProjectId }
        query: (), body: ProjectUpdate,
        answers 200 "Project updated successfully" Project,
        errors [400, 401, 403, 404];
    "Delete a project and its containers"
    delete_project => DeleteProject: DELETE "/projects/{id}" { id: ProjectId }
        query: (), body: (),
        answers 200 "Project deleted successfully" Project,
        errors [400, 401, 404, 409, 503];
    "The project's containers by status and what the running ones use"
    project_stats => ProjectStatsOf: GET "/projects/{id}/stats" { id: ProjectId }
        query: (), body: (),
        answers 200 "Project stats retrieved successfully" ProjectStats,
        errors [400, 401, 404];
    "The project's grants: the tokens it is granted to beyond their realms, each at its level"
    project_permissions => ProjectPermissionsOf: GET "/projects/{id}/permissions" { id: ProjectId }
        query: PageRequest, body: (),
        answers 200 "Project permissions retrieved successfully" Page<ProjectPermission>,
        errors [400, 401, 403, 404];
    "Grant the project to a token (read, write or admin)"
    add_project_permission => AddProjectPermission: POST "/projects/{id}/permissions" { id: ProjectId }
        query: (), body: ProjectPermissionCreate,
        answers 201 "Project permission added successfully" ProjectPermission,
        errors [400, 401, 403, 404, 409];
    "Change the level of a grant"
    update_project_permission => UpdateProjectPermission: PATCH "/projects/{id}/permissions/{permission}" { id: ProjectId, permission: Id }
        query: (), body: ProjectPermissionUpdate,
        answers 200 "Project permission updated successfully" ProjectPermission,
        errors [400, 401, 403, 404];
    "Take a grant away"
    remove_project_permission => RemoveProjectPermission: DELETE "/projects/{id}/permissions/{permission}" { id: ProjectId, permission: Id }
        query: (), body: (),
        answers 200 "Project permission removed successfully" ProjectPermission,
        errors [400, 401, 403, 404];
    "List a project's containers"
    list_project_containers => ListProjectContainers: GET "/projects/{id}/containers" { id: ProjectId }
        query: ContainerListQuery, body: (),
        answers 200 "Containers retrieved successfully" Page<Container>,
        errors [400, 401, 404];
    "Create a container"
    create_container => CreateContainer: POST "/projects/{id}/containers" { id: ProjectId }
        query: (), body: ContainerCreate,
        answers 201 "Container created successfully" Container,
        errors [400, 401, 403, 404, 409, 503, 507];
    "List containers"
    list_containers => ListContainers: GET "/containers/" {}
        query: ContainerListQuery, body: (),
        answers 200 "Containers retrieved successfully" Page<Container>,
        errors [400, 401];
    "Get a container"
    get_container => GetContainer: GET "/containers/{id}" { id: ContainerId }
        query: ContainerView, body: (),
        answers 200 "Container retrieved successfully" Container,
        errors [400, 401, 404, 503];
    "Update a container"
    update_container => UpdateContainer: PUT | PATCH "/containers/{id}" { id: ContainerId }
        query: (), body: ContainerUpdate,
        answers 200 "Container updated successfully" Container,
        errors [400, 401, 403, 404, 409];
    "A container's environment variables (the container, `environment_vars` holding them)"
    container_env => ContainerEnv: GET "/containers/{id}/env" { id: ContainerId }
        query: (), body: (),
        answers 200 "Environment variables retrieved successfully" Container,
        errors [400, 401, 404];
    "Replace every environment variable with those of `.env` text (the container stopped)"
    set_container_env => SetContainerEnv: PATCH "/containers/{id}/env" { id: ContainerId }
        query: (), body: EnvVarsText,
        answers 200 "Environment variables updated successfully" Container,
        errors [400, 401, 404, 409];
    "Set one environment variable (the container stopped)"
    set_container_env_var => SetContainerEnvVar: PATCH "/containers/{id}/env/{key}" { id: ContainerId, key: String }
        query: (), body: EnvVarValue,
        answers 200 "Environment variable {key} set successfully" Container,
        errors [400, 401, 404, 409];
    "Remove one environment variable (the container stopped)"
    delete_container_env_var => DeleteContainerEnvVar: DELETE "/containers/{id}/env/{key}" { id: ContainerId, key: String }
        query: (), body: (),
        answers 200 "Environment variable {key} deleted successfully" Container,
        errors [400, 401, 404, 409];
    "Delete a container (stopping it first)"
    delete_container => DeleteContainer: DELETE "/containers/{id}" { id: ContainerId }
        query: (), body: (),
        answers 200 "Container deleted successfully" Container,
        errors [400, 401, 404, 409, 503];
    "start | stop | force-stop | restart | pause | resume"
    operate => Operate: POST "/containers/{id}/{operation}" { id: ContainerId, operation: Operation }
        query: (), body: (),
        answers 200 "Container {operation} successful" Container,
        errors [400, 401, 404, 409, 500, 503];
    "Copy a container"
    copy_container => CopyContainer: POST "/containers/{id}/copy" { id: ContainerId }
        query: (), body: ContainerCopy,
        answers 201 "Container copy started" Container,
        errors [400, 401, 403, 404, 409, 503, 507];
    "How the container reaches the outside: `direct` (through this host) or `none` (loopback only)"
    get_network => GetNetwork: GET "/containers/{id}/network" { id: ContainerId }
        query: (), body: (),
        answers 200 "Network configuration retrieved successfully" NetworkConfig,
        errors [400, 401, 404];
    "Change the container's network (at once, also while it runs); proxies, VPNs and places are refused by name"
    update_network => UpdateNetwork: PATCH "/containers/{id}/network" { id: ContainerId }
        query: (), body: NetworkConfigUpdate,
        answers 200 "Network configuration updated successfully" NetworkConfig,
        errors [400, 401, 403, 404, 409, 501, 503];
    "Give the container its default network back: its own connection through this host"
    reset_network => ResetNetwork: DELETE "/containers/{id}/network" { id: ContainerId }
        query: (), body: (),
        answers 200 "Network configuration removed successfully" NetworkConfig,
        errors [400, 401, 403, 404, 409, 503];
    "Turn the container's network on (at once, also while it runs)"
    start_network => StartNetwork: POST "/containers/{id}/network/start" { id: ContainerId }
        query: (), body: (),
        answers 200 "Container network started successfully" NetworkConfig,
        errors [400, 401, 403, 404, 409, 503];
    "Turn the container's network off: loopback only (at once, also while it runs)"
    stop_network => StopNetwork: POST "/containers/{id}/network/stop" { id: ContainerId }
        query: (), body: (),
        answers 200 "Container network stopped successfully" NetworkConfig,
        errors [400, 401, 403, 404, 409, 503];
    "Give a copy its source's current files again (the copy stopped)"
    sync_container => SyncContainer: POST "/containers/{id}/sync" { id: ContainerId }
        query: (), body: (),
        answers 200 "Container synced successfully" Container,
        errors [400, 401, 403, 404, 409, 503, 507];
    "Export the container's files (one tar, its SHA-256) and settings, to be read from GET /exports/{export}/layer (a Hoody Desktop addition: a copy to another server)"
    create_export => CreateExport: POST "/containers/{id}/exports" { id: ContainerId }
        query: (), body: ExportCreate,
        answers 201 "Export created successfully" ContainerExport,
        errors [400, 401, 403, 404, 409, 503, 507];
    "An export of a container's files"
    get_export => GetExport: GET "/exports/{export}" { export: Id }
        query: (), body: (),
        answers 200 "Export retrieved successfully" ContainerExport,
        errors [400, 401, 404];
    "Delete an export and its file"
    delete_export => DeleteExport: DELETE "/exports/{export}" { export: Id }
        query: (), body: (),
        answers 200 "Export deleted successfully" ContainerExport,
        errors [400, 401, 404];
    "Announce a container coming from another server: its settings, the size and SHA-256 of its files (sent with PUT /imports/{import}/layer?offset=N)"
    create_import => CreateImport: POST "/projects/{id}/imports" { id: ProjectId }
        query: (), body: ImportCreate,
        answers 201 "Import created successfully" ContainerImport,
        errors [400, 401, 403, 404, 503, 507];
    "An import: how many of its bytes have arrived"
    get_import => GetImport: GET "/imports/{import}" { import: Id }
        query: (), body: (),
        answers 200 "Import retrieved successfully" ContainerImport,
        errors [400, 401, 404];
    "Make the container from a complete import (its SHA-256 checked); started if its source ran"
    finish_import => FinishImport: POST "/imports/{import}/container" { import: Id }
        query: (), body: (),
        answers 201 "Container imported successfully" Container,
        errors [400, 401, 403, 404, 409, 503, 507];
    "Give up an import: its bytes go, nothing is made"
    delete_import => DeleteImport: DELETE "/imports/{import}" { import: Id }
        query: (), body: (),
        answers 200 "Import deleted successfully" ContainerImport,
        errors [400, 401, 404];
    "Hardware virtualisation (/dev/kvm) inside the container: refused, saying why, where this server cannot give it"
    set_container_kvm => SetContainerKvm: PUT | PATCH "/containers/{id}/kvm" { id: ContainerId }
        query: (), body: KvmSettings,
        answers 200 "Container KVM settings updated successfully" Container,
        errors [400, 401, 404];
    "List snapshots"
    list_snapshots => ListSnapshots: GET "/containers/{id}/snapshots" { id: ContainerId }
        query: (), body: (),
        answers 200 "Snapshots retrieved successfully" Page<Snapshot>,
        errors [400, 401, 404];
    "Take a snapshot"
    create_snapshot => CreateSnapshot: POST "/containers/{id}/snapshots" { id: ContainerId }
        query: (), body: SnapshotCreate,
        answers 201 "Snapshot created successfully" Snapshot,
        errors [400, 401, 404, 409, 501, 503, 507];
    "Restore a snapshot"
    restore_snapshot => RestoreSnapshot: PATCH | PUT "/containers/{id}/snapshots/{name}" { id: ContainerId, name: String }
        query: (), body: (),
        answers 200 "Snapshot restored successfully" Container,
        errors [400, 401, 404, 409, 501, 503];
    "Rename a snapshot (the platform's alias)"
    rename_snapshot => RenameSnapshot: PATCH "/containers/{id}/snapshots/{name}/alias" { id: ContainerId, name: String }
        query: (), body: SnapshotAlias,
        answers 200 "Snapshot alias updated successfully" Snapshot,
        errors [400, 401, 404, 409];
    "Delete a snapshot"
    delete_snapshot => DeleteSnapshot: DELETE "/containers/{id}/snapshots/{name}" { id: ContainerId, name: String }
        query: (), body: (),
        answers 200 "Snapshot deleted successfully" Snapshot,
        errors [400, 401, 404, 501, 503];
    "Live figures of a running container"
    container_stats => ContainerStats: GET "/containers/{id}/stats" { id: ContainerId }
        query: (), body: (),
        answers 200 "Container stats retrieved successfully" RuntimeInfo,
        errors [400, 401, 404, 409, 503];
    "What a container wrote: its console and, for systemd, its journal"
    container_logs => ContainerLogs: GET "/containers/{id}/logs" { id: ContainerId }
        query: LogsQuery, body: (),
        answers 200 "Container logs retrieved successfully" ContainerLogs,
        errors [400, 401, 404, 503];
    "Status changes of a container"
    status_logs => StatusLogs: GET "/containers/{id}/status-logs" { id: ContainerId }
        query: (), body: (),
        answers 200 "Status logs retrieved successfully" Vec<StatusLogEntry>,
        errors [400, 401, 404];
    "Servers to place containers on"
    rentals => Rentals: GET "/rentals" {}
        query: (), body: (),
        answers 200 "Rentals retrieved successfully" Vec<Rental>,
        errors [401];
    "One of the servers to place containers on"
    get_rental => GetRental: GET "/rentals/{id}" { id: Id }
        query: (), body: (),
        answers 200 "Rental retrieved successfully" Rental,
        errors [400, 401, 404];
    "Extend a rental: the Hoody cloud's (this server is not rented, so it refuses with not_offered)"
    extend_rental => ExtendRental: POST "/rentals/{id}/extend" { id: Id }
        query: (), body: (),
        answers 200 "Rental extended successfully" Rental,
        errors [400, 401, 404];
    "The server rental marketplace: the Hoody cloud's (refused with not_offered)"
    rental_marketplace => RentalMarketplace: GET "/servers/available" {}
        query: (), body: (),
        answers 200 "Available servers retrieved successfully" Vec<hoody_model::Server>,
        errors [401, 404];
    "Rent a server: the Hoody cloud's (refused with not_offered)"
    rent_server => RentServer: POST "/servers/{id}/rent" { id: String }
        query: (), body: (),
        answers 200 "Server rented successfully" hoody_model::Server,
        errors [401, 404];
    "This server's maintenance commands (disk usage, a database backup, expired snapshots, unused images)"
    server_commands => ServerCommands: GET "/servers/{id}/available-commands" { id: ServerId }
        query: CommandFilter, body: (),
        answers 200 "Available commands retrieved successfully" Page<ServerCommand>,
        errors [400, 401, 403, 404];
    "Run a maintenance command (a high-risk one with the confirmation token its first call answers)"
    execute_command => ExecuteCommand: POST "/servers/{id}/execute-command" { id: ServerId }
        query: (), body: CommandRequest,
        answers 200 "Command executed successfully" CommandRun,
        errors [400, 401, 403, 404, 412, 500, 507];
    "List servers"
    servers => Servers: GET "/servers" {}
        query: (), body: (),
        answers 200 "Servers retrieved successfully" Vec<hoody_model::Server>,
        errors [401];
    "Get a server"
    get_server => GetServer: GET "/servers/{id}" { id: ServerId }
        query: (), body: (),
        answers 200 "Server retrieved successfully" hoody_model::Server,
        errors [400, 401, 404];
    "Images containers can be created from: held, then offered by the image server"
    images => Images: GET "/images/public" {}
        query: ImageFilter, body: (),
        answers 200 "Images retrieved successfully" Page<Image>,
        errors [400, 401];
    "One image: held here, or offered by the image server (its alias, `/` written %2F)"
    get_image => GetImage: GET "/images/public/{id}" { id: String }
        query: (), body: (),
        answers 200 "Image retrieved successfully" Image,
        errors [400, 401, 404];
    "An image's icon: images here carry none, so a known image answers 404 saying so"
    image_icon => ImageIcon: GET "/images/{id}/icon" { id: String }
        query: (), body: (),
        answers 200 "Image icon retrieved successfully" Image,
        errors [400, 401, 404];
    "Buy an image: the Hoody cloud's (images here are free: refused with not_offered)"
    purchase_image => PurchaseImage: POST "/images/purchase/{id}" { id: String }
        query: (), body: (),
        answers 200 "Image purchased successfully" Image,
        errors [401, 404];
    "Rate an image: the Hoody cloud's marketplace (refused with not_offered)"
    rate_image => RateImage: POST "/images/rate/{id}" { id: String }
        query: (), body: (),
        answers 200 "Image rated successfully" Image,
        errors [401, 404];
    "Images this server holds, and its downloads under way or failed"
    user_images => UserImages: GET "/images/user" {}
        query: (), body: (),
        answers 200 "Images retrieved successfully" Page<Image>,
        errors [401];
    "Download an image from the image server (in the background)"
    pull_image => PullImage: POST "/images/import/{id}" { id: String }
        query: (), body: (),
        answers 202 "Image download started" Image,
        errors [400, 401, 403, 404, 409, 507];
    "Build a Debian image (debian/11, 12 or 13) on the server with debootstrap (in the background)"
    build_image => BuildImage: POST "/images/build/{id}" { id: String }
        query: (), body: ImageBuild,
        answers 202 "Image build started" Image,
        errors [400, 401, 403, 503, 507];
    "Import a rootfs tarball that is on the server (in the background)"
    import_image => ImportImage: POST "/images/user/{id}" { id: String }
        query: (), body: ImageImport,
        answers 202 "Image import started" Image,
        errors [400, 401, 403, 503, 507];
    "Delete an image this server holds (or dismiss a failed download, build or import)"
    delete_image => DeleteImage: DELETE "/images/user/{id}" { id: String }
        query: (), body: (),
        answers 200 "Image deleted successfully" Image,
        errors [401, 403, 404, 409];
    "List realms"
    realms => Realms: GET "/realms/" {}
        query: (), body: (),
        answers 200 "Realms retrieved successfully" Vec<Realm>,
        errors [401];
    "Create a realm"
    create_realm => CreateRealm: POST "/realms/" {}
        query: (), body: RealmCreate,
        answers 201 "Realm created successfully" Realm,
        errors [400, 401, 403, 409];
    "The gates of the container's kit URLs (open when none are set)"
    get_proxy_permissions => GetProxyPermissions: GET "/containers/{id}/proxy/permissions" { id: ContainerId }
        query: (), body: (),
        answers 200 "Proxy permissions retrieved successfully" ProxyPermissions,
        errors [400, 401, 403, 404];
    "Replace the container's proxy permissions whole"
    replace_proxy_permissions => ReplaceProxyPermissions: PATCH "/containers/{id}/proxy/permissions" { id: ContainerId }
        query: Precondition, body: ProxyPermissionsReplace,
        answers 200 "Proxy permissions updated successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412, 501];
    "Open the container's kit URLs again (no gates)"
    delete_proxy_permissions => DeleteProxyPermissions: DELETE "/containers/{id}/proxy/permissions" { id: ContainerId }
        query: Precondition, body: (),
        answers 200 "Proxy permissions deleted successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "What a request that meets no allowed group gets: allow or deny"
    set_proxy_default => SetProxyDefault: PATCH "/containers/{id}/proxy/permissions/default" { id: ContainerId }
        query: Precondition, body: ProxyDefault,
        answers 200 "Proxy default updated successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "Turn the proxy on or off for the container"
    set_proxy_state => SetProxyState: PATCH "/containers/{id}/proxy/permissions/state" { id: ContainerId }
        query: Precondition, body: ProxyState,
        answers 200 "Proxy state updated successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "An auth group of a user and password (HTTP Basic)"
    set_proxy_password_group => SetProxyPasswordGroup: PATCH "/containers/{id}/proxy/permissions/groups/{group}/password" { id: ContainerId, group: String }
        query: Precondition, body: ProxyPasswordGroup,
        answers 200 "Password group set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412, 501];
    "An auth group of a bearer token"
    set_proxy_token_group => SetProxyTokenGroup: PATCH "/containers/{id}/proxy/permissions/groups/{group}/token" { id: ContainerId, group: String }
        query: Precondition, body: ProxyTokenGroup,
        answers 200 "Token group set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "An auth group of an address range"
    set_proxy_ip_group => SetProxyIpGroup: PATCH "/containers/{id}/proxy/permissions/groups/{group}/ip" { id: ContainerId, group: String }
        query: Precondition, body: ProxyIpGroup,
        answers 200 "IP group set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "An auth group of JWTs (HS256/384/512) found in a header, cookie or query parameter, with required claims"
    set_proxy_jwt_group => SetProxyJwtGroup: PATCH "/containers/{id}/proxy/permissions/groups/{group}/jwt" { id: ContainerId, group: String }
        query: Precondition, body: ProxyJwtGroup,
        answers 200 "JWT group set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412, 501];
    "Remove an auth group and what it was allowed"
    remove_proxy_group => RemoveProxyGroup: DELETE "/containers/{id}/proxy/permissions/groups/{group}" { id: ContainerId, group: String }
        query: Precondition, body: (),
        answers 200 "Auth group removed successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "Allow (or not) a group a program: terminal, files, http-8080, *"
    set_proxy_access => SetProxyAccess: PATCH "/containers/{id}/proxy/permissions/permissions/{group}" { id: ContainerId, group: String }
        query: Precondition, body: ProxyAccess,
        answers 200 "Permission set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "Take from a group everything it was allowed"
    remove_proxy_group_access => RemoveProxyGroupAccess: DELETE "/containers/{id}/proxy/permissions/permissions/{group}" { id: ContainerId, group: String }
        query: Precondition, body: (),
        answers 200 "Permissions removed successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "Take from a group one program"
    remove_proxy_program_access => RemoveProxyProgramAccess: DELETE "/containers/{id}/proxy/permissions/permissions/{group}/{program}" { id: ContainerId, group: String, program: String }
        query: Precondition, body: (),
        answers 200 "Permission removed successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "The gates of the kit URLs of the project's containers that have none of their own (open when none are set)"
    get_project_proxy_permissions => ProjectGetProxyPermissions: GET "/projects/{id}/proxy/permissions" { id: ProjectId }
        query: (), body: (),
        answers 200 "Proxy permissions retrieved successfully" ProxyPermissions,
        errors [400, 401, 403, 404];
    "Replace the project's proxy permissions whole"
    replace_project_proxy_permissions => ProjectReplaceProxyPermissions: PATCH "/projects/{id}/proxy/permissions" { id: ProjectId }
        query: Precondition, body: ProxyPermissionsReplace,
        answers 200 "Proxy permissions updated successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412, 501];
    "Open the kit URLs of the project's containers that have none of their own again (no gates)"
    delete_project_proxy_permissions => ProjectDeleteProxyPermissions: DELETE "/projects/{id}/proxy/permissions" { id: ProjectId }
        query: Precondition, body: (),
        answers 200 "Proxy permissions deleted successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "What a request that meets no allowed group gets: allow or deny"
    set_project_proxy_default => ProjectSetProxyDefault: PATCH "/projects/{id}/proxy/permissions/default" { id: ProjectId }
        query: Precondition, body: ProxyDefault,
        answers 200 "Proxy default updated successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "Turn the proxy on or off for the project's containers"
    set_project_proxy_state => ProjectSetProxyState: PATCH "/projects/{id}/proxy/permissions/state" { id: ProjectId }
        query: Precondition, body: ProxyState,
        answers 200 "Proxy state updated successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "An auth group of a user and password (HTTP Basic)"
    set_project_proxy_password_group => ProjectSetProxyPasswordGroup: PATCH "/projects/{id}/proxy/permissions/groups/{group}/password" { id: ProjectId, group: String }
        query: Precondition, body: ProxyPasswordGroup,
        answers 200 "Password group set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412, 501];
    "An auth group of a bearer token"
    set_project_proxy_token_group => ProjectSetProxyTokenGroup: PATCH "/projects/{id}/proxy/permissions/groups/{group}/token" { id: ProjectId, group: String }
        query: Precondition, body: ProxyTokenGroup,
        answers 200 "Token group set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "An auth group of an address range"
    set_project_proxy_ip_group => ProjectSetProxyIpGroup: PATCH "/projects/{id}/proxy/permissions/groups/{group}/ip" { id: ProjectId, group: String }
        query: Precondition, body: ProxyIpGroup,
        answers 200 "IP group set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "An auth group of JWTs (HS256/384/512) found in a header, cookie or query parameter, with required claims"
    set_project_proxy_jwt_group => ProjectSetProxyJwtGroup: PATCH "/projects/{id}/proxy/permissions/groups/{group}/jwt" { id: ProjectId, group: String }
        query: Precondition, body: ProxyJwtGroup,
        answers 200 "JWT group set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412, 501];
    "Remove an auth group and what it was allowed"
    remove_project_proxy_group => ProjectRemoveProxyGroup: DELETE "/projects/{id}/proxy/permissions/groups/{group}" { id: ProjectId, group: String }
        query: Precondition, body: (),
        answers 200 "Auth group removed successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "Allow (or not) a group a program: terminal, files, http-8080, *"
    set_project_proxy_access => ProjectSetProxyAccess: PATCH "/projects/{id}/proxy/permissions/permissions/{group}" { id: ProjectId, group: String }
        query: Precondition, body: ProxyAccess,
        answers 200 "Permission set successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "Take from a group everything it was allowed"
    remove_project_proxy_group_access => ProjectRemoveProxyGroupAccess: DELETE "/projects/{id}/proxy/permissions/permissions/{group}" { id: ProjectId, group: String }
        query: Precondition, body: (),
        answers 200 "Permissions removed successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "Take from a group one program"
    remove_project_proxy_program_access => ProjectRemoveProxyProgramAccess: DELETE "/projects/{id}/proxy/permissions/permissions/{group}/{program}" { id: ProjectId, group: String, program: String }
        query: Precondition, body: (),
        answers 200 "Permission removed successfully" ProxyPermissions,
        errors [400, 401, 403, 404, 412];
    "The proxy's switch and default for the container"
    proxy_settings => ProxySettingsOf: GET "/containers/{id}/proxy/settings" { id: ContainerId }
        query: (), body: (),
        answers 200 "Proxy settings retrieved successfully" ProxySettings,
        errors [400, 401, 403, 404];
    "Change the proxy's switch and default for the container"
    update_proxy_settings => UpdateProxySettings: PUT "/containers/{id}/proxy/settings" { id: ContainerId }
        query: Precondition, body: ProxySettingsUpdate,
        answers 200 "Proxy settings updated successfully" ProxySettings,
        errors [400, 401, 403, 404, 412];
    "The container's auth groups, with what each is allowed"
    proxy_groups => ProxyGroups: GET "/containers/{id}/proxy/groups" { id: ContainerId }
        query: (), body: (),
        answers 200 "Proxy groups retrieved successfully" Page<NamedProxyGroup>,
        errors [400, 401, 403, 404];
    "The container's kit services behind the proxy, and whether each is open to anyone"
    proxy_services => ProxyServices: GET "/containers/{id}/proxy/services" { id: ContainerId }
        query: (), body: (),
        answers 200 "Proxy services retrieved successfully" Page<ProxyService>,
        errors [400, 401, 403, 404];
    "One kit service of the container behind the proxy"
    proxy_service => ProxyServiceOf: GET "/containers/{id}/proxy/services/{service}" { id: ContainerId, service: String }
        query: (), body: (),
        answers 200 "Proxy service retrieved successfully" ProxyService,
        errors [400, 401, 403, 404];
    "The directories the container shares, with their size"
    list_storage_shares => StorageSharesOf: GET "/containers/{id}/storage/shares" { id: ContainerId }
        query: StorageShareFilter, body: (),
        answers 200 "Storage shares retrieved successfully" Vec<StorageShare>,
        errors [400, 401, 403, 404];
    "Share one of the (stopped) container's directories with a container or a project's containers"
    create_storage_share => CreateStorageShare: POST "/containers/{id}/storage/shares" { id: ContainerId }
        query: (), body: StorageShareCreate,
        answers 201 "Storage share created successfully" StorageShare,
        errors [400, 401, 403, 404, 409, 503];
    "One of the container's shares, with its size"
    get_storage_share => GetStorageShare: GET "/containers/{id}/storage/shares/{share}" { id: ContainerId, share: Id }
        query: (), body: (),
        answers 200 "Storage share retrieved successfully" StorageShare,
        errors [400, 401, 403, 404];
    "Change a share (its targets see it at their next start)"
    update_storage_share => UpdateStorageShare: PATCH "/containers/{id}/storage/shares/{share}" { id: ContainerId, share: Id }
        query: (), body: StorageShareUpdate,
        answers 200 "Storage share updated successfully" StorageShare,
        errors [400, 401, 403, 404, 409];
    "The shares the container receives, whether it mounts each and whether each is mounted now"
    incoming_storage_shares => IncomingStorageShares: GET "/containers/{id}/storage/incoming" { id: ContainerId }
        query: (), body: (),
        answers 200 "Incoming shares retrieved successfully" Vec<IncomingShare>,
        errors [400, 401, 403, 404];
    "Whether the container mounts a share it receives (from its next start)"
    set_incoming_share_mount => SetIncomingShareMount: PATCH "/containers/{id}/storage/incoming/{share}/mount" { id: ContainerId, share: Id }
        query: (), body: IncomingMount,
        answers 200 "Incoming share updated successfully" IncomingShare,
        errors [400, 401, 403, 404];
    "The container's firewall rules (egress, ingress), in the order they are matched"
    firewall_rules => FirewallRulesOf: GET "/containers/{id}/firewall/rules" { id: ContainerId }
        query: (), body: (),
        answers 200 "Firewall rules retrieved successfully" FirewallRules,
        errors [400, 401, 403, 404];
    "Take every firewall rule away"
    reset_firewall => ResetFirewall: POST "/containers/{id}/firewall/reset" { id: ContainerId }
        query: (), body: (),
        answers 200 "Firewall reset successfully" FirewallRules,
        errors [400, 401, 403, 404, 503];
    "Add a rule for what leaves the container (to a destination)"
    add_egress_rule => AddEgressRule: POST "/containers/{id}/firewall/egress" { id: ContainerId }
        query: (), body: FirewallRuleCreate,
        answers 201 "Firewall rule added successfully" FirewallRules,
        errors [400, 401, 403, 404, 503];
    "Remove the egress rules the query names (all=true: every one)"
    remove_egress_rule => RemoveEgressRule: DELETE "/containers/{id}/firewall/egress" { id: ContainerId }
        query: FirewallRuleMatch, body: (),
        answers 200 "Firewall rules removed successfully" FirewallRules,
        errors [400, 401, 403, 404, 503];
    "Turn the egress rules the body names on or off (its state)"
    toggle_egress_rule => ToggleEgressRule: PATCH "/containers/{id}/firewall/egress" { id: ContainerId }
        query: (), body: FirewallRuleMatch,
        answers 200 "Firewall rules updated successfully" FirewallRules,
        errors [400, 401, 403, 404, 503];
    "Add a rule for what arrives at the container over its network (from a source)"
    add_ingress_rule => AddIngressRule: POST "/containers/{id}/firewall/ingress" { id: ContainerId }
        query: (), body: FirewallRuleCreate,
        answers 201 "Firewall rule added successfully" FirewallRules,
        errors [400, 401, 403, 404, 503];
    "Remove the ingress rules the query names (all=true: every one)"
    remove_ingress_rule => RemoveIngressRule: DELETE "/containers/{id}/firewall/ingress" { id: ContainerId }
        query: FirewallRuleMatch, body: (),
        answers 200 "Firewall rules removed successfully" FirewallRules,
        errors [400, 401, 403, 404, 503];
    "Turn the ingress rules the body names on or off (its state)"
    toggle_ingress_rule => ToggleIngressRule: PATCH "/containers/{id}/firewall/ingress" { id: ContainerId }
        query: (), body: FirewallRuleMatch,
        answers 200 "Firewall rules updated successfully" FirewallRules,
        errors [400, 401, 403, 404, 503];
    "The exec scripts the proxy runs for requests to the container's kit services, by service"
    list_proxy_hooks => ListProxyHooks: GET "/containers/{id}/proxy/hooks" { id: ContainerId }
        query: (), body: (),
        answers 200 "Proxy hooks retrieved successfully" ProxyHooks,
        errors [400, 401, 403, 404];
    "The hooks of one kit service, in the order they run"
    list_service_hooks => ListServiceHooks: GET "/containers/{id}/proxy/hooks/{service}" { id: ContainerId, service: String }
        query: (), body: (),
        answers 200 "Proxy hooks retrieved successfully" Page<ProxyHook>,
        errors [400, 401, 403, 404];
    "Add a hook: an exec script run for the service's matching requests (exit 0 lets them on)"
    add_proxy_hook => AddProxyHook: POST "/containers/{id}/proxy/hooks/{service}" { id: ContainerId, service: String }
        query: Precondition, body: ProxyHookWrite,
        answers 201 "Proxy hook added successfully" ProxyHook,
        errors [400, 401, 403, 404, 412, 501];
    "Remove every hook of a service"
    clear_service_hooks => ClearServiceHooks: DELETE "/containers/{id}/proxy/hooks/{service}" { id: ContainerId, service: String }
        query: Precondition, body: (),
        answers 200 "Proxy hooks removed successfully" ProxyHooks,
        errors [400, 401, 403, 404, 412];
    "One hook"
    get_proxy_hook => GetProxyHook: GET "/containers/{id}/proxy/hooks/{service}/{hook_id}" { id: ContainerId, service: String, hook_id: String }
        query: (), body: (),
        answers 200 "Proxy hook retrieved successfully" ProxyHook,
        errors [400, 401, 403, 404];
    "Change a hook (what is sent replaces what it had)"
    update_proxy_hook => UpdateProxyHook: PUT "/containers/{id}/proxy/hooks/{service}/{hook_id}" { id: ContainerId, service: String, hook_id: String }
        query: Precondition, body: ProxyHookWrite,
        answers 200 "Proxy hook updated successfully" ProxyHook,
        errors [400, 401, 403, 404, 412, 501];
    "Remove a hook"
    remove_proxy_hook => RemoveProxyHook: DELETE "/containers/{id}/proxy/hooks/{service}/{hook_id}" { id: ContainerId, service: String, hook_id: String }
        query: Precondition, body: (),
        answers 200 "Proxy hook removed successfully" ProxyHooks,
        errors [400, 401, 403, 404, 412];
    "Move a hook to another place among its service's"
    move_proxy_hook => MoveProxyHook: PATCH "/containers/{id}/proxy/hooks/{service}/{hook_id}/position" { id: ContainerId, service: String, hook_id: String }
        query: Precondition, body: HookPosition,
        answers 200 "Proxy hook moved successfully" ProxyHook,
        errors [400, 401, 403, 404, 412];
    "The event log: what happened to containers, projects and snapshots, newest first"
    list_events => ListEvents: GET "/events" {}
        query: EventListQuery, body: (),
        answers 200 "Events retrieved successfully" Page<LoggedEvent>,
        errors [400, 401];
    "Remove the log's entries that match (every one, without a filter)"
    delete_events => DeleteEvents: DELETE "/events" {}
        query: EventFilter, body: (),
        answers 200 "Events deleted successfully" EventsRemoved,
        errors [400, 401];
    "Remove the log's entries older than `retention_days` days"
    clean_up_events => CleanUpEvents: POST "/events/cleanup" {}
        query: (), body: EventsCleanup,
        answers 200 "Old events cleaned up successfully" EventsRemoved,
        errors [400, 401];
    "How many entries the log holds, by type and by resource"
    event_stats => EventStatistics: GET "/events/stats" {}
        query: EventFilter, body: (),
        answers 200 "Event statistics retrieved successfully" EventStats,
        errors [400, 401];
    "One entry of the event log"
    get_event => GetEvent: GET "/events/{id}" { id: Id }
        query: (), body: (),
        answers 200 "Event retrieved successfully" LoggedEvent,
        errors [400, 401, 404];
    "Remove one entry of the event log"
    delete_event => DeleteEvent: DELETE "/events/{id}" { id: Id }
        query: (), body: (),
        answers 200 "Event deleted successfully" LoggedEvent,
        errors [400, 401, 404];
    "Create an API token (optionally realm-scoped, with permissions flag by flag and an expiry)"
    create_token => CreateToken: POST "/auth/tokens" {}
        query: (), body: TokenCreate,
        answers 201 "Token created successfully" CreatedToken,
        errors [400, 401, 403, 501];
    "The tokens the caller may manage"
    list_tokens => ListTokens: GET "/auth/tokens" {}
        query: (), body: (),
        answers 200 "Tokens retrieved successfully" Vec<Token>,
        errors [401, 403];
    "The token this request is made with"
    current_token => CurrentToken: GET "/auth/tokens/me" {}
        query: (), body: (),
        answers 200 "Token retrieved successfully" Token,
        errors [401, 404];
    "Set the public profile (public_key, public_storage) of the token this request is made with"
    update_public_profile => UpdatePublicProfile: PUT | PATCH "/auth/tokens/me/public-profile" {}
        query: (), body: TokenPublicProfile,
        answers 200 "Public profile updated successfully" Token,
        errors [400, 401, 403, 404, 409];
    "A token's public profile, found by its public key"
    public_profile => PublicProfileOf: GET "/auth/tokens/public-profiles/{key}" { key: String }
        query: (), body: (),
        answers 200 "Public profile retrieved successfully" PublicProfile,
        errors [401, 404];
    "Get a token"
    get_token => GetToken: GET "/auth/tokens/{id}" { id: TokenId }
        query: (), body: (),
        answers 200 "Token retrieved successfully" Token,
        errors [400, 401, 403, 404];
    "Change a token: alias, realms, permissions, expiry, on/off"
    update_token => UpdateToken: PUT | PATCH "/auth/tokens/{id}" { id: TokenId }
        query: (), body: TokenUpdate,
        answers 200 "Token updated successfully" Token,
        errors [400, 401, 403, 404, 501];
    "Delete a token (not the one the request is made with)"
    delete_token => DeleteToken: DELETE "/auth/tokens/{id}" { id: TokenId }
        query: (), body: (),
        answers 200 "Token deleted successfully" Token,
        errors [400, 401, 403, 404, 409];
    "A new token with the realms, permissions and expiry of this one"
    copy_token => CopyToken: POST "/auth/tokens/{id}/copy" { id: TokenId }
        query: (), body: TokenCopy,
        answers 201 "Token copied successfully" CreatedToken,
        errors [400, 401, 403, 404];
    "Give a token one more realm"
    add_token_realm => AddTokenRealm: POST "/auth/tokens/{id}/add-realm" { id: TokenId }
        query: (), body: TokenRealm,
        answers 200 "Realm added to token successfully" Token,
        errors [400, 401, 403, 404];
    "Take a realm from a token (not its last)"
    remove_token_realm => RemoveTokenRealm: POST "/auth/tokens/{id}/remove-realm" { id: TokenId }
        query: (), body: TokenRealm,
        answers 200 "Realm removed from token successfully" Token,
        errors [400, 401, 403, 404];
}

#[cfg(test)]
mod tests {
    use super::*;
    use hoody_model::ErrorCode;

    #[test]
    fn each_operation_is_declared_once_with_a_unique_route() {
        let (mut names, mut routes) = (std::collections::HashSet::new(), std::collections::HashSet::new());
        for op in OPERATIONS {
            assert!(names.insert(op.name), "{} is declared twice", op.name);
            for method in op.methods {
                assert!(routes.insert(format!("{method:?} {}", op.path)), "{method:?} {} twice", op.path);
            }
            assert!(op.path.starts_with('/'), "{}", op.path);
        }
    }

    #[test]
    fn inputs_are_parsed_with_the_platforms_errors() {
        let op = OperationSpec::named("operate").unwrap();
        let input = |operation: &str| HttpInput {
            params: vec![("id".into(), "aaaaaaaaaaaaaaaaaaaaaaaa".into()), ("operation".into(), operation.into())],
            ..Default::default()
        };
        assert!(matches!((op.parse)(input("pause")), Ok(Request::Operate { operation: Operation::Pause, .. })));
        let e = (op.parse)(input("explode")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound);
        assert!(e.to_string().contains("use one of start, stop"), "{e}");
        assert_eq!(op.message_for(&[("operation".into(), "pause".into())]), "Container pause successful");

        let list = OperationSpec::named("list_containers").unwrap();
        let query = |q: &[(&str, &str)]| HttpInput {
            query: q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        };
        assert_eq!((list.parse)(query(&[("limit", "abc")])).unwrap_err().code(), ErrorCode::InvalidPagination);
        assert_eq!((list.parse)(query(&[("runtime", "maybe")])).unwrap_err().code(), ErrorCode::InvalidField);
        assert!((list.parse)(query(&[("limit", "5"), ("unknown", "x")])).is_ok());

        let create = OperationSpec::named("create_project").unwrap();
        let body = |v| HttpInput { body: v, ..Default::default() };
        let e = (create.parse)(body(serde_json::json!({"alias": "a", "nmae": 1}))).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
        assert!(e.to_string().contains("unknown field `nmae`"), "{e}");
    }
}
