//! The attacker in CI: a debian/13 container's root, with only what a container's user has (the
//! web terminal, the files service, exec scripts, the display), tries each way out an attacker
//! found once, against a root engine and an ordinary user's engine; and the engine is started
//! as a careless launcher starts it (a descriptor left open) on a data directory open to every
//! host user (as one made by hand, or before the engine closed it, is). Each shape is a row of
//! a table: refused, or the test fails naming what got through.
//!
//! Shapes: the launcher's descriptor seen from any process of the container's or the engine's
//! helpers; a set-user-ID program of the container's run by a host user; the database and its
//! WAL read by a host user; cross-site GETs that write (an extraction, a download) from another
//! site, from an `<img>`, and from the container's own web page; io_uring; a nested user
//! namespace; the network helper's host user; the engine fed by hostile tools (a giant xwd header, endless output, garbage, a
//! tool that never exits, an exec script that never stops writing), after which it still
//! serves; and the escape suite's known ways out ([`crate::escape::ESCAPE`]).

use crate::process::Hoodyd;
use crate::proxy::browser;
use hoody_client::testkit::TestUser;
use serde_json::{Value, json};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What the attacker tried, and whether the engine held.
#[derive(Default)]
struct Table(Vec<(String, bool, String)>);

impl Table {
    fn row(&mut self, shape: &str, held: bool, detail: impl Into<String>) {
        self.0.push((shape.to_owned(), held, detail.into()));
    }

    /// Prints the table (the closing note's) and fails naming every shape that got through.
    fn assert_held(&self, engine: &str) {
        println!("| shape | {engine} engine |\n|---|---|");
        for (shape, held, _) in &self.0 {
            println!("| {shape} | {} |", if *held { "refused" } else { "GOT THROUGH" });
        }
        let through: Vec<String> =
            self.0.iter().filter(|(_, held, _)| !held).map(|(s, _, d)| format!("{s}: {d}")).collect();
        assert!(through.is_empty(), "{engine} engine: the attacker got through:\n{}", through.join("\n"));
    }
}

#[tokio::test]
async fn a_hostile_container_of_a_root_engine_gets_nothing() {
    attack(None).await;
}

#[tokio::test]
async fn a_hostile_container_of_a_users_engine_gets_nothing() {
    attack(Some(hoody_client::testkit::test_user())).await;
}

async fn attack(user: Option<&'static TestUser>) {
    let engine = if user.is_some() { "rootless" } else { "root" };
    let mut table = Table::default();
    // A data directory open to every host user, as one made by hand is.
    let data = tempfile::Builder::new().prefix("hoody-hostile-").tempdir_in("/tmp").unwrap();
    if let Some(user) = user {
        user.give(data.path());
    }
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // A descriptor of a host directory the launcher left open, as descriptor 7.
    let held_dir = tempfile::Builder::new().prefix("hoody-held-").tempdir_in("/tmp").unwrap();
    std::fs::write(held_dir.path().join("secret"), "the host's").unwrap();
    let held_path = held_dir.path().canonicalize().unwrap();
    let held = std::fs::File::open(&held_path).unwrap();
    let d = Hoodyd::start_holding(user, data.path(), &held, 7);
    assert_eq!(std::fs::read_link(format!("/proc/{}/fd/7", d.pid)).unwrap(), held_path, "hoodyd got the descriptor");

    d.import_debian();
    d.import_busybox();
    let project = d.client.raw(reqwest::Method::POST, "/projects/", Some(&json!({"alias": "hostile"}))).await.unwrap();
    let project = project.body["data"]["id"].as_str().unwrap().to_owned();
    let neighbour = crate::proxy::running(&d, &project, "neighbour").await;
    let c = running_debian(&d, &project).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let url = |service: &str| c["urls"][service].as_str().unwrap().to_owned();
    let (terminal, files, display, exec) = (url("terminal-1"), url("files-1"), url("display-1"), url("exec-1"));
    let http = browser(&d, &files);
    let put = |path: &str, body: Vec<u8>| {
        let http = http.clone();
        let url = format!("{files}/api/v1/files/{}", path.trim_start_matches('/'));
        async move { assert_eq!(http.put(url).body(body).send().await.unwrap().status(), 200) }
    };

    // The known ways out, from a terminal session (see the escape suite).
    let marker = format!("marker-{}", hoody_model::ids::random_hex(6));
    let neighbour_files = neighbour["urls"]["files-1"].as_str().unwrap().to_owned();
    let r = browser(&d, &neighbour_files).put(format!("{neighbour_files}/api/v1/files/tmp/{marker}")).body("x");
    assert_eq!(r.send().await.unwrap().status(), 200);
    put("/escape.sh?mode=755", crate::escape::ESCAPE.into()).await;
    let env = format!("HOST_PID={} OTHER_MARKER={marker}", std::process::id());
    let out = run(&d, &terminal, &format!("{env} /escape.sh")).await;
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("ESCAPED ") || l.starts_with("refused ")).collect();
    assert!(out.contains("done") && lines.len() >= 18, "the escape script ran to its end: {out}");
    for line in lines {
        let (verdict, shape) = line.split_once(' ').unwrap();
        table.row(shape, verdict == "refused", line);
    }

    // io_uring and a nested user namespace; a set-user-ID program planted in its layer.
    let script = r#"try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "ESCAPED $name"; else echo "refused $name"; fi; }
