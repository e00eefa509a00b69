//! Starting service processes inside a container. Every kit process is started by
//! `hoody-enter join` (see the `hoody-enter` crate): it joins the container's cgroups first
//! (its limits hold the process, pausing freezes it, its CPU time counts as the
//! container's), then its user namespace as the container's root, then its other
//! namespaces, and keeps only the container's capabilities and seccomp filter before the
//! program runs. A kit process never holds more than the container it serves.

use std::sync::OnceLock;

/// The helper, found once (beside the running program, or on PATH).
fn helper() -> Result<&'static std::path::Path, String> {
    static HELPER: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    HELPER.get_or_init(hoody_runtime::enter::find_helper).as_deref().ok_or_else(|| {
        "the kit's helper hoody-enter is not installed beside this program or on PATH (cargo build -p hoody-enter)"
            .into()
    })
}

/// `hoody-enter join --pid INIT`: add flags (`--setsid`, `--ctty`, `--detach`), then `--`
/// and the program with its arguments. The program inherits this command's environment and
/// standard streams; the helper stays its parent and exits with its status.
pub fn contained(init_pid: u32) -> std::io::Result<tokio::process::Command> {
    let helper = helper().map_err(std::io::Error::other)?;
    let mut command = tokio::process::Command::new(helper);
    command.arg("join").arg("--pid").arg(init_pid.to_string());
    Ok(command)
}
