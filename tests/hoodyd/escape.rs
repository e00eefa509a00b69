//! The escape suite: a container is hostile, and every kind of process it has — its init's
//! own (a systemd unit), a terminal session, an exec script — tries the known ways out (runc's
//! masks lifted among them); each
//! is refused and the host is unchanged. The kit's long-lived and in-container helpers (the
//! display's X server, the sqlite service's process) hold no more than the init: the same user
//! namespace, no capability it lacks, the same seccomp filter.

use crate::display::running_debian;
use crate::process::SYSTEMD_ANSWERS;
use crate::proxy::browser;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// The attempts, as a shell script (Debian's perl makes the raw system calls). Each line of
/// its output is `ESCAPED what` or `refused what`.
pub(crate) const ESCAPE: &str = r#"#!/bin/sh
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "ESCAPED $name"; else echo "refused $name"; fi; }
# The host's core_pattern (a program the host's kernel runs as root on a crash).
mount -o remount,bind,rw /proc/sys 2>/dev/null
try core_pattern sh -c 'echo "|/tmp/pwn" > /proc/sys/kernel/core_pattern'
# A cgroup v1 hierarchy (the kernel lets a user namespace mount one, seen from its own
# cgroup) and its release_agent, another program the host runs as root; and the container's
# own limit in it.
mkdir -p /tmp/cg
mount -t cgroup -o memory cgroup /tmp/cg 2>/dev/null
try release_agent sh -c 'echo /tmp/pwn > /tmp/cg/release_agent'
try raise_own_memory_limit sh -c 'echo -1 > /tmp/cg/memory.limit_in_bytes'
# A block device of the host's.
try mknod_block mknod /tmp/disk b 8 0
try open_block sh -c 'head -c 1 /tmp/disk'
# Kernel modules, kexec, file handles, the keyring, BPF: the calls themselves.
try init_module perl -e 'syscall(175, 0, 0, "") == 0 or exit 1'
try finit_module perl -e 'syscall(313, 0, "", 0) == 0 or exit 1'
try kexec_load perl -e 'syscall(246, 0, 0, 0, 0) == 0 or exit 1'
try open_by_handle_at perl -e 'my $h = pack("LLQ", 8, 1, 2); my $fd = syscall(304, -100, $h, 0); $fd >= 0 or exit 1'
try keyctl perl -e 'syscall(250, 0, -3, 0) >= 0 or exit 1'
# sysfs: the host's kernel settings.
try sys_write sh -c 'echo x > /sys/kernel/uevent_helper'
try sys_remount sh -c 'mount -o remount,rw /sys && echo x > /sys/kernel/uevent_helper'
# Host processes: none is visible; a pid outside the container's range is no one.
try see_host_pids sh -c 'ls /proc | grep -qx "$HOST_PID"'
try signal_host kill -0 "$HOST_PID"
try ptrace_host perl -e "syscall(101, 16, $HOST_PID, 0, 0) == 0 or exit 1"
# Another container's files: not under any path this one can reach.
try other_container sh -c 'find / -xdev -name "$OTHER_MARKER" 2>/dev/null | grep -q .'
try other_container_proc sh -c 'grep -rls "$OTHER_MARKER" /proc/*/root/tmp 2>/dev/null | grep -q .'
# runc's masked and read-only paths, locked: not unmounted, and not seen past through a fresh
# /proc or /sys of the container's own.
try unmount_proc_sys umount /proc/sys
try unmount_masked_file umount /proc/timer_list
try unmount_masked_dir umount /sys/firmware
try fresh_proc sh -c 'mkdir -p /tmp/fp && mount -t proc proc /tmp/fp && grep -q . /tmp/fp/timer_list'
try fresh_sysfs sh -c 'mkdir -p /tmp/fs && mount -t sysfs sysfs /tmp/fs && ls /tmp/fs/firmware | grep -q .'
try host_timer_list sh -c 'grep -q . /proc/timer_list'
try host_memory_map sh -c 'ls /sys/firmware/memmap | grep -q .'
# Its user namespace is not the host's (which alone maps all 4294967295 ids; the container's
# maps 65536, to runc's, which maps them to an ordinary host range).
awk '{ if ($3 == 4294967295) print "ESCAPED host_user_namespace"; else print "refused host_user_namespace" }' /proc/self/uid_map
echo "done"
"#;

