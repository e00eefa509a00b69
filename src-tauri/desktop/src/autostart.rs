//! Start at login: an XDG autostart entry, `$XDG_CONFIG_HOME/autostart/hoody-desktop.desktop`
//! (`~/.config/autostart/…`), which desktops (GNOME, KDE, Xfce…) read at login. It starts the
//! app's own binary, hidden in the tray, so the containers marked autostart come up with it.

use crate::error::CommandError;
use hoody_model::ErrorCode;
use std::path::{Path, PathBuf};

const ENTRY: &str = "hoody-desktop.desktop";

/// `$XDG_CONFIG_HOME`, else `~/.config`.
pub fn user_config_dir() -> Result<PathBuf, CommandError> {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(".config"))
        .ok_or_else(|| CommandError::new(ErrorCode::Internal, "HOME is not set: there is no ~/.config to start from"))
}

/// The program a desktop entry starts to run this app: the AppImage file when the app runs from
/// one (its runtime sets `APPIMAGE`, and mounts the image at `APPDIR`, a new place each time, so
/// the executable's own path would not outlive this run), else this executable.
pub fn this_program() -> Result<PathBuf, CommandError> {
    let exe = std::env::current_exe()
        .map_err(|e| CommandError::new(ErrorCode::Internal, format!("where this app is cannot be told: {e}")))?;
    Ok(appimage_of(&exe, std::env::var_os("APPIMAGE"), std::env::var_os("APPDIR")).unwrap_or(exe))
}

/// The AppImage `exe` runs from: `appimage`, when `exe` lies in the image mounted at `appdir`.
fn appimage_of(
    exe: &Path,
    appimage: Option<std::ffi::OsString>,
    appdir: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let (appimage, appdir) = (PathBuf::from(appimage?), PathBuf::from(appdir?));
    (appimage.is_absolute() && appdir.is_absolute() && exe.starts_with(&appdir)).then_some(appimage)
}

fn entry(config: &Path) -> PathBuf {
    config.join("autostart").join(ENTRY)
}

/// Whether the app starts at login (its entry is there and not switched off).
pub fn enabled(config: &Path) -> bool {
    std::fs::read_to_string(entry(config))
        .is_ok_and(|text| !text.lines().any(|l| matches!(l.trim(), "Hidden=true" | "X-GNOME-Autostart-enabled=false")))
}

/// Makes the app start at login (running `program`), or not.
pub fn set(config: &Path, on: bool, program: &Path) -> Result<(), CommandError> {
    let path = entry(config);
    let failed =
        |e: std::io::Error| CommandError::new(ErrorCode::Internal, format!("cannot change {}: {e}", path.display()));
    if !on {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed(e)),
            _ => Ok(()),
        };
    }
    let program = program.to_str().filter(|p| !p.contains(['\n', '"', '\\'])).ok_or_else(|| {
        CommandError::new(ErrorCode::InvalidField, format!("{} cannot be named in a desktop entry", program.display()))
    })?;
    let text = format!(
        "[Desktop Entry]\nType=Application\nName=Hoody Desktop\nComment=Your HTTP computers, at login\n\
         Exec=\"{program}\" --hidden\nIcon=hoody-desktop\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
    );
    std::fs::create_dir_all(path.parent().expect("an entry has a directory")).map_err(failed)?;
    let tmp = path.with_extension("desktop.tmp");
    std::fs::write(&tmp, text).map_err(failed)?;
    std::fs::rename(&tmp, &path).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_comes_and_goes() {
        let config = tempfile::tempdir().unwrap();
        assert!(!enabled(config.path()));
        set(config.path(), true, Path::new("/opt/Hoody Desktop/hoody-desktop")).unwrap();
        assert!(enabled(config.path()));
        let text = std::fs::read_to_string(entry(config.path())).unwrap();
        assert!(text.contains("Exec=\"/opt/Hoody Desktop/hoody-desktop\" --hidden\n"), "{text}");
        set(config.path(), false, Path::new("/unused")).unwrap();
        assert!(!enabled(config.path()) && !entry(config.path()).exists());
        set(config.path(), false, Path::new("/unused")).unwrap();
    }

    #[test]
    fn from_an_appimage_the_entry_starts_the_appimage() {
        let exe = Path::new("/tmp/.mount_hoody-x1/usr/bin/hoody-desktop");
        let (image, dir) = (Some("/home/a/Hoody.AppImage".into()), Some("/tmp/.mount_hoody-x1".into()));
        assert_eq!(appimage_of(exe, image.clone(), dir), Some(PathBuf::from("/home/a/Hoody.AppImage")));
        assert_eq!(
            appimage_of(Path::new("/usr/bin/hoody-desktop"), image.clone(), Some("/tmp/.mount_hoody-x1".into())),
            None,
            "not in the image"
        );
        assert_eq!(appimage_of(exe, image, None), None, "APPIMAGE alone");
    }

    #[test]
    fn an_entry_switched_off_by_the_desktop_counts_as_off() {
        let config = tempfile::tempdir().unwrap();
        set(config.path(), true, Path::new("/usr/bin/hoody-desktop")).unwrap();
        let path = entry(config.path());
        let text = std::fs::read_to_string(&path).unwrap().replace("enabled=true", "enabled=false");
        std::fs::write(&path, text).unwrap();
        assert!(!enabled(config.path()));
        assert!(set(config.path(), true, Path::new("/bad\nname")).is_err());
    }
}
