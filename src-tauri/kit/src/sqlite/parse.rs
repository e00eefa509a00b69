//! The host's half: an HTTP request to the sqlite service, parsed into an [`Op`] (or refused
//! with the platform's code) and handed to the container.

use super::execute::Answer;
use super::op::{Op, Transaction};
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
        (Method::GET, "/kv") => Op::KvList { db: db()?, table, prefix: query.get("prefix").unwrap_or("").to_owned() },
        (method, kv) if kv.starts_with("/kv/") => {
            let key = crate::request::percent_decode(&kv["/kv/".len()..], false)
                .filter(|k| !k.is_empty())
                .ok_or_else(|| KitError::new(KitCode::InvalidParameters, "the key is empty or badly escaped"))?;
            match method {
                Method::GET | Method::HEAD => Op::KvGet { db: db()?, table, key },
                Method::DELETE => Op::KvDelete { db: db()?, table, key },
                Method::PUT => {
                    let raw = body(req.into_body(), MAX_BODY)
                        .await
                        .map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
                    let value: Value = serde_json::from_slice(&raw)
                        .map_err(|e| KitError::new(KitCode::InvalidJson, format!("the value must be JSON: {e}")))?;
                    Op::KvPut { db: db()?, table, key, value, create }
                }
                other => {
                    return Err(KitError::new(KitCode::MethodNotAllowed, format!("{other} is not a KV method")));
                }
            }
        }
        (method, _) => {
            return Err(KitError::new(KitCode::NotFound, format!("no sqlite route {method} {path}")));
        }
    };
    super::run(init_pid, op).await
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
