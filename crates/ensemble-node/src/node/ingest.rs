//! The one door for foreign records: gossip, sync and import all come through
//! [`Node::ingest`]: decode, scope and block checks, batch verification, store (group
//! commit), verdict counters, and only then the stored-record announcements.

use ensemble_core::{Kind, RecordError, RecordId, SchoolId, SignedRecord, VerifiedRecord};
use ensemble_net::Verdict;
use ensemble_store::Ingested;
use serde::Serialize;
use tracing::warn;

use super::Node;
use crate::metrics::IngestLabels;

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Live gossip.
    Gossip,
    /// Catch-up sync.
    Sync,
    /// An imported bundle.
    Import,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Gossip => "gossip",
            Origin::Sync => "sync",
            Origin::Import => "import",
        }
    }
}

/// What the ingest path decided for one wire record.
#[derive(Debug, Clone)]
pub struct IngestReport {
    /// The record id, when the bytes decoded that far.
    pub id: Option<RecordId>,
    /// The author, when decoded.
    pub author: Option<SchoolId>,
    /// The kind, when decoded.
    pub kind: Option<Kind>,
    /// The gossipsub verdict.
    pub verdict: Verdict,
    /// Why it was not accepted.
    pub reason: Option<String>,
    /// Stored ahead of the author's contiguous head: a predecessor is missing.
    pub gap: bool,
    /// Newly stored (not a duplicate).
    pub stored: bool,
}

/// What a record's header says about it, kept for the report of its fate.
#[derive(Debug, Clone, Copy)]
struct Decoded {
    id: RecordId,
    author: SchoolId,
    kind: Kind,
}

impl Decoded {
    fn of(record: &SignedRecord) -> Decoded {
        Decoded {
            id: record.id(),
            author: record.header().author,
            kind: record.header().kind,
        }
    }

    fn of_verified(record: &VerifiedRecord) -> Decoded {
        Decoded {
            id: record.id(),
            author: record.author(),
            kind: record.kind(),
        }
    }
}

impl IngestReport {
    fn new(decoded: Option<Decoded>, verdict: Verdict, reason: Option<String>) -> IngestReport {
        IngestReport {
            id: decoded.map(|decoded| decoded.id),
            author: decoded.map(|decoded| decoded.author),
            kind: decoded.map(|decoded| decoded.kind),
            verdict,
            reason,
            gap: false,
            stored: false,
        }
    }

    fn ignored(decoded: Option<Decoded>, reason: String) -> IngestReport {
        IngestReport::new(decoded, Verdict::Ignore, Some(reason))
    }

    fn refused(decoded: Option<Decoded>, error: &RecordError) -> IngestReport {
        let verdict = if error.is_reject() {
            Verdict::Reject
        } else {
            Verdict::Ignore
        };
        IngestReport::new(decoded, verdict, Some(error.to_string()))
    }
}

/// Counters of network verdicts since start.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerdictCounts {
    /// Accepted.
    pub accepted: u64,
    /// Ignored.
    pub ignored: u64,
    /// Rejected.
    pub rejected: u64,
}

impl Node {
    /// The single door for foreign records: decode, scope and block checks, batch
    /// verification, store (group commit). Runs on a blocking thread.
    pub async fn ingest(&self, wires: Vec<Vec<u8>>, origin: Origin) -> Vec<IngestReport> {
        let node = self.clone();
        let count = wires.len();
        match tokio::task::spawn_blocking(move || node.ingest_blocking(wires, origin)).await {
            Ok(reports) => reports,
            Err(error) => {
                warn!(%error, "ingest task failed");
                vec![IngestReport::ignored(None, "ingest task failed".into()); count]
            }
        }
    }

