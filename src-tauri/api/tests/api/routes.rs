//! The router is the engine's declaration of the operations: each one answers at its path.

use crate::common::*;
use hoody_engine::server::{Method, OPERATIONS};

#[tokio::test]
async fn every_declared_operation_is_served_at_its_path() {
    let s = TestServer::without_runtime().await;
    for op in OPERATIONS {
        let path = op
            .path
            .replace("{id}", "aaaaaaaaaaaaaaaaaaaaaaaa")
            .replace("{operation}", "start")
            .replace("{name}", "before");
        let body = op.body.map(|_| serde_json::json!({}));
        for method in op.methods {
            let method = match method {
                Method::GET => reqwest::Method::GET,
                Method::POST => reqwest::Method::POST,
                Method::PUT => reqwest::Method::PUT,
                Method::PATCH => reqwest::Method::PATCH,
                Method::DELETE => reqwest::Method::DELETE,
            };
            let r = s.client.raw(method.clone(), &path, body.as_ref()).await.unwrap();
            let message = r.body["message"].as_str().unwrap_or_default();
            assert!(
                r.status != 405 && !message.starts_with("no route"),
                "{} ({method} {path}) is declared but not served: {} {message}",
                op.name,
                r.status
            );
        }
    }
}
