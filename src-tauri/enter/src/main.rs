//! `hoody-enter`: the engine's one way into user namespaces. The engine never holds a
//! container's rights itself (a user namespace can only be entered by a single-threaded
//! process, and a rootless engine has no others); it runs this small program instead:
//!
//! - `userns`: a fresh user and mount namespace with given id maps, running a program as its
//!   root — the engine's file work on containers (as the containers' root) and runc's calls.
//! - `join`: a process that joins a running container — its cgroups, its user namespace, then
//!   its other namespaces — and holds exactly the container's capabilities and seccomp
//!   filter before it runs a program there (every kit process).
//! - `identity`: writes a container's hostname, hosts, environment and resolver into its root.
//! - `console`: holds a container's console while it runs, keeping what it says in a log.
//! - `seccomp`: writes the containers' seccomp filter, compiled, for their init to load.
//! - `protocol`: prints what this build agrees on with the engine
//!   ([`hoody_runtime::enter::PROTOCOL`]), which the engine checks at start.
//!
//! Exit status: the program's own; 125 when hoody-enter itself failed (its reason on stderr),
//! 126 when the program could not be run, 127 when it was not found.

mod args;
mod console;
#[cfg(test)]
mod filter_program;
mod host_program;
mod identity;
mod join;
mod mapper;
mod seccomp;
mod sockets;
mod userns;

/// The containers' seccomp profile, as `filter_program` (shared with `build.rs`) names it.
#[cfg(test)]
use hoody_runtime::confine as profile;

use std::process::ExitCode;

/// Closes every descriptor but standard input, output and error. Every process hoody-enter
/// becomes runs in or for a container (or outlives the engine, as the console's keeper does):
/// none gets anything of the engine's, or of whoever started the engine, that a container's
/// root could follow back to the host through `/proc/self/fd`. Nothing here is handed over
/// other than on standard input and output.
fn close_inherited_descriptors() {
    #[allow(unsafe_code)]
    // SAFETY: first thing in main: nothing of this process's owns a descriptor above 2 yet.
    unsafe {
        libc::close_range(3, libc::c_uint::MAX, 0);
    }
}

/// Our own failure (as `env` and `nsenter` use it).
const FAILED: u8 = 125;

fn main() -> ExitCode {
    close_inherited_descriptors();
    let mut argv = std::env::args_os().skip(1);
    let command = argv.next().and_then(|c| c.into_string().ok()).unwrap_or_default();
    let rest: Vec<std::ffi::OsString> = argv.collect();
    let result = match command.as_str() {
        "userns" => userns::main(rest),
        "join" => join::main(rest),
        "identity" => identity::main(rest),
        "console" => console::main(rest),
        "seccomp" => seccomp::main(),
        "protocol" => {
            println!("{}", hoody_runtime::enter::PROTOCOL);
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(format!(
            "usage: hoody-enter userns|join|identity|console|seccomp|protocol …; got {:?} (see the crate's documentation)",
            command
        )),
    };
    match result {
        Ok(code) => code,
        Err(reason) => {
            eprintln!("hoody-enter {command}: {reason}");
            ExitCode::from(FAILED)
        }
    }
}
