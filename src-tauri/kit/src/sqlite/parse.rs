//! The host's half: an HTTP request to the sqlite service, parsed into an [`Op`] (or refused
//! with the platform's code) and handed to the container.

use super::execute::Answer;
use super::kv_history::HistoryOp;
use super::op::{KvChange, KvOp, Op, Transaction};
use super::query_history::QueryHistoryOp;
use super::{API, DATABASES_DIR, MAX_BODY};
use crate::error::{KitCode, KitError};
use crate::request::{Query, body};
use base64::Engine as _;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::{Value, json};

/// Parses the request into its operation and has the container carry it out.
pub(super) async fn route(req: Request<Incoming>, init_pid: u32) -> Result<(crate::inside::Reply, Bytes), KitError> {
    let query = Query::parse(req.uri().query()).map_err(|e| KitError::new(KitCode::InvalidParameters, e))?;
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if path == format!("{API}/health") {
        let (reply, body) = Answer::json(StatusCode::OK, &json!({ "status": "ok", "service": "sqlite" })).into_reply();
        return Ok((reply, Bytes::from(body)));
    }
    let Some(rest) = path.strip_prefix(API) else {
        return Err(KitError::new(KitCode::NotFound, format!("no sqlite route {path}; the API is under {API}")));
    };
    let rest = rest.to_owned();
    let db_param = if rest == "/db/create" { "path" } else { "db" };
    let db = query.get(db_param).map(resolve_db).transpose()?;
    let db = || db.clone().ok_or_else(|| KitError::new(KitCode::InvalidDbPath, format!("{db_param} is required")));
    let create = query.flag("create_db_if_missing");
    let table = kv_table(query.get("table"))?;
    let op = match (method, rest.as_str()) {
        (Method::POST, "/db/create") => Op::Create { db: db()?, init_kv: query.flag("init_kv").then_some(table) },
        (Method::POST, "/db") => {
            let raw = body(req.into_body(), MAX_BODY).await.map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
            let tx: Transaction = serde_json::from_slice(&raw).map_err(|e| {
                KitError::new(KitCode::InvalidParameters, format!("the body is not a transaction: {e}"))
            })?;
            Op::Transaction { db: db()?, create, steps: tx.transaction }
        }
        (Method::GET, "/query") => {
            let sql = query.get("sql").ok_or_else(|| KitError::new(KitCode::InvalidParameters, "sql is required"))?;
            let sql = decode_sql(sql)?;
            Op::Query { db: db()?, sql }
        }
        (method, history) if history == "/history" || history.starts_with("/history/") => {
            let op = match (method, &history["/history".len()..]) {
                (Method::GET, "") => QueryHistoryOp::List { limit: limit(&query, 100)? },
                (Method::GET, "/stats") => QueryHistoryOp::Stats,
                (Method::DELETE, "") => QueryHistoryOp::Clear,
                (Method::DELETE, index) => QueryHistoryOp::Delete {
                    index: index[1..].parse().map_err(|_| bad(format!("{:?} is not an entry's index", &index[1..])))?,
                },
                (method, _) => {
                    return Err(KitError::new(
                        KitCode::MethodNotAllowed,
                        format!("{method} {path} is not a history route"),
                    ));
                }
            };
            Op::QueryHistory { db: db()?, op }
        }
        (method, route @ ("/kv/diff" | "/kv/rollback" | "/kv/snapshot")) => {
            let required = |name: &str| number::<i64>(&query, name)?.ok_or_else(|| bad(format!("{name} is required")));
            let op = match (method, route) {
                (Method::GET, "/kv/snapshot") => HistoryOp::TableSnapshot {
                    at: required("timestamp")?,
                    limit: limit(&query, 100)?,
                    prefix: query.get("prefix").unwrap_or("").to_owned(),
                },
                (Method::GET, "/kv/diff") => HistoryOp::TableDiff {
                    from: required("from")?,
                    to: required("to")?,
                    keys: query.get("keys").map(|k| k.split(',').map(str::to_owned).collect()),
                },
                (Method::POST, "/kv/rollback") => {
                    let to = required("to_timestamp")?;
                    let has_body = req.headers().get(hyper::header::CONTENT_LENGTH).is_some_and(|l| l != "0");
                    let body = if has_body { json_body(req).await? } else { json!({}) };
                    let list = |name: &str| match body.get(name) {
                        None | Some(Value::Null) => Ok(None),
                        Some(_) => keys_of(&json!({ "keys": body[name] })).map(Some),
                    };
                    HistoryOp::TableRollback {
                        to,
                        dry_run: query.flag("dry_run"),
                        keys: list("keys")?,
                        exclude_keys: list("exclude_keys")?.unwrap_or_default(),
                    }
                }
                (method, _) => {
                    return Err(KitError::new(KitCode::MethodNotAllowed, format!("{method} {path} is not a KV route")));
                }
            };
            Op::KvHistory { db: db()?, table, op }
        }
        (method, kv) if kv == "/kv" || kv.starts_with("/kv/") => {
            if query.get("path").is_some() {
                return Err(not_yet("?path (a place inside a JSON value)"));
            }
            if query.get("at_timestamp").is_some() || query.get("rebuild").is_some() {
                return Err(not_yet("reading a key as it was (?at_timestamp, ?rebuild)"));
            }
            let history = query.get("history").is_none_or(|h| !matches!(h, "false" | "0"));
            match kv_op(method, kv, &query, req).await? {
                KvRequest::Write(op) => Op::Kv { db: db()?, table, create, history, op },
                KvRequest::History(op) => Op::KvHistory { db: db()?, table, op },
            }
        }
        (method, _) => {
            return Err(KitError::new(KitCode::NotFound, format!("no sqlite route {method} {path}")));
        }
    };
    super::run(init_pid, op).await
}

