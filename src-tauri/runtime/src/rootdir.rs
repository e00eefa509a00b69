//! File access inside a container's root filesystem that cannot escape it: every path is
//! resolved by the kernel as if the rootfs were `/` (openat2 with RESOLVE_IN_ROOT), so a
//! symlink the container planted (`/etc/hostname -> /etc/shadow`) points back into the
//! container, never at the host.

use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags, ResolveFlags};
use std::io::{self, Read, Write};
use std::path::Path;

#[derive(Debug)]
pub struct RootDir {
    root: OwnedFd,
}

const RESOLVE: ResolveFlags = ResolveFlags::IN_ROOT.union(ResolveFlags::NO_MAGICLINKS);

impl RootDir {
    pub fn open(path: &Path) -> io::Result<Self> {
        let root = rustix::fs::open(path, OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        Ok(Self { root })
    }

    fn open_at(&self, rel: &str, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
        // "" and "/" name the root itself.
        let rel = match rel.trim_start_matches('/') {
            "" => ".",
            rel => rel,
        };
        Ok(rustix::fs::openat2(&self.root, rel, flags | OFlags::CLOEXEC, mode, RESOLVE)?)
    }

    /// The parent directory of `rel` (created if missing) and the last component.
    fn parent<'a>(&self, rel: &'a str) -> io::Result<(OwnedFd, &'a str)> {
        let rel = rel.trim_start_matches('/');
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        self.mkdir_all(dir)?;
        Ok((
            self.open_at(if dir.is_empty() { "." } else { dir }, OFlags::DIRECTORY | OFlags::PATH, Mode::empty())?,
            name,
        ))
    }

    pub fn mkdir_all(&self, rel: &str) -> io::Result<()> {
        let mut at = String::new();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            let parent =
                self.open_at(if at.is_empty() { "." } else { &at }, OFlags::DIRECTORY | OFlags::PATH, Mode::empty())?;
            match rustix::fs::mkdirat(&parent, part, Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
            at = if at.is_empty() { part.to_owned() } else { format!("{at}/{part}") };
        }
        Ok(())
    }

