//! `hoody-enter identity --root DIR --init KIND --hostname NAME [--env K=V]… [--resolver IP]`:
//! writes the container's name, environment and resolver into its root (see [`hoody_runtime::write_identity`]).
//! Run as the containers' root (under `userns`), so what it writes belongs to the container.

use crate::args::Args;
use hoody_runtime::InitKind;
use hoody_runtime::rootdir::RootDir;
use std::process::ExitCode;

pub fn main(raw: Vec<std::ffi::OsString>) -> Result<ExitCode, String> {
    let args = Args::parse(raw, &[])?;
    let root = args.required("root")?;
    let (init, hostname, env) = (args.required("init")?, args.required("hostname")?, args.assignments("env")?);
    write(std::path::Path::new(&root), &init, &hostname, &env, args.text("resolver")?.as_deref())?;
    Ok(ExitCode::SUCCESS)
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
