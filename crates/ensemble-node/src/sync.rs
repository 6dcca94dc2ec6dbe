//! Catch-up replication over `/ensemble/sync/1`: the asking side ([`sync_with`]), the
//! serving side ([`serve`]) and the scheduler that runs a round on every new
//! connection, periodically, and when gossip reveals a gap.
//!
//! A round: send the digest of our heads for our scope (networks + follows). Equal
//! digests end the round after one small round trip. Otherwise the peer answers with
//! its heads; we pull every range it holds beyond ours in pages bounded in records
//! and bytes, several requests in flight at once, and ingest each page through the
//! one ingest path (all-or-nothing: a page with an invalid record is dropped whole and
//! the peer disconnected).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use ensemble_core::SchoolId;
use ensemble_net::sync_wire::{Head, PullRange, SyncRequest, SyncResponse};
use ensemble_net::{PeerId, SyncResponder, Verdict};
use futures::StreamExt;
use serde::Serialize;
use serde_bytes::{ByteArray, ByteBuf};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::node::{Node, Origin};

/// Records in one response page: a few hundred KB at typical record sizes.
pub const PAGE_MAX_RECORDS: usize = 1_000;
/// Bytes in one response page, well under the 10 MiB response limit.
pub const PAGE_MAX_BYTES: usize = 2 * 1024 * 1024;
/// Ranges asked for in one pull request.
const RANGES_PER_REQUEST: usize = 32;
/// Pull requests in flight to one peer at once.
const PULLS_IN_FLIGHT: usize = 4;
/// Pending sync triggers; when full, a trigger is dropped (the periodic round covers it).
const TRIGGER_CAPACITY: usize = 256;
/// Requests served at once; more wait (bounded by the network's stream limits).
const SERVE_CONCURRENCY: usize = 8;

/// Per-peer sync statistics, as `ensemble sync status` shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncStats {
    /// The peer.
    pub peer_id: String,
    /// When the last round ended (unix ms).
    pub last_sync_ms: u64,
    /// Records received and stored in the last round.
    pub records_received: u64,
    /// Record bytes received in the last round.
    pub bytes_received: u64,
    /// Request/response round trips in the last round.
    pub round_trips: u64,
    /// Bytes of requests sent plus responses received, in CBOR, in the last round.
    pub wire_bytes: u64,
    /// Records the peer advertised that we still lack after the round.
    pub missing: u64,
    /// True when the round ended with equal digests.
    pub in_sync: bool,
    /// The error that ended the round, if any.
    pub error: Option<String>,
    /// Totals since start.
    pub total_records: u64,
    /// Rounds run with this peer since start.
    pub rounds: u64,
}

enum Trigger {
    Peer(PeerId),
    All,
}

/// Schedules sync rounds; one round per peer at a time.
pub struct SyncScheduler {
    triggers: mpsc::Sender<Trigger>,
    stats: Mutex<BTreeMap<PeerId, SyncStats>>,
    in_flight: Mutex<HashSet<PeerId>>,
    interval: Duration,
    serving: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The receiving end the scheduler task drains.
pub struct Triggers(mpsc::Receiver<Trigger>);

impl SyncScheduler {
    pub(crate) fn new(interval: Duration) -> (SyncScheduler, Triggers) {
        let (sender, receiver) = mpsc::channel(TRIGGER_CAPACITY);
        (
            SyncScheduler {
                triggers: sender,
                stats: Mutex::new(BTreeMap::new()),
                in_flight: Mutex::new(HashSet::new()),
                interval,
                serving: std::sync::Arc::new(tokio::sync::Semaphore::new(SERVE_CONCURRENCY)),
            },
            Triggers(receiver),
        )
    }

    /// Asks for a round with `peer` soon. Never blocks.
    pub(crate) fn trigger(&self, peer: PeerId) {
        let _ = self.triggers.try_send(Trigger::Peer(peer));
    }

    /// Asks for a round with every connected peer soon.
    pub(crate) fn trigger_all(&self) {
        let _ = self.triggers.try_send(Trigger::All);
    }

