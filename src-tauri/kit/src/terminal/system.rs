//! The terminal's `/api/v1/system/*` routes: the container's processes, one process, a signal
//! to one, its listening ports, its X displays and what it uses (memory, CPU time, disk,
//! uptime) — read inside the container (its /proc, its root, its network namespace), through
//! [`crate::inside`]. `reboot` and `shutdown` restart or stop the container through the engine
//! (as its owner's `restart` and `stop` do), after their `delay`: [`power`].

use crate::error::{KitCode, KitError};
use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;

/// What is asked of the container.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum SystemOp {
    Processes { sort: String, limit: usize, filter: Option<String> },
    Process { pid: u32 },
    Signal { pid: Option<u32>, name: Option<String>, signal: String },
    Ports { protocol: Option<String>, port: Option<u16> },
    Displays,
    Resources,
}

/// Signals `signal` may name.
const SIGNALS: &[&str] = &["TERM", "KILL", "INT", "HUP", "QUIT", "USR1", "USR2", "STOP", "CONT"];

impl SystemOp {
    /// The request's operation, or why it cannot be one.
    pub(super) fn parse(
        method: &hyper::Method,
        route: &str,
        query: &crate::request::Query,
        body: &serde_json::Map<String, Value>,
    ) -> Result<Self, KitError> {
        let bad = |m: String| KitError::new(KitCode::InvalidParameters, m);
        Ok(match (method.as_str(), route) {
            ("GET", "/processes") => {
                let sort = query.get("sort").unwrap_or("pid").to_owned();
                if !["pid", "name", "memory", "cpu"].contains(&sort.as_str()) {
                    return Err(bad(format!("sort must be pid, name, memory or cpu, not {sort:?}")));
                }
                let limit = match query.get("limit") {
                    None => 1000,
                    Some(n) => n.parse().map_err(|_| bad(format!("limit must be a number, not {n:?}")))?,
                };
                Self::Processes { sort, limit, filter: query.get("filter").map(str::to_owned) }
            }
            ("GET", pid) if pid.starts_with("/processes/") => {
                let raw = &pid["/processes/".len()..];
                Self::Process { pid: raw.parse().map_err(|_| bad(format!("pid must be a number, not {raw:?}")))? }
            }
            ("POST", "/process/signal") => {
                super::input::check_fields(body, &["pid", "name", "signal", "force"], &[])?;
                let pid = body
                    .get("pid")
                    .map(|p| p.as_u64().map(|p| p as u32).ok_or_else(|| bad("pid must be a number".into())))
                    .transpose()?;
                let name = body.get("name").and_then(Value::as_str).map(str::to_owned);
                if pid.is_none() && name.is_none() {
                    return Err(bad("name the process: pid or name".into()));
                }
                let force = body.get("force").and_then(Value::as_bool).unwrap_or(false);
                let signal = match (force, body.get("signal").and_then(Value::as_str)) {
                    (true, _) => "KILL".to_owned(),
                    (false, None) => "TERM".to_owned(),
                    (false, Some(s)) => {
                        let s = s.trim_start_matches("SIG").to_ascii_uppercase();
                        if !SIGNALS.contains(&s.as_str()) {
                            return Err(bad(format!("signal must be one of {}", SIGNALS.join(", "))));
                        }
                        s
                    }
                };
                Self::Signal { pid, name, signal }
            }
            ("GET", "/ports") => {
                let protocol = query.get("protocol").map(str::to_ascii_lowercase);
                if protocol.as_deref().is_some_and(|p| p != "tcp" && p != "udp") {
                    return Err(bad("protocol must be tcp or udp".into()));
                }
                for name in ["user", "ip", "skip_program", "http_only", "hoody_only"] {
                    if query.get(name).is_some() {
                        return Err(KitError::new(
                            KitCode::NotImplemented,
                            format!("?{name} is documented by the platform but not honoured here yet"),
                        ));
                    }
                }
                let port = query
                    .get("port")
                    .map(|p| p.parse().map_err(|_| bad(format!("port must be a number, not {p:?}"))))
                    .transpose()?;
                Self::Ports { protocol, port }
            }
            ("GET", "/displays") => Self::Displays,
            ("GET", "/resources") => Self::Resources,
            (method, route) => {
                return Err(KitError::new(
                    KitCode::NotFound,
                    format!("no system route {method} /api/v1/system{route}"),
                ));
            }
        })
    }
}

