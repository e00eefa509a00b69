//! The data directory is the engine's alone. It holds the database (API tokens' hashes, gate
//! secrets, every container's settings), its backups and records, and the containers' layers,
//! where a container's root leaves set-user-ID programs of its id range: a host user who could
//! reach them would run them as that range, and write into every container of the engine.
//! So the directory is 0700 and the engine's own files in it 0600; a data directory made
//! before (or by hand) is repaired at every start, each change logged.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The engine's own subdirectories, made private all the way down (the containers' layers, in
/// `runtime/`, keep the modes their containers gave them: only the way to them is closed).
const OWN_TREES: [&str; 3] = ["backups", "records", "transfers"];

/// Makes `data_dir` private (see the module); returns what was changed, as "PATH: MODE → MODE".
pub fn make_private(data_dir: &Path) -> std::io::Result<Vec<String>> {
    let mut changed = Vec::new();
    restrict(data_dir, 0o700, &mut changed)?;
    for entry in std::fs::read_dir(data_dir)?.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        let name = entry.file_name();
        if kind.is_file() {
            restrict(&path, 0o600, &mut changed)?;
        } else if kind.is_dir() && OWN_TREES.iter().any(|own| name == *own) {
            restrict_tree(&path, &mut changed)?;
        } else if kind.is_dir() {
            restrict(&path, 0o700, &mut changed)?;
        }
    }
    Ok(changed)
}

/// Logs what [`make_private`] changed; a failure is logged too (the engine still starts: the
/// directory may be on a file system without modes, or not the engine user's).
pub fn repair(data_dir: &Path) {
    match make_private(data_dir) {
        Ok(changed) if changed.is_empty() => {}
        Ok(changed) => tracing::warn!(
            "the data directory was open to other users of this machine; made private: {}",
            changed.join(", ")
        ),
        Err(e) => tracing::warn!("cannot make the data directory {} private: {e}", data_dir.display()),
    }
}

fn restrict_tree(dir: &Path, changed: &mut Vec<String>) -> std::io::Result<()> {
    restrict(dir, 0o700, changed)?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => restrict_tree(&entry.path(), changed)?,
            Ok(kind) if kind.is_file() => restrict(&entry.path(), 0o600, changed)?,
            _ => {}
        }
    }
    Ok(())
}

/// Takes from `path` every permission bit beyond `widest` (an owner's bits it lacks stay off).
fn restrict(path: &Path, widest: u32, changed: &mut Vec<String>) -> std::io::Result<()> {
    let mode = std::fs::symlink_metadata(path)?.permissions().mode() & 0o7777;
    let wanted = mode & widest;
    if wanted != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))?;
        changed.push(format!("{}: {mode:o} → {wanted:o}", path.display()));
    }
    Ok(())
}

/// Makes `dir` and its missing parents, each readable by its owner alone.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates `path` (when missing) or replaces it with `bytes`, readable by its owner alone.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn an_open_data_directory_is_closed_and_its_layers_left_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        let set = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        for sub in ["backups", "records/containers/c1", "runtime/containers/c1/upper/opt"] {
            std::fs::create_dir_all(data.join(sub)).unwrap();
        }
        for file in ["hoody.db", "hoody.db-wal", "backups/hoody-1.db", "records/containers/c1/container.json"] {
            std::fs::write(data.join(file), b"x").unwrap();
            set(&data.join(file), 0o644);
        }
        let suid = data.join("runtime/containers/c1/upper/opt/suid");
        std::fs::write(&suid, b"x").unwrap();
        set(&suid, 0o4755);
        set(data, 0o755);

        let changed = make_private(data).unwrap();
        assert_eq!(mode(data), 0o700);
        assert_eq!(mode(&data.join("hoody.db-wal")), 0o600);
        assert_eq!(mode(&data.join("backups/hoody-1.db")), 0o600);
        assert_eq!(mode(&data.join("records/containers")), 0o700);
        assert_eq!(mode(&data.join("records/containers/c1/container.json")), 0o600);
        assert_eq!(mode(&data.join("runtime")), 0o700);
        assert_eq!(mode(&suid), 0o4755, "a container's own file keeps its mode");
        assert!(changed.iter().any(|c| c.ends_with("hoody.db: 644 → 600")), "{changed:?}");
        assert!(make_private(data).unwrap().is_empty(), "a private directory is left alone");
    }
}
