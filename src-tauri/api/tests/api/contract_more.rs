//! The platform's operations around a container and a project that are not its lifecycle:
//! copy with its body (another project, a name, a snapshot's files), sync of a copy, the
//! network's own routes (live on a running container), KVM, project stats, one rental and one
//! image; and the cloud's marketplace refused by name. Every refusal changes nothing.

use crate::common::{IMAGE, TestServer};
use hoody_model::{ContainerCreate, ContainerStatus};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn copy_takes_its_body_and_sync_brings_the_source_files_back() {
    let s = TestServer::start().await;
    let (a, b) = (s.project("copy-a").await, s.project("copy-b").await);
    let req = ContainerCreate { name: Some("orig".into()), container_image: Some(IMAGE.into()), ..Default::default() };
    let source = s.container(&a, req).await;
    assert_eq!(source.status, ContainerStatus::Running);
    let id = source.id.as_str();
    s.exec(id, "echo one > /root/marker").await;
    s.client.raw(Method::POST, &format!("/containers/{id}/snapshots"), Some(&json!({"alias": "first"}))).await.unwrap();
    s.exec(id, "echo two > /root/marker").await;

    // Into another project, by name; the source's network setting only when asked.
    s.client.raw(Method::PATCH, &format!("/containers/{id}/network"), Some(&json!({"type": "none"}))).await.unwrap();
    let body = json!({"target_project_id": b.id, "name": "twin", "copy_network_rules": false});
    let r = s.client.raw(Method::POST, &format!("/containers/{id}/copy"), Some(&body)).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let twin = s.settled(r.body["data"]["id"].as_str().unwrap()).await;
    assert_eq!((twin.name.as_str(), &twin.project_id, twin.network), ("twin", &b.id, true));
    assert_eq!(s.exec(twin.id.as_str(), "cat /root/marker").await, "two");
    // From a snapshot of the source: its files, not the current ones.
    let body = json!({"source_snapshot": "first", "copy_network_rules": true});
    let r = s.client.raw(Method::POST, &format!("/containers/{id}/copy"), Some(&body)).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let old = s.settled(r.body["data"]["id"].as_str().unwrap()).await;
    assert_eq!((old.project_id.as_str(), old.network), (a.id.as_str(), false), "the source's network copied");
    assert_eq!(s.exec(old.id.as_str(), "cat /root/marker").await, "one");

    // Refused, naming why; nothing is made.
    let copy = format!("/containers/{id}/copy");
    let m = s.refused(Method::POST, &copy, Some(json!({"target_project_id": "0".repeat(24)})), 404, "not_found").await;
    assert!(m.contains("project"), "{m}");
    let m =
        s.refused(Method::POST, &copy, Some(json!({"target_server_id": "f".repeat(24)})), 400, "invalid_field").await;
    assert!(m.contains("target_server_id") && m.contains("fleet"), "{m}");
    let m = s.refused(Method::POST, &copy, Some(json!({"source_snapshot": "nope"})), 404, "not_found").await;
    assert!(m.contains("snapshot"), "{m}");
    let m = s.refused(Method::POST, &copy, Some(json!({"kvm": true})), 400, "invalid_field").await;
    assert!(m.contains("kvm"), "{m}");
    s.refused(Method::POST, &copy, Some(json!({"name": "twin", "target_project_id": b.id})), 409, "duplicate_name")
        .await;
    s.refused(Method::POST, &copy, Some(json!({"name": "bad name!"})), 400, "invalid_name").await;
    s.refused(Method::POST, &copy, Some(json!({"nmae": "x"})), 400, "invalid_request").await;

    // Sync: the copy (stopped) gets the source's current files; its name and project stay.
    s.exec(id, "echo three > /root/marker").await;
    let sync = format!("/containers/{}/sync", twin.id);
    let m = s.refused(Method::POST, &sync, None, 400, "container_must_be_stopped").await;
    assert!(m.contains("stop it first"), "{m}");
    s.client.raw(Method::POST, &format!("/containers/{}/stop", twin.id), None).await.unwrap();
    let r = s.client.raw(Method::POST, &sync, None).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["data"]["name"].as_str(), r.body["data"]["status"].as_str()), (Some("twin"), Some("stopped")));
    s.client.raw(Method::POST, &format!("/containers/{}/start", twin.id), None).await.unwrap();
    assert_eq!(s.exec(twin.id.as_str(), "cat /root/marker").await, "three");
    let log = format!("/events?container_id={}&event_type=container.synced", twin.id);
    assert_eq!(
        s.client.raw(Method::GET, &log, None).await.unwrap().body["data"]["events"].as_array().unwrap().len(),
        1,
        "the sync is logged"
    );
    let m = s.refused(Method::POST, &format!("/containers/{id}/sync"), None, 409, "wrong_state").await;
    assert!(m.contains("not a copy"), "{m}");
    // Once its source is gone, a copy cannot be synced, and says so.
    s.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
    let old_sync = format!("/containers/{}/sync", old.id);
    s.client.raw(Method::POST, &format!("/containers/{}/stop", old.id), None).await.unwrap();
    let m = s.refused(Method::POST, &old_sync, None, 409, "wrong_state").await;
    assert!(m.contains("deleted") || m.contains("not a copy"), "{m}");
}

