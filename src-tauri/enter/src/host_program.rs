//! A program of this host run inside a container whose root does not have it (nor, perhaps, a
//! C library: a busybox image). Its files are opened before the container is joined and stay
//! open across the exec; inside, the program starts through `/proc/self/fd/N`. A dynamically
//! linked program starts through its own loader (its `PT_INTERP`), run as a program, with the
//! host's C library preloaded from its descriptor: the loader matches the program's
//! `libc.so.6` to the library already loaded, so nothing is looked up in the container's root.
//! Only programs whose one library is the C library run this way (rclone, Go programs).

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsRawFd, IntoRawFd};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The opened files of a host program: kept open (not closed at exec) for the program inside.
#[derive(Debug)]
pub struct Opened {
    program: i32,
    /// The loader and the C library, for a dynamically linked program.
    loader: Option<(i32, i32)>,
}

/// Opens `path` (and its loader and C library) for [`Opened::command`].
pub fn open(path: &Path) -> Result<Opened, String> {
    let program = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let interp = interpreter(&program).map_err(|e| format!("{} is not a program this can run: {e}", path.display()))?;
    let loader = match interp {
        None => None,
        Some(loader) => {
            let real = std::fs::canonicalize(&loader).map_err(|e| format!("cannot find {}: {e}", loader.display()))?;
            let libc = real.with_file_name("libc.so.6");
            let loader_file = File::open(&real).map_err(|e| format!("cannot open {}: {e}", real.display()))?;
            let libc_file = File::open(&libc).map_err(|e| format!("cannot open {}: {e}", libc.display()))?;
            Some((kept(loader_file)?, kept(libc_file)?))
        }
    };
    Ok(Opened { program: kept(program)?, loader })
}

/// The descriptor of `file`, left open across exec.
fn kept(file: File) -> Result<i32, String> {
    let flags = rustix::io::fcntl_getfd(&file).map_err(|e| format!("fcntl: {e}"))?;
    rustix::io::fcntl_setfd(&file, flags - rustix::io::FdFlags::CLOEXEC).map_err(|e| format!("fcntl: {e}"))?;
    debug_assert!(file.as_raw_fd() >= 0);
    Ok(file.into_raw_fd())
}

impl Opened {
    /// The command that starts the program inside, as `argv0`.
    pub fn command(&self, argv0: &OsStr) -> Command {
        let fd = |n: i32| format!("/proc/self/fd/{n}");
        match self.loader {
            None => {
                let mut command = Command::new(fd(self.program));
                std::os::unix::process::CommandExt::arg0(&mut command, argv0);
                command
            }
            Some((loader, libc)) => {
                let mut command = Command::new(fd(loader));
                command.arg("--argv0").arg(argv0).arg("--preload").arg(fd(libc)).arg(fd(self.program));
                command
            }
        }
    }
}

/// The loader an ELF program names (`PT_INTERP`), or None for a static one.
fn interpreter(file: &File) -> std::io::Result<Option<PathBuf>> {
    use std::os::unix::fs::FileExt;
    let bad = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_owned());
    let mut header = [0u8; 64];
    file.read_exact_at(&mut header, 0)?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return Err(bad("not a 64-bit little-endian ELF file"));
    }
    let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    let (phoff, phentsize, phnum) = (u64_at(&header, 0x20), u16_at(&header, 0x36), u16_at(&header, 0x38));
    for i in 0..u64::from(phnum) {
        let mut ph = [0u8; 56];
        file.read_exact_at(&mut ph, phoff + i * u64::from(phentsize))?;
        if u32::from_le_bytes([ph[0], ph[1], ph[2], ph[3]]) == 3 {
            let (offset, size) = (u64_at(&ph, 8), u64_at(&ph, 32));
            if size == 0 || size > 4096 {
                return Err(bad("its loader's name is not a path"));
            }
            let mut name = vec![0u8; size as usize];
            file.read_exact_at(&mut name, offset)?;
            let name = name.split(|b| *b == 0).next().unwrap_or_default();
            return Ok(Some(PathBuf::from(<OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name))));
        }
    }
    Ok(None)
}
