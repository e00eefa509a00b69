//! A minimal system-container image for tests and benchmarks: the host's static busybox
//! (Debian's `busybox-static`) as init and userland, with an rc script that starts a small web
//! server on port 8080 so there is a process and a listening port to see.

use crate::error::{Result, RuntimeError};
use crate::images::run;
use std::path::{Path, PathBuf};
use std::process::Command;

const BUSYBOX: &str = "/bin/busybox";

const INITTAB: &str = "::sysinit:/etc/init.d/rcS\n::shutdown:/bin/sync\n";
const RCS: &str =
    "#!/bin/sh\nmkdir -p /var/www\necho hello from $(hostname) > /var/www/index.html\nhttpd -p 8080 -h /var/www\n";

/// Writes `busybox.tar` into `dir` and returns its path.
pub fn busybox_tarball(dir: &Path) -> Result<PathBuf> {
    let meta = std::fs::metadata(BUSYBOX)
        .map_err(|_| RuntimeError::Unavailable(format!("{BUSYBOX} is missing (apt-get install busybox-static)")))?;
    if meta.len() < 500_000 {
        return Err(RuntimeError::Unavailable(format!(
            "{BUSYBOX} is not the static build (apt-get install busybox-static)"
        )));
    }
    let root = dir.join("busybox-rootfs");
    let io = |e| RuntimeError::io("making the busybox image", e);
    for d in ["bin", "sbin", "etc/init.d", "proc", "sys", "dev", "tmp", "run", "root", "var"] {
        std::fs::create_dir_all(root.join(d)).map_err(io)?;
    }
    std::fs::copy(BUSYBOX, root.join("bin/busybox")).map_err(io)?;
    run(Command::new(root.join("bin/busybox")).arg("--install").arg("-s").arg(root.join("bin")))?;
    // `--install -s` links to the host path it ran from; inside the container that is /bin/busybox.
    for entry in std::fs::read_dir(root.join("bin")).map_err(io)?.flatten() {
        if entry.file_name() != "busybox" {
            std::fs::remove_file(entry.path()).map_err(io)?;
            std::os::unix::fs::symlink("busybox", entry.path()).map_err(io)?;
        }
    }
    std::os::unix::fs::symlink("/bin/busybox", root.join("sbin/init")).map_err(io)?;
    std::fs::write(root.join("etc/inittab"), INITTAB).map_err(io)?;
    std::fs::write(root.join("etc/init.d/rcS"), RCS).map_err(io)?;
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").map_err(io)?;
    std::fs::write(root.join("etc/group"), "root:x:0:\n").map_err(io)?;
    run(Command::new("chmod").arg("755").arg(root.join("etc/init.d/rcS")))?;
    let tarball = dir.join("busybox.tar");
    run(Command::new("tar").arg("--numeric-owner").arg("-C").arg(&root).arg("-cf").arg(&tarball).arg("."))?;
    std::fs::remove_dir_all(&root).map_err(io)?;
    Ok(tarball)
}

/// Takes away from a container what a host reboot would (for tests that simulate one, after
/// killing its init): its root and ramdisk mounts and its empty cgroups.
pub fn unmount_after_reboot(runtime: &crate::LocalRuntime, id: &hoody_model::ContainerId) {
    let slot = runtime.slot(id);
    let _ = crate::mounts::unmount(&runtime.layout().slot(&slot).join("rootfs"));
    let _ = crate::mounts::unmount(&runtime.layout().ramdisk(&slot));
    crate::info::remove_leftover_cgroups(&slot);
}
