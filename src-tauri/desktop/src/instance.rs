//! One app per data directory, with or without a session bus: the first launch listens on a
//! unix socket in the user's runtime directory; a second launch hands it its arguments (a
//! `hoody://` link) there and exits, saying so. (Tauri's single-instance plugin needs D-Bus: a
//! launch from a shell without a session bus became a second window whose engine could not
//! start.)

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a second launch waits for the first one's answer.
const ANSWER: Duration = Duration::from_secs(5);
/// What the first launch answers once it has taken the arguments.
const TAKEN: &str = "taken\n";

/// The outcome of a launch's claim on its data directory.
#[derive(Debug)]
pub enum Claim {
    /// No app runs on it: this one listens for later launches.
    First(Listener),
    /// An app runs on it and took this launch's arguments.
    HandedOver,
}

/// Where later launches reach the first one.
#[derive(Debug)]
pub struct Listener {
    socket: UnixListener,
    path: PathBuf,
}

/// The socket of the app on `data_dir`: in the runtime directory that engine uses.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    hoody_runtime::Layout::new(data_dir, &hoody_runtime::default_run_dir()).run_dir().join("app.sock")
}

/// Claims `data_dir` for this launch, or hands `args` to the app already running on it.
pub fn claim(data_dir: &Path, args: &[String]) -> std::io::Result<Claim> {
    let path = socket_path(data_dir);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    for _ in 0..3 {
        match UnixListener::bind(&path) {
            Ok(socket) => return Ok(Claim::First(Listener { socket, path })),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => return Err(e),
        }
        match hand_over(&path, args) {
            Ok(()) => return Ok(Claim::HandedOver),
            // Nobody listens: an app that ended without removing it. Take its place.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => std::fs::remove_file(&path)?,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!("cannot claim {}: another launch keeps taking it", path.display())))
}

/// Sends `args`, a line each, and waits for the first launch to take them.
fn hand_over(path: &Path, args: &[String]) -> std::io::Result<()> {
    let mut stream = UnixStream::connect(path)?;
    stream.set_read_timeout(Some(ANSWER))?;
    for arg in args {
        writeln!(stream, "{}", arg.replace('\n', " "))?;
    }
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if answer == TAKEN {
        Ok(())
    } else {
        Err(std::io::Error::other("the running app did not take the launch's arguments"))
    }
}

impl Listener {
    /// Takes later launches' arguments on a thread of its own, calling `launched` with each
    /// launch's; the socket goes when the process does.
    pub fn serve(self, launched: impl Fn(Vec<String>) + Send + 'static) {
        std::thread::spawn(move || {
            for stream in self.socket.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(ANSWER));
                let args: Vec<String> = BufReader::new(&stream).lines().map_while(Result::ok).collect();
                let _ = (&stream).write_all(TAKEN.as_bytes());
                launched(args);
            }
        });
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_launch_hands_its_link_to_the_first_and_a_dead_ones_socket_is_taken_over() {
        let data = tempfile::tempdir().unwrap();
        let Claim::First(first) = claim(data.path(), &[]).unwrap() else { panic!("nothing ran yet") };
        let (sent, got) = std::sync::mpsc::channel();
        first.serve(move |args| sent.send(args).unwrap());
        let link = "hoody://containers/0123456789abcdef01234567/terminal".to_owned();
        assert!(matches!(claim(data.path(), std::slice::from_ref(&link)).unwrap(), Claim::HandedOver));
        assert_eq!(got.recv_timeout(Duration::from_secs(5)).unwrap(), vec![link]);

        // An app that died left its socket behind: the next launch is the first again.
        let other = tempfile::tempdir().unwrap();
        let path = socket_path(other.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists(), "a socket nobody listens on");
        assert!(matches!(claim(other.path(), &[]).unwrap(), Claim::First(_)));
    }
}
