//! The kit embeds web packages from `ui/node_modules`; without them the build stops here with
//! the one command that fetches them, rather than with a missing-file error.

fn main() {
    // Read when the script runs, not when it was built: a build script built in another checkout
    // sharing the target dir would look there.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let modules = std::path::Path::new(&manifest_dir).join("../../ui/node_modules");
    println!("cargo:rerun-if-changed=../../ui/package-lock.json");
    for package in ["@xterm/xterm", "@xterm/addon-fit", "@novnc/novnc"] {
        if !modules.join(package).join("package.json").exists() {
            panic!("{package} is missing from ui/node_modules: run `npm ci --prefix ui` (or .ci/install-deps) first");
        }
    }
}
