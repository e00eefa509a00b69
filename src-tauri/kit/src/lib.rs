//! Kit services of a container and the loopback proxy in front of them: `http-PORT` and
//! `https-PORT` (any web server a container runs), files, exec and sqlite. The terminal and
//! display services answer 501 until they land.

mod assets;
mod exec;
mod files;
mod mntns;
mod netns;
mod proxy;
mod request;
mod sqlite;
mod terminal;
mod websocket;

pub use exec::SCRIPTS_DIR;
pub use netns::connect as connect_in_container;
pub use proxy::{Body, Directory, Lookup, Proxy};
pub use terminal::SessionInfo;
