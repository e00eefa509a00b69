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

#[tokio::test]
async fn a_stream_cut_off_goes_on_from_the_last_event_it_got() {
    let s = TestServer::start().await;
    let project = s.project("resumed").await;
    let mut first = s.client.events().await.unwrap();
    assert!(!first.resumed(), "a first stream resumes nothing");
    let before = s.container(&project, create(json!({"name": "before"}))).await;
    assert_eq!(next_event(&mut first).await.to, ContainerStatus::Creating);
    assert_eq!(next_event(&mut first).await.to, ContainerStatus::Running);
    let last = first.last_id().expect("events carry ids").to_owned();
    drop(first);

    // While it is away: a container made, the first one stopped.
    let during = s.container(&project, create(json!({"name": "during"}))).await;
    s.client.operate(before.id.as_str(), hoody_model::Operation::Stop).await.unwrap();
    s.settled(before.id.as_str()).await;
    let mut again = s.client.events_after(Some(&last)).await.unwrap();
    assert!(again.resumed(), "the events after {last} are kept");
    // What it missed, in order, and nothing it had already.
    let mut missed = Vec::new();
    while missed.last() != Some(&(before.id.clone(), ContainerStatus::Stopped)) {
        let e = next_event(&mut again).await;
        missed.push((e.container_id, e.to));
    }
    assert_eq!(
        missed[..2],
        [(during.id.clone(), ContainerStatus::Creating), (during.id.clone(), ContainerStatus::Running)]
    );
    assert!(!missed.contains(&(before.id.clone(), ContainerStatus::Running)), "{missed:?}");
    // An id the server does not know (another run's): nothing resumed, the client reads again.
    let unknown = s.client.events_after(Some("0123abcd-7")).await.unwrap();
    assert!(!unknown.resumed());
}
