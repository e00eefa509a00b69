//! The Hoody API vocabulary shared by every other crate: resources with the platform's field
//! names, ids, the rules that validate input, the container status machine and the stable error
//! codes that cross to the UI and REST. This crate does no I/O beyond reading the OS random source.

pub mod command;
pub mod container;
pub mod env;
pub mod error;
pub mod event;
pub mod event_log;
pub mod firewall;
pub mod ids;
pub mod image;
pub mod jwt;
pub mod logs;
pub mod names;
pub mod network;
pub mod page;
pub mod project;
pub mod proxy_gates;
pub mod proxy_hooks;
pub mod realm;
pub mod server;
pub mod services;
pub mod snapshot;
pub mod status;
pub mod status_log;
pub mod storage_share;
pub mod token;
pub mod transfer;
pub mod validate;

pub use command::{CommandRequest, CommandRun, ServerCommand};
pub use container::{
    Container, ContainerCopy, ContainerCreate, ContainerUpdate, KitServiceInfo, KvmSettings, ProcessInfo, RuntimeInfo,
};
pub use env::{EnvVarValue, EnvVarsText};
pub use error::{ErrorCode, ModelError};
pub use event::{ContainerEvent, EventKind, WorkProgress};
pub use event_log::{EventFilter, EventListQuery, EventStats, EventsCleanup, EventsRemoved, LoggedEvent};
pub use firewall::{FirewallRule, FirewallRuleCreate, FirewallRuleMatch, FirewallRules};
pub use ids::{ContainerId, Id, ProjectId, RealmId, ServerId, SnapshotId, TokenId};
pub use image::{Image, ImageBuild, ImageImport, ImageStatus, ImageWork};
pub use logs::ContainerLogs;
pub use network::{NetworkConfig, NetworkConfigUpdate};
pub use page::{ContainerListQuery, PageRequest, Pagination, SortField, SortOrder};
pub use project::{
    PermissionLevel, Project, ProjectCreate, ProjectPermission, ProjectPermissionCreate, ProjectPermissionUpdate,
    ProjectStats, ProjectUpdate,
};
pub use proxy_gates::{
    Admission, GateRequest, NamedProxyGroup, ProxyAccess, ProxyDefault, ProxyGroup, ProxyIpGroup, ProxyJwtGroup,
    ProxyPasswordGroup, ProxyPermissions, ProxyPermissionsReplace, ProxyService, ProxySettings, ProxySettingsUpdate,
    ProxyState, ProxyTokenGroup,
};
pub use proxy_hooks::{HookAppliesTo, HookMatch, HookPosition, HookScript, ProxyHook, ProxyHookWrite, ProxyHooks};
pub use realm::{Realm, RealmCreate};
pub use server::{Rental, Server, ServerHealth, ServerReach, ServerStatus};
pub use snapshot::{Snapshot, SnapshotAlias, SnapshotCreate};
pub use status::{ContainerStatus, Operation, Trigger};
pub use status_log::StatusLogEntry;
pub use storage_share::{
    IncomingMount, IncomingShare, StorageShare, StorageShareCreate, StorageShareFilter, StorageShareUpdate,
};
pub use token::{
    CreatedToken, PublicProfile, Token, TokenCopy, TokenCreate, TokenPublicProfile, TokenRealm, TokenUpdate,
};
pub use transfer::{ContainerExport, ContainerImport, ExportCreate, ImportCreate};

/// Timestamps cross the API as RFC 3339 strings in UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
