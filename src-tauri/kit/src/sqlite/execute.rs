//! The container's half: an [`Op`] carried out inside the container, as its root, with
//! exactly its rights (see [`crate::inside`]).

use super::op::{Op, Step};
use super::query_history::Ran;
use super::{MAX_ROWS, TIMEOUT};
use crate::error::{KitCode, KitError};
use base64::Engine as _;
use hyper::StatusCode;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value, json};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

impl From<rusqlite::Error> for KitError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        let code = match e.sqlite_error_code() {
            Some(NotADatabase) => KitCode::InvalidSqliteHeader,
            Some(ConstraintViolation) => KitCode::ConstraintViolation,
            Some(DatabaseBusy | DatabaseLocked) => KitCode::DatabaseBusy,
            Some(OperationInterrupted) => KitCode::Timeout,
            Some(ReadOnly) => KitCode::ReadOnly,
            Some(CannotOpen | PermissionDenied) => KitCode::InvalidDbPath,
            Some(DiskFull) => KitCode::DiskFull,
            _ => KitCode::SqlError,
        };
        let message = match code {
            KitCode::Timeout => format!("the statement ran longer than {}s and was interrupted", TIMEOUT.as_secs()),
            _ => e.to_string(),
        };
        Self::new(code, message)
    }
}

/// What a database operation answers: status, body and extra headers.
pub(super) struct Answer {
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

/// A refusal as the container's side sends it back.
fn refusal(e: KitError) -> (crate::inside::Reply, Vec<u8>) {
    let body = serde_json::to_vec(&e.body()).expect("JSON serialises");
    (crate::inside::Reply::new(e.status(), "application/json"), body)
}

impl Answer {
    pub(super) fn into_reply(self) -> (crate::inside::Reply, Vec<u8>) {
        let mut reply = crate::inside::Reply::new(self.status, self.content_type);
        reply.headers = self.headers.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        (reply, self.body)
    }
}

impl Answer {
    pub(super) fn json(status: StatusCode, value: &Value) -> Self {
        let body = serde_json::to_vec(value).expect("JSON values serialise");
        Self { status, content_type: "application/json", body, headers: vec![] }
    }

    /// A JSON body already written, with headers.
    pub(super) fn with_headers(status: StatusCode, body: Vec<u8>, headers: Vec<(&'static str, String)>) -> Self {
        Self { status, content_type: "application/json", body, headers }
    }
}

/// Inside the container: one operation (a line of JSON) executed, as a reply and its body.
pub(crate) fn execute_inside(request: &[u8]) -> (crate::inside::Reply, Vec<u8>) {
    let op: Op = match serde_json::from_slice(request) {
        Ok(op) => op,
        Err(e) => return refusal(KitError::new(KitCode::InvalidParameters, format!("a malformed operation: {e}"))),
    };
    match execute(op) {
        Ok(answer) => answer.into_reply(),
        Err(e) => refusal(e),
    }
}

/// Runs inside the container.
fn execute(op: Op) -> Result<Answer, KitError> {
    match op {
        Op::Create { db, init_kv } => {
            let existed = Path::new(&db).exists();
            let conn = open(&db, true, false)?;
            if let Some(table) = init_kv {
                super::kv::ensure_kv(&conn, &table)?;
            }
            let status = if existed { StatusCode::OK } else { StatusCode::CREATED };
            Ok(Answer::json(status, &json!({ "success": true, "path": db, "created": !existed })))
        }
        Op::Transaction { db, create, steps } => {
            let sql = steps.iter().filter_map(|s| s.statement.as_deref().or(s.query.as_deref())).collect::<Vec<_>>();
            let sql = sql.join(";\n");
            let started = Instant::now();
            let done = open(&db, create, false).and_then(|mut conn| transaction(&mut conn, steps));
            let (rows, error) = match &done {
                Ok((_, changed)) => (Some(*changed), None),
                Err(e) => (None, Some(e.message.clone())),
            };
            super::query_history::record(&db, Ran { kind: "transaction", sql: &sql, started, rows, error });
            done.map(|(answer, _)| answer)
        }
        Op::Query { db, sql } => {
            let started = Instant::now();
            let done = query(&db, &sql);
            let (rows, error) = match &done {
                Ok((_, count)) => (Some(*count), None),
                Err(e) => (None, Some(e.message.clone())),
            };
            super::query_history::record(&db, Ran { kind: "query", sql: &sql, started, rows, error });
            done.map(|(answer, _)| answer)
        }
        Op::Kv { db, table, create, history, op } => super::kv::execute(&db, &table, create, history, op),
        Op::KvHistory { db, table, op } => super::kv_history::execute(&mut open(&db, false, false)?, &table, op),
        Op::QueryHistory { db, op } => super::query_history::execute(&db, op),
    }
}

/// A read-only query; its answer and how many rows it gave.
fn query(db: &str, sql: &str) -> Result<(Answer, usize), KitError> {
    let conn = open(db, false, true)?;
    let mut stmt = conn.prepare(sql)?;
    if !stmt.readonly() {
        return Err(KitError::new(KitCode::ReadOnly, "shareable queries may only read"));
    }
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        if out.len() == MAX_ROWS {
            return Err(too_many_rows());
        }
        out.push(Value::Array((0..columns.len()).map(|i| to_json(row.get_ref(i))).collect::<Result<_, _>>()?));
    }
    let count = out.len();
    Ok((Answer::json(StatusCode::OK, &json!({ "columns": columns, "rows": out })), count))
}

/// Opens `db`: a missing database is created only when `create` is set (with its directory).
pub(super) fn open(db: &str, create: bool, read_only: bool) -> Result<Connection, KitError> {
    let path = Path::new(db);
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(KitError::new(KitCode::PathIsDirectory, format!("{db} is a directory, not a database")));
        }
        Ok(_) => {}
        Err(_) if create => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    KitError::new(KitCode::InvalidDbPath, format!("cannot make the directory {}: {e}", dir.display()))
                })?;
            }
        }
        Err(_) => {
            return Err(KitError::new(
                KitCode::DbNotFound,
                format!("there is no database {db}; create it, or pass create_db_if_missing=true"),
            ));
        }
    }
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let deadline = Instant::now() + TIMEOUT;
    conn.progress_handler(10_000, Some(move || Instant::now() > deadline))?;
    // A file that is not a database fails here rather than halfway through a request.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    Ok(conn)
}

