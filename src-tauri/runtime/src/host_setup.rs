//! `hoodyd host-setup --user NAME`: what an engine run by an ordinary user needs from root,
//! once. Run as root; idempotent; says what it changes.
//!
//! - the packages the runtime runs (runc, uidmap's newuidmap and newgidmap, slirp4netns,
//!   libseccomp);
//! - a subordinate range of 65536 uids and gids for the user (`/etc/subuid`, `/etc/subgid`),
//!   which its containers' ids map to;
//! - a runtime directory (`/run/user/UID`) where no login manager makes one;
//! - on a host without systemd (such as a cgroup v1 hybrid), what systemd's user session
//!   delegates on a desktop: a cgroup of the user's own (`hoody-NAME`) in every hierarchy, for
//!   the containers' limits, freezer and accounting, and a PAM session hook that starts the
//!   user's logins in it in the unified tree, where the engine must already be for its
//!   containers' systemd to own cgroups (see [`crate::placement`]). Cgroups live in memory: on
//!   such a host, run it again after each boot. With systemd, the user's own manager gives
//!   the engine a delegated cgroup on request: nothing is made.

use crate::error::{Result, RuntimeError};
use crate::idmap::SIZE;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Debian packages the runtime needs.
const PACKAGES: [&str; 4] = ["runc", "uidmap", "slirp4netns", "libseccomp2"];

/// Whether dpkg has `package` installed.
fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
}

/// The user a setup is for.
#[derive(Debug, Clone)]
struct User {
    name: String,
    uid: u32,
    gid: u32,
}

/// Sets the host up for `user`; returns a line per change made (none when all was in place).
pub fn host_setup(user: &str) -> Result<Vec<String>> {
    if !rustix::process::geteuid().is_root() {
        return Err(RuntimeError::Invalid(format!(
            "host-setup changes the system: run it as root (sudo hoodyd host-setup --user {user})"
        )));
    }
    let user = find_user(user)?;
    let mut changes = Vec::new();
    install_packages(&mut changes)?;
    for file in ["/etc/subuid", "/etc/subgid"] {
        subordinate_range(Path::new(file), &user, &mut changes)?;
    }
    overlay_module(&mut changes)?;
    if !Path::new("/run/systemd/system").is_dir() {
        // (With systemd, logind makes it at the user's first login.)
        runtime_dir(&user, &mut changes)?;
        delegate_cgroups(&user, &mut changes)?;
        session_hook(&mut changes)?;
    }
    Ok(changes)
}

fn find_user(name: &str) -> Result<User> {
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| RuntimeError::io("cannot read /etc/passwd", e))?;
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&name) && fields.len() > 3)
                .then(|| {
                    Some(User { name: name.to_owned(), uid: fields[2].parse().ok()?, gid: fields[3].parse().ok()? })
                })
                .flatten()
        })
        .filter(|u| u.uid != 0)
        .ok_or_else(|| {
            RuntimeError::Invalid(format!("{name} is not an ordinary user of this machine (see /etc/passwd)"))
        })
}

fn install_packages(changes: &mut Vec<String>) -> Result<()> {
    let missing: Vec<&str> = PACKAGES.into_iter().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let update = Command::new("apt-get").args(["update", "-qq"]).status();
    let install = Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    match (update, install) {
        (Ok(_), Ok(status)) if status.success() => {
            changes.push(format!("installed {}", missing.join(" ")));
            Ok(())
        }
        _ => Err(RuntimeError::Failed(format!(
            "cannot install {} with apt-get; install them and run this again",
            missing.join(" ")
        ))),
    }
}

/// Gives the user a range of [`SIZE`] ids in `file` (after every range there) unless it has one.
fn subordinate_range(file: &Path, user: &User, changes: &mut Vec<String>) -> Result<()> {
    let table = std::fs::read_to_string(file).unwrap_or_default();
    let ranges: Vec<(String, u64, u64)> = table
        .lines()
        .filter_map(|line| {
            let mut f = line.trim().split(':');
            Some((f.next()?.to_owned(), f.next()?.parse().ok()?, f.next()?.parse().ok()?))
        })
        .collect();
    let owns = |owner: &str| owner == user.name || owner == user.uid.to_string();
    if ranges.iter().any(|(owner, _, count)| owns(owner) && *count >= u64::from(SIZE)) {
        return Ok(());
    }
    let start = ranges.iter().map(|(_, start, count)| start + count).max().unwrap_or(0).max(100_000);
    let line = format!("{}:{start}:{SIZE}\n", user.name);
    let mut text = table;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&line);
    std::fs::write(file, text).map_err(|e| RuntimeError::io(format!("cannot write {}", file.display()), e))?;
    changes.push(format!("{}: gave {} ids {start}-{} ", file.display(), user.name, start + u64::from(SIZE) - 1));
    Ok(())
}

