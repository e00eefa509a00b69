//! The key-value store, inside the container: JSON values by key in a table of the database
//! (`kv_store` unless `table=` names another), as the platform documents it. A value carries an
//! ETag (a digest of its JSON), which `if_match` must name for a write to go ahead (412
//! otherwise), and may carry an expiry (`ttl` seconds): an expired key is gone for every read
//! and is removed by the next write. `incr`/`decr` count, `push`/`pop`/`remove` edit arrays,
//! batches get, set and delete many keys in one transaction. Each write is recorded in the
//! table's history unless `history=false` ([`super::kv_history`]).

use super::MAX_ROWS;
use super::execute::{Answer, open, unix_now};
use super::op::{KvChange, KvOp};
use crate::error::{KitCode, KitError};
use hyper::StatusCode;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value, json};
use sha2::Digest;

/// One key's row.
struct Row {
    value: Value,
    created_at: i64,
    updated_at: i64,
    expires_at: Option<i64>,
}

/// A value's ETag: the first 16 hex digits of the SHA-256 of its JSON.
pub(super) fn etag(value: &Value) -> String {
    let digest = sha2::Sha256::digest(value.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `history`: each write is recorded in the table's history ([`super::kv_history`]).
pub(super) fn execute(db: &str, table: &str, create: bool, history: bool, op: KvOp) -> Result<Answer, KitError> {
    let record = |conn: &Connection, key: &str, op: &str, value: Option<&Value>| match history {
        true => super::kv_history::record(conn, table, key, op, value),
        false => Ok(()),
    };
    match op {
        KvOp::List { prefix, limit, offset } => {
            let conn = open(db, false, true)?;
            if !table_exists(&conn, table)? {
                return Ok(Answer::json(StatusCode::OK, &json!({ "keys": [], "count": 0, "total": 0 })));
            }
            let live = live_clause(&conn, table)?;
            let total: i64 = conn.query_row(
                &format!("SELECT count(*) FROM \"{table}\" WHERE substr(key, 1, length(?1)) = ?1 AND {live}"),
                rusqlite::params![prefix, unix_now()],
                |r| r.get(0),
            )?;
            let sql = format!(
                "SELECT key, value, updated_at FROM \"{table}\" WHERE substr(key, 1, length(?1)) = ?1 AND {live} \
                 ORDER BY key LIMIT {limit} OFFSET {offset}"
            );
            let mut stmt = conn.prepare(&sql)?;
            let keys: Vec<Value> = stmt
                .query_map(rusqlite::params![prefix, unix_now()], |row| {
                    let value: String = row.get(1)?;
                    let value = serde_json::from_str(&value).unwrap_or(Value::String(value));
                    Ok(json!({ "key": row.get::<_, String>(0)?, "value": value, "updated_at": row.get::<_, i64>(2)? }))
                })?
                .collect::<Result<_, _>>()?;
            Ok(Answer::json(StatusCode::OK, &json!({ "count": keys.len(), "total": total, "keys": keys })))
        }
        KvOp::Get { key } => {
            let conn = open(db, false, true)?;
            let row = read(&conn, table, &key)?.ok_or_else(|| missing(&key, db))?;
            let mut headers = vec![
                ("etag", format!("\"{}\"", etag(&row.value))),
                ("x-created-at", row.created_at.to_string()),
                ("x-updated-at", row.updated_at.to_string()),
            ];
            headers.extend(row.expires_at.map(|at| ("x-expires-at", at.to_string())));
            Ok(Answer::with_headers(StatusCode::OK, row.value.to_string().into_bytes(), headers))
        }
        KvOp::BatchGet { keys } => {
            let conn = open(db, false, true)?;
            let mut found = Map::new();
            let mut absent = Vec::new();
            for key in keys {
                match read(&conn, table, &key)? {
                    Some(row) => drop(found.insert(key, row.value)),
                    None => absent.push(key),
                }
            }
            Ok(Answer::json(StatusCode::OK, &json!({ "success": true, "values": found, "missing": absent })))
        }
        KvOp::Put { key, value, ttl, if_match } => {
            let mut conn = open(db, create, false)?;
            ensure_kv(&conn, table)?;
            let tx = conn.transaction()?;
            let current = read(&tx, table, &key)?;
            check_precondition(&key, current.as_ref(), if_match.as_deref())?;
            let created = write(&tx, table, &key, &value, ttl.map(expiry_after), current.as_ref())?;
            record(&tx, &key, "set", Some(&value))?;
            tx.commit()?;
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            Ok(Answer::json(status, &json!({ "success": true, "key": key, "created": created, "etag": etag(&value) })))
        }
        KvOp::BatchSet { items } => {
            let mut conn = open(db, create, false)?;
            ensure_kv(&conn, table)?;
            let tx = conn.transaction()?;
            for (key, value, ttl) in &items {
                let current = read(&tx, table, key)?;
                write(&tx, table, key, value, ttl.map(expiry_after), current.as_ref())?;
                record(&tx, key, "set", Some(value))?;
            }
            tx.commit()?;
            Ok(Answer::json(StatusCode::OK, &json!({ "success": true, "count": items.len() })))
        }
        KvOp::Delete { key } => {
            let mut conn = open(db, false, false)?;
            if !table_exists(&conn, table)? || read(&conn, table, &key)?.is_none() {
                return Err(missing(&key, db));
            }
            let tx = conn.transaction()?;
            tx.execute(&format!("DELETE FROM \"{table}\" WHERE key = ?1"), [&key])?;
            record(&tx, &key, "delete", None)?;
            tx.commit()?;
            Ok(Answer::json(StatusCode::OK, &json!({ "success": true, "key": key, "deleted": true })))
        }
        KvOp::BatchDelete { keys } => {
            let mut conn = open(db, false, false)?;
            if !table_exists(&conn, table)? {
                return Ok(Answer::json(StatusCode::OK, &json!({ "success": true, "deleted": 0 })));
            }
            let tx = conn.transaction()?;
            let mut deleted = 0;
            for key in &keys {
                let gone = tx.execute(&format!("DELETE FROM \"{table}\" WHERE key = ?1"), [key])?;
                if gone > 0 {
                    record(&tx, key, "delete", None)?;
                }
                deleted += gone;
            }
            tx.commit()?;
            Ok(Answer::json(StatusCode::OK, &json!({ "success": true, "deleted": deleted })))
        }
        KvOp::Change { key, change } => {
            let change_name = change.name();
            let mut conn = open(db, create, false)?;
            ensure_kv(&conn, table)?;
            let tx = conn.transaction()?;
            let current = read(&tx, table, &key)?;
            let (value, answer) = apply(&key, current.as_ref().map(|r| &r.value), change)?;
            // A change keeps the key's expiry.
            let expires_at = current.as_ref().and_then(|r| r.expires_at);
            write(&tx, table, &key, &value, expires_at, current.as_ref())?;
            record(&tx, &key, change_name, Some(&value))?;
            tx.commit()?;
            Ok(Answer::json(StatusCode::OK, &json!({ "success": true, "key": key, "value": value, "result": answer })))
        }
    }
}

/// The new value of a key and what the change answers (the number, or the element taken).
fn apply(key: &str, current: Option<&Value>, change: KvChange) -> Result<(Value, Value), KitError> {
    let wrong = |what: &str| KitError::new(KitCode::Conflict, format!("{key:?} holds {}, not {what}", kind(current)));
    match change {
        KvChange::Add(delta) => {
            let now = match current {
                None => 0.0,
                Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
                Some(_) => return Err(wrong("a number")),
            };
            let sum = now + delta;
            let value = if sum.fract() == 0.0 && sum.abs() < 9.0e15 { json!(sum as i64) } else { json!(sum) };
            Ok((value.clone(), value))
        }
        KvChange::Push(item) => {
            let mut items = match current {
                None => Vec::new(),
                Some(Value::Array(items)) => items.clone(),
                Some(_) => return Err(wrong("an array")),
            };
            items.push(item);
            let length = items.len();
            Ok((Value::Array(items), json!(length)))
        }
        KvChange::Pop => match current {
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut items = items.clone();
                let last = items.pop().expect("not empty");
                Ok((Value::Array(items), last))
            }
            Some(Value::Array(_)) => Err(KitError::new(KitCode::NotFound, format!("{key:?} is an empty array"))),
            None => Err(KitError::new(KitCode::KeyNotFound, format!("there is no key {key:?}"))),
            Some(_) => Err(wrong("an array")),
        },
        KvChange::Remove { index, value } => {
            let Some(Value::Array(items)) = current else {
                return Err(match current {
                    None => KitError::new(KitCode::KeyNotFound, format!("there is no key {key:?}")),
                    Some(_) => wrong("an array"),
                });
            };
            let mut items = items.clone();
            let at = match (index, value) {
                (Some(i), _) => {
                    let len = items.len() as i64;
                    let i = if i < 0 { len + i } else { i };
                    (0..len).contains(&i).then_some(i as usize)
                }
                (None, Some(v)) => items.iter().position(|item| *item == v),
                (None, None) => None,
            };
            let Some(at) = at else {
                return Err(KitError::new(KitCode::NotFound, format!("no such element in {key:?}")));
            };
            let removed = items.remove(at);
            Ok((Value::Array(items), removed))
        }
    }
}

fn kind(value: Option<&Value>) -> &'static str {
    match value {
        None => "nothing",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "a boolean",
        Some(Value::Number(_)) => "a number",
        Some(Value::String(_)) => "a string",
        Some(Value::Array(_)) => "an array",
        Some(Value::Object(_)) => "an object",
    }
}

