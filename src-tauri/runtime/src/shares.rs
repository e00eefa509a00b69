//! Storage shares on this machine: a share is a directory of the runtime's
//! (`DATA/runtime/shares/{id}`) holding what was a container's directory. Made from a stopped
//! container (a copy of its directory, read through its layers as its root), then bound at each
//! start (in runc's namespace, before the container's own: read-only binds arrive locked): back
//! at its path in the source, and at `/mnt/shares/{name}` in each target. All containers share one id map, so the files' owners are the same in each.

use crate::enter::{Bind, Overlay, Setup, View};
use crate::error::{Result, RuntimeError};
use crate::local::{LocalRuntime, blocking};
use hoody_model::{Container, Id};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One share a container mounts when it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareMount {
    pub share: Id,
    /// Where in the container.
    pub path: String,
    pub read_only: bool,
    /// Not mounted from this time on (Unix seconds); a source's own mount never expires.
    pub expires_at: Option<i64>,
}

/// Copies the container's `$2` (under the root at `$1`) into the share's directory `$3`, refusing
/// a path that is not a directory or that passes through a symbolic link (which would point
/// outside the container's root, at the host, when read from here). Exit 3: the path's fault.
const COPY: &str = r#"set -e
src="$1$2"
[ -e "$src" ] || { echo "$2 does not exist in the container: make it first" >&2; exit 3; }
[ "$(realpath -e -- "$src")" = "$src" ] || { echo "$2 passes through a symbolic link: share the directory itself" >&2; exit 3; }
[ -d "$src" ] || { echo "$2 is not a directory" >&2; exit 3; }
cp -a --one-file-system -- "$src/." "$3/"
"#;

impl LocalRuntime {
    /// Makes the share `share` of the stopped container's directory `path` (see the module).
    pub(crate) async fn make_share_of(&self, c: &Container, share: &Id, path: &str) -> Result<()> {
        let slot = self.slot(&c.id);
        if let Some(state) = self.runc.state(&slot).await?
            && matches!(state.status.as_str(), "running" | "paused" | "created")
        {
            return Err(RuntimeError::Invalid(format!("{} is running: stop it to share its {path}", c.name)));
        }
        let bundle = self.bundle(&slot);
        let instance = self.instance(&slot)?;
        let dir = self.layout.share(share);
        std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::io("cannot make the share's directory", e))?;
        let lower = self.images.rootfs(&instance.image);
        let (upper, work, rootfs) = (bundle.upper(), bundle.work(), bundle.rootfs());
        let overlay = Overlay { lower: &lower, upper: &upper, work: &work, target: &rootfs };
        let setup =
            Setup { own: vec![&upper, &dir], overlay: Some(overlay), die_with_parent: true, ..Setup::default() };
        let mut command = self.files.enter()?.userns(View::ContainerRoot, &setup, "/bin/sh");
        command.args(["-c", COPY, "share"]).arg(&rootfs).arg(path).arg(&dir);
        let path = path.to_owned();
        let copied = blocking(move || {
            let out = command.output().map_err(|e| RuntimeError::io("cannot run the share's copy", e))?;
            let said = String::from_utf8_lossy(&out.stderr).trim().lines().last().unwrap_or("no message").to_owned();
            match out.status.code() {
                Some(0) => Ok(()),
                Some(3) => Err(RuntimeError::Invalid(said)),
                _ => Err(RuntimeError::Failed(format!("copying {path} into the share failed: {said}"))),
            }
        })
        .await;
        if copied.is_err() {
            let _ = self.remove_share_dir(share).await;
        }
        copied
    }

    pub(crate) async fn remove_share_dir(&self, share: &Id) -> Result<()> {
        let (files, dir) = (self.files.clone(), self.layout.share(share));
        blocking(move || files.remove_tree(&dir)).await
    }

    /// Bytes of the files in the share (read as the containers' root: any file of theirs).
    pub(crate) async fn share_bytes(&self, share: &Id) -> Result<u64> {
        let dir = self.layout.share(share);
        if !dir.is_dir() {
            return Err(RuntimeError::Failed(format!("the share's directory {} is missing", dir.display())));
        }
        let mut du = self.files.enter()?.as_container_root("du");
        du.args(["-s", "-b", "--"]).arg(&dir);
        blocking(move || {
            let out = du.output().map_err(|e| RuntimeError::io("cannot run du", e))?;
            let text = String::from_utf8_lossy(&out.stdout);
            text.split_whitespace().next().and_then(|n| n.parse().ok()).ok_or_else(|| {
                RuntimeError::Failed(format!(
                    "du could not measure the share: {}",
                    String::from_utf8_lossy(&out.stderr)
                ))
            })
        })
        .await
    }

    /// Records the shares the container mounts from its next start.
    pub(crate) fn keep_mounts(&self, c: &Container, mounts: &[ShareMount]) -> Result<()> {
        let bundle = self.bundle(&self.slot(&c.id));
        std::fs::create_dir_all(&bundle.dir).map_err(|e| RuntimeError::io("cannot make the container's bundle", e))?;
        let text = serde_json::to_vec(mounts).expect("mounts serialise");
        let tmp = bundle.shares().with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, bundle.shares()))
            .map_err(|e| RuntimeError::io("cannot record the container's shares", e))
    }

    /// The binds of a start: each kept share whose directory exists and has not expired.
    pub(crate) fn binds(&self, kept: &Path) -> Vec<Bind> {
        let mounts: Vec<ShareMount> =
            std::fs::read(kept).ok().and_then(|text| serde_json::from_slice(&text).ok()).unwrap_or_default();
        let now = chrono::Utc::now().timestamp();
        mounts
            .into_iter()
            .filter(|m| m.expires_at.is_none_or(|at| at > now))
            .map(|m| Bind { source: self.layout.share(&m.share), at: m.path, read_only: m.read_only })
            .filter(|bind| bind.source.is_dir())
            .collect()
    }

    /// Where shares are mounted in the running container now (from its init's mount table).
    pub(crate) async fn mounted_paths(&self, c: &Container) -> Result<Vec<String>> {
        let Some(state) = self.runc.state(&self.slot(&c.id)).await? else { return Ok(Vec::new()) };
        if !matches!(state.status.as_str(), "running" | "paused") {
            return Ok(Vec::new());
        }
        let table = std::fs::read_to_string(format!("/proc/{}/mountinfo", state.pid))
            .map_err(|e| RuntimeError::io("cannot read the container's mounts", e))?;
        Ok(table.lines().filter_map(|l| l.split(' ').nth(4)).map(crate::mounts::unescape).collect())
    }
}
