use super::{Local, admin, assert_clean, eventually, in_container};
use hoody_model::{ContainerStatus, ErrorCode, Operation};
use std::collections::BTreeMap;

#[tokio::test]
async fn a_busybox_container_through_its_whole_lifecycle() {
    let local = Local::new().await;
    let env = BTreeMap::from([("GREETING".to_owned(), "hello world".to_owned())]);
    let c = local.create("web-1", |r| r.environment_vars = Some(env.clone().into_iter().collect())).await;
    assert_eq!(c.status, ContainerStatus::Running, "{:?}", c.error);

    // Its own init as PID 1, its hostname, its environment, its web server on 8080.
    let with_info = local.engine.container_with_runtime(&admin(), &c.id).await.unwrap();
    let info = with_info.runtime_info.unwrap();
    let init = info.processes.iter().find(|p| p.pid == 1).expect("pid 1");
    assert!(init.command.ends_with("init"), "{}", init.command);
    let pid = init.host_pid;
    let listening = || async { local.engine.stats(&admin(), &c.id).await.unwrap().listening_ports.contains(&8080) };
    eventually("httpd listening on 8080", listening).await;
    let page = in_container(pid, "/var/www/index.html");
    let own_name = || async { std::fs::read_to_string(&page).is_ok_and(|p| p.trim() == "hello from web-1") };
    eventually("the page its rc script writes with its hostname", own_name).await;
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    assert!(String::from_utf8_lossy(&environ).split('\0').any(|v| v == "GREETING=hello world"));
    let environment = std::fs::read_to_string(in_container(pid, "/etc/environment")).unwrap();
    assert!(environment.contains("GREETING=\"hello world\""), "{environment}");
    // Own namespaces: none shared with the host.
    for ns in ["pid", "net", "mnt", "uts", "ipc"] {
        let host = std::fs::read_link(format!("/proc/self/ns/{ns}")).unwrap();
        let theirs = std::fs::read_link(format!("/proc/{pid}/ns/{ns}")).unwrap();
        assert_ne!(host, theirs, "{ns} namespace is shared with the host");
    }
    // No kernel key is made for it: every container of the range shares its host root uid, whose
    // key quota would otherwise run out when containers come and go quickly.
    let host_root = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
    let host_root = host_root.split_whitespace().nth(1).unwrap().to_owned();
    let key_users = std::fs::read_to_string("/proc/key-users").unwrap();
    let owner = format!("{host_root}:");
    assert!(!key_users.lines().any(|l| l.trim_start().starts_with(&owner)), "{host_root} owns keys:\n{key_users}");
    // What its init writes to its console is its log; busybox has no journal, and says so.
    use std::io::Write;
    let mut console = std::fs::OpenOptions::new().append(true).open(format!("/proc/{pid}/fd/1")).unwrap();
    console.write_all(b"\x1b[1mwritten to the console\x1b[0m\n").unwrap();
    // The console's keeper writes the log as it reads the console: a moment later.
    let logged = || async {
        let logs = local.engine.logs(&admin(), &c.id, 20).await.unwrap();
        logs.console.last().map(String::as_str) == Some("written to the console")
    };
    eventually("the console's line in its log", logged).await;
    let logs = local.engine.logs(&admin(), &c.id, 20).await.unwrap();
    assert!(logs.journal.is_none() && logs.journal_missing.unwrap().contains("not systemd"));
    let stats = local.engine.stats(&admin(), &c.id).await.unwrap();
    assert!(stats.memory_bytes > 0 && stats.cpu_usage_ns > 0, "{stats:?}");

    // Pause freezes every process; resume thaws them.
    let who = admin();
    assert_eq!(local.engine.operate(&who, &c.id, Operation::Pause).await.unwrap().status, ContainerStatus::Paused);
    assert!(freezer_state(pid).contains("FROZEN"), "{}", freezer_state(pid));
    assert_eq!(local.engine.operate(&who, &c.id, Operation::Resume).await.unwrap().status, ContainerStatus::Running);
    assert!(freezer_state(pid).contains("THAWED"));

    // A graceful stop: busybox init halts on its own signal, inside the grace period.
    assert_eq!(local.engine.operate(&who, &c.id, Operation::Stop).await.unwrap().status, ContainerStatus::Stopped);
    assert_eq!(last_reason(&local, &c.id).await.as_deref(), Some("its init halted on its signal"));
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists() || process_state(pid) == 'Z');
    assert!(hoody_runtime::mount_points_under(&local.data_dir()).is_empty(), "a stopped container holds no mount");
    assert!(local.runtime.runc_ids().await.unwrap().is_empty(), "a stopped container holds no runc state");

    // Start, restart and force-stop; each start is a new init.
    assert_eq!(local.engine.operate(&who, &c.id, Operation::Start).await.unwrap().status, ContainerStatus::Running);
    let second = local.init_pid(&c.id).await;
    // The console of the start before is kept beside this one's (and only that one).
    let logs = local.engine.logs(&admin(), &c.id, 1000).await.unwrap();
    assert!(logs.console.iter().any(|l| l == "written to the console"), "{logs:?}");
    assert_ne!(second, pid);
    assert_eq!(local.engine.operate(&who, &c.id, Operation::Restart).await.unwrap().status, ContainerStatus::Running);
    let third = local.init_pid(&c.id).await;
    assert_ne!(third, second);
    // Files written inside survive a restart (they live in the container's own layer).
    std::fs::write(in_container(third, "/root/note"), "kept").unwrap();
    assert_eq!(local.engine.operate(&who, &c.id, Operation::ForceStop).await.unwrap().status, ContainerStatus::Stopped);
    assert_eq!(last_reason(&local, &c.id).await.as_deref(), Some("killed at once (force-stop)"));
    local.engine.operate(&who, &c.id, Operation::Start).await.unwrap();
    let fourth = local.init_pid(&c.id).await;
    assert_eq!(std::fs::read_to_string(in_container(fourth, "/root/note")).unwrap(), "kept");

    let log: Vec<_> = local.engine.status_logs(&who, &c.id).await.unwrap().iter().map(|l| l.to_status).collect();
    use ContainerStatus::*;
    let expected = [Creating, Running, Paused, Running, Stopped, Running, Running, Stopped, Running];
    assert_eq!(log, expected);

    // Delete stops it first and leaves nothing behind.
    let deleted = local.engine.delete_container(&who, &c.id).await.unwrap();
    assert_eq!(deleted.status, ContainerStatus::Deleted);
    assert_clean(&local.runtime, &local.data_dir(), &c.id).await;
}

