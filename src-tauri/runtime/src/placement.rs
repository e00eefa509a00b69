//! Where a rootless engine and its containers sit in the cgroup tree.
//!
//! A process may move another into a cgroup of the unified (cgroup2) tree only if it may write
//! the `cgroup.procs` of both cgroups' common ancestor. An engine started where a person's
//! programs start — a login session's scope on a systemd desktop, the unified root `0::/` on a
//! host without systemd — can therefore not put its containers' inits into cgroups of their
//! own there (runc, rootless, shrugs and leaves them where the engine is), and systemd inside a
//! container then dies at once: "Failed to create /init.scope control group: Permission
//! denied". So before any container starts the engine settles where it is:
//!
//! - on a host run by systemd with cgroup2 only (the desktops people use), it asks the user's
//!   own manager for a delegated scope holding itself (`StartTransientUnit` with
//!   `Delegate=yes`, over D-Bus through `busctl`), moves into a leaf `engine` of it and hands
//!   the controllers down: its containers' cgroups are made beside that leaf;
//! - elsewhere (a cgroup v1 hybrid host like a CI machine, or cgroup2 without systemd) it must
//!   already sit below `hoody-USER` in the unified tree, the cgroup `hoodyd host-setup` gave
//!   the user, where host-setup's session hook places the user's logins: no process of the
//!   user's can move itself there, so an engine elsewhere says so, with the fix.

use crate::info::{self, CGROUP_ROOT};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The controllers containers' limits need, handed down to them where the engine may.
const CONTROLLERS: [&str; 3] = ["cpu", "memory", "pids"];
/// How long the user's manager gets to put the engine into its new scope.
const SCOPE_TIMEOUT: Duration = Duration::from_secs(5);

/// The cgroup (relative to the unified tree's root) that a rootless engine of `user` makes its
/// containers' cgroups under, having moved there where it had to; or why it cannot, with the
/// command that fixes it. `parent` is what host-setup gave the user (`hoody-USER`).
pub(crate) fn settle(parent: &str, user: &str) -> Result<String, String> {
    let own = unified_cgroup("self").ok_or("cannot read this process's cgroup (/proc/self/cgroup)")?;
    if info::unified() && systemd_runs() {
        return delegated_scope(&own, user);
    }
    if let Some(why) = info::delegation_missing(parent) {
        return Err(why);
    }
    if own == parent || own.starts_with(&format!("{parent}/")) {
        return Ok(parent.to_owned());
    }
    Err(format!(
        "this engine runs in the unified cgroup /{own}, outside /{parent} (the one host-setup gave {user}), so its \
         containers cannot have cgroups of their own there and systemd inside them would stop at once: log in again \
         after `sudo hoodyd host-setup --user {user}` (it starts {user}'s login sessions there), or start the app \
         with `bash .ci/run-app`"
    ))
}

/// The unified-tree cgroup of `pid` (a number, or `self`), without its leading `/` (empty
/// for the root).
pub fn unified_cgroup(pid: &str) -> Option<String> {
    parse_unified(&std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?)
}

fn parse_unified(table: &str) -> Option<String> {
    table.lines().find_map(|l| l.strip_prefix("0::")).map(|p| p.trim().trim_start_matches('/').to_owned())
}

/// Whether systemd runs this host (as `sd_booted` tells it).
fn systemd_runs() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

fn dir(cgroup: &str) -> PathBuf {
    Path::new(CGROUP_ROOT).join(cgroup)
}

/// Whether systemd delegated `cgroup` (it marks such cgroups with `user.delegate`; the
/// `trusted.` one only root may read).
fn delegated(cgroup: &str) -> bool {
    let mut value = [0u8; 8];
    ["user.delegate", "trusted.delegate"]
        .into_iter()
        .any(|name| rustix::fs::getxattr(dir(cgroup), name, &mut value).is_ok_and(|n| value[..n].starts_with(b"1")))
}

