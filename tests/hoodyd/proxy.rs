//! The service proxy in front of real containers: `http-PORT` reaches a web server inside the
//! container's own network namespace; every failure is a page that names its cause.

use crate::process::Hoodyd;
use reqwest::Method;
use serde_json::{Value, json};

/// A client that sends `*.localhost` names to the proxy, as a browser does.
pub(crate) fn browser(d: &Hoodyd, url: &str) -> reqwest::Client {
    let host = url.trim_start_matches("http://").split(':').next().unwrap().to_owned();
    reqwest::Client::builder()
        .resolve(&host, std::net::SocketAddr::from(([127, 0, 0, 1], d.proxy_port)))
        .build()
        .unwrap()
}

pub(crate) async fn fetch(d: &Hoodyd, url: &str) -> (u16, String) {
    let r = browser(d, url).get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A kit service's API on a container, called as its page would (through the proxy,
/// same-origin): each answer's status and its JSON (or its text).
pub(crate) struct KitApi {
    http: reqwest::Client,
    api: String,
}

impl KitApi {
    /// Paths under `prefix` of the service at `base`.
    pub(crate) fn new(d: &Hoodyd, base: &str, prefix: &str) -> Self {
        Self { http: browser(d, base), api: format!("{base}{prefix}") }
    }

    /// The exec service's (`/api/v1/exec`).
    pub(crate) fn exec(d: &Hoodyd, base: &str) -> Self {
        Self::new(d, base, "/api/v1/exec")
    }

    pub(crate) async fn call(&self, method: Method, path: impl AsRef<str>, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{}", self.api, path.as_ref()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)))
    }
}

/// A server with the busybox image and one running container `name` in a new project;
/// returns the container as `GET ?runtime=true` shows it.
pub(crate) async fn server_with(name: &str) -> (tempfile::TempDir, Hoodyd, String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start(dir.path());
    let (project, c) = busybox_in(&d, name).await;
    (dir, d, project, c)
}

/// [`server_with`], its containers' connections leaving from `outside` (where what they reach is).
pub(crate) async fn server_outside(
    name: &str,
    outside: &hoody_e2e::OutsideNetwork,
) -> (tempfile::TempDir, Hoodyd, String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start_with(dir.path(), &["--egress-netns", outside.netns().to_str().unwrap()]);
    let (project, c) = busybox_in(&d, name).await;
    (dir, d, project, c)
}

/// A project `name` of `d`'s with a running busybox container `name`.
async fn busybox_in(d: &Hoodyd, name: &str) -> (String, Value) {
    d.import_busybox();
    let r = d.client.raw(Method::POST, "/projects/", Some(&json!({"alias": name}))).await.unwrap();
    let project = r.body["data"]["id"].as_str().unwrap().to_owned();
    let c = running(d, &project, name).await;
    (project, c)
}

pub(crate) async fn running(d: &Hoodyd, project: &str, name: &str) -> Value {
    let body = json!({"name": name, "container_image": "busybox/1", "server_id": server_id(&d.client).await});
    let r = d.client.raw(Method::POST, &format!("/projects/{project}/containers"), Some(&body)).await.unwrap();
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    wait_running(d, &id).await
}

/// The busybox container `id` once it runs and its web server listens (with runtime details).
pub(crate) async fn wait_running(d: &Hoodyd, id: &str) -> Value {
    let serving = || async {
        let c = d.client.raw(Method::GET, &format!("/containers/{id}?runtime=true"), None).await.unwrap().body;
        // Running, and its web server (started by its rc script) listening.
        assert!(matches!(c["data"]["status"].as_str(), Some("creating" | "copying" | "running")), "{c}");
        c["data"]["urls"]["http-8080"].is_string().then(|| c["data"].clone())
    };
    hoody_client::testkit::eventually(&format!("{id} serving on 8080"), std::time::Duration::from_secs(30), serving)
        .await
}

#[tokio::test]
async fn http_services_through_the_proxy_and_its_error_pages() {
    let (_dir, d, project, c) = server_with("site").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let url = c["urls"]["http-8080"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("http://{project}-{id}-http-8080.local.localhost:{}", d.proxy_port));

    // The page the container's own web server serves, through the proxy.
    let (status, body) = fetch(&d, &format!("{url}/index.html")).await;
    assert_eq!((status, body.trim()), (200, "hello from site"));

    // Nothing listens on that port inside: 502, naming the port.
    let closed = url.replace("http-8080", "http-9999");
    let (status, body) = fetch(&d, &closed).await;
    assert_eq!(status, 502);
    assert!(body.contains("nothing answers on port 9999 inside the container"), "{body}");

    // The container id is the credential: another project's id, or no such container, is 404.
    let other = url.replace(&project, "0123456789abcdef01234567");
    assert_eq!(fetch(&d, &other).await.0, 404);
    let (status, body) = fetch(&d, &url.replace(&id, "0123456789abcdef01234567")).await;
    assert_eq!(status, 404);
    assert!(body.contains("there is no container 0123456789abcdef01234567"), "{body}");
    let (status, body) = fetch(&d, &format!("http://nothing.local.localhost:{}", d.proxy_port)).await;
    assert_eq!(status, 404);
    assert!(body.contains("is not a service address"), "{body}");

    // Paused and stopped: 503, saying which.
    d.client.raw(Method::POST, &format!("/containers/{id}/pause"), None).await.unwrap();
    let (status, body) = fetch(&d, &url).await;
    assert_eq!(status, 503);
    assert!(body.contains("container site is paused"), "{body}");
    d.client.raw(Method::POST, &format!("/containers/{id}/stop"), None).await.unwrap();
    let (status, body) = fetch(&d, &url).await;
    assert_eq!(status, 503);
    assert!(body.contains("container site is stopped"), "{body}");

    // Started again, it answers again (the proxy follows the new init).
    d.client.raw(Method::POST, &format!("/containers/{id}/start"), None).await.unwrap();
    let mut answered = false;
    for _ in 0..200 {
        if fetch(&d, &format!("{url}/index.html")).await.0 == 200 {
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(answered, "the restarted container's web server is reached");
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
    assert_eq!(fetch(&d, &url).await.0, 404, "a deleted container has no services");
}

/// An upgraded connection (what a WebSocket is) passes through both ways: a tiny upgrade
/// server inside the container answers 101 and echoes.
#[tokio::test]
async fn upgraded_connections_pass_through() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (_dir, d, _, c) = server_with("echo").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let script = format!("/proc/{init}/root/root/upgrade.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\ncr=$(printf '\\r')\nwhile read -r line; do [ \"$line\" = \"$cr\" ] && break; [ -z \"$line\" ] && break; done\n\
         printf 'HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: echo\\r\\n\\r\\n'\nexec cat\n",
    )
    .unwrap();
    std::process::Command::new("chmod").args(["755", &script]).status().unwrap();
    let started = std::process::Command::new("nsenter")
        .args(["-t", &init.to_string(), "-a", "--", "sh", "-c", "nc -ll -p 9000 -e /root/upgrade.sh >/dev/null 2>&1 &"])
        .status()
        .unwrap();
    assert!(started.success());
    let host = c["urls"]["http-8080"].as_str().unwrap().replace("http-8080", "http-9000");
    let host = host.trim_start_matches("http://");

    let mut reply = String::new();
    for _ in 0..100 {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", d.proxy_port)).await.unwrap();
        let mut stream = BufReader::new(stream);
        let request = format!("GET /ws HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
        stream.get_mut().write_all(request.as_bytes()).await.unwrap();
        let mut status = String::new();
        stream.read_line(&mut status).await.unwrap();
        if !status.starts_with("HTTP/1.1 101") {
            // nc may not listen yet.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        }
        let mut line = String::new();
        while stream.read_line(&mut line).await.unwrap() > 0 && line != "\r\n" {
            line.clear();
        }
        stream.get_mut().write_all(b"ping through the tunnel\n").await.unwrap();
        stream.read_line(&mut reply).await.unwrap();
        break;
    }
    assert_eq!(reply, "ping through the tunnel\n");
    let id = c["id"].as_str().unwrap();
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}

/// The files service: upload, append, list, stat, mkdir, download, delete — and every way out
/// of the container's root refused or kept inside it.
#[tokio::test]
async fn files_service_stays_inside_the_container() {
    let (_dir, d, _, c) = server_with("store").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let base = c["urls"]["files-1"].as_str().expect("a files URL").to_owned();
    let http = browser(&d, &base);
    let api = format!("{base}/api/v1/files");

    let r = http.put(format!("{api}/root/notes.txt")).body("first\n").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = http.put(format!("{api}/root/notes.txt?append")).body("second\n").send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["size"], 13);
    assert_eq!(std::fs::read_to_string(format!("/proc/{init}/root/root/notes.txt")).unwrap(), "first\nsecond\n");
    let r = http.get(format!("{api}/root/notes.txt")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "first\nsecond\n");
    let r = http.post(format!("{api}/root/my%20dir?mkdir")).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let listing: Value = http.get(format!("{api}/root")).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = listing["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["my dir", "notes.txt"]);
    let stat: Value = http.get(format!("{api}/stat/root/my%20dir")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stat["type"], "dir");
    assert_eq!(http.delete(format!("{api}/root/notes.txt")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{api}/root/notes.txt")).send().await.unwrap().status(), 404);
    // Its page (browsed in Chromium by the kit pages' test) answers at / and under /browse/.
    for path in ["/", "/browse/root/my%20dir/"] {
        let page = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert!(page.text().await.unwrap().contains(" · Files</title>"), "{path}");
    }

    // Escapes. A secret on the host, and ways the container could point at it.
    let secret_name = format!("hoody-secret-{}", std::process::id());
    let secret = format!("/etc/{secret_name}");
    std::fs::write(&secret, "HOST SECRET").unwrap();
    let inside = |p: &str| format!("/proc/{init}/root{p}");
    std::os::unix::fs::symlink("/etc", inside("/root/etc-link")).unwrap();
    std::os::unix::fs::symlink(&secret, inside("/root/secret-link")).unwrap();
    std::os::unix::fs::symlink("../../../../../../../etc", inside("/root/climb")).unwrap();
    let attempts = [
        format!("{api}/../../../etc/{secret_name}"),
        format!("{api}/%2e%2e/%2e%2e/etc/{secret_name}"),
        format!("{api}/root/etc-link/{secret_name}"),
        format!("{api}/root/secret-link"),
        format!("{api}/root/climb/{secret_name}"),
        format!("{api}/proc/1/root/etc/{secret_name}"),
        format!("{api}/proc/self/root/etc/{secret_name}"),
    ];
    for url in &attempts {
        let r = http.get(url).send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert!(matches!(status, 400 | 403 | 404), "{url}: {status}");
        assert!(!body.contains("HOST SECRET"), "{url} read the host's file");
    }
    // Clients normalise `..` away; sent as is, the service refuses it.
    let host = base.trim_start_matches("http://");
    for path in
        [format!("/api/v1/files/../../etc/{secret_name}"), format!("/api/v1/files/root/%2e%2e/etc/{secret_name}")]
    {
        let (status, body) = raw_get(d.proxy_port, host, &path).await;
        assert!(status.contains(" 403 "), "{path}: {status}");
        assert!(!body.contains("HOST SECRET"));
    }
    // Writing through a link never lands on the host.
    let r = http.put(format!("{api}/root/secret-link")).body("overwritten").send().await.unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "HOST SECRET");

    // A race: a directory swapped for a link to the host's /etc while requests run.
    std::fs::create_dir(inside("/root/swap")).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (stop, dir, link, tmp) =
            (stop.clone(), inside("/root/swap"), inside("/root/swap-link"), inside("/root/swap-dir"));
        std::os::unix::fs::symlink("/etc", &link).unwrap();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::rename(&dir, &tmp);
                let _ = std::fs::rename(&link, &dir);
                let _ = std::fs::rename(&dir, &link);
                let _ = std::fs::rename(&tmp, &dir);
            }
        })
    };
    for _ in 0..200 {
        let body = http.get(format!("{api}/root/swap/{secret_name}")).send().await.unwrap().text().await.unwrap();
        assert!(!body.contains("HOST SECRET"), "the swap let a request out");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    swapper.join().unwrap();
    std::fs::remove_file(&secret).unwrap();
    let id = c["id"].as_str().unwrap();
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}

/// A GET sent byte for byte, path untouched; returns the status line and the rest.
async fn raw_get(port: u16, host: &str, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (status, rest) = answer.split_once("\r\n").unwrap_or((&answer, ""));
    (status.to_owned(), rest.to_owned())
}

/// The exec service runs a script inside the container with the request; a file written
/// through the files service is read back by it.
#[tokio::test]
async fn exec_service_runs_scripts_inside_the_container() {
    let (_dir, d, _, c) = server_with("runner").await;
    let files = format!("{}/api/v1/files", c["urls"]["files-1"].as_str().unwrap());
    let exec = c["urls"]["exec-1"].as_str().expect("an exec URL").to_owned();
    let http = browser(&d, &files);
    let exec_http = browser(&d, &exec);

    for dir in ["hoody", "hoody/exec"] {
        assert_eq!(http.post(format!("{files}/{dir}?mkdir")).send().await.unwrap().status(), 201);
    }
    http.put(format!("{files}/root/note.txt")).body("written through files\n").send().await.unwrap();
    let script = "#!/bin/sh\necho \"$(hostname) $REQUEST_METHOD $PATH_INFO q=$QUERY_STRING x=$HTTP_X_TEST\"\ncat /root/note.txt\ncat\n";
    let r = http.put(format!("{files}/hoody/exec/report?mode=755")).body(script).send().await.unwrap();
    assert_eq!(r.status(), 200);
    http.put(format!("{files}/hoody/exec/missing?mode=755")).body("#!/bin/sh\nexit 66\n").send().await.unwrap();
    http.put(format!("{files}/hoody/exec/broken?mode=755"))
        .body("#!/bin/sh\necho boom >&2\nexit 3\n")
        .send()
        .await
        .unwrap();
    http.put(format!("{files}/hoody/exec/not-executable")).body("#!/bin/sh\necho no\n").send().await.unwrap();

    let r = exec_http
        .post(format!("{exec}/report/extra?a=1"))
        .header("x-test", "yes")
        .body("the body\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "runner POST /extra q=a=1 x=yes\nwritten through files\nthe body\n");
    assert_eq!(exec_http.get(format!("{exec}/missing")).send().await.unwrap().status(), 404);
    let r = exec_http.get(format!("{exec}/broken")).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert!(r.text().await.unwrap().contains("exited with 3: boom"));
    assert_eq!(exec_http.get(format!("{exec}/not-executable")).send().await.unwrap().status(), 404);
    assert_eq!(exec_http.get(format!("{exec}/nothing-here")).send().await.unwrap().status(), 404);
    let list: Value = exec_http.get(format!("{exec}/api/v1/exec/list")).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = list["scripts"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["broken", "missing", "report"]);
    let health: Value = exec_http.get(format!("{exec}/api/v1/exec/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    let id = c["id"].as_str().unwrap();
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}

/// `https-PORT`: the proxy speaks TLS to a container's own HTTPS server (a self-signed
/// certificate, served by openssl inside the container's network namespace).
#[tokio::test]
async fn https_services_are_reached_over_tls() {
    let (_dir, d, _, c) = server_with("secure").await;
    let init = c["runtime_info"]["processes"][0]["host_pid"].as_u64().unwrap();
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let mut server = std::process::Command::new("nsenter")
        .args([
            "-t",
            &init.to_string(),
            "-n",
            "--",
            "openssl",
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            "8443",
            "-cert",
        ])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = c["urls"]["http-8080"].as_str().unwrap().replace("http-8080", "https-8443");
    let mut answer = (0, String::new());
    for _ in 0..200 {
        answer = fetch(&d, &url).await;
        if answer.0 == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert!(answer.1.contains("s_server"), "{}", answer.1);

    // A plain HTTP server asked for TLS: 502, saying so.
    let (status, body) = fetch(&d, &url.replace("https-8443", "https-8080")).await;
    assert_eq!(status, 502);
    assert!(body.contains("no TLS on port 8080"), "{body}");
    let id = c["id"].as_str().unwrap();
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}

/// The id of the server `client` talks to (a create names it, as the platform's API requires).
pub async fn server_id(client: &hoody_client::HoodyClient) -> String {
    client.servers().await.expect("GET /servers")[0].id.as_str().to_owned()
}
