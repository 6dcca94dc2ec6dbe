//! `ensemble-bench [SCENARIO…] [--json]`: runs the benchmark scenarios on loopback and
//! prints every figure — a table for people, or with `--json` one JSON object
//! `{"scenario": {"figure": value, …}, …}`. Progress goes to stderr, figures to stdout.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use ensemble_bench::scenario::footprint;
use ensemble_bench::{Bench, Figures, SCENARIOS, Sizes, figures};

/// Runs Ensemble's benchmark scenarios on loopback and prints every figure next to a
/// baseline measured in the same run.
#[derive(Debug, Parser)]
#[command(name = "ensemble-bench")]
struct Args {
    /// Scenarios to run, in this order (default: all): primitives, ingest, publish,
    /// gossip, catchup, search, footprint.
    scenarios: Vec<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Seconds each primitive and each same-run baseline rate is measured.
    #[arg(long, default_value_t = Sizes::default().primitive_seconds)]
    seconds: f64,
    /// `ingest`: foreign records ingested.
    #[arg(long, default_value_t = Sizes::default().ingest_records)]
    ingest_records: usize,
    /// `ingest`: their authors.
    #[arg(long, default_value_t = Sizes::default().ingest_authors)]
    ingest_authors: usize,
    /// `ingest`: records per `Node::ingest` call.
    #[arg(long, default_value_t = Sizes::default().ingest_batch)]
    ingest_batch: usize,
    /// `publish`: publishes timed through each path.
    #[arg(long, default_value_t = Sizes::default().publishes)]
    publishes: usize,
    /// `gossip`: nodes.
    #[arg(long, default_value_t = Sizes::default().nodes)]
    nodes: usize,
    /// `gossip`: records published through each stack.
    #[arg(long, default_value_t = Sizes::default().records)]
    records: usize,
    /// `gossip`: earlier nodes each node dials.
    #[arg(long, default_value_t = Sizes::default().links)]
    links: usize,
    /// `catchup`: records the fresh node pulls.
    #[arg(long, default_value_t = Sizes::default().catchup_records)]
    catchup_records: usize,
    /// `catchup`: their authors.
    #[arg(long, default_value_t = Sizes::default().catchup_authors)]
    catchup_authors: usize,
    /// `search`: practices indexed.
    #[arg(long, default_value_t = Sizes::default().search_practices)]
    search_practices: usize,
    /// `search`: queries timed.
    #[arg(long, default_value_t = Sizes::default().queries)]
    queries: usize,
    /// `footprint`: records the measured node holds.
    #[arg(long, default_value_t = Sizes::default().footprint_records)]
    footprint_records: usize,
    /// Directory for the nodes' temporary data directories (default: the system's
    /// temporary directory). Put it on the disk you want measured.
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

impl Args {
    fn sizes(&self) -> Sizes {
        Sizes {
            primitive_seconds: self.seconds,
            ingest_records: self.ingest_records,
            ingest_authors: self.ingest_authors,
            ingest_batch: self.ingest_batch,
            publishes: self.publishes,
            nodes: self.nodes,
            records: self.records,
            links: self.links,
            catchup_records: self.catchup_records,
            catchup_authors: self.catchup_authors,
            search_practices: self.search_practices,
            queries: self.queries,
            footprint_records: self.footprint_records,
        }
    }
}

fn main() -> Result<()> {
    // The footprint scenario starts this executable again as a lone node process.
    let raw: Vec<String> = std::env::args().collect();
    if raw.get(1).map(String::as_str) == Some(footprint::CHILD_SWITCH) {
        let (Some(bundle), Some(dir), Some(documents)) = (raw.get(2), raw.get(3), raw.get(4))
        else {
            anyhow::bail!("{} BUNDLE NODE_DIR DOCUMENTS", footprint::CHILD_SWITCH);
        };
        let documents = documents.parse().context("DOCUMENTS is a count")?;
        return footprint::child_main(bundle.into(), dir.into(), documents);
    }
    let args = Args::parse();
    let names: Vec<String> = if args.scenarios.is_empty() {
        SCENARIOS.iter().map(ToString::to_string).collect()
    } else {
        args.scenarios.clone()
    };
    if let Some(unknown) = names
        .iter()
        .find(|name| !SCENARIOS.contains(&name.as_str()))
    {
        anyhow::bail!(
            "unknown scenario {unknown:?}; the scenarios are {}",
            SCENARIOS.join(", ")
        );
    }
    let bench = Bench {
        sizes: args.sizes(),
        work_dir: args.work_dir.clone().unwrap_or_else(std::env::temp_dir),
        exe: std::env::current_exe().context("locating this executable")?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(run_all(&bench, &names))?;
    if args.json {
        print!("{}", figures::to_json(&report));
    } else {
        print!("{}", figures::to_table(&report));
    }
    Ok(())
}

async fn run_all(bench: &Bench, names: &[String]) -> Result<Vec<(String, Figures)>> {
    let mut report = Vec::new();
    for name in names {
        eprintln!("ensemble-bench: {name}…");
        let start = Instant::now();
        let figures = ensemble_bench::run(name, bench)
            .await
            .with_context(|| format!("scenario {name}"))?;
        eprintln!(
            "ensemble-bench: {name} done in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        report.push((name.clone(), figures));
    }
    Ok(report)
}
