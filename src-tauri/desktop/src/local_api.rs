//! This machine's engine over the Hoody REST API on loopback, so the platform's CLI, SDK and
//! curl recipes work against the desktop's own containers. Its token is made once and kept in
//! the OS keyring (never in a file); the engine stores only its hash.

use crate::CommandError;
use crate::secrets::Secrets;
use hoody_engine::Engine;
use hoody_model::ErrorCode;
use std::net::SocketAddr;
use std::path::Path;

/// Where the API listens, for the servers list.
#[derive(Debug, Clone)]
pub struct LocalApi {
    pub url: String,
    /// The keyring account of its token.
    account: String,
}

impl LocalApi {
    /// Serves `engine`'s API on `addr` (a free port when that one is taken), with the token
    /// from the keyring, or a new one put there.
    pub async fn serve(
        engine: &Engine,
        data_dir: &Path,
        addr: SocketAddr,
        secrets: &Secrets,
    ) -> Result<Self, CommandError> {
        let account = format!("local-api:{}", data_dir.display());
        match secrets.get(&account).await? {
            // A token from the keyring is valid here even on a new data dir.
            Some(token) => engine.ensure_token(&token, "desktop").await?,
            None => {
                let created = hoody_engine::issue_token(engine.store(), Some("desktop".into()), Vec::new())
                    .await
                    .map_err(CommandError::from)?;
                secrets.set(&account, &created.token).await?;
            }
        }
        let listener = crate::listen::bind_or_free_port(addr, "the API")
            .await
            .map_err(|e| CommandError::new(ErrorCode::Internal, format!("the API cannot listen: {e}")))?;
        let bound = listener.local_addr().map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?;
        let engine = engine.clone();
        tokio::spawn(async move {
            if let Err(e) = hoody_api::serve(listener, engine, std::future::pending()).await {
                tracing::warn!("the local API stopped: {e}");
            }
        });
        Ok(Self { url: format!("http://{bound}"), account })
    }

    /// The API's token, read from the keyring when asked for (to copy it into a CLI).
    pub async fn token(&self, secrets: &Secrets) -> Result<String, CommandError> {
        secrets.get(&self.account).await?.ok_or_else(|| {
            CommandError::new(
                ErrorCode::NotFound,
                "the API token is no longer in the keyring: restart the app to make a new one",
            )
        })
    }
}
