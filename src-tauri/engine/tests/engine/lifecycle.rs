use async_trait::async_trait;
use hoody_engine::{ContainerRuntime, Engine, EngineConfig, Principal, RuntimeError, RuntimeState};
use hoody_model::{
    Container, ContainerCreate, ContainerId, ContainerStatus, ContainerUpdate, ErrorCode, Image, Operation,
    ProjectCreate, RuntimeInfo, SnapshotId, TokenId,
};
use hoody_runtime::Halt;
use std::sync::{Arc, Mutex};

/// Records every call; fails the operations named in `failing`.
#[derive(Default)]
struct ScriptedRuntime {
    calls: Mutex<Vec<String>>,
    failing: Mutex<Vec<&'static str>>,
}

impl ScriptedRuntime {
    fn call(&self, what: &'static str) -> Result<(), RuntimeError> {
        self.calls.lock().unwrap().push(what.to_owned());
        if self.failing.lock().unwrap().contains(&what) {
            return Err(RuntimeError::Failed(format!("{what} exploded")));
        }
        Ok(())
    }
}

#[async_trait]
impl ContainerRuntime for ScriptedRuntime {
    fn name(&self) -> &str {
        "scripted"
    }
    fn unavailable_reason(&self) -> Option<String> {
        None
    }
    async fn create(&self, _: &Container) -> Result<(), RuntimeError> {
        self.call("create")
    }
    async fn start(&self, _: &Container) -> Result<(), RuntimeError> {
        self.call("start")
    }
    async fn stop(&self, _: &Container, force: bool) -> Result<Halt, RuntimeError> {
        self.call(if force { "kill" } else { "stop" })?;
        Ok(if force { Halt::Killed { grace: None } } else { Halt::OnSignal })
    }
    async fn pause(&self, _: &Container) -> Result<(), RuntimeError> {
        self.call("pause")
    }
    async fn resume(&self, _: &Container) -> Result<(), RuntimeError> {
        self.call("resume")
    }
    async fn destroy(&self, _: &ContainerId) -> Result<(), RuntimeError> {
        self.call("destroy")
    }
    async fn state(&self, _: &ContainerId) -> Result<RuntimeState, RuntimeError> {
        Ok(RuntimeState::Absent)
    }
    async fn info(&self, _: &Container) -> Result<RuntimeInfo, RuntimeError> {
        self.call("info")?;
        Ok(RuntimeInfo { running: true, ..Default::default() })
    }
    async fn images(&self) -> Result<Vec<Image>, RuntimeError> {
        Ok(vec![])
    }
    async fn snapshot(&self, _: &Container, _: &SnapshotId) -> Result<u64, RuntimeError> {
        self.call("snapshot").map(|()| 0)
    }
    async fn restore(&self, _: &Container, _: &SnapshotId) -> Result<(), RuntimeError> {
        self.call("restore")
    }
    async fn delete_snapshot(&self, _: &SnapshotId) -> Result<(), RuntimeError> {
        self.call("delete_snapshot")
    }
    async fn copy(&self, _: &Container, _: &Container) -> Result<(), RuntimeError> {
        self.call("copy")
    }
}

fn admin() -> Principal {
    Principal::unrestricted(TokenId::generate())
}