#[tokio::test]
async fn the_network_routes_turn_a_running_containers_way_out_off_and_on_at_once() {
    let s = TestServer::start().await;
    let p = s.project("net").await;
    let c = s.container(&p, ContainerCreate { container_image: Some(IMAGE.into()), ..Default::default() }).await;
    let base = format!("/containers/{}/network", c.id);
    let r = s.client.raw(Method::GET, &base, None).await.unwrap();
    assert_eq!(
        r.body["data"],
        json!({"type": "direct", "enabled": true, "address": "10.0.2.100/24", "gateway": "10.0.2.2", "dns_servers": ["10.0.2.3"]})
    );
    assert!(s.exec(c.id.as_str(), "ip route").await.contains("default via 10.0.2.2"));

    // Off while it runs: at once, no restart; the container says so too.
    let r = s.client.raw(Method::POST, &format!("{base}/stop"), None).await.unwrap();
    assert_eq!((r.status, r.body["data"]["type"].as_str()), (200, Some("none")), "{}", r.body);
    assert!(!s.exec(c.id.as_str(), "ip route").await.contains("default"), "the way out is gone");
    let now = s.client.container(c.id.as_str(), false).await.unwrap();
    assert_eq!((now.status, now.network), (ContainerStatus::Running, false));
    // On again: the way out is back, names resolve through the same resolver.
    let r = s.client.raw(Method::POST, &format!("{base}/start"), None).await.unwrap();
    assert_eq!(r.body["data"]["enabled"], true, "{}", r.body);
    assert!(s.exec(c.id.as_str(), "ip route").await.contains("default via 10.0.2.2"));
    let resolv = s.exec(c.id.as_str(), "cat /etc/resolv.conf").await;
    assert!(resolv.lines().any(|l| l == "nameserver 10.0.2.3"), "{resolv}");
    // The container update does the same, live.
    let r = s.client.raw(Method::PATCH, &format!("/containers/{}", c.id), Some(&json!({"network": false}))).await;
    assert_eq!(r.unwrap().status, 200);
    assert!(!s.exec(c.id.as_str(), "ip route").await.contains("default"));
    // PATCH type, and DELETE back to the default.
    let r = s.client.raw(Method::PATCH, &base, Some(&json!({"type": "direct"}))).await.unwrap();
    assert_eq!(r.body["data"]["type"], "direct", "{}", r.body);
    s.client.raw(Method::POST, &format!("{base}/stop"), None).await.unwrap();
    let r = s.client.raw(Method::DELETE, &base, None).await.unwrap();
    assert_eq!((r.status, r.body["data"]["enabled"].as_bool()), (200, Some(true)), "{}", r.body);
    assert!(s.exec(c.id.as_str(), "ip route").await.contains("default via 10.0.2.2"));
    // A stopped container's setting waits for its start.
    s.client.raw(Method::POST, &format!("{base}/stop"), None).await.unwrap();
    s.client.raw(Method::POST, &format!("/containers/{}/restart", c.id), None).await.unwrap();
    s.settled(c.id.as_str()).await;
    assert!(!s.exec(c.id.as_str(), "ip route").await.contains("default"), "off after a restart too");

    // What this server cannot do is refused by name; nothing changes.
    let m = s.refused(Method::PATCH, &base, Some(json!({"type": "vpn"})), 400, "invalid_field").await;
    assert!(m.contains("'vpn'") && m.contains("direct"), "{m}");
    let m =
        s.refused(Method::PATCH, &base, Some(json!({"type": "direct", "country": "NL"})), 400, "invalid_field").await;
    assert!(m.starts_with("country"), "{m}");
    let dns = json!({"type": "direct", "dns_servers": ["9.9.9.9"]});
    let m = s.refused(Method::PATCH, &base, Some(dns), 501, "not_implemented").await;
    assert!(m.contains("dns_servers"), "{m}");
    s.refused(Method::PATCH, &base, Some(json!({"kind": "direct"})), 400, "invalid_request").await;
    s.refused(Method::PATCH, &base, None, 400, "invalid_request").await;
    s.refused(Method::POST, &format!("/containers/{}/network/start", "0".repeat(24)), None, 404, "not_found").await;

    // KVM: off is what containers here are; on is refused with the reason.
    let kvm = format!("/containers/{}/kvm", c.id);
    let r = s.client.raw(Method::PUT, &kvm, Some(&json!({"kvm": false, "dev_kvm": false}))).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let m = s.refused(Method::PUT, &kvm, Some(json!({"kvm": true})), 400, "invalid_field").await;
    assert!(m.contains("/dev/kvm"), "{m}");
    s.refused(Method::PUT, &kvm, Some(json!({})), 400, "invalid_request").await;
}

