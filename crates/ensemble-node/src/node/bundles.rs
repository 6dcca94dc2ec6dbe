//! Export and import of verifiable bundles: every record of the store out, and a
//! bundle in through the same ingest path as gossip and sync, each bad record named.

use ensemble_core::bundle;
use ensemble_net::Verdict;
use serde::Serialize;

use super::Node;
use super::ingest::Origin;
use crate::error::NodeError;

/// A result of an import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Records newly stored.
    pub imported: usize,
    /// Records already held.
    pub duplicates: usize,
    /// Records refused, each with its index in the bundle, id if known, and reason.
    pub skipped: Vec<SkippedRecord>,
}

/// One refused record of an import.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedRecord {
    /// Position in the bundle, from 0.
    pub index: usize,
    /// Record id, when it decoded that far.
    pub id: Option<String>,
    /// Why.
    pub reason: String,
}

impl Node {
    /// Every stored record as one bundle.
    pub fn export(&self) -> Result<Vec<u8>, NodeError> {
        let mut out = bundle::new_bundle();
        for record in self.inner.store.iter() {
            bundle::push_record(&mut out, &record?.to_wire());
        }
        Ok(out)
    }

    /// Ingests a bundle, verifying every record: bad ones are named and skipped.
    pub async fn import(&self, bundle_bytes: &[u8]) -> Result<ImportReport, NodeError> {
        let wires: Vec<Vec<u8>> = bundle::split(bundle_bytes)
            .map_err(|error| NodeError::BadRequest(error.to_string()))?
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        let reports = self.ingest(wires, Origin::Import).await;
        let mut report = ImportReport {
            imported: 0,
            duplicates: 0,
            skipped: Vec::new(),
        };
        for (index, outcome) in reports.into_iter().enumerate() {
            match (outcome.verdict, outcome.stored) {
                (Verdict::Accept, _) => report.imported += 1,
                (Verdict::Ignore, false) if outcome.reason.as_deref() == Some("already held") => {
                    report.duplicates += 1
                }
                _ => report.skipped.push(SkippedRecord {
                    index,
                    id: outcome.id.map(|id| id.to_string()),
                    reason: outcome.reason.unwrap_or_else(|| "refused".into()),
                }),
            }
        }
        Ok(report)
    }
}
