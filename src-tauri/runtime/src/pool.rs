//! Prespawn: per image, a few containers already booted (neutral hostname, no extra
//! environment, a ramdisk) wait in pool slots `pool-…`. A create that fits one claims it: the
//! slot is marked with the container's id, the container's bundle path becomes a symlink to the
//! slot, and its name is written into the rootfs and set in its UTS namespace. That takes
//! milliseconds instead of a boot; the pool is topped up in the background.

use crate::error::{Result, RuntimeError};
use crate::local::{BootSpec, LocalRuntime, blocking};
use crate::phases::{phase, timed};
use hoody_model::Container;
use std::collections::HashMap;
use std::sync::Mutex;

const POOL_PREFIX: &str = "pool-";
const POOL_HOSTNAME: &str = "prespawn";

#[derive(Debug, Default)]
pub(crate) struct Pools {
    /// Ready slots per image fingerprint, with their init's host pid (checked on claim
    /// through /proc, which is much cheaper than asking runc).
    ready: Mutex<HashMap<String, Vec<Member>>>,
    /// One refill at a time; the first also adopts the slots an earlier run left.
    filling: tokio::sync::Mutex<bool>,
}

#[derive(Debug, Clone)]
struct Member {
    slot: String,
    pid: u32,
}

impl Pools {
    fn take(&self, image: &str) -> Option<Member> {
        self.ready.lock().expect("pool lock").get_mut(image)?.pop()
    }

    fn count(&self, image: &str) -> usize {
        self.ready.lock().expect("pool lock").get(image).map_or(0, Vec::len)
    }

    fn add(&self, image: &str, member: Member) {
        self.ready.lock().expect("pool lock").entry(image.to_owned()).or_default().push(member);
    }
}

impl LocalRuntime {
    /// A pool member can stand in for `c` when their boot would be the same: no environment
    /// of its own (the init's environment is fixed at boot), a ramdisk and a network, and no
    /// nested user namespaces.
    fn fits_pool(c: &Container) -> bool {
        c.environment_vars.is_empty() && c.ramdisk && c.network && !c.nesting
    }

    pub(crate) fn pool_ready_for(&self, c: &Container) -> bool {
        Self::fits_pool(c) && self.images.resolve(&c.container_image).is_ok_and(|image| self.pools.count(&image) > 0)
    }

    pub(crate) async fn claim_from_pool(&self, c: &Container) -> Result<bool> {
        if !Self::fits_pool(c) {
            return Ok(false);
        }
        let Ok(image) = self.images.resolve(&c.container_image) else { return Ok(false) };
        let Some(Member { slot, pid }) = self.pools.take(&image) else { return Ok(false) };
        if !crate::procfs::is_alive(pid) {
            // It died while waiting; the caller creates the container the slow way.
            self.remove_slot(&slot).await?;
            return Ok(false);
        }
        let record = phase("claim: the slot's record and link");
        let mut instance = self.instance(&slot)?;
        instance.claimed_by = Some(c.id.clone());
        self.save_instance(&slot, &instance)?;
        std::os::unix::fs::symlink(&slot, self.layout.container(&c.id))
            .map_err(|e| RuntimeError::io("cannot link the container to its prespawned slot", e))?;
        drop(record);
        // Its name, written and set from inside (where its root is mounted), as its root.
        let mut rename = self.files.enter()?.join(pid);
        rename.arg("--sethostname").arg(&c.name).args(["--identity-init", instance.init.as_str()]);
        rename.args(["--resolver", crate::network::RESOLVER]);
        timed("claim: its name (hoody-enter join)", blocking(move || crate::container_files::run(&mut rename))).await?;
        Ok(true)
    }

    pub(crate) async fn refill_pools(&self) -> Result<()> {
        let mut adopted = self.pools.filling.lock().await;
        if !*adopted {
            self.adopt_pool_slots().await?;
            *adopted = true;
        }
        self.trim_pools().await?;
        for (alias, size) in &self.config.prespawn {
            let (image, init) = match self.image_for(alias) {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!("prespawn pool for {alias} stays empty: {e}");
                    continue;
                }
            };
            while self.pools.count(&image) < *size {
                let slot = format!("{POOL_PREFIX}{}", hoody_model::ids::random_hex(8));
                self.make_bundle(&slot, &image, init)?;
                let boot = BootSpec {
                    hostname: POOL_HOSTNAME.into(),
                    env: Vec::new(),
                    ramdisk: true,
                    network: true,
                    nesting: false,
                };
                let booted = match self.boot(&slot, &boot).await {
                    Ok(()) => self.runc.state(&slot).await,
                    Err(e) => Err(e),
                };
                match booted {
                    Ok(Some(state)) => self.pools.add(&image, Member { slot, pid: state.pid }),
                    Ok(None) => {
                        self.remove_slot(&slot).await?;
                        return Err(RuntimeError::Failed(format!("prespawned {slot} vanished right after its start")));
                    }
                    Err(e) => {
                        let _ = self.remove_slot(&slot).await;
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }

    /// Removes ready slots beyond each image's configured size (all of them for an image no
    /// longer configured, or whose alias now points elsewhere).
    async fn trim_pools(&self) -> Result<()> {
        let wanted: HashMap<String, usize> = self
            .config
            .prespawn
            .iter()
            .filter_map(|(alias, size)| Some((self.images.resolve(alias).ok()?, *size)))
            .collect();
        let images: Vec<String> = self.pools.ready.lock().expect("pool lock").keys().cloned().collect();
        for image in images {
            while self.pools.count(&image) > wanted.get(&image).copied().unwrap_or(0) {
                let Some(member) = self.pools.take(&image) else { break };
                self.remove_slot(&member.slot).await?;
            }
        }
        Ok(())
    }

    /// Removes every ready (unclaimed) prespawn slot.
    pub async fn drain_pools(&self) -> Result<()> {
        let _filling = self.pools.filling.lock().await;
        let members: Vec<Member> =
            self.pools.ready.lock().expect("pool lock").drain().flat_map(|(_, members)| members).collect();
        for member in members {
            self.remove_slot(&member.slot).await?;
        }
        Ok(())
    }

    /// Slots an earlier run left: running and unclaimed ones rejoin the pool; claimed ones
    /// belong to their container; anything else (a claim cut off by a crash, a stopped member)
    /// is removed.
    async fn adopt_pool_slots(&self) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(self.layout.containers()) else { return Ok(()) };
        for entry in entries.flatten() {
            let slot = entry.file_name().to_string_lossy().into_owned();
            if !slot.starts_with(POOL_PREFIX) || entry.file_type().is_ok_and(|t| t.is_symlink()) {
                continue;
            }
            let instance = self.instance(&slot).ok();
            let keep = match instance.as_ref().and_then(|i| i.claimed_by.as_ref()) {
                Some(owner) => std::fs::symlink_metadata(self.layout.container(owner)).is_ok_and(|m| m.is_symlink()),
                None => match (self.runc.state(&slot).await?, &instance) {
                    (Some(state), Some(instance)) if state.status == "running" => {
                        self.pools.add(&instance.image, Member { slot: slot.clone(), pid: state.pid });
                        true
                    }
                    _ => false,
                },
            };
            if !keep {
                tracing::info!(slot, "removing a prespawn slot left by an earlier run");
                self.remove_slot(&slot).await?;
            }
        }
        Ok(())
    }
}
