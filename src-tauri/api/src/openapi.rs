//! The OpenAPI document. Placeholder replaced below.
pub fn document() -> serde_json::Value {
    serde_json::json!({})
}
