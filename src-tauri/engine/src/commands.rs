//! This server's maintenance commands (`GET /servers/{id}/available-commands`, `POST
//! /servers/{id}/execute-command`): what its data directory holds, a database backup now,
//! expired snapshots removed now, images no container uses deleted. A high-risk command runs
//! only with the confirmation token its first call (without one) answers: a token for that
//! command with those parameters, good for five to ten minutes.

use crate::Engine;
use crate::auth::Principal;
use crate::error::{EngineError, Result};
use hoody_model::{CommandRequest, CommandRun, ErrorCode, ImageStatus, ServerCommand, ServerId};
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// (slug, name, description, category, risk, parameters)
type Spec =
    (&'static str, &'static str, &'static str, &'static str, &'static str, &'static [(&'static str, &'static str)]);

const COMMANDS: &[Spec] = &[
    (
        "disk-usage",
        "Disk usage",
        "What the data directory holds (containers, snapshots, images, backups, the database) and the room left on its disk",
        "storage",
        "low",
        &[],
    ),
    (
        "backup-database",
        "Back up the database",
        "A consistent copy of the database in DIR/backups now (the newest three are kept)",
        "maintenance",
        "low",
        &[],
    ),
    (
        "expire-snapshots",
        "Remove expired snapshots",
        "Delete every snapshot whose expiry has passed, now rather than at the next hourly sweep",
        "maintenance",
        "low",
        &[],
    ),
    (
        "prune-images",
        "Delete unused images",
        "Delete every image this server holds that no container (and no snapshot of one) is made from",
        "storage",
        "high",
        &[("dry_run", "true: list what would be deleted, delete nothing (needs no confirmation)")],
    ),
];

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a confirmation token is good for (it names a five-minute window; the last one is
/// still taken).
const WINDOW_SECS: i64 = 300;

fn listed((id, name, description, category, risk, parameters): &Spec) -> ServerCommand {
    ServerCommand {
        id: (*id).into(),
        name: (*name).into(),
        description: (*description).into(),
        category: (*category).into(),
        risk_level: (*risk).into(),
        status: "available".into(),
        parameters: parameters.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
    }
}

impl Engine {
    pub fn server_commands(
        &self,
        server: &ServerId,
        category: Option<&str>,
        risk: Option<&str>,
    ) -> Result<Vec<ServerCommand>> {
        self.known_server(server)?;
        Ok(COMMANDS
            .iter()
            .filter(|c| category.is_none_or(|want| want == c.3) && risk.is_none_or(|want| want == c.4))
            .map(listed)
            .collect())
    }

    fn known_server(&self, server: &ServerId) -> Result<()> {
        match server == self.server_id() {
            true => Ok(()),
            false => Err(EngineError::not_found("server", server)),
        }
    }

    /// Runs a command (waited on unless `wait` is false).
    pub async fn execute_command(
        &self,
        caller: &Principal,
        server: &ServerId,
        req: CommandRequest,
    ) -> Result<CommandRun> {
        self.known_server(server)?;
        let slug = match (req.command_id.as_deref(), req.command_slug.as_deref()) {
            (Some(a), Some(b)) if a != b => {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    "command_id and command_slug name different commands",
                ));
            }
            (Some(s), _) | (None, Some(s)) => s.to_owned(),
            (None, None) => {
                return Err(EngineError::rule(ErrorCode::InvalidField, "name the command: command_id or command_slug"));
            }
        };
        let spec = COMMANDS.iter().find(|c| c.0 == slug).ok_or_else(|| {
            let known: Vec<&str> = COMMANDS.iter().map(|c| c.0).collect();
            EngineError::rule(
                ErrorCode::NotFound,
                format!("there is no command '{slug}' here; there are {}", known.join(", ")),
            )
        })?;
        let parameters = match req.parameters {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(map)) => map.into_iter().collect::<BTreeMap<String, Value>>(),
            Some(other) => {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!("parameters must be an object, not {other}"),
                ));
            }
        };
        if let Some(unknown) = parameters.keys().find(|k| !spec.5.iter().any(|(name, _)| name == k)) {
            return Err(EngineError::rule(ErrorCode::InvalidField, format!("{slug} takes no parameter '{unknown}'")));
        }
        let dry_run = match parameters.get("dry_run") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!("dry_run must be true or false, not {other}"),
                ));
            }
        };
        if spec.4 == "high" && !dry_run {
            let now = crate::now().timestamp() / WINDOW_SECS;
            let token = |window: i64| confirmation(server, &slug, &parameters, window);
            let given = req.confirmation_token.as_deref();
            if given != Some(token(now).as_str()) && given != Some(token(now - 1).as_str()) {
                return Err(EngineError::rule(
                    ErrorCode::PreconditionFailed,
                    format!(
                        "{slug} is high-risk ({}): run it again with confirmation_token \"{}\" (good for five minutes)",
                        spec.2,
                        token(now)
                    ),
                ));
            }
        }
        let timeout = match req.timeout {
            None => DEFAULT_TIMEOUT,
            Some(s @ 1..=3600) => Duration::from_secs(s),
            Some(other) => {
                return Err(EngineError::rule(
                    ErrorCode::InvalidField,
                    format!("timeout must be 1 to 3600 seconds, not {other}"),
                ));
            }
        };
        let started = Instant::now();
        let run = {
            let (engine, caller, slug) = (self.clone(), caller.clone(), slug.clone());
            async move { engine.run_command(&caller, &slug, dry_run).await }
        };
        if req.wait == Some(false) {
            self.inner.tasks.spawn(async move {
                if let Err(e) = run.await {
                    tracing::warn!("a server command failed: {e}");
                }
            });
            return Ok(CommandRun { command_id: slug, status: "started".into(), output: Value::Null, duration_ms: 0 });
        }
        let output = tokio::time::timeout(timeout, run).await.map_err(|_| {
            EngineError::Runtime(format!("{slug} did not finish within {} s; it goes on", timeout.as_secs()))
        })??;
        Ok(CommandRun {
            command_id: slug,
            status: "completed".into(),
            output,
            duration_ms: started.elapsed().as_millis() as u64,
        })
    }

    async fn run_command(&self, caller: &Principal, slug: &str, dry_run: bool) -> Result<Value> {
        match slug {
            "disk-usage" => {
                let dir = self.inner.data_dir.clone();
                let room = self.inner.space.room();
                let parts = tokio::task::spawn_blocking(move || usage_of(&dir))
                    .await
                    .map_err(|e| EngineError::Runtime(format!("the disk usage count stopped: {e}")))?;
                Ok(json!({ "data_dir": self.inner.data_dir, "parts": parts,
                    "disk_free_bytes": room.map(|r| r.free), "disk_total_bytes": room.map(|r| r.total) }))
            }
            "backup-database" => {
                let path = self.backup().await?;
                let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                Ok(json!({ "backup": path, "size_bytes": size }))
            }
            "expire-snapshots" => Ok(json!({ "removed": self.expire_snapshots().await? })),
            "prune-images" => {
                let unused: Vec<String> = self
                    .user_images()
                    .await?
                    .into_iter()
                    .filter(|i| i.status == ImageStatus::Ready && i.used_by == 0)
                    .map(|i| i.alias)
                    .collect();
                let (mut deleted, mut kept) = (Vec::new(), Vec::new());
                if !dry_run {
                    for alias in &unused {
                        match self.delete_image(caller, alias).await {
                            Ok(_) => deleted.push(alias.clone()),
                            // A snapshot made from it keeps it (the refusal says so).
                            Err(e) => kept.push(json!({ "image": alias, "reason": e.to_string() })),
                        }
                    }
                }
                Ok(json!({ "dry_run": dry_run, "unused": unused, "deleted": deleted, "kept": kept }))
            }
            other => Err(EngineError::rule(ErrorCode::NotFound, format!("there is no command '{other}'"))),
        }
    }
}