    pub fn read(&self, rel: &str) -> io::Result<Option<String>> {
        match self.open_at(rel, OFlags::RDONLY, Mode::empty()) {
            Ok(fd) => {
                let mut text = String::new();
                std::fs::File::from(fd).read_to_string(&mut text)?;
                Ok(Some(text))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the file's contents (creating it and its directories).
    pub fn write(&self, rel: &str, contents: &str) -> io::Result<()> {
        let (parent, name) = self.parent(rel)?;
        // The last component must not be a symlink: O_NOFOLLOW refuses one instead of following.
        let fd = rustix::fs::openat(
            &parent,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )?;
        std::fs::File::from(fd).write_all(contents.as_bytes())
    }

    pub fn remove(&self, rel: &str) -> io::Result<()> {
        let (parent, name) = self.parent(rel)?;
        match rustix::fs::unlinkat(&parent, name, rustix::fs::AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes `rel` a symlink to `target`, replacing a file or link already there.
    pub fn symlink(&self, target: &str, rel: &str) -> io::Result<()> {
        self.remove(rel)?;
        let (parent, name) = self.parent(rel)?;
        Ok(rustix::fs::symlinkat(target, &parent, name)?)
    }

    /// Where the symlink `rel` points, or None when it is not a symlink.
    pub fn read_link(&self, rel: &str) -> io::Result<Option<String>> {
        let rel = rel.trim_start_matches('/');
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let parent =
            match self.open_at(if dir.is_empty() { "." } else { dir }, OFlags::DIRECTORY | OFlags::PATH, Mode::empty())
            {
                Ok(fd) => fd,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
        match rustix::fs::readlinkat(&parent, name, Vec::new()) {
            Ok(target) => Ok(Some(target.to_string_lossy().into_owned())),
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.open_at(rel, OFlags::PATH, Mode::empty()).is_ok()
    }

    /// What `rel` is (symlinks followed inside the root).
    pub fn stat(&self, rel: &str) -> io::Result<Entry> {
        let fd = self.open_at(rel, OFlags::PATH, Mode::empty())?;
        let name = rel.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_owned();
        Ok(Entry::from_stat(name, &rustix::fs::fstat(&fd)?))
    }

    /// Opens a regular file for reading.
    pub fn open_file(&self, rel: &str) -> io::Result<std::fs::File> {
        let file = std::fs::File::from(self.open_at(rel, OFlags::RDONLY, Mode::empty())?);
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        Ok(file)
    }

    /// The entries of a directory (symlinks not followed), sorted by name.
    pub fn list(&self, rel: &str) -> io::Result<Vec<Entry>> {
        let fd = self.open_at(rel, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())?;
        let mut dir = rustix::fs::Dir::read_from(&fd)?;
        let mut entries = Vec::new();
        while let Some(entry) = dir.read() {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_bytes() == b"." || name.to_bytes() == b".." {
                continue;
            }
            let stat = rustix::fs::statat(&fd, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
            entries.push(Entry::from_stat(name.to_string_lossy().into_owned(), &stat));
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Writes `bytes` to the file (created if missing; its directory must exist), replacing
    /// its contents or appending. A symlink as the last component is refused.
    /// `permissions` (like 0o755) are applied when given.
    ///
    /// A write that fails (a full disk) leaves nothing behind: a replacement is written beside
    /// the file under a temporary name and renamed over it (keeping its owner and mode), and an
    /// append is cut back to the file's length before it.
    pub fn put(&self, rel: &str, bytes: &[u8], append: bool, permissions: Option<u32>) -> io::Result<()> {
        use rustix::fs::{AtFlags, FileType};
        let (parent, name) = self.existing_parent(rel)?;
        let existing = match rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Some(stat),
            Err(rustix::io::Errno::NOENT) => None,
            Err(e) => return Err(e.into()),
        };
        match existing.map(|st| FileType::from_raw_mode(st.st_mode)) {
            Some(FileType::Symlink) => return Err(io::Error::from_raw_os_error(40)), // ELOOP, as O_NOFOLLOW says it
            Some(FileType::Directory) => return Err(io::Error::from(io::ErrorKind::IsADirectory)),
            _ => {}
        }
        if append && existing.is_some() {
            let fd = rustix::fs::openat(
                &parent,
                name,
                OFlags::WRONLY | OFlags::APPEND | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            let before = rustix::fs::fstat(&fd)?.st_size as u64;
            if let Some(bits) = permissions {
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(bits & 0o7777))?;
            }
            let mut file = std::fs::File::from(fd);
            return file.write_all(bytes).inspect_err(|_| {
                let _ = file.set_len(before);
            });
        }
        let temp = format!(".{name}.{}.partial", hoody_model::ids::random_hex(4));
        let fd = rustix::fs::openat(
            &parent,
            temp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )?;
        let written = (|| {
            if let Some(old) = &existing {
                // The file it replaces keeps its owner and mode.
                rustix::fs::fchown(
                    &fd,
                    Some(rustix::fs::Uid::from_raw(old.st_uid)),
                    Some(rustix::fs::Gid::from_raw(old.st_gid)),
                )?;
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(old.st_mode & 0o7777))?;
            }
            if let Some(bits) = permissions {
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(bits & 0o7777))?;
            }
            let mut file = std::fs::File::from(fd);
            file.write_all(bytes)?;
            rustix::fs::renameat(&parent, temp.as_str(), &parent, name)?;
            Ok::<(), io::Error>(())
        })();
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&parent, temp.as_str(), AtFlags::empty());
        }
        written
    }

    /// Makes one directory (its parent must exist).
    /// Writes `bytes` into the existing file `rel` at `offset` (at most its length: no holes),
    /// or at its end when `offset` is None. A write that fails puts back what it overwrote.
    pub fn write_at(&self, rel: &str, offset: Option<u64>, bytes: &[u8]) -> io::Result<u64> {
        use std::os::unix::fs::FileExt;
        let (parent, name) = self.existing_parent(rel)?;
        let fd = rustix::fs::openat(&parent, name, OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())?;
        let stat = rustix::fs::fstat(&fd)?;
        if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::RegularFile {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("/{rel} is not a regular file")));
        }
        let size = stat.st_size as u64;
        let at = offset.unwrap_or(size);
        if at > size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("offset {at} is past the end of /{rel} ({size} bytes)"),
            ));
        }
        let file = std::fs::File::from(fd);
        let overwritten = (size - at).min(bytes.len() as u64) as usize;
        let mut before = vec![0u8; overwritten];
        file.read_exact_at(&mut before, at)?;
        file.write_all_at(bytes, at).inspect_err(|_| {
            let _ = file.write_all_at(&before, at);
            let _ = file.set_len(size.max(at + overwritten as u64));
        })?;
        Ok(at)
    }

