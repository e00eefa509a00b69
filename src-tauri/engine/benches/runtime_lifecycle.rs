//! `cargo bench -p hoody-engine --bench runtime_lifecycle` (as root): the container lifecycle
//! through the engine with the real runtime on the busybox image (unprivileged: a user
//! namespace, seccomp, a network helper), beside plain `runc create` + `runc start` of the same
//! bundle measured in the same run — with the engine's config (the same user namespace; the
//! seccomp filter is the init shim's, left out with it) and with the privileged config
//! containers had before (no user namespace). Then the
//! host memory (PSS) each idle container costs. Prints medians and p95 in ms.

use hoody_engine::{Engine, EngineConfig, Principal};
use hoody_model::{Container, ContainerCreate, ContainerId, ContainerStatus, EventKind, Operation, ProjectId, TokenId};
use hoody_runtime::{LocalRuntime, RuntimeConfig};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rounds of each single operation (`HOODY_BENCH_ROUNDS` overrides).
const ROUNDS: usize = 30;

fn rounds() -> usize {
    std::env::var("HOODY_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(ROUNDS)
}
const CONCURRENT: usize = 50;
const POOL: usize = 3;

#[path = "support/phases.rs"]
mod phases;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

fn admin() -> Principal {
    Principal::unrestricted(TokenId::generate())
}

struct Bench {
    engine: Engine,
    runtime: Arc<LocalRuntime>,
    project: ProjectId,
}

impl Bench {
    async fn create(&self, name: String, bypass: bool) -> (Duration, ContainerId) {
        self.create_with(name, bypass, true).await
    }

    async fn create_with(&self, name: String, bypass: bool, network: bool) -> (Duration, ContainerId) {
        self.create_of("busybox/1", name, bypass, network).await
    }

    async fn create_of(&self, image: &str, name: String, bypass: bool, network: bool) -> (Duration, ContainerId) {
        let req = ContainerCreate {
            name: Some(name),
            container_image: Some(image.into()),
            bypass_prespawn: Some(bypass),
            network: Some(network),
            server_id: Some(self.engine.server_id().as_str().into()),
            ..Default::default()
        };
        // As the UI learns it: from the engine's events (polling the store in a loop would
        // take a core from the create it measures).
        let mut events = self.engine.subscribe();
        let t = Instant::now();
        let c = self.engine.create_container(&admin(), &self.project, req).await.unwrap();
        if c.status != ContainerStatus::Running {
            until_running(&mut events, &c).await;
        }
        (t.elapsed(), c.id)
    }

    async fn op(&self, id: &ContainerId, op: Operation) -> Duration {
        let t = Instant::now();
        self.engine.operate(&admin(), id, op).await.unwrap();
        t.elapsed()
    }
}

async fn run() {
    let phases = phases::Phases::install();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().canonicalize().unwrap();
    let mut config = RuntimeConfig::new(&data);
    config.prespawn = vec![("busybox/1".into(), POOL)];
    let runtime = Arc::new(LocalRuntime::new(config));
    if let Some(reason) = hoody_engine::ContainerRuntime::unavailable_reason(runtime.as_ref()) {
        panic!("this benchmark needs the local runtime: {reason}");
    }
    let tarball = hoody_runtime::testkit::busybox_tarball(&data).unwrap();
    runtime.image_store().import_tarball("busybox/1", &tarball, "busybox").unwrap();
    let engine = Engine::start(EngineConfig::new(data.clone(), "bench"), runtime.clone()).await.unwrap();
    let project = engine
        .create_project(&admin(), hoody_model::ProjectCreate { alias: "bench".into(), ..Default::default() })
        .await
        .unwrap()
        .id;
    let b = Bench { engine, runtime, project };
    b.engine.settle().await;

    let mut rows: Vec<(String, Vec<Duration>)> = Vec::new();
    let (mut create, mut runc_plain, mut start, mut stop, mut pause, mut resume, mut delete, mut claim) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut runc_privileged, mut offline, mut snapshot, mut restore) = (vec![], vec![], vec![], vec![]);
    let (mut create_phases, mut claim_phases, mut delete_phases) = (vec![], vec![], vec![]);
    let reference = b.create("reference".into(), true).await.1;
    b.op(&reference, Operation::Stop).await;
    let plain = PlainRunc::new(&b.runtime, &reference, &data);
    for i in 0..rounds() {
        // Interleaved, so all see the same machine.
        runc_plain.push(plain.create_and_start(&plain.bundle));
        runc_privileged.push(plain.create_and_start(&plain.privileged));
        let (took, id) = b.create_with(format!("offline-{i}"), true, false).await;
        offline.push(took);
        b.engine.delete_container(&admin(), &id).await.unwrap();
        phases.take();
        let (took, id) = b.create(format!("bench-{i}"), true).await;
        create.push(took);
        create_phases.push((took, phases.take()));
        pause.push(b.op(&id, Operation::Pause).await);
        resume.push(b.op(&id, Operation::Resume).await);
        stop.push(b.op(&id, Operation::Stop).await);
        let t = Instant::now();
        let taken = b.engine.create_snapshot(&admin(), &id, Default::default()).await.unwrap();
        snapshot.push(t.elapsed());
        let t = Instant::now();
        b.engine.restore_snapshot(&admin(), &id, &taken.name).await.unwrap();
        restore.push(t.elapsed());
        start.push(b.op(&id, Operation::Start).await);
        phases.take();
        let t = Instant::now();
        b.engine.delete_container(&admin(), &id).await.unwrap();
        delete.push(t.elapsed());
        delete_phases.push((t.elapsed(), phases.take()));
        // A warm pool each time (the refill is not part of the claim).
        b.engine.settle().await;
        phases.take();
        let (took, id) = b.create(format!("claimed-{i}"), false).await;
        claim.push(took);
        claim_phases.push((took, phases.take()));
        b.engine.delete_container(&admin(), &id).await.unwrap();
        // The claim's refill runs now, not during the next round's measurements.
        b.engine.settle().await;
    }
    plain.unmount();
    rows.push(("before: plain runc create + start, privileged config".into(), runc_privileged));
    rows.push((
        "plain runc create + start, the engine's config (user namespace; no init shim)".into(),
        runc_plain.clone(),
    ));
    rows.push(("create → running (engine, network on, no prespawn)".into(), create.clone()));
    rows.push(("create → running (engine, network off)".into(), offline));
    rows.push(("prespawn claim → running".into(), claim));
    rows.push(("start (stopped → running)".into(), start));
    rows.push(("stop (busybox halt signal)".into(), stop));
    rows.push(("snapshot (stopped)".into(), snapshot));
    rows.push(("restore a snapshot (stopped)".into(), restore));
    rows.push(("pause".into(), pause));
    rows.push(("resume".into(), resume));
    rows.push(("delete (running)".into(), delete));
    rows.extend(debian(&b).await);

    // 50 creates at once, each until running.
    let t = Instant::now();
    let handles: Vec<_> = (0..CONCURRENT)
        .map(|i| {
            let b = Bench { engine: b.engine.clone(), runtime: b.runtime.clone(), project: b.project.clone() };
            tokio::spawn(async move { b.create(format!("many-{i}"), true).await })
        })
        .collect();
    let mut each = Vec::new();
    for h in handles {
        each.push(h.await.unwrap());
    }
    let wall = t.elapsed();
    rows.push((format!("{CONCURRENT} concurrent creates, each → running"), each.iter().map(|e| e.0).collect()));
    // Host memory of idle containers: their own processes and their network helpers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut idle = Vec::new();
    for (_, id) in &each {
        idle.push(idle_memory(&b.runtime, id).await);
    }
    for (_, id) in &each {
        b.engine.delete_container(&admin(), id).await.unwrap();
    }
    b.engine.delete_container(&admin(), &reference).await.unwrap();
    b.runtime.drain_pools().await.unwrap();
    b.engine.shutdown().await;
    let _ = std::fs::remove_dir_all(b.runtime.layout().run_dir());

    println!("\nbusybox image, runc {}, {} rounds, {} cores\n", runc_version(), rounds(), num_cores());
    println!("| operation | median ms | p95 ms |");
    println!("|---|---:|---:|");
    for (name, samples) in &rows {
        let (median, p95) = percentiles(samples);
        println!("| {name} | {median:.1} | {p95:.1} |");
    }
    print_phases("a create → running (network on, no prespawn)", &create_phases);
    print_phases("a prespawn claim → running", &claim_phases);
    print_phases("a delete (running)", &delete_phases);
    let ratio = percentiles(&create).0 / percentiles(&runc_plain).0;
    println!(
        "\ncreate → running / plain runc with the same user-namespace config (medians): {ratio:.2}× (target ≤ 1.5×)"
    );
    println!("{CONCURRENT} concurrent creates: all running after {:.0} ms", wall.as_secs_f64() * 1000.0);
    let average = |pick: fn(&(f64, f64)) -> f64| idle.iter().map(pick).sum::<f64>() / idle.len() as f64;
    println!("\nhost memory per idle container ({} busybox containers: init + httpd), PSS:", idle.len());
    println!("| part | average MB |");
    println!("|---|---:|");
    println!("| its processes | {:.2} |", average(|m| m.0));
    println!("| its network helper (slirp4netns) | {:.2} |", average(|m| m.1));
    println!("| together (target ≤ 2 MB) | {:.2} |", average(|m| m.0 + m.1));
}

