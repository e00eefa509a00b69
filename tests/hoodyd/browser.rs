//! The kit's pages (terminal, display, exec, sqlite, files) in a real browser (Debian's chromium driven
//! by playwright-core, `tests/browser/kit-pages.mjs`), against a real Debian container through
//! the proxy: each works, and each carries the container's name, project and colour.
//! Screenshots go to target/screenshots.

use crate::proxy::browser;
use crate::terminal::run_in_session;
use reqwest::Method;

#[tokio::test]
async fn kit_pages_work_in_chromium_and_say_whose_they_are() {
    let (_dir, d, c) = crate::display::running_debian("browsed").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
    let display = c["urls"]["display-1"].as_str().unwrap().to_owned();
    // Something to see on the display (it starts on first use): xlogo, from terminal session 2.
    let info = browser(&d, &display).get(format!("{display}/api/v1/display/info")).send().await.unwrap();
    assert_eq!(info.status(), 200);
    let r = run_in_session(&d, &terminal, 2, "DISPLAY=:1 xlogo -geometry 400x400+50+50 &").await;
    assert_eq!(r["exit_code"], 0, "{r}");
    // A script for the exec page to list and run: it echoes its input back.
    let script = "mkdir -p /hoody/exec && printf '#!/bin/sh\\necho got: $(cat)\\n' > /hoody/exec/hello && chmod +x /hoody/exec/hello";
    let r = run_in_session(&d, &terminal, 2, script).await;
    assert_eq!(r["exit_code"], 0, "{r}");
    let exec = c["urls"]["exec-1"].as_str().unwrap().to_owned();
    let sqlite = c["urls"]["sqlite-1"].as_str().unwrap().to_owned();
    let files = c["urls"]["files-1"].as_str().unwrap().to_owned();

    let shots = hoody_e2e::screenshots();
    let stdout = hoody_e2e::browser_spec("kit-pages.mjs", &[&terminal, &display, &exec, &sqlite, &files, &shots]).await;
    assert!(
        stdout.contains("terminal: from-the-browser-42 browsed (typed while the connection was connecting)"),
        "{stdout}"
    );
    // The display (started at 1280x800) took the size of the page's 1000x640 window, less the
    // frame in the container's colour (24 px above, 3 px on the other sides).
    assert!(stdout.contains("display: canvas 994x613 in a 994x613 screen"), "{stdout}");
    assert!(stdout.contains("display says: Display :1 is connected. It stays black until a program draws"), "{stdout}");
    // Every page says whose it is: "browsed (its project) · Terminal 1", framed in its colour
    // (none was given: the app's gray, #555753).
    let project = d.client.raw(Method::GET, &format!("/projects/{}", c["project_id"].as_str().unwrap()), None).await;
    let project = project.unwrap().body["data"]["alias"].as_str().unwrap().to_owned();
    for (page, service) in [
        ("terminal", "Terminal 1"),
        ("display", "Display :1"),
        ("exec", "Exec"),
        ("sqlite", "SQLite"),
        ("files", "Files"),
    ] {
        let expected =
            format!("{page} page: title \"browsed ({project}) · {service}\", frame rgb(85, 87, 83), icon svg");
        assert!(stdout.contains(&expected), "{expected}\n{stdout}");
    }
    assert!(stdout.contains("exec page ran hello: 200 OK got: from the page"), "{stdout}");
    assert!(stdout.contains("sqlite page rows: 1 | written from the page | 2 | NULL"), "{stdout}");
    assert!(stdout.contains("sqlite page refused: shareable queries may only read"), "{stdout}");
    assert!(stdout.contains("files page at /browse/hoody/exec/"), "{stdout}");
    assert!(stdout.contains("files page read back: uploaded from the page"), "{stdout}");
    assert!(stdout.contains("files page deleted note.txt: true"), "{stdout}");
    // What the page uploaded is the container's, in the folder it made.
    let listed = run_in_session(&d, &terminal, 2, "ls -d '/hoody/exec/made here'").await;
    assert_eq!(listed["exit_code"], 0, "{listed}");
    // A systemd container's journal is read (inside it) with its console.
    let logs = d.client.raw(Method::GET, &format!("/containers/{id}/logs?lines=30"), None).await.unwrap().body;
    let journal = logs["data"]["journal"].as_array().unwrap_or_else(|| panic!("{logs}"));
    assert!(!journal.is_empty() && journal.len() <= 30, "{logs}");
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}
