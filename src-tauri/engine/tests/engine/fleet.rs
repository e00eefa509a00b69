//! The fleet's bookkeeping over a real engine (SQLite store, no runtime needed: projects only)
//! and a member that refuses everything: which server a name or an id leads to, what a read of
//! every server brings, and what is remembered about a server that could not be read.

use hoody_engine::fleet::Fleet;
use hoody_engine::server::{LocalServer, Refusing, Remote};
use hoody_engine::{Engine, EngineConfig, Principal, UnavailableRuntime};
use hoody_model::{ErrorCode, ProjectCreate, ServerReach, TokenId};
use std::sync::Arc;

#[tokio::test]
async fn the_fleet_finds_each_server_by_name_and_by_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig::new(dir.path().to_owned(), "local");
    let engine = Engine::start(config, Arc::new(UnavailableRuntime::new("not needed"))).await.unwrap();
    let caller = Principal::unrestricted(TokenId::generate());
    let fleet = Fleet::new("local", Arc::new(LocalServer::new(engine, caller)));

    let (home, server) = fleet.named(None).unwrap();
    assert_eq!(home, "local");
    let project =
        server.create_project((), ProjectCreate { alias: "here".into(), ..Default::default() }).await.unwrap();
    let Err(e) = fleet.named(Some("edge")) else { panic!("no server is called edge yet") };
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(e.to_string().contains("there is no server called \"edge\""), "{e}");

    let refusal = Refusing { code: ErrorCode::Unauthorized, message: "edge has no token".into() };
    fleet.join("edge", Arc::new(Remote(refusal)));
    assert_eq!(fleet.names(), ["local", "edge"]);
    let listed = fleet.all_containers().await;
    assert_eq!(listed.len(), 2);
    assert!(listed[0].fresh && listed[0].containers.is_empty());
    // Never read: nothing known to show, and its health says why.
    assert!(!listed[1].fresh && listed[1].containers.is_empty() && listed[1].read_at.is_none());
    assert_eq!(fleet.health("edge").unwrap().state, ServerReach::TokenRefused);
    assert_eq!(fleet.health("local").unwrap().state, ServerReach::Connected);
    assert_eq!(fleet.problem("edge").as_deref(), Some("edge has no token"));
    assert_eq!(fleet.problem("local"), None);
    // Projects: each server's own; every server's skips the one that cannot be read.
    assert_eq!(fleet.projects_of(Some("edge")).await.unwrap_err().code(), ErrorCode::Unauthorized);
    let all: Vec<_> = fleet.all_projects().await.into_iter().map(|p| p.id).collect();
    assert_eq!(all, std::slice::from_ref(&project.id));

    // An id leads to the server it was seen on, and home otherwise.
    assert_eq!(fleet.holder(project.id.as_str()).0, "local");
    fleet.place("aaaaaaaaaaaaaaaaaaaaaaaa", "edge");
    let (name, edge) = fleet.holder("aaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(name, "edge");
    assert_eq!(edge.rentals((), ()).await.unwrap_err().code(), ErrorCode::Unauthorized);
    // What the fleet holds changed: its subscribers are asked to read everything again.
    let mut events = fleet.subscribe();
    fleet.resync();
    assert!(matches!(events.recv().await.unwrap(), hoody_engine::fleet::FleetEvent::Resync));

    // A server that leaves takes what it held with it.
    fleet.leave("edge");
    assert_eq!(fleet.holder("aaaaaaaaaaaaaaaaaaaaaaaa").0, "local");
    assert_eq!(fleet.problem("edge"), None);
    assert_eq!(fleet.names(), ["local"]);
}