/// overlayfs, which every container's root is: loaded now and at every boot (a desktop's
/// kernel has it as a module that nothing else may have loaded yet).
fn overlay_module(changes: &mut Vec<String>) -> Result<()> {
    const LOAD: &str = "/etc/modules-load.d/hoody.conf";
    let loaded = |text: &str| text.lines().any(|l| l.ends_with("\toverlay"));
    if !loaded(&std::fs::read_to_string("/proc/filesystems").unwrap_or_default()) {
        let status = Command::new("modprobe").arg("overlay").status();
        if !status.is_ok_and(|s| s.success()) {
            return Err(RuntimeError::Failed(
                "cannot load overlayfs (modprobe overlay), which containers' roots are".into(),
            ));
        }
        changes.push("loaded overlayfs (modprobe overlay)".into());
    }
    if Path::new("/etc/modules-load.d").is_dir() && std::fs::read_to_string(LOAD).is_err() {
        std::fs::write(LOAD, "# Hoody Desktop: containers' roots are overlayfs\noverlay\n")
            .map_err(|e| RuntimeError::io(format!("cannot write {LOAD}"), e))?;
        changes.push(format!("{LOAD}: overlayfs loaded at every boot"));
    }
    Ok(())
}

/// /run/user/UID, as a login manager makes it (the engine keeps runc's state and the
/// ramdisks there).
fn runtime_dir(user: &User, changes: &mut Vec<String>) -> Result<()> {
    let dir = PathBuf::from(format!("/run/user/{}", user.uid));
    if dir.is_dir() {
        return Ok(());
    }
    let io = |e| RuntimeError::io(format!("cannot make {}", dir.display()), e);
    std::fs::create_dir_all(&dir).map_err(io)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    chown(&dir, user)?;
    changes.push(format!("made {} for {}", dir.display(), user.name));
    Ok(())
}

/// `hoody-NAME` in every cgroup hierarchy, the user's: it makes its containers' cgroups there.
fn delegate_cgroups(user: &User, changes: &mut Vec<String>) -> Result<()> {
    let parent = format!("hoody-{}", user.name);
    let root = Path::new("/sys/fs/cgroup");
    let hierarchies: Vec<PathBuf> = if root.join("cgroup.controllers").exists() {
        enable_controllers(root)?;
        vec![root.to_owned()]
    } else {
        std::fs::read_dir(root)
            .map_err(|e| RuntimeError::io("cannot read /sys/fs/cgroup", e))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("cgroup.procs").exists())
            .collect()
    };
    for hierarchy in hierarchies {
        let dir = hierarchy.join(&parent);
        if !dir.is_dir() {
            std::fs::create_dir(&dir).map_err(|e| RuntimeError::io(format!("cannot make {}", dir.display()), e))?;
            changes.push(format!("made cgroup {} for {}", dir.display(), user.name));
        }
        // A cpuset without cpus and mems takes no process.
        for file in ["cpuset.cpus", "cpuset.mems"] {
            if std::fs::read_to_string(dir.join(file)).is_ok_and(|v| v.trim().is_empty()) {
                let value = std::fs::read_to_string(hierarchy.join(file)).unwrap_or_default();
                let _ = std::fs::write(dir.join(file), value.trim());
            }
        }
        let owned = std::fs::metadata(&dir).is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == user.uid);
        if !owned {
            chown(&dir, user)?;
            for entry in std::fs::read_dir(&dir).map_err(|e| RuntimeError::io("cannot read a cgroup", e))?.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_file()) {
                    chown(&entry.path(), user)?;
                }
            }
            changes.push(format!("gave {} to {}", dir.display(), user.name));
        }
    }
    Ok(())
}

