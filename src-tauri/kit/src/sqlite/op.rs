//! What passes from the host's half to the container's: one database operation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Transaction {
    pub transaction: Vec<Step>,
}

/// One step of a transaction: a `statement` (changes rows) or a `query` (returns rows), with
/// positional (`[…]`) or named (`{":name": …}`) `values`, or `valuesBatch` to repeat it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Step {
    pub statement: Option<String>,
    pub query: Option<String>,
    pub values: Option<Value>,
    #[serde(rename = "valuesBatch")]
    pub values_batch: Option<Vec<Value>>,
}

/// A database operation, as parsed from a request and executed inside the container.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum Op {
    Create { db: String, init_kv: Option<String> },
    Transaction { db: String, create: bool, steps: Vec<Step> },
    Query { db: String, sql: String },
    KvList { db: String, table: String, prefix: String },
    KvGet { db: String, table: String, key: String },
    KvPut { db: String, table: String, key: String, value: Value, create: bool },
    KvDelete { db: String, table: String, key: String },
}
