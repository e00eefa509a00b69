//! A desktop session of a test's own for the real app, which runs as an ordinary user (never
//! root): an X server (Xvfb) and the user's D-Bus session bus, optionally a Secret Service on it,
//! and a recording `xdg-open`. Shared by the app's tests and its start-up bench (`#[path]`);
//! each takes what it needs.
#![allow(dead_code)]

use hoody_client::testkit::TestUser;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A child process killed (and reaped) when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A process this test did not start itself (by its pid), killed when the guard goes.
pub struct Killed(pub u32);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-9", &self.0.to_string()]).status();
    }
}

pub struct Session {
    /// `:N`, for `DISPLAY`.
    pub display: String,
    /// For `DBUS_SESSION_BUS_ADDRESS`.
    pub bus_address: String,
    /// Whose session it is.
    pub user: &'static TestUser,
    _xvfb: Guard,
    _bus: Guard,
}

impl Session {
    /// Starts Xvfb on display `:base + pid % 200` (tests running at once pick apart bases) and
    /// `user`'s session bus.
    pub fn start(base: u32, user: &'static TestUser) -> Self {
        let display = format!(":{}", base + std::process::id() % 200);
        let xvfb = Command::new("Xvfb")
            .args([&display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .spawn()
            .expect("Xvfb is installed (.ci/install-deps)");
        let mut bus = user
            .command(Path::new("/usr/bin/dbus-daemon"))
            .args(["--session", "--print-address=1", "--nofork"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed (.ci/install-deps)");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap()).read_line(&mut address).unwrap();
        Self { display, bus_address: address.trim().to_owned(), user, _xvfb: Guard(xvfb), _bus: Guard(bus) }
    }

    /// `program` as the session's user, in this session (its display and bus), with `home` as
    /// HOME and `bin` first on PATH.
    pub fn command(&self, program: &Path, home: &Path, bin: &Path) -> Command {
        let mut command = self.user.command(program);
        command
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("PATH", format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()));
        command
    }

    /// Directories of the user's for a test (in its home): `names` made under a fresh one.
    pub fn dirs(&self, names: &[&str]) -> (hoody_client::testkit::Scratch, Vec<PathBuf>) {
        let scratch = self.user.scratch();
        let dirs: Vec<PathBuf> = names.iter().map(|n| scratch.0.join(n)).collect();
        for dir in &dirs {
            std::fs::create_dir_all(dir).unwrap();
            self.user.give(dir);
        }
        (scratch, dirs)
    }

    /// A Secret Service on this bus: gnome-keyring, unlocked, its keyrings under `home`. (It
    /// makes its login keyring only for a non-empty password; it ends with the bus.)
    pub fn unlock_keyring(&self, home: &Path) {
        let mut keyring = self
            .user
            .command(Path::new("/usr/bin/gnome-keyring-daemon"))
            .args(["--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env("HOME", home)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is installed (.ci/install-deps)");
        keyring.stdin.take().unwrap().write_all(b"hoody-test").unwrap();
        assert!(keyring.wait().unwrap().success(), "gnome-keyring-daemon --unlock failed");
    }
}

/// Writes `bin/xdg-open`, which appends every URL it is asked to open to `log` (in a directory
/// the app's user may write).
pub fn recording_xdg_open(bin: &Path, log: &Path) {
    let script = bin.join("xdg-open");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$1\" >> {}\n", log.display())).unwrap();
    Command::new("chmod").arg("755").arg(&script).status().unwrap();
}
