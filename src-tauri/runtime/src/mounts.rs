//! The host-side mounts of a container: the /ramdisk tmpfs of a root engine. (Its root is an
//! overlay mounted in runc's namespace only; see [`crate::enter`].)

use crate::error::{Result, RuntimeError};
use rustix::mount::{MountFlags, UnmountFlags};
use std::ffi::CString;
use std::path::Path;

/// Whether `path` is a mount point, from /proc/self/mountinfo.
pub fn is_mount_point(path: &Path) -> bool {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let wanted = path.to_string_lossy();
    info.lines().filter_map(|l| l.split(' ').nth(4)).any(|m| unescape(m) == wanted)
}

/// Every mount point under `prefix` (for leak checks and cleanup).
pub fn mount_points_under(prefix: &Path) -> Vec<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let prefix = prefix.to_string_lossy();
    info.lines().filter_map(|l| l.split(' ').nth(4)).map(unescape).filter(|m| m.starts_with(&*prefix)).collect()
}

/// mountinfo writes space, tab, newline and backslash as octal escapes.
pub(crate) fn unescape(field: &str) -> String {
    let mut out = Vec::with_capacity(field.len());
    let bytes = field.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            let code = u8::from_str_radix(&field[i + 1..i + 4], 8).unwrap_or(b'?');
            out.push(code);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// overlayfs cannot take these characters in its layer paths.
pub fn check_overlay_path(path: &Path) -> Result<()> {
    let s = path.to_string_lossy();
    if s.contains([',', ':', '\\']) || !path.is_absolute() {
        return Err(RuntimeError::Unavailable(format!(
            "the data directory {s} must be an absolute path without ',', ':' or '\\' (overlayfs cannot use it)"
        )));
    }
    Ok(())
}

/// A tmpfs of `size_bytes` at `target`, its root directory owned by `uid`:`gid`.
pub fn mount_tmpfs(target: &Path, size_bytes: u64, uid: u32, gid: u32) -> Result<()> {
    if is_mount_point(target) {
        return Ok(());
    }
    let data =
        CString::new(format!("size={size_bytes},mode=0755,uid={uid},gid={gid}")).expect("no NUL in tmpfs options");
    rustix::mount::mount("hoody-ramdisk", target, "tmpfs", MountFlags::NOSUID | MountFlags::NODEV, data.as_c_str())
        .map_err(|e| RuntimeError::io(format!("cannot mount the ramdisk at {}", target.display()), e))
}

/// Unmounts `target` if it is mounted; a busy mount is detached (it goes once unused).
pub fn unmount(target: &Path) -> Result<()> {
    while is_mount_point(target) {
        match rustix::mount::unmount(target, UnmountFlags::empty()) {
            Ok(()) => {}
            Err(rustix::io::Errno::BUSY) => rustix::mount::unmount(target, UnmountFlags::DETACH)
                .map_err(|e| RuntimeError::io(format!("cannot unmount {}", target.display()), e))?,
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOENT) => break,
            Err(e) => return Err(RuntimeError::io(format!("cannot unmount {}", target.display()), e)),
        }
    }
    Ok(())
}

/// Whether the kernel has overlayfs: loaded, or a module it loads at the first mount (as a
/// desktop's kernel keeps it until something mounts one; host-setup loads it at each boot).
pub(crate) fn overlay_available() -> bool {
    let filesystems = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
    if filesystems.lines().any(|l| l.ends_with("\toverlay")) {
        return true;
    }
    let release = rustix::system::uname().release().to_string_lossy().into_owned();
    let modules = std::fs::read_to_string(format!("/lib/modules/{release}/modules.dep")).unwrap_or_default();
    modules.lines().any(|l| l.split(':').next().is_some_and(|m| m.contains("/overlayfs/overlay.ko")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape(r"/a\040b\011c"), "/a b\tc");
        assert_eq!(unescape("/plain"), "/plain");
    }

    #[test]
    fn overlay_paths() {
        assert!(check_overlay_path(Path::new("/var/lib/hoody")).is_ok());
        assert!(check_overlay_path(Path::new("/var/lib/a:b")).is_err());
        assert!(check_overlay_path(Path::new("relative")).is_err());
    }
}
