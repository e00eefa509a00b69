//! Bringing a data directory made before containers had user namespaces over to its engine's
//! id map, once: its images', layers' and snapshots' files belonged to host ids 0–65535 (the
//! containers' own, unshifted), which a container whose root is the engine's range cannot use.
//! Each file is given to the same id in the range (a root engine can: it owns every id), its
//! set-user-ID and set-group-ID bits kept (a change of owner clears them), and overlayfs'
//! `trusted.overlay.*` attributes become the `user.overlay.*` ones the engine's overlays read
//! now. A file already in the range is left alone, so a shift cut off by a crash simply goes on
//! at the next start. `runtime/idmap` records the map the directory is in.

use crate::error::{Result, RuntimeError};
use crate::idmap::{IdMap, SIZE};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The record of the map a data directory's files are in.
fn record(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("idmap")
}

/// Shifts the files under `runtime_dir` (images, containers, snapshots) into `map`'s range when
/// the directory has none recorded; returns how many entries changed.
pub fn shift_once(runtime_dir: &Path, map: IdMap) -> Result<u64> {
    let wanted = format!("{} {}\n", map.uid_base, map.gid_base);
    match std::fs::read_to_string(record(runtime_dir)) {
        Ok(recorded) if recorded == wanted => return Ok(0),
        Ok(recorded) => {
            return Err(RuntimeError::Unavailable(format!(
                "{} holds containers of another id map ({}), not this engine's ({}): use another data directory",
                runtime_dir.display(),
                recorded.trim(),
                wanted.trim()
            )));
        }
        Err(_) => {}
    }
    let trees: Vec<PathBuf> = ["images", "containers", "snapshots"].iter().map(|t| runtime_dir.join(t)).collect();
    let mut changed = 0;
    if trees.iter().any(|t| holds_unshifted_layers(t)) {
        if map.rootless() {
            return Err(RuntimeError::Unavailable(format!(
                "{} was made by a root engine before containers had user namespaces; only root can bring it over (run hoodyd on it as root once)",
                runtime_dir.display()
            )));
        }
        for tree in &trees {
            changed += shift_tree(tree, map)?;
        }
    }
    std::fs::create_dir_all(runtime_dir).map_err(|e| RuntimeError::io("cannot create the runtime directory", e))?;
    std::fs::write(record(runtime_dir), wanted).map_err(|e| RuntimeError::io("cannot record the id map", e))?;
    Ok(changed)
}

/// Whether a layer or image root under `tree` still belongs to host ids below [`SIZE`] (what
/// the engine makes now belongs to its range from the start: a directory that only holds such
/// is just recorded).
fn holds_unshifted_layers(tree: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(tree) else { return false };
    entries.flatten().any(|entry| {
        ["rootfs", "upper"].iter().any(|layer| {
            std::fs::symlink_metadata(entry.path().join(layer))
                .is_ok_and(|m| m.is_dir() && m.uid() < SIZE && layer_of_files(&entry.path(), layer))
        })
    })
}

/// An image's `rootfs`, or a container's or snapshot's `upper` (a bundle's `rootfs` is only
/// the engine's empty mount point).
fn layer_of_files(dir: &Path, layer: &str) -> bool {
    layer == "upper" || dir.join("image.json").exists()
}

/// Every entry under `root` (symlinks not followed) with an id below [`SIZE`], moved into the
/// range. Bundles' own files (config.json, logs) belong to the engine and are left as they are:
/// only what is under a layer or an image's rootfs moves.
fn shift_tree(root: &Path, map: IdMap) -> Result<u64> {
    let mut changed = 0;
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
            if meta.is_dir() {
                stack.push(path.clone());
            }
            if in_a_layer(root, &path) && shift(&path, &meta, map)? {
                changed += 1;
            }
        }
    }
    Ok(changed)
}

/// Whether `path` is a container's file: under an image's `rootfs` or a layer (`upper`, `work`).
fn in_a_layer(root: &Path, path: &Path) -> bool {
    path.strip_prefix(root)
        .map(|rel| {
            rel.components().skip(1).any(|c| matches!(c.as_os_str().to_str(), Some("rootfs" | "upper" | "work")))
        })
        .unwrap_or(false)
}

fn shift(path: &Path, meta: &std::fs::Metadata, map: IdMap) -> Result<bool> {
    let (uid, gid) = (meta.uid(), meta.gid());
    if uid >= SIZE && gid >= SIZE {
        return Ok(false);
    }
    let new_uid = if uid < SIZE { map.uid_base + uid } else { uid };
    let new_gid = if gid < SIZE { map.gid_base + gid } else { gid };
    let io = |e| RuntimeError::io(format!("cannot give {} to the containers' range", path.display()), e);
    std::os::unix::fs::lchown(path, Some(new_uid), Some(new_gid)).map_err(io)?;
    let special = meta.mode() & 0o6000;
    if special != 0 && !meta.file_type().is_symlink() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(meta.mode() & 0o7777)).map_err(io)?;
    }
    user_overlay_attributes(path).map_err(io)?;
    Ok(true)
}

/// `trusted.overlay.X` → `user.overlay.X` (opaque directories, redirects, origins).
fn user_overlay_attributes(path: &Path) -> std::io::Result<()> {
    let mut names = vec![0u8; 4096];
    let len = match rustix::fs::llistxattr(path, &mut names) {
        Ok(len) => len,
        Err(rustix::io::Errno::NOTSUP | rustix::io::Errno::PERM) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for name in names[..len].split(|b| *b == 0).filter(|n| n.starts_with(b"trusted.overlay.")) {
        let name = std::str::from_utf8(name).map_err(std::io::Error::other)?;
        let mut value = vec![0u8; 4096];
        let got = rustix::fs::lgetxattr(path, name, &mut value)?;
        let user_name = name.replacen("trusted.", "user.", 1);
        rustix::fs::lsetxattr(path, user_name.as_str(), &value[..got], rustix::fs::XattrFlags::empty())?;
        rustix::fs::lremovexattr(path, name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_and_images_move_into_the_range_once() {
        if !rustix::process::geteuid().is_root() {
            return; // giving files away needs root, as the shift itself does
        }
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path();
        let layer = runtime.join("containers/c1/upper/usr/bin");
        std::fs::create_dir_all(&layer).unwrap();
        std::fs::write(layer.join("tool"), "x").unwrap();
        std::os::unix::fs::chown(layer.join("tool"), Some(0), Some(50)).unwrap();
        std::fs::set_permissions(layer.join("tool"), std::fs::Permissions::from_mode(0o4755)).unwrap();
        std::fs::write(runtime.join("containers/c1/config.json"), "{}").unwrap();
        let map = IdMap { engine_uid: 0, engine_gid: 0, uid_base: 1_000_000, gid_base: 2_000_000 };
        assert!(shift_once(runtime, map).unwrap() >= 3, "upper, usr, bin and tool");
        let tool = std::fs::symlink_metadata(layer.join("tool")).unwrap();
        assert_eq!((tool.uid(), tool.gid()), (1_000_000, 2_000_050));
        assert_eq!(tool.mode() & 0o7777, 0o4755, "set-user-ID kept");
        assert_eq!(std::fs::metadata(runtime.join("containers/c1/config.json")).unwrap().uid(), 0, "the engine's own");
        assert_eq!(shift_once(runtime, map).unwrap(), 0, "recorded: never again");
        let other = IdMap { uid_base: 3_000_000, ..map };
        assert!(shift_once(runtime, other).is_err(), "another map is refused, not mixed in");
    }
}
