//! The declaration's two implementations answer alike: this machine's engine called directly
//! (`LocalServer`) and the same engine through its REST API (`Remote(HoodyClient)`).

use crate::common::*;
use hoody_engine::Principal;
use hoody_engine::server::{ContainerView, ImageFilter, LocalServer, Remote, Server};
use hoody_model::{
    ContainerCreate, ContainerId, ContainerListQuery, ContainerStatus, ContainerUpdate, ErrorCode, Operation,
    PageRequest, ProjectCreate, ProjectUpdate, RealmCreate, SnapshotCreate, TokenCreate, TokenId,
};
use std::time::Duration;

/// One lifecycle through `server`, checking each answer; `tag` keeps names apart.
async fn lifecycle(server: &dyn Server, tag: &str) {
    let project = server
        .create_project((), ProjectCreate { alias: format!("{tag}-project"), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(server.get_project(project.id.clone(), (), ()).await.unwrap().id, project.id);
    let server_id = server.servers((), ()).await.unwrap()[0].id.as_str().to_owned();
    let req = ContainerCreate {
        name: Some(format!("{tag}-web")),
        container_image: Some(IMAGE.into()),
        server_id: Some(server_id),
        ..Default::default()
    };
    let id = server.create_container(project.id.clone(), (), req).await.unwrap().id;
    settle(server, &id).await;
    let running = server.get_container(id.clone(), ContainerView::default(), ()).await.unwrap();
    assert_eq!(running.status, ContainerStatus::Running, "{:?}", running.error);
    let with_runtime = server.get_container(id.clone(), ContainerView { with_runtime: true }, ()).await.unwrap();
    assert!(with_runtime.runtime_info.is_some());

    let query = ContainerListQuery { project_id: Some(project.id.clone()), ..Default::default() };
    let page = server.list_containers(query.clone(), ()).await.unwrap();
    assert_eq!((page.items.len(), page.pagination.total), (1, 1));
    let in_project =
        server.list_project_containers(project.id.clone(), ContainerListQuery::default(), ()).await.unwrap();
    assert_eq!(in_project.items[0].id, id);
    let projects = server.list_projects(PageRequest::new(None, Some(200)).unwrap(), ()).await.unwrap();
    assert!(projects.items.iter().any(|p| p.id == project.id));

    assert_eq!(server.operate(id.clone(), Operation::Pause, (), ()).await.unwrap().status, ContainerStatus::Paused);
    assert_eq!(server.operate(id.clone(), Operation::Resume, (), ()).await.unwrap().status, ContainerStatus::Running);
    assert!(server.container_stats(id.clone(), (), ()).await.unwrap().processes.iter().any(|p| p.pid == 1));
    server.operate(id.clone(), Operation::ForceStop, (), ()).await.unwrap();
    let rename = ContainerUpdate { name: Some(format!("{tag}-renamed")), ..Default::default() };
    assert_eq!(server.update_container(id.clone(), (), rename).await.unwrap().name, format!("{tag}-renamed"));
    let copy = server.copy_container(id.clone(), (), Default::default()).await.unwrap();
    assert_eq!(copy.source_container_id.as_ref(), Some(&id));
    let alias = "v1.0_before-update".to_owned();
    let snapshot = server
        .create_snapshot(id.clone(), (), SnapshotCreate { alias: Some(alias.clone()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(server.list_snapshots(id.clone(), (), ()).await.unwrap().items[0].id, snapshot.id);
    assert_eq!(server.restore_snapshot(id.clone(), alias.clone(), (), ()).await.unwrap().id, id);
    assert_eq!(server.delete_snapshot(id.clone(), alias, (), ()).await.unwrap().id, snapshot.id);
    let logs = server.status_logs(id.clone(), (), ()).await.unwrap();
    assert!(logs.iter().any(|l| l.to_status == ContainerStatus::Paused));
    assert!(
        server
            .images(ImageFilter { os: Some("BUSYBOX".into()) }, ())
            .await
            .unwrap()
            .items
            .iter()
            .any(|i| i.alias == IMAGE)
    );
    let servers = server.servers((), ()).await.unwrap();
    assert_eq!(server.get_server(servers[0].id.clone(), (), ()).await.unwrap().id, servers[0].id);

    // A refusal keeps its code.
    let bad = ContainerCreate { name: Some("ab".into()), ..Default::default() };
    let e = server.create_container(project.id.clone(), (), bad).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidName, "{e}");
    assert!(e.to_string().contains("3-100 characters"), "{e}");
    assert_eq!(server.delete_container(id.clone(), (), ()).await.unwrap().status, ContainerStatus::Deleted);
    let e = server.get_container(id, ContainerView::default(), ()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "{e}");

    let realm = server.create_realm((), RealmCreate { name: format!("{tag}-realm") }).await.unwrap();
    assert!(server.realms((), ()).await.unwrap().iter().any(|r| r.id == realm.id));
    let token =
        TokenCreate { name: Some(tag.into()), realm_ids: Some(vec![realm.id.to_string()]), ..Default::default() };
    assert_eq!(server.create_token((), token).await.unwrap().info.realm_ids, vec![realm.id]);
    assert_eq!(server.rentals((), ()).await.unwrap().len(), 1);
    let recolour: ProjectUpdate = serde_json::from_value(serde_json::json!({"color": "#abcdef"})).unwrap();
    assert_eq!(
        server.update_project(project.id.clone(), (), recolour).await.unwrap().color.as_deref(),
        Some("#abcdef")
    );
    settle(server, &copy.id).await;
    assert_eq!(server.delete_project(project.id.clone(), (), ()).await.unwrap().id, project.id);
}

/// Waits until a container leaves its transitional state.
async fn settle(server: &dyn Server, id: &ContainerId) {
    let settled = || async {
        let c = server.get_container(id.clone(), ContainerView::default(), ()).await.unwrap();
        (!c.status.is_transitional()).then_some(())
    };
    hoody_client::testkit::eventually(&format!("{id} settling"), Duration::from_secs(30), settled).await
}

#[tokio::test]
async fn the_engine_and_its_rest_api_answer_each_operation_alike() {
    let s = TestServer::start().await;
    let local = LocalServer::new(s.engine.clone(), Principal::unrestricted(TokenId::generate()));
    lifecycle(&local, "local").await;
    lifecycle(&Remote(s.client.clone()), "remote").await;
}

#[tokio::test]
async fn a_server_that_does_not_answer_says_so_with_a_code() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port(); // closed again
    let gone = Remote(hoody_client::HoodyClient::new(format!("http://127.0.0.1:{port}"), Some("t".into())));
    let e = gone.rentals((), ()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::RuntimeUnavailable, "{e}");
    assert!(e.to_string().contains("does not answer"), "{e}");
}