    pub(crate) fn forget(&self, peer: &PeerId) {
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.remove(peer);
        }
    }

    /// Statistics of every peer synced with.
    pub fn stats(&self) -> Vec<SyncStats> {
        self.stats
            .lock()
            .map(|stats| stats.values().cloned().collect())
            .unwrap_or_default()
    }

    fn record(&self, peer: PeerId, mut round: SyncStats) {
        if let Ok(mut stats) = self.stats.lock() {
            let entry = stats.entry(peer).or_default();
            round.total_records = entry.total_records + round.records_received;
            round.rounds = entry.rounds + 1;
            *entry = round;
        }
    }

    /// The most records any peer's latest round left missing.
    fn most_behind(&self) -> u64 {
        self.stats
            .lock()
            .map(|stats| stats.values().map(|round| round.missing).max().unwrap_or(0))
            .unwrap_or(0)
    }

    fn start(&self, peer: PeerId) -> bool {
        self.in_flight
            .lock()
            .map(|mut in_flight| in_flight.insert(peer))
            .unwrap_or(false)
    }
}

/// The scheduler task: runs rounds on triggers and every interval.
pub(crate) async fn run_scheduler(node: Node, mut triggers: Triggers) {
    let mut tick = tokio::time::interval(node.sync_scheduler().interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        let peers: Vec<PeerId> = tokio::select! {
            _ = node.cancelled().cancelled() => break,
            _ = tick.tick() => connected(&node).await,
            trigger = triggers.0.recv() => match trigger {
                None => break,
                Some(Trigger::Peer(peer)) => vec![peer],
                Some(Trigger::All) => connected(&node).await,
            },
        };
        for peer in peers {
            if !node.sync_scheduler().start(peer) {
                continue;
            }
            let node = node.clone();
            tokio::spawn(async move {
                let cancel = node.cancelled().clone();
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = sync_with(&node, peer) => {}
                }
                node.sync_scheduler().forget(&peer);
            });
        }
    }
}

async fn connected(node: &Node) -> Vec<PeerId> {
    match node.net().peers().await {
        Ok(peers) => peers.into_iter().map(|peer| peer.peer_id).collect(),
        Err(_) => Vec::new(),
    }
}

/// Our replication scope: networks, followed schools, and our head per author in it.
struct Scope {
    networks: Vec<String>,
    follows: Vec<SchoolId>,
    heads: BTreeMap<SchoolId, Head>,
}

/// Our scope: the authors whose records we replicate, with our heads and fork positions.
fn local_heads(node: &Node) -> Result<Scope, String> {
    let networks = node.networks();
    let follows = node.store().follows().map_err(|error| error.to_string())?;
    let heads = heads_in_scope(node, &networks, &follows)?;
    Ok(Scope {
        networks,
        follows,
        heads,
    })
}

/// This node's heads for a scope (networks plus followed schools): authors with a
/// contiguous head or fork evidence, with the head record's id and fork positions. The
/// asking and the answering side compute their digests over exactly this.
fn heads_in_scope(
    node: &Node,
    networks: &[String],
    follows: &[SchoolId],
) -> Result<BTreeMap<SchoolId, Head>, String> {
    let authors = scope_authors(node, networks, follows)?;
    let forks = fork_positions(node)?;
    let mut heads = BTreeMap::new();
    for author in authors {
        let seq = node
            .store()
            .head(&author)
            .map_err(|error| error.to_string())?;
        if seq > 0 || forks.contains_key(&author) {
            heads.insert(
                author,
                Head {
                    author: ByteArray::new(*author.as_bytes()),
                    seq,
                    forks: forks.get(&author).cloned().unwrap_or_default(),
                    id: head_id(node, &author, seq),
                },
            );
        }
    }
    Ok(heads)
}