fn not_yet(what: &str) -> KitError {
    KitError::new(KitCode::NotImplemented, format!("{what} is documented by the platform but not kept here yet"))
}

fn bad(message: impl Into<String>) -> KitError {
    KitError::new(KitCode::InvalidParameters, message)
}

/// A JSON body (a KV value, a batch).
async fn json_body(req: Request<Incoming>) -> Result<Value, KitError> {
    let raw = body(req.into_body(), MAX_BODY).await.map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
    serde_json::from_slice(&raw).map_err(|e| KitError::new(KitCode::InvalidJson, format!("the body must be JSON: {e}")))
}

/// A list of keys in a batch body: `{"keys": [...]}`.
fn keys_of(body: &Value) -> Result<Vec<String>, KitError> {
    let keys = body.get("keys").and_then(Value::as_array).ok_or_else(|| bad("keys is required: a list of keys"))?;
    keys.iter().map(|k| k.as_str().map(str::to_owned).ok_or_else(|| bad("keys must be strings"))).collect()
}

/// `items`: `{"key": value, …}`, or `[{"key", "value", "ttl"?}, …]`.
fn items_of(body: &Value) -> Result<Vec<(String, Value, Option<u64>)>, KitError> {
    match body.get("items") {
        Some(Value::Object(map)) => Ok(map.iter().map(|(k, v)| (k.clone(), v.clone(), None)).collect()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|item| {
                let key = item.get("key").and_then(Value::as_str).ok_or_else(|| bad("each item needs a key"))?;
                let value = item.get("value").cloned().ok_or_else(|| bad(format!("item {key:?} has no value")))?;
                let ttl = item.get("ttl").filter(|t| !t.is_null()).map(|t| ttl(&t.to_string())).transpose()?;
                Ok((key.to_owned(), value, ttl))
            })
            .collect(),
        _ => Err(bad("items is required: an object of keys and values, or a list of {key, value, ttl}")),
    }
}

