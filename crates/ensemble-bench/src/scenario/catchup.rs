//! `catchup`: a fresh node connects to a peer holding 100 k records of 200 authors and
//! pulls them all over `/ensemble/sync/1` — the round every new connection starts.
//! Timed from the dial until the last record is stored on the fresh node; the rounds'
//! own `SyncStats` give round trips and wire bytes. Should that round end with records
//! still missing (reported as `first_round_missing`), `sync_now` rounds follow until
//! the node holds everything, and the time includes them. Then one more `sync_now`
//! checks the in-sync case: one round trip of a few hundred bytes.
//!
//! Baselines: the records' own wire size (what any transfer must carry) and the
//! single-thread `verify_strict` rate of the same run (what any receiver must check).
//! Targets: 100 k in ≤ 12 s; wire bytes ≤ 1.3× the records; in sync in one round trip
//! and ≤ 1 KB.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ensemble_node::{Node, Origin, PeerId, SyncStats, Verdict};
use tokio::sync::broadcast::error::RecvError;

use crate::cluster::{self, NETWORK, WAIT};
use crate::scenario::primitives;
use crate::{Bench, Figures, corpus, progress};

/// Target duration of the catch-up, for [`TARGET_RECORDS`] records.
const TARGET_SECONDS: f64 = 12.0;
/// The record count the duration target is stated for; smaller runs scale it down.
const TARGET_RECORDS: f64 = 100_000.0;
/// Target overhead of the sync wire over the records' own bytes.
const TARGET_WIRE_RATIO: f64 = 1.3;
/// Target size of an in-sync check.
const TARGET_IN_SYNC_BYTES: f64 = 1_024.0;
/// Records ingested by the serving node per batch (one batch verification and flush).
const PREPARE_BATCH: usize = 1_000;
/// How often the round's statistics are looked for once every record is stored: the
/// scheduler records them without an event, a moment after the last page is ingested.
const STATS_POLL: Duration = Duration::from_millis(10);
/// Most `sync_now` rounds run after a first round that ended short of everything.
const MAX_ROUNDS: usize = 100;

