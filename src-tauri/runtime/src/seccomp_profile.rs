// The containers' seccomp profile: what [`SYSCALLS`] allows, what refused and absent calls
// answer. Plain Rust without a dependency or a `crate::` path: hoody-enter's build script has
// this file as a module (see its build.rs) and compiles the filter when hoody-enter is built;
// the runtime re-exports it from `confine`.

/// An argument test a rule's system call must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgTest {
    /// Argument `index` equals `value`.
    Equal { index: u32, value: u64 },
    /// Argument `index` differs from `value`.
    NotEqual { index: u32, value: u64 },
    /// Argument `index` has none of the bits of `mask`.
    NoBitsOf { index: u32, mask: u64 },
}

/// `CLONE_NEWUSER`: a user namespace (sched.h).
pub const CLONE_NEWUSER: u64 = 0x1000_0000;

/// The test that refuses nested user namespaces. The init's filter leaves it out: its first
/// program (`crate::init_shim`) makes the container's own user namespace, and then loads a
/// second filter that refuses further ones, unless the container allows nesting.
pub const NESTED_USER_NAMESPACES: ArgTest = ArgTest::NoBitsOf { index: 0, mask: CLONE_NEWUSER };

/// System calls allowed, unconditionally or when their argument passes a test.
#[derive(Debug, Clone, Copy)]
pub struct SyscallRule {
    pub names: &'static [&'static str],
    pub test: Option<ArgTest>,
}

impl SyscallRule {
    /// The rule's test where nested user namespaces are `nesting` (allowed): without
    /// [`NESTED_USER_NAMESPACES`] then.
    pub fn test_for(&self, nesting: bool) -> Option<ArgTest> {
        self.test.filter(|test| !(nesting && *test == NESTED_USER_NAMESPACES))
    }
}

/// What a refused system call returns: EPERM, as Docker's profile does.
pub const REFUSED_ERRNO: u32 = 1;

/// System calls answered "no such call" (ENOSYS), so that the C library falls back to an
/// older one the filter can judge: clone3 passes its flags in memory, out of the filter's
/// sight, and glibc then uses clone, whose flags are an argument (Docker does the same).
pub const ABSENT: &[&str] = &["clone3"];

/// What an [`ABSENT`] call returns: ENOSYS.
pub const ABSENT_ERRNO: u32 = 38;

/// An allow list at least as strict as Docker's default profile: Docker's unconditional list,
/// plus what Docker grants a container holding CAP_SYS_ADMIN or CAP_SYS_CHROOT (both of which
/// ours hold), minus what has no business in a container even then: bpf, perf_event_open,
/// lookup_dcookie, quotactl and syslog stay refused. Never allowed (neither list has them):
/// kernel modules, kexec, open_by_handle_at, keyring calls, userfaultfd, reboot, swap, acct,
/// iopl/ioperm, clock setting, and the NUMA policy calls. Nor io_uring (Docker refuses it
/// since 25.0: a large kernel surface of its own, behind most of the kernel's recent escapes),
/// nor a nested user namespace (clone and unshare without CLONE_NEWUSER only): in one, the
/// container's root would hold every capability again, over namespaces it makes there, and
/// reach kernel code (nf_tables, say) that the container's own namespaces keep from it.
pub const SYSCALLS: &[SyscallRule] = &[
    SyscallRule { names: BASE, test: None },
    SyscallRule { names: WITH_SYS_ADMIN, test: None },
    SyscallRule { names: &["clone", "unshare"], test: Some(NESTED_USER_NAMESPACES) },
    SyscallRule { names: &["chroot"], test: None },
    // Not AF_VSOCK: a way to the hypervisor's services.
    SyscallRule { names: &["socket"], test: Some(ArgTest::NotEqual { index: 0, value: 40 }) },
    // PER_LINUX, UNAME26, PER_LINUX32, their combination, and the query.
    SyscallRule { names: &["personality"], test: Some(ArgTest::Equal { index: 0, value: 0 }) },
    SyscallRule { names: &["personality"], test: Some(ArgTest::Equal { index: 0, value: 8 }) },
    SyscallRule { names: &["personality"], test: Some(ArgTest::Equal { index: 0, value: 131_072 }) },
    SyscallRule { names: &["personality"], test: Some(ArgTest::Equal { index: 0, value: 131_080 }) },
    SyscallRule { names: &["personality"], test: Some(ArgTest::Equal { index: 0, value: 4_294_967_295 }) },
];

const WITH_SYS_ADMIN: &[&str] = &[
    "fanotify_init",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "mount",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "setdomainname",
    "sethostname",
    "setns",
    "umount",
    "umount2",
];

#[rustfmt::skip]
const BASE: &[&str] = &[
    "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
    "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
    "ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd",
    "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
    "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
    "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
    "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
    "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
    "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
    "ioprio_set", "io_setup", "io_submit",
    "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
    "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
    "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
    "mlock2", "mlockall", "mmap", "mmap2", "modify_ldt", "mprotect", "mq_getsetattr", "mq_notify",
    "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
    "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
    "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open",
    "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
    "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
    "preadv2", "prlimit64", "process_mrelease", "process_vm_readv", "process_vm_writev",
    "pselect6", "pselect6_time64", "ptrace", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
    "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
    "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget",
    "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
    "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
    "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
    "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
    "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
    "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice",
    "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
    "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64",
    "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
];
