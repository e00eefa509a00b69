//! `hoodyd`: the Hoody engine without a window. `hoodyd serve` runs the REST API over the local
//! server; `hoodyd token create` issues API tokens into a data directory; `hoodyd image` fills
//! the local image store.

mod image;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hoody_engine::{Engine, EngineConfig};
use hoody_model::RealmId;
use hoody_runtime::{LocalRuntime, RuntimeConfig};
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
        #[arg(long, env = "HOODY_API_LISTEN", default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
        #[command(flatten)]
        data: DataDir,
        /// This server's name, as it appears in service URLs.
        #[arg(long, env = "HOODY_SERVER_NAME", default_value = "local")]
        server_name: String,
        /// Where the service proxy listens (`http://PROJECT-CONTAINER-SERVICE-N.SERVER.localhost:PORT`).
        #[arg(long, env = "HOODY_PROXY_LISTEN", default_value = "127.0.0.1:8701")]
        proxy_listen: SocketAddr,
        /// Serve the built web UI (`ui/dist`) from this directory at `/`.
        #[arg(long)]
        ui_dir: Option<PathBuf>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// Manage the local image store.
    Image {
        #[command(subcommand)]
        command: image::ImageCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Rebuild a lost or damaged database of a data directory (with no engine running on it):
    /// from the records of its projects, containers and snapshots, or from a backup. The old
    /// database is kept aside.
    Recover {
        #[command(flatten)]
        data: DataDir,
        /// Put back a backup instead: `latest`, or a file from DIR/backups.
        #[arg(long, value_name = "FILE|latest")]
        from_backup: Option<String>,
    },
    /// As root, once: what an engine run by USER needs (packages, a subordinate id range, a
    /// runtime directory, cgroups of its own). Idempotent; prints what it changes.
    HostSetup {
        /// The user who will run hoodyd or the desktop app.
        #[arg(long)]
        user: String,
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
struct RuntimeArgs {
    /// Memory limit of each container, in MiB.
    #[arg(long, env = "HOODY_MEMORY_LIMIT_MB", default_value_t = 2048)]
    memory_limit_mb: u64,
    /// Most processes one container may run.
    #[arg(long, env = "HOODY_PIDS_LIMIT", default_value_t = 4096)]
    pids_limit: u32,
    /// Seconds a container's init gets to halt before it is killed.
    #[arg(long, default_value_t = 10)]
    stop_grace_secs: u64,
    /// Size of each container's /ramdisk, in MiB.
    #[arg(long, default_value_t = 512)]
    ramdisk_mb: u64,
    /// The network helper each container's network comes from [default: slirp4netns on PATH].
    #[arg(long, value_name = "PATH")]
    slirp4netns: Option<PathBuf>,
    /// The network namespace containers' connections leave from (`/run/netns/NAME`, say: a VPN's)
    /// [default: this engine's own]. A root engine's only.
    #[arg(long, value_name = "PATH")]
    egress_netns: Option<PathBuf>,
    /// Keep N warm containers of an image ready for creates to claim, e.g. debian/13=2.
    #[arg(long, value_name = "IMAGE=N", value_parser = parse_prespawn)]
    prespawn: Vec<(String, usize)>,
    /// Pull images missing from the store from this simplestreams server on create (e.g.
    /// https://images.linuxcontainers.org); without it a missing image fails the create.
    #[arg(long, env = "HOODY_IMAGE_SERVER", value_name = "URL")]
    image_server: Option<String>,
}

fn parse_prespawn(value: &str) -> Result<(String, usize), String> {
    let (image, size) = value.split_once('=').ok_or("expected IMAGE=N, like debian/13=2")?;
    let image = hoody_model::validate::container_image(image).map_err(|e| e.message)?;
    let size = size.parse().map_err(|_| format!("'{size}' is not a pool size (a whole number)"))?;
    Ok((image, size))
}

impl RuntimeArgs {
    fn config(&self, data_dir: &Path) -> RuntimeConfig {
        let mut config = RuntimeConfig::new(data_dir);
        config.limits = hoody_runtime::Limits { memory_bytes: self.memory_limit_mb << 20, pids: self.pids_limit };
        config.stop_grace = std::time::Duration::from_secs(self.stop_grace_secs);
        config.ramdisk_bytes = self.ramdisk_mb << 20;
        config.prespawn = self.prespawn.clone();
        config.image_server = self.image_server.clone();
        config.slirp4netns = self.slirp4netns.clone();
        config.egress_netns = self.egress_netns.clone();
        config
    }
}

#[derive(clap::Args)]
struct DataDir {
    /// Where the database and the admin token live [default: $XDG_DATA_HOME/hoody]
    #[arg(long, env = "HOODY_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

impl DataDir {
    /// The data directory, created if missing, as an absolute path (runc and overlayfs get
    /// paths under it).
    fn resolve(self) -> Result<PathBuf> {
        let dir = match self.data_dir {
            Some(dir) => dir,
            None => std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
                .context("cannot find a data directory: set --data-dir or HOME")?
                .join("hoody"),
        };
        // Private from the start, as the engine keeps it (else its first start repairs and warns).
        hoody_engine::private::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        dir.canonicalize().with_context(|| format!("cannot resolve {}", dir.display()))
    }
}

fn main() -> Result<()> {
    hoody_runtime::keep_inherited_descriptors_to_self();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("HOODY_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        match cli.command {
            Command::Serve { listen, proxy_listen, ui_dir, data, server_name, runtime } => {
                let data_dir = data.resolve()?;
                let listen = Listen { api: listen, proxy: proxy_listen, ui_dir };
                serve(listen, &data_dir, server_name, runtime.config(&data_dir)).await
            }
            Command::Image { command } => command.run().await,
            Command::Token { command: TokenCommand::Create { realms, name, data } } => {
                create_token(&data.resolve()?, realms, name).await
            }
            Command::Recover { data, from_backup } => recover(&data.resolve()?, from_backup).await,
            Command::HostSetup { user } => {
                let changes = hoody_runtime::host_setup(&user)?;
                // Its output is what it changed, a line each (the app shows them); the rest is said on stderr.
                if changes.is_empty() {
                    eprintln!("nothing to change: what host-setup does for {user} is in place");
                }
                for change in changes {
                    println!("{change}");
                }
                Ok(())
            }
        }
    })
}

async fn recover(data_dir: &Path, from_backup: Option<String>) -> Result<()> {
    match from_backup {
        None => {
            let report = hoody_engine::recover::recover(data_dir).await?;
            println!("{report}");
        }
        Some(which) => {
            let backup = match which.as_str() {
                "latest" => hoody_engine::backups::backups(data_dir)
                    .into_iter()
                    .next()
                    .with_context(|| format!("{} holds no backup", data_dir.join("backups").display()))?,
                file => PathBuf::from(file),
            };
            if let Some(aside) = hoody_engine::recover::restore_backup(data_dir, &backup)? {
                println!("the old database is kept as {}", aside.display());
            }
            println!(
                "the database is the backup {} again: what changed after it was taken is not in it (`hoodyd recover` without --from-backup rebuilds from the records instead)",
                backup.display()
            );
        }
    }
    Ok(())
}

struct Listen {
    api: SocketAddr,
    proxy: SocketAddr,
    ui_dir: Option<PathBuf>,
}

async fn serve(listen: Listen, data_dir: &Path, server_name: String, runtime: RuntimeConfig) -> Result<()> {
    let config = EngineConfig::new(data_dir.to_owned(), server_name.clone());
    let runtime = LocalRuntime::new(runtime);
    if let Some(reason) = hoody_runtime::ContainerRuntime::unavailable_reason(&runtime) {
        tracing::warn!("containers cannot run here: {reason}");
    }
    let engine = Engine::start(config, Arc::new(runtime))
        .await
        .with_context(|| format!("cannot start the engine on {}", data_dir.display()))?;
    let admin = admin_token(&engine, data_dir).await?;
    let listener =
        tokio::net::TcpListener::bind(listen.api).await.with_context(|| format!("cannot listen on {}", listen.api))?;
    let proxy_listener = tokio::net::TcpListener::bind(listen.proxy)
        .await
        .with_context(|| format!("cannot listen on {} for the service proxy", listen.proxy))?;
    let (addr, proxy_addr) = (listener.local_addr()?, proxy_listener.local_addr()?);
    let (stop_proxy, proxy_stopped) = tokio::sync::oneshot::channel::<()>();
    let stopped = async move {
        let _ = proxy_stopped.await;
    };
    hoody_api::services::serve_services(&engine, proxy_listener, stopped, None)?;
    // Tests and scripts read this line to learn the ports.
    println!(
        "hoodyd listening on http://{addr} (admin token in {}), services on http://*.{server_name}.localhost:{}",
        admin.display(),
        proxy_addr.port()
    );
    std::io::stdout().flush()?;
    hoody_api::serve_with_ui(listener, engine.clone(), listen.ui_dir.as_deref(), shutdown_signal()).await?;
    let _ = stop_proxy.send(());
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
