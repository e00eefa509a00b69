//! `hoody-enter userns --uid-map I:O:C… --gid-map I:O:C… [--own DIR]… [--overlay-lower L
//! --overlay-upper U --overlay-work W --overlay-target T [--bind-ro|--bind-rw DIR
//! --bind-ro-at|--bind-rw-at PATH]…] [--bundle B --bundle-mountpoint M]
//! [--cwd DIR] [--die-with-parent PID] [--own-after PATH] -- PROGRAM ARGS…`
//!
//! Unshares a user and a mount namespace, has them mapped (see [`crate::mapper`]), becomes
//! the namespace's root, gives it the `--own` directories, optionally mounts an overlay (seen by this namespace only, gone with
//! it), and executes PROGRAM in its place. With `--die-with-parent PID` (the engine's pid)
//! PROGRAM is killed when the engine that ran it dies, and not run if it is gone already (its file work — tar, cp, rm — must not go on writing into the
//! data directory after a `kill -9` and the next engine's tidying).
//!
//! `--bind-ro DIR --bind-ro-at PATH` binds DIR at PATH inside the overlay's root, read-only
//! (`--bind-rw`: writable). runc makes the container's mount namespace from this one, in the
//! container's own user namespace, so the read-only flag of a bind made here arrives locked
//! there: the container's root cannot remount it writable (a bind runc made from the config
//! would be the container's own to change).
//!
//! `--own-after PATH`: PROGRAM runs as a child instead, and once it succeeded the namespace's
//! root takes PATH (see [`run_then_own`]).
//!
//! `--bundle` shows directory B at `M/bundle` (a tmpfs over M, in this namespace only) and
//! starts PROGRAM there. runc resolves a container's root through its bundle's path *inside*
//! the container's user namespace, where the directories above a bundle in the engine's home
//! (mode 0700, owned by a user the container does not map) could not be passed.

use crate::args::{Args, MapLine};
use rustix::mount::{MountFlags, MountPropagationFlags};
use rustix::thread::UnshareFlags;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

