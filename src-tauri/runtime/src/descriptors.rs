//! Descriptors a process inherited from whoever started it. A launcher (a shell, a desktop's
//! autostart, a test) may leave any descriptor open without close-on-exec; whatever the engine
//! starts — runc, the network helper, every kit process inside a container — would inherit it
//! in turn, and a container's root could reach the host through `/proc/self/fd/N`.

use rustix::io::FdFlags;

/// Marks every descriptor above standard error close-on-exec: this process may still use what
/// it inherited (a toolkit's `WAYLAND_SOCKET`, say), and no program it starts gets any of it.
/// Call it first thing in `main`, before any thread or file of this process's own exists.
pub fn keep_inherited_descriptors_to_self() {
    if mark_all_close_on_exec().is_ok() {
        return;
    }
    // Before Linux 5.11 (no CLOSE_RANGE_CLOEXEC): one by one, as /proc lists them.
    let Ok(listed) = std::fs::read_dir("/proc/self/fd") else { return };
    let numbers: Vec<i32> =
        listed.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).filter(|fd| *fd > 2).collect();
    for number in numbers {
        #[allow(unsafe_code)]
        // SAFETY: the descriptor is only borrowed for the fcntl; a number that was the
        // directory listing's own (closed since) fails with EBADF, which is ignored.
        let fd = unsafe { rustix::fd::BorrowedFd::borrow_raw(number) };
        if let Ok(flags) = rustix::io::fcntl_getfd(fd) {
            let _ = rustix::io::fcntl_setfd(fd, flags | FdFlags::CLOEXEC);
        }
    }
}

fn mark_all_close_on_exec() -> std::io::Result<()> {
    #[allow(unsafe_code)]
    // SAFETY: close_range with CLOEXEC closes nothing; it only sets a flag on descriptors.
    let done = unsafe { libc::close_range(3, libc::c_uint::MAX, libc::CLOSE_RANGE_CLOEXEC as libc::c_int) };
    if done == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn an_inherited_descriptor_reaches_no_child() {
        let file = std::fs::File::open("/").unwrap();
        let fd = file.as_raw_fd();
        rustix::io::fcntl_setfd(&file, FdFlags::empty()).unwrap();
        keep_inherited_descriptors_to_self();
        assert!(rustix::io::fcntl_getfd(&file).unwrap().contains(FdFlags::CLOEXEC));
        let seen = std::process::Command::new("ls").arg(format!("/proc/self/fd/{fd}")).output().unwrap();
        assert!(!seen.status.success(), "a child still sees descriptor {fd}");
    }
}
