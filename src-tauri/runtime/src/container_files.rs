//! File work on images and container layers, done as the containers' root (through
//! `hoody-enter userns`): what it unpacks or copies keeps the owners the container sees, and
//! it can read and remove files of any container user, which the engine's own user cannot.
//! Every call is blocking; call it off the async runtime.

use crate::enter::Enter;
use crate::error::{Result, RuntimeError};
use std::path::Path;
use std::process::Command;

#[derive(Debug, Clone)]
pub struct ContainerFiles {
    /// Why no file work can be done, when the helper or the id map is missing.
    enter: std::result::Result<Enter, String>,
}

impl ContainerFiles {
    pub fn new(enter: std::result::Result<Enter, String>) -> Self {
        Self { enter }
    }

    /// File work as this user's containers' root, or the reason it cannot be done.
    pub fn for_this_user() -> Self {
        Self::new(Enter::for_this_user(None))
    }

    pub fn enter(&self) -> Result<&Enter> {
        self.enter.as_ref().map_err(|why| RuntimeError::Unavailable(why.clone()))
    }

    fn command(&self, program: &str) -> Result<Command> {
        Ok(self.enter()?.as_container_root(program))
    }

    /// Unpacks a tarball (plain, gzip, xz, bzip2 or zstd) into `into`, owners and xattrs as
    /// recorded. The engine opens it (with its own rights: the namespace's root need not reach
    /// it) and hands it to tar on stdin. What an image has under /dev is left out: a user
    /// namespace cannot make device nodes, and a container's /dev is a tmpfs of runc's anyway.
    pub fn extract(&self, tarball: &Path, into: &Path) -> Result<()> {
        let unreadable = |e: std::io::Error| RuntimeError::Invalid(format!("cannot read {}: {e}", tarball.display()));
        let mut file = std::fs::File::open(tarball).map_err(unreadable)?;
        let mut magic = [0u8; 6];
        let got = std::io::Read::read(&mut file, &mut magic).map_err(unreadable)?;
        std::io::Seek::rewind(&mut file).map_err(unreadable)?;
        let mut tar = self.command("tar")?;
        for dev in ["./dev/*", "dev/*", "./rootfs/dev/*", "rootfs/dev/*"] {
            tar.arg(format!("--exclude={dev}"));
        }
        tar.args(compression(&magic[..got]));
        tar.args(["--numeric-owner", "--xattrs", "--xattrs-include=*", "--same-permissions", "-x", "-f", "-", "-C"])
            .arg(into)
            .stdin(file);
        run(&mut tar).map_err(|e| {
            RuntimeError::Invalid(format!("{} is not a rootfs tarball tar can read: {e}", tarball.display()))
        })
    }

    /// Writes the tree under `dir` into `to` as one tar: owners by number, modes, xattrs
    /// (overlayfs' own among them) and whiteouts (0:0 character devices) as they are.
    pub fn archive(&self, dir: &Path, to: std::fs::File) -> Result<()> {
        let mut tar = self.command("tar")?;
        tar.args(LAYER_TAR).args(["-c", "-f", "-", "-C"]).arg(dir).arg(".").stdout(to);
        run(&mut tar)
    }

    /// Unpacks a tar [`archive`](Self::archive) wrote into `into` (an empty directory), exactly.
    pub fn unpack(&self, from: std::fs::File, into: &Path) -> Result<()> {
        let mut tar = self.command("tar")?;
        tar.args(LAYER_TAR).args(["--same-permissions", "-x", "-f", "-", "-C"]).arg(into).stdin(from);
        run(&mut tar)
    }

    /// `cp -a`: keeps owners, modes, xattrs and overlayfs whiteouts.
    pub fn copy_tree(&self, from: &Path, to: &Path) -> Result<()> {
        run(self.command("cp")?.args(["-a", "--reflink=auto"]).arg(from).arg(to))
    }

    /// Removes `path` and everything under it; a missing path is fine.
    pub fn remove_tree(&self, path: &Path) -> Result<()> {
        self.remove_trees(&[path])
    }

    /// Removes each of `paths` as [`Self::remove_tree`] does, in one go (one helper at most).
    pub fn remove_trees(&self, paths: &[&Path]) -> Result<()> {
        let there: Vec<&Path> = paths.iter().copied().filter(|p| std::fs::symlink_metadata(p).is_ok()).collect();
        if there.is_empty() {
            return Ok(());
        }
        run(self.command("rm")?.arg("-rf").arg("--").args(there))
    }

    /// Makes `dirs` (and their parents) owned by container root, in one go.
    pub fn make_dirs(&self, dirs: &[&Path]) -> Result<()> {
        run(self.command("mkdir")?.arg("-p").arg("--").args(dirs))
    }

    /// Gives a cgroup to container root as a delegation does (see [`delegated_paths`]). A root
    /// engine owns every id already; a rootless one has `hoody-enter identity --give-cgroup`
    /// do it, in the namespace that writes the container's identity.
    pub fn give_cgroup_to_root(&self, dir: &Path) -> Result<()> {
        let map = self.enter()?.map();
        for path in delegated_paths(dir) {
            std::os::unix::fs::chown(&path, Some(map.uid_base), Some(map.gid_base))
                .map_err(|e| RuntimeError::io(format!("cannot give {} to the container", path.display()), e))?;
        }
        Ok(())
    }

    /// Moves `from` to `to` (within one file system).
    pub fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        run(self.command("mv")?.arg("-T").arg("--").arg(from).arg(to))
    }

    /// Bytes in the files under `dir` (apparent sizes, directories included), 0 when unreadable.
    pub fn size(&self, dir: &Path) -> u64 {
        let Ok(mut du) = self.command("du") else { return 0 };
        let Ok(out) = du.arg("-sb").arg("--").arg(dir).output() else { return 0 };
        String::from_utf8_lossy(&out.stdout).split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
    }
}

/// What a delegation gives of the cgroup `dir`: the directory and the files that move
/// processes and make children (those the kernel has there), never the limits set on it.
pub fn delegated_paths(dir: &Path) -> Vec<std::path::PathBuf> {
    let files = ["cgroup.procs", "cgroup.threads", "cgroup.subtree_control"].map(|f| dir.join(f));
    std::iter::once(dir.to_owned()).chain(files.into_iter().filter(|f| f.exists())).collect()
}

/// How a container's layer is written and read as a tar: nothing of it changed on the way.
const LAYER_TAR: &[&str] = &["--numeric-owner", "--xattrs", "--xattrs-include=*", "--sparse"];

/// tar's flag for the compression a file starting with `magic` has (tar cannot tell on stdin).
fn compression(magic: &[u8]) -> Option<&'static str> {
    match magic {
        [0x1f, 0x8b, ..] => Some("--gzip"),
        [0xfd, b'7', b'z', b'X', b'Z', 0] => Some("--xz"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some("--zstd"),
        [b'B', b'Z', b'h', ..] => Some("--bzip2"),
        _ => None,
    }
}

/// Runs a helper program (tar, cp) to completion; its stderr explains a failure.
pub fn run(cmd: &mut Command) -> Result<()> {
    let program = cmd.get_args().skip_while(|a| *a != "--").nth(1).unwrap_or(cmd.get_program());
    let program = program.to_string_lossy().into_owned();
    let out = cmd.output().map_err(|e| RuntimeError::io(format!("cannot run {program}"), e))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(RuntimeError::Failed(format!("{program} failed: {}", err.trim().lines().last().unwrap_or("no message"))))
    }
}
