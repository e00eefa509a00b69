//! What a Hoody server reports about the machine it runs on, read from Linux (`/proc`).

/// This machine as `GET /servers` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    pub hostname: String,
    pub cpu_count: u32,
    pub memory_bytes: u64,
}

/// The facts as they are now (a value that cannot be read is `localhost`, 1 CPU, 0 bytes).
pub fn facts() -> HostFacts {
    HostFacts {
        hostname: read_trimmed("/proc/sys/kernel/hostname").unwrap_or_else(|| "localhost".into()),
        cpu_count: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        memory_bytes: total_memory_bytes().unwrap_or(0),
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn total_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_machine_has_a_name_cpus_and_memory() {
        let facts = super::facts();
        assert!(!facts.hostname.is_empty() && facts.cpu_count >= 1 && facts.memory_bytes > 0, "{facts:?}");
    }
}
