//! What the runtime writes into a container's filesystem before each start, so that the
//! container's own init and every process it starts see the container's name and environment.

use crate::rootdir::RootDir;
use serde::{Deserialize, Serialize};
use std::io;

/// The image's init, which decides how the container is asked to halt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitKind {
    Systemd,
    Busybox,
    Other,
}

impl InitKind {
    pub fn detect(root: &RootDir) -> io::Result<Self> {
        Ok(match root.read_link("sbin/init")? {
            Some(target) if target.contains("systemd") => Self::Systemd,
            Some(target) if target.contains("busybox") => Self::Busybox,
            _ => Self::Other,
        })
    }

    /// Its name on hoody-enter's command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Systemd => "systemd",
            Self::Busybox => "busybox",
            Self::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Systemd, Self::Busybox, Self::Other].into_iter().find(|kind| kind.as_str() == name)
    }

    /// The signal that makes this init shut the system down cleanly.
    pub fn halt_signal(self) -> i32 {
        match self {
            // SIGRTMIN+3: systemd's "halt"; it ignores SIGTERM as PID 1.
            Self::Systemd => 37,
            // busybox init: SIGUSR2 = poweroff (SIGTERM would reboot).
            Self::Busybox => libc_signal::SIGUSR2,
            Self::Other => libc_signal::SIGTERM,
        }
    }
}

mod libc_signal {
    pub const SIGUSR2: i32 = 12;
    pub const SIGTERM: i32 = 15;
}

const MARK: &str = "# managed by hoody";

/// Writes hostname, hosts entry, environment and resolver (the network's, or none when the
/// container has no network) into the rootfs.
pub fn write_identity(
    root: &RootDir,
    init: InitKind,
    hostname: &str,
    env: &[(String, String)],
    resolver: Option<&str>,
) -> io::Result<()> {
    root.write("etc/hostname", &format!("{hostname}\n"))?;
    write_resolver(root, resolver)?;

    let hosts = root.read("etc/hosts")?.unwrap_or_else(|| "127.0.0.1\tlocalhost\n::1\tlocalhost\n".into());
    let mut kept: Vec<&str> = hosts.lines().filter(|l| !l.ends_with(MARK)).collect();
    let ours = format!("127.0.1.1\t{hostname} {MARK}");
    kept.push(&ours);
    root.write("etc/hosts", &(kept.join("\n") + "\n"))?;

    // /etc/environment: read by pam_env for logins and by our kit services.
    let current = root.read("etc/environment")?.unwrap_or_default();
    let mut lines: Vec<String> = current.lines().filter(|l| !l.ends_with(MARK)).map(str::to_owned).collect();
    lines.extend(env.iter().map(|(k, v)| format!("{k}=\"{}\" {MARK}", v.replace('"', "\\\""))));
    root.write("etc/environment", &(lines.join("\n") + if lines.is_empty() { "" } else { "\n" }))?;

    if init == InitKind::Systemd {
        // systemd gives services DefaultEnvironment, not its own environment.
        let assignments: Vec<String> =
            env.iter().map(|(k, v)| format!("\"{k}={}\"", v.replace('\\', "\\\\").replace('"', "\\\""))).collect();
        let conf = format!("{MARK}\n[Manager]\nDefaultEnvironment={}\n", assignments.join(" "));
        root.write("etc/systemd/system.conf.d/hoody-environment.conf", &conf)?;
        // No console pty is attached; a getty on /dev/console would only fail.
        root.symlink("/dev/null", "etc/systemd/system/console-getty.service")?;
    }
    Ok(())
}

/// /etc/resolv.conf: the network's resolver; without a network, an image's own file is left
/// alone and one of ours says there is none. A link (systemd-resolved's stub) is replaced.
fn write_resolver(root: &RootDir, resolver: Option<&str>) -> io::Result<()> {
    let ours = root.read("etc/resolv.conf").ok().flatten().is_some_and(|text| text.contains(MARK));
    match resolver {
        Some(ip) => {
            if root.read_link("etc/resolv.conf")?.is_some() {
                root.remove("etc/resolv.conf")?;
            }
            root.write(
                "etc/resolv.conf",
                &format!("{MARK}: the container's network (when on) forwards DNS to the host\nnameserver {ip}\n"),
            )
        }
        None if ours => root.write("etc/resolv.conf", &format!("{MARK}: this container has no network\n")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_replaces_only_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/hosts"), "127.0.0.1\tlocalhost\n10.0.0.9\tdb\n").unwrap();
        std::fs::write(dir.path().join("etc/environment"), "LANG=C\n").unwrap();
        let root = RootDir::open(dir.path()).unwrap();
        let env = vec![("A".to_owned(), "1 \"q\"".to_owned())];
        write_identity(&root, InitKind::Systemd, "old", &env, Some("10.0.2.3")).unwrap();
        write_identity(&root, InitKind::Systemd, "web", &env, Some("10.0.2.3")).unwrap();
        assert!(root.read("etc/resolv.conf").unwrap().unwrap().ends_with("nameserver 10.0.2.3\n"));
        write_identity(&root, InitKind::Systemd, "web", &env, None).unwrap();
        assert!(!root.read("etc/resolv.conf").unwrap().unwrap().contains("nameserver"), "no network, no resolver");

        assert_eq!(root.read("etc/hostname").unwrap().unwrap(), "web\n");
        let hosts = root.read("etc/hosts").unwrap().unwrap();
        assert!(hosts.contains("10.0.0.9\tdb") && hosts.contains("127.0.1.1\tweb") && !hosts.contains("old"));
        let environment = root.read("etc/environment").unwrap().unwrap();
        assert_eq!(environment.matches("A=").count(), 1);
        assert!(environment.starts_with("LANG=C\n"));
        let conf = root.read("etc/systemd/system.conf.d/hoody-environment.conf").unwrap().unwrap();
        assert!(conf.contains(r#"DefaultEnvironment="A=1 \"q\"""#), "{conf}");
    }
}
