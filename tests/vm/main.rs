//! A real desktop, where this host is not one: Debian 12 under qemu (TCG: no KVM here) with
//! systemd as PID 1, logind, D-Bus and cgroup v2 only, as the desktops people use are. Its
//! system disk is made once per machine (`.ci/vm-image`, cached); each run brings what it needs
//! on a second disk (no network in the VM). Two runs:
//! - a session: the workspace's own `hoodyd` and `hoody-enter`; at boot a unit runs `hoodyd
//!   host-setup --user alice`; then alice, logged in on the second serial port, starts the
//!   engine in her own session and creates debian/13 → running (systemd inside says running or
//!   degraded, through the terminal kit) → stop → start → delete (`tests/vm/in-session`);
//! - the package: `.ci/package`'s .deb, installed by root with apt-get from a repository on the
//!   disk, then used by alice through her own manager, upgraded and removed (`tests/vm/as-root`).
//!
//! Slow (minutes under TCG), so `cargo test --workspace` leaves them out (ignored) and
//! `.ci/test-all` runs them in a phase of its own, one at a time:
//! `cargo test -p hoody-e2e --test vm -- --ignored --test-threads=1`.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest the whole run may take: boot, the image's import and every step, under TCG.
const LIMIT: Duration = Duration::from_secs(20 * 60);
/// The longest the boot may take until alice's session runs its script (about 20 s measured).
const SESSION_LIMIT: Duration = Duration::from_secs(5 * 60);