async fn running_container(engine: &Engine) -> Container {
    let p = engine.create_project(&admin(), ProjectCreate { alias: "p".into(), ..Default::default() }).await.unwrap();
    let c = engine
        .create_container(
            &admin(),
            &p.id,
            ContainerCreate {
                name: Some("web".into()),
                server_id: Some(engine.server_id().as_str().into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    engine.settle().await;
    let c = engine.container(&admin(), &c.id).await.unwrap();
    assert_eq!(c.status, ContainerStatus::Running);
    c
}

async fn start(runtime: Arc<ScriptedRuntime>) -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig::new(dir.path().to_owned(), "t");
    (Engine::start(config, runtime).await.unwrap(), dir)
}

#[tokio::test]
async fn operations_drive_the_runtime_and_the_status_log() {
    let runtime = Arc::new(ScriptedRuntime::default());
    let (engine, _dir) = start(runtime.clone()).await;
    let c = running_container(&engine).await;
    let who = admin();
    for (op, status) in [
        (Operation::Pause, ContainerStatus::Paused),
        (Operation::Resume, ContainerStatus::Running),
        (Operation::Restart, ContainerStatus::Running),
        (Operation::Stop, ContainerStatus::Stopped),
        (Operation::Start, ContainerStatus::Running),
        (Operation::ForceStop, ContainerStatus::Stopped),
    ] {
        assert_eq!(engine.operate(&who, &c.id, op).await.unwrap().status, status, "{op}");
    }
    let e = engine.operate(&who, &c.id, Operation::Pause).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongState);
    assert_eq!(*runtime.calls.lock().unwrap(), ["create", "pause", "resume", "stop", "start", "stop", "start", "kill"]);
    let log: Vec<_> = engine.status_logs(&who, &c.id).await.unwrap().iter().map(|l| l.to_status).collect();
    use ContainerStatus::*;
    assert_eq!(log, [Creating, Running, Paused, Running, Running, Stopped, Running, Stopped]);
}

#[tokio::test]
async fn most_updates_need_a_stopped_container() {
    let runtime = Arc::new(ScriptedRuntime::default());
    let (engine, _dir) = start(runtime).await;
    let c = running_container(&engine).await;
    let who = admin();
    let rename = ContainerUpdate { name: Some("renamed".into()), ..Default::default() };
    let e = engine.update_container(&who, &c.id, rename.clone()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ContainerMustBeStopped);
    assert!(e.to_string().contains("name can only change while the container is stopped (it is running)"), "{e}");
    // Colour and comment change live.
    let live = ContainerUpdate {
        color: Some(Some("#00ff00".into())),
        comment: Some(Some("live".into())),
        ..Default::default()
    };
    assert_eq!(engine.update_container(&who, &c.id, live).await.unwrap().color.as_deref(), Some("#00ff00"));
    // Stop → update → start, as the page describes.
    engine.operate(&who, &c.id, Operation::Stop).await.unwrap();
    assert_eq!(engine.update_container(&who, &c.id, rename).await.unwrap().name, "renamed");
    assert_eq!(engine.operate(&who, &c.id, Operation::Start).await.unwrap().status, ContainerStatus::Running);
}

#[tokio::test]
async fn a_failing_runtime_leaves_the_container_failed_with_the_reason() {
    let runtime = Arc::new(ScriptedRuntime::default());
    let (engine, _dir) = start(runtime.clone()).await;
    let c = running_container(&engine).await;
    runtime.failing.lock().unwrap().push("pause");
    let e = engine.operate(&admin(), &c.id, Operation::Pause).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::RuntimeFailed);
    let now = engine.container(&admin(), &c.id).await.unwrap();
    assert_eq!(now.status, ContainerStatus::Failed);
    assert_eq!(now.error.as_deref(), Some("pause failed: the container runtime failed: pause exploded"));
    // A running container is stopped before it is deleted.
    let c2 = {
        let p =
            engine.create_project(&admin(), ProjectCreate { alias: "q".into(), ..Default::default() }).await.unwrap();
        let c = engine.create_container(&admin(), &p.id, on_this_server(&engine)).await.unwrap();
        engine.settle().await;
        c
    };
    runtime.calls.lock().unwrap().clear();
    assert_eq!(engine.delete_container(&admin(), &c2.id).await.unwrap().status, ContainerStatus::Deleted);
    assert_eq!(*runtime.calls.lock().unwrap(), ["kill", "destroy"]);
}

