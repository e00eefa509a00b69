//! What an operation answers, and where it sits in the envelope's `data`: one item, a list,
//! or one page of a list under its own key (`{"containers": […], "pagination": …}`).

use hoody_model::{
    CommandRun, Container, ContainerLogs, CreatedToken, EventStats, EventsRemoved, FirewallRules, Image, LoggedEvent,
    NamedProxyGroup, NetworkConfig, Pagination, Project, ProjectPermission, ProjectStats, ProxyHook, ProxyHooks,
    ProxyPermissions, ProxyService, ProxySettings, PublicProfile, Realm, Rental, RuntimeInfo, ServerCommand, Snapshot,
    StatusLogEntry, Token,
};
use hoody_model::{ContainerExport, ContainerImport, IncomingShare, StorageShare};
use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

/// The shape of `data`, named by the schemas of the OpenAPI document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    One(&'static str),
    Many(&'static str),
    /// `{ <key>: [<schema>], pagination }`
    Page(&'static str, &'static str),
}

/// An operation's answer (sent by a server, read back by a client).
pub trait Answer: Serialize + DeserializeOwned + Send {
    fn data() -> Data;

    /// Calls `f` on each container the answer holds.
    fn each_container(&mut self, _f: &mut dyn FnMut(&mut Container)) {}
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

impl<T> Page<T> {
    pub fn new((items, pagination): (Vec<T>, Pagination)) -> Self {
        Self { items, pagination }
    }

    /// A whole list as its one page (a list the platform keys but does not page).
    pub fn whole(items: Vec<T>) -> Self {
        let n = items.len();
        let page = hoody_model::PageRequest { page: 1, limit: u32::try_from(n.max(1)).unwrap_or(u32::MAX) };
        Self { items, pagination: Pagination::new(n as u64, page) }
    }
}

/// A type listed page by page, under `KEY`.
pub trait Listed {
    const KEY: &'static str;
    const SCHEMA: &'static str;
}

impl Listed for Project {
    const KEY: &'static str = "projects";
    const SCHEMA: &'static str = "Project";
}

impl Listed for Container {
    const KEY: &'static str = "containers";
    const SCHEMA: &'static str = "Container";
}

impl Listed for Image {
    const KEY: &'static str = "images";
    const SCHEMA: &'static str = "Image";
}

impl Listed for LoggedEvent {
    const KEY: &'static str = "events";
    const SCHEMA: &'static str = "LoggedEvent";
}

impl Listed for NamedProxyGroup {
    const KEY: &'static str = "groups";
    const SCHEMA: &'static str = "NamedProxyGroup";
}

impl Listed for ProxyService {
    const KEY: &'static str = "services";
    const SCHEMA: &'static str = "ProxyService";
}

impl Listed for ProxyHook {
    const KEY: &'static str = "hooks";
    const SCHEMA: &'static str = "ProxyHook";
}

impl Listed for ServerCommand {
    const KEY: &'static str = "commands";
    const SCHEMA: &'static str = "ServerCommand";
}

impl Listed for ProjectPermission {
    const KEY: &'static str = "permissions";
    const SCHEMA: &'static str = "ProjectPermission";
}

impl Listed for Snapshot {
    const KEY: &'static str = "snapshots";
    const SCHEMA: &'static str = "Snapshot";
}

impl<T: Listed + Serialize> Serialize for Page<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(T::KEY, &self.items)?;
        map.serialize_entry("pagination", &self.pagination)?;
        map.end()
    }
}

impl<'de, T: Listed + DeserializeOwned> Deserialize<'de> for Page<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let mut take = |key: &str| map.remove(key).ok_or_else(|| D::Error::custom(format!("no `{key}` in the page")));
        let items: Vec<T> = serde_json::from_value(take(T::KEY)?).map_err(D::Error::custom)?;
        // A server that keys a list without paging it (the platform's snapshots) sends no
        // pagination: the list is then its one page.
        match map.remove("pagination") {
            Some(pagination) => {
                Ok(Self { items, pagination: serde_json::from_value(pagination).map_err(D::Error::custom)? })
            }
            None => Ok(Self::whole(items)),
        }
    }
}

impl<T: Listed + Answer> Answer for Page<T> {
    fn data() -> Data {
        Data::Page(T::KEY, T::SCHEMA)
    }

    fn each_container(&mut self, f: &mut dyn FnMut(&mut Container)) {
        self.items.iter_mut().for_each(|item| item.each_container(f));
    }
}

impl Answer for Container {
    fn data() -> Data {
        Data::One("Container")
    }

    fn each_container(&mut self, f: &mut dyn FnMut(&mut Container)) {
        f(self)
    }
}

impl Answer for Vec<Container> {
    fn data() -> Data {
        Data::Many("Container")
    }

    fn each_container(&mut self, f: &mut dyn FnMut(&mut Container)) {
        self.iter_mut().for_each(f)
    }
}

macro_rules! answers {
    ($($schema:ident),*) => {$(
        impl Answer for $schema {
            fn data() -> Data {
                Data::One(stringify!($schema))
            }
        }
        impl Answer for Vec<$schema> {
            fn data() -> Data {
                Data::Many(stringify!($schema))
            }
        }
    )*};
}
answers!(
    CommandRun,
    ContainerLogs,
    CreatedToken,
    EventStats,
    EventsRemoved,
    FirewallRules,
    Image,
    LoggedEvent,
    NamedProxyGroup,
    NetworkConfig,
    Project,
    ProjectPermission,
    ProjectStats,
    ProxyHook,
    ProxyHooks,
    ProxyPermissions,
    ProxyService,
    ProxySettings,
    PublicProfile,
    Realm,
    Rental,
    RuntimeInfo,
    ServerCommand,
    Snapshot,
    StatusLogEntry,
    StorageShare,
    IncomingShare,
    Token,
    ContainerExport,
    ContainerImport
);

impl Answer for hoody_model::Server {
    fn data() -> Data {
        Data::One("Server")
    }
}

impl Answer for Vec<hoody_model::Server> {
    fn data() -> Data {
        Data::Many("Server")
    }
}
