//! The host's half: an HTTP request to the sqlite service, parsed into an [`Op`] (or refused
//! with the platform's code) and handed to the container.

use super::execute::Answer;
use super::op::{KvChange, KvOp, Op, Transaction};
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
        (_, history) if history == "/history" || history.starts_with("/history/") => {
            return Err(not_yet("the query history"));
        }
        (_, "/kv/diff" | "/kv/rollback" | "/kv/snapshot") => return Err(not_yet("the history of KV tables")),
        (method, kv) if kv == "/kv" || kv.starts_with("/kv/") => {
            if query.get("path").is_some() {
                return Err(not_yet("?path (a place inside a JSON value)"));
            }
            if query.get("at_timestamp").is_some() || query.get("rebuild").is_some() {
                return Err(not_yet("reading a key as it was (?at_timestamp, ?rebuild)"));
            }
            let op = kv_op(method, kv, &query, req).await?;
            Op::Kv { db: db()?, table, create, op }
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

/// The key-value route `kv` (`/kv`, `/kv/batch/…`, `/kv/{key}[/{change}]`) as its operation.
async fn kv_op(method: Method, kv: &str, query: &Query, req: Request<Incoming>) -> Result<KvOp, KitError> {
    if kv == "/kv" {
        if method != Method::GET {
            return Err(KitError::new(KitCode::MethodNotAllowed, format!("{method} is not a method of /kv")));
        }
        let limit = number::<u32>(query, "limit")?.unwrap_or(100);
        if !(1..=super::kv::MAX_LIST).contains(&limit) {
            return Err(bad(format!("limit must be 1 to {}", super::kv::MAX_LIST)));
        }
        let offset = number::<u64>(query, "offset")?.unwrap_or(0);
        return Ok(KvOp::List { prefix: query.get("prefix").unwrap_or("").to_owned(), limit, offset });
    }
    if let Some(batch) = kv.strip_prefix("/kv/batch/").filter(|_| method == Method::POST) {
        let body = json_body(req).await?;
        return match batch {
            "get" => Ok(KvOp::BatchGet { keys: keys_of(&body)? }),
            "delete" => Ok(KvOp::BatchDelete { keys: keys_of(&body)? }),
            "set" => Ok(KvOp::BatchSet { items: items_of(&body)? }),
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
        (Method::GET | Method::HEAD, None) => return Ok(KvOp::Get { key }),
        (Method::DELETE, None) => return Ok(KvOp::Delete { key }),
        (Method::PUT, None) => {
            let if_match = query.get("if_match").map(str::to_owned).or_else(|| {
                req.headers().get(hyper::header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned)
            });
            let ttl = query.get("ttl").map(ttl).transpose()?;
            return Ok(KvOp::Put { key, value: json_body(req).await?, ttl, if_match });
        }
        (_, Some("history" | "rollback" | "snapshot")) => return Err(not_yet("the history of a key")),
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
    Ok(KvOp::Change { key, change })
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
