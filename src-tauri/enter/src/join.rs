//! `hoody-enter join --pid INIT [--setsid] [--ctty] [--detach] [--cwd DIR] [--sethostname
//! NAME] [--sockets] [--kit SERVICE] [--init-env] -- PROGRAM ARGS…`
//!
//! Becomes a process of the container whose init is host pid INIT, in this order: its cgroups
//! (so its limits, freezer and accounting hold this process from the start), runc's user
//! namespace as its root and the pid and network namespaces it owns, then the container's own
//! user namespace inside it (see hoody_runtime's init_shim) and its mount, UTS, IPC and cgroup
//! namespaces; then keeps only the container's capabilities and loads its seccomp filter
//! (the same [`hoody_runtime::confine`] runc gave the init), and starts PROGRAM inside. The
//! program is a child of this process (which stays outside the container's pid namespace to
//! wait for it) and is killed if this process dies, unless `--detach`: then it is forked once
//! more inside (so that its orphaning parent is in the container's pid namespace and the
//! container's init adopts and reaps it) and this process exits at once. The program gets
//! this process's environment.
//!
//! `--init-env` gives the program the init's environment (the container's variables) under
//! this process's own.
//!
//! `--host-program PATH` runs this host's program PATH inside the container (the program after
//! `--` names only its argv[0]): see [`crate::host_program`].
//!
//! `--kit SERVICE` does one request of a kit service inside (see [`hoody_kit::inside`]).
//!
//! `--sockets` joins runc's user namespace and the network namespace only and makes sockets
//! there for the engine (see [`crate::sockets`]).
//!
//! `--network-helper [--netns PATH]` joins the container's cgroups (so the helper ends with
//! the container) and runc's user namespace (the owner of its network namespace) only, as its
//! root with every capability there, and executes PROGRAM in place (it keeps this pid): the
//! container's network helper, slirp4netns, which makes the container's device from there, and
//! keeps its own network namespace — the engine's, or the one at PATH (joined first, while this
//! process may) — for the container's way out. On the host it is the container's root user, not the engine's. The container's
//! network namespace is open as its descriptor 3 (`/proc/self/fd/3`): opened here, before the
//! user namespace is joined — until `runc start` the init is not dumpable, and its namespaces
//! are out of reach from inside.
//!
//! `--net-admin` joins runc's user namespace and the network namespace only and runs PROGRAM (a
//! program of the host, which it still sees) as the namespace's root with its every
//! capability: the engine changes the container's network with it (its firewall), which the
//! container's own processes, without CAP_NET_ADMIN, cannot.
//!
//! `--sethostname NAME [--identity-init KIND [--resolver IP]]` sets the container's hostname (and with
//! `--identity-init`, writes it into its root as [`hoody_runtime::write_identity`] does)
//! instead of starting a program, and stays out of the container's cgroups.

use crate::args::Args;
use rustix::fd::AsFd;
use rustix::thread::{CapabilitySet, CapabilitySets, LinkNameSpaceType};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitCode};

/// The namespaces joined after the user namespace, in order (pid last: it only applies to
/// children).
const NAMESPACES: [(&str, LinkNameSpaceType); 6] = [
    ("mnt", LinkNameSpaceType::Mount),
    ("uts", LinkNameSpaceType::HostNameAndNISDomainName),
    ("ipc", LinkNameSpaceType::InterProcessCommunication),
    ("net", LinkNameSpaceType::Network),
    ("cgroup", LinkNameSpaceType::ControlGroup),
    ("pid", LinkNameSpaceType::ProcessID),
];

