//! The OCI runtime config of a system container: the image's init as PID 1 in its own user,
//! PID, mount, UTS, IPC, network and cgroup namespaces, its ids mapped onto the engine's
//! unprivileged host range, with the capabilities and masked paths of [`crate::confine`] (its
//! seccomp filter is the init's first program's to load: see [`crate::init_shim`]), the mounts
//! an init system needs, and the container's limits.

use crate::confine;
use crate::error::{Result, RuntimeError};
use crate::idmap::{IdMap, SIZE};
use oci_spec::runtime::{
    Capability, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxIdMappingBuilder, LinuxMemoryBuilder, LinuxNamespace,
    LinuxNamespaceType, LinuxPidsBuilder, LinuxResourcesBuilder, Mount, MountBuilder, ProcessBuilder, RootBuilder,
    Spec,
};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;

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
    /// The engine's id map: container ids 0–65535 become its host range.
    pub ids: IdMap,
    /// A path unique to this start: a reused frozen cgroup can hang the next start.
    pub cgroup_path: String,
    pub limits: Limits,
    pub ramdisk: Option<PathBuf>,
    /// Nested user namespaces allowed inside (see `crate::init_shim`).
    pub nesting: bool,
}

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub fn build(input: &SpecInput<'_>) -> Result<Spec> {
    build_inner(input).map_err(|e| RuntimeError::Failed(format!("cannot write the OCI config: {e}")))
}

fn build_inner(input: &SpecInput<'_>) -> std::result::Result<Spec, oci_spec::OciSpecError> {
    let caps: HashSet<Capability> = confine::CAPABILITIES
        .iter()
        .map(|(name, _)| {
            let bare = name.trim_start_matches("CAP_");
            Capability::from_str(bare).map_err(|e| oci_spec::OciSpecError::Other(format!("{name}: {e}")))
        })
        .collect::<std::result::Result<_, _>>()?;
    let capabilities =
        LinuxCapabilitiesBuilder::default().bounding(caps.clone()).effective(caps.clone()).permitted(caps).build()?;
    let mut env = vec![PATH.to_owned(), "container=oci".to_owned(), "TERM=xterm".to_owned()];
    env.extend(input.env.iter().cloned());
    let process = ProcessBuilder::default()
        // The image's /sbin/init, through the program that locks runc's mounts first.
        .args(crate::init_shim::command(input.nesting))
        // A pty as /dev/console, which the engine keeps (see crate::console): systemd writes
        // why it gives up only there, and console-getty wants one.
        .terminal(true)
        .env(env)
        .cwd("/")
        .no_new_privileges(false)
        .capabilities(capabilities)
        .rlimits(vec![])
        .build()?;
    // Devices: a user namespace cannot make device nodes, and runc gives it only the
    // harmless ones (/dev/null, zero, full, random, urandom, tty) as bind mounts.
    let resources = LinuxResourcesBuilder::default()
        .memory(LinuxMemoryBuilder::default().limit(input.limits.memory_bytes as i64).build()?)
        .pids(LinuxPidsBuilder::default().limit(i64::from(input.limits.pids)).build()?)
        .build()?;
    let namespaces: Vec<LinuxNamespace> = [
        LinuxNamespaceType::User,
        LinuxNamespaceType::Pid,
        LinuxNamespaceType::Network,
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Mount,
        LinuxNamespaceType::Cgroup,
    ]
    .into_iter()
    .map(|typ| {
        let mut ns = LinuxNamespace::default();
        ns.set_typ(typ);
        ns
    })
    .collect();
    let map = |base: u32| LinuxIdMappingBuilder::default().container_id(0u32).host_id(base).size(SIZE).build();
    let strings = |paths: &[&str]| paths.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    let linux = LinuxBuilder::default()
        .namespaces(namespaces)
        .uid_mappings(vec![map(input.ids.uid_base)?])
        .gid_mappings(vec![map(input.ids.gid_base)?])
        .masked_paths(strings(confine::MASKED_PATHS))
        .readonly_paths(strings(confine::READONLY_PATHS))
        .sysctl(confine::network_sysctls().into_iter().collect::<HashMap<_, _>>())
        .cgroups_path(PathBuf::from(&input.cgroup_path))
        .resources(resources)
        .build()?;
    let mut spec = Spec::default();
    spec.set_hostname(Some(input.hostname.to_owned()));
    spec.set_process(Some(process));
    // Relative to the bundle: runc reaches it from there, never through the engine's home.
    spec.set_root(Some(RootBuilder::default().path("rootfs").readonly(false).build()?));
    spec.set_linux(Some(linux));
    spec.set_mounts(Some(mounts(input)?));
    Ok(spec)
}