/// The program the PAM session hook runs (as root, for every login of every user): it starts a
/// session of a user host-setup set up in that user's cgroup of the unified tree.
const SESSION_HOOK: &str = "/usr/local/lib/hoody/place-session";
const SESSION_HOOK_SCRIPT: &str = r#"#!/bin/sh
# Installed by `hoodyd host-setup` on a host without systemd. Starts each login session of a
# user host-setup set up in that user's own cgroup of the unified tree (hoody-USER), where the
# user's container engine can give its containers cgroups of their own. Never fails a login.
[ "$PAM_TYPE" = open_session ] || exit 0
for root in /sys/fs/cgroup/unified /sys/fs/cgroup; do
  dir="$root/hoody-$PAM_USER"
  if [ -f "$dir/cgroup.procs" ] && [ "$(stat -c %U "$dir")" = "$PAM_USER" ]; then
    echo "$PPID" > "$dir/cgroup.procs" 2>/dev/null
    break
  fi
done
exit 0
"#;
/// The hook's profile for Debian's `pam-auth-update` (sessions, interactive or not).
const PAM_PROFILE: &str = "/usr/share/pam-configs/hoody-session";
const PAM_PROFILE_TEXT: &str = "Name: Hoody Desktop: logins start in the user's own cgroup (hosts without systemd)
Default: yes
Priority: 0
Session-Type: Additional
Session-Interactive-Only: no
Session:
	optional	pam_exec.so quiet /usr/local/lib/hoody/place-session
";

/// Installs the PAM session hook (a root-owned script and its pam-auth-update profile) unless
/// it is in place.
fn session_hook(changes: &mut Vec<String>) -> Result<()> {
    let current = |path: &str, text: &str| std::fs::read_to_string(path).is_ok_and(|t| t == text);
    let enabled = std::fs::read_to_string("/etc/pam.d/common-session").is_ok_and(|t| t.contains(SESSION_HOOK));
    if current(SESSION_HOOK, SESSION_HOOK_SCRIPT) && current(PAM_PROFILE, PAM_PROFILE_TEXT) && enabled {
        return Ok(());
    }
    let io = |what: &str, e: std::io::Error| RuntimeError::io(format!("cannot write {what}"), e);
    std::fs::create_dir_all(Path::new(SESSION_HOOK).parent().expect("a directory")).map_err(|e| io(SESSION_HOOK, e))?;
    std::fs::write(SESSION_HOOK, SESSION_HOOK_SCRIPT).map_err(|e| io(SESSION_HOOK, e))?;
    std::fs::set_permissions(SESSION_HOOK, std::fs::Permissions::from_mode(0o755)).map_err(|e| io(SESSION_HOOK, e))?;
    std::fs::create_dir_all("/usr/share/pam-configs").map_err(|e| io(PAM_PROFILE, e))?;
    std::fs::write(PAM_PROFILE, PAM_PROFILE_TEXT).map_err(|e| io(PAM_PROFILE, e))?;
    let out = Command::new("pam-auth-update")
        .args(["--enable", "hoody-session"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .map_err(|e| RuntimeError::io("cannot run pam-auth-update", e))?;
    if !out.status.success() {
        return Err(RuntimeError::Failed(format!(
            "pam-auth-update could not enable the session hook: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    changes.push(format!("installed {SESSION_HOOK}, a PAM session hook that starts logins in the user's own cgroup"));
    Ok(())
}

/// On a cgroup2 host: the controllers containers are limited by, enabled for the children of
/// the root.
fn enable_controllers(root: &Path) -> Result<()> {
    let control = root.join("cgroup.subtree_control");
    let enabled = std::fs::read_to_string(&control).unwrap_or_default();
    for controller in ["memory", "pids", "cpu"] {
        if !enabled.split_whitespace().any(|c| c == controller) {
            let _ = std::fs::write(&control, format!("+{controller}"));
        }
    }
    Ok(())
}

fn chown(path: &Path, user: &User) -> Result<()> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
        .map_err(|e| RuntimeError::io(format!("cannot give {} to {}", path.display(), user.name), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_after_every_other_one_and_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("subuid");
        std::fs::write(&file, "alice:100000:65536\nbob:165536:65536").unwrap();
        let carol = User { name: "carol".into(), uid: 1003, gid: 1003 };
        let mut changes = Vec::new();
        subordinate_range(&file, &carol, &mut changes).unwrap();
        subordinate_range(&file, &carol, &mut changes).unwrap();
        assert_eq!(changes.len(), 1, "the second run changes nothing");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.ends_with("bob:165536:65536\ncarol:231072:65536\n"), "{text}");
        let alice = User { name: "alice".into(), uid: 1001, gid: 1001 };
        subordinate_range(&file, &alice, &mut changes).unwrap();
        assert_eq!(changes.len(), 1, "alice has hers");
    }
}
