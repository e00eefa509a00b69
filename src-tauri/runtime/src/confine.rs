//! What every process of a container is held to, its init and every kit service alike: the
//! capabilities it keeps (over its own user namespace only), the system calls it may make,
//! and the parts of /proc and /sys it may not see or change. runc applies the capabilities and
//! paths to the init (config.json), the init's first program its seccomp filter (compiled into
//! hoody-enter when it is built, from `seccomp_profile.rs`); `hoody-enter join` applies the
//! very same to each kit process, so a service never holds more than the container it serves.

/// The capabilities of a container's processes, by name and number (linux/capability.h):
/// Docker's default set plus what a full init system expects (CAP_SYS_ADMIN: systemd comes up
/// `degraded` without it). Held in the container's user namespace, they give nothing over the
/// host. Not CAP_NET_ADMIN, as in Docker's set: the container's network (its interfaces,
/// routes and the firewall the engine sets in its namespace) is the engine's to change, so a
/// program inside cannot lift the firewall its owner set. That namespace belongs to runc's user
/// namespace, not to the container's own (see `crate::init_shim`), so CAP_NET_BIND_SERVICE and
/// CAP_NET_RAW do not reach it either: [`network_sysctls`] open the low ports and ping sockets
/// to every user of the container instead, as Docker does; raw and packet sockets stay closed.
pub const CAPABILITIES: [(&str, u32); 15] = [
    ("CAP_CHOWN", 0),
    ("CAP_DAC_OVERRIDE", 1),
    ("CAP_FOWNER", 3),
    ("CAP_FSETID", 4),
    ("CAP_KILL", 5),
    ("CAP_SETGID", 6),
    ("CAP_SETUID", 7),
    ("CAP_SETPCAP", 8),
    ("CAP_NET_BIND_SERVICE", 10),
    ("CAP_NET_RAW", 13),
    ("CAP_SYS_CHROOT", 18),
    ("CAP_SYS_ADMIN", 21),
    ("CAP_MKNOD", 27),
    ("CAP_AUDIT_WRITE", 29),
    ("CAP_SETFCAP", 31),
];

/// The capability set as the kernel's bit mask (what /proc/PID/status shows as `CapEff`).
pub fn capability_mask() -> u64 {
    CAPABILITIES.iter().fold(0, |mask, (_, bit)| mask | (1 << bit))
}

pub use crate::seccomp_profile::*;

/// How many seccomp filters the init's first program loads into a container that allows
/// nesting (the container's); it adds one more that refuses it otherwise.
pub const INIT_FILTERS: u32 = 1;

/// Set in the container's network namespace: any of its users may bind ports below 1024 and
/// open ICMP ping sockets (what CAP_NET_BIND_SERVICE and CAP_NET_RAW would give over a
/// namespace of the container's own). The ping range is every group the container has (the
/// kernel refuses groups its user namespace does not map).
pub fn network_sysctls() -> [(String, String); 2] {
    [
        ("net.ipv4.ip_unprivileged_port_start".into(), "0".into()),
        ("net.ipv4.ping_group_range".into(), format!("0 {}", crate::idmap::SIZE - 1)),
    ]
}

/// Paths a container must not read (runc's defaults, as Docker's).
pub const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths a container may read but never change.
pub const READONLY_PATHS: &[&str] = &["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capability_mask_matches_the_names() {
        assert_eq!(capability_mask().count_ones() as usize, CAPABILITIES.len());
        assert_eq!(capability_mask() & (1 << 21), 1 << 21, "CAP_SYS_ADMIN");
        assert_eq!(capability_mask() & (1 << 16), 0, "never CAP_SYS_MODULE");
    }

    #[test]
    fn dangerous_calls_are_never_allowed() {
        let allowed: Vec<&str> = SYSCALLS.iter().flat_map(|r| r.names.iter().copied()).collect();
        for refused in [
            "init_module",
            "finit_module",
            "delete_module",
            "kexec_load",
            "kexec_file_load",
            "open_by_handle_at",
            "keyctl",
            "add_key",
            "request_key",
            "bpf",
            "perf_event_open",
            "userfaultfd",
            "reboot",
            "swapon",
            "acct",
            "iopl",
            "ioperm",
            "settimeofday",
            "clock_settime",
            "syslog",
            "io_uring_setup",
            "io_uring_enter",
            "io_uring_register",
            "clone3",
        ] {
            assert!(!allowed.contains(&refused), "{refused} must stay refused");
        }
        let rule = |name: &str| SYSCALLS.iter().find(|r| r.names.contains(&name)).unwrap();
        assert!(matches!(rule("socket").test, Some(ArgTest::NotEqual { index: 0, value: 40 })));
        // The init's filter leaves the nested user namespace to its first program.
        assert_eq!(rule("unshare").test_for(true), None);
        assert_eq!(rule("unshare").test_for(false), Some(NESTED_USER_NAMESPACES));
        assert_eq!((ABSENT, ABSENT_ERRNO), (&["clone3"][..], 38));
    }
}
