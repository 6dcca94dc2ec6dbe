//! Damage detection. sled may open a damaged database without complaint (a log cut
//! short replays to an older state), so the node checks what it opened:
//!
//! - [`View::census`] counts the trees' entries and sums the heads: cheap enough for
//!   every start, and compared with the manifest the node wrote at its last clean stop.
//! - [`View::check_integrity`] walks every record, body, `by_id` entry and head and
//!   names what does not fit together. The node runs it when there is no manifest to
//!   compare with (first start after a crash or an upgrade) or the census disagrees.
//!
//! What is *not* a fault: a record without its `by_id` entry (a crash in the middle of
//! a write leaves it "not held", by design) and a head below the contiguous seqs held
//! (the head is written before `by_id`).

use std::collections::BTreeMap;

use ensemble_core::SchoolId;
use ensemble_core::record::{Header, SIGNATURE_BYTES, SignedRecord};

use crate::{Error, View, keys};

/// Faults kept in detail by [`View::check_integrity`]; the rest are only counted. A
/// damaged store can have a fault per record, and the report must stay one screen.
pub const MAX_FAULTS_KEPT: usize = 16;

/// Entry counts of the store, cheap to take (key scans, no decoding).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    /// Entries of `records` (every record held, fork evidence included).
    pub records: u64,
    /// Entries of `by_id` (records completely written).
    pub indexed: u64,
    /// Authors with a head.
    pub authors: u64,
    /// The sum of every author's contiguous head: moves whenever any log grows.
    pub heads_total: u64,
}

/// One thing that does not fit in the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// A tree could not be read to its end.
    #[error("tree {tree} cannot be read: {reason}")]
    Unreadable {
        /// The tree.
        tree: &'static str,
        /// sled's error.
        reason: String,
    },
    /// A record's key or bytes do not decode, or disagree with each other.
    #[error("record {key} is corrupt: {reason}")]
    BadRecord {
        /// The record key, in hex (author ‖ seq ‖ id).
        key: String,
        /// What is wrong.
        reason: RecordFault,
    },
    /// A `by_id` entry names a record that is not in `records`.
    #[error("index entry {id} points at a missing record")]
    DanglingIndex {
        /// The id, in hex.
        id: String,
    },
    /// An author's head says seqs are held that are not.
    #[error("author {author} has head {head} but only seqs up to {held} are held contiguously")]
    HeadBeyondRecords {
        /// The author.
        author: SchoolId,
        /// The stored head.
        head: u64,
        /// The contiguous seqs actually held.
        held: u64,
    },
}

/// What [`View::check_integrity`] found.
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    /// The counts the walk saw.
    pub census: Census,
    /// The first [`MAX_FAULTS_KEPT`] faults.
    pub faults: Vec<Fault>,
    /// Every fault found, kept or not.
    pub fault_count: u64,
}

impl Integrity {
    fn fault(&mut self, fault: Fault) {
        self.fault_count += 1;
        if self.faults.len() < MAX_FAULTS_KEPT {
            self.faults.push(fault);
        }
    }

    /// Whether nothing was found wrong.
    pub fn is_sound(&self) -> bool {
        self.fault_count == 0
    }
}

/// Per author, while walking `records`: the next seq that keeps the run contiguous.
type Runs = BTreeMap<SchoolId, u64>;

impl View {
    /// Counts of the trees, by key scans only.
    pub fn census(&self) -> Result<Census, Error> {
        let mut census = Census {
            records: count(&self.records)?,
            indexed: count(&self.by_id)?,
            ..Census::default()
        };
        for (_, head) in self.heads()? {
            census.authors += 1;
            census.heads_total = census.heads_total.saturating_add(head);
        }
        Ok(census)
    }

    /// The highest seq held for `author` (contiguous or not; 0 when none).
    pub fn max_seq(&self, author: &SchoolId) -> Result<u64, Error> {
        match self.records.scan_prefix(author.as_bytes()).next_back() {
            None => Ok(0),
            Some(entry) => {
                let (key, _) = entry?;
                Ok(keys::split_record_key(&key)?.1)
            }
        }
    }