/// Where `what` spends its time over the rounds, by the runtime's phases.
fn print_phases(what: &str, rounds: &[(Duration, Vec<(String, Duration)>)]) {
    println!("\nwhere {what} spends its time, by the runtime's phases:\n");
    println!("| phase | median ms | p95 ms |");
    println!("|---|---:|---:|");
    for (name, samples) in phases::rows(rounds, "the rest: the engine (request, store, status and event)") {
        let (median, p95) = percentiles(&samples);
        println!("| {name} | {median:.1} | {p95:.1} |");
    }
}

/// The CI's debian/13 image (`.ci/build-test-images`), when it is there: create → running as
/// the engine reports it, and create → systemd's multi-user target, as its console says.
async fn debian(b: &Bench) -> Vec<(String, Vec<Duration>)> {
    let tarball = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-images/debian-13.tar");
    if !tarball.exists() {
        println!("(no {}: the debian/13 rows are left out)", tarball.display());
        return Vec::new();
    }
    b.runtime.image_store().import_tarball("debian/13", &tarball, "debian 13").unwrap();
    let (mut running, mut booted) = (vec![], vec![]);
    for i in 0..rounds().min(DEBIAN_ROUNDS) {
        let t = Instant::now();
        let (took, id) = b.create_of("debian/13", format!("debian-{i}"), true, true).await;
        running.push(took);
        let log = b.runtime.layout().container(&id).join("console.log");
        loop {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            if said.lines().any(|l| l.contains("Reached target") && l.contains("Multi-User System")) {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(60), "debian/13 did not boot: {said}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        booted.push(t.elapsed());
        b.engine.delete_container(&admin(), &id).await.unwrap();
    }
    vec![
        ("debian/13 create → running (engine, network on)".into(), running),
        ("debian/13 create → systemd multi-user.target".into(), booted),
    ]
}

/// Rounds of a debian/13 boot (each some hundred ms, and its delete a halt).
const DEBIAN_ROUNDS: usize = 8;

/// Waits for the event that `c` is running.
async fn until_running(events: &mut tokio::sync::broadcast::Receiver<hoody_model::ContainerEvent>, c: &Container) {
    loop {
        let event = events.recv().await.expect("the engine's events");
        if event.container_id != c.id || event.kind != EventKind::Status {
            continue;
        }
        match event.to {
            ContainerStatus::Running => return,
            ContainerStatus::Creating | ContainerStatus::Claiming => {}
            other => panic!("{} ended {other}: {:?}", c.name, event.reason),
        }
    }
}

/// PSS in MB of a running container's processes and of its network helper.
async fn idle_memory(runtime: &LocalRuntime, id: &ContainerId) -> (f64, f64) {
    let slot = runtime.layout().container(id);
    let instance: serde_json::Value =
        serde_json::from_slice(&std::fs::read(slot.join("instance.json")).unwrap()).unwrap();
    let cgroup = instance["cgroup_path"].as_str().unwrap().trim_start_matches('/').to_owned();
    let procs = std::fs::read_to_string(format!("/sys/fs/cgroup/pids/{cgroup}/cgroup.procs")).unwrap_or_default();
    // The network helper lives in the container's cgroups too: counted once, as itself.
    let helper_pid = std::fs::read_to_string(slot.join("network.pid")).unwrap_or_default().trim().to_owned();
    let own: f64 = procs.lines().map(str::trim).filter(|p| *p != helper_pid).map(pss_mb).sum();
    (own, pss_mb(&helper_pid))
}

fn pss_mb(pid: &str) -> f64 {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `runc create` + `runc start` of a bundle the engine made, with runc's own state root; and
/// of a bundle with that config made privileged, as containers were before (no user
/// namespace, no id maps), over the same root. Both without the engine's init shim (and so
/// without the seccomp filter it loads).
struct PlainRunc {
    bundle: std::path::PathBuf,
    /// Where the container's overlay is mounted for both configs: outside the engine's data
    /// directory (which only its owner may enter), as the engine shows runc its bundles.
    rootfs: tempfile::TempDir,
    privileged: std::path::PathBuf,
    root: tempfile::TempDir,
}

impl PlainRunc {
    fn new(runtime: &LocalRuntime, id: &ContainerId, data: &Path) -> Self {
        let engines = runtime.layout().container(id);
        let (bundle, privileged) = (data.join("plain-bundle"), data.join("privileged-bundle"));
        let mut config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(engines.join("config.json")).unwrap()).unwrap();
        let rootfs = tempfile::tempdir().unwrap();
        std::fs::set_permissions(rootfs.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        // runc alone: no console keeper (the init writes to runc's own, null, stdio), and the
        // image's init itself, without the engine's first program.
        config["process"]["terminal"] = false.into();
        config["process"]["args"] = serde_json::json!(["/sbin/init"]);
        let shim = [hoody_runtime::init_shim::IN_CONTAINER, hoody_runtime::init_shim::FILTER_IN_CONTAINER];
        config["mounts"].as_array_mut().unwrap().retain(|m| !shim.iter().any(|s| m["destination"] == *s));
        config["root"]["path"] = rootfs.path().to_string_lossy().into_owned().into();
        std::fs::create_dir_all(&bundle).unwrap();
        std::fs::write(bundle.join("config.json"), serde_json::to_vec(&config).unwrap()).unwrap();
        std::fs::create_dir_all(&privileged).unwrap();
        let linux = config["linux"].as_object_mut().unwrap();
        for key in ["uidMappings", "gidMappings"] {
            linux.remove(key);
        }
        linux["namespaces"].as_array_mut().unwrap().retain(|ns| ns["type"] != "user");
        std::fs::write(privileged.join("config.json"), serde_json::to_vec(&config).unwrap()).unwrap();
        let image = runtime.image_store().resolve("busybox/1").unwrap();
        let lower = runtime.layout().image(&image).join("rootfs");
        let options = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.display(),
            engines.join("upper").display(),
            engines.join("work").display()
        );
        sh(Command::new("mount").args(["-t", "overlay", "overlay", "-o", &options]).arg(rootfs.path()));
        Self { bundle, rootfs, privileged, root: tempfile::tempdir_in(data).unwrap() }
    }

    fn create_and_start(&self, bundle: &Path) -> Duration {
        let runc = || {
            let mut c = Command::new("runc");
            c.arg("--root").arg(self.root.path());
            c
        };
        let t = Instant::now();
        // The container's init inherits runc's stdio: no pipes, or waiting for EOF never ends.
        let log = self.root.path().join("create.log");
        let created = runc()
            .arg("--log")
            .arg(&log)
            .args(["create", "--bundle"])
            .arg(bundle)
            .arg("plain")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(created.success(), "runc create failed: {}", std::fs::read_to_string(&log).unwrap_or_default());
        sh(runc().args(["start", "plain"]));
        let took = t.elapsed();
        sh(runc().args(["delete", "--force", "plain"]));
        took
    }

    fn unmount(&self) {
        sh(Command::new("umount").arg(self.rootfs.path()));
    }
}

fn sh(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn percentiles(samples: &[Duration]) -> (f64, f64) {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

fn runc_version() -> String {
    let out = Command::new("runc").arg("--version").output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("").trim_start_matches("runc version ").to_owned()
}

fn num_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
