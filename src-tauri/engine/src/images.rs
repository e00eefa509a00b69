//! Images: what this server holds, is downloading, and can download. A download runs in the
//! background (it takes minutes); how far it is, and why it failed if it did, show in the list
//! of the server's images (`GET /images/user`), which the app polls while one runs.

use crate::{Engine, EngineError, Principal, Result, RuntimeError};
use hoody_model::{ErrorCode, Image, ImageStatus, WorkProgress, validate};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

/// Downloads under way, and those that failed (until retried or dismissed), by alias.
#[derive(Debug, Default, Clone)]
pub(crate) struct Pulls(Arc<Mutex<BTreeMap<String, Image>>>);

impl Pulls {
    fn get(&self, alias: &str) -> Option<Image> {
        self.0.lock().expect("pulls lock").get(alias).cloned()
    }

    fn set(&self, image: Image) {
        self.0.lock().expect("pulls lock").insert(image.alias.clone(), image);
    }

    fn remove(&self, alias: &str) -> Option<Image> {
        self.0.lock().expect("pulls lock").remove(alias)
    }

    fn all(&self) -> Vec<Image> {
        self.0.lock().expect("pulls lock").values().cloned().collect()
    }

    fn progress(&self, alias: &str, progress: WorkProgress) {
        if let Some(image) = self.0.lock().expect("pulls lock").get_mut(alias) {
            image.progress = Some(progress);
        }
    }
}

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

    /// The images this server holds (each with the number of containers made from it), and
    /// its downloads: under way (with their progress) or failed (with the reason).
    pub async fn user_images(&self) -> Result<Vec<Image>> {
        let mut images = self.held_images().await?;
        for pull in self.inner.pulls.all() {
            match images.iter_mut().find(|i| i.alias == pull.alias) {
                // A newer version of a held image on its way: the held one says so.
                Some(held) if pull.status == ImageStatus::Downloading => {
                    held.status = ImageStatus::Downloading;
                    held.progress = pull.progress;
                }
                Some(_) => {}
                None => images.push(pull),
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
        if let Some(under_way) = self.inner.pulls.get(&alias).filter(|p| p.status == ImageStatus::Downloading) {
            return Ok(under_way);
        }
        let offered = self.inner.runtime.find_offered(&alias).await.map_err(|e| unknown_is_not_found(e, &alias))?;
        let total = offered.size_bytes;
        let started = Image {
            status: ImageStatus::Downloading,
            progress: Some(WorkProgress { stage: format!("downloading {alias}"), done: 0, total }),
            error: None,
            ..offered
        };
        self.inner.pulls.set(started.clone());
        let (engine, pulls) = (self.clone(), self.inner.pulls.clone());
        self.inner.tasks.spawn(async move {
            let reporter = pulls.clone();
            let name = alias.clone();
            let progress = Box::new(move |p: WorkProgress| reporter.progress(&name, p));
            match engine.inner.runtime.pull_image(&alias, progress).await {
                Ok(image) => {
                    tracing::info!("pulled {alias} ({})", image.fingerprint);
                    pulls.remove(&alias);
                }
                Err(e) => {
                    tracing::warn!("pulling {alias} failed: {e}");
                    if let Some(mut failed) = pulls.get(&alias) {
                        failed.status = ImageStatus::Failed;
                        failed.error = Some(e.to_string());
                        failed.progress = None;
                        pulls.set(failed);
                    }
                }
            }
        });
        Ok(started)
    }

    /// Deletes `alias` from this server (its files too, when no other alias names them). An
    /// image containers are made from is refused, naming them; a failed download is dismissed.
    pub async fn delete_image(&self, caller: &Principal, alias: &str) -> Result<Image> {
        caller.forbid_if_scoped("delete images")?;
        let images = self.user_images().await?;
        let image =
            images.into_iter().find(|i| i.alias == alias).ok_or_else(|| EngineError::not_found("image", alias))?;
        match image.status {
            ImageStatus::Downloading => {
                return Err(EngineError::rule(
                    ErrorCode::WrongState,
                    format!("{alias} is being downloaded; delete it once the download has finished"),
                ));
            }
            ImageStatus::Failed => {
                return self.inner.pulls.remove(alias).ok_or_else(|| EngineError::not_found("image", alias));
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
        self.inner.runtime.remove_image(alias).await.map_err(|e| unknown_is_not_found(e, alias))?;
        self.inner.pulls.remove(alias);
        Ok(image)
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
