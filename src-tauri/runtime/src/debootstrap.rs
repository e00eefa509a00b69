//! `hoodyd image build debian/N`: a Debian rootfs made with debootstrap (minbase plus what a
//! system container needs to boot systemd), imported like any tarball.

use crate::error::{Result, RuntimeError};
use crate::images::{ImageStore, run};
use hoody_model::Image;
use std::process::Command;

pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// The Debian codename of a `debian/N` alias.
pub fn codename(alias: &str) -> Result<&'static str> {
    match alias {
        "debian/11" => Ok("bullseye"),
        "debian/12" => Ok("bookworm"),
        "debian/13" => Ok("trixie"),
        other => Err(RuntimeError::Invalid(format!(
            "cannot build {other}: debootstrap builds debian/11, debian/12 and debian/13; import other images"
        ))),
    }
}

/// Packages beyond minbase: an init, a bus, and the tools a user expects in a shell.
const INCLUDE: &str = "systemd-sysv,dbus,iproute2,procps,less,ca-certificates";

impl ImageStore {
    /// Builds and imports a Debian image (blocking, about a minute).
    pub fn build_debian(&self, alias: &str, mirror: &str) -> Result<Image> {
        let suite = codename(alias)?;
        if Command::new("debootstrap").arg("--version").output().is_err() {
            return Err(RuntimeError::Unavailable("debootstrap is not installed (apt-get install debootstrap)".into()));
        }
        let staged = self.stage()?;
        let tree = staged.join("rootfs");
        let built = run(Command::new("debootstrap")
            .args(["--variant=minbase", &format!("--include={INCLUDE}"), suite])
            .arg(&tree)
            .arg(mirror))
        .and_then(|()| {
            // debootstrap leaves the build host's name and apt cache behind.
            let _ = std::fs::write(tree.join("etc/hostname"), "debian\n");
            let _ = std::fs::remove_dir_all(tree.join("var/cache/apt/archives"));
            let _ = std::fs::create_dir_all(tree.join("var/cache/apt/archives/partial"));
            self.import_tree(alias, &tree, &format!("Debian {} ({suite}), debootstrap minbase", &alias[7..]))
        });
        let _ = std::fs::remove_dir_all(&staged);
        built
    }
}
