//! The Tauri config (`tauri.conf.json`) lives beside this crate's Cargo.toml, where Tauri's CLI
//! (its bundler) looks for it too.

fn main() {
    let attributes = tauri_build::Attributes::new();
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build: {e:#}");
    }
}