fn scope_authors(
    node: &Node,
    networks: &[String],
    follows: &[SchoolId],
) -> Result<BTreeSet<SchoolId>, String> {
    let store = node.store();
    let mut authors: BTreeSet<SchoolId> = follows.iter().copied().collect();
    for network in networks {
        authors.extend(
            store
                .authors_in(network)
                .map_err(|error| error.to_string())?,
        );
    }
    Ok(authors)
}

fn fork_positions(node: &Node) -> Result<BTreeMap<SchoolId, Vec<u64>>, String> {
    node.store()
        .fork_positions()
        .map_err(|error| error.to_string())
}

/// The id of the record at an author's head (the lowest when forked).
fn head_id(node: &Node, author: &SchoolId, seq: u64) -> Option<ByteArray<32>> {
    let ids = node.store().ids_at(author, seq).ok()?;
    ids.first().map(|id| ByteArray::new(*id.as_bytes()))
}

/// BLAKE3 over the sorted heads (author, seq, fork positions) of a scope.
fn digest(heads: &BTreeMap<SchoolId, Head>) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    for (author, head) in heads {
        hasher.update(author.as_bytes());
        hasher.update(&head.seq.to_be_bytes());
        hasher.update(head.id.as_deref().map(|id| &id[..]).unwrap_or(&[0u8; 32]));
        hasher.update(&(head.forks.len() as u64).to_be_bytes());
        for seq in &head.forks {
            hasher.update(&seq.to_be_bytes());
        }
    }
    *hasher.finalize().as_bytes()
}

/// The CBOR size of a message, as the request-response codec sends it.
fn wire_size<T: Serialize>(message: &T) -> u64 {
    let mut counter = ByteCounter(0);
    match cbor4ii::serde::to_writer(&mut counter, message) {
        Ok(()) => counter.0,
        Err(_) => 0,
    }
}

/// Counts what the encoder writes, so measuring a page does not copy it.
struct ByteCounter(u64);

impl std::io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len() as u64;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs one round with `peer` and records its statistics.
pub async fn sync_with(node: &Node, peer: PeerId) -> SyncStats {
    let mut stats = SyncStats {
        peer_id: peer.to_string(),
        ..SyncStats::default()
    };
    if let Err(error) = round(node, peer, &mut stats).await {
        debug!(peer = %peer, %error, "sync round failed");
        node.metrics().sync_failures.inc();
        stats.error = Some(error);
    }
    stats.last_sync_ms = ensemble_core::now_ms();
    node.sync_scheduler().record(peer, stats.clone());
    let metrics = node.metrics();
    metrics
        .sync_records_behind
        .set(crate::metrics::saturating_i64(
            node.sync_scheduler().most_behind(),
        ));
    if stats.error.is_none() {
        metrics
            .sync_last_success
            .set(crate::metrics::saturating_i64(stats.last_sync_ms / 1000));
    }
    stats
}

