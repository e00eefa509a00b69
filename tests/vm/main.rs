//! A real desktop, where this host is not one: Debian 12 under qemu (TCG: no KVM here) with
//! systemd as PID 1, logind, D-Bus and cgroup v2 only, as the desktops people use are. Its
//! system disk is made once per machine (`.ci/vm-image`, cached); each run brings the workspace's
//! own `hoodyd` and `hoody-enter`, the debian/13 image and the script of the session
//! (`tests/vm/in-session`) on a second disk. At boot a unit runs `hoodyd host-setup --user
//! alice`; then alice, logged in on the second serial port, starts the engine in her own
//! session and creates debian/13 → running (systemd inside says running or degraded, through
//! the terminal kit) → stop → start → delete.
//!
//! Slow (minutes under TCG), so `cargo test --workspace` leaves it out (ignored) and
//! `.ci/test-all` runs it in a phase of its own: `cargo test -p hoody-e2e --test vm -- --ignored`.

use std::io::Read;
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

/// The payload disk: the programs, the image and the session's script, at /opt/hoody.
fn payload(dir: &Path) -> PathBuf {
    let root = hoody_e2e::root();
    let files = dir.join("payload");
    std::fs::create_dir_all(&files).unwrap();
    let image = root.join("target/test-images/debian-13.tar");
    assert!(image.exists(), "{} is missing: run .ci/build-test-images", image.display());
    for (from, name) in [
        (hoody_e2e::program("hoodyd"), "hoodyd"),
        (hoody_e2e::program("hoody-enter"), "hoody-enter"),
        (root.join("tests/vm/in-session"), "in-session"),
        (image, "debian-13.tar"),
    ] {
        std::fs::copy(&from, files.join(name)).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
    let disk = dir.join("payload.img");
    run(Command::new("mkfs.ext4").args(["-q", "-L", "hoody-payload", "-d"]).arg(&files).arg(&disk).arg("2G"));
    std::fs::remove_dir_all(&files).unwrap();
    disk
}

/// The `vm-step UPTIME WHAT` lines of the session's log: (seconds since the VM's boot, what).
fn steps(log: &str) -> Vec<(f64, String)> {
    log.lines()
        .filter_map(|l| l.trim_end_matches('\r').split_once("vm-step ")?.1.split_once(' '))
        .filter_map(|(at, what)| Some((at.parse().ok()?, what.to_owned())))
        .collect()
}

#[test]
#[ignore = "minutes under qemu without KVM: .ci/test-all runs it in a phase of its own"]
fn a_person_on_a_systemd_desktop_runs_debian() {
    let started = Instant::now();
    let cache = run(Command::new("bash").arg(hoody_e2e::root().join(".ci/vm-image")));
    let cache = PathBuf::from(cache.trim());
    let image_ready = started.elapsed();
    let dir = tempfile::tempdir().unwrap();
    let payload = payload(dir.path());
    let (console, session) = (dir.path().join("console.log"), dir.path().join("session.log"));
    let mut qemu = Command::new("qemu-system-x86_64")
        .args(["-accel", "tcg,tb-size=256", "-m", "2048", "-smp", "2", "-display", "none", "-no-reboot"])
        .args(["-nic", "none", "-monitor", "none", "-kernel"])
        .arg(cache.join("vmlinuz"))
        .args(["-append", "root=/dev/nvme0n1 rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 panic=-1"])
        .arg("-drive")
        .arg(format!("file={},format=raw,if=none,id=system,snapshot=on", cache.join("system.img").display()))
        .args(["-device", "nvme,drive=system,serial=system", "-drive"])
        .arg(format!("file={},format=raw,if=none,id=payload,readonly=on", payload.display()))
        .args(["-device", "nvme,drive=payload,serial=payload", "-serial"])
        .arg(format!("file:{}", console.display()))
        .arg("-serial")
        .arg(format!("file:{}", session.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qemu-system-x86_64 is installed (.ci/install-deps)");
    let booted = Instant::now();
    let verdict = loop {
        let log = std::fs::read_to_string(&session).unwrap_or_default();
        if let Some(line) = log.lines().find(|l| l.contains("VM-TEST: ")) {
            break line.trim_end_matches('\r').to_owned();
        }
        if let Some(status) = qemu.try_wait().unwrap() {
            let mut err = String::new();
            qemu.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("qemu ended ({status}): {err}\n{}", std::fs::read_to_string(&console).unwrap_or_default());
        }
        if booted.elapsed() > LIMIT {
            break format!("VM-TEST: FAIL nothing was decided within {LIMIT:?}");
        }
        if booted.elapsed() > SESSION_LIMIT && !log.contains("vm-step ") {
            break format!("VM-TEST: FAIL alice's session did not start within {SESSION_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let wall = booted.elapsed();
    let _ = qemu.kill();
    let _ = qemu.wait();
    // Kept for a look after the run: target/vm-logs/{console,session}.log.
    let kept = hoody_e2e::root().join("target/vm-logs");
    std::fs::create_dir_all(&kept).unwrap();
    for log in [&console, &session] {
        std::fs::copy(log, kept.join(log.file_name().unwrap())).unwrap();
    }
    let log = String::from_utf8_lossy(&std::fs::read(&session).unwrap()).into_owned();
    let steps = steps(&log);
    println!("the VM's system disk ready in {:.1} s (cached after the first run)", image_ready.as_secs_f64());
    println!("| step | seconds since the VM's boot |\n|---|---:|");
    for (at, what) in &steps {
        println!("| {what} | {at:.1} |");
    }
    println!("qemu ran {:.1} s", wall.as_secs_f64());
    let console_tail: String = {
        let text = std::fs::read_to_string(&console).unwrap_or_default();
        text.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    };
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

#[test]
fn the_steps_of_a_session_log() {
    let log =
        "login: alice\r\nvm-step 16.88 logged in as alice\r\nnoise\nvm-step 60.68 image imported\r\nVM-TEST: PASS\r\n";
    assert_eq!(steps(log), [(16.88, "logged in as alice".to_owned()), (60.68, "image imported".to_owned())]);
}
