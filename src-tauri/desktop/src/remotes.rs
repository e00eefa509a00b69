//! Remote endpoints: other servers that speak the Hoody API (the Hoody cloud, a `hoodyd` on
//! another machine), shown in the same grid as this machine's containers. Their names and URLs
//! are saved in `remotes.json` in the data dir; their tokens are in the OS keyring, never there.
//! Each one is a member of the desktop's [`Fleet`] (one without a token refuses everything,
//! saying so), which follows its events into the desktop's one stream.

use crate::CommandError;
use crate::relay::Relays;
use crate::secrets::{SecretStore, Secrets};
use hoody_client::HoodyClient;
use hoody_engine::fleet::Fleet;
use hoody_engine::server::{Endpoint, Presented, Refusing, Remote, Server};
use hoody_model::ErrorCode;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::RwLock;

/// A remote endpoint as saved (without its token).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RemoteEndpoint {
    /// How the grid names its server (`[a-z0-9-]`, not `local`).
    pub name: String,
    /// Its origin, `http(s)://host:port`; the API is under `/api/v1`.
    pub url: String,
}

/// A server the grid shows, and whether it answered the last time it was asked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ServerEntry {
    pub name: String,
    /// A remote's origin; for this machine, its own REST API's when served.
    pub url: Option<String>,
    pub remote: bool,
    /// Why it could not be read (unreachable, token refused, no token in the keyring).
    pub problem: Option<String>,
    /// How it answered the last time it was asked, and when it last did (null: not asked yet).
    pub health: Option<hoody_model::ServerHealth>,
}

struct Saved {
    endpoint: RemoteEndpoint,
    /// Why it cannot be asked anything (no token in the keyring).
    problem: Option<String>,
}

pub struct Remotes {
    file: PathBuf,
    secrets: Secrets,
    list: RwLock<Vec<Saved>>,
    /// How this machine's proxy reaches each remote's services.
    relays: Arc<Relays>,
    fleet: Arc<Fleet>,
}

impl std::fmt::Debug for Remotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remotes").field("file", &self.file).finish()
    }
}

impl Remotes {
    /// Loads the saved endpoints, their tokens from the keyring, and starts following them.
    pub async fn load(
        file: PathBuf,
        secrets: Secrets,
        relays: Arc<Relays>,
        fleet: Arc<Fleet>,
    ) -> Result<Self, CommandError> {
        let saved: Vec<RemoteEndpoint> = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| internal(&format!("{} is not a list of endpoints: {e}", file.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(internal(&format!("cannot read {}: {e}", file.display()))),
        };
        let remotes = Self { file, secrets, list: RwLock::new(Vec::new()), relays, fleet };
        for endpoint in saved {
            remotes.relays.register(&endpoint.name, &endpoint.url);
            let token = remotes.secrets.get(&endpoint.url).await?;
            let problem = match token {
                Some(token) => {
                    let client = HoodyClient::new(&endpoint.url, Some(token));
                    remotes.fleet.join(&endpoint.name, member(&endpoint.name, client.clone(), &remotes.relays));
                    remotes.fleet.follow_remote(&endpoint.name, client);
                    None
                }
                None => {
                    let problem = "no token in the keyring: add the server again".to_owned();
                    let refusal = Refusing {
                        code: ErrorCode::Unauthorized,
                        message: format!("{} has no token in the keyring: add it again", endpoint.name),
                    };
                    remotes.fleet.join(&endpoint.name, Arc::new(Remote(refusal)));
                    Some(problem)
                }
            };
            remotes.list.write().await.push(Saved { endpoint, problem });
        }
        Ok(remotes)
    }

    /// Adds (or replaces) an endpoint once it answers with this token; the token goes to the
    /// keyring. Answers where the token was stored.
    pub async fn add(&self, name: &str, url: &str, token: &str) -> Result<SecretStore, CommandError> {
        let name = check_name(name)?;
        let url = check_url(url)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CommandError::new(ErrorCode::InvalidField, "the server's API token is missing"));
        }
        let client = HoodyClient::new(&url, Some(token.to_owned()));
        let server = member(&name, client.clone(), &self.relays);
        server.servers((), ()).await?;
        let store = self.secrets.set(&url, token).await?;
        let mut list = self.list.write().await;
        let replaced = list.iter().position(|r| r.endpoint.name == name).map(|i| list.remove(i));
        self.relays.register(&name, &url);
        self.fleet.join(&name, server);
        self.fleet.follow_remote(&name, client);
        list.push(Saved { endpoint: RemoteEndpoint { name, url: url.clone() }, problem: None });
        self.save(&list)?;
        drop(list);
        if let Some(old) = replaced {
            // The same name at another address: the old address's token goes.
            if old.endpoint.url != url {
                self.secrets.delete(&old.endpoint.url).await?;
            }
        }
        self.fleet.resync();
        Ok(store)
    }

    /// Forgets an endpoint and its token.
    pub async fn remove(&self, name: &str) -> Result<(), CommandError> {
        let mut list = self.list.write().await;
        let index = list
            .iter()
            .position(|r| r.endpoint.name == name)
            .ok_or_else(|| CommandError::new(ErrorCode::NotFound, format!("no remote server is called {name:?}")))?;
        let removed = list.remove(index);
        self.save(&list)?;
        drop(list);
        self.relays.forget(&removed.endpoint.name);
        self.fleet.leave(&removed.endpoint.name);
        self.secrets.delete(&removed.endpoint.url).await?;
        self.fleet.resync();
        Ok(())
    }

    /// The remote endpoints, as the servers list shows them.
    pub async fn entries(&self) -> Vec<ServerEntry> {
        self.list
            .read()
            .await
            .iter()
            .map(|r| ServerEntry {
                name: r.endpoint.name.clone(),
                url: Some(r.endpoint.url.clone()),
                remote: true,
                problem: r.problem.clone().or_else(|| self.fleet.problem(&r.endpoint.name)),
                health: self.fleet.health(&r.endpoint.name),
            })
            .collect()
    }

    fn save(&self, list: &[Saved]) -> Result<(), CommandError> {
        let endpoints: Vec<&RemoteEndpoint> = list.iter().map(|r| &r.endpoint).collect();
        let text = serde_json::to_vec_pretty(&endpoints).map_err(|e| internal(&e.to_string()))?;
        let tmp = self.file.with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.file))
            .map_err(|e| internal(&format!("cannot write {}: {e}", self.file.display())))
    }
}

