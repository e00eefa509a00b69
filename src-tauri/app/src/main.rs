//! Hoody Desktop: the Tauri shell. The engine and everything it does live in
//! `hoody-desktop-core`; this file wires it to a window, a tray, deep links and notifications.

mod commands;
mod links;
mod tray;

use hoody_desktop_core::instance::{self, Claim};
use hoody_desktop_core::{Desktop, DesktopEvent};
use std::path::PathBuf;
use tauri::{Emitter, Manager, WindowEvent};

/// WebKitGTK's DMA-BUF renderer holds the page's graphics buffers a second time: with it off,
/// WebKit draws through shared memory and the app's idle memory is ~90 MB less (PSS, measured
/// by `cargo bench -p hoody-app --bench startup`: 339 → 255 MB with 5 containers), drawing the
/// same. The variable must be set before WebKit starts, so the app runs itself again with it
/// (exec: the same process id, no second process); a value the user set is kept.
fn use_shared_memory_rendering() {
    use std::os::unix::process::CommandExt;
    const VARIABLE: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if std::env::var_os(VARIABLE).is_some() {
        return;
    }
    let Ok(program) = std::env::current_exe() else { return };
    let failed = std::process::Command::new(program).args(std::env::args_os().skip(1)).env(VARIABLE, "1").exec();
    eprintln!("cannot start again with {VARIABLE}=1 ({failed}); going on with WebKit's DMA-BUF renderer");
}

/// When the process started, for the start-up figure `ui_ready` logs.
pub static STARTED: std::sync::LazyLock<std::time::Instant> = std::sync::LazyLock::new(std::time::Instant::now);

fn main() {
    hoody_desktop_core::keep_inherited_descriptors_to_self();
    use_shared_memory_rendering();
    std::sync::LazyLock::force(&STARTED);
    if let Some(why) = hoody_desktop_core::refusal_to_run() {
        eprintln!("{why}");
        std::process::exit(1);
    }
    let data_dir = data_dir();
    // A second launch hands its arguments (a hoody:// link) to this one and exits.
    let launches = match instance::claim(&data_dir, &std::env::args().skip(1).collect::<Vec<_>>()) {
        Ok(Claim::First(listener)) => Some(listener),
        Ok(Claim::HandedOver) => {
            println!("Hoody Desktop is already running on {}: it took this launch (see the tray)", data_dir.display());
            return;
        }
        Err(e) => {
            eprintln!("cannot tell whether Hoody Desktop already runs ({e}); starting");
            None
        }
    };
    let _log_guard = logging(&data_dir);
    tauri::Builder::default()
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .setup(move |app| {
            if let Some(launches) = launches {
                let handle = app.handle().clone();
                launches.serve(move |args| later_launch(&handle, args));
            }
            let proxy = listen_address("HOODY_PROXY_LISTEN", 8701);
            let desktop = match tauri::async_runtime::block_on(Desktop::start(&data_dir, proxy)) {
                Ok(desktop) => desktop,
                Err(e) => {
                    // The window still opens, to say why and what to do (a damaged database:
                    // the two ways back), instead of an app that vanishes.
                    tracing::error!("the engine did not start: {e}");
                    app.manage(commands::StartFailure(e.to_string()));
                    return Ok(());
                }
            };
            tracing::info!(data_dir = %data_dir.display(), proxy_port = desktop.proxy_port(), "engine started");
            // This machine's REST API, for the platform's CLI and SDK. Its token comes from the
            // keyring, which may take a while: the window does not wait for it.
            let api = listen_address("HOODY_API_LISTEN", 8700);
            let serving = desktop.clone();
            tauri::async_runtime::spawn(async move {
                match serving.serve_api(api).await {
                    Ok(url) => tracing::info!(%url, "REST API served"),
                    Err(e) => tracing::warn!("the REST API is not served: {e}"),
                }
            });
            app.manage(desktop.clone());
            tray::install(app.handle())?;
            links::install(app.handle())?;
            follow_events(app.handle().clone(), desktop);
            // Started at login: in the tray, the window a click away.
            if std::env::args().any(|a| a == "--hidden")
                && let Some(window) = app.get_webview_window("main")
            {
                let _ = window.hide();
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps the app (and its containers) in the tray; an app whose
            // engine did not start has no tray, and quits.
            if let WindowEvent::CloseRequested { api, .. } = event
                && window.try_state::<commands::StartFailure>().is_none()
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::rpc,
            commands::containers,
            commands::known_containers,
            commands::projects,
            commands::generate_ssh_key,
            commands::servers,
            commands::local_api_token,
            commands::add_remote,
            commands::remove_remote,
            commands::open_url,
            commands::open_service,
            commands::quit,
            commands::ui_ready,
            commands::start_failure,
            commands::start_at_login,
            commands::set_start_at_login,
            commands::set_up_this_computer,
            commands::start_again,
        ])
        .run(tauri::generate_context!())
        .expect("Hoody Desktop runs");
}

/// A later launch: the window comes forward, and its links open.
fn later_launch(app: &tauri::AppHandle, args: Vec<String>) {
    show(app);
    if app.try_state::<Desktop>().is_none() {
        return; // the engine did not start: the window says why
    }
    for link in args.into_iter().filter(|arg| arg.starts_with("hoody://")) {
        let app = app.clone();
        tauri::async_runtime::spawn(async move { links::open(&app, &link).await });
    }
}

/// `HOODY_DATA_DIR`, else `$XDG_DATA_HOME/hoody-desktop` (`~/.local/share/hoody-desktop`).
fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HOODY_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".local/share")
    });
    base.join("hoody-desktop")
}