#[tokio::test]
async fn project_stats_count_by_status_and_add_up_what_runs() {
    let s = TestServer::start().await;
    let p = s.project("stats").await;
    let image = || ContainerCreate { container_image: Some(IMAGE.into()), ..Default::default() };
    let (one, two) = (s.container(&p, image()).await, s.container(&p, image()).await);
    s.client.raw(Method::POST, &format!("/containers/{}/stop", two.id), None).await.unwrap();
    let r = s.client.raw(Method::GET, &format!("/projects/{}/stats", p.id), None).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let d = &r.body["data"];
    assert_eq!(
        (d["container_count"].as_u64(), &d["containers_by_status"]),
        (Some(2), &json!({"running": 1, "stopped": 1}))
    );
    let info = s.client.raw(Method::GET, &format!("/containers/{}/stats", one.id), None).await.unwrap();
    assert!(d["memory_bytes"].as_u64().unwrap() > 0 && d["process_count"].as_u64().unwrap() >= 1, "{d}");
    assert!(info.body["data"]["memory_bytes"].as_u64().unwrap() > 0);
    s.refused(Method::GET, &format!("/projects/{}/stats", "0".repeat(24)), None, 404, "not_found").await;
    s.refused(Method::GET, "/projects/nope/stats", None, 400, "invalid_id").await;
}

