//! The options every command shares (`--data-dir`, `--api`, `--token`, `--json`) and
//! what they lead to: the data directory, a client of the running node, and the small
//! input and output helpers every command uses.
//!
//! What it owns: how a command finds its node. What it does not: any command (they live
//! in `main`, `mentoring`, `search`, `run`, `demo`) or the HTTP calls (the typed
//! `ensemble_api::Client`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use ensemble_api::Client;
use ensemble_node::data_dir::{self, NodeFile};

/// The options every command accepts, before or after its name.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The node's data directory (default: $ENSEMBLE_DATA_DIR or ./ensemble-data); for
    /// `demo`, the directory that keeps the three demo nodes' data.
    #[arg(long, global = true, env = "ENSEMBLE_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Base URL of a running node's API (instead of reading DATA_DIR/node.json).
    #[arg(long, global = true, env = "ENSEMBLE_API")]
    pub(crate) api: Option<String>,
    /// API token for write calls (instead of reading DATA_DIR/api-token).
    #[arg(long, global = true, env = "ENSEMBLE_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// The data directory the options name: `--data-dir`, `$ENSEMBLE_DATA_DIR`, or
/// `./ensemble-data`, the directory `ensemble init` creates by default.
pub(crate) fn data_dir(global: &Global) -> PathBuf {
    global
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("ensemble-data"))
}

/// A client from `--api/--token`, else from the data directory.
///
/// A running node writes its API address to `DATA_DIR/node.json` (the port may have
/// been chosen by the OS), so the CLI reads it rather than guessing a port; the token
/// comes from `DATA_DIR/api-token`, readable only by the node's user, which is what
/// makes local write commands work without typing it.
pub(crate) fn client(global: &Global) -> Result<Client> {
    if let Some(api) = &global.api {
        return Ok(Client::new(api, global.token.clone()));
    }
    let dir = data_dir(global);
    let Some(node_file) = NodeFile::read(&dir)? else {
        bail!(
            "no node is running for {} (no node.json); start it with `ensemble run --data-dir {}` or pass --api",
            dir.display(),
            dir.display()
        );
    };
    let token = match &global.token {
        Some(token) => Some(token.clone()),
        None => Some(data_dir::load_token(&dir)?),
    };
    Ok(Client::new(&node_file.api, token))
}

/// A file a command was given, with its path in the error (the bare io error would
/// not say which file).
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Prints `value` as indented JSON: the `--json` output, meant for scripts and `jq`.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