    /// Walks every record, body, index entry and head, and names what does not fit.
    /// Reads everything once; the cost is measured in `docs/decisions.md`.
    pub fn check_integrity(&self) -> Integrity {
        let mut integrity = Integrity::default();
        let mut runs = Runs::new();
        for entry in self.records.iter() {
            match entry {
                Ok((key, value)) => {
                    integrity.census.records += 1;
                    if let Err(reason) = self.check_record(&key, &value, &mut runs) {
                        integrity.fault(Fault::BadRecord {
                            key: hex(&key),
                            reason,
                        });
                    }
                }
                Err(error) => {
                    integrity.fault(unreadable("records", &error));
                    break;
                }
            }
        }
        for entry in self.by_id.iter() {
            match entry {
                Ok((id, record_key)) => {
                    integrity.census.indexed += 1;
                    let points_home = record_key.get(40..) == Some(id.as_ref())
                        && self.records.contains_key(&record_key).unwrap_or(false);
                    if !points_home {
                        integrity.fault(Fault::DanglingIndex { id: hex(&id) });
                    }
                }
                Err(error) => {
                    integrity.fault(unreadable("by_id", &error));
                    break;
                }
            }
        }
        match self.heads() {
            Ok(heads) => {
                for (author, head) in heads {
                    integrity.census.authors += 1;
                    integrity.census.heads_total =
                        integrity.census.heads_total.saturating_add(head);
                    let held = runs.get(&author).map_or(0, |next| next - 1);
                    if head > held {
                        integrity.fault(Fault::HeadBeyondRecords { author, head, held });
                    }
                }
            }
            Err(error) => integrity.fault(Fault::Unreadable {
                tree: "heads",
                reason: error.to_string(),
            }),
        }
        integrity
    }

    /// One record: key and value decode, the header agrees with the key, the id is
    /// the hash of the stored bytes, and the body is there and hashes to the header's
    /// payload hash (or is absent because its document was retracted).
    fn check_record(&self, key: &[u8], value: &[u8], runs: &mut Runs) -> Result<(), RecordFault> {
        let (author, seq, id) = keys::split_record_key(key).map_err(RecordFault::undecodable)?;
        // The position is held even when its bytes are bad: that fault is named once, as
        // a bad record, not again as a gap below the head.
        let next = runs.entry(author).or_insert(1);
        if seq == *next {
            *next += 1;
        }
        let (header_bytes, signature) =
            keys::split_record_value(value).map_err(RecordFault::undecodable)?;
        let header = Header::decode(header_bytes).map_err(RecordFault::undecodable)?;
        if header.author != author || header.seq != seq {
            return Err(RecordFault::WrongPosition);
        }
        let signature: [u8; SIGNATURE_BYTES] = signature
            .try_into()
            .map_err(|_| RecordFault::Undecodable("signature length".into()))?;
        let recomputed = SignedRecord::from_parts(header_bytes, signature, None)
            .map_err(RecordFault::undecodable)?
            .id();
        if recomputed != id {
            return Err(RecordFault::WrongId);
        }
        match self.bodies.get(id.as_bytes()) {
            Ok(Some(body)) => {
                if body.len() as u64 != u64::from(header.payload_len)
                    || *blake3::hash(&body).as_bytes() != header.payload_hash
                {
                    return Err(RecordFault::BodyMismatch);
                }
            }
            Ok(None) => {
                let doc = header.doc.unwrap_or(id);
                if !self
                    .is_retracted_for(&doc, &author)
                    .map_err(RecordFault::undecodable)?
                {
                    return Err(RecordFault::BodyMissing);
                }
            }
            Err(error) => return Err(RecordFault::BodyUnreadable(error.to_string())),
        }
        Ok(())
    }
}

/// What is wrong with one stored record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordFault {
    /// Its key, header or signature does not decode.
    #[error("{0}")]
    Undecodable(String),
    /// The header names another log position than the key it is stored under.
    #[error("header names another log position than its key")]
    WrongPosition,
    /// The stored bytes do not hash to the id in the key.
    #[error("record bytes do not hash to the id in its key")]
    WrongId,
    /// The body's length or hash differs from the header's.
    #[error("body does not match the header's hash")]
    BodyMismatch,
    /// No body, and no retraction that would explain its absence.
    #[error("body missing and its document is not retracted")]
    BodyMissing,
    /// The body could not be read.
    #[error("body unreadable: {0}")]
    BodyUnreadable(String),
}

impl RecordFault {
    fn undecodable(error: impl std::fmt::Display) -> RecordFault {
        RecordFault::Undecodable(error.to_string())
    }
}

fn count(tree: &sled::Tree) -> Result<u64, Error> {
    let mut entries = 0u64;
    for key in tree.iter().keys() {
        key?;
        entries += 1;
    }
    Ok(entries)
}

fn unreadable(tree: &'static str, error: &sled::Error) -> Fault {
    Fault::Unreadable {
        tree,
        reason: error.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
