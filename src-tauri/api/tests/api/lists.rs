use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn pagination_sorting_and_filters() {
    let s = TestServer::start().await;
    let (a, b) = (s.project("a").await, s.project("b").await);
    for i in 0..25 {
        s.client.create_container(a.id.as_str(), &create(json!({"name": format!("web-{i:02}")}))).await.unwrap();
    }
    s.container(&b, create(json!({"name": "db-main"}))).await;
    let page = s.client.list_containers("").await.unwrap();
    assert_eq!(
        (page.pagination.total, page.pagination.page, page.pagination.limit, page.pagination.total_pages),
        (26, 1, 20, 2)
    );
    assert_eq!(page.items.len(), 20);
    let last = s.client.list_containers("page=2").await.unwrap();
    assert_eq!(last.items.len(), 6);
    let by_name = s.client.list_containers("sort_by=name&sort_order=asc&limit=3").await.unwrap();
    let names: Vec<_> = by_name.items.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["db-main", "web-00", "web-01"]);
    let desc = s.client.list_containers("sort_by=name&sort_order=desc&limit=1").await.unwrap();
    assert_eq!(desc.items[0].name, "web-24");
    let in_b = s.client.project_containers(b.id.as_str(), "").await.unwrap();
    assert_eq!(in_b.pagination.total, 1);
    assert_eq!(s.client.list_containers(&format!("project_id={}", a.id)).await.unwrap().pagination.total, 25);
    assert_eq!(s.client.list_containers("name=WEB-1").await.unwrap().pagination.total, 10);
    // Wait for every creation to settle, then filter by status.
    for c in s.client.list_containers("limit=200").await.unwrap().items {
        s.settled(c.id.as_str()).await;
    }
    assert_eq!(s.client.list_containers("status=running&limit=200").await.unwrap().pagination.total, 26);
    assert_eq!(s.client.list_containers("status=failed").await.unwrap().pagination.total, 0);
    let beyond = s.client.list_containers("page=9").await.unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.pagination.total, 26);
}
