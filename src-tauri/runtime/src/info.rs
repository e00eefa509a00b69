//! Live figures of a running container, read from the host side: the cgroup lists its
//! processes (host PIDs), /proc gives each one's in-container PID and command, the init's
//! network namespace lists the listening ports, and the cgroup controllers give CPU and memory.

use crate::procfs;
use hoody_model::{ProcessInfo, RuntimeInfo};
use std::path::PathBuf;

pub(crate) const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Whether this host has the unified (cgroup2) tree only.
pub(crate) fn unified() -> bool {
    std::path::Path::new(CGROUP_ROOT).join("cgroup.controllers").exists()
}

/// The directory of `cgroup` for `controller` (v1) or in the unified tree (v2).
fn cgroup_dir(controller: &str, cgroup: &str) -> PathBuf {
    let rel = cgroup.trim_start_matches('/');
    if unified() { PathBuf::from(CGROUP_ROOT).join(rel) } else { PathBuf::from(CGROUP_ROOT).join(controller).join(rel) }
}

fn read_u64(path: PathBuf) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

pub fn read(init_pid: u32, started_at: chrono::DateTime<chrono::Utc>, cgroup: &str) -> RuntimeInfo {
    // Every cgroup of the container's: on a cgroup2 host its systemd moves everything, itself
    // included, into cgroups of its own below the container's.
    let procs: String = with_descendants(&cgroup_dir("pids", cgroup))
        .iter()
        .filter_map(|dir| std::fs::read_to_string(dir.join("cgroup.procs")).ok())
        .collect();
    let mut processes: Vec<ProcessInfo> = procs
        .lines()
        .filter_map(|l| l.trim().parse::<u32>().ok())
        .filter_map(|host_pid| {
            let pid = procfs::pid_inside(host_pid)?;
            let command = procfs::args(host_pid).join(" ");
            Some(ProcessInfo { host_pid, pid, command })
        })
        .collect();
    processes.sort_by_key(|p| p.pid);
    let (cpu_usage_ns, memory_bytes) = if unified() {
        let cpu = std::fs::read_to_string(cgroup_dir("", cgroup).join("cpu.stat"))
            .ok()
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("usage_usec ")?.trim().parse::<u64>().ok()))
            .map(|us| us * 1000);
        (cpu, read_u64(cgroup_dir("", cgroup).join("memory.current")))
    } else {
        (
            read_u64(cgroup_dir("cpuacct", cgroup).join("cpuacct.usage")),
            read_u64(cgroup_dir("memory", cgroup).join("memory.usage_in_bytes")),
        )
    };
    RuntimeInfo {
        running: !processes.is_empty(),
        started_at: Some(started_at),
        processes,
        listening_ports: listening_ports(init_pid),
        cpu_usage_ns: cpu_usage_ns.unwrap_or(0),
        memory_bytes: memory_bytes.unwrap_or(0),
        kit_services: Vec::new(), // filled in by the engine from the kit
    }
}

/// TCP ports in LISTEN state in the network namespace of `pid`.
pub fn listening_ports(pid: u32) -> Vec<u16> {
    let mut ports: Vec<u16> = ["tcp", "tcp6"]
        .iter()
        .map(|table| procfs::net_table(pid, table))
        .flat_map(|table| parse_listeners(&table))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

fn parse_listeners(table: &str) -> Vec<u16> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let local = fields.nth(1)?;
            let state = fields.nth(1)?;
            (state == "0A").then(|| u16::from_str_radix(local.rsplit(':').next()?, 16).ok()).flatten()
        })
        .collect()
}

/// The `cgroup.procs` files of every cgroup the container's init is in (one per v1 hierarchy,
/// or the one of cgroup2): a process written there is counted, limited and frozen with the
/// container.
pub fn cgroup_procs_files(init_pid: u32) -> Vec<PathBuf> {
    let table = procfs::cgroups(init_pid);
    table
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
            let hierarchy = match controllers {
                "" if unified() => PathBuf::from(CGROUP_ROOT),
                "" => PathBuf::from(CGROUP_ROOT).join("unified"),
                named => PathBuf::from(CGROUP_ROOT).join(named.strip_prefix("name=").unwrap_or(named)),
            };
            Some(hierarchy.join(path.trim_start_matches('/')).join("cgroup.procs"))
        })
        .filter(|file| file.exists())
        .collect()
}

/// The leaf of a container's cgroup in the unified tree where the processes that serve it
/// (kit processes) go: the engine makes it, its own, before the container's cgroup becomes the
/// container root's, so that it may put them there (the container's systemd owns the rest of
/// that tree, and cgroup2 takes no process beside the children it gives controllers to).
pub const KIT_CGROUP: &str = "hoody-kit";

