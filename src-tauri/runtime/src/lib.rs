//! The local container runtime: system containers on this machine, run by Debian's `runc`.
//!
//! Each container is an OCI bundle in the data directory: an overlayfs root (the image's
//! read-only rootfs below, the container's own `upper` layer above), a config written with the
//! `oci-spec` crate, and a unique cgroup per start. A stopped container holds no mount, cgroup
//! or runc state: only its files. Snapshots and copies are copies of the upper layer.

pub mod bounded;
pub mod confine;
mod console;
mod container_files;
mod contract;
mod debootstrap;
mod descriptors;
pub mod enter;
mod error;
mod firewall;
pub mod host;
mod host_setup;
pub mod idmap;
mod images;
mod info;
pub mod init_shim;
mod layers;
mod layout;
mod local;
mod logs;
mod mounts;
mod network;
pub mod phases;
mod placement;
mod pool;
mod prepare;
pub mod procfs;
pub mod rootdir;
mod runc;
/// The containers' seccomp profile, re-exported by [`confine`] (a file of its own: see its head).
mod seccomp_profile;
mod shares;
mod shift;
mod simplestreams;
mod spec;
pub mod testkit;

pub use container_files::{ContainerFiles, delegated_paths};
pub use contract::{ContainerRuntime, Halt, ProgressSink, RuntimeState, UnavailableRuntime};
pub use debootstrap::{DEFAULT_MIRROR, build_debian_tarball};
pub use descriptors::keep_inherited_descriptors_to_self;
pub use error::{Result, RuntimeError};
pub use host_setup::host_setup;
pub use idmap::IdMap;
pub use images::ImageStore;
pub use info::{KIT_CGROUP, cgroup_procs_files, kit_cgroup_procs_files, listening_ports};
pub use layout::Layout;
pub use local::{LocalRuntime, RuntimeConfig, default_run_dir};
pub use mounts::mount_points_under;
pub use network::{ADDRESS as NETWORK_ADDRESS, GATEWAY as NETWORK_GATEWAY, RESOLVER as NETWORK_RESOLVER};
pub use placement::unified_cgroup;
pub use prepare::{InitKind, write_identity};
pub use procfs::is_alive;
pub use shares::ShareMount;
pub use simplestreams::{DEFAULT_IMAGE_SERVER, ImageServer, Progress, RemoteImage};
pub use spec::Limits;
