//! The container's first program, `init/hoody-init.c` (its comment says what it does and
//! why): runc starts it as the container's PID 1, bound read-only at [`IN_CONTAINER`] from the
//! bundle's copy; it locks the mounts runc made, narrows the capabilities again, loads the
//! container's seccomp filter (bound at [`FILTER_IN_CONTAINER`]), refuses nested user
//! namespaces unless the container allows them, and becomes the image's init.

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// The static executable, built by `build.rs`.
const PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hoody-init"));

/// Where the container's init finds it (a tmpfs runc makes; it removes itself from there).
pub const IN_CONTAINER: &str = "/dev/.hoody-init";

/// Its name in a bundle (the bind mount's source, relative to the bundle).
pub const IN_BUNDLE: &str = "hoody-init";

/// Where it finds the container's seccomp filter (raw BPF, as `hoody-enter seccomp` writes it),
/// and the filter's name in a bundle; it removes it from there too.
pub const FILTER_IN_CONTAINER: &str = "/dev/.hoody-seccomp";
pub const FILTER_IN_BUNDLE: &str = "seccomp.bpf";

/// The init's command line: this program (told whether the container allows nested user
/// namespaces), then the image's init.
pub fn command(nesting: bool) -> Vec<String> {
    let caps = format!("{:x}", crate::confine::capability_mask());
    let mut args = vec![IN_CONTAINER.to_owned(), "--caps".to_owned(), caps];
    args.extend(["--seccomp".to_owned(), FILTER_IN_CONTAINER.to_owned()]);
    if nesting {
        args.push("--nesting".to_owned());
    }
    args.extend(["--".to_owned(), "/sbin/init".to_owned()]);
    args
}

/// Writes the program and the container's seccomp `filter` into `dir` (once per engine start),
/// each unless it is there already.
pub fn install(dir: &Path, filter: &[u8]) -> io::Result<()> {
    install_file(&dir.join(IN_BUNDLE), PROGRAM, 0o755)?;
    install_file(&dir.join(FILTER_IN_BUNDLE), filter, 0o644)
}

/// Writes `content` at `path` (mode `mode`) unless it is there already, as a new file renamed
/// into place: a container starting meanwhile keeps the one it has.
fn install_file(path: &Path, content: &[u8], mode: u32) -> io::Result<()> {
    if std::fs::read(path).is_ok_and(|there| there == content) {
        return Ok(());
    }
    let staged = path.with_extension("new");
    std::fs::write(&staged, content)?;
    std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(mode))?;
    std::fs::rename(&staged, path)
}

/// Puts the program and the filter installed in `dir` into `bundle`.
pub fn place(dir: &Path, bundle: &Path) -> io::Result<()> {
    place_file(&dir.join(IN_BUNDLE), &bundle.join(IN_BUNDLE))?;
    place_file(&dir.join(FILTER_IN_BUNDLE), &bundle.join(FILTER_IN_BUNDLE))
}

/// Puts `installed` at `target`: a hard link (one copy on disk and in memory for every
/// container), or a copy where linking is refused.
fn place_file(installed: &Path, target: &Path) -> io::Result<()> {
    let same = |a: &std::fs::Metadata, b: &std::fs::Metadata| a.ino() == b.ino() && a.dev() == b.dev();
    if let (Ok(a), Ok(b)) = (std::fs::metadata(installed), std::fs::metadata(target))
        && same(&a, &b)
    {
        return Ok(());
    }
    let _ = std::fs::remove_file(target);
    match std::fs::hard_link(installed, target) {
        Ok(()) => Ok(()),
        Err(_) => std::fs::copy(installed, target).map(drop),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_ends_with_the_images_init_and_carries_the_capabilities() {
        let args = super::command(false);
        assert_eq!(args[0], super::IN_CONTAINER);
        assert_eq!(args[2], format!("{:x}", crate::confine::capability_mask()));
        assert_eq!(args[3..5], ["--seccomp", super::FILTER_IN_CONTAINER]);
        assert_eq!(&args[args.len() - 2..], ["--", "/sbin/init"]);
        assert!(!args.contains(&"--nesting".to_owned()));
        assert!(super::command(true).contains(&"--nesting".to_owned()));
    }

    #[test]
    fn install_and_place_share_one_file_each() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let filter = [1u8; 16];
        super::install(dir.path(), &filter).unwrap();
        super::install(dir.path(), &filter).unwrap();
        let bundle = dir.path().join("bundle");
        std::fs::create_dir(&bundle).unwrap();
        super::place(dir.path(), &bundle).unwrap();
        super::place(dir.path(), &bundle).unwrap();
        for (name, mode) in [(super::IN_BUNDLE, 0o755), (super::FILTER_IN_BUNDLE, 0o644)] {
            let (a, b) =
                (std::fs::metadata(dir.path().join(name)).unwrap(), std::fs::metadata(bundle.join(name)).unwrap());
            assert_eq!((a.ino(), a.mode() & 0o777), (b.ino(), mode), "{name}");
        }
        assert_eq!(std::fs::read(dir.path().join(super::IN_BUNDLE)).unwrap()[..4], *b"\x7fELF");
        assert_eq!(std::fs::read(bundle.join(super::FILTER_IN_BUNDLE)).unwrap(), filter);
    }
}