async fn round(node: &Node, peer: PeerId, stats: &mut SyncStats) -> Result<(), String> {
    let Scope {
        networks,
        follows,
        heads: mine,
    } = local_heads(node)?;
    let request = SyncRequest::Heads {
        networks,
        follows: follows
            .iter()
            .map(|school| ByteArray::new(*school.as_bytes()))
            .collect(),
        digest: ByteArray::new(digest(&mine)),
    };
    let response = exchange(node, peer, request, stats).await?;
    let theirs = match response {
        SyncResponse::InSync => {
            stats.in_sync = true;
            return Ok(());
        }
        SyncResponse::Heads { heads } => heads,
        SyncResponse::Refused { reason } => return Err(format!("peer refused: {reason}")),
        SyncResponse::Records { .. } => return Err("peer answered heads with records".into()),
    };
    let mut wanted: Vec<PullRange> = Vec::new();
    let store = node.store();
    for head in theirs {
        let author = SchoolId(*head.author);
        if store.is_blocked(&author).unwrap_or(true) {
            continue;
        }
        let ours = mine.get(&author);
        let our_seq = ours.map(|head| head.seq).unwrap_or(0);
        let diverged = head.seq == our_seq
            && head.seq > 0
            && head.id.is_some()
            && ours.and_then(|ours| ours.id) != head.id;
        if diverged {
            // Same length, different record at the head: a fork neither side has
            // evidence of yet. Pulling that position stores the other branch.
            wanted.push(PullRange {
                author: head.author,
                from_seq: head.seq,
                to_seq: head.seq,
            });
        }
        if head.seq > our_seq {
            wanted.push(PullRange {
                author: head.author,
                from_seq: our_seq + 1,
                to_seq: head.seq,
            });
        }
        let known_forks: &[u64] = ours.map(|head| head.forks.as_slice()).unwrap_or(&[]);
        for seq in head
            .forks
            .iter()
            .filter(|seq| !known_forks.contains(seq))
            .take(64)
        {
            if *seq <= our_seq {
                wanted.push(PullRange {
                    author: head.author,
                    from_seq: *seq,
                    to_seq: *seq,
                });
            }
        }
    }
    let targets: Vec<(SchoolId, u64)> = wanted
        .iter()
        .map(|range| (SchoolId(*range.author), range.to_seq))
        .collect();
    let pulled = pull(node, peer, wanted, stats).await;
    // What the peer advertised that we still lack (a gap it could not fill, invalid
    // records, or an interrupted round).
    stats.missing = targets
        .iter()
        .map(|(author, to_seq)| to_seq.saturating_sub(store.head(author).unwrap_or(0)))
        .sum();
    pulled
}

async fn exchange(
    node: &Node,
    peer: PeerId,
    request: SyncRequest,
    stats: &mut SyncStats,
) -> Result<SyncResponse, String> {
    stats.wire_bytes += wire_size(&request);
    let response = node
        .net()
        .sync_request(peer, request)
        .await
        .map_err(|error| error.to_string())?;
    stats.round_trips += 1;
    stats.wire_bytes += wire_size(&response);
    Ok(response)
}

/// Pulls `wanted` in pages, several requests in flight, until done or no progress.
async fn pull(
    node: &Node,
    peer: PeerId,
    mut wanted: Vec<PullRange>,
    stats: &mut SyncStats,
) -> Result<(), String> {
    while !wanted.is_empty() {
        let heads_before = heads_sum(node, &wanted);
        let batches: Vec<Vec<PullRange>> = wanted
            .chunks(RANGES_PER_REQUEST)
            .map(<[PullRange]>::to_vec)
            .collect();
        // Pages are ingested as they arrive while the other requests are in flight.
        let mut responses = futures::stream::iter(batches.into_iter().map(|ranges| {
            let net = node.net().clone();
            async move {
                let request = SyncRequest::Pull {
                    ranges: ranges.clone(),
                };
                let request_bytes = wire_size(&request);
                (ranges, request_bytes, net.sync_request(peer, request).await)
            }
        }))
        .buffer_unordered(PULLS_IN_FLIGHT);
        let mut next = Vec::new();
        while let Some((ranges, request_bytes, response)) = responses.next().await {
            stats.round_trips += 1;
            stats.wire_bytes += request_bytes;
            let response = response.map_err(|error| error.to_string())?;
            stats.wire_bytes += wire_size(&response);
            let (records, truncated) = match response {
                SyncResponse::Records { records, truncated } => (records, truncated),
                SyncResponse::Refused { reason } => return Err(format!("peer refused: {reason}")),
                _ => return Err("peer answered a pull with something else".into()),
            };
            let bytes: u64 = records.iter().map(|record| record.len() as u64).sum();
            stats.bytes_received += bytes;
            node.metrics().sync_bytes.inc_by(bytes);
            let wires: Vec<Vec<u8>> = records.into_iter().map(ByteBuf::into_vec).collect();
            let reports = node.ingest(wires, Origin::Sync).await;
            if reports
                .iter()
                .any(|report| report.verdict == Verdict::Reject)
            {
                warn!(peer = %peer, "peer served invalid records; dropping the page and the connection");
                let _ = node.net().disconnect(peer).await;
                return Err("peer served invalid records".into());
            }
            let stored = reports.iter().filter(|report| report.stored).count() as u64;
            stats.records_received += stored;
            node.metrics().sync_records.inc_by(stored);
            if truncated {
                // Every range of a cut page continues from its author's new head,
                // including the ranges the page never reached.
                next.extend(remaining(node, &ranges));
            }
        }
        // Progress guard: another pass only when our heads moved (by this round or a
        // concurrent one with the same peer), so a peer whose pages add nothing cannot
        // keep the round looping.
        if heads_sum(node, &wanted) == heads_before {
            break;
        }
        wanted = next;
    }
    Ok(())
}