/// `if_match`: `*` asks for any current value, anything else for the value with that ETag.
fn check_precondition(key: &str, current: Option<&Row>, if_match: Option<&str>) -> Result<(), KitError> {
    let Some(wanted) = if_match.map(|w| w.trim().trim_start_matches("W/").trim_matches('"')) else {
        return Ok(());
    };
    match current {
        Some(_) if wanted == "*" => Ok(()),
        Some(row) if etag(&row.value) == wanted => Ok(()),
        Some(row) => Err(KitError::new(
            KitCode::PreconditionFailed,
            format!("{key:?} changed: its ETag is {}, not {wanted}; read it again", etag(&row.value)),
        )),
        None => Err(KitError::new(KitCode::PreconditionFailed, format!("{key:?} does not exist (if_match {wanted})"))),
    }
}

/// The expiry (whole seconds; a key lives while `expires_at > now`) of a key written now with
/// `ttl` seconds to live: at least `ttl` seconds, never less. From the current second alone,
/// a key of `ttl=1` written late in a second was gone a moment later.
fn expiry_after(ttl: u64) -> i64 {
    unix_now().saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)).saturating_add(1)
}

/// Writes a key, to expire at `expires_at` (none: never); answers whether it was created (an
/// expired one counts as new).
fn write(
    conn: &Connection,
    table: &str,
    key: &str,
    value: &Value,
    expires_at: Option<i64>,
    current: Option<&Row>,
) -> Result<bool, KitError> {
    let now = unix_now();
    let created_at = current.map_or(now, |r| r.created_at);
    conn.execute(
        &format!(
            "INSERT INTO \"{table}\" (key, value, created_at, updated_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at, \
             updated_at = excluded.updated_at, expires_at = excluded.expires_at"
        ),
        rusqlite::params![key, value.to_string(), created_at, now, expires_at],
    )?;
    Ok(current.is_none())
}

