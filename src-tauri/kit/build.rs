//! The kit embeds web packages from `ui/node_modules`; without them the build stops here with
//! the one command that fetches them, rather than with a missing-file error.

fn main() {
    let modules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules");
    println!("cargo:rerun-if-changed=../../ui/package-lock.json");
    for package in ["@xterm/xterm", "@xterm/addon-fit", "@novnc/novnc"] {
        if !modules.join(package).join("package.json").exists() {
            panic!("{package} is missing from ui/node_modules: run `npm ci --prefix ui` (or .ci/install-deps) first");
        }
    }
}