/// The `cgroup.procs` files a kit process of the container whose init is `init_pid` joins:
/// the init's own in every v1 hierarchy, and the container's [`KIT_CGROUP`] in the unified
/// tree (found above the init's cgroup: systemd moves itself into `init.scope`), or the init's
/// own cgroup there when the container has none.
pub fn kit_cgroup_procs_files(init_pid: u32) -> Vec<PathBuf> {
    let root = PathBuf::from(CGROUP_ROOT);
    cgroup_procs_files(init_pid)
        .into_iter()
        .map(|file| {
            let Some(init_cgroup) = file.parent() else { return file };
            let in_unified = if unified() { true } else { init_cgroup.starts_with(root.join("unified")) };
            let kit = in_unified
                .then(|| {
                    init_cgroup.ancestors().take_while(|dir| *dir != root).find(|dir| dir.join(KIT_CGROUP).is_dir())
                })
                .flatten();
            kit.map_or(file.clone(), |dir| dir.join(KIT_CGROUP).join("cgroup.procs"))
        })
        .collect()
}

/// The directory of `cgroup` in the unified (cgroup2) tree: the whole tree on a cgroup2 host,
/// its `unified` mount on a hybrid one.
pub fn unified_dir(cgroup: &str) -> PathBuf {
    let rel = cgroup.trim_start_matches('/');
    if unified() { PathBuf::from(CGROUP_ROOT).join(rel) } else { PathBuf::from(CGROUP_ROOT).join("unified").join(rel) }
}

/// The hierarchies a rootless engine needs a cgroup of its own in (limits, freezer,
/// accounting, and systemd's unified tree).
const DELEGATED: [&str; 5] = ["memory", "pids", "freezer", "cpuacct", "unified"];

/// Why a rootless engine cannot make its containers' cgroups under `parent`, or None.
pub fn delegation_missing(parent: &str) -> Option<String> {
    let dirs: Vec<PathBuf> = if unified() {
        vec![PathBuf::from(CGROUP_ROOT).join(parent)]
    } else {
        DELEGATED.iter().map(|c| PathBuf::from(CGROUP_ROOT).join(c).join(parent)).collect()
    };
    let missing: Vec<String> = dirs
        .iter()
        .filter(|dir| {
            rustix::fs::access(dir.as_path(), rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK).is_err()
        })
        .map(|dir| dir.display().to_string())
        .collect();
    (!missing.is_empty()).then(|| {
        let user = parent.strip_prefix("hoody-").unwrap_or(parent);
        format!(
            "no cgroup is delegated to this user ({} missing or not writable): run `sudo hoodyd host-setup --user {user}` once (after each boot on hosts without systemd)",
            missing.join(", ")
        )
    })
}

/// Cgroups of a slot's earlier starts that a crash left behind (runc delete removes them
/// normally), with whatever still runs in them: an init that a `runc create` cut off by a
/// crash left waiting, say, which no later runc call can signal (it runs in a namespace of
/// its own), but the engine can.
pub fn remove_leftover_cgroups(parent: &str, slot: &str) {
    let prefix = format!("{slot}-");
    let leftovers: Vec<PathBuf> = cgroup_parent_dirs(parent)
        .into_iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
        .map(|entry| entry.path())
        .collect();
    if leftovers.is_empty() {
        return;
    }
    // systemd inside makes cgroups of its own below the container's: children go first.
    let mut all: Vec<PathBuf> = leftovers.iter().flat_map(|dir| with_descendants(dir)).collect();
    kill_everything_in(&all);
    all.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
    for dir in all {
        if let Err(e) = std::fs::remove_dir(&dir) {
            tracing::warn!("cannot remove cgroup {}: {e}", dir.display());
        }
    }
}

/// `dir` and every cgroup below it.
fn with_descendants(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = vec![dir.to_owned()];
    let mut next = 0;
    while next < found.len() {
        if let Ok(entries) = std::fs::read_dir(&found[next]) {
            found.extend(entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()));
        }
        next += 1;
    }
    found
}

/// SIGKILLs every process in `cgroups` (thawed first: a frozen process dies only once thawed)
/// and waits, up to two seconds, until none is left.
fn kill_everything_in(cgroups: &[PathBuf]) {
    let procs = || -> Vec<u32> {
        cgroups
            .iter()
            .filter_map(|dir| std::fs::read_to_string(dir.join("cgroup.procs")).ok())
            .flat_map(|text| text.lines().filter_map(|l| l.trim().parse().ok()).collect::<Vec<u32>>())
            .filter(|pid| procfs::is_alive(*pid))
            .collect()
    };
    if procs().is_empty() {
        return;
    }
    for dir in cgroups {
        let _ = std::fs::write(dir.join("freezer.state"), "THAWED");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let left = procs();
        if left.is_empty() || std::time::Instant::now() > deadline {
            return;
        }
        for pid in left {
            if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The engine's cgroup parent directory in every hierarchy (one per v1 hierarchy, plus the
/// unified one; or the one of a cgroup2 host).
pub fn cgroup_parent_dirs(parent: &str) -> Vec<PathBuf> {
    if unified() {
        return vec![PathBuf::from(CGROUP_ROOT).join(parent)];
    }
    std::fs::read_dir(CGROUP_ROOT)
        .map(|entries| entries.flatten().map(|e| e.path().join(parent)).filter(|p| p.is_dir()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::parse_listeners;

    #[test]
    fn listeners_from_proc_net_tcp() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:0016 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0";
        assert_eq!(parse_listeners(table), vec![8080]);
    }
}
