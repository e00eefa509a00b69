//! What a command answers when it is refused: the same status, stable code and message the REST
//! API would give, so the UI branches on one shape whichever transport it uses.

use hoody_engine::EngineError;
use hoody_model::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status: code.http_status(), code: code.as_str().to_owned(), message: message.into() }
    }
}

impl From<EngineError> for CommandError {
    fn from(e: EngineError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<hoody_model::ModelError> for CommandError {
    fn from(e: hoody_model::ModelError) -> Self {
        Self::new(e.code, e.message)
    }
}
