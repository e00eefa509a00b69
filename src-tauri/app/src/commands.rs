//! The commands the UI invokes (its Tauri transport): `rpc` for every operation of the Hoody
//! API (routed by the desktop's fleet), and what only the desktop does (lists across servers,
//! remote endpoints, keys, opening URLs, quitting). Each is a call into the desktop core,
//! answering the API's types or its `{status, code, message}` error.

use hoody_desktop_core::commands::RpcCall;
use hoody_desktop_core::remotes::{RemoteEndpoint, ServerEntry};
use hoody_desktop_core::secrets::SecretStore;
use hoody_desktop_core::sshkeys::GeneratedSshKey;
use hoody_desktop_core::{CommandError, Desktop};
use hoody_model::services::Service;
use hoody_model::{Container, ContainerId, ErrorCode, Operation, Project};
use tauri::State;

type Answer<T> = Result<T, CommandError>;

/// Any operation of the Hoody API, as the UI's one list names it (see [`RpcCall`]).
#[tauri::command]
pub async fn rpc(desktop: State<'_, Desktop>, call: RpcCall) -> Answer<serde_json::Value> {
    desktop.rpc(call).await
}

#[tauri::command]
pub async fn containers(desktop: State<'_, Desktop>) -> Answer<Vec<Container>> {
    desktop.containers().await
}

/// Every server's last known containers, asking none: what the grid draws first.
#[tauri::command]
pub async fn known_containers(desktop: State<'_, Desktop>) -> Answer<Vec<Container>> {
    desktop.known_containers().await
}

#[tauri::command]
pub async fn projects(desktop: State<'_, Desktop>, server: Option<String>, all: Option<bool>) -> Answer<Vec<Project>> {
    desktop.projects(server.as_deref(), all.unwrap_or(false)).await
}

/// This machine and the remote endpoints, with what went wrong reading each.
#[tauri::command]
pub async fn servers(desktop: State<'_, Desktop>) -> Answer<Vec<ServerEntry>> {
    desktop.servers().await
}

/// The token of this machine's REST API, from the keyring (to copy into a CLI or SDK).
#[tauri::command]
pub async fn local_api_token(desktop: State<'_, Desktop>) -> Answer<String> {
    desktop.local_api_token().await
}

/// Adds a remote endpoint once it accepts the token, which goes to the OS keyring.
#[tauri::command]
pub async fn add_remote(desktop: State<'_, Desktop>, name: String, url: String, token: String) -> Answer<SecretStore> {
    desktop.add_remote(RemoteEndpoint { name, url }, &token).await
}

#[tauri::command]
pub async fn remove_remote(desktop: State<'_, Desktop>, name: String) -> Answer<()> {
    desktop.remove_remote(&name).await
}

/// Generates an ed25519 key pair for a container, saved as `~/.ssh/hoody-<name>` (0600).
#[tauri::command]
pub async fn generate_ssh_key(name: String) -> Answer<GeneratedSshKey> {
    let dir = hoody_desktop_core::sshkeys::user_ssh_dir()?;
    tokio::task::spawn_blocking(move || hoody_desktop_core::sshkeys::generate(&dir, &name))
        .await
        .map_err(|e| CommandError::new(ErrorCode::Internal, format!("key generation stopped: {e}")))?
}

#[tauri::command]
pub async fn open_url(url: String) -> Answer<()> {
    hoody_desktop_core::commands::open_url(&url)
}

/// Opens a service of a container (`terminal-1`, `http-8080`…), starting it first when
/// `start` says the user agreed to; answers the URL it opened.
#[tauri::command]
pub async fn open_service(desktop: State<'_, Desktop>, id: String, service: String, start: bool) -> Answer<String> {
    let id = ContainerId::parse(&id)?;
    let service = Service::from_slug(&service)
        .ok_or_else(|| CommandError::new(ErrorCode::InvalidField, format!("{service:?} is not a service")))?;
    let url = desktop.service_url(&id, service, start).await?;
    hoody_desktop_core::commands::open_url(&url)?;
    Ok(url)
}

/// Quits the app; with `stop_running`, running containers are stopped first (otherwise they
/// keep running, and the next start finds them).
#[tauri::command]
pub async fn quit(app: tauri::AppHandle, desktop: State<'_, Desktop>, stop_running: bool) -> Answer<()> {
    if stop_running {
        for c in desktop.containers().await? {
            if Operation::Stop.allowed_from().contains(&c.status)
                && let Err(e) = desktop.operate(c.id.as_str(), Operation::Stop).await
            {
                tracing::warn!(container = %c.name, "stop before quitting: {e}");
            }
        }
    }
    app.exit(0);
    Ok(())
}

/// Whether the app starts at login (an XDG autostart entry).
#[tauri::command]
pub fn start_at_login() -> Answer<bool> {
    Ok(hoody_desktop_core::autostart::enabled(&hoody_desktop_core::autostart::user_config_dir()?))
}

/// Makes the app start at login, in the tray (`--hidden`), or not.
#[tauri::command]
pub fn set_start_at_login(on: bool) -> Answer<()> {
    let program = hoody_desktop_core::autostart::this_program()?;
    hoody_desktop_core::autostart::set(&hoody_desktop_core::autostart::user_config_dir()?, on, &program)
}

/// The first window's one-time set-up of this computer (pkexec hoodyd host-setup, the system's
/// password prompt): what it changed.
#[tauri::command]
pub async fn set_up_this_computer() -> Answer<Vec<String>> {
    let changes = hoody_desktop_core::host_setup::set_up_this_computer().await?;
    tracing::info!(?changes, "this computer was set up");
    Ok(changes)
}

/// Starts the app again in place, for its engine to read the set-up (answers only on failure).
#[tauri::command]
pub fn start_again() -> Answer<()> {
    tracing::info!("starting again, for the engine to read the set-up");
    Err(hoody_desktop_core::host_setup::start_again())
}

/// The UI has drawn its first screen (logged, so start-up can be measured from outside).
#[tauri::command]
pub fn ui_ready(showing: Option<String>) {
    let showing = showing.as_deref().unwrap_or("the grid");
    tracing::info!(since_start_ms = crate::STARTED.elapsed().as_millis() as u64, showing, "ui ready");
}

/// Why the engine did not start, when it did not (the window says so and what to do).
pub struct StartFailure(pub String);

#[tauri::command]
pub fn start_failure(app: tauri::AppHandle) -> Option<String> {
    use tauri::Manager;
    app.try_state::<StartFailure>().map(|failure| failure.0.clone())
}
