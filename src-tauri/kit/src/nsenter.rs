//! Starting service processes inside a container, and living with their `nsenter` parents.
//!
//! A service process joins the container's pid namespace and cgroups, so it ends with the
//! container, the container's memory and pids limits hold it, pausing freezes it, and its CPU
//! time counts as the container's; then it enters the rest of its namespaces.
//! To put a service process into a container's pid namespace,
//! nsenter forks it and waits; when the child is stopped, nsenter stops itself too (it mirrors
//! job control). systemd's shutdown stops every process of the container before it kills
//! them, which leaves nsenter stopped and its child, once killed, a zombie that systemd waits
//! for until the stop times out. So a stopped nsenter is continued at once, and one whose
//! child is gone is killed.

use std::time::Duration;

/// A command for a service process of the container whose init is `init_pid`: nsenter forks
/// it into the container's pid namespace, where it joins the container's cgroups and then
/// runs `program` (with the arguments the caller adds). Only the nsenter parent stays outside
/// the container, so that it can reap.
pub fn contained(init_pid: u32, program: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("nsenter");
    command
        .arg(format!("--pid=/proc/{init_pid}/ns/pid"))
        .args(["--", "/bin/sh", "-c"])
        .arg(r#"while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@""#)
        .arg("sh")
        .args(hoody_runtime::cgroup_procs_files(init_pid))
        .arg("--")
        .arg(program);
    command
}

/// nsenter's arguments for the rest of the container's namespaces (the pid namespace is
/// entered already, see [`contained`]): mount, UTS, IPC, network and cgroup.
pub fn enter_rest(init_pid: u32) -> [String; 7] {
    ["-t".into(), init_pid.to_string(), "-m".into(), "-u".into(), "-i".into(), "-n".into(), "-C".into()]
}

/// The direct children of host process `pid`.
pub fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The state letter of a process (`R`, `S`, `T`, `Z`…); `Z` when it is gone.
fn state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state follows the command name, which is in parentheses and may hold spaces.
    stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next()).unwrap_or('Z')
}

/// Waits for an nsenter parent to end; once its child in the container is gone, it is
/// killed (a stopped nsenter would never end by itself) and reaped.
pub async fn reap(mut child: tokio::process::Child) {
    let pid = child.id().unwrap_or(0);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    tick.tick().await; // the first tick is immediate; nsenter has not forked yet
    loop {
        tokio::select! {
            _ = child.wait() => return,
            _ = tick.tick() => {
                if pid == 0 {
                    continue;
                }
                if state(pid) == 'T' {
                    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                        let _ = rustix::process::kill_process(pid, rustix::process::Signal::CONT);
                    }
                } else if children(pid).into_iter().all(|c| state(c) == 'Z') {
                    let _ = child.start_kill();
                }
            }
        }
    }
}