try io_uring perl -e 'my $p = "\0" x 120; syscall(425, 8, $p) >= 0 or exit 1'
try nested_user_namespace unshare --user --map-root-user true
try nested_user_and_network_namespace unshare --user --map-root-user --net true
mkdir -p /opt/p && cp /usr/bin/id /opt/p/suid && chmod 4755 /opt/p/suid && echo planted"#;
    let out = run(&d, &terminal, script).await;
    for line in out.lines().filter(|l| l.starts_with("ESCAPED ") || l.starts_with("refused ")) {
        let (verdict, shape) = line.split_once(' ').unwrap();
        table.row(shape, verdict == "refused", line);
    }
    assert!(out.contains("planted"), "{out}");

    // A host user runs the planted program, reads the database and its WAL.
    let data_dir = &d.data_dir;
    let suid = data_dir.join("runtime/containers").join(&id).join("upper/opt/p/suid");
    assert_eq!(std::fs::metadata(&suid).unwrap().permissions().mode() & 0o7777, 0o4755, "planted on the host");
    let as_nobody = |args: &[&str]| Command::new("runuser").args(["-u", "nobody", "--"]).args(args).output().unwrap();
    let ran = as_nobody(&[suid.to_str().unwrap(), "-u"]);
    table.row("host user runs a set-user-ID program of the container's", !ran.status.success(), out_of(&ran));
    for file in ["hoody.db", "hoody.db-wal"] {
        let read = as_nobody(&["cat", data_dir.join(file).to_str().unwrap()]);
        table.row(&format!("host user reads {file}"), !read.status.success(), out_of(&read));
    }
    // A JWT gate's secret, set through the API, then a backup: in no file of the database.
    let secret = format!("gate-secret-{}", hoody_model::ids::random_hex(8));
    let jwt = json!({"secret": secret, "algorithm": "HS256", "sources": ["header"]});
    let url = d.client.url(&format!("/containers/{id}/proxy/permissions/groups/sso/jwt"));
    let token = std::fs::read_to_string(data_dir.join("admin.token")).unwrap();
    let set = reqwest::Client::new().patch(url).bearer_auth(token.trim()).json(&jwt).send().await.unwrap();
    assert_eq!(set.status(), 200);
    let server = crate::proxy::server_id(&d.client).await;
    let run = format!("/servers/{server}/execute-command");
    let backup = d.client.raw(reqwest::Method::POST, &run, Some(&json!({"command_id": "backup-database"}))).await;
    assert!(backup.unwrap().body["data"]["output"]["backup"].is_string(), "a backup was taken");
    let plain = files_holding(data_dir, secret.as_bytes());
    table.row(
        "a JWT gate's secret in plaintext in the database, its WAL or a backup",
        plain.is_empty(),
        plain.join(", "),
    );
    let modes = private_modes(data_dir);
    table.row("data directory 0700, its files 0600", modes.is_empty(), modes.join(", "));

    // Cross-site GETs that write: an extraction and a download, from three kinds of page.
    put("/tmp/z/f.txt", b"zipped".to_vec()).await;
    let zipped = http.get(format!("{files}/tmp/z?zip")).send().await.unwrap().bytes().await.unwrap();
    put("/tmp/a.zip", zipped.to_vec()).await;
    let web_page = format!("{}/page", files.replace("-files-1.", "-http-8080."));
    let pages: [(&str, Vec<(&str, &str)>); 3] = [
        ("another site's page (Origin)", vec![("origin", "https://evil.example")]),
        ("another site's <img>", vec![("sec-fetch-site", "cross-site"), ("sec-fetch-mode", "no-cors")]),
        ("the container's own web page", vec![("sec-fetch-site", "same-site"), ("referer", &web_page)]),
    ];
    for (n, (page, headers)) in pages.iter().enumerate() {
        let send = |url: String| {
            let mut request = http.get(url);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request.send()
        };
        let extract = send(format!("{files}/tmp/a.zip?extract&dest=/etc/pwn-{n}")).await.unwrap().status();
        let made = http.get(format!("{files}/etc/pwn-{n}/f.txt")).send().await.unwrap().status();
        table.row(
            &format!("extraction by a GET from {page}"),
            extract == 403 && made == 404,
            format!("{extract}, {made}"),
        );
        let download = send(format!("{files}/etc/profile.d?download=http://127.0.0.1:9/x&filename=pwn-{n}.sh"));
        let status = download.await.unwrap().status();
        table.row(&format!("download by a GET from {page}"), status == 403, status.to_string());
    }
    let extract = http.get(format!("{files}/tmp/a.zip?extract&dest=/etc/pwn-own")).send().await.unwrap().status();
    let made = http.get(format!("{files}/etc/pwn-own/f.txt")).send().await.unwrap().text().await.unwrap();
    assert_eq!((extract.as_u16(), made.as_str()), (200, "zipped"), "the same extraction, not from a page, works");

    // Hostile tools: the engine answers each with its reason and keeps serving, round after
    // round, and what it holds does not grow with them (the first round warms it up).
    let rss_before = rss(d.pid);
    put("/tmp/giant.xwd", giant_xwd_header()).await;
    put("/hoody/exec/flood?mode=755", b"#!/bin/sh\nexec yes\n".to_vec()).await;
    let screen = browser(&d, &display);
    let tools: [(&str, &str, u16, &str); 4] = [
        ("xwd printing a 16777216×16777216 header", "exec cat /tmp/giant.xwd", 502, "16777216×16777216"),
        ("xwd printing without end", "exec yes", 502, "printed more than"),
        ("xwd printing invalid bytes", r"printf '\377\376\375 not a dump'", 502, "not a usable xwd dump"),
        ("xwd never exiting", "exec sleep 600", 504, "took longer"),
    ];
    let mut rss_after = Vec::new();
    for round in 1..=HOSTILE_ROUNDS {
        // A shape's row is its first round's, and any later round's that got through.
        let mut row = |shape: &str, held: bool, detail: String| {
            if round == 1 || !held {
                table.row(
                    &format!("{shape}{}", if round == 1 { String::new() } else { format!(" (round {round})") }),
                    held,
                    detail,
                );
            }
        };
        for (shape, body, status, says) in tools {
            put("/usr/local/bin/xwd?mode=755", format!("#!/bin/sh\n{body}\n").into_bytes()).await;
            let r = screen.get(format!("{display}/api/v1/display/screenshot")).send().await.unwrap();
            let (got, text) = (r.status().as_u16(), r.text().await.unwrap());
            let alive = d.client.raw(reqwest::Method::GET, &format!("/containers/{id}"), None).await.is_ok();
            row(shape, got == status && text.contains(says) && alive, format!("{got} {text}"));
        }
        let r = browser(&d, &exec).get(format!("{exec}/flood")).send().await.unwrap();
        let (got, text) = (r.status().as_u16(), r.text().await.unwrap());
        let alive = d.client.raw(reqwest::Method::GET, &format!("/containers/{id}"), None).await.is_ok();
        row(
            "exec script printing without end",
            got == 502 && text.contains("printed more than") && alive,
            got.to_string(),
        );
        rss_after.push(rss(d.pid));
    }
    println!("{engine} engine: RSS {rss_before} KiB before the hostile tools, after each round {rss_after:?} KiB");
    // What the tools make the engine read is 64–127 MiB a round: keeping any of it would put the
    // last round far above the others. A few MiB up or down is the allocator settling (seen:
    // +2 MiB over three rounds while the rest of the suite runs beside it).
    let (earlier, last) = rss_after.split_at(HOSTILE_ROUNDS - 1);
    let (high, last) = (earlier.iter().copied().max().unwrap_or(rss_before), last[0]);
    table.row(
        "the engine's memory after the last round of hostile tools (within 4 MiB of the earlier rounds' high)",
        last <= high + 4096,
        format!("{high} KiB at most after the earlier rounds, {last} KiB after the last"),
    );

    // The network helper is the container's root on the host: neither root nor the engine's user.
    let helper = std::fs::read_to_string(data_dir.join("runtime/containers").join(&id).join("network.pid")).unwrap();
    let status = std::fs::read_to_string(format!("/proc/{}/status", helper.trim())).unwrap();
    let uid: u32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let container_root =
        std::fs::metadata(data_dir.join("runtime/containers").join(&id).join("upper/opt/p")).unwrap().uid();
    let engine_uid = user.map_or(0, |u| u.uid);
    table.row(
        "the network helper runs as the container's root",
        uid == container_root && uid != engine_uid,
        format!("uid {uid}"),
    );

    // The launcher's descriptor: no process but hoodyd holds it (the container's init, its
    // terminal session, the X server, the exec script, the network helper, hoody-enter...).
    let holders = holders_of(&held_path, &[d.pid, std::process::id()]);
    table.row("a descriptor the engine's launcher left open", holders.is_empty(), holders.join(", "));

    table.assert_held(engine);
    for c in [&id, neighbour["id"].as_str().unwrap()] {
        d.client.raw(reqwest::Method::DELETE, &format!("/containers/{c}"), None).await.unwrap();
    }
}