/// A key's row unless it is missing or expired.
fn read(conn: &Connection, table: &str, key: &str) -> Result<Option<Row>, KitError> {
    if !table_exists(conn, table)? {
        return Ok(None);
    }
    let expiry = if has_expiry(conn, table)? { "expires_at" } else { "NULL" };
    let row = conn
        .query_row(
            &format!("SELECT value, created_at, updated_at, {expiry} FROM \"{table}\" WHERE key = ?1"),
            [key],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<i64>>(3)?)),
        )
        .optional()?;
    Ok(row.filter(|(_, _, _, expires)| expires.is_none_or(|at| at > unix_now())).map(
        |(value, created_at, updated_at, expires_at)| Row {
            value: serde_json::from_str(&value).unwrap_or(Value::String(value)),
            created_at,
            updated_at,
            expires_at,
        },
    ))
}

fn missing(key: &str, db: &str) -> KitError {
    KitError::new(KitCode::KeyNotFound, format!("there is no key {key:?} in {db}"))
}

/// The condition a live row meets (`?2` is now), for tables with and without expiries.
fn live_clause(conn: &Connection, table: &str) -> Result<&'static str, KitError> {
    Ok(if has_expiry(conn, table)? { "(expires_at IS NULL OR expires_at > ?2)" } else { "?2 = ?2" })
}