/// A delegated cgroup of the user's manager with this process in its leaf `engine`: the one
/// it runs in (a user service with `Delegate=yes`), else a new scope.
fn delegated_scope(own: &str, user: &str) -> Result<String, String> {
    let home = match own.strip_suffix("/engine") {
        Some(home) if delegated(home) => return Ok(home.to_owned()),
        _ if delegated(own) => own.to_owned(),
        _ => ask_for_scope(user)?,
    };
    let leaf = dir(&home).join("engine");
    let moved = std::fs::create_dir_all(&leaf)
        .and_then(|()| std::fs::write(leaf.join("cgroup.procs"), std::process::id().to_string()));
    if let Err(e) = moved {
        return Err(format!("cannot move this engine into {}: {e}", leaf.display()));
    }
    let offered = std::fs::read_to_string(dir(&home).join("cgroup.controllers")).unwrap_or_default();
    let missing: Vec<&str> = CONTROLLERS.into_iter().filter(|c| !offered.split_whitespace().any(|o| o == *c)).collect();
    if missing.contains(&"memory") || missing.contains(&"pids") {
        return Err(format!(
            "the user's systemd delegates no {} controller to {}, so containers' limits cannot hold: run `sudo hoodyd \
             host-setup --user {user}` once, then log in again",
            missing.join(" or "),
            dir(&home).display()
        ));
    }
    let control = dir(&home).join("cgroup.subtree_control");
    for controller in CONTROLLERS.into_iter().filter(|c| !missing.contains(c)) {
        std::fs::write(&control, format!("+{controller}"))
            .map_err(|e| format!("cannot hand the {controller} controller down in {}: {e}", dir(&home).display()))?;
    }
    Ok(home)
}

/// Asks the user's systemd for a transient scope with `Delegate=yes` holding this process, and
/// waits until the process is in it; returns the scope's cgroup.
fn ask_for_scope(user: &str) -> Result<String, String> {
    let pid = std::process::id().to_string();
    let unit = format!("hoody-engine-{pid}-{}.scope", hoody_model::ids::random_hex(2));
    let mut busctl = Command::new("busctl");
    busctl.args(["--user", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1"]);
    busctl.args(["org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))", &unit, "fail", "4"]);
    busctl.args(["PIDs", "au", "1", &pid, "Delegate", "b", "true", "CollectMode", "s", "inactive-or-failed"]);
    busctl.args(["Description", "s", "Hoody Desktop: the engine and its containers", "0"]);
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        busctl.env("XDG_RUNTIME_DIR", format!("/run/user/{}", rustix::process::geteuid().as_raw()));
    }
    let out = busctl.output().map_err(|e| format!("cannot run busctl to ask the user's systemd for a cgroup: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the user's systemd gave this engine no delegated cgroup ({}): log in to a session of {user}'s own, or \
             run `sudo loginctl enable-linger {user}` so that its manager runs",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let deadline = Instant::now() + SCOPE_TIMEOUT;
    loop {
        match unified_cgroup("self") {
            Some(cgroup) if cgroup.ends_with(&format!("/{unit}")) => return Ok(cgroup),
            _ if Instant::now() > deadline => {
                return Err(format!(
                    "the user's systemd did not move this engine into {unit} within {SCOPE_TIMEOUT:?}"
                ));
            }
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_unified;

    #[test]
    fn the_unified_line_of_a_cgroup_table() {
        let hybrid = "9:name=systemd:/\n4:memory:/process_api/aa0e\n0::/\n";
        assert_eq!(parse_unified(hybrid).as_deref(), Some(""));
        let desktop = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/hoody-engine-7-ab.scope/engine\n";
        assert_eq!(
            parse_unified(desktop).as_deref(),
            Some("user.slice/user-1000.slice/user@1000.service/app.slice/hoody-engine-7-ab.scope/engine")
        );
        assert_eq!(parse_unified("4:memory:/x\n"), None);
    }
}
