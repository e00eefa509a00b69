//! Writing the id maps of a new user namespace from outside it (a process cannot map more
//! than its own id into a namespace it is in): by root directly, by anyone else through the
//! setuid helpers `newuidmap` and `newgidmap`, which check the ranges against /etc/subuid and
//! /etc/subgid.

use crate::args::MapLine;
use std::process::{Command, Stdio};

pub fn write_maps(pid: u32, uids: &[MapLine], gids: &[MapLine]) -> Result<(), String> {
    if rustix::process::geteuid().is_root() {
        let table = |lines: &[MapLine]| {
            lines.iter().map(|l| format!("{} {} {}\n", l.inside, l.outside, l.count)).collect::<String>()
        };
        // Each map is written in one write, as the kernel requires.
        for (file, lines) in [("uid_map", uids), ("gid_map", gids)] {
            std::fs::write(format!("/proc/{pid}/{file}"), table(lines))
                .map_err(|e| format!("cannot write /proc/{pid}/{file}: {e}"))?;
        }
        return Ok(());
    }
    // Both at once: each is a setuid program's start (~2 ms), and neither waits for the other.
    let running: Vec<_> = [("newuidmap", uids), ("newgidmap", gids)]
        .into_iter()
        .map(|(tool, lines)| {
            let mut command = Command::new(tool);
            command.arg(pid.to_string()).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
            for l in lines {
                command.args([l.inside.to_string(), l.outside.to_string(), l.count.to_string()]);
            }
            (tool, command.spawn())
        })
        .collect();
    for (tool, child) in running {
        let out = child.and_then(std::process::Child::wait_with_output).map_err(|e| {
            format!("cannot run {tool} ({e}): install the uidmap package, or run `sudo hoodyd host-setup --user NAME`")
        })?;
        if !out.status.success() {
            return Err(format!(
                "{tool} refused the map ({}): the user needs these subordinate ids; run `sudo hoodyd host-setup --user NAME`",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(())
}
