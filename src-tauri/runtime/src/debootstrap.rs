//! Building `debian/N` images: a Debian rootfs of minbase plus what a system container needs to
//! boot systemd, imported like any tarball. Root builds with debootstrap; an ordinary user (the
//! desktop's engine) with mmdebstrap in a user namespace of its subordinate ids, which writes a
//! tarball with the image's own owners without root.

use crate::enter::on_path;
use crate::error::{Result, RuntimeError};
use crate::idmap::running_as_root;
use crate::images::{ImageStore, run};
use hoody_model::Image;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

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

/// Why `alias` cannot be built by this process, if it cannot: an alias debootstrap does not
/// make, or the tool this user needs missing.
pub fn check_buildable(alias: &str) -> Result<()> {
    codename(alias)?;
    let tool = builder();
    if on_path(tool).is_none() {
        return Err(RuntimeError::Unavailable(format!("{tool} is not installed (apt-get install {tool})")));
    }
    if !running_as_root()
        && let Some(missing) = crate::idmap::id_mappers_missing()
    {
        return Err(RuntimeError::Unavailable(missing));
    }
    Ok(())
}

fn builder() -> &'static str {
    if running_as_root() { "debootstrap" } else { "mmdebstrap" }
}

/// Packages beyond minbase: an init, a bus, the tools a user expects in a shell, and the
/// display service's X server (Xvnc, which runs inside the container like every kit
/// process), its input tool (xdotool), its clipboard tool (xclip), and small X clients
/// (xlogo, xclock, xwd from x11-apps; xprop, xwininfo from x11-utils).
const INCLUDE: &str = "systemd-sysv,dbus,iproute2,procps,less,ca-certificates,x11-apps,x11-utils,\
                       tigervnc-standalone-server,xdotool,xclip";

/// Runs debootstrap into `tree` (as root; blocking, about a minute), each of its `I:` lines
/// passed to `step`.
fn debootstrap(alias: &str, mirror: &str, tree: &Path, step: &mut dyn FnMut(&str)) -> Result<()> {
    let suite = codename(alias)?;
    let mut cmd = Command::new("debootstrap");
    cmd.args(["--variant=minbase", &format!("--include={INCLUDE}"), suite]).arg(tree).arg(mirror);
    run_reporting(&mut cmd, step)?;
    // debootstrap leaves the build host's name and the downloaded packages behind.
    std::fs::write(tree.join("etc/hostname"), "debian\n").map_err(|e| RuntimeError::io("etc/hostname", e))?;
    let archives = tree.join("var/cache/apt/archives");
    let _ = std::fs::remove_dir_all(&archives);
    std::fs::create_dir_all(archives.join("partial")).map_err(|e| RuntimeError::io("apt cache", e))
}

/// Runs mmdebstrap in a user namespace (as an ordinary user; about a minute), writing the
/// rootfs as the tarball `out`. Its temporary tree goes to /var/tmp (on disk, unlike a tmpfs
/// /tmp): it must be a place the namespace's root, a subordinate id, can enter, which the
/// user's own data dir is not.
fn mmdebstrap(alias: &str, mirror: &str, out: &Path, step: &mut dyn FnMut(&str)) -> Result<()> {
    let suite = codename(alias)?;
    let mut cmd = Command::new("mmdebstrap");
    if Path::new("/var/tmp").is_dir() {
        cmd.env("TMPDIR", "/var/tmp");
    }
    cmd.args(["--mode=unshare", "--variant=minbase", &format!("--include={INCLUDE}")])
        // mmdebstrap copies the build host's name in; apt's cache it empties itself.
        .arg("--customize-hook=echo debian > \"$1/etc/hostname\"")
        .arg(suite)
        .arg(out)
        .arg(mirror);
    run_reporting(&mut cmd, step)
}

/// Runs `cmd`, passing each informational line it writes (`I: …`) to `step`; a failure says
/// the last lines it wrote, where debootstrap and mmdebstrap say what went wrong.
fn run_reporting(cmd: &mut Command, step: &mut dyn FnMut(&str)) -> Result<()> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RuntimeError::io(format!("cannot run {program}"), e))?;
    let mut last = VecDeque::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(std::result::Result::ok) {
            if let Some(info) = line.strip_prefix("I: ") {
                step(info.trim_end_matches("..."));
            }
            last.push_back(line);
            if last.len() > 3 {
                last.pop_front();
            }
        }
    }
    let status = child.wait().map_err(|e| RuntimeError::io(format!("cannot wait for {program}"), e))?;
    if status.success() {
        return Ok(());
    }
    let said: Vec<String> = last.into_iter().collect();
    Err(RuntimeError::Failed(format!("{program} failed ({status}): {}", said.join(" / "))))
}

fn description(alias: &str) -> String {
    format!("Debian {} ({}), debootstrap minbase", alias.trim_start_matches("debian/"), codename(alias).unwrap_or("?"))
}

impl ImageStore {
    /// Builds and imports a Debian image (blocking, about a minute), each step of the build
    /// passed to `step` in words. Nothing is left behind when it fails.
    pub fn build_debian(&self, alias: &str, mirror: &str, step: &mut dyn FnMut(&str)) -> Result<Image> {
        check_buildable(alias)?;
        let staged = self.stage()?;
        let built = if running_as_root() {
            let tree = staged.join("rootfs");
            debootstrap(alias, mirror, &tree, step).and_then(|()| self.import_tree(alias, &tree, &description(alias)))
        } else {
            let tarball = staged.join("rootfs.tar");
            mmdebstrap(alias, mirror, &tarball, step).and_then(|()| {
                step("importing");
                self.import_tarball(alias, &tarball, &description(alias))
            })
        };
        self.discard(&staged);
        built
    }
}

/// Builds a Debian rootfs tarball at `out` without importing it (for test images and for
/// copying to other machines).
pub fn build_debian_tarball(alias: &str, mirror: &str, out: &Path) -> Result<()> {
    check_buildable(alias)?;
    let mut say = |step: &str| eprintln!("{alias}: {step}");
    if !running_as_root() {
        return mmdebstrap(alias, mirror, out, &mut say);
    }
    let tree = out.with_extension("rootfs");
    let _ = std::fs::remove_dir_all(&tree);
    std::fs::create_dir_all(&tree).map_err(|e| RuntimeError::io(format!("cannot create {}", tree.display()), e))?;
    let built = debootstrap(alias, mirror, &tree, &mut say).and_then(|()| {
        run(Command::new("tar").args(["--numeric-owner", "--xattrs", "-C"]).arg(&tree).arg("-cf").arg(out).arg("."))
    });
    let _ = std::fs::remove_dir_all(&tree);
    built
}
