//! The data directory's disk: the room it has, a reserve kept for the engine's own records, and
//! the refusal (507) of work that would not fit.
//!
//! Containers write into the data directory (their layers are there), so the disk can fill
//! whatever the engine checks. A reserve file (`.reserve`, 5% of the disk, at most 32 MiB) holds
//! the room that stopping, deleting and recording need: on a full disk the engine gives it back
//! so that those still work (and so that it starts at all), and puts it back once there is room.

use crate::{EngineError, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

const RESERVE_FILE: &str = ".reserve";
const RESERVE_MAX: u64 = 32 << 20;
const WHAT_TO_DO: &str = "Delete containers, snapshots or images (or other files on that disk) and try again";

/// What a failure's text says when a write found the disk full (ENOSPC, EDQUOT): tools run by
/// the runtime (tar, cp, runc, mmdebstrap) say it in words.
pub(crate) fn says_disk_full(text: &str) -> bool {
    ["No space left on device", "os error 28", "Disk quota exceeded", "os error 122", "database or disk is full"]
        .iter()
        .any(|sign| text.contains(sign))
}

#[derive(Debug)]
pub(crate) struct Space {
    dir: PathBuf,
}

/// Free and total bytes of a disk, as its unprivileged users see them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Room {
    pub free: u64,
    pub total: u64,
}

impl Space {
    pub(crate) fn new(dir: &Path) -> Self {
        Self { dir: dir.to_owned() }
    }

    pub(crate) fn room(&self) -> Option<Room> {
        let st = rustix::fs::statvfs(&self.dir).ok()?;
        Some(Room { free: st.f_bavail.saturating_mul(st.f_frsize), total: st.f_blocks.saturating_mul(st.f_frsize) })
    }

    /// The reserve's size on this disk.
    fn reserve(&self, room: Room) -> u64 {
        (room.total / 20).min(RESERVE_MAX)
    }

    fn reserve_file(&self) -> PathBuf {
        self.dir.join(RESERVE_FILE)
    }

    /// Refuses work that needs about `needed` bytes (0 when it cannot tell: a record, a small
    /// layer) unless the disk has that and the reserve's worth more; nothing has been changed.
    pub(crate) fn check(&self, work: &str, needed: u64) -> Result<()> {
        let Some(room) = self.room() else { return Ok(()) };
        let wanted = needed.saturating_add(self.reserve(room));
        if room.free >= wanted {
            self.replenish();
            return Ok(());
        }
        Err(EngineError::rule(
            hoody_model::ErrorCode::InsufficientStorage,
            format!(
                "{work} needs about {} on the data directory {}, which has {} free of {}: {} more is needed. {WHAT_TO_DO}",
                bytes(wanted),
                self.dir.display(),
                bytes(room.free),
                bytes(room.total),
                bytes(wanted - room.free),
            ),
        ))
    }

    /// Before work that frees space (stopping, deleting): on a nearly full disk the reserve is
    /// given back, so that the work's own records fit.
    pub(crate) fn make_room(&self) {
        if let Some(room) = self.room()
            && room.free < self.reserve(room)
        {
            self.release();
        }
    }

    /// Gives the reserve's room back; whether there was one.
    pub(crate) fn release(&self) -> bool {
        let released = std::fs::remove_file(self.reserve_file()).is_ok();
        if released {
            tracing::warn!("the data directory {} is nearly full: its reserve is given back", self.dir.display());
        }
        released
    }

    /// Puts the reserve in place when it is missing and the disk has room for it and as much
    /// again (so that it never takes the last room there is).
    pub(crate) fn replenish(&self) {
        let Some(room) = self.room() else { return };
        let size = self.reserve(room);
        let path = self.reserve_file();
        if std::fs::metadata(&path).is_ok_and(|m| m.len() >= size) || room.free < size.saturating_mul(2) {
            return;
        }
        let partial = self.dir.join(format!("{RESERVE_FILE}.partial"));
        let mut options = std::fs::OpenOptions::new();
        std::os::unix::fs::OpenOptionsExt::mode(options.write(true).create(true).truncate(true), 0o600);
        let written = options.open(&partial).and_then(|mut file| {
            // Written, not merely sized: a sparse file would hold no room at all.
            let chunk = vec![0u8; 1 << 20];
            let mut left = size;
            while left > 0 {
                let n = left.min(chunk.len() as u64) as usize;
                file.write_all(&chunk[..n])?;
                left -= n as u64;
            }
            file.sync_all()
        });
        match written.and_then(|()| std::fs::rename(&partial, &path)) {
            Ok(()) => tracing::debug!("reserve of {} in {}", bytes(size), self.dir.display()),
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                tracing::debug!("no reserve in {}: {e}", self.dir.display());
            }
        }
    }

    /// `error` told for people when it is a full disk (see [`Self::explain`]), else as it is.
    pub(crate) fn explain_error(&self, error: EngineError) -> EngineError {
        match error {
            EngineError::NoSpace(detail) => EngineError::NoSpace(self.explain(&detail)),
            other => other,
        }
    }

    /// A write that found the disk full (`detail`, as the tool or the database said it, which
    /// goes to the log) told for people: where, how much room there is now, what to do. The
    /// message of a 507.
    pub(crate) fn explain(&self, detail: &str) -> String {
        tracing::warn!("the data directory {} ran out of room: {detail}", self.dir.display());
        let Some(room) = self.room() else {
            return format!(
                "The disk filled up while this was being written (nothing of it is kept): the data directory {} is full. {WHAT_TO_DO}",
                self.dir.display()
            );
        };
        let wanted = self.reserve(room).saturating_mul(2);
        let short = if room.free < wanted {
            format!(", at least {} more is needed", bytes(wanted - room.free))
        } else {
            ", which was not enough for it".to_owned()
        };
        format!(
            "The disk filled up while this was being written (nothing of it is kept): the data directory {} has {} free of {}{short}. {WHAT_TO_DO}",
            self.dir.display(),
            bytes(room.free),
            bytes(room.total),
        )
    }
}

/// Bytes as people read them: 1.5 GiB, 300 MiB, 12 KiB.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(300 << 20), "300 MiB");
    }

    #[test]
    fn tools_saying_the_disk_is_full_are_understood() {
        assert!(says_disk_full("tar: ./usr/bin/x: Cannot write: No space left on device"));
        assert!(says_disk_full("cannot write the image record: Disk quota exceeded (os error 122)"));
        assert!(!says_disk_full("runc failed: container not found"));
    }

    #[test]
    fn the_reserve_is_made_given_back_and_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let space = Space::new(dir.path());
        space.replenish();
        let room = space.room().unwrap();
        let reserve = std::fs::metadata(dir.path().join(RESERVE_FILE)).unwrap().len();
        assert_eq!(reserve, space.reserve(room));
        assert!(space.release() && !space.release(), "given back once");
        space.replenish();
        assert!(dir.path().join(RESERVE_FILE).exists());
        assert!(!dir.path().join(".reserve.partial").exists());
    }
}
