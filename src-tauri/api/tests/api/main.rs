//! The REST API through real HTTP: a server on 127.0.0.1:0 over a real SQLite file, driven by
//! our own client crate.

mod common;
mod containers;
mod contract_more;
mod errors;
mod events;
mod lists;
mod openapi;
mod projects;
mod realms;
mod routes;
mod servers;