/// Runs `command`, panicking with its output when it fails; answers its stdout.
fn run(command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Makes an ext4 disk labelled hoody-payload (mounted at /opt/hoody in the VM) from `files`,
/// which goes.
fn payload_disk(files: &Path, disk: &Path) {
    run(Command::new("mkfs.ext4").args(["-q", "-L", "hoody-payload", "-d"]).arg(files).arg(disk).arg("4G"));
    std::fs::remove_dir_all(files).unwrap();
}

/// The debian/13 image tarball the runs import (`.ci/build-test-images` makes it).
fn debian_image() -> PathBuf {
    let image = hoody_e2e::root().join("target/test-images/debian-13.tar");
    assert!(image.exists(), "{} is missing: run .ci/build-test-images", image.display());
    image
}

/// The payload of the session test: the programs, the image and the session's script.
fn session_payload(dir: &Path) -> PathBuf {
    let root = hoody_e2e::root();
    let files = dir.join("payload");
    std::fs::create_dir_all(&files).unwrap();
    for (from, name) in [
        (hoody_e2e::program("hoodyd"), "hoodyd"),
        (hoody_e2e::program("hoody-enter"), "hoody-enter"),
        (root.join("tests/vm/in-session"), "in-session"),
        (debian_image(), "debian-13.tar"),
    ] {
        std::fs::copy(&from, files.join(name)).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
    let disk = dir.join("payload.img");
    payload_disk(&files, &disk);
    disk
}

/// The version the package test upgrades to: the same programs, a newer package.
const UPGRADE: &str = "0.1.0+upgrade1";

/// The payload of the package test: the .deb as `.ci/package` builds it and an upgrade of it
/// (in `packages/`), a repository of what they and the test's X server need beyond the VM's
/// system (`debs/`: fetched here from Debian's mirror, as apt-get on the VM would), the image
/// and root's script. Answers the disk and the sizes it measured.
fn package_payload(dir: &Path, system: &Path) -> (PathBuf, String) {
    let root = hoody_e2e::root();
    let files = dir.join("payload");
    let packages = files.join("packages");
    std::fs::create_dir_all(&packages).unwrap();
    let mut report = String::new();
    for version in [None, Some(UPGRADE)] {
        let mut package = Command::new("bash");
        package.arg(root.join(".ci/package"));
        if let Some(version) = version {
            package.env("HOODY_PACKAGE_VERSION", version);
        }
        let built = Instant::now();
        let folder = PathBuf::from(run(&mut package).lines().last().unwrap_or_default().trim());
        let name = format!("hoody-desktop_{}_amd64.deb", version.unwrap_or("0.1.0"));
        let deb = folder.join(&name);
        let size = std::fs::metadata(&deb).unwrap_or_else(|e| panic!("{}: {e}", deb.display())).len();
        report += &format!(
            "| {name} | {:.1} MiB | .ci/package {:.0} s |\n",
            size as f64 / 1048576.0,
            built.elapsed().as_secs_f64()
        );
        std::fs::copy(&deb, packages.join(&name)).unwrap();
        if version.is_none() {
            let name = "Hoody-Desktop-0.1.0-x86_64.AppImage";
            let appimage = folder.join(name);
            let size = std::fs::metadata(&appimage).unwrap_or_else(|e| panic!("{}: {e}", appimage.display())).len();
            report += &format!("| {name} | {:.1} MiB | the same run |\n", size as f64 / 1048576.0);
            std::fs::copy(&appimage, packages.join(name)).unwrap();
        }
    }
    // What the VM has installed, read from its system disk, so that apt here fetches the rest
    // (with this machine's package lists brought up to date first, as apt-get on the VM would).
    run(Command::new("apt-get").args(["update", "-qq"]));
    let state = dir.join("vm-dpkg");
    std::fs::create_dir_all(state.join("archives/partial")).unwrap();
    let status = run(Command::new("debugfs").args(["-R", "cat /var/lib/dpkg/status"]).arg(system));
    std::fs::write(state.join("status"), status).unwrap();
    std::fs::write(state.join("extended_states"), "").unwrap();
    let option = |name: &str, value: &Path| format!("-o{name}={}", value.display());
    run(Command::new("apt-get")
        .args(["install", "--download-only", "--no-install-recommends", "-y", "-qq", "-oDebug::NoLocking=1"])
        .arg(option("Dir::State::status", &state.join("status")))
        .arg(option("Dir::State::extended_states", &state.join("extended_states")))
        .arg(option("Dir::Cache::archives", &state.join("archives")))
        .arg(packages.join("hoody-desktop_0.1.0_amd64.deb"))
        .args(["xvfb", "xauth", "fuse3", "webkit2gtk-driver"]));
    let debs = files.join("debs");
    std::fs::create_dir_all(&debs).unwrap();
    let (mut count, mut bytes) = (0, 0);
    for entry in std::fs::read_dir(state.join("archives")).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "deb") {
            bytes += entry.metadata().unwrap().len();
            count += 1;
            std::fs::rename(entry.path(), debs.join(entry.file_name())).unwrap();
        }
    }
    let index = run(Command::new("dpkg-scanpackages").args(["--multiversion", "."]).current_dir(&debs));
    std::fs::write(debs.join("Packages"), index).unwrap();
    report += &format!(
        "| the VM's missing dependencies (and the test's Xvfb and WebKitWebDriver, and fuse3 for the AppImage) | {:.0} MiB | {count} packages |\n",
        bytes as f64 / 1048576.0
    );
    let test_files = [
        (root.join("tests/vm/as-root"), "as-root"),
        (debian_image(), "debian-13.tar"),
        (hoody_e2e::tauri_driver(), "tauri-driver"),
    ];
    for (from, name) in test_files {
        std::fs::copy(&from, files.join(name)).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
    // (A unit runs it: executable whatever mode the checkout gave it.)
    std::fs::set_permissions(files.join("as-root"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let disk = dir.join("payload.img");
    payload_disk(&files, &disk);
    (disk, report)
}

/// The `vm-step UPTIME WHAT` lines of a log: (seconds since the VM's boot, what).
fn steps(log: &str) -> Vec<(f64, String)> {
    log.lines()
        .filter_map(|l| l.trim_end_matches('\r').split_once("vm-step ")?.1.split_once(' '))
        .filter_map(|(at, what)| Some((at.parse().ok()?, what.to_owned())))
        .collect()
}

/// The serial ports' logs of a run: the console, alice's session, root's script.
const LOGS: [&str; 3] = ["console.log", "session.log", "as-root.log"];

/// What a run of the VM left: the verdict line, the steps of the log that gave it, that log.
struct Run {
    verdict: String,
    steps: Vec<(f64, String)>,
    log: String,
    console_tail: String,
}

/// Boots the VM (its system disk from `.ci/vm-image`, `payload` as its second disk) until the
/// log of serial port `port` (1: alice's session, 2: root's script) says `VM-TEST: …`; prints
/// the steps with their times.
fn boot(cache: &Path, payload: &Path, port: usize, dir: &Path) -> Run {
    let logs = LOGS.map(|name| dir.join(name));
    let mut qemu = Command::new("qemu-system-x86_64");
    qemu.args(["-accel", "tcg,tb-size=256", "-m", "2048", "-smp", "2", "-display", "none", "-no-reboot"])
        .args(["-nic", "none", "-monitor", "none", "-kernel"])
        .arg(cache.join("vmlinuz"))
        .args(["-append", "root=/dev/nvme0n1 rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 panic=-1"])
        .arg("-drive")
        .arg(format!("file={},format=raw,if=none,id=system,snapshot=on", cache.join("system.img").display()))
        .args(["-device", "nvme,drive=system,serial=system", "-drive"])
        .arg(format!("file={},format=raw,if=none,id=payload,readonly=on", payload.display()))
        .args(["-device", "nvme,drive=payload,serial=payload"]);
    for log in &logs {
        qemu.arg("-serial").arg(format!("file:{}", log.display()));
    }
    let mut qemu = qemu
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qemu-system-x86_64 is installed (.ci/install-deps)");
    let booted = Instant::now();
    let verdict = loop {
        let log = std::fs::read_to_string(&logs[port]).unwrap_or_default();
        if let Some(line) = log.lines().find(|l| l.contains("VM-TEST: ")) {
            break line.trim_end_matches('\r').to_owned();
        }
        if let Some(status) = qemu.try_wait().unwrap() {
            let mut err = String::new();
            qemu.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("qemu ended ({status}): {err}\n{}", std::fs::read_to_string(&logs[0]).unwrap_or_default());
        }
        if booted.elapsed() > LIMIT {
            break format!("VM-TEST: FAIL nothing was decided within {LIMIT:?}");
        }
        if booted.elapsed() > SESSION_LIMIT && !log.contains("vm-step ") {
            break format!("VM-TEST: FAIL the script did not start within {SESSION_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let wall = booted.elapsed();
    let _ = qemu.kill();
    let _ = qemu.wait();
    // Kept for a look after the run: target/vm-logs/.
    let kept = hoody_e2e::root().join("target/vm-logs");
    std::fs::create_dir_all(&kept).unwrap();
    for log in &logs {
        let _ = std::fs::copy(log, kept.join(log.file_name().unwrap()));
    }
    let log = String::from_utf8_lossy(&std::fs::read(&logs[port]).unwrap_or_default()).into_owned();
    let steps = steps(&log);
    println!("| step | seconds since the VM's boot |\n|---|---:|");
    for (at, what) in &steps {
        println!("| {what} | {at:.1} |");
    }
    println!("qemu ran {:.1} s", wall.as_secs_f64());
    let console = std::fs::read_to_string(&logs[0]).unwrap_or_default();
    let console_tail =
        console.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    Run { verdict, steps, log, console_tail }
}

/// The VM's system disk (made once per machine), and how long that took.
fn system_disk() -> (PathBuf, Duration) {
    let started = Instant::now();
    let cache = run(Command::new("bash").arg(hoody_e2e::root().join(".ci/vm-image")));
    (PathBuf::from(cache.trim()), started.elapsed())
}

#[test]
#[ignore = "minutes under qemu without KVM: .ci/test-all runs it in a phase of its own"]
fn a_person_on_a_systemd_desktop_runs_debian() {
    let (cache, image_ready) = system_disk();
    println!("the VM's system disk ready in {:.1} s (cached after the first run)", image_ready.as_secs_f64());
    let dir = tempfile::tempdir().unwrap();
    let payload = session_payload(dir.path());
    let Run { verdict, steps, log, console_tail } = boot(&cache, &payload, 1, dir.path());
    assert_eq!(verdict, "VM-TEST: PASS", "the session said:\n{log}\nthe console's end:\n{console_tail}");
    let said = |what: &str| steps.iter().any(|(_, s)| s.contains(what));
    assert!(said("user@1000.service") || said("session-"), "alice was in her own session: {log}");
    assert!(
        said("engine up, in 0::/user.slice/user-1000.slice/user@1000.service/"),
        "the engine sat in her manager's tree: {log}"
    );
    assert!(said("created: its init is in 0::/user.slice/user-1000.slice/user@1000.service/"), "{log}");
    assert!(said("created: its cgroup's cpu.weight is 100"), "each container weighs the same on the CPU: {log}");
}

/// The package as people get it: `.ci/package`'s .deb installed with apt-get on the VM (a
/// systemd desktop without the network), the app started by alice's own manager, its first-run
/// set-up, a debian/13 container, a hoody:// link, an upgrade and a removal (tests/vm/as-root).
#[test]
#[ignore = "minutes under qemu without KVM: .ci/test-all runs it in a phase of its own"]
fn a_person_installs_the_package_and_uses_it() {
    let (cache, _) = system_disk();
    let dir = tempfile::tempdir().unwrap();
    let (payload, sizes) = package_payload(dir.path(), &cache.join("system.img"));
    println!("| what | size | made by |\n|---|---:|---|\n{sizes}");
    let Run { verdict, steps, log, console_tail } = boot(&cache, &payload, 2, dir.path());
    assert_eq!(verdict, "VM-TEST: PASS", "root's script said:\n{log}\nthe console's end:\n{console_tail}");
    let said = |what: &str| steps.iter().any(|(_, s)| s.contains(what));
    assert!(said("xdg-mime query default x-scheme-handler/hoody: hoody-desktop.desktop"), "{log}");
    assert!(said("hoodyd.service runs as hoodyd in 0::/system.slice/hoodyd.service"), "{log}");
    assert!(said("the app is up in") && said("in 0::/user.slice/user-1000.slice/user@1000.service/"), "{log}");
    assert!(said("the server's container started again: running "), "after hoodyd's restart: {log}");
}

#[test]
fn the_steps_of_a_session_log() {
    let log =
        "login: alice\r\nvm-step 16.88 logged in as alice\r\nnoise\nvm-step 60.68 image imported\r\nVM-TEST: PASS\r\n";
    assert_eq!(steps(log), [(16.88, "logged in as alice".to_owned()), (60.68, "image imported".to_owned())]);
}