/// Runs the steps in one transaction; its answer and the rows it changed or read.
fn transaction(conn: &mut Connection, steps: Vec<Step>) -> Result<(Answer, usize), KitError> {
    if steps.is_empty() {
        return Err(KitError::new(KitCode::InvalidParameters, "the transaction has no steps"));
    }
    let tx = conn.transaction()?;
    let mut results = Vec::with_capacity(steps.len());
    for (i, step) in steps.into_iter().enumerate() {
        let at = |e: KitError| KitError::new(e.code, format!("step {}: {}", i + 1, e.message));
        results.push(run_step(&tx, step).map_err(at)?);
    }
    tx.commit()?;
    let rows = results
        .iter()
        .map(|r: &Value| {
            r["resultSet"].as_array().map_or_else(|| r["rowsUpdated"].as_u64().unwrap_or(0) as usize, Vec::len)
        })
        .sum();
    Ok((Answer::json(StatusCode::OK, &json!({ "success": true, "results": results })), rows))
}

fn run_step(tx: &rusqlite::Transaction<'_>, step: Step) -> Result<Value, KitError> {
    let (sql, returns_rows) = match (step.statement, step.query) {
        (Some(sql), None) => (sql, false),
        (None, Some(sql)) => (sql, true),
        _ => return Err(KitError::new(KitCode::InvalidParameters, "each step has either a statement or a query")),
    };
    let mut stmt = tx.prepare(&sql)?;
    let batch = match (step.values, step.values_batch) {
        (Some(_), Some(_)) => {
            return Err(KitError::new(KitCode::InvalidParameters, "give values or valuesBatch, not both"));
        }
        (values, None) => vec![values.unwrap_or(Value::Null)],
        (None, Some(batch)) => batch,
    };
    if returns_rows {
        let [values] = <[Value; 1]>::try_from(batch)
            .map_err(|_| KitError::new(KitCode::InvalidParameters, "a query takes values, not valuesBatch"))?;
        let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = bind(&mut stmt, &values)?.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            if out.len() == MAX_ROWS {
                return Err(too_many_rows());
            }
            let mut object = Map::new();
            for (i, name) in columns.iter().enumerate() {
                object.insert(name.clone(), to_json(row.get_ref(i))?);
            }
            out.push(Value::Object(object));
        }
        return Ok(json!({ "success": true, "resultSet": out }));
    }
    let mut changed = 0;
    for values in &batch {
        changed += bind(&mut stmt, values)?.raw_execute()?;
    }
    Ok(json!({ "success": true, "rowsUpdated": changed, "lastInsertRowid": tx.last_insert_rowid() }))
}

/// Binds `[…]` positionally or `{":name": …}` by name (`null` binds nothing).
fn bind<'a, 'b>(
    stmt: &'a mut rusqlite::Statement<'b>,
    values: &Value,
) -> Result<&'a mut rusqlite::Statement<'b>, KitError> {
    stmt.clear_bindings();
    match values {
        Value::Null => {}
        Value::Array(items) => {
            if items.len() != stmt.parameter_count() {
                return Err(KitError::new(
                    KitCode::InvalidParameters,
                    format!("the statement takes {} values, {} given", stmt.parameter_count(), items.len()),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, to_sql(item))?;
            }
        }
        Value::Object(named) => {
            for (name, item) in named {
                let Some(index) = stmt.parameter_index(name)? else {
                    return Err(KitError::new(
                        KitCode::InvalidParameters,
                        format!("the statement has no parameter {name}"),
                    ));
                };
                stmt.raw_bind_parameter(index, to_sql(item))?;
            }
        }
        _ => return Err(KitError::new(KitCode::InvalidParameters, "values must be an array or an object")),
    }
    Ok(stmt)
}

fn to_sql(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => {
            n.as_i64().map_or_else(|| SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)), SqlValue::Integer)
        }
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

fn to_json(value: rusqlite::Result<ValueRef<'_>>) -> Result<Value, KitError> {
    Ok(match value? {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
    })
}

fn too_many_rows() -> KitError {
    KitError::new(KitCode::TooManyRows, format!("the answer has more than {MAX_ROWS} rows; add a LIMIT"))
}

pub(super) fn unix_now() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
