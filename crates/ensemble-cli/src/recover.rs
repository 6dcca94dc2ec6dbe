//! `ensemble recover`: rebuilds a damaged store from an export bundle and/or from peers,
//! keeping the school's key and token. The work is `ensemble_node::recovery::recover`;
//! this file parses, loads the configuration and prints.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use ensemble_node::recovery::{self, RecoverPlan, RecoverReport};
use ensemble_node::{Multiaddr, config, data_dir};

use crate::run::{LogFormat, init_tracing};

/// Default of `--wait`: long enough for a dial and a few sync rounds over a slow link.
const DEFAULT_WAIT_SECS: u64 = 60;

/// Flags of `ensemble recover`.
#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// An export bundle taken before the damage (`ensemble export`); verified record by
    /// record on import.
    #[arg(long)]
    from_bundle: Option<PathBuf>,
    /// A peer that holds this school's records (repeatable); the configured bootstrap
    /// peers are tried too.
    #[arg(long)]
    from_peer: Vec<String>,
    /// Seconds to wait for peers to give this school's log back up to the last seq it
    /// signed.
    #[arg(long, default_value_t = DEFAULT_WAIT_SECS)]
    wait: u64,
    /// Do not discover peers on the local network.
    #[arg(long)]
    no_mdns: bool,
    /// Config file (default: DATA_DIR/config.toml).
    #[arg(long, env = "ENSEMBLE_CONFIG")]
    config: Option<PathBuf>,
}

/// Runs the recovery and prints its one-line summary (JSON with `--json`). Exits
/// non-zero when this school's log is not back up to its last signed seq.
pub async fn recover(dir: PathBuf, args: RecoverArgs, json: bool) -> Result<ExitCode> {
    init_tracing(LogFormat::Text);
    let key = data_dir::load_key(&dir)?;
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| dir.join(data_dir::CONFIG_FILE));
    let mut file = config::File::read(&config_path)?;
    if args.no_mdns {
        file.network.mdns = Some(false);
    }
    let options = file.into_options(dir.clone())?;
    let bundle = match &args.from_bundle {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?)
        }
        None => None,
    };
    let peers = args
        .from_peer
        .iter()
        .map(|text| {
            text.parse::<Multiaddr>()
                .with_context(|| format!("--from-peer {text:?} is not a multiaddr"))
        })
        .collect::<Result<Vec<_>>>()?;
    let plan = RecoverPlan {
        bundle,
        peers,
        wait: Duration::from_secs(args.wait),
    };
    let report = recovery::recover(options, key, plan).await?;
    if json {
        crate::print_json(&report)?;
    } else if report.complete {
        println!("{}", summary(&report));
    } else {
        eprintln!("{}", summary(&report));
    }
    Ok(if report.complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn summary(report: &RecoverReport) -> String {
    let kept = report
        .moved_aside
        .as_ref()
        .map(|path| format!("; the damaged store is kept in {}", path.display()))
        .unwrap_or_default();
    let skipped = if report.skipped > 0 {
        format!(", {} bundle records skipped", report.skipped)
    } else {
        String::new()
    };
    if report.complete {
        format!(
            "recovered {} records ({} from the bundle, {} by sync{skipped}); this school's log is whole up to seq {} (last signed {}){kept}",
            report.records, report.imported, report.synced, report.own_head, report.signed
        )
    } else {
        format!(
            "incomplete: {} records restored ({} from the bundle, {} by sync{skipped}) but this school's log reaches only seq {} of {} signed; `ensemble run` starts and refuses to publish until peers give the rest back (sync){kept}",
            report.records, report.imported, report.synced, report.own_head, report.signed
        )
    }
}
