//! The desktop app's capabilities, testable without Tauri or a display: the local server it
//! runs (engine, runtime, service proxy), the commands the UI calls, the tray menu's model and
//! `hoody://` deep links, and SSH keys generated for containers. `src-tauri/app` only wires them to Tauri.

pub mod autostart;
pub mod commands;
pub mod deeplink;
pub mod error;
pub mod host_setup;
pub mod instance;
mod listen;
pub mod local_api;
pub mod relay;
pub mod remotes;
pub mod scheme_handler;
pub mod sealing;
pub mod secrets;
pub mod sshkeys;
#[cfg(test)]
mod testing;
pub mod tray;

pub use commands::Desktop;

/// Why the desktop app will not run as this user, or None. It runs as the logged-in user,
/// never as root: its containers are unprivileged either way, and a window of root's would
/// give every page it shows, and every library it loads, the whole machine.
pub fn refusal_to_run() -> Option<String> {
    hoody_runtime::idmap::running_as_root().then(|| {
        "Hoody Desktop runs as the logged-in user, never as root: start it as yourself \
         (bash .ci/run-app does the one-time setup that needs root through sudo)"
            .to_owned()
    })
}
pub use deeplink::DeepLink;
pub use error::CommandError;
/// What the desktop's one stream of changes carries: the fleet's (every server's container
/// changes, and requests to read everything again).
pub use hoody_engine::fleet::FleetEvent as DesktopEvent;
/// Makes a directory (and its missing parents) readable by its owner alone, as the engine keeps
/// its data dir.
pub use hoody_engine::private::create_dir as create_private_dir;
/// Called first in the app's `main`: no program the app starts gets what its launcher left open.
pub use hoody_runtime::keep_inherited_descriptors_to_self;
