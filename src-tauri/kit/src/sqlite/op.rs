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
    Create {
        db: String,
        init_kv: Option<String>,
    },
    Transaction {
        db: String,
        create: bool,
        steps: Vec<Step>,
    },
    Query {
        db: String,
        sql: String,
    },
    /// A key-value operation on `table` of `db` (made when missing if `create`), recorded in
    /// the table's history when `history`.
    Kv {
        db: String,
        table: String,
        create: bool,
        history: bool,
        op: KvOp,
    },
    /// A read (or a rollback) of the history of `table` of `db`.
    KvHistory {
        db: String,
        table: String,
        op: super::kv_history::HistoryOp,
    },
    /// The queries and transactions run on `db` through this service.
    QueryHistory {
        db: String,
        op: super::query_history::QueryHistoryOp,
    },
}

/// What a key-value request does.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum KvOp {
    List {
        prefix: String,
        limit: u32,
        offset: u64,
    },
    Get {
        key: String,
    },
    BatchGet {
        keys: Vec<String>,
    },
    /// `ttl` in seconds; `if_match` an ETag (or `*`) the current value must have.
    Put {
        key: String,
        value: Value,
        ttl: Option<u64>,
        if_match: Option<String>,
    },
    /// Keys, values and their `ttl`, written in one transaction.
    BatchSet {
        items: Vec<(String, Value, Option<u64>)>,
    },
    Delete {
        key: String,
    },
    BatchDelete {
        keys: Vec<String>,
    },
    Change {
        key: String,
        change: KvChange,
    },
}

/// A change of a key's value computed from the value it has.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum KvChange {
    /// `incr` (and `decr`, negated): a number, 0 when missing.
    Add(f64),
    /// `push`: onto an array, made when missing.
    Push(Value),
    /// `pop`: the last element of an array.
    Pop,
    /// `remove`: the element at `index` (negative from the end) or the first equal to `value`.
    Remove { index: Option<i64>, value: Option<Value> },
}

impl KvChange {
    /// Its name in a key's history.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::Add(_) => "incr",
            Self::Push(_) => "push",
            Self::Pop => "pop",
            Self::Remove { .. } => "remove",
        }
    }
}
