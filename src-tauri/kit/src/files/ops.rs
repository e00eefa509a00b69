//! The files operations, done inside the container on its root ([`RootDir`]).

use crate::error::{KitCode, KitError, refuse};
use crate::proxy::{Body, json};
use bytes::Bytes;
use hoody_runtime::rootdir::RootDir;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::io::{self, Read};

/// The largest file read whole (a download, a copy, a digest reads it in pieces).
const MAX_READ: u64 = 256 << 20;

/// A files operation, as parsed from a request and done inside the container.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum FileOp {
    /// Answered by the service itself.
    Health,
    Version,
    Stat(String),
    /// Lists a directory or reads a file.
    Read(String),
    Lines {
        path: String,
        lines: Lines,
    },
    Sha256(String),
    Realpath(String),
    /// Writes the request's body to the file.
    Put {
        path: String,
        append: bool,
        permissions: Option<u32>,
    },
    /// Writes the request's body into an existing file at `offset` (at its end: None).
    Patch {
        path: String,
        offset: Option<u64>,
    },
    Chmod {
        path: String,
        permissions: u32,
    },
    /// `user[:group]`, by name (the container's /etc/passwd and /etc/group) or number.
    Chown {
        path: String,
        owner: String,
    },
    Copy {
        from: String,
        to: String,
        overwrite: bool,
    },
    Move {
        from: String,
        to: String,
    },
    Mkdir(String),
    /// A file, a link, or a directory with its contents.
    Remove(String),
    /// The platform's root paths: a directory's entries at `data.paths`, or a file's bytes.
    Browse(String),
    /// An entry's facts as headers, without a body (`HEAD /{path}`).
    Head(String),
    /// Makes an empty file, or sets an existing one's modification time to now.
    Touch(String),
    Glob {
        path: String,
        query: super::search::GlobQuery,
    },
    Grep {
        path: String,
        query: super::search::GrepQuery,
    },
    /// A directory as a ZIP archive.
    Zip(String),
    /// The entries of a ZIP archive.
    ArchiveEntries(String),
    /// A ZIP's files (or one of them) written under `dest`.
    Extract {
        path: String,
        dest: String,
        only: Option<String>,
    },
    /// One entry of a ZIP archive.
    ArchiveEntry {
        path: String,
        entry: String,
    },
    /// Entries below a directory whose name holds a word.
    Search {
        path: String,
        word: String,
    },
}

impl FileOp {
    /// What the operation changes, for the journal: its name, path and destination; None
    /// for a read.
    pub(crate) fn change(&self) -> Option<(&'static str, &str, Option<&str>)> {
        Some(match self {
            FileOp::Put { path, append: false, .. } => ("write", path, None),
            FileOp::Put { path, append: true, .. } => ("append", path, None),
            FileOp::Patch { path, .. } => ("patch", path, None),
            FileOp::Chmod { path, .. } => ("chmod", path, None),
            FileOp::Chown { path, .. } => ("chown", path, None),
            FileOp::Copy { from, to, .. } => ("copy", from, Some(to)),
            FileOp::Move { from, to } => ("move", from, Some(to)),
            FileOp::Mkdir(path) => ("mkdir", path, None),
            FileOp::Remove(path) => ("delete", path, None),
            FileOp::Touch(path) => ("touch", path, None),
            FileOp::Extract { path, dest, .. } => ("extract", path, Some(dest)),
            _ => return None,
        })
    }
}

/// `?lines=`: `A-B`, `A-` (to the end), `-B` (the first B) or `A` (line A alone), from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Lines {
    first: usize,
    last: Option<usize>,
}

impl Lines {
    pub(super) fn parse(raw: &str) -> Result<Self, KitError> {
        let bad = || {
            KitError::new(
                KitCode::InvalidParameters,
                format!("lines must be A-B, A-, -B or A with line numbers from 1 (got {raw:?})"),
            )
        };
        let number = |s: &str| s.trim().parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(bad);
        let lines = match raw.split_once('-') {
            Some(("", last)) => Self { first: 1, last: Some(number(last)?) },
            Some((first, "")) => Self { first: number(first)?, last: None },
            Some((first, last)) => Self { first: number(first)?, last: Some(number(last)?) },
            None => Self { first: number(raw)?, last: Some(number(raw)?) },
        };
        match lines.last.is_some_and(|last| last < lines.first) {
            true => Err(bad()),
            false => Ok(lines),
        }
    }