pub fn main(raw: Vec<std::ffi::OsString>) -> Result<ExitCode, String> {
    let args = Args::parse(raw, &[])?;
    let uids = MapLine::all(&args, "uid-map")?;
    let gids = MapLine::all(&args, "gid-map")?;
    let (program, program_args) = args.program.split_first().ok_or("no program to run after --")?;

    // The maps are written from outside the new namespace, by a forked copy of this process
    // (no exec: cheap) that waits until the namespace is there.
    let (ready_read, ready_write) = std::io::pipe().map_err(|e| format!("cannot make a pipe: {e}"))?;
    let me = std::process::id();
    #[allow(unsafe_code)]
    // SAFETY: this process is single-threaded, so the child is a complete copy of it (no lock
    // held by a thread that does not exist there); it only reads, writes files and runs the
    // setuid helpers, then leaves with _exit.
    let mapper = match unsafe { libc::fork() } {
        -1 => return Err(format!("cannot fork the id mapper: {}", std::io::Error::last_os_error())),
        0 => {
            drop(ready_write);
            let mut go = [0u8; 1];
            let _ = std::io::Read::read(&mut &ready_read, &mut go);
            let code = match crate::mapper::write_maps(me, &uids, &gids) {
                Ok(()) => 0,
                Err(why) => {
                    eprintln!("hoody-enter userns: {why}");
                    1
                }
            };
            #[allow(unsafe_code)]
            // SAFETY: leaving the forked copy without running this process's exit handlers.
            unsafe {
                libc::_exit(code)
            }
        }
        pid => rustix::process::Pid::from_raw(pid).ok_or("fork gave pid 0")?,
    };
    drop(ready_read);

    #[allow(unsafe_code)]
    // SAFETY: this process is single-threaded (no thread was ever started), so unsharing the
    // user namespace (which the kernel allows only then) cannot leave another thread behind.
    let unshared = unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWUSER | UnshareFlags::NEWNS) };
    let told = std::io::Write::write_all(&mut &ready_write, b"1");
    drop(ready_write);
    let mapped = rustix::process::waitpid(Some(mapper), rustix::process::WaitOptions::empty())
        .map_err(|e| format!("the id mapper: {e}"))?;
    unshared.map_err(|e| format!("cannot unshare a user namespace: {e}"))?;
    told.map_err(|e| format!("cannot reach the id mapper: {e}"))?;
    let mapper_succeeded = matches!(mapped, Some((_, status)) if status.exit_status() == Some(0));
    if !mapper_succeeded {
        return Err("the id maps were not written (see the mapper's message above)".into());
    }
    become_root()?;
    // Nothing mounted here reaches the host (the mounts came over as slaves already).
    rustix::mount::mount_change(c"/", MountPropagationFlags::PRIVATE | MountPropagationFlags::REC)
        .map_err(|e| format!("cannot make the mount namespace private: {e}"))?;
    for dir in args.all("own") {
        // The namespace's root takes it (a layer the engine made: the container's "/").
        std::os::unix::fs::chown(dir, Some(0), Some(0))
            .map_err(|e| format!("cannot take {}: {e}", dir.to_string_lossy()))?;
    }
    if let Some(target) = args.one("overlay-target") {
        mount_overlay(&args, target)?;
        for (read_only, flag) in [(true, "bind-ro"), (false, "bind-rw")] {
            let ats: Vec<_> = args.all(&format!("{flag}-at")).collect();
            let sources: Vec<_> = args.all(flag).collect();
            if ats.len() != sources.len() {
                return Err(format!("each --{flag} needs its --{flag}-at"));
            }
            for (source, at) in sources.into_iter().zip(ats) {
                bind_into(std::path::Path::new(target), source, &at.to_string_lossy(), read_only)?;
            }
        }
    }
    if let Some(bundle) = args.one("bundle") {
        expose(bundle, &args.required("bundle-mountpoint")?)?;
    }
    if let Some(dir) = args.one("cwd") {
        std::env::set_current_dir(dir).map_err(|e| format!("cannot change to {}: {e}", dir.to_string_lossy()))?;
    }
    if let Some(engine) = args.text("die-with-parent")? {
        // Set last: becoming root above changed the credentials, which clears it.
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
            .map_err(|e| format!("cannot tie it to its parent's life: {e}"))?;
        // The engine may have died before that: then this has another parent already.
        if std::os::unix::process::parent_id().to_string() != engine {
            return Err(format!("the engine that ran it (pid {engine}) is gone"));
        }
    }
    let mut command = Command::new(program);
    command.args(program_args);
    match args.one("own-after") {
        Some(path) => run_then_own(command, path),
        None => Err(format!("cannot run {}: {}", program.to_string_lossy(), command.exec())),
    }
}

/// Runs `command` to its end and, once it succeeded, has the namespace's root take `path`:
/// runc's start fifo after `runc create`, which runc gives the container's root (0622) and so
/// only a namespace could open; taken by runc's root (the engine's user), the engine opens it
/// itself to start the container instead of running `runc start` in another namespace. The
/// container's init still opens it for writing (the others' bit).
fn run_then_own(mut command: Command, path: &std::ffi::OsStr) -> Result<ExitCode, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    #[allow(unsafe_code)]
    // SAFETY: only a system call between fork and exec (async-signal-safe).
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            // It goes with this process (and so with the engine's kill of it).
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                .map_err(std::io::Error::from)
        });
    }
    let status = command.status().map_err(|e| format!("cannot run {program}: {e}"))?;
    if !status.success() {
        return Ok(ExitCode::from(status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(crate::FAILED)));
    }
    // Never through a link: runc's state directory is the engine's, but the file is not.
    std::os::unix::fs::lchown(path, Some(0), Some(0))
        .map_err(|e| format!("{program} succeeded, but {} cannot be taken: {e}", path.to_string_lossy()))?;
    Ok(ExitCode::SUCCESS)
}

