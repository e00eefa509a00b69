//! A container's firewall, set in its network namespace by nftables (the host's `nft`, run by
//! `hoody-enter join --net-admin`: the namespace's root with CAP_NET_ADMIN there, which the
//! container's own processes do not have). The ruleset is kept in the container's bundle and
//! set again at each start, after its init is created and before its network is attached, so
//! nothing leaves the container before its rules hold.

use crate::enter::Enter;
use crate::error::{Result, RuntimeError};
use std::path::Path;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// Where nftables' command line tool is looked for.
const NFT: [&str; 3] = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"];

fn nft() -> Result<&'static str> {
    NFT.into_iter().find(|p| Path::new(p).exists()).ok_or_else(|| {
        RuntimeError::Unavailable(
            "nftables is not installed on this host (apt-get install nftables): a container's firewall needs its nft"
                .into(),
        )
    })
}

/// Sets `ruleset` (an `nft -f` script) in the network namespace of the container whose init is
/// `init_pid`.
pub async fn apply(enter: &Enter, init_pid: u32, ruleset: &str) -> Result<()> {
    let mut command = tokio::process::Command::from(enter.join(init_pid));
    command.args(["--net-admin", "--", nft()?, "-f", "-"]);
    command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn().map_err(|e| RuntimeError::Failed(format!("nft did not start: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(ruleset.as_bytes()).await.map_err(|e| RuntimeError::Failed(format!("nft: {e}")))?;
    }
    let out = child.wait_with_output().await.map_err(|e| RuntimeError::Failed(format!("nft: {e}")))?;
    match out.status.success() {
        true => Ok(()),
        false => Err(RuntimeError::Failed(format!(
            "nft did not take the container's firewall: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// Keeps `ruleset` for the container's next starts (none: no firewall).
pub fn keep(file: &Path, ruleset: Option<&str>) -> Result<()> {
    match ruleset {
        Some(rules) => std::fs::write(file, rules).map_err(|e| RuntimeError::io("cannot keep the firewall's rules", e)),
        None => match std::fs::remove_file(file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(RuntimeError::io("cannot drop the firewall's rules", e))
            }
            _ => Ok(()),
        },
    }
}

/// The ruleset kept for the container, if any.
pub fn kept(file: &Path) -> Option<String> {
    std::fs::read_to_string(file).ok().filter(|r| !r.trim().is_empty())
}
