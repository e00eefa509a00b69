//! Every server a host works with — this machine's engine and remote endpoints — under one
//! roof: each is a [`Server`] under its name; the fleet knows which one holds each container
//! and project it has seen, walks their lists page by page, merges their changes into one
//! stream ([`events`]), and keeps each server's health ([`health`]) and last known containers
//! (kept in the store too): a server that does not answer shows what it last had, marked by its
//! health, and nothing waits on it for more than [`LIST_TIMEOUT`]. Its callers (the desktop's
//! commands, the tray, deep links) never ask whether a server is this machine or another.

mod carry;
mod events;
mod health;
mod known;

pub use events::FleetEvent;

use crate::error::{EngineError, Result};
use crate::server::{ContainerView, HttpInput, OperationSpec, Page, Request, Server};
use health::Healths;
use hoody_model::{Container, ContainerListQuery, ErrorCode, PageRequest, Project, ServerHealth, ServerReach};
use known::Known;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

/// How long a list of a member's containers may take before the member counts as unreachable
/// (and its last known containers are shown instead).
pub const LIST_TIMEOUT: Duration = Duration::from_secs(5);

/// One member's containers: as it answered now (`fresh`), or as it last did.
#[derive(Debug, Clone)]
pub struct MemberList {
    pub name: String,
    pub containers: Vec<Container>,
    pub fresh: bool,
    /// When what is shown was read (None: never, nothing to show).
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A server and its name in the fleet.
pub type Member = (String, Arc<dyn Server>);

pub struct Fleet {
    /// The server a container or project is looked for on when no other is known to hold it.
    home: Member,
    others: RwLock<BTreeMap<String, Arc<dyn Server>>>,
    /// Which server holds each container and project id seen (ids are unique across servers).
    placement: Mutex<HashMap<String, String>>,
    health: Healths,
    /// What each member last answered for its containers and projects (also in `cache`).
    known_containers: Known<Container>,
    known_projects: Known<Project>,
    cache: Option<hoody_store::Store>,
    events: broadcast::Sender<FleetEvent>,
    /// What follows each member's changes, by name.
    followers: Mutex<HashMap<String, AbortHandle>>,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet").field("home", &self.home.0).field("others", &self.names()).finish()
    }
}

/// What follows the members' changes ends with the fleet.
impl Drop for Fleet {
    fn drop(&mut self) {
        for follower in self.followers.lock().expect("fleet lock").values() {
            follower.abort();
        }
    }
}

impl Fleet {
    /// A fleet of one: `home` (this machine's engine, normally) under `name`.
    pub fn new(name: &str, home: Arc<dyn Server>) -> Self {
        let events = broadcast::channel(1024).0;
        Self {
            home: (name.to_owned(), home),
            others: RwLock::default(),
            placement: Mutex::default(),
            health: Healths::new(events.clone()),
            known_containers: Known::new("containers"),
            known_projects: Known::new("projects"),
            cache: None,
            events,
            followers: Mutex::default(),
        }
    }

    /// The same, keeping each member's last known containers in `store` too, so that they are
    /// there at once after a restart, also for a member that does not answer.
    pub fn with_cache(mut self, store: hoody_store::Store) -> Self {
        self.cache = Some(store);
        self
    }

    /// Every member's container changes from now on, and requests to read everything again.
    pub fn subscribe(&self) -> broadcast::Receiver<FleetEvent> {
        self.events.subscribe()
    }

    /// Asks every subscriber to read everything again (what the fleet holds has changed).
    pub fn resync(&self) {
        let _ = self.events.send(FleetEvent::Resync);
    }

    /// Follows the changes of member `name` from `engine` (this machine's).
    pub fn follow_engine(&self, name: &str, engine: &crate::Engine) {
        self.follow(name, events::follow_engine(engine, self.events.clone()));
    }

    /// Follows the changes of member `name` from a remote endpoint's event stream.
    pub fn follow_remote(&self, name: &str, client: hoody_client::HoodyClient) {
        self.follow(name, events::follow_remote(name, client, self.events.clone(), self.health.clone()));
    }

    fn follow(&self, name: &str, follower: AbortHandle) {
        if let Some(old) = self.followers.lock().expect("fleet lock").insert(name.to_owned(), follower) {
            old.abort();
        }
    }

    /// Every member's name, the home server's first.
    pub fn names(&self) -> Vec<String> {
        let others = self.others.read().expect("fleet lock");
        std::iter::once(self.home.0.clone()).chain(others.keys().cloned()).collect()
    }

    /// Adds `server` as `name`, or puts it in place of the one of that name.
    pub fn join(&self, name: &str, server: Arc<dyn Server>) {
        self.others.write().expect("fleet lock").insert(name.to_owned(), server);
    }

