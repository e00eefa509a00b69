//! The tray: running/total, each container with Start/Stop and Open Terminal/Display, Show
//! window, Quit. Its model is `hoody_desktop_core::tray`; it is rebuilt on every change.

use hoody_desktop_core::Desktop;
use hoody_desktop_core::tray::{TrayAction, TrayMenu};
use hoody_model::{ContainerEvent, ContainerStatus, Trigger};
use tauri::menu::{IconMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

const TRAY: &str = "main";

pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let menu = build(app, &TrayMenu::new(&[]))?;
    let icon = app.default_window_icon().cloned().expect("the app has an icon");
    TrayIconBuilder::with_id(TRAY)
        .icon(icon)
        .tooltip("Hoody Desktop")
        .menu(&menu)
        .on_menu_event(|app, event| {
            if let Some(action) = TrayAction::parse(event.id().as_ref()) {
                let app = app.clone();
                tauri::async_runtime::spawn(async move { act(&app, action).await });
            }
        })
        .build(app)?;
    let app = app.clone();
    tauri::async_runtime::spawn(async move { refresh(&app).await });
    Ok(())
}

/// Rebuilds the menu from the engine's containers.
pub async fn refresh(app: &AppHandle) {
    let desktop = app.state::<Desktop>().inner().clone();
    let Ok(containers) = desktop.containers().await else { return };
    let model = TrayMenu::new(&containers);
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || {
        if let (Some(tray), Ok(menu)) = (handle.tray_by_id(TRAY), build(&handle, &model)) {
            let _ = tray.set_menu(Some(menu));
            let _ = tray.set_tooltip(Some(format!("Hoody Desktop — {}", model.summary)));
        }
    });
}

fn build(app: &AppHandle, model: &TrayMenu) -> tauri::Result<Menu<tauri::Wry>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(app, "summary", &model.summary, false, None::<&str>)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    for c in &model.containers {
        let submenu = Submenu::new(app, &c.title, true)?;
        // The container's colour, as a square icon (menus show icons on items, not submenus).
        submenu.append(&IconMenuItem::new(app, &c.color, false, Some(swatch(&c.color)), None::<&str>)?)?;
        for (label, action) in &c.items {
            submenu.append(&MenuItem::with_id(app, action.id(), label, true, None::<&str>)?)?;
        }
        menu.append(&submenu)?;
    }
    if !model.containers.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    menu.append(&MenuItem::with_id(app, TrayAction::Show.id(), "Show window", true, None::<&str>)?)?;
    menu.append(&MenuItem::with_id(app, TrayAction::Quit.id(), "Quit", true, None::<&str>)?)?;
    Ok(menu)
}

/// A 16×16 square of `color` (`#rrggbb`).
fn swatch(color: &str) -> tauri::image::Image<'static> {
    let rgb = u32::from_str_radix(color.trim_start_matches('#'), 16).unwrap_or(0x555753);
    let pixel = [(rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8, 255];
    tauri::image::Image::new_owned(pixel.repeat(16 * 16), 16, 16)
}

async fn act(app: &AppHandle, action: TrayAction) {
    let desktop = app.state::<Desktop>().inner().clone();
    let result = match action {
        TrayAction::Operate(id, op) => desktop.operate(&id, op).await.map(|_| ()),
        TrayAction::OpenTerminal(id) => {
            crate::links::open(app, &format!("hoody://containers/{id}/terminal")).await;
            Ok(())
        }
        TrayAction::OpenDisplay(id) => {
            crate::links::open(app, &format!("hoody://containers/{id}/display")).await;
            Ok(())
        }
        TrayAction::Show => {
            crate::show(app);
            Ok(())
        }
        TrayAction::Quit => {
            // With containers running, the window asks whether to stop them first.
            let running =
                desktop.containers().await.map(|all| all.iter().any(|c| c.status == ContainerStatus::Running));
            if matches!(running, Ok(false)) {
                app.exit(0);
            }
            crate::show(app);
            let _ = app.emit("quit-requested", ());
            Ok(())
        }
    };
    if let Err(e) = result {
        notify(app, "Hoody Desktop", &e.message);
    }
    refresh(app).await;
}

/// A container that fails, or stops with an error, is worth a notification.
pub async fn notify_if_unexpected(app: &AppHandle, desktop: &Desktop, event: &ContainerEvent) {
    let unasked = event.trigger.is_some_and(|t| t != Trigger::User);
    let unexpected = event.to == ContainerStatus::Failed || (event.to == ContainerStatus::Stopped && unasked);
    if !unexpected {
        return;
    }
    let name = desktop.container(event.container_id.as_str()).await.map(|c| c.name).unwrap_or_default();
    let why = event.reason.clone().unwrap_or_default();
    notify(app, &format!("{name} {}", event.to), &why);
}

fn notify(app: &AppHandle, title: &str, body: &str) {
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!("notification: {e}");
    }
}
