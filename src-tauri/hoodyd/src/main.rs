//! `hoodyd`: the Hoody engine without a window. `hoodyd serve` runs the REST API over the local
//! server; `hoodyd token create` issues API tokens into a data directory.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hoody_engine::{Engine, EngineConfig, UnavailableRuntime};
use hoody_model::RealmId;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why this build runs no containers; every operation that needs one reports it.
const NO_RUNTIME: &str =
    "this hoodyd has no container runtime yet, so containers are recorded but cannot run on this machine";
const ADMIN_TOKEN_FILE: &str = "admin.token";

#[derive(Parser)]
#[command(
    name = "hoodyd",
    version,
    about = "The Hoody engine, headless: a Hoody-compatible REST API over this machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST API until SIGTERM or SIGINT.
    Serve {
        /// Address to listen on (port 0 picks a free port; the chosen address is printed).
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
        #[command(flatten)]
        data: DataDir,
        /// This server's name, as it appears in service URLs.
        #[arg(long, env = "HOODY_SERVER_NAME", default_value = "local")]
        server_name: String,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new token; with --realm it sees and touches only those realms.
    Create {
        #[arg(long = "realm", value_name = "REALM_ID")]
        realms: Vec<String>,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(clap::Args)]
struct DataDir {
    /// Where the database and the admin token live [default: $XDG_DATA_HOME/hoody]
    #[arg(long, env = "HOODY_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

impl DataDir {
    fn resolve(self) -> Result<PathBuf> {
        if let Some(dir) = self.data_dir {
            return Ok(dir);
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .context("cannot find a data directory: set --data-dir or HOME")?;
        Ok(base.join("hoody"))
    }
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("HOODY_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        match cli.command {
            Command::Serve { listen, data, server_name } => serve(listen, &data.resolve()?, server_name).await,
            Command::Token { command: TokenCommand::Create { realms, name, data } } => {
                create_token(&data.resolve()?, realms, name).await
            }
        }
    })
}

async fn serve(listen: SocketAddr, data_dir: &Path, server_name: String) -> Result<()> {
    let config = EngineConfig { data_dir: data_dir.to_owned(), server_name };
    let engine = Engine::start(config, Arc::new(UnavailableRuntime::new(NO_RUNTIME)))
        .await
        .with_context(|| format!("cannot start the engine on {}", data_dir.display()))?;
    let admin = admin_token(&engine, data_dir).await?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to learn the port.
    println!("hoodyd listening on http://{addr} (admin token in {})", admin.display());
    std::io::stdout().flush()?;
    hoody_api::serve(listener, engine.clone(), shutdown_signal()).await?;
    engine.shutdown().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// The admin token: created at first start, kept in `DIR/admin.token` (0600).
async fn admin_token(engine: &Engine, data_dir: &Path) -> Result<PathBuf> {
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(secret) => engine.ensure_token(secret.trim(), "admin").await?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let created = hoody_engine::issue_token(engine.store(), Some("admin".into()), Vec::new()).await?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(file, "{}", created.token)?;
            file.sync_all()?;
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    Ok(path)
}

async fn create_token(data_dir: &Path, realms: Vec<String>, name: Option<String>) -> Result<()> {
    let realm_ids = realms.iter().map(|r| RealmId::parse(r)).collect::<Result<Vec<_>, _>>()?;
    let store = hoody_store::Store::open(data_dir).await?;
    let created = hoody_engine::issue_token(&store, name, realm_ids).await?;
    store.close().await;
    println!("{}", created.token);
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
}