/// Rounds of the hostile tools.
const HOSTILE_ROUNDS: usize = 3;

/// A debian/13 container of `project`, running with its terminal, files, display and exec.
async fn running_debian(d: &Hoodyd, project: &str) -> Value {
    let body = json!({"name": "hostile", "container_image": "debian/13", "server_id": crate::proxy::server_id(&d.client).await});
    let r = d.client.raw(reqwest::Method::POST, &format!("/projects/{project}/containers"), Some(&body)).await.unwrap();
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    let running = || async {
        let c = d.client.raw(reqwest::Method::GET, &format!("/containers/{id}?runtime=true"), None).await.unwrap();
        let c = c.body["data"].clone();
        assert_ne!(c["status"], "stopped", "{c}");
        (c["status"] == "running" && c["urls"]["terminal-1"].is_string() && c["urls"]["display-1"].is_string())
            .then_some(c)
    };
    hoody_client::testkit::eventually("debian running", Duration::from_secs(60), running).await
}

/// Runs `script` in a terminal session of the container; its output.
pub(crate) async fn run(d: &Hoodyd, terminal: &str, script: &str) -> String {
    let body = json!({"command": script, "wait": true, "timeout_ms": 120000});
    let url = format!("{terminal}/api/v1/terminal/execute?ephemeral=true");
    let r: Value = browser(d, terminal).post(url).json(&body).send().await.unwrap().json().await.unwrap();
    format!("{}{}", r["stdout"].as_str().unwrap_or_default(), r["stderr"].as_str().unwrap_or_default())
}