/// A remote endpoint as a member of the fleet: its errors name it, and its containers come
/// under its name here, their services' URLs through this machine's proxy.
fn member(name: &str, client: HoodyClient, relays: &Arc<Relays>) -> Arc<dyn Server> {
    let (relays, shown_as) = (relays.clone(), name.to_owned());
    Arc::new(Presented {
        server: Remote(Endpoint { name: name.to_owned(), client }),
        present: Arc::new(move |c| relays.localize(&shown_as, c)),
    })
}

fn check_name(name: &str) -> Result<String, CommandError> {
    let name = name.trim();
    let ok = (1..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name != "local";
    if ok {
        Ok(name.to_owned())
    } else {
        Err(CommandError::new(
            ErrorCode::InvalidName,
            format!(
                "server name {name:?} is invalid: 1-40 lower-case letters, digits or '-', and not \"local\" (this machine)"
            ),
        ))
    }
}

fn check_url(url: &str) -> Result<String, CommandError> {
    let url = url.trim().trim_end_matches('/');
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', ' ', '?', '#']) => Ok(url.to_owned()),
        _ => Err(CommandError::new(
            ErrorCode::InvalidField,
            format!("{url:?} is not a server's origin: use http(s)://host[:port], without a path"),
        )),
    }
}

fn internal(message: &str) -> CommandError {
    CommandError::new(ErrorCode::Internal, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_urls_are_checked() {
        assert_eq!(check_name(" edge-1 ").unwrap(), "edge-1");
        for bad in ["", "local", "Edge", "a b", &"x".repeat(41)] {
            assert_eq!(check_name(bad).unwrap_err().code, "invalid_name", "{bad}");
        }
        assert_eq!(check_url("http://127.0.0.1:8700/").unwrap(), "http://127.0.0.1:8700");
        assert_eq!(check_url("https://api.example").unwrap(), "https://api.example");
        for bad in ["127.0.0.1:8700", "ftp://x", "http://", "http://h/api/v1", "http://h?x"] {
            assert_eq!(check_url(bad).unwrap_err().code, "invalid_field", "{bad}");
        }
    }
}