/// Logs go to a file rolled daily in the data dir (`logs/hoody-desktop.log.DATE`), which is
/// made private here as the engine keeps it (the log's writer would make it open to all).
fn logging(data_dir: &std::path::Path) -> tracing_appender::non_blocking::WorkerGuard {
    if let Err(e) = hoody_desktop_core::create_private_dir(&data_dir.join("logs")) {
        eprintln!("cannot make {}: {e}", data_dir.join("logs").display());
    }
    let appender = tracing_appender::rolling::daily(data_dir.join("logs"), "hoody-desktop.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("HOODY_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).init();
    guard
}

/// Shows and focuses the main window.
pub fn show(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// The loopback address in environment variable `var`, else 127.0.0.1:`port`.
fn listen_address(var: &str, port: u16) -> std::net::SocketAddr {
    std::env::var(var)
        .ok()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Engine events go to the UI (`container-event`), refresh the tray, and a container that
/// stops on its own or fails raises a notification.
fn follow_events(app: tauri::AppHandle, desktop: Desktop) {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    tauri::async_runtime::spawn(async move {
        let mut events = desktop.subscribe();
        loop {
            let first = match events.recv().await {
                Err(RecvError::Closed) => return,
                Err(RecvError::Lagged(_)) => None,
                Ok(event) => Some(event),
            };
            // Pass on this event and any that came with it, then rebuild the tray once: it lists
            // every container of every server, too much to do per event of a burst.
            let mut tray_changed = false;
            let mut next = Some(first);
            while let Some(event) = next {
                tray_changed |= pass_on(&app, &desktop, event).await;
                next = match events.try_recv() {
                    Ok(event) => Some(Some(event)),
                    Err(TryRecvError::Lagged(_)) => Some(None),
                    Err(TryRecvError::Empty | TryRecvError::Closed) => None,
                };
            }
            if tray_changed {
                tray::refresh(&app).await;
            }
        }
    });
}

/// Tells the window about one event (None: some were missed, read everything again); answers
/// whether the tray may show something else now.
async fn pass_on(app: &tauri::AppHandle, desktop: &Desktop, event: Option<DesktopEvent>) -> bool {
    match event {
        Some(DesktopEvent::Container(event)) => {
            let _ = app.emit("container-event", &event);
            if event.kind == hoody_model::EventKind::Progress {
                return false; // the tray has nothing to show for it
            }
            tray::notify_if_unexpected(app, desktop, &event).await;
            true
        }
        Some(DesktopEvent::Resync) | None => {
            let _ = app.emit("container-resync", ());
            true
        }
    }
}
