//! The desktop app's capabilities, testable without Tauri or a display: the local server it
//! runs (engine, runtime, service proxy), the commands the UI calls, the tray menu's model and
//! `hoody://` deep links. `src-tauri/app` only wires them to Tauri.

pub mod commands;
pub mod deeplink;
pub mod error;
pub mod tray;

pub use commands::Desktop;
pub use deeplink::DeepLink;
pub use error::CommandError;