#[tokio::test]
async fn one_rental_one_image_and_the_clouds_marketplace_refused_by_name() {
    let s = TestServer::start().await;
    let rentals = s.client.raw(Method::GET, "/rentals", None).await.unwrap().body;
    let rental = rentals["data"][0]["id"].as_str().unwrap().to_owned();
    let r = s.client.raw(Method::GET, &format!("/rentals/{rental}"), None).await.unwrap();
    assert_eq!((r.status, &r.body["data"]["id"]), (200, &json!(rental)));
    s.refused(Method::GET, &format!("/rentals/{}", "0".repeat(24)), None, 404, "not_found").await;
    let extend = format!("/rentals/{rental}/extend");
    let m = s.refused(Method::POST, &extend, Some(json!({"additional_days": 3})), 404, "not_offered").await;
    assert!(m.contains("no end to extend"), "{m}");
    let m = s.refused(Method::GET, "/servers/available", None, 404, "not_offered").await;
    assert!(m.contains("marketplace"), "{m}");
    s.refused(Method::POST, "/servers/abc/rent", Some(json!({"rental_days": 1})), 404, "not_offered").await;

    let image = IMAGE.replace('/', "%2F");
    let r = s.client.raw(Method::GET, &format!("/images/public/{image}"), None).await.unwrap();
    assert_eq!((r.status, r.body["data"]["alias"].as_str()), (200, Some(IMAGE)), "{}", r.body);
    s.refused(Method::GET, "/images/public/nothing%2F9", None, 404, "not_found").await;
    s.refused(Method::GET, "/images/public/no%20image", None, 400, "invalid_image").await;
    let m = s.refused(Method::GET, &format!("/images/{image}/icon"), None, 404, "not_found").await;
    assert!(m.contains("icon"), "{m}");
    let m = s.refused(Method::POST, &format!("/images/purchase/{image}"), None, 404, "not_offered").await;
    assert!(m.contains("free"), "{m}");
    s.refused(Method::POST, &format!("/images/rate/{image}"), Some(json!({"rating": 5})), 404, "not_offered").await;
}

#[tokio::test]
async fn a_tokens_public_profile_is_set_by_itself_and_found_by_its_key() {
    let s = TestServer::start().await;
    let created = s
        .client
        .raw(Method::POST, "/auth/tokens", Some(&json!({"alias": "agent", "public_key": "ed25519:AAAA/bbb+c"})))
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let agent = s.client.with_token(Some(created.body["data"]["token"].as_str().unwrap().to_owned()));
    let me = "/auth/tokens/me/public-profile";
    let doc = json!({"public_storage": {"inbox": "https://example.test/agent", "skills": ["rust"]}});
    let r = agent.raw(Method::PUT, me, Some(&doc)).await.unwrap();
    assert_eq!((r.status, r.body["data"]["public_key"].as_str()), (200, Some("ed25519:AAAA/bbb+c")), "{}", r.body);
    let found = agent.raw(Method::GET, "/auth/tokens/public-profiles/ed25519:AAAA%2Fbbb+c", None).await.unwrap();
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["data"]["public_storage"]["skills"], json!(["rust"]));
    assert_eq!(found.body["data"]["alias"], "agent");
    assert!(found.body["data"].get("id").is_none() && found.body["data"].get("permissions").is_none(), "public only");

    // One token per key; bad input changes nothing; clearing the key hides the profile.
    let other = s.client.raw(Method::POST, "/auth/tokens", Some(&json!({"alias": "b"}))).await.unwrap();
    let other_id = other.body["data"]["id"].as_str().unwrap().to_owned();
    let taken = json!({"public_key": "ed25519:AAAA/bbb+c"});
    s.refused(Method::PUT, &format!("/auth/tokens/{other_id}"), Some(taken), 409, "duplicate_name").await;
    s.refused(Method::PUT, me, Some(json!({"public_key": ""})), 400, "invalid_field").await;
    s.refused(Method::PUT, me, Some(json!({"public_key": "k", "nmae": 1})), 400, "invalid_request").await;
    let huge = json!({"public_storage": {"x": "y".repeat(70_000)}});
    s.refused(Method::PUT, me, Some(huge), 400, "invalid_field").await;
    s.refused(Method::GET, "/auth/tokens/public-profiles/nobody", None, 404, "not_found").await;
    let r = agent.raw(Method::PUT, me, Some(&json!({"public_key": null}))).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let gone = agent.raw(Method::GET, "/auth/tokens/public-profiles/ed25519:AAAA%2Fbbb+c", None).await.unwrap();
    assert_eq!(gone.status, 404);
    // A token without the flag may not publish.
    let body = json!({"alias": "quiet", "permissions": {"resources": {"auth_token_public_profile": false}}});
    let quiet = s.client.raw(Method::POST, "/auth/tokens", Some(&body)).await.unwrap();
    let quiet = s.client.with_token(Some(quiet.body["data"]["token"].as_str().unwrap().to_owned()));
    let r = quiet.raw(Method::PUT, me, Some(&json!({"public_key": "q"}))).await.unwrap();
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("permission_denied")), "{}", r.body);
}

