//! The store over a real SQLite file: what it keeps survives a reopen, its rules hold inside
//! its transactions (unique names per project, unique SSH keys, project quotas, the status a
//! change expects), and the status log records each move.

use chrono::{DateTime, Duration, Utc};
use hoody_model::{
    Container, ContainerId, ContainerListQuery, ContainerStatus, PageRequest, Project, ProjectId, RealmId, ServerId,
    SortField, SortOrder, Trigger,
};
use hoody_store::{ContainerFilter, NewContainer, StatusChange, Store, StoreError};

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::seconds(seconds)
}

fn project(alias: &str, max_containers: Option<u32>) -> Project {
    Project {
        id: ProjectId::generate(),
        alias: alias.into(),
        color: None,
        max_containers,
        realm_ids: vec![],
        container_count: 0,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// The store in `dir`, and the id of the server it records as this machine.
async fn open(dir: &std::path::Path) -> (Store, ServerId) {
    let store = Store::open(dir).await.unwrap();
    let server = store.local_server("local", at(0)).await.unwrap().id;
    (store, server)
}

fn container(server: &ServerId, project: &Project, name: &str, created: i64) -> Container {
    Container {
        id: ContainerId::generate(),
        project_id: project.id.clone(),
        server_id: server.clone(),
        server_name: "local".into(),
        name: name.into(),
        status: ContainerStatus::Creating,
        error: None,
        container_image: "debian/13".into(),
        hoody_kit: true,
        dev_kit: true,
        realm_ids: vec![],
        environment_vars: Default::default(),
        ssh_public_key: None,
        color: None,
        comment: None,
        autostart: true,
        ai: true,
        cache: true,
        prespawn: false,
        ramdisk: true,
        network: true,
        nesting: false,
        source_container_id: None,
        snapshot_count: 0,
        created_at: at(created),
        updated_at: at(created),
        runtime_info: None,
        urls: Default::default(),
    }
}

fn new(c: &Container, quota: Option<u32>, ssh_key_fingerprint: Option<&str>) -> NewContainer {
    NewContainer {
        container: c.clone(),
        ssh_key_fingerprint: ssh_key_fingerprint.map(str::to_owned),
        project_quota: quota,
        trigger: Trigger::User,
    }
}

fn change(c: &Container, from: ContainerStatus, to: ContainerStatus, seconds: i64) -> StatusChange {
    StatusChange { id: c.id.clone(), from, to, error: None, reason: None, trigger: Trigger::System, at: at(seconds) }
}

#[tokio::test]
async fn what_is_stored_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (store, server) = open(dir.path()).await;
    let p = store.insert_project(&project("kept", None)).await.unwrap();
    let c = store.insert_container(&new(&container(&server, &p, "web", 1), None, None)).await.unwrap();
    let digest = store.content_digest().await.unwrap();
    store.close().await;

    let store = Store::open(dir.path()).await.unwrap();
    assert_eq!(store.content_digest().await.unwrap(), digest);
    assert_eq!(store.container(&c.id).await.unwrap().unwrap().name, "web");
    assert_eq!(store.project(&p.id).await.unwrap().unwrap().container_count, 1);
}

#[tokio::test]
async fn names_keys_and_quotas_hold_in_the_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let (store, server) = open(dir.path()).await;
    let (a, b) = (
        store.insert_project(&project("a", Some(2))).await.unwrap(),
        store.insert_project(&project("b", None)).await.unwrap(),
    );
    store.insert_container(&new(&container(&server, &a, "web", 1), Some(2), Some("SHA256:key"))).await.unwrap();
    let before = store.content_digest().await.unwrap();
    let refused = store.insert_container(&new(&container(&server, &a, "web", 2), Some(2), None)).await.unwrap_err();
    assert!(matches!(refused, StoreError::DuplicateName { ref name } if name == "web"), "{refused}");
    let refused =
        store.insert_container(&new(&container(&server, &b, "api", 3), None, Some("SHA256:key"))).await.unwrap_err();
    assert!(matches!(refused, StoreError::DuplicateSshKey), "{refused}");
    assert_eq!(store.content_digest().await.unwrap(), before, "a refused insert leaves nothing");
    // The same name in another project is another container.
    store.insert_container(&new(&container(&server, &b, "web", 4), None, None)).await.unwrap();
    store.insert_container(&new(&container(&server, &a, "db", 5), Some(2), None)).await.unwrap();
    let refused = store.insert_container(&new(&container(&server, &a, "cache", 6), Some(2), None)).await.unwrap_err();
    assert!(matches!(refused, StoreError::QuotaExceeded { max: 2, count: 2 }), "{refused}");
}

