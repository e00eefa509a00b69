//! `hoodyd` run by an ordinary user, as a desktop user runs the engine: no root anywhere after
//! the one-time `hoodyd host-setup`. The user (made here with useradd) has a home of mode 0700,
//! as Debian's adduser makes it, with the data directory inside.

use crate::process::Hoodyd;
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
    let words: Vec<&str> = r["stdout"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(words, ["0", "0", &base.to_string(), "65536"], "root inside, the user's range outside: {r}");
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
    if !Command::new("id").arg(name).output().unwrap().status.success() {
        assert!(Command::new("useradd").args(["--create-home", "--no-user-group", name]).status().unwrap().success());
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