/// One process as `/proc/PID` tells it.
fn process(pid: u32, users: &HashMap<u32, String>) -> Option<Value> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (name) state ppid …`: the name may hold spaces and parentheses.
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let name = &stat[open + 1..close];
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |key: &str| status.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
    let uid: u32 = field("Uid:").and_then(|u| u.split_whitespace().next()).and_then(|u| u.parse().ok()).unwrap_or(0);
    let rss_kib: u64 =
        field("VmRSS:").and_then(|v| v.split_whitespace().next()).and_then(|v| v.parse().ok()).unwrap_or(0);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline: Vec<String> =
        cmdline.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    Some(json!({
        "pid": pid,
        "ppid": number(1),
        "name": name,
        "state": fields.first().copied().unwrap_or("?"),
        "uid": uid,
        "user": users.get(&uid).cloned().unwrap_or_else(|| uid.to_string()),
        "rss_bytes": rss_kib * 1024,
        "cpu_ticks": number(11) + number(12),
        "threads": number(17),
        "command": cmdline.join(" "),
    }))
}

/// What the container's processes use, its disk, its uptime; the host's memory, cores and load
/// beside them (named as the host's: a container has no memory or cores of its own to report
/// but its limits, which the control plane's stats give).
fn resources() -> Value {
    let list: Vec<Value> = pids().into_iter().filter_map(|pid| process(pid, &HashMap::new())).collect();
    let sum = |key: &str| list.iter().map(|p| p[key].as_u64().unwrap_or(0)).sum::<u64>();
    let ticks = rustix::param::clock_ticks_per_second().max(1);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kib = |key: &str| {
        meminfo.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
    };
    let load: Vec<f64> = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect();
    // Seconds since the container's init started: the boot clock against its start tick.
    let uptime =
        std::fs::read_to_string("/proc/uptime").ok().and_then(|u| u.split_whitespace().next()?.parse::<f64>().ok());
    let init_started = std::fs::read_to_string("/proc/1/stat").ok().and_then(|stat| {
        let after = &stat[stat.rfind(')')? + 2..];
        after.split_whitespace().nth(19)?.parse::<u64>().ok()
    });
    let container_uptime = match (uptime, init_started) {
        (Some(up), Some(start)) => Some((up - start as f64 / ticks as f64).max(0.0)),
        _ => None,
    };
    let disk = rustix::fs::statvfs("/").ok().map(|v| {
        let (total, free) = (v.f_blocks * v.f_frsize, v.f_bavail * v.f_frsize);
        json!({ "path": "/", "total_bytes": total, "free_bytes": free, "used_bytes": total.saturating_sub(v.f_bfree * v.f_frsize) })
    });
    json!({
        "processes": list.len(),
        "threads": sum("threads"),
        "memory": { "rss_bytes": sum("rss_bytes"), "host_total_bytes": kib("MemTotal:").map(|k| k * 1024),
            "host_available_bytes": kib("MemAvailable:").map(|k| k * 1024) },
        "cpu": { "time_seconds": sum("cpu_ticks") as f64 / ticks as f64,
            "host_cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1), "host_load_average": load },
        "disk": disk,
        "uptime_seconds": container_uptime,
    })
}

fn pids() -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .map(|dir| dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    pids.sort_unstable();
    pids
}

fn users() -> HashMap<u32, String> {
    std::fs::read_to_string("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            Some((f.nth(1)?.parse().ok()?, name.to_owned()))
        })
        .collect()
}

/// The listening sockets of the container's network namespace (its init's `/proc/1/net`), with
/// the process holding each when it can be told.
fn ports(protocol: Option<&str>, port: Option<u16>) -> Vec<Value> {
    let mut owners: HashMap<u64, (u32, String)> = HashMap::new();
    for pid in pids() {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { continue };
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned();
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else { continue };
            if let Some(inode) =
                target.to_str().and_then(|t| t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok())
            {
                owners.entry(inode).or_insert((pid, name.clone()));
            }
        }
    }
    let mut found = Vec::new();
    for (file, proto) in [("tcp", "tcp"), ("tcp6", "tcp"), ("udp", "udp"), ("udp6", "udp")] {
        if protocol.is_some_and(|p| p != proto) {
            continue;
        }
        let table = std::fs::read_to_string(format!("/proc/1/net/{file}")).unwrap_or_default();
        for line in table.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else { continue };
            // TCP: only LISTEN (0A); UDP: bound sockets (07).
            if (proto == "tcp" && *state != "0A") || (proto == "udp" && *state != "07") {
                continue;
            }
            let Some((addr, hex_port)) = local.rsplit_once(':') else { continue };
            let Ok(number) = u16::from_str_radix(hex_port, 16) else { continue };
            if port.is_some_and(|p| p != number) {
                continue;
            }
            let inode: u64 = inode.parse().unwrap_or(0);
            let owner = owners.get(&inode);
            found.push(json!({
                "protocol": proto,
                "address": address(addr),
                "port": number,
                "pid": owner.map(|o| o.0),
                "program": owner.map(|o| o.1.clone()),
            }));
        }
    }
    found
}

/// A /proc/net address (hex, in the kernel's byte order) as text.
fn address(hex: &str) -> String {
    let bytes: Vec<u8> =
        (0..hex.len()).step_by(2).filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect();
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[3], bytes[2], bytes[1], bytes[0]).to_string(),
        16 => {
            let mut octets = [0u8; 16];
            for (word, chunk) in bytes.chunks(4).enumerate() {
                for (i, b) in chunk.iter().rev().enumerate() {
                    octets[word * 4 + i] = *b;
                }
            }
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => hex.to_owned(),
    }
}

/// Inside the container: one system operation, as a reply and its body.
pub(crate) fn execute_inside(request: &[u8]) -> (crate::inside::Reply, Vec<u8>) {
    let answer = match serde_json::from_slice::<SystemOp>(request) {
        Ok(op) => execute(op),
        Err(e) => Err(KitError::new(KitCode::InvalidParameters, format!("a malformed system operation: {e}"))),
    };
    let (status, body) = match answer {
        Ok(value) => (StatusCode::OK, value),
        Err(e) => (e.status(), e.body()),
    };
    (crate::inside::Reply::new(status, "application/json"), serde_json::to_vec(&body).expect("JSON serialises"))
}

fn execute(op: SystemOp) -> Result<Value, KitError> {
    match op {
        SystemOp::Resources => Ok(resources()),
        SystemOp::Processes { sort, limit, filter } => {
            let users = users();
            let mut list: Vec<Value> = pids().into_iter().filter_map(|pid| process(pid, &users)).collect();
            if let Some(filter) = filter.map(|f| f.to_lowercase()) {
                list.retain(|p| {
                    [&p["name"], &p["command"]]
                        .iter()
                        .any(|v| v.as_str().is_some_and(|s| s.to_lowercase().contains(&filter)))
                });
            }
            let key = |p: &Value, k: &str| p[k].as_u64().unwrap_or(0);
            match sort.as_str() {
                "name" => list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str())),
                "memory" => list.sort_by_key(|p| std::cmp::Reverse(key(p, "rss_bytes"))),
                "cpu" => list.sort_by_key(|p| std::cmp::Reverse(key(p, "cpu_ticks"))),
                _ => {}
            }
            let total = list.len();
            list.truncate(limit);
            Ok(json!({ "count": list.len(), "total": total, "processes": list }))
        }
        SystemOp::Process { pid } => {
            let mut found = process(pid, &users()).ok_or_else(|| {
                KitError::new(KitCode::NotFound, format!("there is no process {pid} in the container"))
            })?;
            found["cwd"] = json!(std::fs::read_link(format!("/proc/{pid}/cwd")).ok().map(|p| p.display().to_string()));
            Ok(found)
        }
        SystemOp::Signal { pid, name, signal } => {
            let users = users();
            let targets: Vec<u32> = match (pid, &name) {
                (Some(pid), _) => vec![pid],
                (None, Some(name)) => pids()
                    .into_iter()
                    .filter(|p| process(*p, &users).is_some_and(|v| v["name"] == name.as_str()))
                    .collect(),
                (None, None) => Vec::new(),
            };
            if targets.is_empty() || targets.iter().any(|p| process(*p, &users).is_none()) {
                return Err(KitError::new(KitCode::NotFound, "no such process in the container"));
            }
            if targets.contains(&1) {
                return Err(KitError::new(
                    KitCode::Forbidden,
                    "pid 1 is the container's init: stop or restart the container from the control plane",
                ));
            }
            // A child of this helper is in the container's pid namespace: its `kill` names the
            // container's pids, never the host's.
            let kill =
                ["/bin/kill", "/usr/bin/kill"].into_iter().find(|k| std::path::Path::new(k).exists()).ok_or_else(
                    || KitError::new(KitCode::NotImplemented, "the container has no kill program to send signals with"),
                )?;
            let status = std::process::Command::new(kill)
                .arg(format!("-{signal}"))
                .args(targets.iter().map(u32::to_string))
                .status()
                .map_err(|e| KitError::new(KitCode::Internal, format!("cannot run {kill}: {e}")))?;
            if !status.success() {
                return Err(KitError::new(KitCode::Conflict, format!("{kill} -{signal} failed ({status})")));
            }
            Ok(json!({ "success": true, "signal": signal, "pids": targets }))
        }
        SystemOp::Ports { protocol, port } => {
            let ports = ports(protocol.as_deref(), port);
            Ok(json!({ "count": ports.len(), "ports": ports }))
        }
        SystemOp::Displays => {
            let mut displays: Vec<String> = std::fs::read_dir("/tmp/.X11-unix")
                .map(|d| {
                    d.filter_map(|e| Some(format!(":{}", e.ok()?.file_name().to_str()?.strip_prefix('X')?))).collect()
                })
                .unwrap_or_default();
            displays.sort();
            Ok(json!({ "count": displays.len(), "displays": displays }))
        }
    }
}

/// Most seconds a reboot or shutdown may wait.
const MAX_POWER_DELAY: u64 = 3600;

/// Whether the request is `POST /api/v1/system/reboot` or `/shutdown`.
pub fn is_power(req: &hyper::Request<hyper::body::Incoming>) -> bool {
    req.method() == hyper::Method::POST
        && matches!(req.uri().path(), "/api/v1/system/reboot" | "/api/v1/system/shutdown")
}

/// `POST /api/v1/system/reboot|shutdown?delay=SECONDS`: the container restarted or stopped by
/// `operate` (the engine) after `delay` (0 to an hour); answered at once, since the container's
/// services end with it.
pub fn power<F, Fut>(
    req: &hyper::Request<hyper::body::Incoming>,
    name: &str,
    operate: F,
) -> hyper::Response<crate::proxy::Body>
where
    F: FnOnce(bool) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let restart = req.uri().path().ends_with("/reboot");
    let query = match crate::request::Query::parse(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return KitError::new(KitCode::InvalidParameters, e).into_response(),
    };
    let delay = match query.get("delay").filter(|d| !d.is_empty()) {
        None => 0,
        Some(d) => match d.parse::<u64>().ok().filter(|d| *d <= MAX_POWER_DELAY) {
            Some(d) => d,
            None => {
                let why = format!("delay is 0 to {MAX_POWER_DELAY} seconds, not {d:?}");
                return KitError::new(KitCode::InvalidParameters, why).into_response();
            }
        },
    };
    let label = name.to_owned();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(delay)).await;
        if let Err(why) = operate(restart).await {
            tracing::warn!(container = %label, "{} asked through its terminal: {why}", if restart { "reboot" } else { "shutdown" });
        }
    });
    let what = if restart { "restarts" } else { "stops" };
    let message = format!("{name} {what} in {delay} s (its terminal sessions end with it)");
    crate::proxy::json(
        StatusCode::OK,
        &json!({ "success": true, "message": message, "action": if restart { "reboot" } else { "shutdown" }, "delay": delay }),
    )
}

#[cfg(test)]
mod tests {
    use super::address;

    #[test]
    fn proc_net_addresses_read_in_the_kernels_order() {
        assert_eq!(address("0100007F"), "127.0.0.1");
        assert_eq!(address("00000000"), "0.0.0.0");
        assert_eq!(address("00000000000000000000000001000000"), "::1");
    }
}
