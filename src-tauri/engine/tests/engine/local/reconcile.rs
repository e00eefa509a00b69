use super::{Local, admin, runtime_config, start_engine};
use hoody_model::{ContainerStatus, Operation, Trigger};
use hoody_runtime::LocalRuntime;
use std::sync::Arc;

#[tokio::test]
async fn containers_outlive_the_engine_and_reconcile_on_its_restart() {
    let mut local = Local::new().await;
    let who = admin();
    let stays = local.create("stays", |_| {}).await;
    let dies = local.create("dies", |_| {}).await;
    let paused = local.create("paused", |_| {}).await;
    local.engine.operate(&who, &paused.id, Operation::Pause).await.unwrap();
    let stays_pid = local.init_pid(&stays.id).await;
    let dies_pid = local.init_pid(&dies.id).await;
    local.engine.shutdown().await;

    // While the engine is away, one container's init is killed.
    kill(dies_pid);
    let data = local.data_dir();
    let runtime = Arc::new(LocalRuntime::new(runtime_config(&data)));
    let engine = start_engine(&data, runtime).await;
    let get = |id| {
        let engine = engine.clone();
        async move { engine.container(&admin(), &id).await.unwrap() }
    };
    assert_eq!(get(stays.id.clone()).await.status, ContainerStatus::Running);
    let c = engine.container_with_runtime(&who, &stays.id).await.unwrap();
    assert_eq!(c.runtime_info.unwrap().processes[0].host_pid, stays_pid, "the same init, never restarted");
    assert_eq!(get(dies.id.clone()).await.status, ContainerStatus::Stopped);
    assert_eq!(get(paused.id.clone()).await.status, ContainerStatus::Paused);
    let last = engine.status_logs(&who, &dies.id).await.unwrap().pop().unwrap();
    assert_eq!((last.to_status, last.triggered_by), (ContainerStatus::Stopped, Trigger::Reconcile));
    // Reconciled containers work as usual.
    engine.operate(&who, &dies.id, Operation::Start).await.unwrap();
    engine.operate(&who, &paused.id, Operation::Resume).await.unwrap();
    engine.shutdown().await;

    local.engine = start_engine(&data, Arc::new(LocalRuntime::new(runtime_config(&data)))).await;
    local.delete_all_and_check_clean().await;
}

#[tokio::test]
async fn after_a_host_reboot_autostart_containers_start_again() {
    let mut local = Local::new().await;
    let auto = local.create("auto", |r| r.autostart = Some(true)).await;
    let manual = local.create("manual", |r| r.autostart = Some(false)).await;
    let pids = [local.init_pid(&auto.id).await, local.init_pid(&manual.id).await];
    local.engine.shutdown().await;

    // A reboot: every container process is gone, the runtime's /run state too, and the boot id
    // is new.
    for pid in pids {
        kill(pid);
    }
    let data = local.data_dir();
    std::fs::remove_dir_all(local.runtime.layout().runc_root()).unwrap();
    for c in [&auto, &manual] {
        hoody_runtime::testkit::unmount_after_reboot(&local.runtime, &c.id);
    }
    std::fs::write(local.runtime.layout().boot_marker(), "an-earlier-boot\n").unwrap();
    let runtime = Arc::new(LocalRuntime::new(runtime_config(&data)));
    assert!(hoody_engine::ContainerRuntime::host_rebooted(runtime.as_ref()));
    let engine = start_engine(&data, runtime).await;

    let auto_now = engine.container(&admin(), &auto.id).await.unwrap();
    assert_eq!(auto_now.status, ContainerStatus::Running, "{:?}", auto_now.error);
    let last = engine.status_logs(&admin(), &auto.id).await.unwrap().pop().unwrap();
    assert_eq!(last.triggered_by, Trigger::Autostart);
    assert_eq!(engine.container(&admin(), &manual.id).await.unwrap().status, ContainerStatus::Stopped);
    local.engine = engine;
    local.delete_all_and_check_clean().await;
}

fn kill(pid: u32) {
    let status = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    assert!(status.success());
    for _ in 0..200 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if stat.is_empty() || stat.contains(") Z") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("pid {pid} survived SIGKILL");
}

#[tokio::test]
async fn a_crash_mid_stop_leaves_nothing_behind_after_restart() {
    let mut local = Local::new().await;
    let c = local.create("halfway", |_| {}).await;
    local.engine.operate(&admin(), &c.id, Operation::Stop).await.unwrap();
    // What a crash between runc delete and the unmount leaves: the root still mounted.
    let bundle = local.runtime.layout().container(&c.id);
    let image = local.runtime.image_store().resolve("busybox/1").unwrap();
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        local.runtime.layout().image(&image).join("rootfs").display(),
        bundle.join("upper").display(),
        bundle.join("work").display()
    );
    let mounted = std::process::Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &options])
        .arg(bundle.join("rootfs"))
        .status()
        .unwrap();
    assert!(mounted.success());
    local.engine.shutdown().await;

    let data = local.data_dir();
    local.engine = start_engine(&data, Arc::new(LocalRuntime::new(runtime_config(&data)))).await;
    assert_eq!(local.get(&c.id).await.status, ContainerStatus::Stopped);
    assert!(hoody_runtime::mount_points_under(&data).is_empty(), "the leftover mount is gone");
    local.delete_all_and_check_clean().await;
}

#[tokio::test]
async fn a_container_the_runtime_cannot_read_does_not_keep_the_engine_from_starting() {
    let mut local = Local::new().await;
    let fine = local.create("fine", |_| {}).await;
    let unreadable = local.create("unreadable", |_| {}).await;
    local.engine.operate(&admin(), &unreadable.id, Operation::Stop).await.unwrap();
    local.engine.shutdown().await;
    // runc state fails on it: its state file is not runc's.
    let state_dir = local.runtime.layout().runc_root().join(unreadable.id.as_str());
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::write(state_dir.join("state.json"), "not json").unwrap();

    let data = local.data_dir();
    local.engine = start_engine(&data, Arc::new(LocalRuntime::new(runtime_config(&data)))).await;
    assert_eq!(local.get(&fine.id).await.status, ContainerStatus::Running);
    assert_eq!(local.get(&unreadable.id).await.status, ContainerStatus::Stopped, "left as it was");
    let refused = local.engine.operate(&admin(), &unreadable.id, Operation::Start).await.unwrap_err();
    assert!(refused.to_string().contains("runc state"), "{refused}");

    std::fs::remove_dir_all(&state_dir).unwrap();
    local.delete_all_and_check_clean().await;
}
