//! `hoodyd image build debian/N`: a Debian rootfs made with debootstrap (minbase plus what a
//! system container needs to boot systemd), imported like any tarball.

use crate::error::{Result, RuntimeError};
use crate::images::{ImageStore, run};
use hoody_model::Image;
use std::path::Path;
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

/// Packages beyond minbase: an init, a bus, the tools a user expects in a shell, and the
/// display service's X server (Xvnc, which runs inside the container like every kit
/// process), its input tool (xdotool), and small X clients (xlogo, xclock, xwd…).
const INCLUDE: &str =
    "systemd-sysv,dbus,iproute2,procps,less,ca-certificates,x11-apps,tigervnc-standalone-server,xdotool";

/// Runs debootstrap into `tree` (blocking, about a minute).
fn debootstrap(alias: &str, mirror: &str, tree: &Path) -> Result<()> {
    let suite = codename(alias)?;
    if Command::new("debootstrap").arg("--version").output().is_err() {
        return Err(RuntimeError::Unavailable("debootstrap is not installed (apt-get install debootstrap)".into()));
    }
    run(Command::new("debootstrap")
        .args(["--variant=minbase", &format!("--include={INCLUDE}"), suite])
        .arg(tree)
        .arg(mirror))?;
    // debootstrap leaves the build host's name and the downloaded packages behind.
    std::fs::write(tree.join("etc/hostname"), "debian\n").map_err(|e| RuntimeError::io("etc/hostname", e))?;
    let archives = tree.join("var/cache/apt/archives");
    let _ = std::fs::remove_dir_all(&archives);
    std::fs::create_dir_all(archives.join("partial")).map_err(|e| RuntimeError::io("apt cache", e))
}

fn description(alias: &str) -> String {
    format!("Debian {} ({}), debootstrap minbase", alias.trim_start_matches("debian/"), codename(alias).unwrap_or("?"))
}

impl ImageStore {
    /// Builds and imports a Debian image (blocking, about a minute).
    pub fn build_debian(&self, alias: &str, mirror: &str) -> Result<Image> {
        codename(alias)?;
        let staged = self.stage()?;
        let tree = staged.join("rootfs");
        let built =
            debootstrap(alias, mirror, &tree).and_then(|()| self.import_tree(alias, &tree, &description(alias)));
        let _ = std::fs::remove_dir_all(&staged);
        built
    }
}

/// Builds a Debian rootfs tarball at `out` without importing it (for test images and for
/// copying to other machines).
pub fn build_debian_tarball(alias: &str, mirror: &str, out: &Path) -> Result<()> {
    codename(alias)?;
    let tree = out.with_extension("rootfs");
    let _ = std::fs::remove_dir_all(&tree);
    std::fs::create_dir_all(&tree).map_err(|e| RuntimeError::io(format!("cannot create {}", tree.display()), e))?;
    let built = debootstrap(alias, mirror, &tree).and_then(|()| {
        run(Command::new("tar").args(["--numeric-owner", "--xattrs", "-C"]).arg(&tree).arg("-cf").arg(out).arg("."))
    });
    let _ = std::fs::remove_dir_all(&tree);
    built
}
