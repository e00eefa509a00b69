//! Kit services of a container and the loopback proxy in front of them. For now the proxy
//! reaches `http-PORT` and `https-PORT` services (any web server a container runs) and the
//! files and exec services; the terminal, display and sqlite services answer 501 until they land.

mod exec;
mod files;
mod netns;
mod proxy;

pub use exec::SCRIPTS_DIR;
pub use netns::connect as connect_in_container;
pub use proxy::{Body, Directory, Lookup, Proxy};
