//! systemd as PID 1 on a debootstrapped Debian 13 (`.ci/build-test-images` makes it; `.ci`
//! runs that first). Slow (the image import takes seconds), but CI runs it.

use super::{Local, admin, in_container};
use hoody_model::{ContainerStatus, Operation};
use std::path::PathBuf;
use std::process::Command;

fn debian_tarball() -> PathBuf {
    let dir = std::env::var_os("HOODY_TEST_IMAGES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-images"));
    let tarball = dir.join("debian-13.tar");
    assert!(tarball.is_file(), "{} is missing: run .ci/build-test-images first", tarball.display());
    tarball
}

/// Runs a command in every namespace of the container, as `hoody exec` would.
fn inside(pid: u32, args: &[&str]) -> (bool, String) {
    let out = Command::new("nsenter").args(["-t", &pid.to_string(), "-a", "--"]).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text.trim().to_owned())
}

/// systemctl talks to systemd over /run/systemd/private, which exists once systemd is up.
async fn wait_for_system_bus(pid: u32) {
    let socket = in_container(pid, "/run/systemd/private");
    super::eventually("systemd's private socket", || async { socket.exists() }).await;
}

const UNIT: &str = "[Unit]\nDescription=hello\n[Service]\nType=oneshot\nRemainAfterExit=yes\n\
ExecStart=/bin/sh -c 'echo \"$GREETING from $(hostname)\" > /root/hello'\n[Install]\nWantedBy=multi-user.target\n";

#[tokio::test]
async fn systemd_runs_as_pid_1_and_starts_units() {
    let local = Local::new().await;
    local.runtime.image_store().import_tarball("debian/13", &debian_tarball(), "debian").unwrap();
    let env = [("GREETING".to_owned(), "hi".to_owned())].into_iter().collect();
    let c = local
        .create("deb", |r| {
            r.container_image = Some("debian/13".into());
            r.environment_vars = Some(env);
        })
        .await;
    assert_eq!(c.status, ContainerStatus::Running, "{:?}", c.error);
    let pid = local.init_pid(&c.id).await;
    assert_eq!(std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap().trim(), "systemd");

    wait_for_system_bus(pid).await;
    let (_, state) = inside(pid, &["systemctl", "is-system-running", "--wait"]);
    let (_, failed) = inside(pid, &["systemctl", "--failed", "--no-legend"]);
    assert_eq!(state, "running", "failed units: {failed}");
    assert_eq!(inside(pid, &["hostname"]).1, "deb");

    // A unit of the user's: enabled and started now, with the container's environment.
    std::fs::write(in_container(pid, "/etc/systemd/system/hello.service"), UNIT).unwrap();
    let (ok, out) = inside(pid, &["systemctl", "enable", "--now", "hello.service"]);
    assert!(ok, "{out}");
    assert_eq!(std::fs::read_to_string(in_container(pid, "/root/hello")).unwrap(), "hi from deb\n");

    // Stop: systemd halts on SIGRTMIN+3 well inside the grace period (no kill needed).
    std::fs::remove_file(in_container(pid, "/root/hello")).unwrap();
    local.engine.operate(&admin(), &c.id, Operation::Stop).await.unwrap();
    let log = local.engine.status_logs(&admin(), &c.id).await.unwrap();
    let how = log.last().and_then(|entry| entry.reason.clone());
    assert_eq!(how.as_deref(), Some("its init halted on its signal"), "systemd halts by itself, no kill needed");

    // Start: the enabled unit runs at boot.
    local.engine.operate(&admin(), &c.id, Operation::Start).await.unwrap();
    let pid = local.init_pid(&c.id).await;
    wait_for_system_bus(pid).await;
    let (_, state) = inside(pid, &["systemctl", "is-system-running", "--wait"]);
    assert_eq!(state, "running");
    assert_eq!(std::fs::read_to_string(in_container(pid, "/root/hello")).unwrap(), "hi from deb\n");
    local.delete_all_and_check_clean().await;
}
