//! The OCI runtime config of a system container: the image's init as PID 1 in its own PID,
//! mount, UTS, IPC, network and cgroup namespaces, with the capabilities and mounts an init
//! system needs, and the container's limits.

use crate::error::{Result, RuntimeError};
use oci_spec::runtime::{
    Capability, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxDeviceCgroupBuilder, LinuxMemoryBuilder, LinuxPidsBuilder,
    LinuxResourcesBuilder, Mount, MountBuilder, ProcessBuilder, RootBuilder, Spec,
};
use std::collections::HashSet;
use std::path::PathBuf;

/// Limits applied to every container (configurable per engine).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub memory_bytes: u64,
    pub pids: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self { memory_bytes: 2 << 30, pids: 4096 }
    }
}

/// What one start of a container looks like.
#[derive(Debug, Clone)]
pub struct SpecInput<'a> {
    pub hostname: &'a str,
    pub env: Vec<String>,
    pub rootfs: PathBuf,
    /// A path unique to this start: a reused frozen cgroup can hang the next start.
    pub cgroup_path: String,
    pub limits: Limits,
    pub ramdisk: Option<PathBuf>,
}

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Docker's default set plus what a full init system and its services expect
/// (CAP_SYS_ADMIN: systemd comes up `degraded` without it; CAP_NET_ADMIN: `ip` in its own netns).
const CAPABILITIES: [Capability; 16] = [
    Capability::AuditWrite,
    Capability::Chown,
    Capability::DacOverride,
    Capability::Fowner,
    Capability::Fsetid,
    Capability::Kill,
    Capability::Mknod,
    Capability::NetBindService,
    Capability::NetRaw,
    Capability::NetAdmin,
    Capability::Setfcap,
    Capability::Setgid,
    Capability::Setpcap,
    Capability::Setuid,
    Capability::SysChroot,
    Capability::SysAdmin,
];

pub fn build(input: &SpecInput<'_>) -> Result<Spec> {
    build_inner(input).map_err(|e| RuntimeError::Failed(format!("cannot write the OCI config: {e}")))
}

fn build_inner(input: &SpecInput<'_>) -> std::result::Result<Spec, oci_spec::OciSpecError> {
    let caps: HashSet<Capability> = CAPABILITIES.into_iter().collect();
    let capabilities =
        LinuxCapabilitiesBuilder::default().bounding(caps.clone()).effective(caps.clone()).permitted(caps).build()?;
    let mut env = vec![PATH.to_owned(), "container=oci".to_owned(), "TERM=xterm".to_owned()];
    env.extend(input.env.iter().cloned());
    let process = ProcessBuilder::default()
        .args(vec!["/sbin/init".to_owned()])
        .env(env)
        .cwd("/")
        .no_new_privileges(false)
        .capabilities(capabilities)
        .rlimits(vec![])
        .build()?;
    let resources = LinuxResourcesBuilder::default()
        .devices(vec![LinuxDeviceCgroupBuilder::default().allow(false).access("rwm").build()?])
        .memory(LinuxMemoryBuilder::default().limit(input.limits.memory_bytes as i64).build()?)
        .pids(LinuxPidsBuilder::default().limit(i64::from(input.limits.pids)).build()?)
        .build()?;
    let defaults = oci_spec::runtime::Linux::default();
    let linux = LinuxBuilder::default()
        .namespaces(defaults.namespaces().clone().unwrap_or_default())
        .masked_paths(defaults.masked_paths().clone().unwrap_or_default())
        .readonly_paths(defaults.readonly_paths().clone().unwrap_or_default())
        .cgroups_path(PathBuf::from(&input.cgroup_path))
        .resources(resources)
        .build()?;
    let mut spec = Spec::default();
    spec.set_hostname(Some(input.hostname.to_owned()));
    spec.set_process(Some(process));
    spec.set_root(Some(RootBuilder::default().path(&input.rootfs).readonly(false).build()?));
    spec.set_linux(Some(linux));
    spec.set_mounts(Some(mounts(input)?));
    Ok(spec)
}

/// runc's default mounts, with a writable cgroup2 tree (systemd manages its own units there)
/// and tmpfs where an init expects one; plus /ramdisk when the container has it.
fn mounts(input: &SpecInput<'_>) -> std::result::Result<Vec<Mount>, oci_spec::OciSpecError> {
    let mut mounts: Vec<Mount> = oci_spec::runtime::get_default_mounts()
        .into_iter()
        .filter(|m| m.destination() != &PathBuf::from("/sys/fs/cgroup"))
        .collect();
    let mount = |dest: &str, typ: &str, source: &str, options: &[&str]| {
        MountBuilder::default()
            .destination(dest)
            .typ(typ)
            .source(source)
            .options(options.iter().map(|o| (*o).to_owned()).collect::<Vec<_>>())
            .build()
    };
    mounts.push(mount("/sys/fs/cgroup", "cgroup2", "cgroup2", &["rw", "nosuid", "noexec", "nodev"])?);
    mounts.push(mount("/run", "tmpfs", "tmpfs", &["rw", "nosuid", "nodev", "mode=755"])?);
    mounts.push(mount("/run/lock", "tmpfs", "tmpfs", &["rw", "nosuid", "nodev", "noexec"])?);
    mounts.push(mount("/tmp", "tmpfs", "tmpfs", &["rw", "nosuid", "nodev", "mode=1777"])?);
    if let Some(ramdisk) = &input.ramdisk {
        mounts.push(mount("/ramdisk", "bind", &ramdisk.to_string_lossy(), &["rbind", "rw"])?);
    }
    Ok(mounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_system_container_config() {
        let spec = build(&SpecInput {
            hostname: "web",
            env: vec!["A=1".into()],
            rootfs: "/data/c/rootfs".into(),
            cgroup_path: "/hoody/abc-1".into(),
            limits: Limits { memory_bytes: 64 << 20, pids: 100 },
            ramdisk: Some("/run/hoody/x/ramdisk/abc".into()),
        })
        .unwrap();
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["hostname"], "web");
        assert_eq!(json["process"]["args"][0], "/sbin/init");
        let env: Vec<&str> = json["process"]["env"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(env.contains(&"A=1") && env.contains(&"container=oci"));
        assert!(json["process"]["capabilities"]["bounding"].as_array().unwrap().contains(&"CAP_SYS_ADMIN".into()));
        assert_eq!(json["linux"]["resources"]["memory"]["limit"], 64 << 20);
        assert_eq!(json["linux"]["resources"]["pids"]["limit"], 100);
        assert_eq!(json["linux"]["cgroupsPath"], "/hoody/abc-1");
        let ns: Vec<&str> =
            json["linux"]["namespaces"].as_array().unwrap().iter().map(|n| n["type"].as_str().unwrap()).collect();
        for wanted in ["pid", "network", "ipc", "uts", "mount", "cgroup"] {
            assert!(ns.contains(&wanted), "{wanted} namespace missing");
        }
        let mounts = json["mounts"].as_array().unwrap();
        let cgroup = mounts.iter().find(|m| m["destination"] == "/sys/fs/cgroup").unwrap();
        assert_eq!(cgroup["type"], "cgroup2");
        assert!(mounts.iter().any(|m| m["destination"] == "/ramdisk" && m["source"] == "/run/hoody/x/ramdisk/abc"));
    }
}