fn has_expiry(conn: &Connection, table: &str) -> Result<bool, KitError> {
    let n: i64 =
        conn.query_row("SELECT count(*) FROM pragma_table_info(?1) WHERE name = 'expires_at'", [table], |r| r.get(0))?;
    Ok(n > 0)
}

/// The KV table, made when missing; one made before expiries gets their column.
pub(super) fn ensure_kv(conn: &Connection, table: &str) -> Result<(), KitError> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS \"{table}\" (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, \
         created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expires_at INTEGER)"
    ))?;
    if !has_expiry(conn, table)? {
        conn.execute_batch(&format!("ALTER TABLE \"{table}\" ADD COLUMN expires_at INTEGER"))?;
    }
    Ok(())
}

pub(super) fn table_exists(conn: &Connection, table: &str) -> Result<bool, KitError> {
    Ok(conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| {
        r.get::<_, i64>(0)
    })? > 0)
}

/// The most keys a list answers with.
pub(super) const MAX_LIST: u32 = MAX_ROWS as u32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_count_and_edit_arrays() {
        let add = |now: Option<Value>, d| apply("k", now.as_ref(), KvChange::Add(d)).map(|(v, _)| v);
        assert_eq!(add(None, 1.0).unwrap(), json!(1));
        assert_eq!(add(Some(json!(5)), -2.0).unwrap(), json!(3));
        assert_eq!(add(Some(json!(1.5)), 1.0).unwrap(), json!(2.5));
        assert_eq!(add(Some(json!("x")), 1.0).unwrap_err().code, KitCode::Conflict);
        let (list, len) = apply("k", None, KvChange::Push(json!("a"))).unwrap();
        assert_eq!((list.clone(), len), (json!(["a"]), json!(1)));
        let (rest, last) = apply("k", Some(&json!([1, 2, 3])), KvChange::Pop).unwrap();
        assert_eq!((rest, last), (json!([1, 2]), json!(3)));
        let remove = |index, value| apply("k", Some(&json!([1, 2, 3])), KvChange::Remove { index, value });
        assert_eq!(remove(Some(-1), None).unwrap(), (json!([1, 2]), json!(3)));
        assert_eq!(remove(None, Some(json!(2))).unwrap(), (json!([1, 3]), json!(2)));
        assert_eq!(remove(Some(7), None).unwrap_err().code, KitCode::NotFound);
    }

    #[test]
    fn if_match_names_the_current_value() {
        let row = Row { value: json!({"n": 1}), created_at: 0, updated_at: 0, expires_at: None };
        let tag = etag(&row.value);
        assert!(check_precondition("k", Some(&row), Some(&tag)).is_ok());
        assert!(check_precondition("k", Some(&row), Some(&format!("\"{tag}\""))).is_ok());
        assert!(check_precondition("k", Some(&row), Some("*")).is_ok());
        assert_eq!(check_precondition("k", Some(&row), Some("0000")).unwrap_err().code, KitCode::PreconditionFailed);
        assert_eq!(check_precondition("k", None, Some("*")).unwrap_err().code, KitCode::PreconditionFailed);
        assert!(check_precondition("k", None, None).is_ok());
    }
}
