//! `hoody-enter map-ids PID --uid-map … --gid-map …`: writes the id maps of process PID's new
//! user namespace, once PID says (a byte, or end of file, on stdin) that it has unshared. A
//! process cannot map more than its own id into a namespace it is in, so this is done from
//! outside: by root directly, by anyone else through the setuid helpers `newuidmap` and
//! `newgidmap`, which check the ranges against /etc/subuid and /etc/subgid.

use crate::args::{Args, MapLine};
use std::io::Read;
use std::process::{Command, ExitCode};

pub fn main(raw: Vec<std::ffi::OsString>) -> Result<ExitCode, String> {
    let mut raw = raw.into_iter();
    let pid: u32 = raw.next().and_then(|p| p.to_str()?.parse().ok()).ok_or("map-ids needs the PID first")?;
    let args = Args::parse(raw.collect(), &[])?;
    let uids = MapLine::all(&args, "uid-map")?;
    let gids = MapLine::all(&args, "gid-map")?;
    let mut go = [0u8; 1];
    let _ = std::io::stdin().read(&mut go); // a byte or EOF: the namespace is there
    write_maps(pid, &uids, &gids)?;
    Ok(ExitCode::SUCCESS)
}

fn write_maps(pid: u32, uids: &[MapLine], gids: &[MapLine]) -> Result<(), String> {
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
    for (tool, lines) in [("newuidmap", uids), ("newgidmap", gids)] {
        let mut command = Command::new(tool);
        command.arg(pid.to_string());
        for l in lines {
            command.args([l.inside.to_string(), l.outside.to_string(), l.count.to_string()]);
        }
        let out = command.output().map_err(|e| {
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
