//! The sqlite service (`sqlite-1`): SQLite databases inside the container, over HTTP, at the
//! platform's paths. `POST /api/v1/sqlite/db?db=` runs a transaction of statements (with
//! parameters), `GET /api/v1/sqlite/query?db=&sql=BASE64` runs one read-only query, and
//! `/api/v1/sqlite/kv[/{key}]?db=` is a key-value store of JSON values in table `kv_store`
//! (ETags and `if_match`, `ttl`, incr/decr, push/pop/remove, batches: [`kv`]), with the history
//! of its writes (a key's, the table's: snapshots, diffs, rollbacks: [`kv_history`]);
//! `/api/v1/sqlite/history` is the queries run on a database ([`query_history`]). `path` inside
//! a value answers 501 naming what is missing.
//!
//! `db` is an absolute path in the container, or a bare name (`app`, `./app.db`) kept in
//! [`DATABASES_DIR`]. Every request is parsed ([`parse`]) into an [`Op`] and executed inside the
//! container ([`crate::inside`]), as its root with exactly its rights, so paths and symlinks
//! resolve exactly as they would for a program in the container, the files written belong
//! to it, and nothing of the host is reachable. A statement that runs longer than
//! [`TIMEOUT`] is interrupted.
//!
//! The halves: [`parse`] turns an HTTP request into an [`Op`] (on the host), [`execute`] carries
//! it out (inside the container); [`op`] is what passes between them.

mod execute;
mod kv;
mod kv_history;
mod op;
mod parse;
mod query_history;

pub(crate) use execute::execute_inside;

use crate::error::{KitCode, KitError};
use crate::proxy::Body;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response};
use op::Op;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Where bare database names live inside the container.
pub const DATABASES_DIR: &str = "/hoody/databases";
/// The longest one request may keep a database busy.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request body (a transaction or a KV value).
pub const MAX_BODY: usize = 8 << 20;
/// The most rows one query answers with.
pub const MAX_ROWS: usize = 10_000;
/// Databases open at the same time across all containers.
const MAX_WORKERS: usize = 16;
const API: &str = "/api/v1/sqlite";

/// Answers one request to the service of the container whose init is `init_pid`.
pub async fn handle(req: Request<Incoming>, init_pid: u32) -> Response<Body> {
    let (reply, body) = match parse::route(req, init_pid).await {
        Ok(done) => done,
        Err(e) => return e.into_response(),
    };
    crate::inside::reply_to_response(reply, body)
}

async fn run(init_pid: u32, op: Op) -> Result<(crate::inside::Reply, Bytes), KitError> {
    static WORKERS: Semaphore = Semaphore::const_new(MAX_WORKERS);
    let _permit = WORKERS.acquire().await.expect("the semaphore is never closed");
    // Beyond the statement's own limit: the helper's start and the answer's way back.
    let limit = TIMEOUT + Duration::from_secs(10);
    crate::inside::run(init_pid, "sqlite", &op, Bytes::new(), limit)
        .await
        .map_err(|e| KitError::new(KitCode::ContainerUnreachable, e))
}
