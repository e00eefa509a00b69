//! This machine's engine over the REST API: the desktop serves it on loopback with a token it
//! keeps in the OS keyring (here the kernel key store: the test has no session bus), never in a
//! file; the platform's client works with it, and the same token still works after a restart.

mod support;

use hoody_client::HoodyClient;
use hoody_desktop_core::Desktop;
use hoody_model::ProjectCreate;

#[tokio::test(flavor = "multi_thread")]
async fn the_desktop_engine_answers_the_hoody_api_with_a_keyring_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("desktop");
    let desktop = Desktop::start(&data, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert_eq!(desktop.local_api_token().await.unwrap_err().status, 404, "not served yet");
    let url = desktop.serve_api("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let token = desktop.local_api_token().await.unwrap();
    assert_eq!(desktop.servers().await.unwrap()[0].url.as_deref(), Some(url.as_str()));

    let client = HoodyClient::new(&url, Some(token.clone()));
    let project =
        client.create_project(&ProjectCreate { alias: "from-cli".into(), ..Default::default() }).await.unwrap();
    assert!(desktop.projects(None, false).await.unwrap().iter().any(|p| p.id == project.id), "the same engine");
    let refused = HoodyClient::new(&url, Some("wrong".into())).servers().await.unwrap_err();
    assert_eq!(refused.status(), Some(401));
    support::assert_nowhere_under(&data, &token);

    drop(desktop);
    let desktop = Desktop::start(&data, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = desktop.serve_api("127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert_eq!(desktop.local_api_token().await.unwrap(), token, "the keyring keeps it");
    let projects = HoodyClient::new(&url, Some(token)).list_projects("").await.unwrap();
    assert_eq!(projects.items.len(), 1);
}
