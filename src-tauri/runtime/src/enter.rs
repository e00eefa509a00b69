//! The runtime's handle on `hoody-enter` (the `src-tauri/enter` crate): the commands through
//! which the engine reaches into user namespaces. Two namespaces are made fresh per call:
//!
//! - **as the containers' root**: container ids 0–65535 are the engine's range, and the
//!   engine's own user is id 65536, so that image and layer files get the owners the
//!   container will see, while directories of the engine's stay reachable.
//! - **runc's**: the engine's user is root and the range is mapped to itself, so runc (which
//!   needs to be root where it runs) gives each container a user namespace of its own that
//!   maps 0–65535 onto the host range — which is what the container sees in its uid_map.

use crate::idmap::{IdMap, SIZE};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the helper is looked for, after `$HOODY_ENTER`: beside the running program (an
/// installed app, `target/*/hoodyd`), one level up (a test binary in `target/*/deps`), on PATH.
pub fn find_helper() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("HOODY_ENTER") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let beside = exe.parent().map(|dir| dir.join("hoody-enter"));
    let above = exe.parent().and_then(Path::parent).map(|dir| dir.join("hoody-enter"));
    let found = beside.into_iter().chain(above).find(|p| p.is_file()).or_else(|| on_path("hoody-enter"))?;
    Some(off_fuse(found))
}

/// Whether `path` lies on a FUSE filesystem. One mounted by a user (as the AppImage's runtime
/// mounts its image) lets no other user in, root and the containers' ids included.
pub fn on_fuse(path: &Path) -> bool {
    const FUSE_SUPER_MAGIC: u64 = 0x6573_5546;
    rustix::fs::statfs(path).is_ok_and(|fs| fs.f_type as u64 == FUSE_SUPER_MAGIC)
}

/// The helper where the containers' ids can run it. It runs itself again inside its namespaces,
/// as those ids, which a FUSE mount of the user's refuses ("Permission denied"): a helper there
/// is copied to `hoody-helpers/` in the user's runtime directory (else in `~/.cache`), named by
/// its content (engines of two builds side by side each keep their own), and run from the copy.
fn off_fuse(helper: PathBuf) -> PathBuf {
    if !on_fuse(&helper) {
        return helper;
    }
    match copy_out_of_fuse(&helper) {
        Ok(copy) => copy,
        Err(e) => {
            tracing::warn!("cannot copy {} off its FUSE mount, where containers cannot run it: {e}", helper.display());
            helper
        }
    }
}

fn copy_out_of_fuse(helper: &Path) -> std::io::Result<PathBuf> {
    use sha2::Digest;
    use std::os::unix::fs::PermissionsExt;
    let bytes = std::fs::read(helper)?;
    let digest = format!("{:x}", sha2::Sha256::digest(&bytes));
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && d.is_dir())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .ok_or_else(|| std::io::Error::other("neither XDG_RUNTIME_DIR nor HOME is set"))?;
    let dir = base.join("hoody-helpers"); // (beside the engine's run directory, `hoody`, not in it)
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let copy = dir.join(format!("hoody-enter-{}", &digest[..16]));
    if std::fs::read(&copy).is_ok_and(|there| there == bytes) {
        return Ok(copy);
    }
    let staged = copy.with_extension("new");
    std::fs::write(&staged, &bytes)?;
    std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&staged, &copy)?;
    Ok(copy)
}

/// That the helper at `binary` speaks this engine's [`PROTOCOL`] (`hoody-enter protocol`).
fn check_protocol(binary: &Path) -> Result<(), String> {
    let out = Command::new(binary)
        .arg("protocol")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let spoken = String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().ok().filter(|_| out.status.success());
    match spoken {
        Some(PROTOCOL) => Ok(()),
        other => Err(format!(
            "{} is from another build than this engine (it speaks protocol {}, the engine {PROTOCOL}): install both \
             from one build (cargo build -p hoody-enter, or the same package)",
            binary.display(),
            other.map_or_else(|| "1 or older".to_owned(), |n| n.to_string()),
        )),
    }
}

