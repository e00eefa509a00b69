//! `hoody-enter identity --root DIR --init KIND --hostname NAME [--env K=V]… [--resolver IP]
//! [--make-dir DIR]… [--give-cgroup DIR]`: writes the container's name, environment and
//! resolver into its root (see [`hoody_runtime::write_identity`]). Run as the containers' root
//! (under `userns`), so what it writes belongs to the container.
//!
//! A rootless engine's other steps as the containers' root before a boot ride on the same
//! namespace (each namespace costs the id mapping's setuid helpers, ~10 ms): `--make-dir` makes
//! a directory with its parents (the container's /ramdisk), `--give-cgroup` gives a cgroup the
//! engine made to the container's root (the directory and the files systemd inside writes to).

use crate::args::Args;
use hoody_runtime::InitKind;
use hoody_runtime::rootdir::RootDir;
use std::process::ExitCode;

pub fn main(raw: Vec<std::ffi::OsString>) -> Result<ExitCode, String> {
    let args = Args::parse(raw, &[])?;
    let root = args.required("root")?;
    let (init, hostname, env) = (args.required("init")?, args.required("hostname")?, args.assignments("env")?);
    write(std::path::Path::new(&root), &init, &hostname, &env, args.text("resolver")?.as_deref())?;
    for dir in args.all("make-dir") {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.to_string_lossy()))?;
    }
    if let Some(cgroup) = args.one("give-cgroup") {
        give_cgroup(std::path::Path::new(cgroup))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The namespace's root (the container's) takes the cgroup `dir` as a delegation gives it.
fn give_cgroup(dir: &std::path::Path) -> Result<(), String> {
    for path in hoody_runtime::delegated_paths(dir) {
        std::os::unix::fs::chown(&path, Some(0), Some(0))
            .map_err(|e| format!("cannot give {} to the container: {e}", path.display()))?;
    }
    Ok(())
}

pub fn write(
    root: &std::path::Path,
    init: &str,
    hostname: &str,
    env: &[(String, String)],
    resolver: Option<&str>,
) -> Result<(), String> {
    let init = InitKind::parse(init).ok_or_else(|| format!("--init {init}: expected systemd, busybox or other"))?;
    RootDir::open(root)
        .and_then(|dir| hoody_runtime::write_identity(&dir, init, hostname, env, resolver))
        .map_err(|e| format!("cannot write the container's hostname, environment and resolver: {e}"))
}