pub fn main(raw: Vec<std::ffi::OsString>) -> Result<ExitCode, String> {
    let args = Args::parse(raw, &["setsid", "ctty", "detach", "sockets", "init-env", "net-admin", "network-helper"])?;
    if args.switch("network-helper") {
        return network_helper(&args);
    }
    let net_only = args.switch("sockets") || args.switch("net-admin");
    let pid: u32 = args.required("pid")?.parse().map_err(|_| "--pid must be a process id")?;
    let open = |ns: &str| {
        std::fs::File::open(format!("/proc/{pid}/ns/{ns}"))
            .map_err(|e| format!("cannot open the {ns} namespace of container init {pid}: {e}"))
    };
    // A host program is opened before anything is joined: inside, the host's files are gone.
    let host_program = match args.text("host-program")? {
        Some(path) => Some(crate::host_program::open(std::path::Path::new(&path))?),
        None => None,
    };
    let user = open("user")?;
    let wanted = |name: &&(&str, LinkNameSpaceType)| !net_only || name.0 == "net";
    let others: Vec<(std::fs::File, LinkNameSpaceType, &str)> = NAMESPACES
        .iter()
        .filter(wanted)
        .map(|(name, kind)| Ok((open(name)?, *kind, *name)))
        .collect::<Result<_, String>>()?;

    // Naming the container is a few writes: it need not be accounted to the container, and
    // migrating into its cgroups (one per hierarchy on a v1 host, each waiting for an RCU grace
    // period) would cost a prespawn claim most of its time.
    let renaming = args.one("sethostname").is_some();
    if !net_only && !renaming {
        join_cgroups(pid)?;
    }
    // The pid and network namespaces belong to runc's user namespace, the others to the
    // container's own inside it (see hoody_runtime's init_shim): each is joined from the user
    // namespace that owns it, the outer one first. A network-only join stays in the outer one,
    // where the engine's rights over the container's network are.
    let (outer_kinds, inner_kinds): (Vec<_>, Vec<_>) = others
        .iter()
        .partition(|(_, kind, _)| matches!(kind, LinkNameSpaceType::ProcessID | LinkNameSpaceType::Network));
    let outer = owner_of(&open("net")?)?;
    let nesting = !net_only && nesting_allowed(pid, &outer, &user)?;
    join_user_namespace(&outer)?;
    join_each(&outer_kinds)?;
    if !net_only {
        join_user_namespace(&user)?;
    }
    // As the container's root, the init's environment is ours to read (mode 0400, its owner).
    let init_env = if args.switch("init-env") { init_environment(pid)? } else { Vec::new() };
    join_each(&inner_kinds)?;
    let cwd = args.text("cwd")?.unwrap_or_else(|| "/".into());
    std::env::set_current_dir(&cwd).map_err(|e| format!("cannot change to {cwd} in the container: {e}"))?;

    if let Some(name) = args.text("sethostname")? {
        if let Some(init) = args.text("identity-init")? {
            let resolver = args.text("resolver")?;
            crate::identity::write(std::path::Path::new("/"), &init, &name, &[], resolver.as_deref())?;
        }
        rustix::system::sethostname(name.as_bytes()).map_err(|e| format!("cannot set the hostname: {e}"))?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.switch("net-admin") {
        return run(&args, Vec::new(), None);
    }
    keep_only_the_containers_capabilities()?;
    crate::seccomp::load(nesting)?;
    if args.switch("sockets") {
        return crate::sockets::serve();
    }
    if let Some(service) = args.text("kit")? {
        hoody_kit::inside::serve(&service)?;
        return Ok(ExitCode::SUCCESS);
    }
    run(&args, init_env, host_program)
}

/// `--network-helper`: see the module's documentation.
fn network_helper(args: &Args) -> Result<ExitCode, String> {
    let pid: u32 = args.required("pid")?.parse().map_err(|_| "--pid must be a process id")?;
    // The first descriptor opened since every inherited one was closed at entry: 3. Kept open,
    // and across exec, for the helper.
    let net = std::fs::File::open(format!("/proc/{pid}/ns/net"))
        .map_err(|e| format!("cannot open the network namespace of container init {pid}: {e}"))?;
    if std::os::fd::AsRawFd::as_raw_fd(&net) != 3 {
        return Err("descriptor 3 was taken before the network namespace was opened".into());
    }
    rustix::io::fcntl_setfd(&net, rustix::io::FdFlags::empty())
        .map_err(|e| format!("cannot hand the network namespace on: {e}"))?;
    // runc's user namespace, which owns the network namespace (the init's own, once it runs,
    // does not: see hoody_runtime's init_shim).
    let user = owner_of(&net)?;
    std::mem::forget(net);
    join_cgroups(pid)?;
    if let Some(path) = args.text("netns")? {
        let netns = std::fs::File::open(&path).map_err(|e| format!("cannot open the network namespace {path}: {e}"))?;
        rustix::thread::move_into_link_name_space(netns.as_fd(), Some(LinkNameSpaceType::Network))
            .map_err(|e| format!("cannot join the network namespace {path}: {e}"))?;
    }
    rustix::thread::move_into_link_name_space(user.as_fd(), Some(LinkNameSpaceType::User))
        .map_err(|e| format!("cannot join the container's user namespace: {e}"))?;
    crate::userns::become_root()?;
    let (program, program_args) = args.program.split_first().ok_or("no program to run after --")?;
    let error = Command::new(program).args(program_args).exec();
    Err(format!("cannot run {}: {error}", program.to_string_lossy()))
}

/// The environment of the container's init (the container's own variables, PATH included).
fn init_environment(pid: u32) -> Result<Vec<(String, String)>, String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ"))
        .map_err(|e| format!("cannot read the environment of container init {pid}: {e}"))?;
    Ok(raw
        .split(|b| *b == 0)
        .filter_map(|kv| std::str::from_utf8(kv).ok()?.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// Whether the container whose init is `pid` allows nested user namespaces: its init runs in
/// a user namespace of its own inside runc's `outer` one (started by hoody_runtime's
/// init_shim) and carries the container's filter only, the init shim having added none
/// refusing them.
/// Read from the kernel's filter count, which a process can raise but never lower: nothing in
/// the container can widen what its kit processes may do.
fn nesting_allowed(pid: u32, outer: &std::fs::File, user: &std::fs::File) -> Result<bool, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read the status of container init {pid}: {e}"))?;
    let filters = status.lines().find_map(|l| l.strip_prefix("Seccomp_filters:")).map(str::trim);
    let filters: u32 = filters
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("container init {pid} shows no seccomp filter count"))?;
    let nested = !same_namespace_files(outer, user);
    Ok(nested && filters <= hoody_runtime::confine::INIT_FILTERS)
}

/// Joins the user namespace `user` (unless this process is in it) as its root.
fn join_user_namespace(user: &std::fs::File) -> Result<(), String> {
    if !same_namespace(user, "/proc/self/ns/user") {
        rustix::thread::move_into_link_name_space(user.as_fd(), Some(LinkNameSpaceType::User))
            .map_err(|e| format!("cannot join the container's user namespace: {e}"))?;
    }
    crate::userns::become_root()
}

/// Joins each of `namespaces`, in order.
fn join_each(namespaces: &[&(std::fs::File, LinkNameSpaceType, &str)]) -> Result<(), String> {
    for (file, kind, name) in namespaces {
        rustix::thread::move_into_link_name_space(file.as_fd(), Some(*kind))
            .map_err(|e| format!("cannot join the container's {name} namespace: {e}"))?;
    }
    Ok(())
}

/// The user namespace that owns the namespace `file` (the NS_GET_USERNS request).
fn owner_of(file: &std::fs::File) -> Result<std::fs::File, String> {
    const NS_GET_USERNS: libc::c_ulong = 0xb701; // _IO(0xb7, 0x1), linux/nsfs.h
    #[allow(unsafe_code)]
    // SAFETY: an ioctl without an argument on a descriptor we own; on success it returns a
    // new descriptor, which the File takes over.
    let fd = unsafe { libc::ioctl(std::os::fd::AsRawFd::as_raw_fd(file), NS_GET_USERNS) };
    if fd < 0 {
        return Err(format!("cannot find the owner of the container's namespace: {}", std::io::Error::last_os_error()));
    }
    #[allow(unsafe_code)]
    // SAFETY: `fd` was just returned to us and nothing else owns it.
    Ok(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) })
}

