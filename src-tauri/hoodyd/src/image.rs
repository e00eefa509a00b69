//! `hoodyd image import|build|list`: filling the local image store, also while a server runs on
//! the same data directory (an image appears there by one rename).

use crate::DataDir;
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum ImageCommand {
    /// Import a rootfs tarball (plain, gzip, xz or zstd) under an alias like debian/13.
    Import {
        alias: String,
        tarball: PathBuf,
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Build debian/11, debian/12 or debian/13 (debootstrap as root, mmdebstrap as an ordinary
    /// user) and import it (or, with --output, write it as a rootfs tarball instead).
    Build {
        alias: String,
        #[arg(long, default_value = hoody_runtime::DEFAULT_MIRROR)]
        mirror: String,
        #[arg(long, value_name = "FILE.tar")]
        output: Option<PathBuf>,
        #[command(flatten)]
        data: DataDir,
    },
    /// Download an image (debian/13, ubuntu/24.04, alpine/3.19…) from a simplestreams server,
    /// verifying every file and the combined fingerprint.
    Pull {
        alias: String,
        #[arg(long, default_value = hoody_runtime::DEFAULT_IMAGE_SERVER)]
        server: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// List the images in the store.
    List {
        #[command(flatten)]
        data: DataDir,
    },
}

impl ImageCommand {
    pub async fn run(self) -> Result<()> {
        let image = match self {
            Self::Import { alias, tarball, description, data } => {
                let store = store(data)?;
                tokio::task::spawn_blocking(move || store.import_tarball(&alias, &tarball, &description)).await??
            }
            Self::Build { alias, mirror, output: Some(out), .. } => {
                eprintln!("building {alias} with debootstrap from {mirror} (about a minute)…");
                let target = out.clone();
                tokio::task::spawn_blocking(move || hoody_runtime::build_debian_tarball(&alias, &mirror, &target))
                    .await??;
                println!("{}", out.display());
                return Ok(());
            }
            Self::Build { alias, mirror, output: None, data } => {
                let store = store(data)?;
                eprintln!("building {alias} with debootstrap from {mirror} (about a minute)…");
                tokio::task::spawn_blocking(move || {
                    store.build_debian(&alias, &mirror, &mut |step| eprintln!("{step}"))
                })
                .await??
            }
            Self::Pull { alias, server, data } => {
                let store = store(data)?;
                let server = hoody_runtime::ImageServer::new(&server)?;
                let mut shown = (String::new(), 0u64);
                server
                    .pull(&store, &alias, |p| {
                        // A line per file and per 10%, not per chunk.
                        let step = (p.done * 10).checked_div(p.total).unwrap_or(10);
                        if shown.0 != p.file || step > shown.1 {
                            eprintln!("{alias}: {} {} / {} MB", p.file, p.done >> 20, p.total >> 20);
                            shown = (p.file.to_owned(), step);
                        }
                    })
                    .await?
            }
            Self::List { data } => {
                for i in store(data)?.list()? {
                    println!("{}\t{}\t{} MB\t{}", i.alias, &i.fingerprint[..12], i.size_bytes >> 20, i.description);
                }
                return Ok(());
            }
        };
        println!("{} {} ({} MB)", image.alias, image.fingerprint, image.size_bytes >> 20);
        Ok(())
    }
}

fn store(data: DataDir) -> Result<hoody_runtime::ImageStore> {
    let dir = data.resolve().context("no data directory")?;
    Ok(hoody_runtime::ImageStore::at(&dir))
}
