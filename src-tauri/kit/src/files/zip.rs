//! ZIP archives in the files service, inside the container: `GET /{directory}?zip` answers the
//! directory as a ZIP (deflated; links and special files are left out, not followed), `GET
//! /{archive}?preview` lists a ZIP's entries and `?view_file=NAME` answers one entry's bytes.
//! Plain ZIP (no ZIP64): archives up to [`MAX_TOTAL`] of content and [`MAX_ENTRIES`] entries.

use hoody_runtime::rootdir::RootDir;
use std::io::{self, Read, Write};

/// The most content one archive holds, made or read (uncompressed).
pub(super) const MAX_TOTAL: u64 = 256 << 20;
pub(super) const MAX_ENTRIES: usize = 10_000;

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;

fn too_big(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::FileTooLarge, what.to_string())
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_string())
}

/// MS-DOS time and date of a Unix time (UTC), as ZIP keeps them.
fn dos_time(unix: i64) -> (u16, u16) {
    let t = chrono::DateTime::from_timestamp(unix.max(315_532_800), 0).unwrap_or_default();
    use chrono::{Datelike, Timelike};
    let time = ((t.hour() << 11) | (t.minute() << 5) | (t.second() / 2)) as u16;
    let date = ((((t.year() - 1980).clamp(0, 127) as u32) << 9) | (t.month() << 5) | t.day()) as u16;
    (time, date)
}

/// The files under `dir` (relative to the root), as a ZIP whose names are relative to `dir`:
/// the tree as the files service walks it for `glob/` (links not followed), ignoring nothing.
pub(super) fn directory(root: &RootDir, dir: &str) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let (mut count, mut total) = (0usize, 0u64);
    let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
    let mut failed = None;
    let limits = super::search::Limits::everything(usize::MAX, 120);
    let walked = super::search::walk(root, dir, &limits, &mut |rel, entry| {
        if entry.kind != "file" {
            return true; // directories are walked into; links and special files not stored
        }
        count += 1;
        total += entry.size;
        if count > MAX_ENTRIES || total > MAX_TOTAL {
            failed = Some(too_big(format!(
                "/{dir} holds more than a ZIP here may ({MAX_ENTRIES} files, {} MiB)",
                MAX_TOTAL >> 20
            )));
            return false;
        }
        let mut bytes = Vec::new();
        let mode = u32::from_str_radix(&entry.mode, 8).unwrap_or(0o644);
        let name = rel.strip_prefix(&prefix).unwrap_or(rel);
        let added = root
            .open_file(rel)
            .and_then(|mut file| file.read_to_end(&mut bytes))
            .and_then(|_| add(&mut out, &mut central, name, &bytes, entry.modified, mode));
        if let Err(e) = added {
            failed = Some(e);
        }
        failed.is_none()
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if walked.timed_out {
        return Err(io::Error::new(io::ErrorKind::TimedOut, format!("/{dir} took too long to read whole")));
    }
    let (offset, size) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    out.extend_from_slice(&END.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // this disk, the disk the directory starts on
    out.extend_from_slice(&(count as u16).to_le_bytes());
    out.extend_from_slice(&(count as u16).to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

/// Appends one deflated file and its central directory record.
fn add(out: &mut Vec<u8>, central: &mut Vec<u8>, name: &str, bytes: &[u8], modified: i64, mode: u32) -> io::Result<()> {
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflate.write_all(bytes)?;
    let packed = deflate.finish()?;
    let crc = crc32fast::hash(bytes);
    let (time, date) = dos_time(modified);
    let offset = out.len() as u32;
    let fields = |head: &mut Vec<u8>| {
        head.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
        head.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 names
        head.extend_from_slice(&8u16.to_le_bytes()); // deflate
        head.extend_from_slice(&time.to_le_bytes());
        head.extend_from_slice(&date.to_le_bytes());
        head.extend_from_slice(&crc.to_le_bytes());
        head.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        head.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        head.extend_from_slice(&(name.len() as u16).to_le_bytes());
        head.extend_from_slice(&0u16.to_le_bytes()); // extra field
    };
    out.extend_from_slice(&LOCAL.to_le_bytes());
    fields(out);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&packed);
    central.extend_from_slice(&CENTRAL.to_le_bytes());
    central.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes()); // made by: Unix, 2.0
    fields(central);
    central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
    central.extend_from_slice(&((0o100000 | mode) << 16).to_le_bytes()); // a regular file, its mode
    central.extend_from_slice(&offset.to_le_bytes());
    central.extend_from_slice(name.as_bytes());
    Ok(())
}

/// One entry of an archive, as its central directory tells it.
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct Entry {
    pub name: String,
    pub size: u64,
    pub compressed_size: u64,
    #[serde(skip)]
    method: u16,
    #[serde(skip)]
    offset: u64,
    pub directory: bool,
}

fn u16_at(b: &[u8], at: usize) -> io::Result<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or_else(|| invalid("the ZIP is cut short"))
}

fn u32_at(b: &[u8], at: usize) -> io::Result<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| invalid("the ZIP is cut short"))
}

