//! For tests and benchmarks of other crates: a `hoodyd serve` of the workspace's own build on
//! loopback, with the busybox test image imported, as a remote endpoint to talk to; and the
//! ordinary user the engine and the app run as in the rootless tests.

use crate::HoodyClient;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Asks `check` again (every 20 ms) until it answers `Some`, for at most `within`; the test
/// fails naming `what` otherwise. For what happens in its own time: a container booting, a
/// process ending, a server starting to listen.
pub async fn eventually<T, F>(what: &str, within: Duration, mut check: impl FnMut() -> F) -> T
where
    F: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what} did not happen within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A running `hoodyd serve` on 127.0.0.1 (killed when dropped).
#[derive(Debug)]
pub struct Hoodyd {
    child: Child,
    /// Its origin, `http://127.0.0.1:PORT`.
    pub origin: String,
    /// Its admin token.
    pub token: String,
}

impl Hoodyd {
    /// `target/debug/hoodyd` of this workspace (built by `cargo test --workspace`).
    pub fn binary() -> PathBuf {
        let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/hoodyd");
        assert!(bin.exists(), "{} is missing: cargo build -p hoodyd", bin.display());
        bin
    }

    /// Starts one on `data` after importing `busybox/1` from `busybox_tarball`.
    pub fn start(data: &Path, busybox_tarball: &Path) -> Self {
        Self::start_by(None, data, busybox_tarball)
    }

    /// The same, run by `user` (on a data directory of theirs).
    pub fn start_as(user: &TestUser, data: &Path, busybox_tarball: &Path) -> Self {
        Self::start_by(Some(user), data, busybox_tarball)
    }

    fn command(user: Option<&TestUser>) -> Command {
        match user {
            Some(user) => user.command(&user.program("hoodyd")),
            None => Command::new(Self::binary()),
        }
    }

    fn start_by(user: Option<&TestUser>, data: &Path, busybox_tarball: &Path) -> Self {
        let imported = Self::command(user)
            .args(["image", "import", "busybox/1"])
            .arg(busybox_tarball)
            .arg("--data-dir")
            .arg(data)
            .stdout(Stdio::null())
            .status();
        assert!(imported.expect("hoodyd runs").success(), "hoodyd image import failed");
        Self::serve_by(user, data)
    }

    /// Starts one on `data` as it is.
    pub fn serve(data: &Path) -> Self {
        Self::serve_by(None, data)
    }

    /// The same, run by `user`.
    pub fn serve_as(user: &TestUser, data: &Path) -> Self {
        Self::serve_by(Some(user), data)
    }

