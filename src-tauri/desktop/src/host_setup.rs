//! The first window's one-time set-up of this computer, for a person who has no terminal open:
//! `pkexec hoodyd host-setup --user NAME`, with the system's own password prompt in front of it
//! (the package's polkit action, `dev.hoody.desktop.host-setup`, words it). What host-setup
//! changes (a subordinate id range, the overlay module, on hosts without systemd cgroups of the
//! user's own) is read by the engine when it starts: the app then starts again in place.

use crate::CommandError;
use hoody_model::ErrorCode;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `hoodyd` beside this program (the package's /usr/bin, or where `.ci/run-app` put both),
/// else on PATH.
fn hoodyd() -> Option<PathBuf> {
    let beside = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join("hoodyd")));
    beside.filter(|p| p.is_file()).or_else(|| hoody_runtime::enter::on_path("hoodyd"))
}

/// `hoodyd` where root can run it. A FUSE filesystem (the AppImage's image, which its runtime
/// mounts for this user alone) refuses every other user, root included: pkexec would find no
/// program there. Such a `hoodyd` is copied into this user's runtime directory (0700) for the
/// set-up, and the copy removed after it.
struct ForRoot {
    path: PathBuf,
    copy: Option<tempfile::TempDir>,
}

fn for_root(hoodyd: PathBuf) -> Result<ForRoot, CommandError> {
    if !hoody_runtime::enter::on_fuse(&hoodyd) {
        return Ok(ForRoot { path: hoodyd, copy: None });
    }
    let failed = |e: std::io::Error| {
        CommandError::new(ErrorCode::Internal, format!("cannot copy hoodyd out of the AppImage for the set-up: {e}"))
    };
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new().prefix("hoody-setup-").tempdir_in(base).map_err(failed)?;
    let path = dir.path().join("hoodyd");
    std::fs::copy(&hoodyd, &path).map_err(failed)?;
    Ok(ForRoot { path, copy: Some(dir) })
}

/// The command the set-up runs for `user`.
fn command(pkexec: &Path, hoodyd: &Path, user: &str) -> Command {
    let mut command = Command::new(pkexec);
    command.arg(hoodyd).args(["host-setup", "--user", user]);
    command
}

/// Runs the set-up for the user running the app (it asks for an administrator's password);
/// answers what host-setup changed, a line each (none: everything it does was in place).
pub async fn set_up_this_computer() -> Result<Vec<String>, CommandError> {
    // (/proc/self belongs to the process's effective user.)
    let uid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap_or(0);
    let user = hoody_runtime::idmap::user_name(uid)
        .ok_or_else(|| CommandError::new(ErrorCode::Internal, format!("uid {uid} has no name in /etc/passwd")))?;
    let manual = format!("run `sudo hoodyd host-setup --user {user}` in a terminal, then start Hoody Desktop again");
    let hoodyd = hoodyd().ok_or_else(|| {
        CommandError::new(ErrorCode::RuntimeUnavailable, format!("hoodyd is not installed beside the app: {manual}"))
    })?;
    let pkexec = hoody_runtime::enter::on_path("pkexec").ok_or_else(|| {
        CommandError::new(
            ErrorCode::RuntimeUnavailable,
            format!("pkexec is not installed (apt install pkexec), or {manual}"),
        )
    })?;
    let hoodyd = for_root(hoodyd)?;
    let out = tokio::task::spawn_blocking(move || {
        let out = command(&pkexec, &hoodyd.path, &user).output();
        drop(hoodyd.copy);
        out
    })
    .await
    .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?
    .map_err(|e| CommandError::new(ErrorCode::Internal, format!("cannot run pkexec: {e}")))?;
    let said = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_owned();
    let (stdout, stderr) = (said(&out.stdout), said(&out.stderr));
    match out.status.code() {
        Some(0) => Ok(stdout.lines().map(str::to_owned).collect()),
        // pkexec: 127 and one of these lines, there was nobody to ask for the password (no
        // polkit agent in this session, no terminal); 126, the prompt was dismissed; 127
        // otherwise, not authorized.
        Some(127) if NO_AGENT.iter().any(|line| stderr.contains(line)) => Err(CommandError::new(
            ErrorCode::RuntimeUnavailable,
            format!("this session has no password prompt for administrators (no polkit agent): {manual}"),
        )),
        Some(126 | 127) => {
            let pkexec_said = if stderr.is_empty() { String::new() } else { format!(" (pkexec: {stderr})") };
            Err(CommandError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "the set-up needs an administrator's password, and it was not given: nothing changed{pkexec_said}"
                ),
            ))
        }
        _ => Err(CommandError::new(ErrorCode::RuntimeFailed, format!("the set-up did not finish: {stderr}"))),
    }
}

/// What pkexec prints when no polkit agent can ask for the password.
const NO_AGENT: [&str; 2] = ["No authentication agent found", "Error creating textual authentication agent"];

/// Starts the app again in this process (exec: the same pid, the containers left running), for
/// its engine to read the set-up. Answers only when that fails.
pub fn start_again() -> CommandError {
    use std::os::unix::process::CommandExt;
    let failed = match std::env::current_exe() {
        Ok(exe) => Command::new(exe).args(std::env::args_os().skip(1)).exec(),
        Err(e) => e,
    };
    CommandError::new(ErrorCode::Internal, format!("cannot start again ({failed}): quit and start Hoody Desktop"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_up_is_hoodyd_host_setup_for_the_user_under_pkexec() {
        let c = command(Path::new("/usr/bin/pkexec"), Path::new("/usr/bin/hoodyd"), "alice");
        assert_eq!(c.get_program(), "/usr/bin/pkexec");
        let args: Vec<_> = c.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args, ["/usr/bin/hoodyd", "host-setup", "--user", "alice"]);
    }
}
