use super::{Local, admin, assert_clean, in_container, runtime_config, start_engine};
use hoody_model::{ContainerCreate, ContainerStatus, Operation};
use hoody_runtime::LocalRuntime;
use std::collections::BTreeSet;
use std::sync::Arc;

async fn pool_slots(runtime: &LocalRuntime) -> BTreeSet<String> {
    runtime.runc_ids().await.unwrap().into_iter().filter(|id| id.starts_with("pool-")).collect()
}

fn uts_hostname(pid: u32) -> String {
    let out = std::process::Command::new("nsenter").args(["-t", &pid.to_string(), "-u", "hostname"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn creates_claim_warm_containers_and_the_pool_refills() {
    let mut local = Local::with(|config| config.prespawn = vec![("busybox/1".into(), 2)]).await;
    local.engine.settle().await;
    let warm = pool_slots(&local.runtime).await;
    assert_eq!(warm.len(), 2, "the pool fills at start");

    // A claim answers with a running container, no background work needed.
    let server_id = Some(local.engine.server_id().as_str().to_owned());
    let req = ContainerCreate {
        name: Some("fast".into()),
        container_image: Some("busybox/1".into()),
        server_id: server_id.clone(),
        ..Default::default()
    };
    let c = local.engine.create_container(&admin(), &local.project, req).await.unwrap();
    assert_eq!(c.status, ContainerStatus::Running, "{:?}", c.error);
    let slot = local.runtime.slot(&c.id);
    assert!(warm.contains(&slot), "{slot} came from the pool");
    let log: Vec<_> = local.engine.status_logs(&admin(), &c.id).await.unwrap().iter().map(|l| l.to_status).collect();
    assert_eq!(log, [ContainerStatus::Claiming, ContainerStatus::Running]);
    let pid = local.init_pid(&c.id).await;
    assert_eq!(uts_hostname(pid), "fast");
    assert_eq!(std::fs::read_to_string(in_container(pid, "/etc/hostname")).unwrap(), "fast\n");

    // It is a container like any other: restart keeps its files and name.
    std::fs::write(in_container(pid, "/root/note"), "warm").unwrap();
    local.engine.operate(&admin(), &c.id, Operation::Restart).await.unwrap();
    let pid = local.init_pid(&c.id).await;
    assert_eq!(std::fs::read_to_string(in_container(pid, "/root/note")).unwrap(), "warm");
    assert_eq!(uts_hostname(pid), "fast");

    // Environment variables and bypass_prespawn take the regular path.
    let env = [("A".to_owned(), "1".to_owned())].into_iter().collect();
    let with_env = ContainerCreate {
        name: Some("own-env".into()),
        container_image: Some("busybox/1".into()),
        environment_vars: Some(env),
        server_id: server_id.clone(),
        ..Default::default()
    };
    let c2 = local.engine.create_container(&admin(), &local.project, with_env).await.unwrap();
    assert_eq!(c2.status, ContainerStatus::Creating);
    let bypass = ContainerCreate {
        name: Some("bypass".into()),
        container_image: Some("busybox/1".into()),
        bypass_prespawn: Some(true),
        server_id,
        ..Default::default()
    };
    let c3 = local.engine.create_container(&admin(), &local.project, bypass).await.unwrap();
    assert_eq!(c3.status, ContainerStatus::Creating);
    local.engine.settle().await;
    assert_eq!(pool_slots(&local.runtime).await.len(), 3, "one claimed slot and a full pool of two");

    // A restart of the engine adopts the warm slots instead of booting new ones.
    let before = pool_slots(&local.runtime).await;
    local.engine.shutdown().await;
    let data = local.data_dir();
    let mut config = runtime_config(&data);
    config.prespawn = vec![("busybox/1".into(), 2)];
    let runtime = Arc::new(LocalRuntime::new(config));
    local.engine = start_engine(&data, runtime.clone()).await;
    local.engine.settle().await;
    assert_eq!(pool_slots(&runtime).await, before);
    local.runtime = runtime;

    // Deleting a claimed container removes its slot; draining removes the rest.
    local.engine.delete_container(&admin(), &c.id).await.unwrap();
    assert_clean(&local.runtime, &local.data_dir(), &c.id).await;
    assert!(!local.runtime.layout().slot(&slot).exists());
    assert!(!pool_slots(&local.runtime).await.contains(&slot));
    local.delete_all_and_check_clean().await;
    local.runtime.drain_pools().await.unwrap();
    assert!(pool_slots(&local.runtime).await.is_empty());
    assert!(hoody_runtime::mount_points_under(&local.data_dir()).is_empty());
}