#[tokio::test]
async fn an_unknown_image_fails_creation_with_the_reason() {
    let local = Local::new().await;
    let c = local.create("nowhere", |r| r.container_image = Some("fedora/39".into())).await;
    assert_eq!(c.status, ContainerStatus::Failed);
    let error = c.error.unwrap();
    assert!(error.contains("image fedora/39 is not in this server's image store"), "{error}");
    // A failed container can only be deleted, and deleting it leaves nothing.
    let e = local.engine.operate(&admin(), &c.id, Operation::Start).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongState);
    local.engine.delete_container(&admin(), &c.id).await.unwrap();
    assert_clean(&local.runtime, &local.data_dir(), &c.id).await;
}

#[tokio::test]
async fn ramdisk_survives_restarts_and_only_ramdisk_containers_have_one() {
    let local = Local::new().await;
    let with = local.create("with-ramdisk", |r| r.ramdisk = Some(true)).await;
    let without = local.create("without-ramdisk", |r| r.ramdisk = Some(false)).await;
    let pid = local.init_pid(&with.id).await;
    std::fs::write(in_container(pid, "/ramdisk/scratch"), "fast").unwrap();
    let mounts = std::fs::read_to_string(format!("/proc/{pid}/mounts")).unwrap();
    assert!(mounts.lines().any(|l| l.contains(" /ramdisk tmpfs ")), "{mounts}");
    let other = local.init_pid(&without.id).await;
    let mounts = std::fs::read_to_string(format!("/proc/{other}/mounts")).unwrap();
    assert!(!mounts.contains(" /ramdisk "), "{mounts}");

    local.engine.operate(&admin(), &with.id, Operation::Restart).await.unwrap();
    let pid = local.init_pid(&with.id).await;
    assert_eq!(std::fs::read_to_string(in_container(pid, "/ramdisk/scratch")).unwrap(), "fast");
    // The data is in RAM on the host, not in the container's layer (gone after a host reboot).
    let layer = local.runtime.layout().container(&with.id).join("upper/ramdisk/scratch");
    assert!(!layer.exists());
    local.delete_all_and_check_clean().await;
}

#[tokio::test]
async fn limits_hold() {
    let local = Local::new().await;
    let c = local.create("limited", |_| {}).await;
    let pid = local.init_pid(&c.id).await;
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let memory_path =
        cgroup.lines().find_map(|l| l.strip_prefix(&format!("{}:memory:", memory_index(&cgroup)))).unwrap();
    let limit = std::fs::read_to_string(format!("/sys/fs/cgroup/memory{memory_path}/memory.limit_in_bytes")).unwrap();
    assert_eq!(limit.trim().parse::<u64>().unwrap(), 2 << 30);
    let pids_path = memory_path; // one cgroup path for every controller
    let pids = std::fs::read_to_string(format!("/sys/fs/cgroup/pids{pids_path}/pids.max")).unwrap();
    assert_eq!(pids.trim(), "4096");
    local.delete_all_and_check_clean().await;
}

fn memory_index(cgroup: &str) -> String {
    cgroup.lines().find(|l| l.contains(":memory:")).and_then(|l| l.split(':').next()).unwrap().to_owned()
}

fn process_state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next()).unwrap_or('?')
}

fn freezer_state(pid: u32) -> String {
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let path = cgroup.lines().find_map(|l| l.split_once(":freezer:").map(|(_, p)| p.to_owned())).unwrap();
    std::fs::read_to_string(format!("/sys/fs/cgroup/freezer{path}/freezer.state")).unwrap()
}

/// The reason the status log gives for the container's last move.
async fn last_reason(local: &Local, id: &hoody_model::ContainerId) -> Option<String> {
    local.engine.status_logs(&admin(), id).await.unwrap().pop().and_then(|entry| entry.reason)
}

#[tokio::test]
async fn a_stop_that_outlasts_the_grace_period_kills_and_says_so() {
    // busybox's init takes seconds over its halt (it tries a reboot a container may not do).
    let local = Local::with(|config| config.stop_grace = std::time::Duration::from_millis(200)).await;
    let c = local.create("impatient", |_| {}).await;
    assert_eq!(c.status, ContainerStatus::Running, "{:?}", c.error);
    let pid = local.init_pid(&c.id).await;
    assert_eq!(local.engine.operate(&admin(), &c.id, Operation::Stop).await.unwrap().status, ContainerStatus::Stopped);
    assert_eq!(
        last_reason(&local, &c.id).await.as_deref(),
        Some("killed: its init did not halt within the 200 ms grace period")
    );
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists() || process_state(pid) == 'Z');
    local.delete_all_and_check_clean().await;
}