/// `program` in a directory of PATH, or in the usual system ones.
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// What the engine and `hoody-enter` agree on, raised with any change one side depends on (the
/// order in which `join` enters a container's namespaces, a flag's meaning): an engine and a
/// helper of different builds would otherwise fail inside containers in ways that name
/// neither. 2: a container's own user namespace nests in runc's (see `crate::init_shim`).
/// 3: `userns --own-after`, `identity --make-dir --give-cgroup` (an older helper would take
/// the flags and ignore them). 4: `seccomp`, the containers' filter, which their init loads
/// (runc no longer does).
pub const PROTOCOL: u32 = 4;

/// `hoody-enter` with the engine's id map.
#[derive(Debug, Clone)]
pub struct Enter {
    binary: PathBuf,
    map: IdMap,
}

/// Whose eyes a namespace sees files with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The containers' root (container ids as they are inside; the engine's user as 65536).
    ContainerRoot,
    /// runc's: the engine's user is root; the containers' host range is mapped to itself.
    Runc,
}

/// What a namespace does before it runs its program.
#[derive(Debug, Clone, Default)]
pub struct Setup<'a> {
    /// Directories the namespace's root takes first.
    pub own: Vec<&'a Path>,
    pub overlay: Option<Overlay<'a>>,
    /// Binds into the overlay's root, once it is mounted.
    pub binds: Vec<Bind>,
    /// Shows the bundle at `MOUNTPOINT/bundle` and runs the program there (see hoody-enter).
    pub bundle: Option<(&'a Path, &'a Path)>,
    /// The program is killed when the engine's thread that runs it dies (file work a blocked
    /// thread waits for: never a process that must outlive the call).
    pub die_with_parent: bool,
    /// A path the namespace's root takes once the program succeeded (see hoody-enter).
    pub own_after: Option<&'a Path>,
}

/// A directory of the host bound into the overlay's root (at `at`, a path inside it) after the
/// overlay is mounted. Bound here, in runc's namespace, before the container's own namespace
/// exists, a read-only bind reaches the container locked: its root cannot remount it writable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub source: PathBuf,
    pub at: String,
    pub read_only: bool,
}

/// An overlay the namespace mounts for the program (its mount is gone with the namespace).
#[derive(Debug, Clone)]
pub struct Overlay<'a> {
    pub lower: &'a Path,
    pub upper: &'a Path,
    pub work: &'a Path,
    pub target: &'a Path,
}

impl Enter {
    pub fn new(binary: PathBuf, map: IdMap) -> Self {
        Self { binary, map }
    }

    /// The helper (`configured`, else found) with the id map of the user running this
    /// process, or why there is none.
    pub fn for_this_user(configured: Option<PathBuf>) -> Result<Self, String> {
        let binary = configured.or_else(find_helper).ok_or_else(|| {
            "hoody-enter is not installed beside this program or on PATH (cargo build -p hoody-enter)".to_owned()
        })?;
        check_protocol(&binary)?;
        Ok(Self::new(binary, IdMap::of_this_user()?))
    }

    pub fn map(&self) -> IdMap {
        self.map
    }

    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Runs `program` as the containers' root: what it creates belongs to container root,
    /// and it may read, change and remove any container file.
    pub fn as_container_root(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        self.userns(View::ContainerRoot, &Setup { die_with_parent: true, ..Setup::default() }, program)
    }

