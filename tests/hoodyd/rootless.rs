//! `hoodyd` run by an ordinary user, as a desktop user runs the engine: no root anywhere after
//! the one-time `hoodyd host-setup`. The user (made here with useradd) has a home of mode 0700,
//! as Debian's adduser makes it, with the data directory inside.

use crate::process::{Hoodyd, SYSTEMD_ANSWERS};
use crate::proxy::browser;
use hoody_client::testkit::test_user;
use hoody_model::{ContainerCreate, ContainerStatus, Operation, ProjectCreate, SnapshotCreate};
use serde_json::{Value, json};
use std::os::unix::fs::MetadataExt;
use std::process::Command;

/// Runs `script` in the container through its terminal service (as a user of the kit would).
async fn run(d: &Hoodyd, terminal: &str, script: &str) -> Value {
    let body = json!({"command": script, "wait": true});
    let url = format!("{terminal}/api/v1/terminal/execute?ephemeral=true");
    browser(d, terminal).post(url).json(&body).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn an_ordinary_user_runs_the_whole_lifecycle_without_root() {
    let user = test_user();
    let scratch = user.scratch();
    let data = scratch.0.clone();
    let d = Hoodyd::start_as(user, &data);
    let status = std::fs::read_to_string(format!("/proc/{}/status", d.child.id())).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap().to_owned();
    assert!(
        uid_line.split_whitespace().skip(1).all(|u| u == user.uid.to_string()),
        "hoodyd runs as the user: {uid_line}"
    );
    d.import_busybox();

    let project = d.client.create_project(&ProjectCreate { alias: "mine".into(), ..Default::default() }).await.unwrap();
    let req =
        ContainerCreate { name: Some("box".into()), container_image: Some("busybox/1".into()), ..Default::default() };
    let created = d.client.create_container(project.id.as_str(), &req).await.unwrap();
    let id = created.id.to_string();
    let c = crate::proxy::wait_running(&d, &id).await;
    assert_eq!(c["status"], "running", "{c}");

    // Its root is the user's first subordinate uid; its files belong to it on the host.
    let base = user.subordinate_base();
    let init = c["runtime_info"]["processes"].as_array().unwrap().iter().find(|p| p["pid"] == 1).unwrap()["host_pid"]
        .as_u64()
        .unwrap();
    let map = std::fs::read_to_string(format!("/proc/{init}/uid_map")).unwrap();
    assert_eq!(map.split_whitespace().collect::<Vec<_>>(), ["0", &base.to_string(), "65536"]);
    let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
    let r = run(&d, &terminal, "id -u; cat /proc/self/uid_map; echo made > /root/made").await;
    // Inside, its user namespace maps its ids to runc's one, the same (see the runtime's
    // init_shim); runc's maps them to the user's range, as the host saw above.
    let words: Vec<&str> = r["stdout"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(words, ["0", "0", "0", "65536"], "root inside, nested in runc's namespace: {r}");
    let upper = data.join("runtime/containers").join(&id).join("upper");
    assert_eq!(std::fs::metadata(upper.join("root/made")).unwrap().uid(), base, "container root owns what it makes");

    // The kit's other services, as the user's engine runs them.
    let files = c["urls"]["files-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &files);
    let put = http.put(format!("{files}/api/v1/files/root/up.txt")).body("uploaded").send().await.unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(
        std::fs::metadata(upper.join("root/up.txt")).unwrap().uid(),
        base,
        "an upload belongs to container root"
    );
    let sqlite = c["urls"]["sqlite-1"].as_str().unwrap().to_owned();
    let kv = browser(&d, &sqlite)
        .put(format!("{sqlite}/api/v1/sqlite/kv/k?db=app&create_db_if_missing=true"))
        .json(&json!({"n": 1}))
        .send()
        .await
        .unwrap();
    assert!(kv.status().is_success(), "{}", kv.status());

    // The lifecycle: pause, resume, snapshot, copy, stop, restore, start, delete.
    for op in [Operation::Pause, Operation::Resume] {
        d.client.operate(&id, op).await.unwrap();
    }
    d.client
        .create_snapshot(&id, &SnapshotCreate { alias: Some("before".into()), ..Default::default() })
        .await
        .unwrap();
    let copy = d.client.copy_container(&id).await.unwrap();
    let copied = crate::proxy::wait_running(&d, copy.id.as_str()).await;
    assert_eq!(copied["status"], "running", "{copied}");
    let r = run(&d, copied["urls"]["terminal-1"].as_str().unwrap(), "cat /root/made").await;
    assert_eq!(r["stdout"], "made\n", "the copy has the source's files: {r}");
    assert_eq!(d.client.operate(&id, Operation::Stop).await.unwrap().status, ContainerStatus::Stopped);
    std::fs::remove_file(upper.join("root/up.txt")).ok(); // (as root: changed behind the engine's back)
    d.client.restore_snapshot(&id, "before").await.unwrap();
    assert!(upper.join("root/up.txt").exists(), "the snapshot's files are back");
    assert_eq!(d.client.operate(&id, Operation::Start).await.unwrap().status, ContainerStatus::Running);
    for c in d.client.list_containers("limit=200").await.unwrap().items {
        d.client.delete_container(c.id.as_str()).await.unwrap();
    }

    // Nothing is left: no cgroup of the user's, no bundle, no process of the containers.
    let parent = format!("hoody-{}", user.name);
    for hierarchy in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let left: Vec<_> = std::fs::read_dir(hierarchy.path().join(&parent))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().contains(&id))
            .collect();
        assert!(left.is_empty(), "cgroups left: {left:?}");
    }
    assert!(!data.join("runtime/containers").join(&id).exists(), "bundle left");
}

/// Bad setups say how to fix them instead of half-creating a container: a user without a
/// subordinate range gets the command that gives one.
#[tokio::test]
async fn a_user_without_a_subordinate_range_is_told_how_to_get_one() {
    let name = "hoody-ci-bare";
    hoody_client::testkit::with_user_database(|| {
        if !Command::new("id").arg(name).output().unwrap().status.success() {
            let made = Command::new("useradd").args(["--create-home", "--no-user-group", name]).status();
            assert!(made.unwrap().success());
        }
        // useradd gave it a range: take it away again (this user is for this test only).
        for file in ["/etc/subuid", "/etc/subgid"] {
            let kept: String = std::fs::read_to_string(file)
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with(&format!("{name}:")))
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(file, kept).unwrap();
        }
    });
    let user = test_user();
    let images = tempfile::tempdir().unwrap();
    std::fs::set_permissions(images.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let tarball = hoody_runtime::testkit::busybox_tarball(images.path()).unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::set_permissions(data.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid", name, "--regid", "nogroup", "--clear-groups", "--"])
        .arg(user.program("hoodyd"))
        .args(["image", "import", "busybox/1"])
        .arg(&tarball)
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("subordinate") && said.contains(&format!("host-setup --user {name}")), "{said}");
}

/// Polls the container until `done` holds of it (its JSON, with runtime info), for up to `secs`.
async fn wait_for(d: &Hoodyd, id: &str, what: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
    let check = || async {
        let c = d.client.raw(reqwest::Method::GET, &format!("/containers/{id}?runtime=true"), None).await.ok()?.body;
        done(&c["data"]).then(|| c["data"].clone())
    };
    hoody_client::testkit::eventually(what, std::time::Duration::from_secs(secs), check).await
}

/// The host pid of the container's init.
fn init_pid(c: &Value) -> u32 {
    let processes = c["runtime_info"]["processes"].as_array().expect("processes");
    processes.iter().find(|p| p["pid"] == 1).expect("an init")["host_pid"].as_u64().unwrap() as u32
}

/// The default image as a person starts it (every debian/13 container of a user's engine
/// died 0.3 s in when the engine ran where a login leaves it): hoodyd started in a login of
/// the user's, as `.ci/run-app` starts the app, from wherever this test runs. debian/13 boots
/// to systemd's `running` with its init in a cgroup of its own below the user's, its console
/// kept; it stops, starts again and goes.
#[tokio::test]
async fn debian_boots_to_running_for_an_engine_started_in_a_users_login() {
    let user = test_user();
    let scratch = user.scratch();
    let d = Hoodyd::start_in_login(user, &scratch.0);
    let session = user.session_cgroup().map(|dir| dir.file_name().unwrap().to_string_lossy().into_owned());
    if let Some(session) = &session {
        assert_eq!(hoody_runtime::unified_cgroup(&d.pid.to_string()).as_deref(), Some(session.as_str()));
    }
    d.import_debian();
    let project =
        d.client.create_project(&ProjectCreate { alias: "login".into(), ..Default::default() }).await.unwrap();
    let req =
        ContainerCreate { name: Some("deb".into()), container_image: Some("debian/13".into()), ..Default::default() };
    let id = d.client.create_container(project.id.as_str(), &req).await.unwrap().id.to_string();

    for round in ["created", "started again"] {
        let c = wait_for(&d, &id, "debian running with its terminal", 60, |c| {
            assert_ne!(c["status"], "stopped", "{c}");
            c["status"] == "running" && c["urls"]["terminal-1"].is_string()
        })
        .await;
        let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
        let script = format!("{SYSTEMD_ANSWERS}systemctl is-system-running --wait; systemctl --failed --no-legend");
        let r = run(&d, &terminal, &script).await;
        let state = r["stdout"].as_str().unwrap_or_default().to_owned();
        assert!(state.starts_with("running\n") || state.starts_with("degraded\n"), "{round}: {r}");
        // Its init has a cgroup of its own in the unified tree, below the user's.
        let cgroup = hoody_runtime::unified_cgroup(&init_pid(&c).to_string()).unwrap();
        if let Some(session) = &session {
            assert!(cgroup.starts_with(&format!("{session}/{id}-")), "{round}: the init is in /{cgroup}");
        }
        // Its console is kept: systemd's greeting is there.
        let logs = d.client.raw(reqwest::Method::GET, &format!("/containers/{id}/logs"), None).await.unwrap().body;
        let console = logs["data"]["console"].as_array().unwrap().iter().filter_map(Value::as_str).collect::<Vec<_>>();
        assert!(console.iter().any(|l| l.contains("Welcome to Debian")), "{round}: {console:?}");
        assert_eq!(d.client.operate(&id, Operation::Stop).await.unwrap().status, ContainerStatus::Stopped);
        if round == "created" {
            assert_eq!(d.client.operate(&id, Operation::Start).await.unwrap().status, ContainerStatus::Running);
        }
    }
    d.client.delete_container(&id).await.unwrap();
}

/// An engine started outside every cgroup a login of the user's starts in cannot give its
/// containers cgroups of their own: it says so, with the fix, before anything is made.
#[tokio::test]
async fn an_engine_outside_the_users_cgroup_says_so_before_making_anything() {
    let user = test_user();
    if user.session_cgroup().is_none() {
        return; // systemd hands the engine a cgroup of the user's wherever it starts
    }
    let scratch = user.scratch();
    let d = Hoodyd::start_outside_login(user, &scratch.0);
    assert_ne!(
        hoody_runtime::unified_cgroup(&d.pid.to_string()).as_deref(),
        Some(format!("hoody-{}", user.name).as_str())
    );
    d.import_busybox();
    let project =
        d.client.create_project(&ProjectCreate { alias: "outside".into(), ..Default::default() }).await.unwrap();
    let req =
        ContainerCreate { name: Some("box".into()), container_image: Some("busybox/1".into()), ..Default::default() };
    let server = d.client.servers().await.unwrap()[0].id.as_str().to_owned();
    let body = serde_json::to_value(ContainerCreate { server_id: Some(server), ..req }).unwrap();
    let path = format!("/projects/{}/containers", project.id);
    let refused = d.client.raw(reqwest::Method::POST, &path, Some(&body)).await.unwrap();
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (503, Some("runtime_unavailable")),
        "{:?}",
        refused.body
    );
    let message = refused.body["message"].as_str().unwrap();
    for said in ["outside /hoody-", &format!("sudo hoodyd host-setup --user {}", user.name), "log in again"] {
        assert!(message.contains(said), "{said:?} in {message}");
    }
    assert!(d.client.list_containers("limit=200").await.unwrap().items.is_empty(), "nothing is made");
    assert!(std::fs::read_dir(scratch.0.join("runtime/containers")).map_or(true, |mut e| e.next().is_none()));
}

