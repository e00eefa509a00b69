//! Where the runtime keeps things. Persistent state (images, container layers, snapshots) lives
//! in the data directory; what must not survive a host reboot (runc's state, ramdisks) lives
//! under /run, in a directory private to this data directory.

use hoody_model::{ContainerId, SnapshotId};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Layout {
    data: PathBuf,
    run: PathBuf,
}

impl Layout {
    /// `data_dir` must be absolute: runc and overlayfs are given paths under it.
    pub fn new(data_dir: &Path, run_base: &Path) -> Self {
        let digest = Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
        Self { data: data_dir.join("runtime"), run: run_base.join(&hex::encode(digest)[..16]) }
    }

    /// `DATA/runtime`: everything of the runtime's that persists.
    pub fn root(&self) -> &Path {
        &self.data
    }

    /// Makes `dir` (a directory of the runtime's) and what is missing above it, the runtime's
    /// root open to its owner alone: below it lie the containers' set-user-ID programs (the
    /// engine keeps it 0700; made by the CLI's image commands before the engine's first start,
    /// it was 0755 and that start had to repair it).
    pub fn create_dir(&self, dir: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.data)?;
        std::fs::create_dir_all(dir)
    }

    pub fn images(&self) -> PathBuf {
        self.data.join("images")
    }

    pub fn image(&self, fingerprint: &str) -> PathBuf {
        self.images().join(fingerprint)
    }

    /// Half-finished imports, removed at start.
    pub fn staging(&self) -> PathBuf {
        self.data.join("staging")
    }

    pub fn containers(&self) -> PathBuf {
        self.data.join("containers")
    }

    /// The container's OCI bundle: config.json, the mounted `rootfs`, its `upper` and `work`
    /// layers, `instance.json`, and the console log. For a container claimed from the prespawn
    /// pool this is a symlink to the pool slot it took over.
    pub fn container(&self, id: &ContainerId) -> PathBuf {
        self.containers().join(id.as_str())
    }

    /// The bundle of a slot: a container id, or a prespawn pool member (`pool-…`).
    pub fn slot(&self, slot: &str) -> PathBuf {
        self.containers().join(slot)
    }

    /// The storage shares' directories (each the files of one share).
    pub fn share(&self, id: &hoody_model::Id) -> PathBuf {
        self.data.join("shares").join(id.as_str())
    }

    pub fn snapshots(&self) -> PathBuf {
        self.data.join("snapshots")
    }

    pub fn snapshot(&self, id: &SnapshotId) -> PathBuf {
        self.snapshots().join(id.as_str())
    }

    /// This data directory's state under /run (runc's root and the ramdisks).
    pub fn run_dir(&self) -> &Path {
        &self.run
    }

    /// Where runc hands a starting container's console to its keeper (a unix socket's path:
    /// short, so under the run directory).
    pub fn console_socket(&self, slot: &str) -> PathBuf {
        self.run.join("consoles").join(format!("{slot}.sock"))
    }

    pub fn runc_root(&self) -> PathBuf {
        self.run.join("runc")
    }

    pub fn ramdisk(&self, slot: &str) -> PathBuf {
        self.run.join("ramdisk").join(slot)
    }

    /// Records the boot the runtime last ran in, to tell a host reboot from an engine restart.
    pub fn boot_marker(&self) -> PathBuf {
        self.data.join("boot_id")
    }
}

/// The files of one container's bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub dir: PathBuf,
}

impl Bundle {
    pub fn rootfs(&self) -> PathBuf {
        self.dir.join("rootfs")
    }
    pub fn upper(&self) -> PathBuf {
        self.dir.join("upper")
    }
    pub fn work(&self) -> PathBuf {
        self.dir.join("work")
    }
    pub fn config(&self) -> PathBuf {
        self.dir.join("config.json")
    }
    pub fn instance(&self) -> PathBuf {
        self.dir.join("instance.json")
    }
    pub fn console_log(&self) -> PathBuf {
        self.dir.join("console.log")
    }
    /// The host pid of the container's init, as runc writes it at each start.
    pub fn init_pid(&self) -> PathBuf {
        self.dir.join("init.pid")
    }

    /// The pid of the process that keeps the console (see `crate::console`).
    pub fn console_pid(&self) -> PathBuf {
        self.dir.join("console.pid")
    }

    pub fn runc_log(&self) -> PathBuf {
        self.dir.join("runc.log")
    }
    /// The pid of the container's network helper while it runs.
    pub fn network_pid(&self) -> PathBuf {
        self.dir.join("network.pid")
    }
    /// The container's firewall (an nftables script), set at each start.
    pub fn firewall(&self) -> PathBuf {
        self.dir.join("firewall.nft")
    }
    /// The shares the container mounts at each start (JSON).
    pub fn shares(&self) -> PathBuf {
        self.dir.join("shares.json")
    }
}
