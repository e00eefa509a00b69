//! The conformance suite: every operation of the platform's contract (`contract/*.md`, copies
//! of `shared/hoody-api/`) called against a real `hoodyd` with a real running container, each
//! answer classified (covered, 501 not yet, 503 unavailable, missing, broken), the coverage
//! printed per file. It fails when an operation of `covered.txt` is no longer covered or when
//! any answer is broken (a 500, no answer, or not in the documented shape).
//!
//! `HOODY_CONFORMANCE_WRITE=1` rewrites `covered.txt` from the run (commit it when coverage
//! grows). The calls carry placeholders for what an operation requires, so a covered operation
//! may well refuse them: what is checked is that it is served, in the platform's shape.

mod contract;
mod probe;

use crate::proxy::{browser, server_with};
use probe::{Ids, Outcome, Target};
use reqwest::Method;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const COVERED: &str = include_str!("covered.txt");

#[tokio::test]
async fn the_platforms_contract_is_covered() {
    let (_dir, d, project, c) = server_with("conformance").await;
    let container = c["id"].as_str().unwrap().to_owned();
    // Where a request is refused for the container's state, it is in the state most take: running.
    let admin = std::fs::read_to_string(d.data_dir.join("admin.token")).unwrap().trim().to_owned();
    let api = |path: String, body: serde_json::Value| {
        let client = d.client.clone();
        async move { client.raw(Method::POST, &path, Some(&body)).await.unwrap().body["data"].clone() }
    };
    let realm = api("/realms/".into(), json!({"name": "conformance"})).await["id"].as_str().unwrap().to_owned();
    let token = api("/auth/tokens".into(), json!({"name": "conformance"})).await["id"].as_str().unwrap().to_owned();
    api(format!("/containers/{container}/snapshots"), json!({"alias": "conformance"})).await;
    let events = d.client.raw(Method::GET, "/events?limit=1", None).await.unwrap().body;
    let server = c["server_id"].as_str().unwrap().to_owned();
    let ids = Ids {
        container: container.clone(),
        project,
        server,
        realm,
        token,
        event: events["data"]["events"][0]["id"].as_str().unwrap().to_owned(),
        snapshot: "conformance".into(),
    };

    // The display's operations need an X server: a Debian container (Xvnc, xdotool, xclip) in
    // the same project; every other kit is called on the busybox one.
    d.import_debian();
    let body = json!({"name": "desk", "container_image": "debian/13", "server_id": &ids.server});
    let desk = api(format!("/projects/{}/containers", ids.project), body).await["id"].as_str().unwrap().to_owned();
    let running = || async {
        let c =
            d.client.raw(Method::GET, &format!("/containers/{desk}?runtime=true"), None).await.unwrap().body["data"]
                .clone();
        (c["status"] == "running").then_some(c)
    };
    let desk =
        hoody_client::testkit::eventually("the Debian container running", Duration::from_secs(60), running).await;

    let plain = reqwest::Client::new();
    let origin = d.client.url("").trim_end_matches("/api/v1").to_owned();
    let mut outcomes: BTreeMap<&str, Vec<(String, Outcome)>> = BTreeMap::new();
    // Kits first, while the container runs; the control plane's deletions last.
    let mut order: Vec<contract::Operation> = Vec::new();
    for (file, _, text) in contract::FILES.iter().skip(1).chain(contract::FILES.iter().take(1)) {
        let mut ops = contract::operations(file, text);
        ops.sort_by_key(|op| op.method == "DELETE");
        order.extend(ops);
    }
    for op in &order {
        let (_, service, _) = contract::FILES.iter().find(|(f, _, _)| *f == op.file).unwrap();
        let kit_client;
        let target = match service {
            None => Target { http: &plain, base: origin.clone(), token: Some(&admin) },
            Some(service) => {
                let on = if *service == "display-1" { &desk } else { &c };
                let url = on["urls"][*service].as_str().unwrap_or_else(|| panic!("no {service} URL")).to_owned();
                kit_client = browser(&d, &url);
                Target { http: &kit_client, base: url, token: None }
            }
        };
        let outcome = probe::call(op, &target, &ids).await;
        outcomes.entry(op.file).or_default().push((op.name.clone(), outcome));
    }

    let key = |file: &str, name: &str| format!("{file} {name}");
    println!("\n| contract file | covered | 501 not yet | 503 unavailable | missing | broken | total | covered % |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut covered = BTreeSet::new();
    let mut broken = Vec::new();
    for (file, list) in &outcomes {
        let count = |want: fn(&Outcome) -> bool| list.iter().filter(|(_, o)| want(o)).count();
        let n = count(|o| *o == Outcome::Covered);
        println!(
            "| {file} | {n} | {} | {} | {} | {} | {} | {:.0} % |",
            count(|o| *o == Outcome::NotYet),
            count(|o| *o == Outcome::Unavailable),
            count(|o| *o == Outcome::Missing),
            count(|o| matches!(o, Outcome::Broken(_))),
            list.len(),
            100.0 * n as f64 / list.len() as f64
        );
        for (name, outcome) in list {
            match outcome {
                Outcome::Covered => drop(covered.insert(key(file, name))),
                Outcome::Broken(why) => broken.push(format!("{file} {name}: {why}")),
                _ => {}
            }
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("hoodyd/conformance/covered.txt");
    if std::env::var_os("HOODY_CONFORMANCE_WRITE").is_some() {
        let lines: Vec<&str> = covered.iter().map(String::as_str).collect();
        std::fs::write(&path, format!("{}\n", lines.join("\n"))).unwrap();
    }
    let regressed: Vec<&str> = COVERED.lines().filter(|l| !l.is_empty() && !covered.contains(*l)).collect();
    let new: Vec<&String> = covered.iter().filter(|k| !COVERED.lines().any(|l| l == k.as_str())).collect();
    if !new.is_empty() {
        println!("newly covered (HOODY_CONFORMANCE_WRITE=1 records them): {new:?}");
    }
    assert!(broken.is_empty(), "answers that are wrong:\n{}", broken.join("\n"));
    assert!(regressed.is_empty(), "operations no longer covered: {regressed:?}");
    // The walk ended with the project's deletion, which took its containers (the copy too).
    let left = d.client.raw(Method::GET, "/containers/", None).await.unwrap().body;
    assert_eq!(left["data"]["pagination"]["total"], 0, "{left}");
}
