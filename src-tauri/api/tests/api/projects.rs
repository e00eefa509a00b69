use crate::common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn project_crud_and_cascading_delete() {
    let s = TestServer::start().await;
    let r = s
        .client
        .raw(Method::POST, "/projects/", Some(&json!({"alias": "client-acme", "color": "#e74c3c"})))
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.body["message"], "Project created successfully");
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["data"]["max_containers"], json!(null));
    let p = s.client.project(&id).await.unwrap();
    assert_eq!(p.alias, "client-acme");
    let updated = s
        .client
        .update_project(&id, &serde_json::from_value(json!({"alias": "acme", "max_containers": 5})).unwrap())
        .await
        .unwrap();
    assert_eq!((updated.alias.as_str(), updated.max_containers), ("acme", Some(5)));
    let patched =
        s.client.raw(Method::PATCH, &format!("/projects/{id}"), Some(&json!({"max_containers": null}))).await.unwrap();
    assert_eq!(patched.body["data"]["max_containers"], json!(null));
    s.refused(Method::POST, "/projects/", Some(json!({"alias": ""})), 400, "invalid_name").await;
    s.refused(Method::POST, "/projects/", Some(json!({})), 400, "invalid_request").await;
    s.refused(Method::POST, "/projects/", Some(json!({"alias": "x", "max_containers": 0})), 400, "invalid_field").await;
    s.refused(Method::PUT, &format!("/projects/{id}"), Some(json!({"color": "nope"})), 400, "invalid_color").await;

    let c1 = s.container(&p, create(json!({"name": "one"}))).await;
    let c2 = s.container(&p, create(json!({"name": "two"}))).await;
    assert_eq!(s.client.project(&id).await.unwrap().container_count, 2);
    let listed = s.client.list_projects("").await.unwrap();
    assert_eq!(listed.pagination.total, 1);
    s.client.delete_project(&id).await.unwrap();
    s.refused(Method::GET, &format!("/projects/{id}"), None, 404, "not_found").await;
    for c in [c1, c2] {
        s.refused(Method::GET, &format!("/containers/{}", c.id), None, 404, "not_found").await;
        // The status log of a deleted container ends in `deleted`.
        let log = s.engine.store().status_logs(&c.id).await.unwrap();
        assert_eq!(log.last().unwrap().to_status, hoody_model::ContainerStatus::Deleted);
    }
    assert_eq!(s.client.list_containers("").await.unwrap().pagination.total, 0);
}
