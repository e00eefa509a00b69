//! The local image store: one read-only rootfs per image, keyed by the fingerprint (sha256) of
//! what it was made from, with aliases (`debian/13`) pointing at the newest import. The files
//! are the index, so `hoodyd image import` can add an image while a server runs on the same
//! data directory: an image appears by one rename, complete or not at all.

use crate::container_files::ContainerFiles;
use crate::error::{Result, RuntimeError};
use crate::layout::Layout;
use chrono::{DateTime, Utc};
use hoody_model::Image;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ImageRecord {
    aliases: Vec<String>,
    fingerprint: String,
    size_bytes: u64,
    description: String,
    created_at: DateTime<Utc>,
}

const RECORD: &str = "image.json";

#[derive(Debug, Clone)]
pub struct ImageStore {
    layout: Layout,
    /// Images are unpacked as the containers' root, so their files have the owners the
    /// containers see.
    files: ContainerFiles,
}

impl ImageStore {
    pub fn new(layout: Layout, files: ContainerFiles) -> Self {
        Self { layout, files }
    }

    /// The image store of a data directory, without the rest of the runtime.
    pub fn at(data_dir: &Path) -> Self {
        Self::new(Layout::new(data_dir, Path::new(crate::local::DEFAULT_RUN_DIR)), ContainerFiles::for_this_user())
    }

