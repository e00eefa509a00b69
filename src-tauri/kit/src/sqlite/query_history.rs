//! The query history of a database, inside the container: each query and transaction run on it
//! through this service (its SQL, when, how long, how many rows, the error if it failed), kept
//! beside the database in `{db}.history` (a SQLite file of its own, so the database itself holds
//! only what its users put there, and a read-only query still leaves its trace).

use super::execute::Answer;
use super::kv_history::now_ms;
use crate::error::{KitCode, KitError};
use hyper::StatusCode;
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;

/// Entries kept per database; the oldest go first.
const KEEP: i64 = 10_000;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum QueryHistoryOp {
    List { limit: u32 },
    Stats,
    Clear,
    Delete { index: i64 },
}

/// One query or transaction, as it ran.
pub(super) struct Ran<'a> {
    pub kind: &'static str,
    pub sql: &'a str,
    pub started: std::time::Instant,
    pub rows: Option<usize>,
    pub error: Option<String>,
}

fn file_of(db: &str) -> String {
    format!("{db}.history")
}

fn open(db: &str, create: bool) -> Result<Option<Connection>, KitError> {
    let path = file_of(db);
    if !create && !Path::new(&path).exists() {
        return Ok(None);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS queries (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, \
         sql TEXT NOT NULL, at INTEGER NOT NULL, duration_ms REAL NOT NULL, rows INTEGER, error TEXT)",
    )?;
    Ok(Some(conn))
}

/// Records what ran on `db` (a failure to record is logged, never the request's failure).
pub(super) fn record(db: &str, ran: Ran<'_>) {
    if !Path::new(db).exists() {
        return;
    }
    let recorded = open(db, true).and_then(|conn| {
        let conn = conn.expect("opened with create");
        let duration = ran.started.elapsed().as_secs_f64() * 1000.0;
        conn.execute(
            "INSERT INTO queries (kind, sql, at, duration_ms, rows, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![ran.kind, ran.sql, now_ms(), duration, ran.rows.map(|r| r as i64), ran.error],
        )?;
        conn.execute("DELETE FROM queries WHERE id <= (SELECT max(id) FROM queries) - ?1", [KEEP])?;
        Ok(())
    });
    if let Err(e) = recorded {
        eprintln!("the query history of {db} could not be written: {}", e.body());
    }
}

pub(super) fn execute(db: &str, op: QueryHistoryOp) -> Result<Answer, KitError> {
    if !Path::new(db).exists() {
        return Err(KitError::new(KitCode::DbNotFound, format!("there is no database {db}")));
    }
    let conn = open(db, false)?;
    let ok = |value: Value| Ok(Answer::json(StatusCode::OK, &value));
    match op {
        QueryHistoryOp::List { limit } => {
            let Some(conn) = conn else { return ok(json!({ "entries": [], "count": 0, "total": 0 })) };
            let total: i64 = conn.query_row("SELECT count(*) FROM queries", [], |r| r.get(0))?;
            let mut stmt = conn
                .prepare("SELECT id, kind, sql, at, duration_ms, rows, error FROM queries ORDER BY id DESC LIMIT ?1")?;
            let entries: Vec<Value> = stmt
                .query_map([limit], |r| {
                    Ok(json!({ "index": r.get::<_, i64>(0)?, "kind": r.get::<_, String>(1)?, "sql": r.get::<_, String>(2)?,
                        "at": r.get::<_, i64>(3)?, "duration_ms": r.get::<_, f64>(4)?, "rows": r.get::<_, Option<i64>>(5)?,
                        "error": r.get::<_, Option<String>>(6)? }))
                })?
                .collect::<Result<_, _>>()?;
            ok(json!({ "entries": entries, "count": entries.len(), "total": total }))
        }
        QueryHistoryOp::Stats => {
            let Some(conn) = conn else {
                return ok(json!({ "total": 0, "queries": 0, "transactions": 0, "errors": 0 }));
            };
            let stats = conn.query_row(
                "SELECT count(*), sum(kind = 'query'), sum(kind = 'transaction'), sum(error IS NOT NULL), \
                 avg(duration_ms), max(duration_ms), min(at), max(at) FROM queries",
                [],
                |r| {
                    Ok(json!({ "total": r.get::<_, i64>(0)?, "queries": r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                        "transactions": r.get::<_, Option<i64>>(2)?.unwrap_or(0), "errors": r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                        "avg_duration_ms": r.get::<_, Option<f64>>(4)?, "max_duration_ms": r.get::<_, Option<f64>>(5)?,
                        "first_at": r.get::<_, Option<i64>>(6)?, "last_at": r.get::<_, Option<i64>>(7)? }))
                },
            )?;
            ok(stats)
        }
        QueryHistoryOp::Clear => {
            let cleared = match conn {
                Some(conn) => conn.execute("DELETE FROM queries", [])?,
                None => 0,
            };
            ok(json!({ "success": true, "cleared": cleared }))
        }
        QueryHistoryOp::Delete { index } => {
            let gone = match conn {
                Some(conn) => conn.execute("DELETE FROM queries WHERE id = ?1", [index])?,
                None => 0,
            };
            if gone == 0 {
                return Err(KitError::new(
                    KitCode::NotFound,
                    format!("the query history of {db} has no entry {index}"),
                ));
            }
            ok(json!({ "success": true, "deleted": index }))
        }
    }
}
