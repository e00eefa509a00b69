//! The container's first program, `init/hoody-init.c` (its comment says what it does and
//! why): runc starts it as the container's PID 1, bound read-only at [`IN_CONTAINER`] from the
//! bundle's copy; it locks the mounts runc made, narrows the capabilities again, refuses
//! nested user namespaces unless the container allows them, and becomes the image's init.

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// The static executable, built by `build.rs`.
const PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hoody-init"));

/// Where the container's init finds it (a tmpfs runc makes; it removes itself from there).
pub const IN_CONTAINER: &str = "/dev/.hoody-init";

/// Its name in a bundle (the bind mount's source, relative to the bundle).
pub const IN_BUNDLE: &str = "hoody-init";

/// The init's command line: this program (told whether the container allows nested user
/// namespaces), then the image's init.
pub fn command(nesting: bool) -> Vec<String> {
    let caps = format!("{:x}", crate::confine::capability_mask());
    let mut args = vec![IN_CONTAINER.to_owned(), "--caps".to_owned(), caps];
    if nesting {
        args.push("--nesting".to_owned());
    }
    args.extend(["--".to_owned(), "/sbin/init".to_owned()]);
    args
}

/// Writes the program at `path` (mode 0755) unless it is there already, as a new file renamed
/// into place: a container starting meanwhile keeps the one it has.
pub fn install(path: &Path) -> io::Result<()> {
    if std::fs::read(path).is_ok_and(|there| there == PROGRAM) {
        return Ok(());
    }
    let staged = path.with_extension("new");
    std::fs::write(&staged, PROGRAM)?;
    std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&staged, path)
}

/// Puts the installed program at `bundle/hoody-init`: a hard link (one copy on disk and in
/// memory for every container), or a copy where linking is refused.
pub fn place(installed: &Path, bundle: &Path) -> io::Result<()> {
    let target = bundle.join(IN_BUNDLE);
    let same = |a: &std::fs::Metadata, b: &std::fs::Metadata| a.ino() == b.ino() && a.dev() == b.dev();
    if let (Ok(a), Ok(b)) = (std::fs::metadata(installed), std::fs::metadata(&target))
        && same(&a, &b)
    {
        return Ok(());
    }
    let _ = std::fs::remove_file(&target);
    match std::fs::hard_link(installed, &target) {
        Ok(()) => Ok(()),
        Err(_) => std::fs::copy(installed, &target).map(drop),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_ends_with_the_images_init_and_carries_the_capabilities() {
        let args = super::command(false);
        assert_eq!(args[0], super::IN_CONTAINER);
        assert_eq!(args[2], format!("{:x}", crate::confine::capability_mask()));
        assert_eq!(&args[args.len() - 2..], ["--", "/sbin/init"]);
        assert!(!args.contains(&"--nesting".to_owned()));
        assert!(super::command(true).contains(&"--nesting".to_owned()));
    }

    #[test]
    fn install_and_place_share_one_file() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let installed = dir.path().join("hoody-init");
        super::install(&installed).unwrap();
        super::install(&installed).unwrap();
        let bundle = dir.path().join("bundle");
        std::fs::create_dir(&bundle).unwrap();
        super::place(&installed, &bundle).unwrap();
        super::place(&installed, &bundle).unwrap();
        let (a, b) = (std::fs::metadata(&installed).unwrap(), std::fs::metadata(bundle.join("hoody-init")).unwrap());
        assert_eq!((a.ino(), a.mode() & 0o777), (b.ino(), 0o755));
        assert_eq!(std::fs::read(&installed).unwrap()[..4], *b"\x7fELF");
    }
}