/// The sum of our heads over the authors of `ranges`: grows whenever a pass advances.
fn heads_sum(node: &Node, ranges: &[PullRange]) -> u64 {
    ranges
        .iter()
        .map(|range| node.store().head(&SchoolId(*range.author)).unwrap_or(0))
        .sum()
}

/// What is left of `ranges` after a truncated page: from each author's new head on.
fn remaining(node: &Node, ranges: &[PullRange]) -> Vec<PullRange> {
    ranges
        .iter()
        .filter_map(|range| {
            let head = node.store().head(&SchoolId(*range.author)).ok()?;
            (head < range.to_seq).then(|| PullRange {
                author: range.author,
                from_seq: (head + 1).max(range.from_seq),
                to_seq: range.to_seq,
            })
        })
        .collect()
}

/// Serves one request on a task of its own (the network loop is never blocked).
pub(crate) fn serve(node: Node, peer: PeerId, request: SyncRequest, responder: SyncResponder) {
    let permits = node.sync_scheduler().serving.clone();
    tokio::spawn(async move {
        let Ok(_permit) = permits.acquire_owned().await else {
            return;
        };
        let worker = node.clone();
        let response = tokio::task::spawn_blocking(move || answer(&worker, request))
            .await
            .unwrap_or_else(|_| SyncResponse::Refused {
                reason: "internal error".into(),
            });
        debug!(peer = %peer, "sync request served");
        node.net().respond_sync(responder, response);
    });
}

fn answer(node: &Node, request: SyncRequest) -> SyncResponse {
    match request {
        SyncRequest::Heads {
            networks,
            follows,
            digest: theirs,
        } => {
            let follows: Vec<SchoolId> = follows.iter().map(|school| SchoolId(**school)).collect();
            let heads = match heads_in_scope(node, &networks, &follows) {
                Ok(heads) => heads,
                Err(reason) => return SyncResponse::Refused { reason },
            };
            if digest(&heads) == *theirs {
                SyncResponse::InSync
            } else {
                SyncResponse::Heads {
                    heads: heads.into_values().collect(),
                }
            }
        }
        SyncRequest::Pull { ranges } => {
            let mut records = Vec::new();
            let mut bytes = 0usize;
            let mut truncated = false;
            for range in ranges.iter().take(RANGES_PER_REQUEST) {
                let author = SchoolId(*range.author);
                if node.store().is_blocked(&author).unwrap_or(true) {
                    continue;
                }
                let room_records = PAGE_MAX_RECORDS.saturating_sub(records.len());
                let room_bytes = PAGE_MAX_BYTES.saturating_sub(bytes);
                if room_records == 0 || room_bytes == 0 {
                    truncated = true;
                    break;
                }
                match node.store().range(
                    &author,
                    range.from_seq,
                    range.to_seq,
                    room_records,
                    room_bytes,
                ) {
                    Ok((page, cut)) => {
                        for record in page {
                            let wire = record.to_wire();
                            bytes += wire.len();
                            records.push(ByteBuf::from(wire));
                        }
                        if cut {
                            truncated = true;
                            break;
                        }
                    }
                    Err(error) => {
                        return SyncResponse::Refused {
                            reason: format!("store error: {error}"),
                        };
                    }
                }
            }
            info!(
                records = records.len(),
                bytes, truncated, "serving a sync page"
            );
            SyncResponse::Records { records, truncated }
        }
    }
}