/// Takes uid and gid 0 of the namespace this process is in (it holds every capability there),
/// with no supplementary groups.
pub fn become_root() -> Result<(), String> {
    let root_gid = rustix::process::Gid::ROOT;
    rustix::thread::set_thread_res_gid(root_gid, root_gid, root_gid).map_err(|e| format!("setresgid(0): {e}"))?;
    rustix::thread::set_thread_groups(&[]).map_err(|e| format!("setgroups([]): {e}"))?;
    let root_uid = rustix::process::Uid::ROOT;
    rustix::thread::set_thread_res_uid(root_uid, root_uid, root_uid).map_err(|e| format!("setresuid(0): {e}"))
}

/// Shows `bundle` at `MOUNTPOINT/bundle` and changes into it.
fn expose(bundle: &std::ffi::OsString, mountpoint: &str) -> Result<(), String> {
    let mountpoint = std::path::Path::new(mountpoint);
    rustix::mount::mount(
        "hoody-bundle",
        mountpoint,
        "tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV,
        c"mode=755,size=64k",
    )
    .map_err(|e| format!("cannot mount a tmpfs at {}: {e}", mountpoint.display()))?;
    let shown = mountpoint.join("bundle");
    std::fs::create_dir(&shown).map_err(|e| format!("cannot make {}: {e}", shown.display()))?;
    rustix::mount::mount_bind_recursive(std::path::Path::new(bundle), &shown)
        .map_err(|e| format!("cannot show the bundle at {}: {e}", shown.display()))?;
    std::env::set_current_dir(&shown).map_err(|e| format!("cannot change to {}: {e}", shown.display()))
}

fn mount_overlay(args: &Args, target: &std::ffi::OsString) -> Result<(), String> {
    let layer = |flag: &str| args.required(flag);
    // user.* xattrs for whiteouts and opaque directories: trusted.* is the host's alone.
    let data = format!(
        "lowerdir={},upperdir={},workdir={},userxattr",
        layer("overlay-lower")?,
        layer("overlay-upper")?,
        layer("overlay-work")?
    );
    let data = std::ffi::CString::new(data).map_err(|_| "an overlay path holds a NUL byte")?;
    rustix::mount::mount("overlay", std::path::Path::new(target), "overlay", MountFlags::empty(), data.as_c_str())
        .map_err(|e| format!("cannot mount the container's overlay at {}: {e}", target.to_string_lossy()))
}

/// Binds `source` at `at` inside `root` (a container's root before anything of it runs). Each
/// part of `at` must be a real directory — made where missing, owned as the root is — never a
/// symbolic link, which the container could point anywhere: so the literal path is the one
/// checked, and the bind lands inside the root.
fn bind_into(root: &std::path::Path, source: &std::ffi::OsStr, at: &str, read_only: bool) -> Result<(), String> {
    use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};
    let why = |e: rustix::io::Errno| format!("cannot mount a share at {at}: {e}");
    let dir_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut dir = rustix::fs::open(root, dir_flags, Mode::empty()).map_err(why)?;
    let owner = rustix::fs::fstat(&dir).map_err(why)?;
    let parts: Vec<&str> = at.trim_start_matches('/').split('/').collect();
    if parts.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
        return Err(format!("cannot mount a share at {at}: not a plain absolute path"));
    }
    for part in &parts {
        match rustix::fs::mkdirat(&dir, *part, Mode::from_raw_mode(0o755)) {
            Ok(()) => rustix::fs::chownat(
                &dir,
                *part,
                Some(rustix::fs::Uid::from_raw(owner.st_uid)),
                Some(rustix::fs::Gid::from_raw(owner.st_gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(why)?,
            Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(why(e)),
        }
        let resolve = ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH;
        dir = rustix::fs::openat2(&dir, *part, dir_flags, Mode::empty(), resolve).map_err(|e| match e {
            rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => {
                format!("cannot mount a share at {at}: {part} is a symbolic link or not a directory in the container")
            }
            e => why(e),
        })?;
    }
    let literal = root.join(parts.join("/"));
    rustix::mount::mount_bind(source, &literal).map_err(why)?;
    if read_only {
        let flags = MountFlags::BIND | MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV;
        rustix::mount::mount_remount(&literal, flags, "").map_err(why)?;
    }
    Ok(())
}
