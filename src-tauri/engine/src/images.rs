//! Images: what this server holds, is fetching, and can download. A download, a build and an
//! import run in the background (they take minutes); how far each is, and why it failed if it
//! did, show in the list of the server's images (`GET /images/user`), which the app polls while
//! one runs.

use crate::{Engine, EngineError, Principal, Result, RuntimeError};
use hoody_model::{ErrorCode, Image, ImageBuild, ImageImport, ImageStatus, ImageWork, WorkProgress, validate};
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Downloads, builds and imports under way, and those that failed (until retried or
/// dismissed), by alias.
#[derive(Debug, Default, Clone)]
pub(crate) struct ImageJobs(Arc<Mutex<BTreeMap<String, Image>>>);

impl ImageJobs {
    fn get(&self, alias: &str) -> Option<Image> {
        self.0.lock().expect("image jobs lock").get(alias).cloned()
    }

    fn set(&self, image: Image) {
        self.0.lock().expect("image jobs lock").insert(image.alias.clone(), image);
    }

    fn remove(&self, alias: &str) -> Option<Image> {
        self.0.lock().expect("image jobs lock").remove(alias)
    }

    fn all(&self) -> Vec<Image> {
        self.0.lock().expect("image jobs lock").values().cloned().collect()
    }

    fn progress(&self, alias: &str, progress: WorkProgress) {
        if let Some(image) = self.0.lock().expect("image jobs lock").get_mut(alias) {
            image.progress = Some(progress);
        }
    }

    fn under_way(&self, alias: &str) -> Option<Image> {
        self.get(alias).filter(|i| i.status != ImageStatus::Failed)
    }

    fn fail(&self, alias: &str, why: String) {
        if let Some(image) = self.0.lock().expect("image jobs lock").get_mut(alias) {
            image.status = ImageStatus::Failed;
            image.error = Some(why);
            image.progress = None;
        }
    }
}

/// The room a Debian build takes at its largest (its tarball and the unpacked image).
const BUILD_ROOM: u64 = 1 << 30;

/// Reports a job's progress.
type Progress = Box<dyn FnMut(WorkProgress) + Send>;

impl Engine {
    /// What containers can be created from: the images this server holds, then those its
    /// image server offers that it does not hold (a create downloads them first). An image
    /// server that cannot be read leaves the held ones.
    pub async fn images(&self, os: Option<&str>) -> Result<Vec<Image>> {
        let mut images = self.held_images().await?;
        match self.inner.runtime.catalog().await {
            Ok(offered) => {
                let held: HashSet<String> = images.iter().map(|i| i.alias.clone()).collect();
                images.extend(offered.into_iter().filter(|i| !held.contains(&i.alias)));
            }
            Err(e) => tracing::warn!("the image server's list cannot be read: {e}"),
        }
        if let Some(os) = os {
            images.retain(|i| i.os.eq_ignore_ascii_case(os));
        }
        Ok(images)
    }

    /// One image by alias: held here, or offered by the image server.
    pub async fn image(&self, alias: &str) -> Result<Image> {
        let alias = validate::container_image(alias)?;
        self.images(None)
            .await?
            .into_iter()
            .find(|i| i.alias == alias)
            .ok_or_else(|| EngineError::not_found("image", &alias))
    }

    /// An image's icon: images here carry none (neither held ones nor the image server's), so
    /// a known image answers that it has none, and an unknown one that it is not here.
    pub async fn image_icon(&self, alias: &str) -> Result<Image> {
        let image = self.image(alias).await?;
        Err(EngineError::NotFound { what: "icon of image", id: image.alias })
    }

    /// The images this server holds (each with the number of containers made from it), and
    /// the work on images: under way (with its progress) or failed (with the reason).
    pub async fn user_images(&self) -> Result<Vec<Image>> {
        let mut images = self.held_images().await?;
        for job in self.inner.image_jobs.all() {
            match images.iter_mut().find(|i| i.alias == job.alias) {
                // A new version of a held image on its way: the held one says so.
                Some(held) if job.status != ImageStatus::Failed => {
                    held.status = job.status;
                    held.progress = job.progress;
                    held.work = job.work;
                }
                Some(_) => {}
                None => images.push(job),
            }
        }
        images.sort_by(|a, b| a.alias.cmp(&b.alias));
        Ok(images)
    }

    async fn held_images(&self) -> Result<Vec<Image>> {
        let mut images = self.inner.runtime.images().await?;
        let users = self.inner.store.image_users().await?;
        for image in &mut images {
            image.used_by = users.get(&image.alias).map_or(0, |u| u32::try_from(u.len()).unwrap_or(u32::MAX));
        }
        Ok(images)
    }

    /// Starts downloading `alias` from the image server (the newest version; a held image is
    /// updated). Answers at once with the download under way; an alias the image server does
    /// not offer, or a server without one, is refused before anything starts.
    pub async fn pull_image(&self, caller: &Principal, alias: &str) -> Result<Image> {
        caller.forbid_if_scoped("download images")?;
        let alias = validate::container_image(alias)?;
        if let Some(under_way) = self.inner.image_jobs.under_way(&alias) {
            return Ok(under_way);
        }
        let offered = self.inner.runtime.find_offered(&alias).await.map_err(|e| unknown_is_not_found(e, &alias))?;
        // Its download and the files unpacked from it.
        self.inner.space.check(&format!("downloading {alias}"), offered.size_bytes.saturating_mul(4))?;
        let started = Image {
            status: ImageStatus::Downloading,
            progress: Some(WorkProgress { stage: format!("downloading {alias}"), done: 0, total: offered.size_bytes }),
            error: None,
            work: Some(ImageWork::Download),
            ..offered
        };
        let engine = self.clone();
        Ok(self
            .start_job(started, move |progress| async move { engine.inner.runtime.pull_image(&alias, progress).await }))
    }

    /// Starts building `alias` (debian/11, 12 or 13) on this server with debootstrap, from
    /// `mirror` or Debian's own. An alias it cannot build, or a server without the tools, is
    /// refused before anything starts.
    pub async fn build_image(&self, caller: &Principal, alias: &str, body: ImageBuild) -> Result<Image> {
        caller.forbid_if_scoped("build images")?;
        let alias = validate::container_image(alias)?;
        let mirror = match body.mirror {
            Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!("mirror must be an http:// or https:// address of a Debian mirror, not {url:?}"),
                ));
            }
            Some(url) => url,
            None => hoody_runtime::DEFAULT_MIRROR.to_owned(),
        };
        if let Some(under_way) = self.inner.image_jobs.under_way(&alias) {
            return Ok(under_way);
        }
        self.inner.runtime.check_build(&alias)?;
        self.inner.space.check(&format!("building {alias}"), BUILD_ROOM)?;
        let started = job_image(&alias, ImageStatus::Building, ImageWork::Build, format!("building {alias}"));
        let engine = self.clone();
        Ok(self.start_job(started, move |progress| async move {
            engine.inner.runtime.build_image(&alias, &mirror, progress).await
        }))
    }

    /// Starts importing the rootfs tarball at `body.tarball` (a file on this server, read as
    /// its user) as `alias`. A path that is not an absolute path to a readable file is refused
    /// before anything starts.
    pub async fn import_image(&self, caller: &Principal, alias: &str, body: ImageImport) -> Result<Image> {
        caller.forbid_if_scoped("import images")?;
        let alias = validate::container_image(alias)?;
        let tarball = std::path::PathBuf::from(&body.tarball);
        if !tarball.is_absolute() {
            return Err(EngineError::rule(
                ErrorCode::InvalidField,
                format!("tarball must be an absolute path on the server, not {:?}", body.tarball),
            ));
        }
        if let Err(e) = std::fs::File::open(&tarball)
            .and_then(|f| f.metadata())
            .and_then(|m| if m.is_file() { Ok(()) } else { Err(std::io::Error::other("it is not a file")) })
        {
            return Err(EngineError::rule(
                ErrorCode::InvalidField,
                format!("cannot read the tarball {}: {e}", tarball.display()),
            ));
        }
        if let Some(under_way) = self.inner.image_jobs.under_way(&alias) {
            return Ok(under_way);
        }
        let size = std::fs::metadata(&tarball).map_or(0, |m| m.len());
        // Compressed tarballs unpack to several times their size.
        self.inner.space.check(&format!("importing {}", tarball.display()), size.saturating_mul(4))?;
        let name = tarball.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let description = body.description.unwrap_or_else(|| format!("imported from {name}"));
        let started = job_image(&alias, ImageStatus::Importing, ImageWork::Import, format!("importing {name}"));
        let engine = self.clone();
        Ok(self.start_job(started, move |_| async move {
            engine.inner.runtime.import_image(&alias, &tarball, &description).await
        }))
    }

    /// Runs `work` on `started.alias` in the background: under way in the list of images until
    /// it ends, then held, or failed with the reason.
    fn start_job<F, W>(&self, started: Image, work: W) -> Image
    where
        W: FnOnce(Progress) -> F + Send + 'static,
        F: Future<Output = std::result::Result<Image, RuntimeError>> + Send + 'static,
    {
        let jobs = self.inner.image_jobs.clone();
        jobs.set(started.clone());
        let alias = started.alias.clone();
        self.inner.tasks.spawn(async move {
            let reporter = jobs.clone();
            let name = alias.clone();
            match work(Box::new(move |p: WorkProgress| reporter.progress(&name, p))).await {
                Ok(image) => {
                    tracing::info!("{alias} is ready ({})", image.fingerprint);
                    jobs.remove(&alias);
                }
                Err(e) => {
                    tracing::warn!("{alias} failed: {e}");
                    jobs.fail(&alias, e.to_string());
                }
            }
        });
        started
    }

    /// Deletes `alias` from this server (its files too, when no other alias names them). An
    /// image containers are made from is refused, naming them; a failed download is dismissed.
    pub async fn delete_image(&self, caller: &Principal, alias: &str) -> Result<Image> {
        caller.forbid_if_scoped("delete images")?;
        let images = self.user_images().await?;
        let image =
            images.into_iter().find(|i| i.alias == alias).ok_or_else(|| EngineError::not_found("image", alias))?;
        match image.status {
            ImageStatus::Downloading | ImageStatus::Building | ImageStatus::Importing => {
                return Err(EngineError::rule(
                    ErrorCode::WrongState,
                    format!("{alias} is being made; delete it once that has finished"),
                ));
            }
            ImageStatus::Failed => {
                return self.inner.image_jobs.remove(alias).ok_or_else(|| EngineError::not_found("image", alias));
            }
            ImageStatus::Ready | ImageStatus::Available => {}
        }
        let users = self.inner.store.image_users().await?.remove(alias).unwrap_or_default();
        if !users.is_empty() {
            return Err(EngineError::rule(
                ErrorCode::ImageInUse,
                format!(
                    "{alias} cannot be deleted: {} made from it ({}); delete them first",
                    count(users.len()),
                    users.join(", ")
                ),
            ));
        }
        self.inner.space.make_room();
        self.inner.runtime.remove_image(alias).await.map_err(|e| unknown_is_not_found(e, alias))?;
        self.inner.space.replenish();
        self.inner.image_jobs.remove(alias);
        Ok(image)
    }
}

/// An image the server is making, before the work has said anything of it.
fn job_image(alias: &str, status: ImageStatus, work: ImageWork, stage: String) -> Image {
    let (os, release) = alias.split_once('/').unwrap_or((alias, ""));
    Image {
        alias: alias.to_owned(),
        os: os.to_owned(),
        release: release.to_owned(),
        fingerprint: String::new(),
        size_bytes: 0,
        description: String::new(),
        created_at: chrono::Utc::now(),
        status,
        progress: Some(WorkProgress { stage, done: 0, total: 0 }),
        error: None,
        used_by: 0,
        work: Some(work),
    }
}

fn count(containers: usize) -> String {
    if containers == 1 { "1 container is".to_owned() } else { format!("{containers} containers are") }
}

/// An image that is not there is a 404 here (for a create it is an invalid field).
fn unknown_is_not_found(e: RuntimeError, alias: &str) -> EngineError {
    match e {
        RuntimeError::UnknownImage(why) => {
            tracing::debug!("{alias}: {why}");
            EngineError::Rule(hoody_model::ModelError::new(ErrorCode::NotFound, why))
        }
        other => other.into(),
    }
}
