//! The kit's terminal and display pages in a real browser (Debian's chromium driven by
//! playwright-core, `tests/browser/kit-pages.mjs`), against a real Debian container through the
//! proxy. Screenshots go to target/screenshots.

use crate::proxy::browser;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn terminal_and_display_pages_work_in_chromium() {
    let (_dir, d, c) = crate::display::running_debian("browsed").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
    let display = c["urls"]["display-1"].as_str().unwrap().to_owned();
    // Something to see on the display (it starts on first use): xlogo, from terminal session 2.
    let info = browser(&d, &display).get(format!("{display}/api/v1/display/info")).send().await.unwrap();
    assert_eq!(info.status(), 200);
    let r: Value = browser(&d, &terminal)
        .post(format!("{terminal}/api/v1/terminal/execute?terminal_id=2"))
        .json(&json!({"command": "DISPLAY=:1 xlogo -geometry 400x400+50+50 &", "wait": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["exit_code"], 0, "{r}");

    let root = hoody_e2e::root().display().to_string();
    let shots = format!("{root}/target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(format!("{root}/tests/browser/kit-pages.mjs"))
        .args([&terminal, &display, &shots])
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the browser test failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("terminal: from-the-browser-42 browsed"), "{stdout}");
    // The display (started at 1280x800) took the size of the page's 1000x640 window.
    assert!(stdout.contains("display: canvas 1000x640"), "{stdout}");
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}
