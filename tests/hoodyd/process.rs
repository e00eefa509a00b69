use hoody_client::HoodyClient;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A shell prefix that waits (up to 60 s) for a container's systemd to take requests: the
/// container is `running` once its init runs, and a terminal opened at once can reach it before
/// systemd has made its socket ("Failed to connect to system scope bus", seen in CI).
pub const SYSTEMD_ANSWERS: &str = "timeout 60 sh -c 'until [ -S /run/systemd/private ]; do sleep 0.1; done'; ";

/// A running `hoodyd serve` on 127.0.0.1 with a free port.
pub struct Hoodyd {
    /// What was started: hoodyd itself, or the login (su) that runs it.
    pub child: Child,
    /// hoodyd's own pid.
    pub pid: u32,
    pub client: HoodyClient,
    pub data_dir: PathBuf,
    /// The service proxy's port.
    pub proxy_port: u16,
    /// The ordinary user it runs as (None: root).
    pub user: Option<&'static hoody_client::testkit::TestUser>,
}

impl Hoodyd {
    pub fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[])
    }

    /// `hoodyd serve` with extra arguments.
    pub fn start_with(data_dir: &Path, args: &[&str]) -> Self {
        Self::launch(None, data_dir, args)
    }

    /// `hoodyd serve` as an ordinary user, on a data directory of theirs.
    pub fn start_as(user: &'static hoody_client::testkit::TestUser, data_dir: &Path) -> Self {
        Self::launch(Some(user), data_dir, &[])
    }

    /// `hoodyd serve` as an ordinary user, with extra arguments.
    pub fn start_as_with(user: &'static hoody_client::testkit::TestUser, data_dir: &Path, args: &[&str]) -> Self {
        Self::launch(Some(user), data_dir, args)
    }

    /// `hoodyd serve` as an ordinary user, started from where this test runs: outside every
    /// cgroup a login of the user's starts in (on a host without systemd).
    pub fn start_outside_login(user: &'static hoody_client::testkit::TestUser, data_dir: &Path) -> Self {
        let mut command = user.command_outside_session(&user.program("hoodyd"));
        command.args(["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir);
        Self::launch_command(command, Some(user), data_dir)
    }

    /// `hoodyd serve` as an ordinary user, started as `.ci/run-app` starts the app: in a login
    /// of the user's (`su --login`, through PAM, whose session hook host-setup installs), from
    /// wherever this test runs, with the user's own environment.
    pub fn start_in_login(user: &'static hoody_client::testkit::TestUser, data_dir: &Path) -> Self {
        let serve = format!(
            "exec '{}' serve --listen 127.0.0.1:0 --proxy-listen 127.0.0.1:0 --data-dir '{}'",
            user.program("hoodyd").display(),
            data_dir.display()
        );
        let mut su = Command::new("su");
        su.args(["--login", "--shell", "/bin/sh", "--whitelist-environment", "HOODY_LOG", "--command", &serve]);
        su.arg(&user.name);
        let mut d = Self::launch_command(su, Some(user), data_dir);
        let children = format!("/proc/{0}/task/{0}/children", d.child.id());
        let children = std::fs::read_to_string(children).unwrap();
        d.pid = children.split_whitespace().next().and_then(|p| p.parse().ok()).expect("su runs hoodyd");
        d
    }

    /// `hoodyd serve` (as `user`, or root) started as a careless launcher starts it: holding
    /// `held` as its descriptor `fd`, not close-on-exec.
    pub fn start_holding(
        user: Option<&'static hoody_client::testkit::TestUser>,
        data_dir: &Path,
        held: &std::fs::File,
        fd: i32,
    ) -> Self {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let mut command = Self::command(user);
        command.args(["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir);
        let source = held.as_raw_fd();
        #[allow(unsafe_code)]
        // SAFETY: dup2 is async-signal-safe; it is all the closure does between fork and exec.
        unsafe {
            command.pre_exec(move || match libc::dup2(source, fd) {
                -1 => Err(std::io::Error::last_os_error()),
                _ => Ok(()),
            });
        }
        Self::launch_command(command, user, data_dir)
    }

    /// The `hoodyd` command, run as `user` when there is one.
    fn command(user: Option<&hoody_client::testkit::TestUser>) -> Command {
        match user {
            Some(user) => user.command(&user.program("hoodyd")),
            None => Command::new(hoody_e2e::program("hoodyd")),
        }
    }

    fn launch(user: Option<&'static hoody_client::testkit::TestUser>, data_dir: &Path, args: &[&str]) -> Self {
        let mut command = Self::command(user);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args);
        Self::launch_command(command, user, data_dir)
    }

    /// Starts `command` (a `hoodyd serve`, or what runs one) and waits for the address it prints.
    fn launch_command(
        mut command: Command,
        user: Option<&'static hoody_client::testkit::TestUser>,
        data_dir: &Path,
    ) -> Self {
        let mut child = command
            .env("HOODY_LOG", std::env::var("HOODY_TEST_LOG").unwrap_or("error".into()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("hoodyd starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("hoodyd printed no address: {line:?} ({:?}; its stderr is above)", child.wait()))
            .to_owned();
        let token = std::fs::read_to_string(data_dir.join("admin.token")).unwrap().trim().to_owned();
        let proxy_port = line.trim().rsplit(':').next().and_then(|p| p.parse().ok()).expect("the proxy port");
        let data_dir = data_dir.canonicalize().unwrap();
        let pid = child.id();
        Self { child, pid, client: HoodyClient::new(url, Some(token)), data_dir, proxy_port, user }
    }

    /// Runs `hoodyd ARGS --data-dir DIR` (another process on the same data directory) and
    /// returns its stdout; panics with its stderr when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Self::command(self.user)
            .args(args)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .env("HOODY_LOG", "error")
            .output()
            .unwrap();
        assert!(out.status.success(), "hoodyd {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Imports the busybox test image as `busybox/1` through the CLI.
    pub fn import_busybox(&self) {
        let dir = tempfile::tempdir().unwrap();
        let tarball = hoody_runtime::testkit::busybox_tarball(dir.path()).unwrap();
        if let Some(user) = self.user {
            user.give(dir.path());
        }
        let printed = self.cli(&["image", "import", "busybox/1", tarball.to_str().unwrap()]);
        assert!(printed.starts_with("busybox/1 "), "{printed}");
    }

    /// Imports the debootstrapped Debian 13 image `.ci/build-test-images` made (systemd, X clients).
    pub fn import_debian(&self) {
        let tarball = hoody_e2e::root().join("target/test-images/debian-13.tar");
        assert!(tarball.exists(), "{} is missing: run .ci/build-test-images", tarball.display());
        let printed = self.cli(&["image", "import", "debian/13", tarball.to_str().unwrap()]);
        assert!(printed.starts_with("debian/13 "), "{printed}");
    }

    pub fn signal(&self, sig: u8) {
        let sent = Command::new("kill").arg(format!("-{sig}")).arg(self.pid.to_string()).status().unwrap();
        assert!(sent.success(), "kill -{sig}");
    }

    /// Waits for the process to exit; returns its exit code (None if killed by a signal).
    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(start.elapsed() < limit, "hoodyd did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Hoodyd {
    /// Kills the server and removes its runtime's directory under /run (a mount still there
    /// would make the removal fail). The containers it ran are deleted by the tests; a root
    /// engine's that a failing test left running are ended here (they ran on, systemd and all,
    /// long after the suite). A passing test's stay: some start the next engine on them.
    fn drop(&mut self) {
        if self.pid != self.child.id() {
            let _ = Command::new("kill").args(["-9", &self.pid.to_string()]).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let run = self.user.map_or_else(|| PathBuf::from("/run/hoody"), |u| u.runtime_dir().join("hoody"));
        let layout = hoody_runtime::Layout::new(&self.data_dir, &run);
        if self.user.is_none() && std::thread::panicking() {
            let runc = || {
                let mut runc = Command::new("runc");
                runc.arg("--root").arg(layout.runc_root()).stderr(std::process::Stdio::null());
                runc
            };
            // Their network helpers first: outside the containers' pid namespaces, they outlive
            // the inits, and their cgroups with them.
            for bundle in std::fs::read_dir(layout.containers()).into_iter().flatten().flatten() {
                let helper = std::fs::read_to_string(bundle.path().join("network.pid")).unwrap_or_default();
                let helper = helper.trim();
                let name = std::fs::read_to_string(format!("/proc/{helper}/comm")).unwrap_or_default();
                if !helper.is_empty() && name.trim() == "slirp4netns" {
                    let _ = Command::new("kill").args(["-9", helper]).status();
                }
            }
            let listed = runc().args(["list", "--quiet"]).output().map(|o| o.stdout).unwrap_or_default();
            for id in String::from_utf8_lossy(&listed).split_whitespace() {
                let _ = runc().args(["delete", "--force", id]).status();
            }
        }
        let _ = std::fs::remove_dir_all(layout.run_dir());
    }
}

#[tokio::test]
async fn admin_token_is_private_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Hoodyd::start(dir.path());
    let mode = std::fs::metadata(dir.path().join("admin.token")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // An open event stream must not hold the shutdown up.
    let _events = d.client.events().await.unwrap();
    d.signal(15);
    assert_eq!(d.wait(Duration::from_secs(10)), Some(0));
    // The same token works after a restart: it is read back, not replaced.
    let token = std::fs::read_to_string(dir.path().join("admin.token")).unwrap();
    let d2 = Hoodyd::start(dir.path());
    assert_eq!(std::fs::read_to_string(dir.path().join("admin.token")).unwrap(), token);
    assert!(d2.client.rentals().await.is_ok());
}

#[tokio::test]
async fn token_create_issues_realm_scoped_tokens_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = Hoodyd::start(dir.path());
    let realm = d.client.create_realm("ops").await.unwrap();
    let out = Command::new(hoody_e2e::program("hoodyd"))
        .args(["token", "create", "--realm", realm.id.as_str(), "--data-dir"])
        .arg(&d.data_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("hoody_"));
    let scoped = d.client.with_token(Some(token));
    assert_eq!(scoped.realms().await.unwrap().len(), 1);
    assert_eq!(scoped.create_realm("another").await.unwrap_err().status(), Some(403));
    // An unknown realm is refused, and nothing is printed.
    let out = Command::new(hoody_e2e::program("hoodyd"))
        .args(["token", "create", "--realm", "aaaaaaaaaaaaaaaaaaaaaaaa", "--data-dir"])
        .arg(&d.data_dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}
