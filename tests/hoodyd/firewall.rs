//! A container's firewall on a real container: an egress rule stops what leaves for that
//! destination and port (other ways out stay open), turned off and on, held again after a
//! restart (set before the network is attached), gone with a reset; the container's root cannot
//! change its network (no CAP_NET_ADMIN); bad rules are refused with nothing changed.

use crate::proxy::{KitApi, server_outside};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn the_firewall_holds_what_the_container_cannot_lift() {
    let outside = hoody_e2e::OutsideNetwork::make();
    let (_dir, d, _, c) = server_outside("walled", &outside).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let exec_url = c["urls"]["exec-1"].as_str().unwrap().to_owned();
    let exec = KitApi::exec(&d, &exec_url);
    let host = outside.address;
    let (a, b) = (outside.http_server("from a"), outside.http_server("from b"));
    let fetch = "#!/bin/sh\nwget -q -O- \"http://$1$QUERY_STRING/\" 2>&1 || { echo failed; exit 69; }\n";
    let fetch = fetch.replace("$1", &format!("{host}:"));
    assert_eq!(
        exec.call(Method::POST, "/scripts/write", Some(json!({"path": "fetch", "content": fetch}))).await.0,
        200
    );
    let netadm = "#!/bin/sh\nip link set lo down 2>&1; ip route del default 2>&1; echo done\n";
    assert_eq!(
        exec.call(Method::POST, "/scripts/write", Some(json!({"path": "netadm", "content": netadm}))).await.0,
        200
    );
    let http = crate::proxy::browser(&d, &exec_url);
    let reach = |port: u16| {
        let r = http.get(format!("{exec_url}/fetch?{port}")).send();
        async move {
            let r = r.await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(reach(a).await, (200, "from a".into()));
    let api = |method: Method, path: String, body: Option<Value>| {
        let client = d.client.clone();
        async move {
            let r = client.raw(method, &path, body.as_ref()).await.unwrap();
            (r.status, r.body)
        }
    };
    let fw = format!("/containers/{id}/firewall");

    // An egress rule: the way to a stops, the way to b does not.
    let rule = json!({"action": "reject", "protocol": "tcp", "description": "not a", "destination": host.to_string(), "destination_port": a.to_string()});
    let (status, added) = api(Method::POST, format!("{fw}/egress"), Some(rule)).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["data"]["egress"][0]["state"], "enabled");
    assert_eq!(reach(a).await.0, 503, "the way to a is closed");
    assert_eq!(reach(b).await, (200, "from b".into()));

    // The container's root cannot take its network into its own hands.
    let out = http.get(format!("{exec_url}/netadm")).send().await.unwrap().text().await.unwrap();
    assert_eq!(out.matches("Operation not permitted").count(), 2, "{out}");
    assert_eq!(reach(a).await.0, 503, "still closed");

    // Off, on; held again after a restart.
    let toggle =
        |state: &str| api(Method::PATCH, format!("{fw}/egress"), Some(json!({"state": state, "description": "not a"})));
    assert_eq!(toggle("disabled").await.0, 200);
    assert_eq!(reach(a).await, (200, "from a".into()));
    assert_eq!(toggle("enabled").await.0, 200);
    assert_eq!(reach(a).await.0, 503);
    for op in ["stop", "start"] {
        assert_eq!(api(Method::POST, format!("/containers/{id}/{op}"), None).await.0, 200);
    }
    crate::proxy::wait_running(&d, &id).await;
    assert_eq!(reach(a).await.0, 503, "set again at the start, before the network");
    assert_eq!(reach(b).await.0, 200);

    // Ingress rules are kept beside; bad rules change nothing.
    let ingress = json!({"action": "drop", "protocol": "udp", "description": "no udp in", "source": "203.0.113.0/24"});
    assert_eq!(api(Method::POST, format!("{fw}/ingress"), Some(ingress)).await.0, 201);
    let before = api(Method::GET, format!("{fw}/rules"), None).await.1;
    for (method, path, body, want) in [
        (
            Method::POST,
            format!("{fw}/egress"),
            Some(json!({"action": "drop", "protocol": "tcp", "description": "x", "destination": "example.com"})),
            400,
        ),
        (
            Method::POST,
            format!("{fw}/egress"),
            Some(json!({"action": "drop", "protocol": "sctp", "description": "x"})),
            400,
        ),
        (
            Method::POST,
            format!("{fw}/ingress"),
            Some(json!({"action": "drop", "protocol": "tcp", "description": "x", "destination": "1.2.3.4"})),
            400,
        ),
        (Method::POST, format!("{fw}/egress"), Some(json!({"action": "drop", "protocol": "tcp"})), 400),
        (Method::DELETE, format!("{fw}/egress"), None, 400),
        (Method::DELETE, format!("{fw}/egress?description=nothing"), None, 404),
        (Method::PATCH, format!("{fw}/egress"), Some(json!({"state": "sometimes"})), 400),
    ] {
        let (status, refused) = api(method, path.clone(), body.clone()).await;
        assert_eq!(status, want, "{path} {body:?}: {refused}");
    }
    let (_, after) = api(Method::GET, format!("{fw}/rules"), None).await;
    assert_eq!(after, before, "the refusals changed nothing");
    assert_eq!(after["data"]["ingress"][0]["source"], "203.0.113.0/24");

    // Removed by what it says; a reset takes every rule away.
    assert_eq!(api(Method::DELETE, format!("{fw}/egress?description=not%20a"), None).await.0, 200);
    assert_eq!(reach(a).await, (200, "from a".into()));
    let (status, reset) = api(Method::POST, format!("{fw}/reset"), None).await;
    assert_eq!((status, reset["data"].clone()), (200, json!({"egress": [], "ingress": []})));
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
