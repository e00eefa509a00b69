//! `hoody://` links, whether the app was launched with one or a second launch forwarded it:
//! a running container's service opens at once; a stopped one's asks the UI to confirm the
//! start; a malformed or unknown link is refused with a visible message.

use hoody_desktop_core::{DeepLink, Desktop};
use serde_json::json;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

pub fn install(app: &AppHandle) -> tauri::Result<()> {
    #[cfg(target_os = "linux")]
    register(app);
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            let (app, link) = (handle.clone(), url.to_string());
            tauri::async_runtime::spawn(async move { open(&app, &link).await });
        }
    });
    // Launched with a link: handle it once the UI has loaded.
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        for url in urls {
            let (app, link) = (app.clone(), url.to_string());
            tauri::async_runtime::spawn(async move { open(&app, &link).await });
        }
    }
    Ok(())
}

/// Makes `hoody://` links reach this program: the package's desktop entry does it for every user
/// (an entry of the user's, left by a build run from source, would shadow it and goes); a
/// program run from elsewhere writes an entry of the user's.
#[cfg(target_os = "linux")]
fn register(app: &AppHandle) {
    use hoody_desktop_core::scheme_handler;
    let program = std::env::current_exe().ok();
    if let Some(entry) = program.as_deref().and_then(|p| scheme_handler::installed_handler("hoody", p)) {
        tracing::info!(entry = %entry.display(), "hoody:// links come through the installed desktop entry");
        if app.deep_link().is_registered("hoody").unwrap_or(false)
            && let Err(e) = app.deep_link().unregister("hoody")
        {
            tracing::warn!("cannot remove the user's own hoody:// entry, which shadows {}: {e}", entry.display());
        }
        return;
    }
    match app.deep_link().register_all() {
        Ok(()) => {
            if let Err(e) = scheme_handler::unquote_handlers("hoody") {
                tracing::warn!("cannot make the hoody:// handler fit for every xdg-open: {e}");
            }
        }
        Err(e) => tracing::warn!("cannot register the hoody:// scheme: {e}"),
    }
}

pub async fn open(app: &AppHandle, link: &str) {
    tracing::info!(link, "deep link");
    let desktop = app.state::<Desktop>().inner().clone();
    let parsed = match DeepLink::parse(link) {
        Ok(parsed) => parsed,
        Err(why) => return refuse(app, &why),
    };
    match desktop.waking_needed(&parsed.container).await {
        Ok(Some(op)) => {
            crate::show(app);
            let _ = app.emit(
                "deep-link-confirm",
                json!({ "id": parsed.container.as_str(), "service": parsed.service.slug(), "link": link, "wake": op.as_str() }),
            );
        }
        Ok(None) => match desktop.service_url(&parsed.container, parsed.service, false).await {
            Ok(url) => {
                if let Err(e) = hoody_desktop_core::commands::open_url(&url) {
                    refuse(app, &e.message);
                }
            }
            Err(e) => refuse(app, &format!("cannot open {link}: {}", e.message)),
        },
        Err(e) => refuse(app, &format!("cannot open {link}: {}", e.message)),
    }
}

fn refuse(app: &AppHandle, message: &str) {
    tracing::warn!("{message}");
    crate::show(app);
    let _ = app.emit("deep-link-refused", json!({ "message": message }));
}