fn out_of(out: &std::process::Output) -> String {
    format!("{} {}", String::from_utf8_lossy(&out.stdout).trim(), String::from_utf8_lossy(&out.stderr).trim())
}

/// What in the data directory is open to others: the directory itself, the engine's files at
/// its top, and everything in `records` and `backups`.
fn private_modes(data: &Path) -> Vec<String> {
    let mut open = Vec::new();
    let mut check = |path: PathBuf| {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            open.push(format!("{} is {mode:o}", path.display()));
        }
    };
    check(data.to_owned());
    let mut walk = vec![data.join("records"), data.join("backups")];
    for entry in std::fs::read_dir(data).unwrap().flatten() {
        if entry.file_type().unwrap().is_file() {
            check(entry.path());
        }
    }
    while let Some(dir) = walk.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        check(dir);
        for entry in entries.flatten() {
            match entry.file_type().unwrap().is_dir() {
                true => walk.push(entry.path()),
                false => check(entry.path()),
            }
        }
    }
    open
}

/// The files of the database (the database, its WAL, its backups) that hold `needle`.
fn files_holding(data: &Path, needle: &[u8]) -> Vec<String> {
    let mut files: Vec<PathBuf> = ["hoody.db", "hoody.db-wal"].iter().map(|f| data.join(f)).collect();
    files.extend(std::fs::read_dir(data.join("backups")).into_iter().flatten().flatten().map(|e| e.path()));
    files
        .into_iter()
        .filter(|file| std::fs::read(file).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle)))
        .map(|file| file.display().to_string())
        .collect()
}

/// Every process (but `except`) holding a descriptor of `path`, as "PID (COMMAND) fd N".
fn holders_of(path: &Path, except: &[u32]) -> Vec<String> {
    let mut found = Vec::new();
    for process in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = process.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if except.contains(&pid) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(process.path().join("fd")) else { continue };
        for fd in fds.flatten() {
            if std::fs::read_link(fd.path()).is_ok_and(|target| target == path) {
                let command = std::fs::read_to_string(process.path().join("comm")).unwrap_or_default();
                found.push(format!("{pid} ({}) fd {}", command.trim(), fd.file_name().to_string_lossy()));
            }
        }
    }
    found
}

/// A process's resident memory, in KiB.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap().to_owned();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The header an attacker's xwd printed: a 16777216×16777216 screen of 0 bytes per line (the
/// engine once asked for 844424930131968 bytes and aborted).
fn giant_xwd_header() -> Vec<u8> {
    let mut header = [0u32; 25];
    (header[0], header[1], header[2]) = (104, 7, 2);
    (header[4], header[5], header[11], header[12]) = (16_777_216, 16_777_216, 32, 0);
    (header[14], header[15], header[16]) = (0xff0000, 0xff00, 0xff);
    let mut bytes: Vec<u8> = header.iter().flat_map(|w| w.to_be_bytes()).collect();
    bytes.extend(b"pwn\0");
    bytes
}
