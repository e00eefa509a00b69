//! The history of a key-value table, inside the container: every write made with `history`
//! on (the default) is a row of `_hoody_kv_history` in the same database, in the same
//! transaction as the write — the key, what was done, the value after it (null once deleted)
//! and when (milliseconds). From it: a key's history, its value after its Nth change, a key
//! rolled back some steps, the whole table as it was at a time, what changed between two times,
//! and the table rolled back to a time. Keys written with `history=false`, or before the
//! service kept history, are not in it, and an answer that reads it says how far it goes.

use super::execute::Answer;
use crate::error::{KitCode, KitError};
use hyper::StatusCode;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const TABLE: &str = "_hoody_kv_history";

/// A time given to the history: milliseconds, or seconds when it is too small to be those.
pub(super) fn millis(raw: i64) -> i64 {
    if raw.abs() < 100_000_000_000 { raw.saturating_mul(1000) } else { raw }
}

pub(super) fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// What one history request asks.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum HistoryOp {
    Key { key: String, limit: u32 },
    KeySnapshot { key: String, op_number: u64 },
    KeyRollback { key: String, steps: u64 },
    TableSnapshot { at: i64, limit: u32, prefix: String },
    TableDiff { from: i64, to: i64, keys: Option<Vec<String>> },
    TableRollback { to: i64, dry_run: bool, keys: Option<Vec<String>>, exclude_keys: Vec<String> },
}

pub(super) fn ensure(conn: &Connection) -> Result<(), KitError> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, \
         key TEXT NOT NULL, op TEXT NOT NULL, value TEXT, at INTEGER NOT NULL); \
         CREATE INDEX IF NOT EXISTS {TABLE}_key ON {TABLE} (tbl, key, seq)"
    ))?;
    Ok(())
}

/// Records one write (`value` None: the key was deleted).
pub(super) fn record(
    conn: &Connection,
    table: &str,
    key: &str,
    op: &str,
    value: Option<&Value>,
) -> Result<(), KitError> {
    ensure(conn)?;
    conn.execute(
        &format!("INSERT INTO {TABLE} (tbl, key, op, value, at) VALUES (?1, ?2, ?3, ?4, ?5)"),
        rusqlite::params![table, key, op, value.map(Value::to_string), now_ms()],
    )?;
    Ok(())
}

fn exists(conn: &Connection) -> Result<bool, KitError> {
    let n: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [TABLE], |r| r.get(0))?;
    Ok(n > 0)
}

/// One change of a key.
struct Change {
    op: String,
    value: Option<Value>,
    at: i64,
}

impl Change {
    fn json(&self, op_number: usize) -> Value {
        json!({ "op_number": op_number, "op": self.op, "value": self.value, "deleted": self.value.is_none(), "at": self.at })
    }
}

