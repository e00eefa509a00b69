//! Creating, reading, updating and deleting containers.

use crate::Engine;
use crate::auth::{Principal, Scope};
use crate::error::{EngineError, Result};
use hoody_model::names::{RANDOM_NAME, random_container_name};
use hoody_model::services::{Service, ServiceAddress};
use hoody_model::validate::{self, DEFAULT_IMAGE};
use hoody_model::{
    Container, ContainerCreate, ContainerId, ContainerListQuery, ContainerStatus, ContainerUpdate, ErrorCode,
    EventKind, Pagination, Project, ProjectId, RealmId, ServerId, StatusLogEntry, Trigger,
};
use hoody_store::{ContainerFilter, NewContainer, StatusChange};

/// Attempts at a generated name before giving up (collisions need ~576×65536 names in a project).
const RANDOM_NAME_ATTEMPTS: usize = 8;

impl Engine {
    /// Validates and records a new container in `creating`, then provisions it in the background.
    pub async fn create_container(
        &self,
        caller: &Principal,
        project_id: &ProjectId,
        req: ContainerCreate,
    ) -> Result<Container> {
        let project = self.project(caller, project_id).await?;
        let name = match req.name.as_deref() {
            None | Some(RANDOM_NAME) => random_container_name(),
            Some(name) => validate::container_name(name)?,
        };
        let server_id = match &req.server_id {
            Some(raw) => {
                let id = ServerId::parse(raw)?;
                if &id != self.server_id() {
                    return Err(EngineError::not_found("server", id));
                }
                id
            }
            // The platform's create names its server, as this one asks: a client that meant this
            // server says so.
            None => {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!(
                        "server_id is required: the server to create the container on (this one is {}; GET /servers lists it)",
                        self.server_id()
                    ),
                ));
            }
        };
        let container_image = validate::container_image(req.container_image.as_deref().unwrap_or(DEFAULT_IMAGE))?;
        let hoody_kit = req.hoody_kit.unwrap_or(true);
        let dev_kit = req.dev_kit.unwrap_or(hoody_kit);
        check_kits(hoody_kit, dev_kit)?;
        refuse_kvm(req.kvm, req.dev_kvm)?;
        let environment_vars = req.environment_vars.unwrap_or_default();
        validate::environment_vars(&environment_vars)?;
        let ssh = req.ssh_public_key.as_deref().map(validate::ssh_public_key).transpose()?;
        let color = req.color.as_deref().map(validate::color).transpose()?;
        let comment = req.comment.as_deref().map(validate::comment).transpose()?;
        let realm_ids = self.container_realms(caller, &project, req.realm_ids.as_deref().unwrap_or_default()).await?;
        // Refused before anything is recorded: a container that could never run is not made,
        // nor one the disk has no room for.
        self.inner.space.check(&format!("creating {name}"), 0)?;
        self.need_runtime("creating a container")?;
        let generated = matches!(req.name.as_deref(), None | Some(RANDOM_NAME));
        let now = crate::now();
        let mut container = Container {
            id: ContainerId::generate(),
            project_id: project.id.clone(),
            server_id,
            server_name: self.server_name().to_owned(),
            name,
            status: ContainerStatus::Creating,
            error: None,
            container_image,
            hoody_kit,
            dev_kit,
            realm_ids,
            environment_vars,
            ssh_public_key: ssh.as_ref().map(|k| k.openssh.clone()),
            color,
            comment,
            autostart: req.autostart.unwrap_or(true),
            ai: req.ai.unwrap_or(true),
            cache: req.cache.unwrap_or(true),
            prespawn: req.prespawn.unwrap_or(false),
            ramdisk: req.ramdisk.unwrap_or(true),
            network: req.network.unwrap_or(true),
            nesting: req.nesting.unwrap_or(false),
            source_container_id: None,
            snapshot_count: 0,
            created_at: now,
            updated_at: now,
            runtime_info: None,
            urls: Default::default(),
        };
        if !req.bypass_prespawn.unwrap_or(false) && self.inner.runtime.can_claim(&container) {
            container.status = ContainerStatus::Claiming;
        }
        let mut new = NewContainer {
            container: container.clone(),
            ssh_key_fingerprint: ssh.map(|k| k.fingerprint),
            project_quota: project.max_containers,
            trigger: Trigger::User,
        };
        let mut attempt = 0;
        let created = loop {
            match self.inner.store.insert_container(&new).await {
                Err(hoody_store::StoreError::DuplicateName { .. }) if generated && attempt < RANDOM_NAME_ATTEMPTS => {
                    attempt += 1;
                    container.name = random_container_name();
                    new.container.name = container.name.clone();
                }
                other => break other?,
            }
        };
        self.emit(EventKind::Status, &created, None, created.status, None, Some(Trigger::User));
        if created.status == ContainerStatus::Claiming {
            return self.claim(created).await;
        }
        let engine = self.clone();
        let id = created.id.clone();
        self.inner.tasks.spawn(async move { engine.provision(&id).await });
        Ok(created)
    }

    /// Takes a warm prespawned container for `c` (in `claiming`) and answers with it running;
    /// if the pool emptied meanwhile, creates it the slow way instead.
    async fn claim(&self, c: Container) -> Result<Container> {
        let _guard = self.inner.locks.lock(&c.id).await;
        let runtime = &self.inner.runtime;
        let outcome = match runtime.claim(&c).await {
            Ok(true) => Ok(()),
            Ok(false) => runtime.create(&c).await,
            Err(e) => Err(e),
        };
        let recorded = match outcome {
            Ok(()) => self.record_status(&c, ContainerStatus::Running, None, Trigger::System).await,
            Err(e) => {
                let reason = format!("creation failed: {}", EngineError::from(e));
                self.record_status(&c, ContainerStatus::Failed, Some(reason), Trigger::System).await
            }
        };
        // Once the answer is recorded: a refill boots containers, which would take the cores
        // from the claim it follows.
        self.spawn_refill();
        recorded
    }

    /// Tops the prespawn pools up in the background.
    pub(crate) fn spawn_refill(&self) {
        let engine = self.clone();
        self.inner.tasks.spawn(async move {
            if let Err(e) = engine.inner.runtime.refill().await {
                tracing::warn!("prespawn refill: {e}");
            }
        });
    }

    /// Runs the runtime's create for a container in `creating` and records the outcome.
    async fn provision(&self, id: &ContainerId) {
        let _guard = self.inner.locks.lock(id).await;
        let Ok(Some(container)) = self.inner.store.container(id).await else {
            return;
        };
        if container.status != ContainerStatus::Creating {
            return;
        }
        // The shares its project receives are mounted from its first start.
        let created = match self.mount_project_shares(&container).await {
            Ok(()) => self.inner.runtime.create(&container).await.map_err(EngineError::from),
            Err(e) => Err(e),
        };
        let (to, error) = match created {
            Ok(()) => (ContainerStatus::Running, None),
            Err(e) => {
                tracing::warn!(container = %id, "creation failed: {e}");
                (ContainerStatus::Failed, Some(format!("creation failed: {e}")))
            }
        };
        if let Err(e) = self.record_status(&container, to, error, Trigger::System).await {
            tracing::error!(container = %id, "cannot record the outcome of creation: {e}");
        }
    }

    /// The realms a new container joins: those asked for (which must exist), and for a
    /// realm-restricted caller its own realms, which the project must include, unless the
    /// project is granted to it (then the container joins none of the caller's realms).
    pub(crate) async fn container_realms(
        &self,
        caller: &Principal,
        project: &Project,
        asked: &[String],
    ) -> Result<Vec<RealmId>> {
        let mut realms = self.existing_realms(asked).await?;
        if let Scope::Realms(mine) = &caller.scope {
            caller.check_within_scope(&realms)?;
            let scoped: Vec<_> = mine.iter().filter(|r| project.realm_ids.contains(r)).cloned().collect();
            if scoped.is_empty() {
                // Through a grant of the project, or not at all.
                caller.reach(
                    &[],
                    &project.id,
                    EngineError::Forbidden("the project is not in this token's realm".into()),
                )?;
            }
            for r in scoped {
                if !realms.contains(&r) {
                    realms.push(r);
                }
            }
        }
        Ok(realms)
    }

    /// The container, if it exists and the caller may see it.
    pub async fn container(&self, caller: &Principal, id: &ContainerId) -> Result<Container> {
        let c = self.inner.store.container(id).await?.ok_or_else(|| EngineError::not_found("container", id))?;
        caller.reach(&c.realm_ids, &c.project_id, EngineError::not_found("container", id))?;
        Ok(c)
    }

    /// The container with `runtime_info` and service `urls` filled in when it is running or
    /// paused.
    pub async fn container_with_runtime(&self, caller: &Principal, id: &ContainerId) -> Result<Container> {
        let mut c = self.container(caller, id).await?;
        self.add_runtime(&mut c).await?;
        Ok(c)
    }

    async fn add_runtime(&self, c: &mut Container) -> Result<()> {
        if !matches!(c.status, ContainerStatus::Running | ContainerStatus::Paused) {
            return Ok(());
        }
        let mut info = self.inner.runtime.info(c).await?;
        let init = info.processes.iter().find(|p| p.pid == 1).map(|p| p.host_pid);
        if let (Some(kit), Some(init_pid)) = (self.inner.kit.get(), init) {
            info.kit_services = kit.services(&c.id, init_pid).await;
        }
        if let Some(port) = self.inner.proxy_port.get() {
            let services = [Service::Terminal(1), Service::Display(1), Service::Files, Service::Exec, Service::Sqlite]
                .into_iter()
                .chain(info.listening_ports.iter().map(|p| Service::Http(*p)));
            for service in services {
                let address = ServiceAddress {
                    project_id: c.project_id.clone(),
                    container_id: c.id.clone(),
                    service,
                    server_name: self.server_name().to_owned(),
                };
                c.urls.insert(service.slug(), address.url(*port));
            }
        }
        c.runtime_info = Some(info);
        Ok(())
    }

    /// Live figures of a running (or paused) container.
    pub async fn stats(&self, caller: &Principal, id: &ContainerId) -> Result<hoody_model::RuntimeInfo> {
        let c = self.container(caller, id).await?;
        if !matches!(c.status, ContainerStatus::Running | ContainerStatus::Paused) {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("the container is {}; stats exist only while it runs", c.status),
            ));
        }
        Ok(self.inner.runtime.info(&c).await?)
    }

    /// `PUT /containers/{id}/kvm`: hardware virtualisation inside the container. Containers here
    /// never have it, so turning it off is what they are already; turning it on is refused with
    /// the reason this server cannot give it.
    pub async fn set_kvm(
        &self,
        caller: &Principal,
        id: &ContainerId,
        req: hoody_model::KvmSettings,
    ) -> Result<Container> {
        let c = self.container(caller, id).await?;
        refuse_kvm(Some(req.kvm), req.dev_kvm)?;
        Ok(c)
    }

    /// The last `lines` of what the container wrote (its console, its journal), in any state.
    pub async fn logs(&self, caller: &Principal, id: &ContainerId, lines: usize) -> Result<hoody_model::ContainerLogs> {
        let c = self.container(caller, id).await?;
        Ok(self.inner.runtime.logs(&c, lines).await?)
    }

    pub async fn list_containers(
        &self,
        caller: &Principal,
        q: &ContainerListQuery,
    ) -> Result<(Vec<Container>, Pagination)> {
        let filter = ContainerFilter { visible: caller.visible() };
        let (mut containers, total) = self.inner.store.list_containers(q, &filter).await?;
        if q.with_runtime {
            for c in &mut containers {
                self.add_runtime(c).await?;
            }
        }
        Ok((containers, Pagination::new(total, q.page)))
    }

    pub async fn status_logs(&self, caller: &Principal, id: &ContainerId) -> Result<Vec<StatusLogEntry>> {
        self.container(caller, id).await?;
        Ok(self.inner.store.status_logs(id).await?)
    }

    /// Applies an update. Permanent fields may only repeat their current value; fields the
    /// running container has baked in need it stopped; realm-restricted callers cannot move it
    /// between realms.
    pub async fn update_container(
        &self,
        caller: &Principal,
        id: &ContainerId,
        req: ContainerUpdate,
    ) -> Result<Container> {
        let _guard = self.inner.locks.lock(id).await;
        let mut c = self.container(caller, id).await?;
        check_permanent(&req, &c)?;
        let needs_stop = req.fields_needing_stop();
        if !needs_stop.is_empty() && !c.status.accepts_config_update() {
            return Err(EngineError::rule(
                ErrorCode::ContainerMustBeStopped,
                format!(
                    "{} can only change while the container is stopped (it is {}): stop it, update, then start it again",
                    needs_stop.join(", "),
                    c.status
                ),
            ));
        }
        if c.status.is_transitional() {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("the container is {}; wait until that finishes", c.status),
            ));
        }
        let mut fingerprint = match &c.ssh_public_key {
            Some(key) => Some(validate::ssh_public_key(key)?.fingerprint),
            None => None,
        };
        if let Some(name) = &req.name {
            c.name = validate::container_name(name)?;
        }
        if let Some(color) = &req.color {
            c.color = color.as_deref().map(validate::color).transpose()?;
        }
        if let Some(comment) = &req.comment {
            c.comment = comment.as_deref().map(validate::comment).transpose()?;
        }
        if let Some(env) = req.environment_vars {
            validate::environment_vars(&env)?;
            c.environment_vars = env;
        }
        if let Some(key) = &req.ssh_public_key {
            let parsed = key.as_deref().map(validate::ssh_public_key).transpose()?;
            c.ssh_public_key = parsed.as_ref().map(|k| k.openssh.clone());
            fingerprint = parsed.map(|k| k.fingerprint);
        }
        if let Some(realms) = &req.realm_ids {
            let realms = self.existing_realms(realms).await?;
            if realms != c.realm_ids {
                if caller.scope != Scope::All {
                    return Err(EngineError::Forbidden("a realm-restricted token cannot change realm_ids".into()));
                }
                c.realm_ids = realms;
            }
        }
        c.autostart = req.autostart.unwrap_or(c.autostart);
        c.ai = req.ai.unwrap_or(c.ai);
        c.cache = req.cache.unwrap_or(c.cache);
        c.ramdisk = req.ramdisk.unwrap_or(c.ramdisk);
        c.nesting = req.nesting.unwrap_or(c.nesting);
        if let Some(on) = req.network.filter(|on| *on != c.network) {
            // The network changes at once: a running container is cut off or let out now.
            if matches!(c.status, ContainerStatus::Running | ContainerStatus::Paused) {
                self.inner.runtime.set_network(&c, on).await?;
            }
            c.network = on;
        }
        c.updated_at = crate::now();
        let updated = self.inner.store.update_container(&c, fingerprint.as_deref()).await?;
        self.emit(EventKind::Updated, &updated, Some(updated.status), updated.status, None, None);
        Ok(updated)
    }

    /// Deletes a container: stops it if it runs, removes what the runtime holds, marks it deleted.
    /// Its snapshots are kept; copies keep running with their source link broken.
    /// Changes the container's environment variables with `edit` (checked as any update: the
    /// container must be stopped, for a running one has them baked in).
    pub async fn edit_env(
        &self,
        caller: &Principal,
        id: &ContainerId,
        edit: impl FnOnce(&mut std::collections::BTreeMap<String, String>),
    ) -> Result<Container> {
        let mut env = self.container(caller, id).await?.environment_vars;
        edit(&mut env);
        let update = ContainerUpdate { environment_vars: Some(env), ..Default::default() };
        self.update_container(caller, id, update).await
    }

    pub async fn delete_container(&self, caller: &Principal, id: &ContainerId) -> Result<Container> {
        self.container(caller, id).await?;
        self.delete_container_unchecked(id).await
    }

    pub(crate) async fn delete_container_unchecked(&self, id: &ContainerId) -> Result<Container> {
        let _guard = self.inner.locks.lock(id).await;
        let c = self.inner.store.container(id).await?.ok_or_else(|| EngineError::not_found("container", id))?;
        if !c.status.can_delete() {
            return Err(EngineError::rule(
                ErrorCode::WrongState,
                format!("cannot delete the container while it is {}; wait until that finishes", c.status),
            ));
        }
        let runtime = &self.inner.runtime;
        // A delete frees room; on a full disk its records need the reserve's.
        self.inner.space.make_room();
        if matches!(c.status, ContainerStatus::Running | ContainerStatus::Paused) {
            runtime.stop(&c, true).await?;
        }
        let c = self.record_status(&c, ContainerStatus::Deleting, None, Trigger::User).await?;
        if let Err(e) = runtime.destroy(id).await {
            let e = EngineError::from(e);
            self.record_status(&c, ContainerStatus::Failed, Some(format!("deletion failed: {e}")), Trigger::System)
                .await?;
            return Err(e);
        }
        let deleted = self.record_status(&c, ContainerStatus::Deleted, None, Trigger::User).await?;
        self.inner.store.unlink_copies(id).await?;
        self.drop_shares_of(id).await?;
        self.inner.space.replenish();
        Ok(deleted)
    }

    /// Moves `c` to `to`, logs it, tells subscribers, and returns the container as it is now;
    /// `error` is its error from now on and the log's reason.
    pub(crate) async fn record_status(
        &self,
        c: &Container,
        to: ContainerStatus,
        error: Option<String>,
        trigger: Trigger,
    ) -> Result<Container> {
        self.record_move(c, to, error.clone(), error, trigger).await
    }

    /// [`Self::record_status`] with a reason of its own for the log (how a stop went).
    pub(crate) async fn record_move(
        &self,
        c: &Container,
        to: ContainerStatus,
        error: Option<String>,
        reason: Option<String>,
        trigger: Trigger,
    ) -> Result<Container> {
        let change = StatusChange {
            id: c.id.clone(),
            from: c.status,
            to,
            error: error.clone(),
            reason,
            trigger,
            at: crate::now(),
        };
        debug_assert!(c.status.can_transition_to(to), "{} → {to}", c.status);
        self.inner.store.change_status(&change).await?;
        let mut now = c.clone();
        now.status = to;
        now.error = error.clone();
        now.updated_at = change.at;
        self.emit(EventKind::Status, &now, Some(c.status), to, error, Some(trigger));
        if to == ContainerStatus::Running && c.status != ContainerStatus::Paused {
            self.watch_exit(&c.id);
        }
        if matches!(to, ContainerStatus::Stopped | ContainerStatus::Failed | ContainerStatus::Deleted)
            && let Some(kit) = self.inner.kit.get()
        {
            kit.container_ended(&c.id).await;
        }
        Ok(now)
    }
}