    fn records(&self) -> Result<Vec<ImageRecord>> {
        let dir = self.layout.images();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RuntimeError::io(format!("cannot read {}", dir.display()), e)),
        };
        let mut records = Vec::new();
        for entry in entries.flatten() {
            let Ok(text) = std::fs::read(entry.path().join(RECORD)) else { continue };
            match serde_json::from_slice::<ImageRecord>(&text) {
                Ok(r) => records.push(r),
                Err(e) => tracing::warn!("skipping image {}: {e}", entry.path().display()),
            }
        }
        Ok(records)
    }

    /// Every alias with the image it points at.
    pub fn list(&self) -> Result<Vec<Image>> {
        let mut images: Vec<Image> = self
            .records()?
            .into_iter()
            .flat_map(|r| {
                r.aliases.clone().into_iter().map(move |alias| {
                    let (os, release) = alias.split_once('/').unwrap_or((&alias, ""));
                    Image {
                        os: os.to_owned(),
                        release: release.to_owned(),
                        alias: alias.clone(),
                        fingerprint: r.fingerprint.clone(),
                        size_bytes: r.size_bytes,
                        description: r.description.clone(),
                        created_at: r.created_at,
                        status: hoody_model::ImageStatus::Ready,
                        progress: None,
                        error: None,
                        used_by: 0,
                        work: None,
                    }
                })
            })
            .collect();
        images.sort_by(|a, b| a.alias.cmp(&b.alias));
        Ok(images)
    }

    /// The fingerprint an alias points at.
    pub fn resolve(&self, alias: &str) -> Result<String> {
        self.list()?.into_iter().find(|i| i.alias == alias).map(|i| i.fingerprint).ok_or_else(|| {
            RuntimeError::UnknownImage(format!(
                "image {alias} is not in this server's image store; import it (`hoodyd image import {alias} ROOTFS.tar`) \
                 or build it (`hoodyd image build {alias}`), or pick one from GET /api/v1/images/public"
            ))
        })
    }

    pub fn rootfs(&self, fingerprint: &str) -> PathBuf {
        self.layout.image(fingerprint).join("rootfs")
    }

    /// Imports a rootfs tarball (plain, gzip, xz or zstd; a unified LXC image with `rootfs/` and
    /// `metadata.yaml` works too). Blocking: call it off the async runtime.
    pub fn import_tarball(&self, alias: &str, tarball: &Path, description: &str) -> Result<Image> {
        let alias = hoody_model::validate::container_image(alias).map_err(|e| RuntimeError::Invalid(e.message))?;
        let fingerprint = sha256_file(tarball)?;
        if let Some(image) = self.point_existing(&alias, &fingerprint)? {
            return Ok(image);
        }
        let staged = self.stage()?;
        let result = self
            .files
            .extract(tarball, &staged.join("rootfs"))
            .and_then(|()| self.install(&alias, &staged, &fingerprint, description));
        self.discard(&staged);
        result
    }

    /// Points `alias` at an image the store already holds; None when it holds no such image.
    pub fn point_existing(&self, alias: &str, fingerprint: &str) -> Result<Option<Image>> {
        if !self.layout.image(fingerprint).join(RECORD).exists() {
            return Ok(None);
        }
        self.point_alias(alias, fingerprint)?;
        Ok(self.list()?.into_iter().find(|i| i.alias == alias))
    }

    /// Moves a staged `rootfs/` into the store and points `alias` at it.
    pub(crate) fn install(&self, alias: &str, staged: &Path, fingerprint: &str, description: &str) -> Result<Image> {
        let alias = hoody_model::validate::container_image(alias).map_err(|e| RuntimeError::Invalid(e.message))?;
        self.commit(staged, fingerprint, description)?;
        self.point_existing(&alias, fingerprint)?
            .ok_or_else(|| RuntimeError::Failed(format!("image {alias} vanished right after its import")))
    }

    /// A fresh staging directory on the same filesystem as the store (so commit is a rename).
    pub fn stage(&self) -> Result<PathBuf> {
        let dir = self.layout.staging().join(hoody_model::ids::random_hex(8));
        self.layout
            .create_dir(&dir.join("rootfs"))
            .map_err(|e| RuntimeError::io("cannot create a staging directory", e))?;
        Ok(dir)
    }

    /// Unpacks a tarball into a staged directory's `rootfs/` (as the containers' root).
    pub(crate) fn unpack(&self, tarball: &Path, staged: &Path) -> Result<()> {
        self.files.extract(tarball, &staged.join("rootfs"))
    }

    /// Removes a staging directory and what was unpacked into it.
    pub fn discard(&self, staged: &Path) {
        if let Err(e) = self.files.remove_tree(staged) {
            tracing::warn!("cannot remove {}: {e}", staged.display());
        }
    }

    /// Moves a staged `rootfs/` into the store under `fingerprint`.
    fn commit(&self, staged: &Path, fingerprint: &str, description: &str) -> Result<()> {
        let rootfs = staged.join("rootfs");
        // A unified image tarball holds rootfs/ and metadata.yaml at its top.
        if rootfs.join("rootfs").is_dir() && rootfs.join("metadata.yaml").is_file() {
            let inner = staged.join("inner");
            self.files.rename(&rootfs.join("rootfs"), &inner)?;
            self.files.remove_tree(&rootfs)?;
            std::fs::rename(&inner, &rootfs).map_err(|e| RuntimeError::io("unpacking a unified image", e))?;
        }
        if std::fs::symlink_metadata(rootfs.join("sbin/init")).is_err()
            && std::fs::symlink_metadata(rootfs.join("usr/sbin/init")).is_err()
        {
            return Err(RuntimeError::Invalid(
                "the image has no /sbin/init: a system container needs an init to run as PID 1".into(),
            ));
        }
        let record = ImageRecord {
            aliases: Vec::new(),
            fingerprint: fingerprint.to_owned(),
            size_bytes: self.files.size(&rootfs),
            description: description.to_owned(),
            created_at: Utc::now(),
        };
        write_record(staged, &record)?;
        let target = self.layout.image(fingerprint);
        self.layout
            .create_dir(&self.layout.images())
            .map_err(|e| RuntimeError::io("cannot create the image store", e))?;
        match std::fs::rename(staged, &target) {
            Ok(()) => Ok(()),
            // Another import of the same content won the race; theirs is as good as ours.
            Err(_) if target.join(RECORD).exists() => Ok(()),
            Err(e) => Err(RuntimeError::io(format!("cannot move the image into {}", target.display()), e)),
        }
    }

    /// Makes `alias` point at `fingerprint` only.
    fn point_alias(&self, alias: &str, fingerprint: &str) -> Result<()> {
        let _lock = StoreLock::take(&self.layout)?;
        for mut record in self.records()? {
            let had = record.aliases.iter().any(|a| a == alias);
            let wants = record.fingerprint == fingerprint;
            if had != wants {
                record.aliases.retain(|a| a != alias);
                if wants {
                    record.aliases.push(alias.to_owned());
                }
                write_record(&self.layout.image(&record.fingerprint), &record)?;
            }
        }
        Ok(())
    }

    /// Drops `alias`. The image it named goes from the disk too when no other alias names it;
    /// while anything is made from it (`users` of its fingerprint: containers, snapshots,
    /// warm prespawn slots) it is refused and nothing changes. Blocking.
    pub fn remove(&self, alias: &str, users: impl FnOnce(&str) -> Vec<String>) -> Result<()> {
        let _lock = StoreLock::take(&self.layout)?;
        let mut record =
            self.records()?.into_iter().find(|r| r.aliases.iter().any(|a| a == alias)).ok_or_else(|| {
                RuntimeError::UnknownImage(format!("image {alias} is not in this server's image store"))
            })?;
        let dir = self.layout.image(&record.fingerprint);
        if record.aliases.len() > 1 {
            record.aliases.retain(|a| a != alias);
            return write_record(&dir, &record);
        }
        let users = users(&record.fingerprint);
        if !users.is_empty() {
            return Err(RuntimeError::ImageInUse(format!(
                "image {alias} cannot be deleted: {} made from it ({}); delete those first",
                if users.len() == 1 { "1 container or snapshot is" } else { "containers or snapshots are" },
                users.join(", ")
            )));
        }
        // Out of the store by one rename (a crash midway leaves it in staging, never half an
        // image in the store), then off the disk.
        let doomed = self.layout.staging().join(format!("removed-{}", record.fingerprint));
        self.layout.create_dir(&self.layout.staging()).map_err(|e| RuntimeError::io("staging", e))?;
        std::fs::rename(&dir, &doomed).map_err(|e| RuntimeError::io(format!("cannot remove image {alias}"), e))?;
        self.discard(&doomed);
        Ok(())
    }

    /// Imports a finished rootfs directory (debootstrap, a downloaded image) by packing it into
    /// a tarball first, so every image has a content fingerprint.
    pub fn import_tree(&self, alias: &str, tree: &Path, description: &str) -> Result<Image> {
        let tarball = tree.with_extension("tar");
        run(Command::new("tar")
            .arg("--numeric-owner")
            .arg("--xattrs")
            .arg("-C")
            .arg(tree)
            .arg("-cf")
            .arg(&tarball)
            .arg("."))?;
        let result = self.import_tarball(alias, &tarball, description);
        let _ = std::fs::remove_file(&tarball);
        result
    }
}

fn write_record(dir: &Path, record: &ImageRecord) -> Result<()> {
    let tmp = dir.join(format!("{RECORD}.tmp"));
    let json = serde_json::to_vec_pretty(record).map_err(|e| RuntimeError::Failed(e.to_string()))?;
    std::fs::write(&tmp, json).map_err(|e| RuntimeError::io("cannot write the image record", e))?;
    std::fs::rename(&tmp, dir.join(RECORD)).map_err(|e| RuntimeError::io("cannot write the image record", e))
}

/// An exclusive lock on the store's alias table, across processes.
struct StoreLock {
    _held: std::fs::File,
}

impl StoreLock {
    fn take(layout: &Layout) -> Result<Self> {
        let dir = layout.images();
        layout.create_dir(&dir).map_err(|e| RuntimeError::io("cannot create the image store", e))?;
        let file = std::fs::File::create(dir.join(".lock")).map_err(|e| RuntimeError::io("image store lock", e))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| RuntimeError::io("image store lock", e))?;
        Ok(Self { _held: file })
    }
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).map_err(|e| RuntimeError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| RuntimeError::io(format!("reading {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

pub use crate::container_files::run;