    /// The chosen lines of `text`, each with its newline.
    fn of(self, text: &[u8]) -> Vec<u8> {
        let take = self.last.map_or(usize::MAX, |last| last - self.first + 1);
        text.split_inclusive(|b| *b == b'\n').skip(self.first - 1).take(take).flatten().copied().collect()
    }
}

pub(super) fn execute(root: &RootDir, op: FileOp, input: Vec<u8>) -> io::Result<Response<Body>> {
    match op {
        FileOp::Health | FileOp::Version => Ok(json(StatusCode::OK, &serde_json::json!({ "status": "ok" }))),
        FileOp::Stat(rel) => root.stat(&rel).map(|entry| json(StatusCode::OK, &entry)),
        FileOp::Read(rel) => read(root, &rel),
        FileOp::Lines { path, lines } => Ok(bytes(lines.of(&whole(root, &path)?), "text/plain; charset=utf-8")),
        FileOp::Sha256(rel) => {
            let mut file = root.open_file(&rel)?;
            let mut hasher = sha2::Sha256::new();
            let size = io::copy(&mut file, &mut hasher)?;
            let digest = hex(&hasher.finalize());
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "path": format!("/{rel}"), "size": size, "algorithm": "sha256", "hash": digest, "sha256": digest }),
            ))
        }
        FileOp::Realpath(rel) => {
            let real = root.realpath(&rel)?;
            Ok(json(StatusCode::OK, &serde_json::json!({ "path": format!("/{rel}"), "realpath": real })))
        }
        FileOp::Put { path, append, permissions } => {
            // An upload makes the directories it names, as a copy does.
            if let Some((dir, _)) = path.rsplit_once('/') {
                root.mkdir_all(dir)?;
            }
            root.put(&path, &input, append, permissions)?;
            Ok(json(StatusCode::OK, &root.stat(&path)?))
        }
        FileOp::Patch { path, offset } => {
            let at = root.write_at(&path, offset, &input)?;
            let mut entry = serde_json::to_value(root.stat(&path)?).unwrap_or_default();
            entry["success"] = serde_json::json!(true);
            entry["message"] = serde_json::json!(format!("{} bytes written at {at} in /{path}", input.len()));
            Ok(json(StatusCode::OK, &entry))
        }
        FileOp::Chmod { path, permissions } => {
            root.chmod(&path, permissions)?;
            Ok(json(StatusCode::OK, &root.stat(&path)?))
        }
        FileOp::Chown { path, owner } => {
            let (user, group) = owner.split_once(':').map_or((owner.as_str(), None), |(u, g)| (u, Some(g)));
            let uid = (!user.is_empty()).then(|| id_of(root, "etc/passwd", user)).transpose()?;
            let gid = group.filter(|g| !g.is_empty()).map(|g| id_of(root, "etc/group", g)).transpose()?;
            root.chown(&path, uid, gid).map_err(|e| match e.raw_os_error() {
                Some(22) => {
                    io::Error::new(io::ErrorKind::InvalidInput, format!("{owner} is not an owner the container has"))
                }
                _ => e,
            })?;
            let mut entry = serde_json::to_value(root.stat(&path)?).unwrap_or_default();
            entry["owner"] = serde_json::json!(owner);
            Ok(json(StatusCode::OK, &entry))
        }
        FileOp::Copy { from, to, overwrite } => {
            if !overwrite && root.exists(&to) {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("/{to} exists: add ?overwrite")));
            }
            match root.stat(&from)?.kind {
                "dir" => copy_tree(root, &from, &to)?,
                _ => copy_file(root, &from, &to)?,
            }
            Ok(json(StatusCode::CREATED, &root.stat(&to)?))
        }
        FileOp::Move { from, to } => {
            match root.rename(&from, &to) {
                // Another filesystem (a mount inside the container): a file is copied, then removed.
                // Another filesystem (a mount inside the container), or a directory of the image
                // (overlayfs renames only what the container wrote): copied, then removed.
                Err(e) if e.raw_os_error() == Some(18) => {
                    if root.exists(&to) {
                        return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("/{to} exists")));
                    }
                    match root.stat(&from)?.kind {
                        "dir" => {
                            copy_tree(root, &from, &to)?;
                            root.remove_tree(&from)?;
                        }
                        _ => {
                            copy_file(root, &from, &to)?;
                            root.remove_entry(&from)?;
                        }
                    }
                }
                done => done?,
            }
            Ok(json(StatusCode::OK, &root.stat(&to)?))
        }
        FileOp::Mkdir(rel) => {
            root.mkdir(&rel)?;
            Ok(json(StatusCode::CREATED, &root.stat(&rel)?))
        }
        FileOp::Remove(rel) => {
            root.remove_tree(&rel)?;
            Ok(json(StatusCode::OK, &serde_json::json!({ "deleted": format!("/{rel}") })))
        }
        FileOp::Browse(rel) => {
            let entry = root.stat(&rel)?;
            if entry.kind != "dir" {
                return Ok(bytes(whole(root, &rel)?, "application/octet-stream"));
            }
            let paths = root.list(&rel)?;
            Ok(json(StatusCode::OK, &serde_json::json!({ "data": { "path": format!("/{rel}"), "paths": paths } })))
        }
        FileOp::Head(rel) => {
            let entry = root.stat(&rel)?;
            let mut resp = bytes(Vec::new(), "application/octet-stream");
            let headers = resp.headers_mut();
            if entry.kind == "dir" {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            for (name, value) in [
                ("x-file-type", entry.kind.to_owned()),
                ("x-file-size", entry.size.to_string()),
                ("x-file-mode", entry.mode.clone()),
                ("x-file-modified", entry.modified.to_string()),
            ] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(name, value);
                }
            }
            Ok(resp)
        }
        FileOp::Touch(rel) => {
            match root.open_file(&rel) {
                Ok(file) => {
                    rustix::fs::futimens(&file, &rustix::fs::Timestamps { last_access: NOW, last_modification: NOW })?
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => root.put(&rel, b"", true, None)?,
                Err(e) => return Err(e),
            }
            Ok(json(StatusCode::OK, &root.stat(&rel)?))
        }
        FileOp::Zip(rel) => {
            let archive = super::zip::directory(root, &rel)?;
            let name = rel.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("root").replace('"', "");
            let mut resp = bytes(archive, "application/zip");
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.zip\"")) {
                resp.headers_mut().insert(hyper::header::CONTENT_DISPOSITION, value);
            }
            Ok(resp)
        }
        FileOp::ArchiveEntries(rel) => {
            let list = super::zip::entries(&whole(root, &rel)?)?;
            let total: u64 = list.iter().map(|e| e.size).sum();
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "archive": format!("/{rel}"), "entries": list, "count": list.len(), "total_size": total }),
            ))
        }
        FileOp::Extract { path, dest, only } => {
            let written = super::zip::extract(root, &whole(root, &path)?, &dest, only.as_deref())?;
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "archive": format!("/{path}"), "dest": format!("/{dest}"), "extracted": written,
                    "count": written.len() }),
            ))
        }
        FileOp::ArchiveEntry { path, entry } => {
            let archive = whole(root, &path)?;
            let list = super::zip::entries(&archive)?;
            let found = list
                .iter()
                .find(|e| e.name == entry && !e.directory)
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("/{path} has no file {entry}")))?;
            Ok(bytes(super::zip::read(&archive, found)?, "application/octet-stream"))
        }
        FileOp::Glob { path, query } => Ok(json(StatusCode::OK, &super::search::glob(root, &path, &query)?)),
        FileOp::Grep { path, query } => Ok(json(StatusCode::OK, &super::search::grep(root, &path, &query)?)),
        FileOp::Search { path, word } => Ok(json(StatusCode::OK, &super::search::search(root, &path, &word)?)),
    }
}

