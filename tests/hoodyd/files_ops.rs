//! The files service's operations as the platform documents them, on a real container: `?lines`
//! and `?hash`/`?sha256` answer what they name (they used to return the whole file), `?stat`,
//! the `stat/ realpath/ append/ chmod/ copy/ move/` prefixes, `?copy_to`/`?move_to`, a
//! directory deleted with its contents, `health`; `glob/` and `grep/` (within the container's
//! root, `.gitignore` honoured) and the root paths `/{path}`. Documented parameters not
//! honoured yet are a 501 naming them; nothing is written by a refused request.

use crate::proxy::{browser, server_with};
use serde_json::Value;

#[tokio::test]
async fn file_operations_as_the_platform_documents_them() {
    let (_dir, d, _, c) = server_with("filing").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let inside = |p: &str| format!("/proc/{init}/root{p}");
    let base = c["urls"]["files-1"].as_str().expect("a files URL").to_owned();
    let http = browser(&d, &base);
    let api = format!("{base}/api/v1/files");
    let get = |path: String| {
        let (http, url) = (http.clone(), format!("{api}{path}"));
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let json = |text: &str| serde_json::from_str::<Value>(text).unwrap();

    let text = "one\ntwo\nthree\nfour\n";
    assert_eq!(http.put(format!("{api}/root/poem.txt")).body(text).send().await.unwrap().status(), 200);
    assert_eq!(get("/root/poem.txt?lines=2-3".into()).await, (200, "two\nthree\n".into()));
    assert_eq!(get("/root/poem.txt?lines=4".into()).await, (200, "four\n".into()));
    assert_eq!(get("/root/poem.txt?lines=3-1".into()).await.0, 400);
    let (status, answer) = get("/root/poem.txt?hash".into()).await;
    assert_eq!(status, 200, "{answer}");
    let digest = json(&answer)["sha256"].as_str().unwrap().to_owned();
    let expected = std::process::Command::new("sha256sum").arg(inside("/root/poem.txt")).output().unwrap();
    let expected = String::from_utf8(expected.stdout).unwrap();
    assert_eq!(digest, expected.split_whitespace().next().unwrap(), "sha256sum agrees");
    assert_eq!(json(&get("/root/poem.txt?sha256".into()).await.1)["hash"], digest.as_str());
    assert_eq!(json(&get("/root/poem.txt?stat".into()).await.1)["size"], text.len());
    let health = get("/health".into()).await;
    assert_eq!(health.0, 200, "{}", health.1);

    // Prefixes.
    let r = http.put(format!("{api}/append/root/poem.txt")).body("five\n").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get("/root/poem.txt?lines=5-".into()).await.1, "five\n");
    let r = http.patch(format!("{api}/chmod/root/poem.txt?chmod=600")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(inside("/root/poem.txt")).unwrap().permissions());
    assert_eq!(mode & 0o7777, 0o600);
    // chown: the container's ids (its root's 1000 is the host's subordinate id beside it).
    let r = http.patch(format!("{api}/chown/root/poem.txt?chown=1000:1000")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    use std::os::unix::fs::MetadataExt;
    let root_uid = std::fs::metadata(inside("/")).unwrap().uid();
    let poem = std::fs::metadata(inside("/root/poem.txt")).unwrap();
    assert_eq!((poem.uid(), poem.gid()), (root_uid + 1000, root_uid + 1000), "owned by the container's 1000");
    let r = http.patch(format!("{api}/chown/root/poem.txt?chown=root")).send().await.unwrap();
    assert_eq!(r.status(), 200, "by name, from the container's /etc/passwd");
    assert_eq!(std::fs::metadata(inside("/root/poem.txt")).unwrap().uid(), root_uid);
    for (owner, status) in [("nobody-here", 400), ("99999999", 400), ("", 400)] {
        let r = http.patch(format!("{api}/chown/root/poem.txt?chown={owner}")).send().await.unwrap();
        assert_eq!(r.status(), status, "chown={owner:?}");
    }
    let r = http.post(format!("{api}/copy/root/poem.txt?copy_to=/root/copies/poem.txt")).send().await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(std::fs::read_to_string(inside("/root/copies/poem.txt")).unwrap(), format!("{text}five\n"));
    let r = http.post(format!("{api}/copy/root/poem.txt?copy_to=/root/copies/poem.txt")).send().await.unwrap();
    assert_eq!(r.status(), 409, "an existing copy is kept unless ?overwrite");
    let r = http.post(format!("{api}/root/poem.txt?copy_to=/root/copies/poem.txt&overwrite")).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let r = http.post(format!("{api}/move/root/copies/poem.txt?move_to=/root/moved/verse.txt")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(!std::path::Path::new(&inside("/root/copies/poem.txt")).exists());
    std::os::unix::fs::symlink("/root/moved", inside("/root/shortcut")).unwrap();
    let (status, answer) = get("/realpath/root/shortcut/verse.txt".into()).await;
    assert_eq!((status, json(&answer)["realpath"].as_str()), (200, Some("/root/moved/verse.txt")), "{answer}");

    // A directory goes with its contents; a link inside it is removed, not followed.
    std::os::unix::fs::symlink("/root/poem.txt", inside("/root/moved/link")).unwrap();
    assert_eq!(http.delete(format!("{api}/root/moved")).send().await.unwrap().status(), 200);
    assert!(!std::path::Path::new(&inside("/root/moved")).exists());
    assert!(std::path::Path::new(&inside("/root/poem.txt")).exists());

    // Documented, not honoured yet: a 501 that names it, and nothing done.
    for (method, path) in [
        (reqwest::Method::GET, "/root/poem.txt?thumbnail".to_owned()),
        (reqwest::Method::GET, "/root?zip".to_owned()),
        (reqwest::Method::PUT, "/root/other.txt?owner=nobody".to_owned()),
        (reqwest::Method::POST, "/root/poem.txt?extract".to_owned()),
        (reqwest::Method::GET, "/root/poem.txt?hash=md5".to_owned()),
    ] {
        let r = http.request(method.clone(), format!("{api}{path}")).body("x").send().await.unwrap();
        let status = r.status().as_u16();
        let answer: Value = r.json().await.unwrap();
        assert_eq!((status, answer["error"].as_str()), (501, Some("NOT_IMPLEMENTED")), "{method} {path}: {answer}");
        let named = path.split(['?', '/']).filter(|w| !w.is_empty()).any(|w| {
            let word = w.split('=').next().unwrap();
            answer["message"].as_str().unwrap().contains(word) && !["root", "poem.txt"].contains(&word)
        });
        assert!(named, "{method} {path}: {answer}");
    }
    assert!(!std::path::Path::new(&inside("/root/other.txt")).exists());
    let r = http.post(format!("{api}/root/poem.txt?mkdir&copy_to=/x")).send().await.unwrap();
    assert_eq!(r.status(), 400, "one operation at a time");
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(reqwest::Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

#[tokio::test]
async fn glob_grep_and_the_root_paths_find_and_change_files_in_the_container() {
    let (_dir, d, _, c) = server_with("finding").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let inside = |p: &str| format!("/proc/{init}/root{p}");
    let base = c["urls"]["files-1"].as_str().expect("a files URL").to_owned();
    let http = browser(&d, &base);
    let get = |url: String| {
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for (path, text) in [
        ("/srv/app/src/main.rs", "fn main() {\n    let answer = 42;\n}\n"),
        ("/srv/app/src/util.rs", "// TODO: tidy\npub fn answer() -> u8 { 42 }\n"),
        ("/srv/app/build/gen.rs", "const ANSWER: u8 = 42;\n"),
        ("/srv/app/.gitignore", "build/\n"),
        ("/srv/app/README", "The answer is in src.\n"),
    ] {
        let r = http.put(format!("{base}{path}")).body(text).send().await.unwrap();
        assert_eq!(r.status(), 200, "PUT at the root path {path}");
    }
    // A link the container made to the host's root leads nowhere outside it.
    std::os::unix::fs::symlink("/", inside("/srv/app/escape")).unwrap();

    let api = format!("{base}/api/v1/files");
    let (status, found) = get(format!("{api}/glob/srv/app?pattern=**/*.rs&sort=path&order=asc")).await;
    assert_eq!(status, 200, "{found}");
    let paths: Vec<&str> = found["matches"].as_array().unwrap().iter().map(|m| m["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/srv/app/src/main.rs", "/srv/app/src/util.rs"], "build/ is in .gitignore: {found}");
    let (_, all) = get(format!("{api}/glob/srv/app?pattern=**/*.rs&no_ignore=true")).await;
    assert_eq!(all["count"], 3, "build/ too, and nothing through the link to / (links are not followed): {all}");
    let (status, hits) = get(format!("{api}/grep/srv/app?pattern=ANSWER&ignore_case=true&context=1")).await;
    assert_eq!(status, 200, "{hits}");
    let lines: Vec<(String, u64)> = hits["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["path"].as_str().unwrap().to_owned(), m["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            ("/srv/app/README".to_owned(), 1),
            ("/srv/app/src/main.rs".to_owned(), 2),
            ("/srv/app/src/util.rs".to_owned(), 2)
        ],
        "{hits}"
    );
    assert_eq!(hits["matches"][1]["before"], serde_json::json!(["fn main() {"]));
    let (_, todo) = get(format!("{api}/grep/srv/app?pattern=TODO:&fixed_string=true&glob=*.rs")).await;
    assert_eq!(todo["count"], 1, "{todo}");
    let (status, bad) = get(format!("{api}/grep/srv/app?pattern=(")).await;
    assert_eq!((status, bad["error"].as_str()), (400, Some("INVALID_PARAMETERS")), "{bad}");
    assert_eq!(get(format!("{api}/glob/srv/app/README?pattern=*")).await.0, 400, "not a directory");

    // The root paths.
    let (status, listing) = get(format!("{base}/srv/app/src")).await;
    assert_eq!(status, 200, "{listing}");
    let names: Vec<&str> =
        listing["data"]["paths"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["main.rs", "util.rs"]);
    let file = http.get(format!("{base}/srv/app/README")).send().await.unwrap();
    assert_eq!(file.text().await.unwrap(), "The answer is in src.\n");
    let head = http.head(format!("{base}/srv/app/README")).send().await.unwrap();
    assert_eq!((head.status().as_u16(), head.headers()["x-file-size"].to_str().unwrap()), (200, "22"));
    let (_, named) = get(format!("{base}/srv/app?q=UTIL")).await;
    assert_eq!(named["results"][0]["path"], "/srv/app/src/util.rs", "{named}");
    let options = http.request(reqwest::Method::OPTIONS, format!("{base}/srv")).send().await.unwrap();
    assert!(options.headers()["allow"].to_str().unwrap().contains("DELETE"));
    let r = http.put(format!("{base}/srv/app/stamp?touch")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(std::fs::metadata(inside("/srv/app/stamp")).unwrap().len(), 0, "made empty");
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    std::fs::File::options().write(true).open(inside("/srv/app/README")).unwrap().set_modified(old).unwrap();
    assert_eq!(http.put(format!("{base}/srv/app/README?touch")).send().await.unwrap().status(), 200);
    let touched = std::fs::metadata(inside("/srv/app/README")).unwrap().modified().unwrap();
    assert!(touched > old, "its time is now");
    assert_eq!(std::fs::read_to_string(inside("/srv/app/README")).unwrap(), "The answer is in src.\n", "kept");
    assert_eq!(http.delete(format!("{base}/srv/app/build")).send().await.unwrap().status(), 200);
    assert!(!std::path::Path::new(&inside("/srv/app/build")).exists());
    // A directory as a ZIP, put back and read entry by entry.
    let zipped = http.get(format!("{base}/srv/app/src?zip")).send().await.unwrap();
    assert_eq!(zipped.headers()["content-type"], "application/zip");
    let zipped = zipped.bytes().await.unwrap();
    assert_eq!(&zipped[..4], b"PK\x03\x04");
    assert_eq!(http.put(format!("{base}/srv/src.zip")).body(zipped).send().await.unwrap().status(), 200);
    let (status, listed) = get(format!("{base}/srv/src.zip?preview")).await;
    assert_eq!(status, 200, "{listed}");
    let names: Vec<&str> = listed["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["main.rs", "util.rs"], "{listed}");
    let one = http.get(format!("{base}/srv/src.zip?view_file=util.rs")).send().await.unwrap();
    assert_eq!(one.text().await.unwrap(), "// TODO: tidy\npub fn answer() -> u8 { 42 }\n");
    assert_eq!(get(format!("{base}/srv/src.zip?view_file=nope.rs")).await.0, 404);
    assert_eq!(get(format!("{base}/srv/app/README?preview")).await.0, 400, "not a ZIP");
    let (status, out) = get(format!("{base}/srv/src.zip?extract")).await;
    assert_eq!((status, out["count"].as_u64()), (200, Some(2)), "{out}");
    assert_eq!(std::fs::read_to_string(inside("/srv/src/main.rs")).unwrap(), "fn main() {\n    let answer = 42;\n}\n");
    let (status, one) = get(format!("{base}/srv/src.zip?extract_file&extract=util.rs&dest=/tmp/one")).await;
    assert_eq!((status, &one["extracted"]), (200, &serde_json::json!(["/tmp/one/util.rs"])), "{one}");
    assert_eq!(get(format!("{base}/srv/src.zip?extract&dest=/srv/..%2Fescape")).await.0, 403);
    for refused in ["/srv/app?thumbnail", "/srv/app/README?history"] {
        let (status, answer) = get(format!("{base}{refused}")).await;
        assert_eq!(status, 501, "{refused}: {answer}");
    }
    assert_eq!(get(format!("{base}/srv/..%2Fetc")).await.0, 403);
    assert_eq!(get(format!("{base}/api/v1/version")).await.1["service"], "files");
    let id = c["id"].as_str().unwrap();
    assert_eq!(d.client.raw(reqwest::Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