fn ttl(raw: &str) -> Result<u64, KitError> {
    raw.parse::<u64>().ok().filter(|s| *s > 0).ok_or_else(|| bad(format!("ttl must be a number of seconds, not {raw}")))
}

fn number<T: std::str::FromStr>(query: &Query, name: &str) -> Result<Option<T>, KitError> {
    query.get(name).map(|raw| raw.parse().map_err(|_| bad(format!("{name} must be a number, not {raw:?}")))).transpose()
}

/// A key-value request: an operation on the table, or a read (or rollback) of a key's history.
enum KvRequest {
    Write(KvOp),
    History(HistoryOp),
}

/// `limit`, from 1 to the most rows an answer holds (`default` when absent).
fn limit(query: &Query, default: u32) -> Result<u32, KitError> {
    let limit = number::<u32>(query, "limit")?.unwrap_or(default);
    match (1..=super::kv::MAX_LIST).contains(&limit) {
        true => Ok(limit),
        false => Err(bad(format!("limit must be 1 to {}", super::kv::MAX_LIST))),
    }
}

/// The key-value route `kv` (`/kv`, `/kv/batch/…`, `/kv/{key}[/{change}]`) as its operation.
async fn kv_op(method: Method, kv: &str, query: &Query, req: Request<Incoming>) -> Result<KvRequest, KitError> {
    use KvRequest::{History, Write};
    if kv == "/kv" {
        if method != Method::GET {
            return Err(KitError::new(KitCode::MethodNotAllowed, format!("{method} is not a method of /kv")));
        }
        let limit = limit(query, 100)?;
        let offset = number::<u64>(query, "offset")?.unwrap_or(0);
        return Ok(Write(KvOp::List { prefix: query.get("prefix").unwrap_or("").to_owned(), limit, offset }));
    }
    if let Some(batch) = kv.strip_prefix("/kv/batch/").filter(|_| method == Method::POST) {
        let body = json_body(req).await?;
        return match batch {
            "get" => Ok(Write(KvOp::BatchGet { keys: keys_of(&body)? })),
            "delete" => Ok(Write(KvOp::BatchDelete { keys: keys_of(&body)? })),
            "set" => Ok(Write(KvOp::BatchSet { items: items_of(&body)? })),
            other => Err(KitError::new(KitCode::NotFound, format!("no KV batch {other:?}: use get, set or delete"))),
        };
    }
    let rest = &kv["/kv/".len()..];
    let (raw_key, change) = match rest.rsplit_once('/') {
        Some((key, word @ ("incr" | "decr" | "push" | "pop" | "remove" | "history" | "rollback" | "snapshot"))) => {
            (key, Some(word))
        }
        _ => (rest, None),
    };
    let key = crate::request::percent_decode(raw_key, false)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| bad("the key is empty or badly escaped"))?;
    let delta = || Ok::<_, KitError>(number::<f64>(query, "delta")?.unwrap_or(1.0));
    let change = match (method, change) {
        (Method::GET | Method::HEAD, None) => return Ok(Write(KvOp::Get { key })),
        (Method::DELETE, None) => return Ok(Write(KvOp::Delete { key })),
        (Method::PUT, None) => {
            let if_match = query.get("if_match").map(str::to_owned).or_else(|| {
                req.headers().get(hyper::header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned)
            });
            let ttl = query.get("ttl").map(ttl).transpose()?;
            return Ok(Write(KvOp::Put { key, value: json_body(req).await?, ttl, if_match }));
        }
        (Method::GET, Some("history")) => return Ok(History(HistoryOp::Key { key, limit: limit(query, 50)? })),
        (Method::GET, Some("snapshot")) => {
            let op_number = number::<u64>(query, "op_number")?.ok_or_else(|| bad("op_number is required"))?;
            return Ok(History(HistoryOp::KeySnapshot { key, op_number }));
        }
        (Method::POST, Some("rollback")) => {
            let steps = number::<u64>(query, "steps")?.unwrap_or(1);
            return Ok(History(HistoryOp::KeyRollback { key, steps }));
        }
        (Method::POST, Some("incr")) => KvChange::Add(delta()?),
        (Method::POST, Some("decr")) => KvChange::Add(-delta()?),
        (Method::POST, Some("push")) => KvChange::Push(json_body(req).await?),
        (Method::POST, Some("pop")) => KvChange::Pop,
        (Method::POST, Some("remove")) => {
            let index = number::<i64>(query, "index")?;
            let has_body = req.headers().get(hyper::header::CONTENT_LENGTH).is_some_and(|l| l != "0");
            let value = if index.is_none() && has_body { Some(json_body(req).await?) } else { None };
            if index.is_none() && value.is_none() {
                return Err(bad("name the element: ?index=N, or its value as the body"));
            }
            KvChange::Remove { index, value }
        }
        (method, _) => {
            return Err(KitError::new(KitCode::MethodNotAllowed, format!("{method} {kv} is not a KV route")));
        }
    };
    Ok(Write(KvOp::Change { key, change }))
}