/// A key's changes, oldest first.
fn changes(conn: &Connection, table: &str, key: &str) -> Result<Vec<Change>, KitError> {
    if !exists(conn)? {
        return Ok(Vec::new());
    }
    let mut stmt =
        conn.prepare(&format!("SELECT op, value, at FROM {TABLE} WHERE tbl = ?1 AND key = ?2 ORDER BY seq"))?;
    let rows = stmt.query_map([table, key], |r| {
        let value: Option<String> = r.get(1)?;
        Ok(Change { op: r.get(0)?, value: value.and_then(|v| serde_json::from_str(&v).ok()), at: r.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every key's value at `at` (ms) as the history tells it; None for a key deleted by then.
fn table_at(conn: &Connection, table: &str, at: i64) -> Result<BTreeMap<String, Option<Value>>, KitError> {
    let mut state = BTreeMap::new();
    if !exists(conn)? {
        return Ok(state);
    }
    let mut stmt = conn.prepare(&format!("SELECT key, value FROM {TABLE} WHERE tbl = ?1 AND at <= ?2 ORDER BY seq"))?;
    let rows =
        stmt.query_map(rusqlite::params![table, at], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
    for row in rows {
        let (key, value) = row?;
        state.insert(key, value.and_then(|v| serde_json::from_str(&v).ok()));
    }
    Ok(state)
}

/// The keys the history names for `table`.
fn keys(conn: &Connection, table: &str) -> Result<Vec<String>, KitError> {
    if !exists(conn)? {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(&format!("SELECT DISTINCT key FROM {TABLE} WHERE tbl = ?1 ORDER BY key"))?;
    let rows = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sets (or, `None`, deletes) a key as part of a rollback, recorded in the history.
fn restore(conn: &Connection, table: &str, key: &str, value: Option<&Value>) -> Result<(), KitError> {
    match value {
        Some(value) => {
            super::kv::ensure_kv(conn, table)?;
            let now = super::execute::unix_now();
            conn.execute(
                &format!(
                    "INSERT INTO \"{table}\" (key, value, created_at, updated_at, expires_at) VALUES (?1, ?2, ?3, ?3, NULL) \
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, expires_at = NULL"
                ),
                rusqlite::params![key, value.to_string(), now],
            )?;
        }
        None => {
            if super::kv::table_exists(conn, table)? {
                conn.execute(&format!("DELETE FROM \"{table}\" WHERE key = ?1"), [key])?;
            }
        }
    }
    record(conn, table, key, "rollback", value)
}

pub(super) fn execute(conn: &mut Connection, table: &str, op: HistoryOp) -> Result<Answer, KitError> {
    let ok = |value: Value| Ok(Answer::json(StatusCode::OK, &value));
    match op {
        HistoryOp::Key { key, limit } => {
            let all = changes(conn, table, &key)?;
            let total = all.len();
            let newest: Vec<Value> =
                all.iter().enumerate().rev().take(limit as usize).map(|(i, c)| c.json(i + 1)).collect();
            ok(json!({ "key": key, "table": table, "history": newest, "count": newest.len(), "total": total }))
        }
        HistoryOp::KeySnapshot { key, op_number } => {
            let all = changes(conn, table, &key)?;
            let Some(change) = usize::try_from(op_number).ok().filter(|n| *n >= 1).and_then(|n| all.get(n - 1)) else {
                return Err(KitError::new(
                    KitCode::NotFound,
                    format!("{key:?} has {} recorded changes; op_number must be 1 to {}", all.len(), all.len()),
                ));
            };
            ok(json!({ "key": key, "exists": change.value.is_some(), "snapshot": change.json(op_number as usize) }))
        }
        HistoryOp::KeyRollback { key, steps } => {
            let all = changes(conn, table, &key)?;
            if steps == 0 || steps as usize > all.len() {
                return Err(KitError::new(
                    KitCode::InvalidParameters,
                    format!("{key:?} has {} recorded changes; steps must be 1 to {}", all.len(), all.len()),
                ));
            }
            // Back before its first recorded change, the key did not exist.
            let back_to = all.len() - steps as usize;
            let value = back_to.checked_sub(1).and_then(|i| all[i].value.clone());
            let tx = conn.transaction()?;
            restore(&tx, table, &key, value.as_ref())?;
            tx.commit()?;
            ok(
                json!({ "success": true, "key": key, "steps": steps, "value": value, "deleted": value.is_none(), "op_number": back_to }),
            )
        }
        HistoryOp::TableSnapshot { at, limit, prefix } => {
            let at = millis(at);
            let keys: Vec<Value> = table_at(conn, table, at)?
                .into_iter()
                .filter(|(k, v)| v.is_some() && k.starts_with(&prefix))
                .take(limit as usize)
                .map(|(key, value)| json!({ "key": key, "value": value }))
                .collect();
            ok(json!({ "table": table, "timestamp": at, "keys": keys, "count": keys.len(),
                "note": "as far as the history goes: keys written with history=false are not in it" }))
        }
        HistoryOp::TableDiff { from, to, keys } => {
            let (from, to) = (millis(from), millis(to));
            if from > to {
                return Err(KitError::new(KitCode::InvalidParameters, "from must not be after to"));
            }
            let (before, after) = (table_at(conn, table, from)?, table_at(conn, table, to)?);
            let mut changed = Vec::new();
            for key in before.keys().chain(after.keys()).collect::<std::collections::BTreeSet<_>>() {
                if keys.as_ref().is_some_and(|only| !only.contains(key)) {
                    continue;
                }
                let (a, b) = (before.get(key).cloned().flatten(), after.get(key).cloned().flatten());
                let change = match (&a, &b) {
                    (None, Some(_)) => "added",
                    (Some(_), None) => "removed",
                    (Some(x), Some(y)) if x != y => "changed",
                    _ => continue,
                };
                changed.push(json!({ "key": key, "change": change, "before": a, "after": b }));
            }
            ok(json!({ "table": table, "from": from, "to": to, "changes": changed, "count": changed.len() }))
        }
        HistoryOp::TableRollback { to, dry_run, keys: only, exclude_keys } => {
            let to = millis(to);
            let then = table_at(conn, table, to)?;
            let now = table_at(conn, table, i64::MAX)?;
            let mut changes = Vec::new();
            for key in keys(conn, table)? {
                if only.as_ref().is_some_and(|o| !o.contains(&key)) || exclude_keys.contains(&key) {
                    continue;
                }
                let (current, wanted) = (now.get(&key).cloned().flatten(), then.get(&key).cloned().flatten());
                if current != wanted {
                    changes.push((key, current, wanted));
                }
            }
            if !dry_run {
                let tx = conn.transaction()?;
                for (key, _, wanted) in &changes {
                    restore(&tx, table, key, wanted.as_ref())?;
                }
                tx.commit()?;
            }
            let listed: Vec<Value> =
                changes.iter().map(|(k, from, to)| json!({ "key": k, "from": from, "to": to })).collect();
            ok(json!({ "success": true, "dry_run": dry_run, "table": table, "to_timestamp": to,
                "changes": listed, "count": listed.len() }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keys_history_snapshots_and_rollbacks() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::kv::ensure_kv(&conn, "kv_store").unwrap();
        for (op, value) in [("set", Some(json!(1))), ("set", Some(json!(2))), ("delete", None), ("set", Some(json!(4)))]
        {
            record(&conn, "kv_store", "k", op, value.as_ref()).unwrap();
        }
        let body = |a: Answer| serde_json::from_slice::<Value>(&a.into_reply().1).unwrap();
        let h = body(execute(&mut conn, "kv_store", HistoryOp::Key { key: "k".into(), limit: 2 }).unwrap());
        assert_eq!((h["total"].as_u64(), &h["history"][0]["op_number"]), (Some(4), &json!(4)), "{h}");
        let s = body(execute(&mut conn, "kv_store", HistoryOp::KeySnapshot { key: "k".into(), op_number: 2 }).unwrap());
        assert_eq!(s["snapshot"]["value"], 2);
        let r = body(execute(&mut conn, "kv_store", HistoryOp::KeyRollback { key: "k".into(), steps: 2 }).unwrap());
        assert_eq!(r["value"], 2, "back past the delete: {r}");
        let r = body(execute(&mut conn, "kv_store", HistoryOp::KeyRollback { key: "k".into(), steps: 5 }).unwrap());
        assert_eq!((r["value"].clone(), r["deleted"].as_bool()), (Value::Null, Some(true)), "before it existed: {r}");
        assert!(execute(&mut conn, "kv_store", HistoryOp::KeyRollback { key: "k".into(), steps: 0 }).is_err());
        assert!(execute(&mut conn, "kv_store", HistoryOp::KeySnapshot { key: "k".into(), op_number: 99 }).is_err());
        assert_eq!(millis(1_700_000_000), 1_700_000_000_000);
        assert_eq!(millis(1_700_000_000_123), 1_700_000_000_123);
    }
}