#[tokio::test]
async fn a_status_change_is_logged_and_refused_when_the_row_moved_on() {
    let dir = tempfile::tempdir().unwrap();
    let (store, server) = open(dir.path()).await;
    let p = store.insert_project(&project("moves", None)).await.unwrap();
    let c = store.insert_container(&new(&container(&server, &p, "web", 0), None, None)).await.unwrap();
    store.change_status(&change(&c, ContainerStatus::Creating, ContainerStatus::Running, 2)).await.unwrap();
    let stale = store.change_status(&change(&c, ContainerStatus::Creating, ContainerStatus::Failed, 3)).await;
    assert!(matches!(stale, Err(StoreError::StatusChanged { actual: ContainerStatus::Running })), "{stale:?}");
    assert_eq!(store.container(&c.id).await.unwrap().unwrap().status, ContainerStatus::Running);
    let logs = store.status_logs(&c.id).await.unwrap();
    let moves: Vec<_> = logs.iter().map(|l| (l.from_status, l.to_status, l.triggered_by)).collect();
    assert_eq!(
        moves,
        [
            (None, ContainerStatus::Creating, Trigger::User),
            (Some(ContainerStatus::Creating), ContainerStatus::Running, Trigger::System)
        ]
    );
    assert_eq!(logs[1].duration_ms, Some(2000), "how long it was creating");
    let missing = store
        .change_status(&change(
            &container(&server, &p, "ghost", 0),
            ContainerStatus::Creating,
            ContainerStatus::Running,
            1,
        ))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
}

#[tokio::test]
async fn lists_page_sort_and_filter_by_project_status_name_and_realm() {
    let dir = tempfile::tempdir().unwrap();
    let (store, server) = open(dir.path()).await;
    let (a, b) = (
        store.insert_project(&project("a", None)).await.unwrap(),
        store.insert_project(&project("b", None)).await.unwrap(),
    );
    let realm = RealmId::generate();
    for i in 0..5 {
        let mut c = container(&server, &a, &format!("web-{i}"), i);
        if i == 4 {
            c.realm_ids = vec![realm.clone()];
        }
        store.insert_container(&new(&c, None, None)).await.unwrap();
    }
    let db = store.insert_container(&new(&container(&server, &b, "db", 10), None, None)).await.unwrap();
    store.change_status(&change(&db, ContainerStatus::Creating, ContainerStatus::Running, 11)).await.unwrap();

    let everyone = ContainerFilter::default();
    let list = |q: ContainerListQuery| {
        let (store, everyone) = (&store, &everyone);
        async move { store.list_containers(&q, everyone).await.unwrap() }
    };
    let (page, total) =
        list(ContainerListQuery { page: PageRequest::new(Some(2), Some(4)).unwrap(), ..Default::default() }).await;
    assert_eq!((page.len(), total), (2, 6), "the second page of four");
    let (newest, _) = list(ContainerListQuery::default()).await;
    assert_eq!(newest[0].name, "db", "newest first by default");
    let by_name = ContainerListQuery { sort_by: SortField::Name, sort_order: SortOrder::Asc, ..Default::default() };
    assert_eq!(list(by_name).await.0.iter().map(|c| c.name.as_str()).collect::<Vec<_>>()[..2], ["db", "web-0"]);
    assert_eq!(list(ContainerListQuery { project_id: Some(b.id.clone()), ..Default::default() }).await.1, 1);
    assert_eq!(list(ContainerListQuery { status: Some(ContainerStatus::Running), ..Default::default() }).await.1, 1);
    assert_eq!(list(ContainerListQuery { name: Some("WEB".into()), ..Default::default() }).await.1, 5);
    assert_eq!(list(ContainerListQuery { realm_id: Some(realm.clone()), ..Default::default() }).await.1, 1);
    // A realm-scoped caller sees its realm's containers only.
    let scoped = ContainerFilter { visible: Some(hoody_store::Visible { realms: vec![realm], projects: Vec::new() }) };
    let (seen, total) = store.list_containers(&ContainerListQuery::default(), &scoped).await.unwrap();
    assert_eq!((seen.len(), total, seen[0].name.as_str()), (1, 1, "web-4"));
}