    fn ingest_blocking(&self, wires: Vec<Vec<u8>>, origin: Origin) -> Vec<IngestReport> {
        let now = ensemble_core::now_ms();
        let mut reports: Vec<Option<IngestReport>> = vec![None; wires.len()];
        let mut candidates = Vec::new();
        let mut slots = Vec::new();
        for (index, wire) in wires.iter().enumerate() {
            match self.precheck(wire, origin) {
                Ok(record) => {
                    slots.push((index, Decoded::of(&record)));
                    candidates.push(record);
                }
                Err(report) => reports[index] = Some(*report),
            }
        }
        let mut accepted = Vec::new();
        let mut accepted_slots = Vec::new();
        for (result, (index, decoded)) in ensemble_core::verify_batch(candidates, now)
            .into_iter()
            .zip(slots)
        {
            match result {
                Ok(record) => {
                    accepted.push(record);
                    accepted_slots.push(index);
                }
                Err(error) => reports[index] = Some(IngestReport::refused(Some(decoded), &error)),
            }
        }
        // A sync page is all-or-nothing: a peer that serves one invalid record is not
        // trusted for any record of that response.
        let poisoned = origin == Origin::Sync
            && reports
                .iter()
                .flatten()
                .any(|report| report.verdict == Verdict::Reject);
        let outcomes = if poisoned {
            Err("the page holding it carried invalid records".to_string())
        } else {
            self.inner
                .store
                .ingest_batch(&accepted)
                .map_err(|error| format!("store error: {error}"))
        };
        let mut newly_stored = Vec::new();
        match outcomes {
            Ok(outcomes) => {
                for ((record, outcome), index) in accepted.iter().zip(outcomes).zip(accepted_slots)
                {
                    let decoded = Decoded::of_verified(record);
                    reports[index] = Some(if outcome == Ingested::Duplicate {
                        IngestReport::ignored(Some(decoded), "already held".into())
                    } else {
                        newly_stored.push(record);
                        if outcome == Ingested::Fork {
                            warn!(author = %record.author(), seq = record.seq(), "fork evidence stored");
                        }
                        IngestReport {
                            gap: matches!(outcome, Ingested::Stored { gap: true }),
                            stored: true,
                            ..IngestReport::new(Some(decoded), Verdict::Accept, None)
                        }
                    });
                }
            }
            Err(reason) => {
                if !poisoned {
                    warn!(%reason, "store refused a batch");
                }
                for (record, index) in accepted.iter().zip(accepted_slots) {
                    let decoded = Decoded::of_verified(record);
                    reports[index] = Some(IngestReport::ignored(Some(decoded), reason.clone()));
                }
            }
        }
        let reports: Vec<IngestReport> = reports
            .into_iter()
            .map(|report| {
                report.unwrap_or_else(|| IngestReport::ignored(None, "not processed".into()))
            })
            .collect();
        self.count_verdicts(&reports, origin);
        // Announced after the counters: whoever sees a record stored also sees the
        // verdicts of everything that came with it.
        for record in newly_stored {
            self.announce(record);
        }
        reports
    }

    /// Checks that need no signature: decoding, replication scope, blocks, duplicates.
    fn precheck(&self, wire: &[u8], origin: Origin) -> Result<SignedRecord, Box<IngestReport>> {
        let record = SignedRecord::from_wire(wire)
            .map_err(|error| Box::new(IngestReport::refused(None, &error)))?;
        let decoded = Decoded::of(&record);
        let author = decoded.author;
        let ignore = |reason: String| Box::new(IngestReport::ignored(Some(decoded), reason));
        let store = &self.inner.store;
        match store.is_blocked(&author) {
            Ok(true) => return Err(ignore(format!("author {author} is blocked"))),
            Ok(false) => {}
            Err(error) => return Err(ignore(format!("store error: {error}"))),
        }
        if origin != Origin::Import
            && record.header().network != self.inner.options.network
            && author != self.inner.school_id
            && !store.is_followed(&author).unwrap_or(false)
        {
            return Err(ignore(format!(
                "network {} is not replicated here and its author is not followed",
                record.header().network
            )));
        }
        match store.contains(&record.id()) {
            Ok(true) => Err(ignore("already held".into())),
            Ok(false) => Ok(record),
            Err(error) => Err(ignore(format!("store error: {error}"))),
        }
    }

    fn count_verdicts(&self, reports: &[IngestReport], origin: Origin) {
        let mut verdicts = self.inner.verdicts.lock().ok();
        for report in reports {
            let verdict = match report.verdict {
                Verdict::Accept => "accept",
                Verdict::Ignore => "ignore",
                Verdict::Reject => "reject",
            };
            self.inner
                .metrics
                .ingested
                .get_or_create(&IngestLabels {
                    kind: report.kind.map_or("unknown", Kind::as_str).into(),
                    verdict: verdict.into(),
                    origin: origin.as_str().into(),
                })
                .inc();
            if origin != Origin::Import
                && let Some(verdicts) = verdicts.as_mut()
            {
                match report.verdict {
                    Verdict::Accept => verdicts.accepted += 1,
                    Verdict::Ignore => verdicts.ignored += 1,
                    Verdict::Reject => verdicts.rejected += 1,
                }
            }
        }
    }
}