/// Whether `file` is the namespace `link` names (joining one's own user namespace fails).
fn same_namespace(file: &std::fs::File, link: &str) -> bool {
    std::fs::File::open(link).is_ok_and(|other| same_namespace_files(file, &other))
}

/// Whether two open namespaces are the same one.
fn same_namespace_files(a: &std::fs::File, b: &std::fs::File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (a.metadata(), b.metadata()) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

/// Moves this process into the container's cgroups (see `kit_cgroup_procs_files`), as the
/// engine's user (who owns them). On a hybrid host the unified hierarchy carries no controller
/// and a container from before the kit's own cgroup there has only the container root's: it is
/// joined when allowed.
fn join_cgroups(pid: u32) -> Result<(), String> {
    let me = std::process::id().to_string();
    let hybrid = !std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    for file in hoody_runtime::kit_cgroup_procs_files(pid) {
        let optional = hybrid && file.starts_with("/sys/fs/cgroup/unified");
        match std::fs::write(&file, &me) {
            Ok(()) => {}
            Err(_) if optional => {}
            Err(e) => return Err(format!("cannot join the container's cgroup {}: {e}", file.display())),
        }
    }
    Ok(())
}

/// Drops every capability the container's init does not have, from the bounding set too, so
/// that nothing this process starts can regain one.
fn keep_only_the_containers_capabilities() -> Result<(), String> {
    let keep = hoody_runtime::confine::capability_mask();
    for bit in 0..64u32 {
        if keep & (1 << bit) != 0 {
            continue;
        }
        match rustix::thread::remove_capability_from_bounding_set(CapabilitySet::from_bits_retain(1 << bit)) {
            Ok(()) => {}
            Err(rustix::io::Errno::INVAL) => break, // past the last capability this kernel knows
            Err(e) => return Err(format!("cannot drop capability {bit} from the bounding set: {e}")),
        }
    }
    let set = CapabilitySet::from_bits_retain(keep);
    rustix::thread::set_capabilities(
        None,
        CapabilitySets { effective: set, permitted: set, inheritable: CapabilitySet::empty() },
    )
    .map_err(|e| format!("cannot set the container's capabilities: {e}"))
}

/// Starts the program inside (a child: the pid namespace applies to children only), with
/// `init_env` under this process's own environment.
fn run(
    args: &Args,
    init_env: Vec<(String, String)>,
    host_program: Option<crate::host_program::Opened>,
) -> Result<ExitCode, String> {
    let (program, program_args) = args.program.split_first().ok_or("no program to run after --")?;
    let mut command = match &host_program {
        Some(opened) => opened.command(program),
        None => Command::new(program),
    };
    command.args(program_args);
    for (key, value) in init_env {
        if std::env::var_os(&key).is_none() {
            command.env(key, value);
        }
    }
    let (setsid, ctty, detach) =
        (args.switch("setsid") || args.switch("ctty"), args.switch("ctty"), args.switch("detach"));
    #[allow(unsafe_code)]
    // SAFETY: the closure runs in the forked child before exec and only makes system calls
    // (no allocation, no locks), which is what is allowed there; the extra fork happens in
    // that single-threaded child, and its parent leaves with _exit (no destructors, no
    // flushing of what it shares with this process).
    unsafe {
        command.pre_exec(move || {
            if detach {
                // The first child (in the pid namespace) leaves; the second runs the program.
                match libc::fork() {
                    -1 => return Err(std::io::Error::last_os_error()),
                    0 => {}
                    _ => libc::_exit(0),
                }
            }
            if setsid {
                rustix::process::setsid()?;
            }
            if ctty {
                rustix::process::ioctl_tiocsctty(std::io::stdin())?;
            }
            if !detach {
                rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound { "not found" } else { "cannot run" };
        format!("{code}: {} in the container: {e}", program.to_string_lossy())
    })?;
    let status = child.wait().map_err(|e| format!("waiting for the program: {e}"))?;
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(code as u8),
        (None, Some(signal)) => ExitCode::from(128 + signal as u8),
        (None, None) => ExitCode::from(crate::FAILED),
    })
}
