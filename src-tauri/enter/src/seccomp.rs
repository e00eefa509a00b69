//! The containers' seccomp filter, as `build.rs` compiled it (see [`crate::filter_program`]
//! for what it is): one program for every process of a container. `hoody-enter seccomp` writes
//! it for the container's init (which loads it itself, see hoody_runtime's init_shim), and
//! `join` loads it into every kit process, so a kit process is refused exactly what the
//! container's own are.

use std::io::Write;

/// For a container that allows nested user namespaces (the init's, whose own second filter
/// refuses them where the container does not), and for one that does not.
const NESTING: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/seccomp-nesting.bpf"));
const NO_NESTING: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/seccomp.bpf"));

/// The program, raw `struct sock_filter`s, where nested user namespaces are `nesting` (allowed).
pub fn program(nesting: bool) -> &'static [u8] {
    if nesting { NESTING } else { NO_NESTING }
}

/// Loads the filter into this process; `nesting`: the container allows nested user namespaces,
/// and so does this process.
pub fn load(nesting: bool) -> Result<(), String> {
    // `struct sock_filter`s, 8 bytes each, aligned as the kernel reads them.
    let instructions: Vec<libc::sock_filter> = program(nesting)
        .chunks_exact(8)
        .map(|i| libc::sock_filter {
            code: u16::from_ne_bytes([i[0], i[1]]),
            jt: i[2],
            jf: i[3],
            k: u32::from_ne_bytes([i[4], i[5], i[6], i[7]]),
        })
        .collect();
    let filter = libc::sock_fprog { len: instructions.len() as u16, filter: instructions.as_ptr().cast_mut() };
    #[allow(unsafe_code)]
    // SAFETY: `filter` points into `instructions`, alive for the call; the kernel copies it.
    let loaded = unsafe { libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, 0, &filter) };
    if loaded != 0 {
        return Err(format!("cannot load the container's seccomp filter: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// `hoody-enter seccomp`: the program for a container's init, on standard output.
pub fn main() -> Result<std::process::ExitCode, String> {
    std::io::stdout().write_all(program(true)).map_err(|e| format!("cannot write the filter: {e}"))?;
    Ok(std::process::ExitCode::SUCCESS)
}
