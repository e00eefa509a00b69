//! The desktop app's capabilities, testable without Tauri or a display: the local server it
//! runs (engine, runtime, service proxy), the commands the UI calls, the tray menu's model and
//! `hoody://` deep links, and SSH keys generated for containers. `src-tauri/app` only wires them to Tauri.

pub mod commands;
pub mod deeplink;
pub mod error;
pub mod events;
mod listen;
pub mod local_api;
pub mod relay;
pub mod remotes;
pub mod secrets;
pub mod sshkeys;
#[cfg(test)]
mod testing;
pub mod tray;

pub use commands::Desktop;
pub use deeplink::DeepLink;
pub use error::CommandError;
pub use events::DesktopEvent;