    pub fn mkdir(&self, rel: &str) -> io::Result<()> {
        let (parent, name) = self.existing_parent(rel)?;
        Ok(rustix::fs::mkdirat(&parent, name, Mode::from_raw_mode(0o755))?)
    }

    /// Removes a file, a symlink or an empty directory.
    pub fn remove_entry(&self, rel: &str) -> io::Result<()> {
        let (parent, name) = self.existing_parent(rel)?;
        let stat = rustix::fs::statat(&parent, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
        let flags = if rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Directory {
            rustix::fs::AtFlags::REMOVEDIR
        } else {
            rustix::fs::AtFlags::empty()
        };
        Ok(rustix::fs::unlinkat(&parent, name, flags)?)
    }

    /// Removes a file, a symlink, or a directory with everything in it. Nothing is followed:
    /// a symlink inside is removed, never the place it points at.
    pub fn remove_tree(&self, rel: &str) -> io::Result<()> {
        let (parent, name) = self.existing_parent(rel)?;
        remove_at(&parent, std::ffi::CString::new(name)?.as_c_str())
    }

    /// Where `rel` leads once every symlink on the way is resolved inside the root (as the
    /// kernel resolves it for every other call here), as an absolute path from the root. It is
    /// worked out link by link: the helper inside a container has no /proc of its own to ask.
    pub fn realpath(&self, rel: &str) -> io::Result<String> {
        let mut resolved: Vec<String> = Vec::new();
        let mut ahead: std::collections::VecDeque<String> =
            rel.split('/').filter(|p| !p.is_empty()).map(str::to_owned).collect();
        let mut links = 0;
        while let Some(part) = ahead.pop_front() {
            match part.as_str() {
                "." => continue,
                // Above the root is the root, as RESOLVE_IN_ROOT has it.
                ".." => drop(resolved.pop()),
                _ => match self.read_link(&format!("{}/{part}", resolved.join("/")))? {
                    Some(target) => {
                        links += 1;
                        if links > 40 {
                            return Err(io::Error::from_raw_os_error(40)); // ELOOP
                        }
                        if target.starts_with('/') {
                            resolved.clear();
                        }
                        target.split('/').filter(|p| !p.is_empty()).rev().for_each(|p| ahead.push_front(p.to_owned()));
                    }
                    None => resolved.push(part),
                },
            }
        }
        let path = resolved.join("/");
        self.stat(&path)?; // it must be there
        Ok(format!("/{path}"))
    }

    /// Sets the permission bits of what `rel` leads to.
    pub fn chmod(&self, rel: &str, permissions: u32) -> io::Result<()> {
        // Opened for reading (never blocking on a FIFO): fchmod needs a real descriptor, and
        // the helper inside a container has no /proc to reach one opened as O_PATH.
        let fd = self.open_at(rel, OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY, Mode::empty())?;
        Ok(rustix::fs::fchmod(&fd, Mode::from_raw_mode(permissions))?)
    }

    /// Gives the entry at `rel` (a link's target) the owner `uid` and group `gid` (None: unchanged).
    pub fn chown(&self, rel: &str, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
        let fd = self.open_at(rel, OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY, Mode::empty())?;
        let (uid, gid) = (uid.map(rustix::fs::Uid::from_raw), gid.map(rustix::fs::Gid::from_raw));
        Ok(rustix::fs::fchown(&fd, uid, gid)?)
    }

    /// Moves `from` to `to` (its directory made when missing); an existing `to` is refused.
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (from_dir, from_name) = self.existing_parent(from)?;
        let (to_dir, to_name) = self.parent(to.trim_end_matches('/'))?;
        if to_name.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "the root itself cannot be replaced"));
        }
        Ok(rustix::fs::renameat_with(&from_dir, from_name, &to_dir, to_name, rustix::fs::RenameFlags::NOREPLACE)?)
    }

    /// The parent directory of `rel` (which must exist) and the last component.
    fn existing_parent<'a>(&self, rel: &'a str) -> io::Result<(OwnedFd, &'a str)> {
        let rel = rel.trim_matches('/');
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        if name.is_empty() || name == "." || name == ".." {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "the root itself cannot be changed"));
        }
        let parent =
            self.open_at(if dir.is_empty() { "." } else { dir }, OFlags::DIRECTORY | OFlags::PATH, Mode::empty())?;
        Ok((parent, name))
    }
}

