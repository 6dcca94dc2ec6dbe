//! Ensemble's benchmark harness: scenarios that run real nodes on loopback and measure
//! what a school would notice — how fast records are ingested, published, spread by
//! gossip and caught up by sync, how much memory and disk a node needs — each figure
//! paired with a baseline measured in the same run, so that a ratio survives the noise
//! of a shared machine.
//!
//! The `ensemble-bench` binary is a thin layer over [`run`]; the smoke test calls the
//! same function with [`Sizes::tiny`]. This crate owns the scenarios, the generated
//! corpora and the report format; it changes nothing in the crates it measures and
//! asserts no figure (targets are reported with a `meets_target` boolean).

pub mod cluster;
pub mod corpus;
pub mod figures;
pub mod scenario;

use std::path::PathBuf;
use std::time::Instant;

pub use figures::Figures;

/// Every scenario, in the order a full run takes them; the names are the JSON keys.
pub const SCENARIOS: [&str; 7] = [
    "primitives",
    "ingest",
    "publish",
    "gossip",
    "catchup",
    "search",
    "footprint",
];

/// How big each scenario is. [`Sizes::default`] is the full run described in the
/// README; [`Sizes::tiny`] is the smoke test's.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// How long each primitive (and each same-run baseline rate) is measured.
    pub primitive_seconds: f64,
    /// Foreign records ingested by `ingest`.
    pub ingest_records: usize,
    /// Authors of those records.
    pub ingest_authors: usize,
    /// Records per `Node::ingest` call (a sync page holds at most 1,000).
    pub ingest_batch: usize,
    /// Publishes measured by `publish`, through each path.
    pub publishes: usize,
    /// Nodes of the `gossip` topology.
    pub nodes: usize,
    /// Records published in `gossip`, through each stack.
    pub records: usize,
    /// Earlier nodes each new node dials in `gossip`.
    pub links: usize,
    /// Records the fresh node pulls in `catchup`.
    pub catchup_records: usize,
    /// Authors of those records.
    pub catchup_authors: usize,
    /// Practices indexed by `search`.
    pub search_practices: usize,
    /// Queries timed by `search`.
    pub queries: usize,
    /// Records held by the node whose memory `footprint` measures.
    pub footprint_records: usize,
}

impl Default for Sizes {
    fn default() -> Sizes {
        Sizes {
            primitive_seconds: 1.0,
            ingest_records: 50_000,
            ingest_authors: 100,
            ingest_batch: 1_000,
            publishes: 500,
            nodes: 10,
            records: 500,
            links: 2,
            catchup_records: 100_000,
            catchup_authors: 200,
            search_practices: 100_000,
            queries: 1_000,
            footprint_records: 100_000,
        }
    }
}

impl Sizes {
    /// Sizes at which every scenario runs in a few seconds in a debug build: enough to
    /// exercise each code path, too small for the figures to mean anything.
    pub fn tiny() -> Sizes {
        Sizes {
            primitive_seconds: 0.02,
            ingest_records: 300,
            ingest_authors: 3,
            ingest_batch: 100,
            publishes: 5,
            nodes: 3,
            records: 4,
            links: 2,
            catchup_records: 300,
            catchup_authors: 3,
            search_practices: 200,
            queries: 20,
            footprint_records: 200,
        }
    }
}

/// Where and how a run happens.
#[derive(Debug, Clone)]
pub struct Bench {
    /// Scenario sizes.
    pub sizes: Sizes,
    /// Where the nodes' temporary data directories go (on the disk being measured:
    /// sled flushes are part of ingest and publish).
    pub work_dir: PathBuf,
    /// The `ensemble-bench` executable, which `footprint` starts again as a lone node
    /// process so that the bench's own memory is not counted.
    pub exe: PathBuf,
}

impl Bench {
    /// A fresh temporary directory under [`Bench::work_dir`], removed on drop.
    pub fn temp_dir(&self, label: &str) -> anyhow::Result<tempfile::TempDir> {
        std::fs::create_dir_all(&self.work_dir)?;
        Ok(tempfile::Builder::new()
            .prefix(&format!("ensemble-bench-{label}-"))
            .tempdir_in(&self.work_dir)?)
    }
}

/// Reports a finished phase of a scenario on stderr (stdout carries only figures), so
/// that a long run shows where its time goes.
pub fn progress(scenario: &str, phase: &str, since: Instant) {
    eprintln!(
        "ensemble-bench: {scenario}: {phase} in {:.1} s",
        since.elapsed().as_secs_f64()
    );
}

/// Runs one scenario by name.
pub async fn run(name: &str, bench: &Bench) -> anyhow::Result<Figures> {
    match name {
        "primitives" => scenario::primitives::run(bench).await,
        "ingest" => scenario::ingest::run(bench).await,
        "publish" => scenario::publish::run(bench).await,
        "gossip" => scenario::gossip::run(bench).await,
        "catchup" => scenario::catchup::run(bench).await,
        "search" => scenario::search::run(bench).await,
        "footprint" => scenario::footprint::run(bench).await,
        other => anyhow::bail!(
            "unknown scenario {other:?}; the scenarios are {}",
            SCENARIOS.join(", ")
        ),
    }
}