#[tokio::test]
async fn creation_interrupted_by_a_crash_is_reconciled_at_start() {
    let runtime = Arc::new(ScriptedRuntime::default());
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig::new(dir.path().to_owned(), "t");
    let id = {
        let engine = Engine::start(config.clone(), runtime.clone()).await.unwrap();
        let p =
            engine.create_project(&admin(), ProjectCreate { alias: "p".into(), ..Default::default() }).await.unwrap();
        let mut c = engine.create_container(&admin(), &p.id, on_this_server(&engine)).await.unwrap();
        engine.settle().await;
        // Put it back in `creating`, as a crash between insert and provisioning leaves it.
        c.status = ContainerStatus::Creating;
        rewind_to_creating(&engine, &c).await;
        engine.shutdown().await;
        c.id
    };
    let engine = Engine::start(config, runtime).await.unwrap();
    let c = engine.container(&admin(), &id).await.unwrap();
    assert_eq!(c.status, ContainerStatus::Failed);
    assert!(c.error.unwrap().contains("the engine stopped while the container was being created"));
}

/// Puts a running container back in `creating`, the state a crash between recording a create
/// and provisioning it leaves behind. The store records moves without judging them (the engine
/// guards the machine), so the test can write this one directly.
async fn rewind_to_creating(engine: &Engine, c: &Container) {
    engine
        .store()
        .change_status(&hoody_store::StatusChange {
            id: c.id.clone(),
            from: ContainerStatus::Running,
            to: ContainerStatus::Creating,
            error: None,
            reason: Some("test: simulate a crash mid-create".into()),
            trigger: hoody_model::Trigger::System,
            at: chrono::Utc::now(),
        })
        .await
        .unwrap();
}

/// A create that names this engine's server, as every create must.
fn on_this_server(engine: &Engine) -> ContainerCreate {
    ContainerCreate { server_id: Some(engine.server_id().as_str().into()), ..Default::default() }
}

/// A database from before sealing keeps a JWT gate's secret in plaintext: the next start seals
/// it (the gate still checks tokens with it) and no file of the database holds it any more. An
/// engine with another key cannot open it: the group then lets no one in.
#[tokio::test]
async fn secrets_kept_in_plaintext_are_sealed_at_start() {
    let runtime = Arc::new(ScriptedRuntime::default());
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig::new(dir.path().to_owned(), "t");
    let secret = "a secret from before sealing";
    let (project, container) = {
        let engine = Engine::start(config.clone(), runtime.clone()).await.unwrap();
        let p =
            engine.create_project(&admin(), ProjectCreate { alias: "p".into(), ..Default::default() }).await.unwrap();
        let c = engine.create_container(&admin(), &p.id, on_this_server(&engine)).await.unwrap();
        engine.settle().await;
        let mut gates = hoody_model::ProxyPermissions::default();
        let group = hoody_model::ProxyGroup::jwt(secret, "HS256", &["header".into()], None).unwrap();
        gates.groups.insert("sso".into(), group);
        engine.store().set_project_proxy_permissions(&p.id, &gates, chrono::Utc::now()).await.unwrap();
        engine.shutdown().await;
        (p.id, c.id)
    };
    let engine = Engine::start(config.clone(), runtime.clone()).await.unwrap();
    let (_, projects) = engine.store().all_proxy_permissions().await.unwrap();
    let mut stored = projects.into_iter().next().unwrap().1;
    let kept = stored.jwt_secrets_mut().next().unwrap().clone();
    assert!(kept.starts_with("sealed:1:") && !kept.contains(secret), "{kept}");
    let mut opened = engine.proxy_gates(&container, &project).await.unwrap().unwrap();
    assert_eq!(opened.jwt_secrets_mut().next().map(|s| s.as_str()), Some(secret), "the gate checks with it");
    for file in ["hoody.db", "hoody.db-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{file} holds the secret");
    }
    engine.shutdown().await;

    let mut other = config;
    other.sealing_key = Some(hoody_engine::sealed::SealingKey::generate());
    let engine = Engine::start(other, runtime).await.unwrap();
    let gates = engine.proxy_gates(&container, &project).await.unwrap().unwrap();
    assert!(gates.groups.is_empty(), "a secret it cannot open lets no one in: {gates:?}");
}
