//! A simplestreams client for the LXC image servers (images.linuxcontainers.org and mirrors):
//! find an alias (`debian/13`, `ubuntu/24.04`, `alpine/3.19`) for this machine's architecture,
//! download its metadata and rootfs tarballs with progress, verify each file's sha256 and the
//! combined fingerprint (sha256 of metadata then rootfs, as LXD and Incus compute it), and
//! import the rootfs into the local store.

use crate::error::{Result, RuntimeError};
use crate::images::ImageStore;
use futures_util::StreamExt;
use hoody_model::{Image, validate};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub const DEFAULT_IMAGE_SERVER: &str = "https://images.linuxcontainers.org";

/// A download under way: which file, how far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub file: &'static str,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Deserialize)]
struct Index {
    index: BTreeMap<String, IndexEntry>,
}

#[derive(Debug, Deserialize)]
struct IndexEntry {
    datatype: String,
    path: String,
}

#[derive(Debug, Deserialize)]
struct Products {
    products: BTreeMap<String, Product>,
}

#[derive(Debug, Deserialize)]
struct Product {
    #[serde(default)]
    aliases: String,
    arch: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    release_title: String,
    #[serde(default)]
    variant: String,
    versions: BTreeMap<String, Version>,
}

#[derive(Debug, Deserialize)]
struct Version {
    items: BTreeMap<String, Item>,
}

#[derive(Debug, Clone, Deserialize)]
struct Item {
    ftype: String,
    path: String,
    sha256: String,
    size: u64,
    #[serde(default)]
    combined_rootxz_sha256: Option<String>,
}

/// The files of one image version on the server.
#[derive(Debug, Clone)]
pub struct RemoteImage {
    pub alias: String,
    pub version: String,
    pub fingerprint: String,
    pub description: String,
    meta: Item,
    rootfs: Item,
}

impl RemoteImage {
    /// What downloading it takes (its rootfs and metadata tarballs).
    pub fn download_bytes(&self) -> u64 {
        self.meta.size + self.rootfs.size
    }

    /// As an image the server offers: `available`, its size the download's, its date the
    /// version's (`20241101_05:24`).
    pub fn offered(&self) -> Image {
        let (os, release) = self.alias.split_once('/').unwrap_or((&self.alias, ""));
        let created_at = chrono::NaiveDateTime::parse_from_str(&self.version, "%Y%m%d_%H:%M")
            .map(|t| t.and_utc())
            .unwrap_or(chrono::DateTime::UNIX_EPOCH);
        Image {
            alias: self.alias.clone(),
            os: os.to_owned(),
            release: release.to_owned(),
            fingerprint: self.fingerprint.clone(),
            size_bytes: self.download_bytes(),
            description: self.description.clone(),
            created_at,
            status: hoody_model::ImageStatus::Available,
            progress: None,
            error: None,
            used_by: 0,
            work: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImageServer {
    base: String,
    http: reqwest::Client,
}

/// The server's name for this machine's architecture.
fn server_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "riscv64" => "riscv64",
        other => other,
    }
}

impl ImageServer {
    pub fn new(base: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(|e| RuntimeError::Failed(format!("cannot make an HTTP client: {e}")))?;
        Ok(Self { base: base.trim_end_matches('/').to_owned(), http })
    }

