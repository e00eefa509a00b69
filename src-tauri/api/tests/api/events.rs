use crate::common::*;
use hoody_model::{ContainerStatus, EventKind, TokenCreate};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn events_stream_status_changes_to_those_who_may_see_them() {
    let s = TestServer::start().await;
    let realm = s.client.create_realm("watched").await.unwrap();
    let token = s
        .client
        .create_token(&TokenCreate { name: None, realm_ids: Some(vec![realm.id.to_string()]), ..Default::default() })
        .await
        .unwrap();
    let mut admin_events = s.client.events().await.unwrap();
    let mut realm_events = s.client.with_token(Some(token.token)).events().await.unwrap();

    let outside = s.project("outside").await;
    let inside = s
        .client
        .create_project(&serde_json::from_value(json!({"alias": "in", "realm_ids": [realm.id]})).unwrap())
        .await
        .unwrap();
    let hidden = s.container(&outside, create(json!({"name": "hidden"}))).await;
    let seen = s.container(&inside, create(json!({"name": "seen", "realm_ids": [realm.id]}))).await;

    let mut got = Vec::new();
    for _ in 0..4 {
        let e = next_event(&mut admin_events).await;
        got.push((e.container_id.clone(), e.from, e.to));
    }
    assert_eq!(
        got,
        vec![
            (hidden.id.clone(), None, ContainerStatus::Creating),
            (hidden.id.clone(), Some(ContainerStatus::Creating), ContainerStatus::Running),
            (seen.id.clone(), None, ContainerStatus::Creating),
            (seen.id.clone(), Some(ContainerStatus::Creating), ContainerStatus::Running),
        ]
    );
    // The realm token's first event is about its own container: the other was filtered out.
    let first = next_event(&mut realm_events).await;
    assert_eq!(
        (first.container_id, first.kind, first.to),
        (seen.id.clone(), EventKind::Status, ContainerStatus::Creating)
    );
    assert_eq!(next_event(&mut realm_events).await.to, ContainerStatus::Running);
    s.client.delete_container(seen.id.as_str()).await.unwrap();
    assert_eq!(next_event(&mut realm_events).await.to, ContainerStatus::Deleting);
    assert_eq!(next_event(&mut realm_events).await.to, ContainerStatus::Deleted);
}

async fn next_event(stream: &mut hoody_client::EventStream) -> hoody_model::ContainerEvent {
    tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("an event in time").unwrap().unwrap()
}
