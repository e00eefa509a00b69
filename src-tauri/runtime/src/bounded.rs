//! What a process inside a container prints, read with a limit. The container's root can make
//! any program print anything — a tool of its own in place of `xwd`, a script that never stops
//! writing, a kit helper it has taken over — and the engine that reads it serves every other
//! container too (in the desktop app, it is the app). So output is never read whole into
//! memory: past its limit the program is killed and the request answered with the reason.
//! Callers bound the time too (each wraps the wait in its own timeout). The kit's services and
//! the runtime's own readings (a container's journal) read through here.

use std::io;
use std::process::Output;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Child;

/// How much of standard error is kept (the rest is read and dropped): enough for any message.
pub const STDERR_KEPT: usize = 64 << 10;

/// What a request may get back from inside a container at most (a sqlite result, a script's
/// answer, a remote's file list).
pub const ANSWER_LIMIT: usize = 64 << 20;

/// Waits for `child` and collects what it printed, as `wait_with_output` does, but keeps at
/// most `stdout_limit` bytes of standard output: one byte more and the child is killed and the
/// answer is an error of kind `FileTooLarge`. Standard error is kept up to [`STDERR_KEPT`].
pub async fn output(mut child: Child, stdout_limit: usize) -> io::Result<Output> {
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let read = async { tokio::try_join!(read_at_most(stdout, stdout_limit), read_keeping(stderr, STDERR_KEPT)) };
    match read.await {
        Ok((stdout, stderr)) => Ok(Output { status: child.wait().await?, stdout, stderr }),
        Err(e) => {
            let _ = child.start_kill();
            Err(e)
        }
    }
}

/// Like [`output`], keeping only the first `stdout_kept` bytes of standard output instead of
/// failing past them (for output shown cut, as a terminal's command's is).
pub async fn output_cut(mut child: Child, stdout_kept: usize) -> io::Result<Output> {
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let (stdout, stderr) = tokio::try_join!(read_keeping(stdout, stdout_kept), read_keeping(stderr, STDERR_KEPT))?;
    Ok(Output { status: child.wait().await?, stdout, stderr })
}

/// Whether `e` is [`output`]'s "printed more than its limit".
pub fn is_too_much(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::FileTooLarge
}

/// Everything `from` gives, failing once it is more than `limit` bytes.
pub async fn read_at_most(from: Option<impl AsyncRead + Unpin>, limit: usize) -> io::Result<Vec<u8>> {
    let Some(from) = from else { return Ok(Vec::new()) };
    let mut bytes = Vec::new();
    let got = from.take(limit as u64 + 1).read_to_end(&mut bytes).await?;
    if got > limit {
        return Err(io::Error::new(io::ErrorKind::FileTooLarge, format!("printed more than {}", size(limit))));
    }
    Ok(bytes)
}

/// The first `kept` bytes `from` gives; the rest is read to its end and dropped.
pub async fn read_keeping(from: Option<impl AsyncRead + Unpin>, kept: usize) -> io::Result<Vec<u8>> {
    let Some(mut from) = from else { return Ok(Vec::new()) };
    let mut bytes = Vec::new();
    (&mut from).take(kept as u64).read_to_end(&mut bytes).await?;
    tokio::io::copy(&mut from, &mut tokio::io::sink()).await?;
    Ok(bytes)
}

/// `bytes` as a person reads a size.
fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    fn sh(script: &str) -> Child {
        tokio::process::Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    }

    #[tokio::test]
    async fn endless_output_is_cut_off_and_its_writer_killed() {
        let e = output(sh("yes"), 1 << 20).await.unwrap_err();
        assert!(is_too_much(&e), "{e}");
        assert_eq!(e.to_string(), "printed more than 1 MiB");
        let out = output_cut(sh("head -c 3000000 /dev/zero; yes | head -c 300000 >&2; exit 3"), 10).await.unwrap();
        assert_eq!((out.stdout.len(), out.stderr.len(), out.status.code()), (10, STDERR_KEPT, Some(3)));
        let out = output(sh("printf 'ok'"), 2).await.unwrap();
        assert_eq!(out.stdout, b"ok");
    }
}