/// `utimensat`'s "now".
const NOW: rustix::fs::Timespec = rustix::fs::Timespec { tv_sec: 0, tv_nsec: rustix::fs::UTIME_NOW };

/// A user's (or group's) id: a number, or a name in the container's `etc/passwd` (`etc/group`).
fn id_of(root: &RootDir, table: &str, name: &str) -> io::Result<u32> {
    if let Ok(id) = name.parse::<u32>() {
        return Ok(id);
    }
    let text = root.read(table)?.unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            Some((fields.next()?, fields.nth(1)?))
        })
        .find(|(entry, _)| *entry == name)
        .and_then(|(_, id)| id.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("the container has no {name} in /{table}")))
}

/// Copies a regular file with its permission bits (its directory made when missing).
fn copy_file(root: &RootDir, from: &str, to: &str) -> io::Result<()> {
    let mode = std::os::unix::fs::PermissionsExt::mode(&root.open_file(from)?.metadata()?.permissions()) & 0o7777;
    if let Some((dir, _)) = to.rsplit_once('/') {
        root.mkdir_all(dir)?;
    }
    root.put(to, &whole(root, from)?, false, Some(mode))
}

/// Most entries one directory copy makes.
const MAX_TREE: usize = 100_000;

/// Copies a directory with what it holds (files with their permission bits, directories,
/// symlinks as links; devices and sockets are skipped).
fn copy_tree(root: &RootDir, from: &str, to: &str) -> io::Result<()> {
    if to == from || to.starts_with(&format!("{from}/")) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("/{from} cannot be copied into itself")));
    }
    let mut made = 0usize;
    let mut pending = vec![(from.to_owned(), to.to_owned())];
    while let Some((source, target)) = pending.pop() {
        root.mkdir_all(&target)?;
        for entry in root.list(&source)? {
            made += 1;
            if made > MAX_TREE {
                return Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!("/{from} holds over {MAX_TREE} entries: copy it in parts"),
                ));
            }
            let (s, t) = (format!("{source}/{}", entry.name), format!("{target}/{}", entry.name));
            match entry.kind {
                "dir" => pending.push((s, t)),
                "file" => copy_file(root, &s, &t)?,
                "symlink" => {
                    if let Some(link) = root.read_link(&s)? {
                        root.symlink(&link, &t)?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// A regular file's contents, up to [`MAX_READ`].
fn whole(root: &RootDir, rel: &str) -> io::Result<Vec<u8>> {
    let mut file = root.open_file(rel)?;
    if file.metadata()?.len() > MAX_READ {
        return Err(io::Error::new(io::ErrorKind::FileTooLarge, "files over 256 MiB cannot be read whole here"));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn bytes(body: Vec<u8>, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed());
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn read(root: &RootDir, rel: &str) -> io::Result<Response<Body>> {
    let entry = root.stat(rel)?;
    if entry.kind == "dir" {
        let entries = root.list(rel)?;
        return Ok(json(StatusCode::OK, &serde_json::json!({ "path": format!("/{rel}"), "entries": entries })));
    }
    Ok(bytes(whole(root, rel)?, "application/octet-stream"))
}

pub(super) fn io_error(e: &io::Error) -> Response<Body> {
    use io::ErrorKind::*;
    let status = match e.kind() {
        NotFound => StatusCode::NOT_FOUND,
        PermissionDenied => StatusCode::FORBIDDEN,
        AlreadyExists | DirectoryNotEmpty => StatusCode::CONFLICT,
        FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        StorageFull | QuotaExceeded => {
            return refuse(
                StatusCode::INSUFFICIENT_STORAGE,
                &format!(
                    "no room for it: the disk that holds the container's files is full ({e}); nothing was written. Delete files, or containers, snapshots or images on its server, and try again"
                ),
            );
        }
        InvalidInput | IsADirectory | NotADirectory => StatusCode::BAD_REQUEST,
        _ if e.raw_os_error() == Some(40) => StatusCode::BAD_REQUEST, // ELOOP: a symlink as the last component
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refuse(status, &e.to_string())
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn lines_choose_a_range_from_one() {
        let text = b"a\nb\nc\nd";
        let of = |raw: &str| String::from_utf8(Lines::parse(raw).unwrap().of(text)).unwrap();
        assert_eq!(of("2-3"), "b\nc\n");
        assert_eq!(of("3-"), "c\nd");
        assert_eq!(of("-2"), "a\nb\n");
        assert_eq!(of("4"), "d");
        assert_eq!(of("9-12"), "");
        for bad in ["0", "3-2", "a-b", "", "-"] {
            assert!(Lines::parse(bad).is_err(), "{bad}");
        }
    }
}
