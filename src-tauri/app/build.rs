//! The Tauri config lives at the repository root (`tauri.conf.json`).

fn main() {
    let attributes = tauri_build::Attributes::new().config_path("../../tauri.conf.json");
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build: {e:#}");
    }
}
