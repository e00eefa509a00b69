//! A process as Linux shows it under `/proc`: the one place the runtime and the kit read
//! processes from (whether one lives, its arguments, its pid inside its container, its root,
//! its network namespace and tables, its cgroups).

use crate::rootdir::RootDir;
use std::path::PathBuf;

fn path(pid: u32, what: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{what}"))
}

/// Alive: exists and is not a zombie waiting to be reaped.
pub fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(path(pid, "stat")) {
        Ok(stat) => {
            let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X") | None)
        }
        Err(_) => false,
    }
}

/// Its command line, an argument each (empty when it is gone).
pub fn args(pid: u32) -> Vec<String> {
    let cmdline = std::fs::read(path(pid, "cmdline")).unwrap_or_default();
    cmdline.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect()
}

/// Its pid in the innermost pid namespace it is in (its container's), when it still runs.
pub fn pid_inside(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(path(pid, "status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("NSpid:")).and_then(|ids| ids.split_whitespace().last()?.parse().ok())
}

/// Its root directory (a container's `/` for a process of the container).
pub fn root(pid: u32) -> std::io::Result<RootDir> {
    RootDir::open(&path(pid, "root"))
}

/// The path of its network namespace.
pub fn net_namespace(pid: u32) -> PathBuf {
    path(pid, "ns/net")
}

/// A table of its network namespace (`tcp`, `tcp6`, `route`), empty when unreadable.
pub fn net_table(pid: u32, table: &str) -> String {
    std::fs::read_to_string(path(pid, &format!("net/{table}"))).unwrap_or_default()
}

/// Its cgroup memberships, `ID:CONTROLLERS:PATH` a line.
pub fn cgroups(pid: u32) -> String {
    std::fs::read_to_string(path(pid, "cgroup")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_as_proc_shows_it() {
        let me = std::process::id();
        assert!(super::is_alive(me));
        assert!(!super::args(me).is_empty());
        assert_eq!(super::pid_inside(me), Some(me), "the tests run in the host's pid namespace");
        assert!(super::net_namespace(me).exists());
        assert!(!super::cgroups(me).is_empty());
        assert!(!super::is_alive(u32::MAX));
    }
}
