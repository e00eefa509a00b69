//! The containers page's own curl snippets (`seed/containers-create-edit-delete.md`, a copy of
//! `shared/seed/`), run with curl as written against a real hoodyd: only the API's base URL
//! and `$HOODY_TOKEN` change, and the page's placeholders (`{project_id}`, `{server_id}`…) are
//! filled from the answers before them, as a reader would. Every answer must be a success in
//! the platform's envelope, but one the page marks optional that this server does not have
//! (proxy aliases), which must say so.

use crate::process::Hoodyd;
use serde_json::Value;
use std::collections::BTreeMap;

const PAGE: &str = include_str!("seed/containers-create-edit-delete.md");
const PLATFORM: &str = "https://api.hoody.icu";

/// Every curl command of the page's bash blocks, continuation lines joined, in page order.
fn curl_commands() -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_bash = false;
    let mut current: Option<String> = None;
    for line in PAGE.lines().map(str::trim) {
        if line.starts_with("```") {
            in_bash = line == "```bash";
            continue;
        }
        if !in_bash {
            continue;
        }
        match &mut current {
            Some(command) => command.push_str(&format!("\n{line}")),
            None if line.starts_with("curl ") => current = Some(line.to_owned()),
            None => continue,
        }
        // A command goes on while its line ends with `\` or a quote is still open.
        let command = current.as_ref().unwrap();
        if !line.ends_with('\\') && command.matches('\'').count().is_multiple_of(2) {
            commands.push(current.take().unwrap());
        }
    }
    commands
}

/// The command with the page's placeholders filled; None while one of them is still unknown.
fn filled(command: &str, known: &BTreeMap<&str, String>) -> Option<String> {
    let mut out = command.to_owned();
    for (name, value) in known {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    let unfilled = out.contains("{project_id}")
        || out.contains("{container_id}")
        || out.contains("{server_id}")
        || out.contains("{id}")
        || out.contains("{failed_container_id}")
        || out.contains("{alias_id}");
    (!unfilled).then_some(out)
}

fn run(d: &Hoodyd, command: &str, token: &str) -> Value {
    let origin = d.client.url("").trim_end_matches("/api/v1").to_owned();
    let command = command.replace(PLATFORM, &origin);
    let out = std::process::Command::new("bash")
        .args(["-c", &format!("{command} --silent --show-error")])
        .env("HOODY_TOKEN", token)
        .output()
        .unwrap();
    assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{command} answered no JSON: {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test]
async fn the_containers_pages_curl_snippets_run_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start(dir.path());
    // The page creates without an image: the default, debian/13.
    d.import_debian();
    let token = std::fs::read_to_string(dir.path().join("admin.token")).unwrap().trim().to_owned();
    // The page's key is cut short ("AAAA..."); a reader puts their own.
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("key");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key_file)
        .status()
        .unwrap();
    assert!(made.success());
    let public_key = std::fs::read_to_string(key_file.with_extension("pub")).unwrap();
    let public_key = public_key.split_whitespace().take(2).collect::<Vec<_>>().join(" ");

    // A failed container for the troubleshooting snippet.
    let troubles = hoody_model::ProjectCreate { alias: "troubles".into(), ..Default::default() };
    let project = d.client.create_project(&troubles).await.unwrap();
    let req = hoody_model::ContainerCreate { container_image: Some("nosuch/1".into()), ..Default::default() };
    let failed = d.client.create_container(project.id.as_str(), &req).await.unwrap();

    let commands = curl_commands();
    assert!(commands.len() >= 12, "the page's snippets: {commands:#?}");
    let mut known: BTreeMap<&str, String> = BTreeMap::new();
    known.insert("failed_container_id", failed.id.to_string());
    let mut pending: Vec<String> = commands.clone();
    let mut ran = 0;
    // In dependency order: a command runs once what it names is known (the page lists its update
    // before its creation), and a deletion once nothing else can run.
    while !pending.is_empty() {
        let runnable = |c: &String, deleting: bool| filled(c, &known).is_some() && c.contains("-X DELETE") == deleting;
        let next =
            pending.iter().position(|c| runnable(c, false)).or_else(|| pending.iter().position(|c| runnable(c, true)));
        let Some(at) = next else {
            break;
        };
        let command = pending.remove(at);
        let script = filled(&command, &known).unwrap().replace("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...", &public_key);
        let answer = run(&d, &script, &token);
        let status = answer["statusCode"].as_u64().unwrap_or(0);
        assert!((200..300).contains(&status), "{script}\n→ {answer}");
        let data = &answer["data"];
        if script.contains("/projects/\"") && script.contains("-X POST") {
            known.insert("project_id", data["id"].as_str().unwrap().to_owned());
        } else if script.contains("/rentals") {
            known.insert("server_id", data[0]["server_id"].as_str().unwrap().to_owned());
        } else if script.contains("/containers\"") && script.contains("-X POST") {
            let id = data["id"].as_str().unwrap().to_owned();
            known.insert("container_id", id.clone());
            known.insert("id", id.clone());
            // The page's next steps (stop, change, snapshot) are for a container that has come up.
            let up = || async {
                let c = d.client.container(&id, false).await.unwrap();
                (!c.status.is_transitional()).then_some(())
            };
            hoody_client::testkit::eventually("the page's container", std::time::Duration::from_secs(60), up).await;
        }
        ran += 1;
    }
    // What is left: the page's optional proxy-alias cleanup, which this server does not have.
    let names: Vec<&str> = pending.iter().map(|c| c.lines().next().unwrap()).collect();
    assert_eq!(names, ["curl -X DELETE \"https://api.hoody.icu/api/v1/proxy/aliases/{alias_id}\" \\"], "{pending:#?}");
    let alias = filled(&pending[0].replace("{alias_id}", "a"), &known).unwrap();
    let answer = run(&d, &alias, &token);
    assert_eq!(answer["statusCode"], 404, "{answer}");
    assert!(answer["message"].as_str().unwrap().starts_with("no route"), "{answer}");
    assert_eq!(ran, commands.len() - 1);
    let _ = d.client.delete_container(failed.id.as_str()).await;
}
