//! Work done from inside a container's mount namespace: a fresh thread leaves the host's
//! filesystem view and joins the one of the container's init, so every path it opens — a
//! symlink planted by the container included — resolves in the container's own root, as it
//! would for a process in the container. Nothing on the host is reachable from there.
//!
//! One thread per call: it holds the namespace only while it works, so a stopped container's
//! mounts are never kept alive by a service.

use rustix::fd::AsFd;
use rustix::thread::{LinkNameSpaceType, UnshareFlags};
use std::io;

/// Runs `work` on a new thread inside the mount namespace of host process `pid`.
pub async fn run_in<T, F>(pid: u32, work: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let ns = std::fs::File::open(format!("/proc/{pid}/ns/mnt"))?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new().name(format!("mntns-{pid}")).spawn(move || {
        let joined = enter(&ns).map(|()| work());
        let _ = tx.send(joined);
    })?;
    rx.await.map_err(|_| io::Error::other("the mount namespace thread died"))?
}

/// Moves the calling thread into the mount namespace `ns`.
fn enter(ns: &std::fs::File) -> io::Result<()> {
    // setns(CLONE_NEWNS) refuses a thread that shares its filesystem context (root, cwd)
    // with others, so the thread takes a private copy first.
    #[allow(unsafe_code)]
    // SAFETY: unsharing FS copies root, cwd and umask only; file descriptors stay shared
    // (that is what UnshareFlags::FILES would change), so no other thread is affected.
    unsafe {
        rustix::thread::unshare_unsafe(UnshareFlags::FS)?;
    }
    rustix::thread::move_into_link_name_space(ns.as_fd(), Some(LinkNameSpaceType::Mount))?;
    Ok(())
}
