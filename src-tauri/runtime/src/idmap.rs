//! Whose ids a container's ids are on the host. Container ids 0–65535 map to one unprivileged
//! host range: the subordinate range (`/etc/subuid`, `/etc/subgid`) of the user who runs the
//! engine, or, for an engine run by root, a fixed high range of its own. Container root is
//! then an ordinary host uid that owns nothing of the host's.

/// How many ids a container has (0–65535).
pub const SIZE: u32 = 65_536;

/// The host range a root engine gives its containers: high, below 2^31 (which some tools
/// treat as signed), and outside the ranges `useradd` hands out (100000–600100000).
pub const ROOT_BASE: u32 = 0x7000_0000;

/// The engine's user and the host ranges its containers' ids map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdMap {
    /// The engine's own uid and gid.
    pub engine_uid: u32,
    pub engine_gid: u32,
    /// Host uid and gid of container id 0.
    pub uid_base: u32,
    pub gid_base: u32,
}

impl IdMap {
    /// The map of the user running this process: a root engine's fixed range, or the user's
    /// first subordinate ranges of at least [`SIZE`] ids.
    pub fn of_this_user() -> Result<Self, String> {
        let uid = rustix::process::geteuid().as_raw();
        let gid = rustix::process::getegid().as_raw();
        if uid == 0 {
            return Ok(Self { engine_uid: 0, engine_gid: gid, uid_base: ROOT_BASE, gid_base: ROOT_BASE });
        }
        let name = user_name(uid).ok_or_else(|| format!("uid {uid} has no entry in /etc/passwd"))?;
        let lookup = |file: &str| {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            first_range(&text, &name, uid).ok_or_else(|| {
                format!(
                    "user {name} has no subordinate range of {SIZE} ids in {file}: run `sudo hoodyd host-setup --user {name}` once"
                )
            })
        };
        Ok(Self {
            engine_uid: uid,
            engine_gid: gid,
            uid_base: lookup("/etc/subuid")?,
            gid_base: lookup("/etc/subgid")?,
        })
    }

    pub fn rootless(&self) -> bool {
        self.engine_uid != 0
    }
}

/// The first range of `name` (or its numeric uid) with at least [`SIZE`] ids, in the format of
/// /etc/subuid (`name:start:count` per line).
fn first_range(table: &str, name: &str, uid: u32) -> Option<u32> {
    let uid = uid.to_string();
    table.lines().find_map(|line| {
        let mut fields = line.trim().split(':');
        let (owner, start, count) = (fields.next()?, fields.next()?, fields.next()?);
        let (start, count) = (start.parse::<u32>().ok()?, count.parse::<u32>().ok()?);
        ((owner == name || owner == uid) && count >= SIZE && start > 0).then_some(start)
    })
}

/// The login name of `uid`, from /etc/passwd.
pub fn user_name(uid: u32) -> Option<String> {
    name_in(&std::fs::read_to_string("/etc/passwd").ok()?, uid)
}

fn name_in(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid.to_string()).then(|| name.to_owned())
    })
}

/// Whether this process runs as root.
pub fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether the shadow-utils helpers a rootless engine needs are installed.
pub fn id_mappers_missing() -> Option<String> {
    ["newuidmap", "newgidmap"].iter().find(|tool| crate::enter::on_path(tool).is_none()).map(|tool| {
        format!("{tool} is not installed (apt-get install uidmap, or run `sudo hoodyd host-setup --user NAME`)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subordinate_ranges_by_name_or_uid() {
        let table = "alice:100000:65536\nbob:165536:1000\n1002:300000:65536\nbob:400000:70000\n";
        assert_eq!(first_range(table, "alice", 1000), Some(100_000));
        assert_eq!(first_range(table, "bob", 1001), Some(400_000), "the first range big enough");
        assert_eq!(first_range(table, "carol", 1002), Some(300_000));
        assert_eq!(first_range(table, "dave", 1003), None);
    }

    #[test]
    fn names_from_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n";
        assert_eq!(name_in(passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(name_in(passwd, 7), None);
    }
}
