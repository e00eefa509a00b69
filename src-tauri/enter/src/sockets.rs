//! `hoody-enter join --pid INIT --sockets`: makes sockets in the container's network
//! namespace for the engine, which reaches ports and abstract sockets inside that way
//! without an address of the container's (a socket belongs to the namespace it was made in,
//! wherever it is used). Standard input is a unix socket: each byte asks for one socket,
//! `4` a TCP/IPv4 one, `u` a unix stream one; each answer is the byte `+` carrying the new
//! socket, or `-` followed by the errno (4 bytes, little-endian). End of file ends it.
//!
//! Only the user (as the container's root) and network namespaces are joined, and the
//! container's capabilities and seccomp filter hold: the process can make sockets there and
//! nothing else of the host's.

use rustix::fd::{AsFd, BorrowedFd};
use rustix::net::{AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketFlags, SocketType};
use std::io::IoSlice;
use std::process::ExitCode;

pub fn serve() -> Result<ExitCode, String> {
    let control = std::io::stdin();
    let control = control.as_fd();
    let mut asked = [0u8; 1];
    loop {
        match rustix::io::read(control, &mut asked) {
            Ok(0) => return Ok(ExitCode::SUCCESS),
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(format!("reading requests: {e}")),
        }
        let family = match asked[0] {
            b'4' => AddressFamily::INET,
            b'u' => AddressFamily::UNIX,
            other => return Err(format!("unknown request {other:?}")),
        };
        let made = rustix::net::socket_with(family, SocketType::STREAM, SocketFlags::CLOEXEC, None);
        match made {
            Ok(socket) => send_fd(control, socket.as_fd())?,
            Err(e) => {
                let mut answer = vec![b'-'];
                answer.extend((e.raw_os_error() as u32).to_le_bytes());
                rustix::io::write(control, &answer).map_err(|e| format!("answering: {e}"))?;
            }
        }
    }
}

fn send_fd(control: BorrowedFd<'_>, socket: BorrowedFd<'_>) -> Result<(), String> {
    let fds = [socket];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut ancillary = SendAncillaryBuffer::new(&mut space);
    ancillary.push(SendAncillaryMessage::ScmRights(&fds));
    rustix::net::sendmsg(control, &[IoSlice::new(b"+")], &mut ancillary, SendFlags::empty())
        .map(drop)
        .map_err(|e| format!("sending a socket: {e}"))
}
