//! A container that asks for nesting (`nesting: true`, Podman or Docker inside) gets nested user
//! namespaces, from a terminal session and from a unit of its own systemd alike, and its masks
//! stay locked inside them; turned off (while stopped: a running container refuses the change),
//! they are refused again. One that never asked refuses them (see the hostile suite). For a root
//! engine and an ordinary user's.

use crate::hostile::run;
use crate::process::{Hoodyd, SYSTEMD_ANSWERS};
use crate::proxy::browser;
use hoody_client::testkit::TestUser;
use hoody_model::Operation;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// A user namespace of its own, as Podman makes one; then the masks, from inside it.
const NEST: &str = "unshare --user --map-root-user sh -c 'echo nested-as-$(id -u); umount /proc/sys 2>/dev/null && echo UNLOCKED || echo still-locked'";

#[tokio::test]
async fn a_container_that_asks_for_nesting_gets_it_from_a_root_engine() {
    nesting(None).await;
}

#[tokio::test]
async fn a_container_that_asks_for_nesting_gets_it_from_a_users_engine() {
    nesting(Some(hoody_client::testkit::test_user())).await;
}

async fn nesting(user: Option<&'static TestUser>) {
    let data = tempfile::Builder::new().prefix("hoody-nesting-").tempdir_in("/tmp").unwrap();
    let d = match user {
        Some(user) => {
            user.give(data.path());
            Hoodyd::start_as(user, data.path())
        }
        None => Hoodyd::start(data.path()),
    };
    d.import_debian();
    let project = d.client.raw(Method::POST, "/projects/", Some(&json!({"alias": "nested"}))).await.unwrap();
    let project = project.body["data"]["id"].as_str().unwrap().to_owned();
    let body = json!({"name": "podman-host", "container_image": "debian/13", "nesting": true,
        "server_id": crate::proxy::server_id(&d.client).await});
    let r = d.client.raw(Method::POST, &format!("/projects/{project}/containers"), Some(&body)).await.unwrap();
    assert_eq!(r.body["data"]["nesting"], true, "{}", r.body);
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    let c = running(&d, &id).await;
    let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();

    // A terminal session: the kit's process follows the container's choice.
    let out = run(&d, &terminal, NEST).await;
    assert!(out.contains("nested-as-0") && out.contains("still-locked"), "a terminal session: {out}");

    // A unit of its own systemd: the init's choice, inherited.
    let files = c["urls"]["files-1"].as_str().unwrap().to_owned();
    let unit = format!("[Service]\nType=oneshot\nExecStart=/bin/sh -c \"{}\" \n", NEST.replace('"', "\\\""));
    let put = browser(&d, &files).put(format!("{files}/api/v1/files/etc/systemd/system/nest.service")).body(unit);
    assert_eq!(put.send().await.unwrap().status(), 200);
    let out = run(
        &d,
        &terminal,
        &format!(
            "{SYSTEMD_ANSWERS}systemctl daemon-reload && systemctl start nest.service; \
             journalctl -u nest.service -o cat --no-pager"
        ),
    )
    .await;
    assert!(out.contains("nested-as-0") && out.contains("still-locked"), "a unit: {out}");

    // Off again: refused while it runs, then, changed while stopped, refused inside.
    let off = json!({"nesting": false});
    let r = d.client.raw(Method::PATCH, &format!("/containers/{id}"), Some(&off)).await.unwrap();
    let refused = (r.status, r.body["code"].as_str());
    assert_eq!(refused, (400, Some("container_must_be_stopped")), "a running container keeps its nesting: {}", r.body);
    assert!(r.body["message"].as_str().unwrap_or_default().contains("nesting"), "{}", r.body);
    d.client.operate(&id, Operation::Stop).await.unwrap();
    let r = d.client.raw(Method::PATCH, &format!("/containers/{id}"), Some(&off)).await.unwrap();
    assert_eq!(r.body["data"]["nesting"], false, "{}", r.body);
    d.client.operate(&id, Operation::Start).await.unwrap();
    let c = running(&d, &id).await;
    let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
    let out = run(&d, &terminal, &format!("{NEST} || echo refused")).await;
    assert!(out.contains("refused") && !out.contains("nested-as-"), "nesting off: {out}");
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}

/// The container, running with its terminal and files.
async fn running(d: &Hoodyd, id: &str) -> Value {
    let check = || async {
        let c = d.client.raw(Method::GET, &format!("/containers/{id}?runtime=true"), None).await.ok()?.body;
        let c = c["data"].clone();
        (c["status"] == "running" && c["urls"]["terminal-1"].is_string() && c["urls"]["files-1"].is_string())
            .then_some(c)
    };
    hoody_client::testkit::eventually("the container running", Duration::from_secs(60), check).await
}