#[tokio::test]
async fn maintenance_commands_report_back_up_and_prune_with_a_confirmation() {
    let s = TestServer::start().await;
    let server = s.client.raw(Method::GET, "/servers", None).await.unwrap().body["data"][0]["id"].clone();
    let server = server.as_str().unwrap().to_owned();
    let listed = s.client.raw(Method::GET, &format!("/servers/{server}/available-commands"), None).await.unwrap();
    assert_eq!(listed.status, 200, "{}", listed.body);
    let ids: Vec<&str> =
        listed.body["data"]["commands"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["disk-usage", "backup-database", "expire-snapshots", "prune-images"]);
    let high = s.client.raw(Method::GET, &format!("/servers/{server}/available-commands?risk_level=high"), None).await;
    assert_eq!(high.unwrap().body["data"]["commands"].as_array().unwrap().len(), 1);

    let run = format!("/servers/{server}/execute-command");
    let r = s.client.raw(Method::POST, &run, Some(&json!({"command_slug": "disk-usage"}))).await.unwrap();
    assert_eq!((r.status, r.body["data"]["status"].as_str()), (200, Some("completed")), "{}", r.body);
    let parts = &r.body["data"]["output"]["parts"];
    assert!(parts["runtime/images"]["bytes"].as_u64().is_some_and(|b| b > 0), "the busybox image is counted: {parts}");
    assert!(parts["hoody.db"]["bytes"].as_u64().is_some_and(|b| b > 0), "{parts}");
    let r = s.client.raw(Method::POST, &run, Some(&json!({"command_id": "backup-database"}))).await.unwrap();
    let backup = r.body["data"]["output"]["backup"].as_str().unwrap().to_owned();
    assert!(std::path::Path::new(&backup).is_file(), "{}", r.body);
    let r = s.client.raw(Method::POST, &run, Some(&json!({"command_id": "expire-snapshots"}))).await.unwrap();
    assert_eq!(r.body["data"]["output"]["removed"], 0);

    // Pruning: the image no container uses; a dry run first, then the confirmation asked for.
    let dry = json!({"command_id": "prune-images", "parameters": {"dry_run": true}});
    let r = s.client.raw(Method::POST, &run, Some(&dry)).await.unwrap();
    assert_eq!(r.body["data"]["output"]["unused"], json!([IMAGE]), "{}", r.body);
    let images = s.client.raw(Method::GET, "/images/user", None).await.unwrap().body["data"]["images"].clone();
    assert_eq!(images.as_array().unwrap().len(), 1, "a dry run deletes nothing");
    let prune = json!({"command_id": "prune-images"});
    let m = s.refused(Method::POST, &run, Some(prune), 412, "precondition_failed").await;
    let token = m.split("confirmation_token \"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let wrong = json!({"command_id": "prune-images", "confirmation_token": "0000000000000000"});
    s.refused(Method::POST, &run, Some(wrong), 412, "precondition_failed").await;
    let confirmed = json!({"command_id": "prune-images", "confirmation_token": token});
    let r = s.client.raw(Method::POST, &run, Some(&confirmed)).await.unwrap();
    assert_eq!(r.body["data"]["output"]["deleted"], json!([IMAGE]), "{}", r.body);
    let images = s.client.raw(Method::GET, "/images/user", None).await.unwrap().body["data"]["images"].clone();
    assert_eq!(images, json!([]));

    // Refusals change nothing.
    s.refused(Method::POST, &run, Some(json!({"command_id": "format-disk"})), 404, "not_found").await;
    s.refused(Method::POST, &run, Some(json!({})), 400, "invalid_field").await;
    let extra = json!({"command_id": "disk-usage", "parameters": {"deep": true}});
    s.refused(Method::POST, &run, Some(extra), 400, "invalid_field").await;
    let other = format!("/servers/{}/execute-command", "f".repeat(24));
    s.refused(Method::POST, &other, Some(json!({"command_id": "disk-usage"})), 404, "not_found").await;
    s.refused(Method::POST, &run, Some(json!({"command_id": "disk-usage", "timeout": 0})), 400, "invalid_field").await;
}