/// Removes `name` in `dir`, a directory with its contents (depth first, nothing followed).
fn remove_at(dir: &OwnedFd, name: &std::ffi::CStr) -> io::Result<()> {
    use rustix::fs::{AtFlags, FileType};
    let stat = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::Directory {
        return Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?);
    }
    let child = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut names = Vec::new();
    let mut entries = rustix::fs::Dir::read_from(&child)?;
    while let Some(entry) = entries.read() {
        let entry = entry?;
        if !matches!(entry.file_name().to_bytes(), b"." | b"..") {
            names.push(entry.file_name().to_owned());
        }
    }
    for entry in names {
        remove_at(&child, &entry)?;
    }
    Ok(rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
}

/// One directory entry or file, as the files service lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub name: String,
    /// file, dir, symlink or other
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub size: u64,
    /// Permission bits, as octal text (`"644"`).
    pub mode: String,
    /// Seconds since the epoch.
    pub modified: i64,
}

impl Entry {
    fn from_stat(name: String, stat: &rustix::fs::Stat) -> Self {
        use rustix::fs::FileType;
        let kind = match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => "file",
            FileType::Directory => "dir",
            FileType::Symlink => "symlink",
            _ => "other",
        };
        Self {
            name,
            kind,
            size: stat.st_size as u64,
            mode: format!("{:o}", stat.st_mode & 0o7777),
            modified: stat.st_mtime,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RootDir;

    #[test]
    fn writes_stay_inside_the_root_even_through_planted_symlinks() {
        let host = tempfile::tempdir().unwrap();
        let secret = host.path().join("secret");
        std::fs::write(&secret, "host data").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("etc")).unwrap();
        // An absolute link to a host path, and a relative one climbing out.
        std::os::unix::fs::symlink(&secret, root.path().join("etc/hostname")).unwrap();
        std::os::unix::fs::symlink("../../../../../../..", root.path().join("up")).unwrap();
        let dir = RootDir::open(root.path()).unwrap();

        assert!(dir.write("etc/hostname", "web").is_err(), "a symlink as the last component is refused");
        let climbed = format!("up{}", secret.display());
        let _ = dir.write(&climbed, "pwned");
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), "host data");

        dir.write("etc/environment", "A=1\n").unwrap();
        assert_eq!(dir.read("etc/environment").unwrap().as_deref(), Some("A=1\n"));
        dir.symlink("/dev/null", "etc/systemd/system/console-getty.service").unwrap();
        assert_eq!(dir.read_link("etc/systemd/system/console-getty.service").unwrap().as_deref(), Some("/dev/null"));
        assert_eq!(dir.read_link("etc/environment").unwrap(), None);
    }

    #[test]
    fn trees_are_removed_without_following_links_and_real_paths_stay_inside() {
        let host = tempfile::tempdir().unwrap();
        std::fs::write(host.path().join("keep"), "host data").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("tree/deep/er")).unwrap();
        std::fs::write(root.path().join("tree/deep/er/file"), "x").unwrap();
        std::os::unix::fs::symlink(host.path(), root.path().join("tree/link")).unwrap();
        std::os::unix::fs::symlink("/tree/deep", root.path().join("shortcut")).unwrap();
        let dir = RootDir::open(root.path()).unwrap();

        assert_eq!(dir.realpath("shortcut/er/file").unwrap(), "/tree/deep/er/file");
        assert_eq!(dir.realpath("").unwrap(), "/");
        dir.remove_tree("tree").unwrap();
        assert!(!root.path().join("tree").exists());
        assert_eq!(std::fs::read_to_string(host.path().join("keep")).unwrap(), "host data");
        assert_eq!(dir.remove_tree("tree").unwrap_err().kind(), std::io::ErrorKind::NotFound);
        assert!(dir.remove_tree("").is_err(), "the root itself stays");
    }
}