/// The attempts' results: every line refused, and all of them there.
fn assert_all_refused(whose: &str, output: &str) {
    let lines: Vec<&str> = output.lines().filter(|l| l.starts_with("ESCAPED") || l.starts_with("refused")).collect();
    assert!(output.contains("done") && lines.len() >= 18, "{whose}: the script did not run to its end: {output}");
    let escaped: Vec<&&str> = lines.iter().filter(|l| l.starts_with("ESCAPED")).collect();
    assert!(escaped.is_empty(), "{whose} got out: {escaped:?}\n{output}");
}

/// Capabilities, bounding set, seccomp mode and user namespace of a host process.
fn confinement(pid: u64) -> (u64, u64, String, String) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let hex = |name: &str| u64::from_str_radix(&field(name), 16).unwrap();
    let userns = std::fs::read_link(format!("/proc/{pid}/ns/user")).unwrap().to_string_lossy().into_owned();
    (hex("CapEff"), hex("CapBnd"), field("Seccomp"), userns)
}

/// `kit` (as [`confinement`] read it) holds nothing the init does not: same user namespace, no
/// capability outside the init's, and a seccomp filter.
fn assert_holds_no_more(what: &str, kit: (u64, u64, String, String), init: u64) {
    let (init_eff, init_bnd, _, init_ns) = confinement(init);
    let (eff, bnd, seccomp, ns) = kit;
    assert_eq!(ns, init_ns, "{what} is in the container's user namespace");
    assert_eq!(eff & !init_eff, 0, "{what} has capabilities the init lacks: {eff:x} vs {init_eff:x}");
    assert_eq!(bnd & !init_bnd, 0, "{what} could regain capabilities the init lacks: {bnd:x} vs {init_bnd:x}");
    assert_eq!(seccomp, "2", "{what} runs under a seccomp filter");
}

