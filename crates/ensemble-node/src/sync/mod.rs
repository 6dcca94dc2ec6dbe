//! Catch-up replication over `/ensemble/sync/1`: the asking side ([`sync_with`]), the
//! serving side (`serve`) and the scheduler that runs a round on every new connection,
//! periodically, and when gossip reveals a gap.
//!
//! A round: send the digest of our heads for our scope (networks + follows). Equal
//! digests end the round after one small round trip. Otherwise the peer answers with
//! its heads; core's [`ensemble_core::sync::plan`] says which ranges we lack, and we pull
//! them in pages bounded in records and bytes, several requests in flight at once,
//! ingesting each page through the one ingest path (all-or-nothing: a page with an
//! invalid record is dropped whole and the peer disconnected).
//!
//! Code map: `heads` computes a scope's heads from the store (both sides use it),
//! `round` is the asking side, `serve` the answering side, `scheduler` decides when
//! rounds run and keeps the per-peer statistics.

mod heads;
mod round;
mod scheduler;
mod serve;

use serde::Serialize;

pub use round::sync_with;
pub(crate) use scheduler::{SyncScheduler, run_scheduler};
pub(crate) use serve::serve;

/// Records in one response page: a few hundred KB at typical record sizes.
pub const PAGE_MAX_RECORDS: usize = 1_000;
/// Bytes in one response page, well under the 10 MiB response limit.
pub const PAGE_MAX_BYTES: usize = 2 * 1024 * 1024;
/// Ranges asked for in one pull request; a server serves no more of one request.
const RANGES_PER_REQUEST: usize = 32;

/// Why a sync round ended early.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Reading our own store failed.
    #[error(transparent)]
    Store(#[from] ensemble_store::Error),
    /// The request could not be carried (dial, timeout, closed stream).
    #[error(transparent)]
    Net(#[from] ensemble_net::Error),
    /// The peer refused the request, with its reason.
    #[error("peer refused: {0}")]
    Refused(String),
    /// The peer answered with a message that does not answer what we asked.
    #[error("peer answered {asked} with {answered}")]
    Unexpected {
        /// What we asked for.
        asked: &'static str,
        /// What came back.
        answered: &'static str,
    },
    /// The peer served records that failed verification; it was disconnected.
    #[error("peer served invalid records")]
    InvalidRecords,
}

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