/// Runs the scenario.
pub async fn run(bench: &Bench) -> Result<Figures> {
    let sizes = &bench.sizes;
    let (total, authors) = (sizes.catchup_records, sizes.catchup_authors);
    let phase = Instant::now();
    let records = tokio::task::spawn_blocking(move || {
        corpus::signed_logs("catchup", authors, total, NETWORK)
    })
    .await??;
    progress("catchup", "records signed", phase);
    let each = Duration::from_secs_f64(sizes.primitive_seconds);
    let strict = tokio::task::spawn_blocking(move || primitives::verify_strict_per_s(each)).await?;
    let phase = Instant::now();

    let dir = bench.temp_dir("catchup")?;
    let server = cluster::start_node(&dir.path().join("server"), "catchup-server", &[]).await?;
    // The serving node holds the records as if months of gossip had brought them; they
    // enter through the node's one ingest path, as an imported bundle would.
    for batch in records.chunks(PREPARE_BATCH) {
        let wires = batch.iter().map(|record| record.to_wire()).collect();
        let reports = server.ingest(wires, Origin::Import).await;
        if let Some(refused) = reports
            .iter()
            .find(|report| report.verdict != Verdict::Accept)
        {
            bail!(
                "the serving node refused a prepared record: {:?}",
                refused.reason
            );
        }
    }
    progress("catchup", "serving store filled", phase);
    let fresh = cluster::start_node(&dir.path().join("fresh"), "catchup-fresh", &[]).await?;
    let mut events = fresh.stored_events();
    // The server's own profile comes along.
    let expected = total + 1;

    let start = Instant::now();
    fresh.dial(cluster::address(&server)?).await?;
    let first = first_round(&fresh, server.peer_id(), &mut events, expected).await?;
    // A round that ends with records still missing is followed by `sync_now` rounds,
    // as a user pressing "sync now" would, until the node holds everything.
    let mut rounds = vec![first.clone()];
    while held(&fresh)? < expected && rounds.len() < MAX_ROUNDS {
        let round = fresh
            .sync_now(Some(server.peer_id()))
            .await?
            .into_iter()
            .next()
            .context("sync_now returned no round")?;
        let progressed = round.records_received > 0;
        rounds.push(round);
        if !progressed {
            break;
        }
    }
    let elapsed = start.elapsed();
    progress("catchup", "caught up", start);
    let stored = held(&fresh)?;
    let check = fresh
        .sync_now(Some(server.peer_id()))
        .await?
        .into_iter()
        .next()
        .context("sync_now returned no round")?;
    fresh.shutdown().await;
    server.shutdown().await;

    let sum = |field: fn(&SyncStats) -> u64| rounds.iter().map(field).sum::<u64>();
    let (wire_bytes, record_bytes) = (sum(|r| r.wire_bytes), sum(|r| r.bytes_received));
    let per_s = stored as f64 / elapsed.as_secs_f64();
    let mut figures = Figures::new();
    figures
        .count("records", expected as u64)
        .count("authors", authors as u64)
        .count("first_round_records", first.records_received)
        .count("first_round_missing", first.missing);
    figures.at_most("first_round_missing", 0.0);
    figures
        .count("extra_rounds", rounds.len() as u64 - 1)
        .count("records_stored", stored as u64)
        .number("seconds", elapsed.as_secs_f64());
    figures.at_most("seconds", TARGET_SECONDS * expected as f64 / TARGET_RECORDS);
    figures
        .number("records_per_s", per_s)
        .number("verify_strict_per_s", strict)
        .number("ratio_to_verify_strict", per_s / strict)
        .count("record_bytes", record_bytes)
        .count("wire_bytes", wire_bytes)
        .number(
            "wire_to_record_bytes",
            wire_bytes as f64 / record_bytes as f64,
        );
    figures.at_most("wire_to_record_bytes", TARGET_WIRE_RATIO);
    figures.count("round_trips", sum(|r| r.round_trips));
    figures
        .flag("in_sync", check.in_sync)
        .count("in_sync_round_trips", check.round_trips);
    figures.at_most("in_sync_round_trips", 1.0);
    figures.count("in_sync_wire_bytes", check.wire_bytes);
    figures.at_most("in_sync_wire_bytes", TARGET_IN_SYNC_BYTES);
    figures.conclude();
    Ok(figures)
}

/// Foreign records the node holds (everything but its own profile).
fn held(node: &Node) -> Result<usize> {
    let all: u64 = node.store().counts()?.values().sum();
    Ok(all.saturating_sub(1) as usize)
}

/// Waits for the round the connection started: until `expected` records are stored
/// (then for its statistics), or until the round ends short of them.
async fn first_round(
    node: &Node,
    peer: PeerId,
    events: &mut tokio::sync::broadcast::Receiver<ensemble_node::StoredEvent>,
    expected: usize,
) -> Result<SyncStats> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let peer = peer.to_string();
    let mut stored = 0usize;
    loop {
        let round = node
            .sync_status()
            .into_iter()
            .find(|stats| stats.peer_id == peer && stats.rounds > 0);
        if let Some(round) = round {
            return Ok(round);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("no sync round with {peer} ended within {WAIT:?}");
        }
        if stored >= expected {
            // Everything is stored; the scheduler records the round a moment later.
            tokio::time::sleep(STATS_POLL).await;
            continue;
        }
        // The round's end has no event of its own: look at the scheduler whenever
        // records stop arriving for a moment.
        match tokio::time::timeout(STATS_POLL, events.recv()).await {
            Ok(Ok(_)) => stored += 1,
            // Missed events were stored records all the same.
            Ok(Err(RecvError::Lagged(missed))) => stored += missed as usize,
            Ok(Err(RecvError::Closed)) => bail!("the node stopped"),
            Err(_) => {}
        }
    }
}
