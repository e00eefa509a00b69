//! Kit services of a container and the loopback proxy in front of them: `http-PORT` and
//! `https-PORT` (any web server a container runs), terminal, display, files, exec and sqlite.

mod assets;
mod display;
mod enter;
pub mod error;
mod exec;
mod files;
mod frame;
mod gates;
mod hooks;
pub mod inside;
mod netns;
mod origin;
mod proxy;
mod request;
mod sqlite;
mod terminal;
mod websocket;

pub use exec::SCRIPTS_DIR;
pub use frame::Identity;
pub use netns::{connect as connect_in_container, connect_abstract as connect_abstract_in_container};
pub use proxy::{Body, Directory, Lookup, Proxy, Upstream, Upstreams};
