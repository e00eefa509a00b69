//! `hoodyd` as a process: the docs page's workflow over HTTP, tokens from the command line,
//! clean shutdown on SIGTERM, and no lost acknowledged write after `kill -9`.

mod browser;
mod conformance;
mod crash;
mod create_fields;
mod disk_full;
mod display;
mod env;
mod escape;
mod event_log;
mod exec_magic;
mod exec_scripts;
mod files_backends;
mod files_ops;
mod firewall;
mod hostile;
mod images;
mod kill;
mod nesting;
mod process;
mod project_permissions;
mod proxy;
mod proxy_gates;
mod proxy_hooks;
mod recover;
mod rootless;
mod seed_snippets;
mod snapshot_alias;
mod sqlite;
mod storage_shares;
mod terminal;
mod tokens;
mod transfers;
mod ui;
mod workflow;