/// The entries of the ZIP `archive` (its bytes).
pub(super) fn entries(archive: &[u8]) -> io::Result<Vec<Entry>> {
    let search_from = archive.len().saturating_sub(22 + 65_535);
    let end = (search_from..archive.len().saturating_sub(21))
        .rev()
        .find(|&at| archive[at..at + 4] == END.to_le_bytes())
        .ok_or_else(|| invalid("this is not a ZIP archive (no end of central directory)"))?;
    let count = u16_at(archive, end + 10)? as usize;
    let mut at = u32_at(archive, end + 16)? as usize;
    if count > MAX_ENTRIES {
        return Err(too_big(format!("the ZIP has {count} entries; at most {MAX_ENTRIES} are read here")));
    }
    let mut list = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(archive, at)? != CENTRAL {
            return Err(invalid("the ZIP's central directory is damaged"));
        }
        let (name_len, extra_len, comment_len) = (
            u16_at(archive, at + 28)? as usize,
            u16_at(archive, at + 30)? as usize,
            u16_at(archive, at + 32)? as usize,
        );
        let name = archive.get(at + 46..at + 46 + name_len).ok_or_else(|| invalid("the ZIP is cut short"))?;
        let name = String::from_utf8_lossy(name).into_owned();
        list.push(Entry {
            directory: name.ends_with('/'),
            name,
            method: u16_at(archive, at + 10)?,
            compressed_size: u32_at(archive, at + 20)? as u64,
            size: u32_at(archive, at + 24)? as u64,
            offset: u32_at(archive, at + 42)? as u64,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(list)
}

/// The bytes of `entry` of `archive` (stored or deflated), checked against its size.
pub(super) fn read(archive: &[u8], entry: &Entry) -> io::Result<Vec<u8>> {
    if entry.size > MAX_TOTAL {
        return Err(too_big(format!(
            "{} is {} bytes; at most {} MiB are read here",
            entry.name,
            entry.size,
            MAX_TOTAL >> 20
        )));
    }
    let at = entry.offset as usize;
    if u32_at(archive, at)? != LOCAL {
        return Err(invalid(format!("the ZIP's entry {} is damaged", entry.name)));
    }
    let start = at + 30 + u16_at(archive, at + 26)? as usize + u16_at(archive, at + 28)? as usize;
    let packed = archive
        .get(start..start + entry.compressed_size as usize)
        .ok_or_else(|| invalid(format!("the ZIP's entry {} is cut short", entry.name)))?;
    let bytes = match entry.method {
        0 => packed.to_vec(),
        8 => {
            let mut out = Vec::with_capacity(entry.size as usize);
            flate2::read::DeflateDecoder::new(packed).take(entry.size + 1).read_to_end(&mut out)?;
            out
        }
        other => {
            return Err(invalid(format!("{} is compressed with method {other}, which is not read here", entry.name)));
        }
    };
    if bytes.len() as u64 != entry.size {
        return Err(invalid(format!("{} does not have the size its archive gives", entry.name)));
    }
    Ok(bytes)
}

/// Where an entry lands below `dest`: its name as a relative path, or why it may not land at all
/// (an absolute name or one with `..` would write outside `dest`).
pub(super) fn landing(dest: &str, entry: &Entry) -> io::Result<String> {
    let name = entry.name.trim_end_matches('/');
    let parts: Vec<&str> = name.split('/').collect();
    if name.is_empty() || entry.name.starts_with('/') || parts.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
        return Err(invalid(format!(
            "the ZIP's entry {:?} would land outside the destination: nothing was extracted",
            entry.name
        )));
    }
    Ok(if dest.is_empty() { name.to_owned() } else { format!("{dest}/{name}") })
}

/// Extracts `archive`'s files (every one, or the one named `only`) under `dest`; what it wrote.
/// Every entry's place is checked before anything is written.
pub(super) fn extract(root: &RootDir, archive: &[u8], dest: &str, only: Option<&str>) -> io::Result<Vec<String>> {
    let list = entries(archive)?;
    let chosen: Vec<&Entry> = list.iter().filter(|e| only.is_none_or(|o| e.name == o)).collect();
    if let Some(name) = only.filter(|_| chosen.is_empty()) {
        return Err(io::Error::new(io::ErrorKind::NotFound, format!("the ZIP has no entry {name}")));
    }
    let total: u64 = chosen.iter().map(|e| e.size).sum();
    if total > MAX_TOTAL {
        return Err(too_big(format!(
            "the ZIP holds {total} bytes; at most {} MiB are extracted here",
            MAX_TOTAL >> 20
        )));
    }
    let places = chosen.iter().map(|e| landing(dest, e)).collect::<io::Result<Vec<_>>>()?;
    let mut written = Vec::new();
    for (entry, place) in chosen.iter().zip(places) {
        if entry.directory {
            root.mkdir_all(&place)?;
            continue;
        }
        if let Some((dir, _)) = place.rsplit_once('/') {
            root.mkdir_all(dir)?;
        }
        root.put(&place, &read(archive, entry)?, false, None)?;
        written.push(format!("/{place}"));
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_zipped_reads_back_entry_by_entry() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("site/css")).unwrap();
        std::fs::write(dir.path().join("site/index.html"), "<h1>hi</h1>".repeat(100)).unwrap();
        std::fs::write(dir.path().join("site/css/a.css"), "body{}").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("site/link")).unwrap();
        let root = RootDir::open(dir.path()).unwrap();
        let zip = directory(&root, "site").unwrap();
        let list = entries(&zip).unwrap();
        let names: Vec<&str> = list.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["index.html", "css/a.css"], "links are not followed");
        assert!(list[0].compressed_size < list[0].size, "deflated");
        assert_eq!(read(&zip, &list[0]).unwrap(), "<h1>hi</h1>".repeat(100).as_bytes());
        assert_eq!(read(&zip, &list[1]).unwrap(), b"body{}");
        // The system's unzip agrees, when there is one.
        let file = dir.path().join("site.zip");
        std::fs::write(&file, &zip).unwrap();
        if let Ok(out) = std::process::Command::new("unzip").arg("-t").arg(&file).output() {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        }
        assert!(entries(b"not a zip at all, not even close to one").is_err());
        let written = extract(&root, &zip, "copy", None).unwrap();
        assert_eq!(written, ["/copy/index.html", "/copy/css/a.css"]);
        assert_eq!(std::fs::read_to_string(dir.path().join("copy/css/a.css")).unwrap(), "body{}");
        let one = extract(&root, &zip, "single", Some("css/a.css")).unwrap();
        assert_eq!(one, ["/single/css/a.css"]);
        let evil = Entry {
            name: "../../etc/passwd".into(),
            size: 1,
            compressed_size: 1,
            method: 0,
            offset: 0,
            directory: false,
        };
        assert!(landing("x", &evil).is_err());
        let absolute = Entry { name: "/etc/passwd".into(), ..evil };
        assert!(landing("x", &absolute).is_err());
        assert!(directory(&root, "site/index.html").is_err());
    }
}