    /// Removes member `name`, stops following it, and forgets what it held.
    pub fn leave(&self, name: &str) {
        self.others.write().expect("fleet lock").remove(name);
        if let Some(follower) = self.followers.lock().expect("fleet lock").remove(name) {
            follower.abort();
        }
        self.placement.lock().expect("fleet lock").retain(|_, server| server != name);
        self.health.forget(name);
        self.known_containers.forget(name);
        self.known_projects.forget(name);
        if let Some(store) = self.cache.clone() {
            let name = name.to_owned();
            tokio::spawn(async move {
                if let Err(e) = store.forget_fleet_lists(&name).await {
                    tracing::warn!("cannot forget {name}'s cached containers: {e}");
                }
            });
        }
    }

    /// The server called `name` (None: the home server).
    pub fn named(&self, name: Option<&str>) -> Result<Member> {
        match name {
            None => Ok(self.home.clone()),
            Some(name) if name == self.home.0 => Ok(self.home.clone()),
            Some(name) => {
                let others = self.others.read().expect("fleet lock");
                let server = others.get(name).cloned().ok_or_else(|| {
                    EngineError::rule(ErrorCode::NotFound, format!("there is no server called {name:?}"))
                })?;
                Ok((name.to_owned(), server))
            }
        }
    }

    /// The server holding container or project `id`: the one it was seen on, else home.
    pub fn holder(&self, id: &str) -> Member {
        let placed = self.placement.lock().expect("fleet lock").get(id).cloned();
        placed.and_then(|name| self.named(Some(&name)).ok()).unwrap_or_else(|| self.home.clone())
    }

    /// Records that `id` (a container or project) is on server `name`.
    pub fn place(&self, id: &str, name: &str) {
        self.placement.lock().expect("fleet lock").insert(id.to_owned(), name.to_owned());
    }

    /// Why server `name` could not be read the last time, if it could not.
    pub fn problem(&self, name: &str) -> Option<String> {
        self.health.of(name).filter(|h| h.state != ServerReach::Connected).and_then(|h| h.reason)
    }

    /// How server `name` answered the last time it was asked (None: not asked yet).
    pub fn health(&self, name: &str) -> Option<ServerHealth> {
        self.health.of(name)
    }

    /// Operation `op` (by its declared name) with inputs as an HTTP request would bring them,
    /// on the server it concerns: server `name` when given, else the one holding the container
    /// or project its `{id}` names, else home. Answers `data` as the envelope carries it.
    pub async fn call(&self, name: Option<&str>, op: &str, input: HttpInput) -> Result<serde_json::Value> {
        let spec = OperationSpec::named(op)
            .ok_or_else(|| EngineError::rule(ErrorCode::NotFound, format!("there is no operation called {op:?}")))?;
        let id = input.params.iter().find(|(k, _)| k == "id").map(|(_, v)| v.clone());
        let holds_id = spec.path.starts_with("/containers/") || spec.path.starts_with("/projects/");
        let (name, server) = match (name, id) {
            (None, Some(id)) if holds_id => self.holder(&id),
            (name, _) => self.named(name)?,
        };
        let request = (spec.parse)(input)?;
        if let Request::CopyContainer { id, body, .. } = &request
            && let Some(server_id) = &body.target_server_id
        {
            let source = (name.clone(), server.clone());
            let target = self.member_for_server(server_id, &source).await?;
            // A copy within the source's server is that server's own; to another, it is carried.
            if target.0 != source.0 {
                let copied = self.carry(&source, &target, id.clone(), body.clone()).await;
                match &copied {
                    Ok(_) => self.health.answered(&target.0),
                    Err(e) => self.health.failed(&target.0, e),
                }
                return Ok(serde_json::to_value(copied?).expect("containers serialise"));
            }
        }
        let sent = request.send_to(server.as_ref()).await;
        match &sent {
            Ok(_) => self.health.answered(&name),
            Err(e) => self.health.failed(&name, e),
        }
        let data = sent?;
        // What it made (a project, a container, a copy) is on that server.
        if let Some(made) = data.get("id").and_then(|v| v.as_str()) {
            self.place(made, &name);
        }
        Ok(data)
    }