/// runc's default mounts, with a writable cgroup2 tree (systemd manages its own units there)
/// and tmpfs where an init expects one; plus /ramdisk when the container has it. (Its shares are
/// bound by runc's namespace before the container's exists: see [`crate::enter::Bind`].)
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
    let shim = crate::init_shim::IN_CONTAINER;
    mounts.push(mount(shim, "bind", crate::init_shim::IN_BUNDLE, &["bind", "ro", "nosuid", "nodev"])?);
    let filter = crate::init_shim::FILTER_IN_CONTAINER;
    mounts.push(mount(
        filter,
        "bind",
        crate::init_shim::FILTER_IN_BUNDLE,
        &["bind", "ro", "nosuid", "nodev", "noexec"],
    )?);
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
        let ids = IdMap { engine_uid: 1000, engine_gid: 1000, uid_base: 100_000, gid_base: 200_000 };
        let spec = build(&SpecInput {
            hostname: "web",
            env: vec!["A=1".into()],
            ids,
            cgroup_path: "/hoody/abc-1".into(),
            limits: Limits { memory_bytes: 64 << 20, pids: 100 },
            ramdisk: Some("/run/hoody/x/ramdisk/abc".into()),
            nesting: false,
        })
        .unwrap();
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["hostname"], "web");
        let args = json["process"]["args"].as_array().unwrap();
        assert_eq!(
            (&args[0], args.last().unwrap()),
            (&serde_json::json!(crate::init_shim::IN_CONTAINER), &serde_json::json!("/sbin/init"))
        );
        let env: Vec<&str> = json["process"]["env"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(env.contains(&"A=1") && env.contains(&"container=oci"));
        assert!(json["process"]["capabilities"]["bounding"].as_array().unwrap().contains(&"CAP_SYS_ADMIN".into()));
        assert_eq!(json["linux"]["resources"]["memory"]["limit"], 64 << 20);
        assert_eq!(json["linux"]["resources"]["pids"]["limit"], 100);
        assert_eq!(json["linux"]["cgroupsPath"], "/hoody/abc-1");
        let ns: Vec<&str> =
            json["linux"]["namespaces"].as_array().unwrap().iter().map(|n| n["type"].as_str().unwrap()).collect();
        for wanted in ["user", "pid", "network", "ipc", "uts", "mount", "cgroup"] {
            assert!(ns.contains(&wanted), "{wanted} namespace missing");
        }
        assert_eq!(
            json["linux"]["uidMappings"][0],
            serde_json::json!({"containerID": 0, "hostID": 100_000, "size": 65_536})
        );
        assert_eq!(json["linux"]["gidMappings"][0]["hostID"], 200_000);
        // runc compiles no filter (~20 ms of every start): the init's first program loads it.
        assert_eq!(json["linux"].get("seccomp"), None);
        assert!(json["linux"]["readonlyPaths"].as_array().unwrap().contains(&"/proc/sys".into()));
        assert!(json["linux"]["maskedPaths"].as_array().unwrap().contains(&"/proc/kcore".into()));
        assert_eq!(json["root"]["path"], "rootfs");
        let mounts = json["mounts"].as_array().unwrap();
        let cgroup = mounts.iter().find(|m| m["destination"] == "/sys/fs/cgroup").unwrap();
        assert_eq!(cgroup["type"], "cgroup2");
        assert!(mounts.iter().any(|m| m["destination"] == "/ramdisk" && m["source"] == "/run/hoody/x/ramdisk/abc"));
        let filter = mounts.iter().find(|m| m["destination"] == crate::init_shim::FILTER_IN_CONTAINER).unwrap();
        assert_eq!(filter["source"], crate::init_shim::FILTER_IN_BUNDLE);
    }
}