/// `app` or `./app` → `/hoody/databases/app.db`; absolute paths stay as they are.
fn resolve_db(raw: &str) -> Result<String, KitError> {
    let invalid = |why: &str| KitError::new(KitCode::InvalidDbPath, format!("invalid database path {raw:?}: {why}"));
    if raw.contains('\0') {
        return Err(invalid("it contains a NUL byte"));
    }
    if raw.starts_with('/') {
        if raw.ends_with('/') {
            return Err(invalid("it names a directory"));
        }
        return Ok(raw.to_owned());
    }
    let name = raw.strip_prefix("./").unwrap_or(raw);
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !valid {
        return Err(invalid("use an absolute path, or a bare name of letters, digits, '.', '_' and '-'"));
    }
    let file = if name.ends_with(".db") { name.to_owned() } else { format!("{name}.db") };
    Ok(format!("{DATABASES_DIR}/{file}"))
}

/// The KV table name: `kv_store` unless `table=` names another plain identifier.
fn kv_table(raw: Option<&str>) -> Result<String, KitError> {
    let name = raw.unwrap_or("kv_store");
    let valid = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.len() <= 64;
    if valid {
        Ok(name.to_owned())
    } else {
        Err(KitError::new(KitCode::InvalidParameters, format!("{name:?} is not a table name")))
    }
}

/// Shareable queries carry their SQL base64-encoded (standard or URL-safe alphabet).
fn decode_sql(raw: &str) -> Result<String, KitError> {
    let raw = raw.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(raw)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw))
        .map_err(|_| KitError::new(KitCode::InvalidParameters, "sql must be base64-encoded SQL"))?;
    String::from_utf8(bytes).map_err(|_| KitError::new(KitCode::InvalidParameters, "sql must decode to UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::{decode_sql, kv_table, resolve_db};

    #[test]
    fn database_paths_and_names() {
        assert_eq!(resolve_db("app").unwrap(), "/hoody/databases/app.db");
        assert_eq!(resolve_db("./app.db").unwrap(), "/hoody/databases/app.db");
        assert_eq!(resolve_db("/data/x.sqlite").unwrap(), "/data/x.sqlite");
        for bad in ["", "../x", "a/b", ".hidden", "/data/", "x\0y"] {
            assert_eq!(resolve_db(bad).unwrap_err().code, crate::error::KitCode::InvalidDbPath, "{bad:?}");
        }
        assert_eq!(kv_table(None).unwrap(), "kv_store");
        assert!(kv_table(Some("t1")).is_ok() && kv_table(Some("x\"; drop")).is_err() && kv_table(Some("1a")).is_err());
        assert_eq!(decode_sql("U0VMRUNUIDE=").unwrap(), "SELECT 1");
        assert_eq!(decode_sql("U0VMRUNUIDE").unwrap(), "SELECT 1");
        assert!(decode_sql("!!").is_err());
    }
}