    /// Every container of every member (with runtime details). The members are asked at once,
    /// each for at most [`LIST_TIMEOUT`]; one that does not answer gives its last known
    /// containers (its health says why they are not fresh).
    pub async fn all_containers(&self) -> Vec<MemberList> {
        let members = self.members();
        let lists = members.iter().map(|(name, server)| async move {
            let query = |page| ContainerListQuery { page, with_runtime: true, ..Default::default() };
            let listed = list_within(name, |page| server.list_containers(query(page), ())).await;
            match self.note(name, listed, |c: &Container| c.id.to_string()) {
                Ok(containers) => {
                    let read_at = crate::now();
                    self.known_containers.remember(self.cache.as_ref(), name, &containers, read_at).await;
                    MemberList { name: name.clone(), containers, fresh: true, read_at: Some(read_at) }
                }
                Err(_) => {
                    let (containers, read_at) = self.last_known_of(name).await;
                    MemberList { name: name.clone(), containers, fresh: false, read_at }
                }
            }
        });
        futures_util::future::join_all(lists).await
    }

    /// What every member last answered, without asking any (the grid's first picture).
    pub async fn known_containers(&self) -> Vec<MemberList> {
        let mut lists = Vec::new();
        for (name, _) in self.members() {
            let (containers, read_at) = self.last_known_of(&name).await;
            lists.push(MemberList { name, containers, fresh: false, read_at });
        }
        lists
    }

    /// What member `name` last answered for its containers (its ids placed on it).
    async fn last_known_of(&self, name: &str) -> (Vec<Container>, Option<chrono::DateTime<chrono::Utc>>) {
        match self.known_containers.of(self.cache.as_ref(), name).await {
            Some((containers, at)) => {
                for c in &containers {
                    self.place(c.id.as_str(), name);
                }
                (containers, Some(at))
            }
            None => (Vec::new(), None),
        }
    }

    /// Every project of member `name` (None: home), within [`LIST_TIMEOUT`].
    pub async fn projects_of(&self, name: Option<&str>) -> Result<Vec<Project>> {
        let (name, server) = self.named(name)?;
        let listed = list_within(&name, |page| server.list_projects(page, ())).await;
        let listed = self.note(&name, listed, |p: &Project| p.id.to_string());
        if let Ok(projects) = &listed {
            self.known_projects.remember(self.cache.as_ref(), &name, projects, crate::now()).await;
        }
        listed
    }

    /// Every project of every member, asked at once; one that does not answer (within
    /// [`LIST_TIMEOUT`]) gives its last known projects.
    pub async fn all_projects(&self) -> Vec<Project> {
        let names = self.names();
        let lists = names.iter().map(|name| async move {
            match self.projects_of(Some(name)).await {
                Ok(projects) => projects,
                Err(_) => self.known_projects.of(self.cache.as_ref(), name).await.map(|(p, _)| p).unwrap_or_default(),
            }
        });
        futures_util::future::join_all(lists).await.into_iter().flatten().collect()
    }

    /// Container `id` as its server has it, with runtime details when `with_runtime`.
    pub async fn container(&self, id: &str, with_runtime: bool) -> Result<(String, Container)> {
        let (name, server) = self.holder(id);
        let id = hoody_model::ContainerId::parse(id)?;
        let c = server.get_container(id, ContainerView { with_runtime }, ()).await?;
        Ok((name, c))
    }

    fn members(&self) -> Vec<Member> {
        let others = self.others.read().expect("fleet lock");
        std::iter::once(self.home.clone()).chain(others.iter().map(|(n, s)| (n.clone(), s.clone()))).collect()
    }

    /// Records where what a read of server `name` found lives, or why the read failed.
    fn note<T>(&self, name: &str, listed: Result<Vec<T>>, id: impl Fn(&T) -> String) -> Result<Vec<T>> {
        match &listed {
            Ok(items) => {
                self.health.answered(name);
                let mut placement = self.placement.lock().expect("fleet lock");
                for item in items {
                    placement.insert(id(item), name.to_owned());
                }
            }
            Err(e) => self.health.failed(name, e),
        }
        listed
    }
}

/// Every page of member `name`'s list, or why not: one that takes longer than [`LIST_TIMEOUT`]
/// did not answer.
async fn list_within<T, F, Fut>(name: &str, list: F) -> Result<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    match tokio::time::timeout(LIST_TIMEOUT, every_page(list)).await {
        Ok(listed) => listed,
        Err(_) => Err(EngineError::Unanswered(format!("{name} did not answer within {} s", LIST_TIMEOUT.as_secs()))),
    }
}

/// Every page of a list, the largest pages the API gives.
async fn every_page<T, F, Fut>(mut list: F) -> Result<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut all = Vec::new();
    for page in 1.. {
        let request = PageRequest { page, limit: hoody_model::page::MAX_LIMIT };
        let batch = list(request).await?;
        all.extend(batch.items);
        if page >= batch.pagination.total_pages {
            break;
        }
    }
    Ok(all)
}