#[tokio::test]
async fn no_process_of_a_container_gets_out() {
    let core_pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap();
    let (_dir, d, c) = running_debian("hostile").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let init = c["runtime_info"]["processes"].as_array().unwrap().iter().find(|p| p["pid"] == 1).unwrap()["host_pid"]
        .as_u64()
        .unwrap();
    // Another container with a marker file of its own, and a host process to aim at.
    d.import_busybox();
    let project = c["project_id"].as_str().unwrap().to_owned();
    let other = crate::proxy::running(&d, &project, "neighbour").await;
    let marker = format!("marker-{}", hoody_model::ids::random_hex(6));
    let other_files = other["urls"]["files-1"].as_str().unwrap().to_owned();
    let put = browser(&d, &other_files).put(format!("{other_files}/api/v1/files/tmp/{marker}")).body(marker.clone());
    assert_eq!(put.send().await.unwrap().status(), 200);
    let host_pid = std::process::id();
    let env = format!("HOST_PID={host_pid} OTHER_MARKER={marker}");

    // The script, put in place through the files service.
    let terminal = c["urls"]["terminal-1"].as_str().unwrap().to_owned();
    let execute = |body: Value| {
        browser(&d, &terminal).post(format!("{terminal}/api/v1/terminal/execute?terminal_id=1")).json(&body).send()
    };
    execute(json!({"command": "mkdir -p /hoody/exec", "wait": true})).await.unwrap();
    let files = c["urls"]["files-1"].as_str().unwrap().to_owned();
    let http = browser(&d, &files);
    let r = http.put(format!("{files}/api/v1/files/escape.sh?mode=755")).body(ESCAPE).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // A terminal session.
    let r: Value =
        execute(json!({"command": format!("{env} /escape.sh"), "wait": true})).await.unwrap().json().await.unwrap();
    assert_all_refused("a terminal session", r["stdout"].as_str().unwrap_or_default());

    // An exec script (CGI-style: its environment comes from the request).
    let exec = c["urls"]["exec-1"].as_str().unwrap().to_owned();
    let wrapper = format!("#!/bin/sh\nexport {env}\nexec /escape.sh\n");
    let r = http.put(format!("{files}/api/v1/files/hoody/exec/escape?mode=755")).body(wrapper).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let out = browser(&d, &exec).get(format!("{exec}/escape")).send().await.unwrap().text().await.unwrap();
    assert_all_refused("an exec script", &out);

    // The init's own: a unit systemd starts (the init's confinement, inherited).
    let unit = format!(
        "[Service]\nType=oneshot\nEnvironment={env}\nExecStart=/bin/sh -c '/escape.sh > /escape-init.out 2>&1'\n"
    );
    let r =
        http.put(format!("{files}/api/v1/files/etc/systemd/system/escape.service")).body(unit).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = execute(json!({"command": format!("{SYSTEMD_ANSWERS}systemctl daemon-reload && systemctl start escape.service; cat /escape-init.out"), "wait": true}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_all_refused("the init's unit", r["stdout"].as_str().unwrap_or_default());

    // The kit's helpers inside: the display's X server, and the sqlite service's process
    // while it works on a long query.
    let display = c["urls"]["display-1"].as_str().unwrap().to_owned();
    let info: Value =
        browser(&d, &display).get(format!("{display}/api/v1/display/info")).send().await.unwrap().json().await.unwrap();
    assert_holds_no_more("the X server", confinement(info["pid"].as_u64().unwrap()), init);
    let sqlite = c["urls"]["sqlite-1"].as_str().unwrap().to_owned();
    let slow = json!({"transaction": [{"query": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000) SELECT count(*) FROM n"}]});
    let query = browser(&d, &sqlite)
        .post(format!("{sqlite}/api/v1/sqlite/db?db=slow&create_db_if_missing=true"))
        .json(&slow)
        .send();
    let init_ns = confinement(init).3;
    let watch = async {
        for _ in 0..2000 {
            // Read while the query runs (seconds), once it has long joined the container.
            if let Some(helper) = kit_helper("--kit") {
                tokio::time::sleep(Duration::from_millis(300)).await;
                if let Ok(seen) = std::panic::catch_unwind(|| confinement(helper)) {
                    assert_eq!(seen.3, init_ns, "the sqlite service's process is in the container's user namespace");
                    return seen;
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the sqlite service's process never showed");
    };
    let (answer, helper) = tokio::join!(query, watch);
    assert_eq!(answer.unwrap().status(), 200);
    assert_holds_no_more("the sqlite service's process", helper, init);

    // Seen from the host, the container's root is an ordinary uid.
    let status = std::fs::read_to_string(format!("/proc/{init}/status")).unwrap();
    let uid = status.lines().find_map(|l| l.strip_prefix("Uid:")).unwrap().split_whitespace().next().unwrap();
    assert_ne!(uid, "0", "the container's init is host root");

    // The host is as it was.
    assert_eq!(std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap(), core_pattern);
    assert!(!std::path::Path::new("/tmp/pwn").exists());
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
    d.client.raw(Method::DELETE, &format!("/containers/{}", other["id"].as_str().unwrap()), None).await.unwrap();
}

/// A running `hoody-enter join … ARG` process (a kit helper), by host pid.
fn kit_helper(arg: &str) -> Option<u64> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u64 = entry.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let ours = args.first()?.ends_with(b"hoody-enter") && args.contains(&b"join".as_slice());
        (ours && args.contains(&arg.as_bytes())).then_some(pid)
    })
}