fn confirmation(server: &ServerId, slug: &str, parameters: &BTreeMap<String, Value>, window: i64) -> String {
    let text = format!("{server}:{slug}:{}:{window}", serde_json::to_string(parameters).unwrap_or_default());
    sha2::Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Bytes on disk (allocated blocks) and files under each entry of the data directory; what
/// cannot be read (a container's files owned by its ids) is counted apart.
fn usage_of(dir: &Path) -> Value {
    fn walk(path: &Path, total: &mut (u64, u64, u64)) {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            total.2 += 1;
            return;
        };
        total.0 += meta.blocks() * 512;
        total.1 += 1;
        if meta.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => entries.flatten().for_each(|e| walk(&e.path(), total)),
                Err(_) => total.2 += 1,
            }
        }
    }
    let mut parts = serde_json::Map::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return Value::Object(parts) };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // The runtime's directory is told part by part: its images, containers, snapshots…
        let inner: Vec<(String, std::path::PathBuf)> = match (name.as_str(), std::fs::read_dir(entry.path())) {
            ("runtime", Ok(children)) => {
                children.flatten().map(|c| (format!("runtime/{}", c.file_name().to_string_lossy()), c.path())).collect()
            }
            _ => vec![(name, entry.path())],
        };
        for (name, path) in inner {
            let mut total = (0, 0, 0);
            walk(&path, &mut total);
            parts.insert(name, json!({ "bytes": total.0, "files": total.1, "unreadable": total.2 }));
        }
    }
    Value::Object(parts)
}