/// Takes an ordinary user's cgroup of the unified tree from them (to root) until dropped.
struct CgroupTaken<'a>(&'a std::path::Path, &'static hoody_client::testkit::TestUser);

impl Drop for CgroupTaken<'_> {
    fn drop(&mut self) {
        std::os::unix::fs::chown(self.0, Some(self.1.uid), Some(self.1.gid)).unwrap();
    }
}

/// A container whose systemd gives up at boot says why in systemd's own words — in the UI's
/// notice, its status log and its Console (Chromium, screenshots `ui-last-words-*`) and over
/// the API: here the user's cgroup is taken from the engine between two starts, as a host
/// that stops delegating it would (a second user, so the first one's tests go on).
#[tokio::test]
async fn a_container_whose_systemd_gives_up_says_why_in_its_own_words() {
    const WORDS: &str = "Failed to create /init.scope control group: Permission denied";
    let user = hoody_client::testkit::second_test_user();
    let Some(session) = user.session_cgroup() else { return };
    let scratch = user.scratch();
    // The UI, where the user reaches it (the checkout may be out of its reach).
    let ui_dir = scratch.0.join("ui");
    assert!(Command::new("cp").arg("-r").arg(crate::ui::ui_dist()).arg(&ui_dir).status().unwrap().success());
    let d = Hoodyd::start_as_with(user, &scratch.0, &["--ui-dir", ui_dir.to_str().unwrap()]);
    d.import_debian();
    let project =
        d.client.create_project(&ProjectCreate { alias: "words".into(), ..Default::default() }).await.unwrap();
    let req =
        ContainerCreate { name: Some("deb".into()), container_image: Some("debian/13".into()), ..Default::default() };
    let id = d.client.create_container(project.id.as_str(), &req).await.unwrap().id.to_string();
    wait_for(&d, &id, "debian running", 60, |c| c["status"] == "running").await;
    assert_eq!(d.client.operate(&id, Operation::Stop).await.unwrap().status, ContainerStatus::Stopped);

    let procs = session.join("cgroup.procs");
    std::os::unix::fs::chown(&procs, Some(0), Some(0)).unwrap();
    let taken = CgroupTaken(&procs, user);
    let token = std::fs::read_to_string(scratch.0.join("admin.token")).unwrap();
    let ui = d.client.base().trim_end_matches("/api/v1").to_owned();
    let args = [ui.as_str(), token.trim(), "deb", WORDS, &hoody_e2e::screenshots()];
    let stdout = hoody_e2e::browser_spec("last-words.mjs", &args).await;
    drop(taken);
    let notice = stdout.lines().find_map(|l| l.strip_prefix("step: notice: ")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(notice.starts_with("deb stopped on its own") && notice.contains(&format!("systemd: {WORDS}")), "{notice}");
    assert!(stdout.contains(&format!("step: console shows: {WORDS}")), "{stdout}");

    // The API says the same: the status log's reason, the console's lines.
    let reason = d.client.status_logs(&id).await.unwrap().last().and_then(|e| e.reason.clone()).unwrap_or_default();
    assert_eq!(reason, format!("stopped unexpectedly: its init exited (systemd: {WORDS})"));
    let logs = d.client.raw(reqwest::Method::GET, &format!("/containers/{id}/logs"), None).await.unwrap().body;
    assert!(logs["data"]["console"].to_string().contains(WORDS), "{logs}");

    // Its cgroup back, it runs again.
    assert_eq!(d.client.operate(&id, Operation::Start).await.unwrap().status, ContainerStatus::Running);
    wait_for(&d, &id, "debian running again", 60, |c| c["status"] == "running" && c["urls"]["terminal-1"].is_string())
        .await;
    d.client.delete_container(&id).await.unwrap();
}