    async fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let url = format!("{}/{path}", self.base);
        let failed = |e: reqwest::Error| RuntimeError::Failed(format!("cannot read {url}: {e}"));
        let answer = self.http.get(&url).send().await.map_err(failed)?.error_for_status().map_err(failed)?;
        let bytes = answer.bytes().await.map_err(failed)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| RuntimeError::Failed(format!("{url} is not a simplestreams file: {e}")))
    }

    /// The image products this server offers for this machine's architecture.
    async fn products(&self) -> Result<Vec<Product>> {
        let index: Index = self.json("streams/v1/index.json").await?;
        let images = index
            .index
            .values()
            .find(|e| e.datatype == "image-downloads")
            .ok_or_else(|| RuntimeError::Failed(format!("{} lists no image downloads", self.base)))?;
        let products: Products = self.json(&images.path).await?;
        let arch = server_arch();
        Ok(products.products.into_values().filter(|p| p.arch == arch).collect())
    }

    /// The newest version of `alias` for this architecture (variant `default` preferred).
    pub async fn find(&self, alias: &str) -> Result<RemoteImage> {
        let mut matching: Vec<Product> =
            self.products().await?.into_iter().filter(|p| p.aliases.split(',').any(|a| a.trim() == alias)).collect();
        matching.sort_by_key(|p| p.variant != "default");
        let product = matching.first().ok_or_else(|| {
            RuntimeError::UnknownImage(format!("the image server {} has no {alias} for {}", self.base, server_arch()))
        })?;
        self.newest(product, alias)
    }

    /// Every image this server offers for this architecture (the `default` variant of each
    /// product, under its first alias of the form containers are created with, `os/release`),
    /// sorted by alias.
    pub async fn catalog(&self) -> Result<Vec<RemoteImage>> {
        let mut images: Vec<RemoteImage> = self
            .products()
            .await?
            .iter()
            .filter(|p| p.variant.is_empty() || p.variant == "default")
            .filter_map(|p| {
                let alias = p.aliases.split(',').map(str::trim).find(|a| validate::container_image(a).is_ok())?;
                self.newest(p, alias).ok()
            })
            .collect();
        images.sort_by(|a, b| a.alias.cmp(&b.alias));
        images.dedup_by(|a, b| a.alias == b.alias);
        Ok(images)
    }

    /// A product's newest version that has a container rootfs.
    fn newest(&self, product: &Product, alias: &str) -> Result<RemoteImage> {
        // Versions are named by date (20241101_05:24): the greatest is the newest.
        let (version, files) =
            product.versions.iter().rev().find_map(|(name, v)| Some((name, pick_files(v)?))).ok_or_else(|| {
                RuntimeError::UnknownImage(format!("{alias} has no container rootfs on {}", self.base))
            })?;
        let (meta, rootfs) = files;
        let fingerprint = meta.combined_rootxz_sha256.clone().ok_or_else(|| {
            RuntimeError::Failed(format!("{alias} {version} has no combined fingerprint on {}", self.base))
        })?;
        Ok(RemoteImage {
            alias: alias.to_owned(),
            version: version.clone(),
            fingerprint,
            description: format!("{} {} ({version})", product.os, product.release_title).trim().to_owned(),
            meta,
            rootfs,
        })
    }

    /// Downloads `alias` into the store (unless the store holds its fingerprint already) and
    /// points the alias at it.
    pub async fn pull(
        &self,
        store: &ImageStore,
        alias: &str,
        mut progress: impl FnMut(Progress) + Send,
    ) -> Result<Image> {
        let remote = self.find(alias).await?;
        if let Some(image) = store.point_existing(alias, &remote.fingerprint)? {
            return Ok(image);
        }
        let staged = store.stage()?;
        let result = async {
            let mut combined = Sha256::new();
            let meta = staged.join("meta.tar.xz");
            let rootfs = staged.join("root.tar.xz");
            self.download(&remote.meta, &meta, "metadata", &mut combined, &mut progress).await?;
            self.download(&remote.rootfs, &rootfs, "rootfs", &mut combined, &mut progress).await?;
            let got = hex::encode(combined.finalize());
            if got != remote.fingerprint {
                return Err(RuntimeError::Invalid(format!(
                    "{alias}: the files' combined fingerprint is {got}, the server lists {}",
                    remote.fingerprint
                )));
            }
            let (store, staged, remote) = (store.clone(), staged.clone(), remote.clone());
            crate::local::blocking(move || {
                store.unpack(&rootfs, &staged)?;
                std::fs::remove_file(&rootfs).map_err(|e| RuntimeError::io("removing the download", e))?;
                store.install(&remote.alias, &staged, &remote.fingerprint, &remote.description)
            })
            .await
        }
        .await;
        store.discard(&staged);
        result
    }

    async fn download(
        &self,
        item: &Item,
        to: &Path,
        file: &'static str,
        combined: &mut Sha256,
        progress: &mut (impl FnMut(Progress) + Send),
    ) -> Result<()> {
        let url = format!("{}/{}", self.base, item.path);
        let failed = |e: reqwest::Error| RuntimeError::Failed(format!("cannot download {url}: {e}"));
        let answer = self.http.get(&url).send().await.map_err(failed)?.error_for_status().map_err(failed)?;
        let mut out = std::fs::File::create(to).map_err(|e| RuntimeError::io("cannot store the download", e))?;
        let mut own = Sha256::new();
        let mut done = 0u64;
        let mut body = answer.bytes_stream();
        progress(Progress { file, done, total: item.size });
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(failed)?;
            done += chunk.len() as u64;
            if done > item.size {
                return Err(RuntimeError::Invalid(format!("{url} is larger than the {} bytes listed", item.size)));
            }
            own.update(&chunk);
            combined.update(&chunk);
            out.write_all(&chunk).map_err(|e| RuntimeError::io("cannot store the download", e))?;
            progress(Progress { file, done, total: item.size });
        }
        let got = hex::encode(own.finalize());
        if done != item.size || got != item.sha256 {
            return Err(RuntimeError::Invalid(format!(
                "{url} does not match the server's listing ({done} of {} bytes, sha256 {got}, expected {})",
                item.size, item.sha256
            )));
        }
        Ok(())
    }
}

/// The metadata tarball and the rootfs tarball of a container image version.
fn pick_files(version: &Version) -> Option<(Item, Item)> {
    let items = version.items.values();
    let meta = items.clone().find(|i| matches!(i.ftype.as_str(), "incus.tar.xz" | "lxd.tar.xz"))?;
    let rootfs = items.clone().find(|i| i.ftype == "root.tar.xz")?;
    Some((meta.clone(), rootfs.clone()))
}