    /// Starts one on `data` at `origin` (`http://127.0.0.1:PORT`, where one that was killed
    /// listened): it comes back where its clients look for it.
    pub fn serve_at(data: &Path, origin: &str) -> Self {
        Self::serve_on(None, data, origin.trim_start_matches("http://"))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it at once (SIGKILL), as a crash or a pulled plug would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn serve_by(user: Option<&TestUser>, data: &Path) -> Self {
        Self::serve_on(user, data, "127.0.0.1:0")
    }

    fn serve_on(user: Option<&TestUser>, data: &Path, listen: &str) -> Self {
        let mut child = Self::command(user)
            .args(["serve", "--listen", listen, "--proxy-listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .env("HOODY_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .expect("hoodyd starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).expect("hoodyd prints its address");
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("hoodyd's address");
        let origin = url.trim_end_matches('/').trim_end_matches("/api/v1").to_owned();
        let token = std::fs::read_to_string(data.join("admin.token")).expect("the admin token").trim().to_owned();
        Self { child, origin, token }
    }

    pub fn client(&self) -> HoodyClient {
        HoodyClient::new(&self.origin, Some(self.token.clone()))
    }
}

impl Drop for Hoodyd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An ordinary user of this machine (`hoody-ci`, made with useradd when missing, its home
/// mode 0700 as Debian's adduser makes it), set up once by `hoodyd host-setup`, with copies of
/// the workspace's programs it may run (the checkout may be out of its reach).
#[derive(Debug)]
pub struct TestUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
    bin: PathBuf,
}

/// The test user, made (and the host set up for it) on first use in this process.
pub fn test_user() -> &'static TestUser {
    static USER: OnceLock<TestUser> = OnceLock::new();
    USER.get_or_init(|| TestUser::make("hoody-ci"))
}

/// A second ordinary user, for a test that takes away something of the user's own (its
/// cgroup, say) while the first one's tests run.
pub fn second_test_user() -> &'static TestUser {
    static USER: OnceLock<TestUser> = OnceLock::new();
    USER.get_or_init(|| TestUser::make("hoody-ci-two"))
}

/// Runs `change` with the machine's user database (/etc/passwd, /etc/subuid…) to itself within
/// this process: tests running at once that add users or give them ranges would otherwise meet
/// useradd's lock ("cannot lock /etc/passwd") or lose each other's lines.
pub fn with_user_database<T>(change: impl FnOnce() -> T) -> T {
    static DATABASE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _held = DATABASE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    change()
}

impl TestUser {
    /// `name`, made with useradd when missing, set up by `hoodyd host-setup`.
    fn make(name: &str) -> Self {
        let exists = Command::new("id").arg(name).output().expect("id runs").status.success();
        if !exists {
            let made = with_user_database(|| {
                Command::new("useradd").args(["--create-home", "--shell", "/bin/sh", name]).status()
            });
            assert!(made.expect("useradd runs").success(), "useradd {name} (the tests run as root)");
        }
        let id = |flag: &str| -> u32 {
            let out = Command::new("id").args([flag, name]).output().expect("id runs");
            String::from_utf8_lossy(&out.stdout).trim().parse().expect("a numeric id")
        };
        let home = PathBuf::from(format!("/home/{name}"));
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).expect("its home");
        let setup = with_user_database(|| Command::new(Hoodyd::binary()).args(["host-setup", "--user", name]).output())
            .expect("hoodyd runs");
        assert!(setup.status.success(), "host-setup: {}", String::from_utf8_lossy(&setup.stderr));
        let bin = PathBuf::from("/tmp/hoody-ci-bin");
        std::fs::create_dir_all(&bin).expect("a directory for the user's programs");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("its mode");
        let user = TestUser { name: name.into(), uid: id("-u"), gid: id("-g"), home, bin };
        let built = Hoodyd::binary().parent().expect("target/debug").to_owned();
        for program in ["hoodyd", "hoody-enter", "hoody-desktop"] {
            if built.join(program).exists() {
                user.provide(&built.join(program));
            }
        }
        user
    }

    /// The user's copy of a program of this workspace (or one copied in with [`Self::provide`]).
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// Puts `program` where the user may run it (a hard link where it can be, the programs of
    /// a debug build being hundreds of MB; swapped in by a rename, so a program of an earlier
    /// build that still runs is not disturbed); returns that path.
    pub fn provide(&self, program: &Path) -> PathBuf {
        let name = program.file_name().expect("a program's file name");
        let (target, staged) = (self.bin.join(name), self.bin.join(format!(".{}.new", name.to_string_lossy())));
        let _ = std::fs::remove_file(&staged);
        if std::fs::hard_link(program, &staged).is_err() {
            std::fs::copy(program, &staged).expect("a copy of the program");
        }
        std::fs::rename(&staged, &target).expect("the program in place");
        target
    }

    /// `program` run as this user where the user's logins run (setpriv executes it in place:
    /// no process in between), with its HOME, USER and runtime directory. On a host without
    /// systemd that is the user's own cgroup of the unified tree, where host-setup's PAM hook
    /// starts their sessions (see `.ci/run-app` and the runtime's `placement`).
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new("sh");
        let session = self.session_cgroup().map(|dir| dir.join("cgroup.procs")).unwrap_or_default();
        command.args(["-c", r#"if [ -n "$0" ]; then echo $$ > "$0" || exit 125; fi; exec "$@""#]).arg(session);
        command.args(self.setpriv(program));
        self.with_environment(&mut command);
        command
    }

    /// `program` run as this user from wherever the caller is (a cgroup no login of the user's
    /// starts in, on a host without systemd).
    pub fn command_outside_session(&self, program: &Path) -> Command {
        let args = self.setpriv(program);
        let mut command = Command::new(&args[0]);
        command.args(&args[1..]);
        self.with_environment(&mut command);
        command
    }

    /// The user's own cgroup of the unified tree on a host without systemd (host-setup's), where
    /// their logins start; None where systemd runs the host.
    pub fn session_cgroup(&self) -> Option<PathBuf> {
        if Path::new("/run/systemd/system").is_dir() {
            return None;
        }
        let unified = Path::new("/sys/fs/cgroup/unified");
        let root = if unified.is_dir() { unified } else { Path::new("/sys/fs/cgroup") };
        Some(root.join(format!("hoody-{}", self.name)))
    }

    /// setpriv's command line that runs `program` as this user, with its environment.
    fn setpriv(&self, program: &Path) -> Vec<std::ffi::OsString> {
        let (uid, gid) = (self.uid.to_string(), self.gid.to_string());
        let mut args: Vec<std::ffi::OsString> =
            ["setpriv", "--reuid", &uid, "--regid", &gid, "--init-groups", "--"].map(Into::into).into();
        args.push(program.into());
        args
    }

    /// The environment a program of the user's starts with: its HOME, USER and runtime directory.
    fn with_environment(&self, command: &mut Command) {
        command.env("HOME", &self.home).env("USER", &self.name).env("XDG_RUNTIME_DIR", self.runtime_dir());
    }

    /// `/run/user/UID` (host-setup makes it where no login manager does).
    pub fn runtime_dir(&self) -> PathBuf {
        PathBuf::from(format!("/run/user/{}", self.uid))
    }

    /// A fresh directory of the user's in their home (removed, as root, when dropped).
    pub fn scratch(&self) -> Scratch {
        let dir = self.home.join(format!("scratch-{}", hoody_model::ids::random_hex(4)));
        std::fs::create_dir(&dir).expect("a directory in the user's home");
        self.give(&dir);
        Scratch(dir)
    }

    pub fn give(&self, path: &Path) {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid)).expect("chown (as root)");
    }

    /// The user's first subordinate uid (container root on the host).
    pub fn subordinate_base(&self) -> u32 {
        let table = std::fs::read_to_string("/etc/subuid").expect("/etc/subuid");
        table
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{}:", self.name))?.split(':').next()?.parse().ok())
            .expect("host-setup gave the user a range")
    }
}

/// A directory of the test user's, removed when dropped (as root: containers' files in it are
/// not the user's own).
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = Command::new("rm").arg("-rf").arg(&self.0).status();
    }
}
