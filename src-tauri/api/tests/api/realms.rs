use crate::common::*;
use hoody_model::{ContainerStatus, TokenCreate};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_realm_token_sees_and_touches_only_its_realm() {
    let s = TestServer::start().await;
    let prod = s.client.create_realm("production").await.unwrap();
    let dev = s.client.create_realm("development").await.unwrap();
    s.refused(Method::POST, "/realms/", Some(json!({"name": "production"})), 409, "duplicate_name").await;
    let prod_project = s
        .client
        .create_project(&serde_json::from_value(json!({"alias": "p", "realm_ids": [prod.id]})).unwrap())
        .await
        .unwrap();
    let dev_project = s
        .client
        .create_project(&serde_json::from_value(json!({"alias": "d", "realm_ids": [dev.id]})).unwrap())
        .await
        .unwrap();
    let prod_c = s.container(&prod_project, create(json!({"name": "api", "realm_ids": [prod.id]}))).await;
    let dev_c = s.container(&dev_project, create(json!({"name": "sandbox", "realm_ids": [dev.id]}))).await;

    let token = s
        .client
        .create_token(&TokenCreate {
            name: Some("prod-agent".into()),
            realm_ids: Some(vec![prod.id.to_string()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(token.info.realm_ids, vec![prod.id.clone()]);
    let agent = s.client.with_token(Some(token.token.clone()));

    // It sees its realm only.
    let seen = agent.list_containers("").await.unwrap();
    assert_eq!(seen.items.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), vec![prod_c.id.clone()]);
    assert_eq!(agent.list_projects("").await.unwrap().pagination.total, 1);
    assert_eq!(agent.realms().await.unwrap().len(), 1);
    let hidden = agent.container(dev_c.id.as_str(), false).await.unwrap_err();
    assert_eq!(hidden.status(), Some(404));
    assert_eq!(agent.delete_container(dev_c.id.as_str()).await.unwrap_err().status(), Some(404));
    assert_eq!(agent.project(dev_project.id.as_str()).await.unwrap_err().status(), Some(404));

    // It cannot move containers between realms, create realms, or reach into other realms.
    let before = s.db().await;
    let e = agent
        .update_container(prod_c.id.as_str(), &serde_json::from_value(json!({"realm_ids": [dev.id]})).unwrap())
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(403), Some(hoody_model::ErrorCode::ForbiddenRealm)));
    assert!(e.to_string().contains("cannot change realm_ids"));
    assert_eq!(agent.create_realm("mine").await.unwrap_err().status(), Some(403));
    let e = agent
        .create_token(&TokenCreate { name: None, realm_ids: Some(vec![dev.id.to_string()]), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(403));
    assert_eq!(before, s.db().await);
    // Sending back the same realms is not a change.
    let same = agent
        .update_container(
            prod_c.id.as_str(),
            &serde_json::from_value(json!({"realm_ids": [prod.id], "comment": "ok"})).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(same.comment.as_deref(), Some("ok"));

    // Creating through it: the project must be in its realm, and its realm is merged in.
    let c = agent.create_container(prod_project.id.as_str(), &create(json!({"name": "worker"}))).await.unwrap();
    assert_eq!(c.realm_ids, vec![prod.id.clone()]);
    let shared = s
        .client
        .create_project(&serde_json::from_value(json!({"alias": "both", "realm_ids": [prod.id, dev.id]})).unwrap())
        .await
        .unwrap();
    let e = agent.create_container(shared.id.as_str(), &create(json!({"realm_ids": [dev.id]}))).await.unwrap_err();
    assert_eq!(e.status(), Some(403));
    let p = agent.create_project(&serde_json::from_value(json!({"alias": "agent-made"})).unwrap()).await.unwrap();
    assert_eq!(p.realm_ids, vec![prod.id.clone()]);

    // The admin filters by realm.
    let in_dev = s.client.list_containers(&format!("realm_id={}", dev.id)).await.unwrap();
    assert_eq!(in_dev.items.len(), 1);
    assert_eq!(in_dev.items[0].status, ContainerStatus::Running);
    // An admin can move containers between realms.
    let moved = s
        .client
        .update_container(dev_c.id.as_str(), &serde_json::from_value(json!({"realm_ids": [prod.id]})).unwrap())
        .await
        .unwrap();
    assert_eq!(moved.realm_ids, vec![prod.id.clone()]);
    assert_eq!(agent.container(dev_c.id.as_str(), false).await.unwrap().id, dev_c.id);
}