    /// Runs `program` in a fresh namespace of the given view, set up first as `setup` says.
    pub fn userns(&self, view: View, setup: &Setup<'_>, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let m = self.map;
        let (uids, gids) = match view {
            View::ContainerRoot => {
                ([(0, m.uid_base, SIZE), (SIZE, m.engine_uid, 1)], [(0, m.gid_base, SIZE), (SIZE, m.engine_gid, 1)])
            }
            View::Runc => (
                [(0, m.engine_uid, 1), (m.uid_base, m.uid_base, SIZE)],
                [(0, m.engine_gid, 1), (m.gid_base, m.gid_base, SIZE)],
            ),
        };
        let mut command = Command::new(&self.binary);
        command.arg("userns");
        for (flag, lines) in [("--uid-map", uids), ("--gid-map", gids)] {
            for (inside, outside, count) in lines {
                command.arg(flag).arg(format!("{inside}:{outside}:{count}"));
            }
        }
        for dir in &setup.own {
            command.arg("--own").arg(dir);
        }
        if let Some(o) = &setup.overlay {
            command.arg("--overlay-lower").arg(o.lower).arg("--overlay-upper").arg(o.upper);
            command.arg("--overlay-work").arg(o.work).arg("--overlay-target").arg(o.target);
        }
        for bind in &setup.binds {
            let flag = if bind.read_only { "--bind-ro" } else { "--bind-rw" };
            command.arg(flag).arg(&bind.source).arg(format!("{flag}-at")).arg(&bind.at);
        }
        if setup.die_with_parent {
            command.arg("--die-with-parent").arg(std::process::id().to_string());
        }
        if let Some((bundle, mountpoint)) = setup.bundle {
            command.arg("--bundle").arg(bundle).arg("--bundle-mountpoint").arg(mountpoint);
        }
        if let Some(path) = setup.own_after {
            command.arg("--own-after").arg(path);
        }
        command.arg("--").arg(program);
        command
    }

    /// The container's network helper: `program` run as the container's root, in its cgroups
    /// and its user namespace only, from the network namespace at `egress` (else the engine's).
    pub fn network_helper(&self, init_pid: u32, egress: Option<&std::path::Path>) -> Command {
        let mut command = self.join(init_pid);
        command.arg("--network-helper");
        if let Some(netns) = egress {
            command.arg("--netns").arg(netns);
        }
        command.arg("--");
        command
    }

    /// The containers' seccomp filter as the helper was built with it (`hoody-enter seccomp`):
    /// raw BPF for their init to load (see `crate::init_shim`).
    pub fn container_filter(&self) -> Result<Vec<u8>, String> {
        let out = Command::new(&self.binary)
            .arg("seccomp")
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
        if !out.status.success() || out.stdout.is_empty() {
            let said = String::from_utf8_lossy(&out.stderr);
            return Err(format!(
                "{} did not give the containers' seccomp filter: {}",
                self.binary.display(),
                said.trim()
            ));
        }
        Ok(out.stdout)
    }

    /// A process that joins the running container whose init is `init_pid` (its cgroups,
    /// namespaces, capabilities and seccomp filter) and runs what follows `--`.
    pub fn join(&self, init_pid: u32) -> Command {
        let mut command = Command::new(&self.binary);
        command.arg("join").arg("--pid").arg(init_pid.to_string());
        command
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in helper: a script that answers `protocol` with `said` (pure logic; the real
    /// helper is checked by every engine the end-to-end tests start).
    fn helper(dir: &std::path::Path, said: &str) -> std::path::PathBuf {
        static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = dir.join(format!("hoody-enter-{}", MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        std::fs::write(&path, format!("#!/bin/sh\n{said}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn a_helper_of_another_build_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(super::check_protocol(&helper(dir.path(), &format!("echo {}", super::PROTOCOL))), Ok(()));
        let older = super::check_protocol(&helper(dir.path(), "echo 'usage: hoody-enter userns|join' >&2; exit 125"));
        let older = older.unwrap_err();
        assert!(older.contains("another build") && older.contains("protocol 1 or older"), "{older}");
        let newer = super::check_protocol(&helper(dir.path(), &format!("echo {}", super::PROTOCOL + 1))).unwrap_err();
        assert!(newer.contains(&format!("protocol {}", super::PROTOCOL + 1)), "{newer}");
    }
}
