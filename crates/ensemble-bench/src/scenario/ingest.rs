//! `ingest`: a node takes in foreign records the way a sync page delivers them —
//! `Node::ingest(page, Origin::Sync)`: decode, scope and block checks, batch signature
//! verification, body validation, group-committed store write with its indexes — and
//! the search indexer task makes them searchable. Timed until the last practice is in
//! the search index; the time until the last `ingest` call returned is shown too.
//!
//! Baseline: the single-thread `verify_strict` rate of the same run. Target: ingest at
//! least as fast (ratio ≥ 1.0) — batch verification leaves room for the rest.
//! The stages are also timed alone on one thread over a sample (decode, verification
//! with body checks, store write) so that a miss names its bottleneck.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use ensemble_core::{SignedRecord, VerifiedRecord};
use ensemble_node::Origin;
use ensemble_store::Store;

use crate::cluster::{self, NETWORK, WAIT};
use crate::scenario::primitives;
use crate::{Bench, Figures, corpus, progress};

/// Ingest must reach this multiple of the single-thread `verify_strict` rate.
const TARGET_RATIO: f64 = 1.0;
/// Records timed in each stage measurement: enough for a steady rate, small enough
/// to add only seconds.
const STAGE_SAMPLE: usize = 10_000;

/// Runs the scenario.
pub async fn run(bench: &Bench) -> Result<Figures> {
    let sizes = &bench.sizes;
    let (total, authors, batch) = (
        sizes.ingest_records,
        sizes.ingest_authors,
        sizes.ingest_batch.max(1),
    );
    let phase = Instant::now();
    let records =
        tokio::task::spawn_blocking(move || corpus::signed_logs("ingest", authors, total, NETWORK))
            .await??;
    progress("ingest", "records signed", phase);
    let phase = Instant::now();
    let record_bytes = corpus::wire_bytes(&records);
    let documents = cluster::practice_documents(&records);
    let each = Duration::from_secs_f64(sizes.primitive_seconds);
    let stage_dir = bench.temp_dir("ingest-stages")?;
    let (strict, records, stages) = tokio::task::spawn_blocking(move || -> Result<_> {
        let strict = primitives::verify_strict_per_s(each);
        let stages = stage_rates(&records, batch, stage_dir.path())?;
        Ok((strict, records, stages))
    })
    .await??;
    progress("ingest", "baselines measured", phase);
    // Owned pages, made before the clock starts.
    let mut pages: Vec<Vec<Vec<u8>>> = Vec::new();
    for chunk in records.chunks(batch) {
        pages.push(chunk.iter().map(VerifiedRecord::to_wire).collect());
    }
    drop(records);

    let dir = bench.temp_dir("ingest")?;
    let node = cluster::start_node(dir.path(), "ingest", &[]).await?;
    let start = Instant::now();
    let mut stored = 0usize;
    for page in pages {
        let reports = node.ingest(page, Origin::Sync).await;
        stored += reports.iter().filter(|report| report.stored).count();
    }
    let stored_in = start.elapsed();
    cluster::wait_until_indexed(&node, documents, WAIT).await?;
    let elapsed = start.elapsed();
    node.shutdown().await;
    let disk = cluster::disk_bytes(dir.path());
    ensure!(stored == total, "{stored} of {total} records stored");

    let per_s = total as f64 / elapsed.as_secs_f64();
    let mut figures = Figures::new();
    figures
        .count("records", total as u64)
        .count("authors", authors as u64)
        .count("batch", batch as u64)
        .number("mean_record_bytes", record_bytes as f64 / total as f64)
        .number("seconds", elapsed.as_secs_f64())
        .number("records_per_s", per_s)
        .number(
            "stored_records_per_s",
            total as f64 / stored_in.as_secs_f64(),
        )
        .number("index_lag_seconds", (elapsed - stored_in).as_secs_f64())
        .number("verify_strict_per_s", strict)
        .number("ratio_to_verify_strict", per_s / strict);
    figures.at_least("ratio_to_verify_strict", TARGET_RATIO);
    figures
        .number("stage_decode_per_s", stages.decode)
        .number("stage_verify_batch_per_s", stages.verify)
        .number("stage_store_per_s", stages.store)
        .count("disk_bytes", disk)
        .conclude();
    Ok(figures)
}

/// Single-thread rates of each ingest stage.
struct Stages {
    /// `SignedRecord::from_wire`.
    decode: f64,
    /// `ensemble_core::verify_batch` (content checks, body validation, one ed25519 batch).
    verify: f64,
    /// `Store::ingest_batch` (indexes, head advance, one flush per batch).
    store: f64,
}

fn stage_rates(records: &[VerifiedRecord], batch: usize, dir: &std::path::Path) -> Result<Stages> {
    let sample = &records[..records.len().min(STAGE_SAMPLE)];
    let wires: Vec<Vec<u8>> = sample.iter().map(VerifiedRecord::to_wire).collect();
    let per_s = |elapsed: Duration| sample.len() as f64 / elapsed.as_secs_f64();

    let start = Instant::now();
    let decoded: Vec<SignedRecord> = wires
        .iter()
        .map(|wire| SignedRecord::from_wire(wire))
        .collect::<Result<_, _>>()?;
    let decode = per_s(start.elapsed());

    let now = ensemble_core::now_ms();
    let start = Instant::now();
    let mut verified = 0usize;
    let mut pending = decoded.into_iter().peekable();
    while pending.peek().is_some() {
        let page: Vec<SignedRecord> = pending.by_ref().take(batch).collect();
        verified += ensemble_core::verify_batch(page, now)
            .iter()
            .filter(|result| result.is_ok())
            .count();
    }
    let verify = per_s(start.elapsed());
    ensure!(
        verified == sample.len(),
        "{verified} of {} verified",
        sample.len()
    );

    let store = Store::open(&dir.join("store")).context("opening the stage store")?;
    let start = Instant::now();
    for page in sample.chunks(batch) {
        store.ingest_batch(page)?;
    }
    let store_rate = per_s(start.elapsed());
    Ok(Stages {
        decode,
        verify,
        store: store_rate,
    })
}