fn check_permanent(req: &ContainerUpdate, c: &Container) -> Result<()> {
    let same =
        |sent: &Option<serde_json::Value>, current: serde_json::Value| sent.as_ref().is_none_or(|v| *v == current);
    let checks = [
        (
            "container_image",
            same(&req.container_image, c.container_image.clone().into()),
            "the OS is permanent: create a new container with the image you want",
        ),
        ("hoody_kit", same(&req.hoody_kit, c.hoody_kit.into()), "the Kit installation is permanent"),
        ("dev_kit", same(&req.dev_kit, c.dev_kit.into()), "the developer Kit is permanent"),
        (
            "server_id",
            same(&req.server_id, c.server_id.as_str().into()),
            "containers cannot move between servers: copy it instead",
        ),
    ];
    match checks.iter().find(|(_, ok, _)| !ok) {
        Some((field, _, why)) => Err(EngineError::rule(
            ErrorCode::ImmutableField,
            format!("{field} cannot be changed after creation: {why}"),
        )),
        None => Ok(()),
    }
}

/// Refuses the developer kit without the Hoody Kit it runs on.
pub(crate) fn check_kits(hoody_kit: bool, dev_kit: bool) -> Result<()> {
    match dev_kit && !hoody_kit {
        true => Err(EngineError::rule(
            ErrorCode::InvalidField,
            "dev_kit needs hoody_kit: the developer services run on top of the Hoody Kit",
        )),
        false => Ok(()),
    }
}

/// Refuses `kvm` or `dev_kvm` asked on (a create, a copy, the kvm route), saying why a container
/// cannot have `/dev/kvm` here.
pub(crate) fn refuse_kvm(kvm: Option<bool>, dev_kvm: Option<bool>) -> Result<()> {
    match [("kvm", kvm), ("dev_kvm", dev_kvm)].into_iter().find(|(_, wanted)| *wanted == Some(true)) {
        Some((field, _)) => Err(EngineError::rule(ErrorCode::InvalidField, kvm_refusal(field))),
        None => Ok(()),
    }
}

/// Why a container cannot have `/dev/kvm` here.
fn kvm_refusal(field: &str) -> String {
    if std::path::Path::new("/dev/kvm").exists() {
        format!(
            "{field}: this server does not pass /dev/kvm into containers yet (it confines their devices); leave {field} off"
        )
    } else {
        format!("{field}: this server has no /dev/kvm (no hardware virtualisation here); leave {field} off")
    }
}
