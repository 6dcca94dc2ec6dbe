//! The messages of the sync protocol `/ensemble/sync/1` (request-response, CBOR).
//!
//! The protocol logic — which heads to send, which ranges to pull, what to serve —
//! lives in `ensemble-node`; this module only fixes the wire shapes so that both ends
//! agree. `docs/protocol.md` describes the exchange.

use serde::{Deserialize, Serialize};
use serde_bytes::{ByteArray, ByteBuf};

/// The protocol name.
pub const SYNC_PROTOCOL: &str = "/ensemble/sync/1";

/// Largest request a node accepts (a heads list for thousands of followed authors).
pub const MAX_SYNC_REQUEST_BYTES: u64 = 1024 * 1024;
/// Largest response a node accepts: a page of records is bounded far below this.
pub const MAX_SYNC_RESPONSE_BYTES: u64 = 10 * 1024 * 1024;

/// An author's highest contiguous sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The author's school id bytes.
    pub author: ByteArray<32>,
    /// Highest seq held with every lower seq also held.
    pub seq: u64,
    /// Log positions at which the responder holds fork evidence (two records at one
    /// seq), so that the evidence reaches nodes whose heads are already equal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forks: Vec<u64>,
    /// Id of the record at `seq` (the lowest id when there are several), so that two
    /// nodes holding different records at the same head find out they diverge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ByteArray<32>>,
}

/// A range of one author's log to pull, inclusive on both ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRange {
    /// The author's school id bytes.
    pub author: ByteArray<32>,
    /// First seq wanted.
    pub from_seq: u64,
    /// Last seq wanted.
    pub to_seq: u64,
}

/// What the asking node sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncRequest {
    /// "These are the networks and schools I replicate, and the digest of my heads
    /// for them." The responder answers `InSync` when its own digest over the same
    /// scope is equal, else with its heads for that scope.
    Heads {
        /// Network ids the asker replicates.
        networks: Vec<String>,
        /// School ids the asker follows (any network).
        follows: Vec<ByteArray<32>>,
        /// BLAKE3 over the asker's sorted heads for that scope.
        digest: ByteArray<32>,
    },
    /// Pull records; the responder fills a page bounded in records and bytes.
    Pull {
        /// The ranges wanted, served in order.
        ranges: Vec<PullRange>,
    },
}

/// What the responding node answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResponse {
    /// Both sides hold the same heads for the scope.
    InSync,
    /// The responder's heads for the asked scope.
    Heads {
        /// One entry per author in scope.
        heads: Vec<Head>,
    },
    /// Wire records (as `ensemble_core::VerifiedRecord::to_wire`), in range order.
    Records {
        /// The records.
        records: Vec<ByteBuf>,
        /// True when the page limit cut the answer short: ask again from the next seq.
        truncated: bool,
    },
    /// The request could not be served.
    Refused {
        /// Why, lowercase.
        reason: String,
    },
}
