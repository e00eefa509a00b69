//! `cargo bench -p hoody-e2e --bench side_by_side` (as root): create → running of one busybox
//! container, side by side in one interleaved run — every contender takes its turn in each round,
//! so the host's moods fall on all alike:
//!
//! - `hoodyd` (the release build), through its API as a client sees it (create, then `GET` every
//!   millisecond until `running`), with a root engine and with a rootless one (the test user
//!   `hoody-ci`, set up by `hoodyd host-setup`), the network on and off, prespawn bypassed;
//! - plain `runc run -d` of runc's default config (no user namespace) on the same rootfs;
//! - LXC, unprivileged (a user namespace onto root's subordinate range, which this gives root once
//!   when it has none: see [`root_range`]), `lxc-start -d` + `lxc-wait RUNNING`, on the same rootfs
//!   (Debian's `lxc`, installed here with apt-get when missing; nothing else uses it).
//!
//! Prints medians and p95 in ms. `HOODY_BENCH_ROUNDS` sets the rounds (15).

use hoody_client::testkit::{TestUser, test_user};
use serde_json::{Value, json};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A name, and one create → running of round N (what it cleans up after is not timed).
type Contender<'a> = (String, Box<dyn Fn(usize) -> Duration + 'a>);

fn main() {
    assert!(is_root(), "the side-by-side benchmark runs as root (it makes a user, runs runc and LXC)");
    build_programs();
    let rounds = std::env::var("HOODY_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(15);
    let (images, scratch) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let tarball = hoody_runtime::testkit::busybox_tarball(images.path()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    let root_engine = Engine::start(None, &scratch.path().join("root-engine"), &tarball);
    let user = test_user();
    let user_data = user.home.join("side-by-side");
    let _ = std::fs::remove_dir_all(&user_data);
    let rootless = Engine::start(Some(user), &user_data, &tarball);
    let plain = PlainRunc::new(&scratch.path().join("runc"), &tarball);
    let lxc = Lxc::new(&scratch.path().join("lxc"), &tarball);

    let contenders: Vec<Contender> = {
        let mut all: Vec<Contender> = vec![];
        for (engine, who) in [(&root_engine, "root"), (&rootless, "rootless")] {
            for network in [true, false] {
                let name = format!("hoodyd, {who} engine, network {}", if network { "on" } else { "off" });
                let rt = rt.handle().clone();
                all.push((name, Box::new(move |n| rt.block_on(engine.create_and_remove(n, network)))));
            }
        }
        all.push(("runc run -d (runc's default config: no user namespace)".into(), Box::new(|n| plain.run(n))));
        match &lxc {
            Ok(lxc) => all.push(("LXC unprivileged (lxc-start -d, lxc-wait RUNNING)".into(), Box::new(|n| lxc.run(n)))),
            Err(why) => println!("LXC is left out: {why}"),
        }
        all
    };
    let mut samples: Vec<Vec<Duration>> = vec![vec![]; contenders.len()];
    for round in 0..rounds {
        for (i, (_, run)) in contenders.iter().enumerate() {
            samples[i].push(run(round));
        }
    }

    println!("\ncreate → running, busybox, {rounds} rounds interleaved, runc {}, {} cores\n", version("runc"), cores());
    println!("| | median ms | p95 ms |\n|---|---:|---:|");
    for ((name, _), samples) in contenders.iter().zip(&samples) {
        let (median, p95) = percentiles(samples);
        println!("| {name} | {median:.1} | {p95:.1} |");
    }
}

/// The release programs the benchmark runs, and the debug `hoodyd` the test user is set up with.
fn build_programs() {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    for profile in [&["--release"][..], &[]] {
        let built = Command::new(cargo)
            .args(["build", "--offline", "-p", "hoodyd", "-p", "hoody-enter"])
            .args(profile)
            .current_dir(hoody_e2e::root())
            .status();
        assert!(built.is_ok_and(|s| s.success()), "cargo build {profile:?} -p hoodyd -p hoody-enter failed");
    }
}

fn is_root() -> bool {
    #[allow(unsafe_code)]
    // SAFETY: geteuid has no preconditions.
    unsafe {
        libc::geteuid() == 0
    }
}

/// A release `hoodyd serve` on loopback, as root or as the test user, with busybox imported.
struct Engine {
    child: std::process::Child,
    http: reqwest::Client,
    api: String,
    project: String,
    server: String,
}

impl Engine {
    fn start(user: Option<&TestUser>, data: &Path, tarball: &Path) -> Self {
        let mut bin = hoody_e2e::root().join("target/release");
        if user.is_some() {
            // The user's own copies, where it may run them (the checkout may be out of its reach).
            let copies = PathBuf::from("/tmp/hoody-bench-bin");
            std::fs::create_dir_all(&copies).unwrap();
            for program in ["hoodyd", "hoody-enter"] {
                let staged = copies.join(format!(".{program}.new"));
                std::fs::copy(bin.join(program), &staged).unwrap();
                std::fs::rename(&staged, copies.join(program)).unwrap();
            }
            bin = copies;
        }
        let command = |args: &[&str]| -> Command {
            let mut command = match user {
                Some(user) => user.command(&bin.join("hoodyd")),
                None => Command::new(bin.join("hoodyd")),
            };
            command.args(args);
            command
        };
        std::fs::create_dir_all(data).unwrap();
        if let Some(user) = user {
            user.give(data);
            user.give(tarball.parent().unwrap());
        }
        let data_arg = data.to_str().unwrap();
        let imported = command(&["image", "import", "busybox/1", tarball.to_str().unwrap(), "--data-dir", data_arg])
            .stdout(Stdio::null())
            .status();
        assert!(imported.is_ok_and(|s| s.success()), "hoodyd image import failed");
        let serve = ["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--data-dir", data_arg];
        let mut child = command(&serve).env("HOODY_LOG", "error").stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("hoodyd says its address");
        let api = format!("{}/api/v1", url.trim_end_matches('/').trim_end_matches("/api/v1"));
        let token = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        let http = reqwest::Client::builder().default_headers(headers).build().unwrap();
        let mut engine = Self { child, http, api, project: String::new(), server: String::new() };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            engine.server = engine.call(reqwest::Method::GET, "/servers", None).await[0]["id"].as_str().unwrap().into();
            let project = engine.call(reqwest::Method::POST, "/projects/", Some(json!({"alias": "bench"}))).await;
            engine.project = project["id"].as_str().unwrap().into();
        });
        engine
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.api));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        answer.get("data").cloned().unwrap_or_else(|| panic!("{path}: {answer}"))
    }

    /// Creates a container and polls it until it runs (the time taken), then deletes it.
    async fn create_and_remove(&self, n: usize, network: bool) -> Duration {
        let body = json!({
            "name": format!("b{n}-{}", if network { "net" } else { "off" }),
            "container_image": "busybox/1",
            "server_id": self.server,
            "bypass_prespawn": true,
            "network": network,
        });
        let create = format!("/projects/{}/containers", self.project);
        let started = Instant::now();
        let id = self.call(reqwest::Method::POST, &create, Some(body)).await["id"].as_str().unwrap().to_owned();
        let took = loop {
            let c = self.call(reqwest::Method::GET, &format!("/containers/{id}"), None).await;
            match c["status"].as_str() {
                Some("running") => break started.elapsed(),
                Some("stopped" | "error") => panic!("the container did not start: {c}"),
                _ if started.elapsed() > Duration::from_secs(30) => panic!("not running after 30 s: {c}"),
                _ => tokio::time::sleep(Duration::from_millis(1)).await,
            }
        };
        self.call(reqwest::Method::DELETE, &format!("/containers/{id}?force=true"), None).await;
        took
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `runc run -d` of runc's default config (`runc spec`: no user namespace) running `sleep`.
struct PlainRunc {
    bundle: PathBuf,
    state: PathBuf,
}

impl PlainRunc {
    fn new(dir: &Path, tarball: &Path) -> Self {
        let bundle = dir.join("bundle");
        unpack(tarball, &bundle.join("rootfs"), None);
        sh(Command::new("runc").args(["spec"]).current_dir(&bundle));
        let config = bundle.join("config.json");
        let mut spec: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
        spec["process"]["terminal"] = json!(false);
        spec["process"]["args"] = json!(["/bin/sleep", "1000"]);
        std::fs::write(&config, serde_json::to_vec(&spec).unwrap()).unwrap();
        Self { bundle, state: dir.join("state") }
    }

    fn run(&self, n: usize) -> Duration {
        let id = format!("bench-{n}");
        let runc = || {
            let mut c = Command::new("runc");
            c.arg("--root").arg(&self.state).stdin(Stdio::null()).stdout(Stdio::null());
            c
        };
        let started = Instant::now();
        sh(runc().args(["run", "-d", "--bundle"]).arg(&self.bundle).arg(&id));
        let took = started.elapsed();
        sh(runc().args(["delete", "--force", &id]));
        took
    }
}

/// An unprivileged LXC container (ids shifted by 100000) running `sleep` on the busybox rootfs.
struct Lxc {
    path: PathBuf,
}

impl Lxc {
    fn new(dir: &Path, tarball: &Path) -> Result<Self, String> {
        if !Path::new("/usr/bin/lxc-start").exists() {
            let installed = Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends", "lxc"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .status();
            if !installed.is_ok_and(|s| s.success()) {
                return Err("apt-get install lxc failed".into());
            }
        }
        let base = root_range();
        let container = dir.join("bench");
        let rootfs = container.join("rootfs");
        unpack(tarball, &rootfs, Some(base));
        let config = format!(
            "lxc.uts.name = bench\nlxc.rootfs.path = dir:{}\nlxc.idmap = u 0 {base} 65536\nlxc.idmap = g 0 {base} 65536\n\
             lxc.init.cmd = /bin/sleep 1000\nlxc.net.0.type = empty\nlxc.autodev = 1\n\
             lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed\nlxc.apparmor.profile = unconfined\n",
            rootfs.display()
        );
        std::fs::write(container.join("config"), config).unwrap();
        // The container's root must be able to reach its rootfs.
        for d in [dir, &container] {
            std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
        let lxc = Self { path: dir.to_owned() };
        lxc.run(0);
        Ok(lxc)
    }

    fn lxc(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.args(["-n", "bench", "-P"]).arg(&self.path).stdin(Stdio::null()).stdout(Stdio::null());
        c
    }

    fn run(&self, _round: usize) -> Duration {
        let started = Instant::now();
        sh(self.lxc("lxc-start").arg("-d"));
        sh(self.lxc("lxc-wait").args(["-s", "RUNNING", "-t", "10"]));
        let took = started.elapsed();
        sh(self.lxc("lxc-stop").arg("-k"));
        took
    }
}

/// root's subordinate range, which LXC maps its containers' ids to (through newuidmap, which
/// checks /etc/subuid even for root): the first of root's, else one given to root above every
/// range there (usermod, as `hoodyd host-setup` gives users theirs).
fn root_range() -> u32 {
    hoody_client::testkit::with_user_database(|| {
        let ranges = |file: &str| -> Vec<(String, u32, u32)> {
            let table = std::fs::read_to_string(file).unwrap_or_default();
            let parse = |l: &str| {
                let mut parts = l.split(':');
                let name = parts.next()?.to_owned();
                Some((name, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
            };
            table.lines().filter_map(parse).collect()
        };
        let (uids, gids) = (ranges("/etc/subuid"), ranges("/etc/subgid"));
        let root =
            |table: &[(String, u32, u32)]| table.iter().find(|(n, _, c)| n == "root" && *c >= 65536).map(|r| r.1);
        if let (Some(u), Some(g)) = (root(&uids), root(&gids))
            && u == g
        {
            return u;
        }
        let end = uids.iter().chain(&gids).map(|(_, start, count)| start + count).max().unwrap_or(100_000);
        let base = end.div_ceil(65536) * 65536;
        let range = format!("{base}-{}", base + 65535);
        sh(Command::new("usermod").args(["--add-subuids", &range, "--add-subgids", &range, "root"]));
        base
    })
}

/// Unpacks the busybox tarball into `into`, its files shifted to `shift` when given.
fn unpack(tarball: &Path, into: &Path, shift: Option<u32>) {
    std::fs::create_dir_all(into).unwrap();
    sh(Command::new("tar").arg("-xf").arg(tarball).arg("-C").arg(into));
    if let Some(base) = shift {
        // -h: a link's own owner, never what it points to (an absolute link points into the host).
        sh(Command::new("chown").args(["-R", "-h", &format!("{base}:{base}")]).arg(into));
    }
}

/// Runs `command` to its end; what it says goes to a file (a daemon it leaves, as `lxc-start -d`
/// and `runc run -d` do, may hold a pipe open for as long as it runs).
fn sh(command: &mut Command) {
    let said = tempfile::NamedTempFile::new().unwrap();
    let status = command.stderr(said.reopen().unwrap()).status().unwrap();
    assert!(status.success(), "{command:?}: {}", std::fs::read_to_string(said.path()).unwrap_or_default());
}

fn percentiles(samples: &[Duration]) -> (f64, f64) {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

fn version(program: &str) -> String {
    let out = Command::new(program).arg("--version").output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("").rsplit(' ').next().unwrap_or("").to_owned()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
