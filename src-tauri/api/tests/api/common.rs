use hoody_client::HoodyClient;
use hoody_engine::{ContainerRuntime, Engine, EngineConfig, UnavailableRuntime};
use hoody_model::{ContainerCreate, Project, ProjectCreate};
use hoody_runtime::{LocalRuntime, RuntimeConfig};

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// The image the tests' containers run (the host's static busybox); `create` picks it.
pub const IMAGE: &str = "busybox/1";

pub const SSH_KEY_A: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEI2D7MpSkdaP7fqsMPp73DFo6Qgp4w//pvKli5FLgaW alice@host";
pub const SSH_KEY_B: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIlH3TD9hpgdQIrWk/iNGHV8JYI0287fgK22lcoGGrDK bob@host";

pub struct TestServer {
    pub client: HoodyClient,
    pub token: String,
    pub engine: Engine,
    stop: Option<oneshot::Sender<()>>,
    /// The real runtime its containers run on (None: a server without one).
    runtime: Option<Arc<LocalRuntime>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A server on this machine's container runtime, with [`IMAGE`] imported.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().canonicalize().unwrap();
        let mut config = RuntimeConfig::new(&data);
        config.stop_grace = Duration::from_secs(5);
        config.ramdisk_bytes = 16 << 20;
        let runtime = Arc::new(LocalRuntime::new(config));
        if let Some(reason) = runtime.unavailable_reason() {
            panic!("the API tests run real containers: {reason}");
        }
        runtime
            .image_store()
            .import_tarball(IMAGE, hoody_runtime::testkit::shared_busybox_tarball(), "busybox")
            .unwrap();
        Self::on(dir, runtime.clone(), Some(runtime)).await
    }

    /// A server on a machine where containers cannot run.
    pub async fn without_runtime() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::on(dir, Arc::new(UnavailableRuntime::new("no runtime on this test server")), None).await
    }

    async fn on(
        dir: tempfile::TempDir,
        engine_runtime: Arc<dyn ContainerRuntime>,
        runtime: Option<Arc<LocalRuntime>>,
    ) -> Self {
        let config = EngineConfig::new(dir.path().canonicalize().unwrap(), "local");
        let engine = Engine::start(config, engine_runtime).await.unwrap();
        let admin = hoody_engine::issue_token(engine.store(), Some("admin".into()), vec![]).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(hoody_api::serve(listener, engine.clone(), async move {
            let _ = stopped.await;
        }));
        let client = HoodyClient::new(format!("http://{addr}"), Some(admin.token.clone()));
        Self { client, token: admin.token, engine, stop: Some(stop), runtime, _dir: dir }
    }

    /// Everything in the database, to compare before and after a refused request.
    pub async fn db(&self) -> String {
        self.engine.settle().await;
        self.engine.store().content_digest().await.unwrap()
    }

    pub async fn project(&self, alias: &str) -> Project {
        self.client.create_project(&ProjectCreate { alias: alias.into(), ..Default::default() }).await.unwrap()
    }

    /// Creates a container and waits until its creation has settled.
    pub async fn container(&self, project: &Project, req: ContainerCreate) -> hoody_model::Container {
        let c = self.client.create_container(project.id.as_str(), &req).await.unwrap();
        self.settled(c.id.as_str()).await
    }

    pub async fn settled(&self, id: &str) -> hoody_model::Container {
        let settled = || async {
            let c = self.client.container(id, false).await.unwrap();
            (!c.status.is_transitional()).then_some(c)
        };
        hoody_client::testkit::eventually(&format!("{id} settling"), Duration::from_secs(30), settled).await
    }

    /// This server's id, as a create names it.
    pub async fn server_id(&self) -> String {
        self.client.servers().await.unwrap()[0].id.as_str().to_owned()
    }

    /// Runs `script` with /bin/sh in every namespace of the running container `id` (`nsenter
    /// -a`, its user namespace included); what it wrote, trimmed.
    pub async fn exec(&self, id: &str, script: &str) -> String {
        let c = self.client.container(id, true).await.unwrap();
        let info = c.runtime_info.unwrap_or_else(|| panic!("{id} runs: {:?}", c.status));
        let pid = info.processes.iter().find(|p| p.pid == 1).expect("an init with pid 1").host_pid.to_string();
        let out = tokio::process::Command::new("nsenter")
            .args(["-t", &pid, "-a", "--", "/bin/sh", "-c", script])
            .output()
            .await
            .unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)).trim().to_owned()
    }

    /// Sends raw JSON and checks the answer is an error in the platform's shape with this
    /// status and code; returns the message.
    pub async fn refused(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        status: u16,
        code: &str,
    ) -> String {
        let before = self.db().await;
        // A create names its server (the API requires it): these refusals are about the rest.
        let mut body = body;
        if method == reqwest::Method::POST
            && path.ends_with("/containers")
            && let Some(fields) = body.as_mut().and_then(serde_json::Value::as_object_mut)
            && !fields.contains_key("server_id")
        {
            fields.insert("server_id".into(), self.server_id().await.into());
        }
        let r = self.client.raw(method.clone(), path, body.as_ref()).await.unwrap();
        assert_eq!(r.status, status, "{method} {path} {body:?} → {}", r.body);
        assert_error_shape(&r.body, status, code);
        assert_eq!(before, self.db().await, "{method} {path} was refused but changed the store");
        r.body["message"].as_str().unwrap().to_owned()
    }
}

impl Drop for TestServer {
    /// Stops serving and removes every container the test left (on a thread of its own: the
    /// test's async runtime is the one being left).
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            let removed = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(hoody_runtime::testkit::remove_everything(&runtime))
            })
            .join();
            if !std::thread::panicking() {
                removed.expect("the cleanup ran").expect("the test's containers were removed");
            }
        }
    }
}

pub fn assert_error_shape(body: &serde_json::Value, status: u16, code: &str) {
    assert_eq!(body["statusCode"], status, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.len() > 15, "a message a person can act on: {body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body.get("data").is_none(), "{body}");
}

/// A create request from JSON, on [`IMAGE`] unless it names an image.
pub fn create(mut json: serde_json::Value) -> ContainerCreate {
    if json.get("container_image").is_none() {
        json["container_image"] = IMAGE.into();
    }
    serde_json::from_value(json).unwrap()
}
