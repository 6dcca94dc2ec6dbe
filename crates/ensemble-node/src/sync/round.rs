//! The asking side of a sync round: digest, heads, plan, paged pulls.

use std::collections::BTreeMap;

use ensemble_core::SchoolId;
use ensemble_core::sync::{self as plan, Head, PullRange};
use ensemble_net::sync_wire::{SyncRequest, SyncResponse};
use ensemble_net::{PeerId, Verdict};
use futures::StreamExt;
use serde::Serialize;
use serde_bytes::{ByteArray, ByteBuf};
use tracing::{debug, warn};

use super::heads::{self, Scope};
use super::{RANGES_PER_REQUEST, SyncError, SyncStats};
use crate::node::{Node, Origin};

/// Pull requests in flight to one peer at once: enough to hide a round trip behind
/// the ingest of the previous page, few enough not to swamp a small server.
const PULLS_IN_FLIGHT: usize = 4;

/// Runs one round with `peer` and records its statistics.
pub async fn sync_with(node: &Node, peer: PeerId) -> SyncStats {
    let mut stats = SyncStats {
        peer_id: peer.to_string(),
        ..SyncStats::default()
    };
    if let Err(error) = round(node, peer, &mut stats).await {
        debug!(peer = %peer, %error, "sync round failed");
        node.metrics().sync_failures.inc();
        stats.error = Some(error.to_string());
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

async fn round(node: &Node, peer: PeerId, stats: &mut SyncStats) -> Result<(), SyncError> {
    let store = node.store();
    let scope = Scope {
        networks: node.networks(),
        follows: store.follows()?,
    };
    let mine = heads::heads_in_scope(store, &scope)?;
    let request = SyncRequest::Heads {
        networks: scope.networks,
        follows: scope
            .follows
            .iter()
            .map(|school| ByteArray::new(*school.as_bytes()))
            .collect(),
        digest: ByteArray::new(plan::digest(&mine)),
    };
    let theirs = match exchange(node, peer, request, stats).await? {
        SyncResponse::InSync => {
            stats.in_sync = true;
            return Ok(());
        }
        SyncResponse::Heads { heads } => heads,
        SyncResponse::Refused { reason } => return Err(SyncError::Refused(reason)),
        SyncResponse::Records { .. } => {
            return Err(SyncError::Unexpected {
                asked: "heads",
                answered: "records",
            });
        }
    };
    let theirs: Vec<(SchoolId, Head)> = theirs.into_iter().map(heads::from_wire).collect();
    let blocked = blocked_among(node, &theirs)?;
    let wanted = plan::plan(&mine, &theirs, |author| blocked.contains(author));
    let pulled = pull(node, peer, wanted.clone(), stats).await;
    // What the peer advertised that we still lack (a gap it could not fill, invalid
    // records, or an interrupted round).
    let mut missing = 0;
    for range in &wanted {
        missing += range.to_seq.saturating_sub(store.head(&range.author)?);
    }
    stats.missing = missing;
    pulled
}

/// The authors of a peer's heads that this node blocks.
fn blocked_among(
    node: &Node,
    theirs: &[(SchoolId, Head)],
) -> Result<std::collections::BTreeSet<SchoolId>, SyncError> {
    let mut blocked = std::collections::BTreeSet::new();
    for (author, _) in theirs {
        if node.store().is_blocked(author)? {
            blocked.insert(*author);
        }
    }
    Ok(blocked)
}

async fn exchange(
    node: &Node,
    peer: PeerId,
    request: SyncRequest,
    stats: &mut SyncStats,
) -> Result<SyncResponse, SyncError> {
    stats.wire_bytes += wire_size(&request);
    let response = node.net().sync_request(peer, request).await?;
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
) -> Result<(), SyncError> {
    while !wanted.is_empty() {
        let heads_before = heads_of(node, &wanted)?;
        let batches: Vec<Vec<PullRange>> = wanted
            .chunks(RANGES_PER_REQUEST)
            .map(<[PullRange]>::to_vec)
            .collect();
        // Pages are ingested as they arrive while the other requests are in flight.
        let mut responses = futures::stream::iter(batches.into_iter().map(|ranges| {
            let net = node.net().clone();
            async move {
                let request = SyncRequest::Pull {
                    ranges: ranges.iter().map(heads::range_to_wire).collect(),
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
            let response = response?;
            stats.wire_bytes += wire_size(&response);
            let (records, truncated) = match response {
                SyncResponse::Records { records, truncated } => (records, truncated),
                SyncResponse::Refused { reason } => return Err(SyncError::Refused(reason)),
                SyncResponse::InSync | SyncResponse::Heads { .. } => {
                    return Err(SyncError::Unexpected {
                        asked: "a pull",
                        answered: "heads",
                    });
                }
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
                if let Err(error) = node.net().disconnect(peer).await {
                    debug!(peer = %peer, %error, "disconnecting a lying peer failed");
                }
                return Err(SyncError::InvalidRecords);
            }
            let stored = reports.iter().filter(|report| report.stored).count() as u64;
            stats.records_received += stored;
            node.metrics().sync_records.inc_by(stored);
            if truncated {
                // Every range of a cut page continues from its author's new head,
                // including the ranges the page never reached.
                let heads = heads_of(node, &ranges)?;
                next.extend(plan::remaining(&ranges, |author| {
                    heads.get(author).copied().unwrap_or(0)
                }));
            }
        }
        // Progress guard: another pass only when our heads moved (by this round or a
        // concurrent one with the same peer), so a peer whose pages add nothing cannot
        // keep the round looping.
        if heads_of(node, &wanted)? == heads_before {
            break;
        }
        wanted = next;
    }
    Ok(())
}

/// Our current head for each author of `ranges`.
fn heads_of(node: &Node, ranges: &[PullRange]) -> Result<BTreeMap<SchoolId, u64>, SyncError> {
    let mut heads = BTreeMap::new();
    for range in ranges {
        if let std::collections::btree_map::Entry::Vacant(entry) = heads.entry(range.author) {
            entry.insert(node.store().head(&range.author)?);
        }
    }
    Ok(heads)
}

/// The CBOR size of a message, as the request-response codec sends it.
fn wire_size<T: Serialize>(message: &T) -> u64 {
    let mut counter = ByteCounter(0);
    match cbor4ii::serde::to_writer(&mut counter, message) {
        Ok(()) => counter.0,
        // Writing into a counter cannot fail; a message that cannot encode would
        // have failed to send too, and counts as nothing.
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
