//! Conversions between column values and model values.

use crate::error::{Result, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn time(ms: i64) -> Result<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single().ok_or_else(|| StoreError::corrupt("timestamp", ms))
}

pub(crate) fn json<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(what, e))
}

pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("model values always serialise")
}

pub(crate) fn id<T: std::str::FromStr<Err = hoody_model::ModelError>>(what: &'static str, text: &str) -> Result<T> {
    text.parse().map_err(|e| StoreError::corrupt(what, e))
}

pub(crate) fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
