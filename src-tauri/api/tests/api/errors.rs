use crate::common::*;
use reqwest::Method;

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let s = TestServer::start().await;
    for token in [None, Some("hoody_not-a-real-token".to_owned())] {
        let anon = s.client.with_token(token);
        let before = s.db().await;
        let r = anon.raw(Method::POST, "/projects/", Some(&serde_json::json!({"alias": "x"}))).await.unwrap();
        assert_eq!(r.status, 401);
        assert_error_shape(&r.body, 401, "unauthorized");
        assert_eq!(before, s.db().await);
        assert_eq!(anon.raw(Method::GET, "/containers", None).await.unwrap().status, 401);
    }
    let r = reqwest::Client::new()
        .get(s.client.url("/containers"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_platform_shape() {
    let s = TestServer::start().await;
    let r = s.client.raw(Method::GET, "/nothing-here", None).await.unwrap();
    assert_eq!(r.status, 404);
    assert_error_shape(&r.body, 404, "not_found");
    let r = s.client.raw(Method::DELETE, "/rentals", None).await.unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.body["statusCode"], 405);
    s.refused(Method::GET, "/containers/not-an-id", None, 400, "invalid_id").await;
    s.refused(Method::GET, "/containers?limit=500", None, 400, "invalid_pagination").await;
    s.refused(Method::GET, "/containers?page=0", None, 400, "invalid_pagination").await;
    s.refused(Method::GET, "/containers?page=abc", None, 400, "invalid_pagination").await;
    s.refused(Method::GET, "/containers?sort_by=color", None, 400, "invalid_pagination").await;
    s.refused(Method::GET, "/containers?status=sleeping", None, 400, "invalid_field").await;
}

#[tokio::test]
async fn servers_and_rentals_describe_a_machine_without_a_runtime() {
    let s = TestServer::without_runtime().await;
    let rentals = s.client.rentals().await.unwrap();
    assert_eq!(rentals.len(), 1);
    let servers = s.client.servers().await.unwrap();
    assert_eq!(servers[0].id, rentals[0].server_id);
    assert_eq!(servers[0].name, "local");
    assert!(servers[0].cpu_count >= 1 && servers[0].memory_bytes > 0);
    assert_eq!(servers[0].runtime, None);
    assert!(servers[0].runtime_unavailable_reason.is_some());
    let r = s.client.raw(Method::GET, &format!("/servers/{}", servers[0].id), None).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"]["status"], "ready");
    s.refused(Method::GET, "/servers/aaaaaaaaaaaaaaaaaaaaaaaa", None, 404, "not_found").await;
    assert!(s.client.images().await.unwrap().is_empty());
}
