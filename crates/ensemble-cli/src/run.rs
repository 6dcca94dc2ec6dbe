//! `ensemble run`: the node daemon.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use ensemble_api::Daemon;
use ensemble_node::config;
use ensemble_node::data_dir::{self, NodeFile};
use tracing::info;

/// Flags of `ensemble run`; each overrides the config file.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// HTTP address for the API and web UI (port 0 picks a free port).
    #[arg(long)]
    api_listen: Option<String>,
    /// libp2p listen multiaddr (repeatable), e.g. /ip4/127.0.0.1/tcp/0.
    #[arg(long)]
    listen: Vec<String>,
    /// Peer to connect to and keep reconnecting to (repeatable).
    #[arg(long)]
    bootstrap: Vec<String>,
    /// Do not discover peers on the local network.
    #[arg(long)]
    no_mdns: bool,
    /// Config file (default: DATA_DIR/config.toml).
    #[arg(long, env = "ENSEMBLE_CONFIG")]
    config: Option<PathBuf>,
    /// Log line format on stderr.
    #[arg(long, value_enum, default_value_t, env = "ENSEMBLE_LOG_FORMAT")]
    log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers (Vector, Promtail, Filebeat…).
    Json,
}

/// Log filter when `RUST_LOG` is unset: our events, and only warnings from the
/// chatty dependencies.
const DEFAULT_LOG_FILTER: &str = "info,sled=warn,libp2p=warn";

/// Sets up `RUST_LOG`-filtered logging on stderr once.
pub fn init_tracing(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        // Colour codes only for a person at a terminal: journald and log files would
        // store them as noise.
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        // Spans flattened into each line so the node's short id travels with every
        // event; a shipper then needs no span reconstruction.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// `ensemble run`: the node and its HTTP server until SIGINT or SIGTERM. Config is
/// layered defaults → file → flags, so a flag can override the file for one run without
/// editing it. `node.json` is written once the API is bound (the port may come from the
/// OS) and is how the other commands find this node.
pub async fn run(dir: PathBuf, args: RunArgs) -> Result<ExitCode> {
    init_tracing(args.log_format);
    let key = data_dir::load_key(&dir)?;
    let token = data_dir::load_token(&dir)?;
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| dir.join(data_dir::CONFIG_FILE));
    let file = config::File::read(&config_path)?;
    let mut file = file;
    if let Some(api_listen) = args.api_listen {
        file.api.listen = Some(api_listen);
    }
    if !args.listen.is_empty() {
        file.network.listen = Some(args.listen);
    }
    if !args.bootstrap.is_empty() {
        file.network.bootstrap = Some(args.bootstrap);
    }
    if args.no_mdns {
        file.network.mdns = Some(false);
    }
    let options = file.into_options(dir.clone())?;
    let daemon = Daemon::start(options, key, token).await?;
    let node_file = daemon.node_file();
    node_file.write(&dir).context("cannot write node.json")?;
    info!(api = %daemon.api_url, school = %node_file.school_id, "serving");
    println!(
        "{} serving on {}",
        daemon.node.options().name,
        daemon.api_url
    );
    // Ready only now: HTTP answers and node.json names the address, so whatever
    // systemd starts after this unit can use the node at once.
    #[cfg(unix)]
    crate::notify::ready(&daemon.api_url);
    wait_for_signal().await;
    info!("shutting down");
    #[cfg(unix)]
    crate::notify::stopping();
    daemon.stop().await;
    // A stale node.json would send the next command to a port nobody serves.
    NodeFile::remove(&dir);
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT or SIGTERM: Ctrl-C in a terminal, SIGTERM from systemd or a
/// container runtime; both lead to the same orderly shutdown (HTTP, network, flush).
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            // Without a SIGTERM handler, Ctrl-C still stops the node cleanly.
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
