use super::{Local, admin, assert_clean, eventually, in_container};
use hoody_model::{ContainerStatus, ErrorCode, Operation, SnapshotCreate};

fn alias(name: &str) -> SnapshotCreate {
    SnapshotCreate { alias: Some(name.into()), expiry_days: None }
}

#[tokio::test]
async fn snapshot_restore_delete_and_expiry() {
    let local = Local::new().await;
    let who = admin();
    let c = local.create("snappy", |_| {}).await;
    let pid = local.init_pid(&c.id).await;
    std::fs::write(in_container(pid, "/root/data"), "version 1").unwrap();

    // A snapshot of a running container (frozen while its layer is copied).
    let s1 = local.engine.create_snapshot(&who, &c.id, alias("v1")).await.unwrap();
    assert!(s1.size_bytes > 0);
    assert_eq!(local.get(&c.id).await.status, ContainerStatus::Running);
    let dup = local.engine.create_snapshot(&who, &c.id, alias("v1")).await.unwrap_err();
    assert_eq!(dup.code(), ErrorCode::DuplicateName);
    let bad = local.engine.create_snapshot(&who, &c.id, alias("../etc")).await.unwrap_err();
    assert_eq!(bad.code(), ErrorCode::InvalidField);

    std::fs::write(in_container(pid, "/root/data"), "version 2").unwrap();
    std::fs::write(in_container(pid, "/root/later"), "new file").unwrap();
    let e = local.engine.restore_snapshot(&who, &c.id, "v1").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ContainerMustBeStopped);
    local.engine.operate(&who, &c.id, Operation::Stop).await.unwrap();
    local.engine.restore_snapshot(&who, &c.id, "v1").await.unwrap();
    local.engine.operate(&who, &c.id, Operation::Start).await.unwrap();
    let pid = local.init_pid(&c.id).await;
    assert_eq!(std::fs::read_to_string(in_container(pid, "/root/data")).unwrap(), "version 1");
    assert!(!in_container(pid, "/root/later").exists(), "files made after the snapshot are gone");
    assert_eq!(local.get(&c.id).await.snapshot_count, 1);

    // Expiry: a snapshot kept for one day is gone once a day has passed.
    let short = SnapshotCreate { alias: Some("short".into()), expiry_days: Some(1) };
    let s2 = local.engine.create_snapshot(&who, &c.id, short).await.unwrap();
    assert!(s2.expires_at.is_some());
    assert_eq!(local.engine.expire_snapshots().await.unwrap(), 0);
    let later = chrono::Utc::now() + chrono::Duration::days(1) + chrono::Duration::seconds(1);
    assert_eq!(local.engine.expire_snapshots_at(later).await.unwrap(), 1);
    let names: Vec<_> = local.engine.snapshots(&who, &c.id).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["v1"]);
    assert!(!local.runtime.layout().snapshot(&s2.id).exists());

    // Snapshots survive the container's deletion.
    local.engine.delete_container(&who, &c.id).await.unwrap();
    assert_clean(&local.runtime, &local.data_dir(), &c.id).await;
    assert_eq!(local.engine.snapshots(&who, &c.id).await.unwrap().len(), 1);
    assert!(local.runtime.layout().snapshot(&s1.id).join("upper/root/data").exists());
    let gone = local.engine.delete_snapshot(&who, &c.id, "v1").await.unwrap();
    assert_eq!(gone.id, s1.id);
    assert!(!local.runtime.layout().snapshot(&s1.id).exists());
    let e = local.engine.delete_snapshot(&who, &c.id, "v1").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn a_copy_runs_with_the_source_files_and_outlives_its_source() {
    let local = Local::new().await;
    let who = admin();
    let source = local.create("origin", |r| r.color = Some("#ff0000".into())).await;
    let pid = local.init_pid(&source.id).await;
    std::fs::write(in_container(pid, "/root/data"), "copied").unwrap();

    let mut events = local.engine.subscribe();
    let copy = local.engine.copy_container(&who, &source.id, Default::default()).await.unwrap();
    assert_eq!(copy.status, ContainerStatus::Copying);
    assert_eq!(copy.name, "origin-copy");
    assert_eq!(copy.source_container_id.as_ref(), Some(&source.id));
    local.engine.settle().await;
    let copy = local.get(&copy.id).await;
    assert_eq!(copy.status, ContainerStatus::Running, "{:?}", copy.error);
    assert_eq!(copy.color.as_deref(), Some("#ff0000"));
    // The copy said how far it got, ending with every byte of the source's layer.
    // (Reports reach subscribers through a task of their own, so they are waited for.)
    let finished = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let e = events.recv().await.unwrap();
            if e.container_id == copy.id && e.kind == hoody_model::EventKind::Progress {
                let p = e.progress.unwrap();
                if p.done == p.total {
                    return p;
                }
            }
        }
    })
    .await
    .expect("a final progress report of the copy");
    assert_eq!(finished.stage, "copying files");
    assert!(finished.total >= "copied".len() as u64, "{finished:?}");
    let copy_pid = local.init_pid(&copy.id).await;
    assert_eq!(std::fs::read_to_string(in_container(copy_pid, "/root/data")).unwrap(), "copied");
    // The copy's own boot rewrites the page with its own hostname.
    let page = in_container(copy_pid, "/var/www/index.html");
    let own_name = || async { std::fs::read_to_string(&page).is_ok_and(|p| p.trim() == "hello from origin-copy") };
    eventually("the copy's page with its own hostname", own_name).await;
    assert_eq!(local.get(&source.id).await.status, ContainerStatus::Running, "the source runs on");

    // A stopped source gives a stopped copy; names do not collide.
    local.engine.operate(&who, &source.id, Operation::Stop).await.unwrap();
    let second = local.engine.copy_container(&who, &source.id, Default::default()).await.unwrap();
    assert_eq!(second.name, "origin-copy-2");
    local.engine.settle().await;
    assert_eq!(local.get(&second.id).await.status, ContainerStatus::Stopped);

    // Deleting the source leaves the copies as they are, with the link broken.
    local.engine.delete_container(&who, &source.id).await.unwrap();
    assert_clean(&local.runtime, &local.data_dir(), &source.id).await;
    let copy = local.get(&copy.id).await;
    assert_eq!(copy.status, ContainerStatus::Running);
    assert_eq!(copy.source_container_id, None);
    assert_eq!(std::fs::read_to_string(in_container(copy_pid, "/root/data")).unwrap(), "copied");
    local.delete_all_and_check_clean().await;
}
