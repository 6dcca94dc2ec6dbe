//! JSON shapes of the API, shared by the server and the typed client.

use std::collections::BTreeMap;

use ensemble_core::VerifiedRecord;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/practices` and friends: what was written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Published {
    /// The new record's id.
    pub id: String,
    /// Its document id.
    pub doc: String,
    /// Its seq in the school's log.
    pub seq: u64,
}

impl From<&VerifiedRecord> for Published {
    fn from(record: &VerifiedRecord) -> Self {
        Published {
            id: record.id().to_string(),
            doc: record.doc().to_string(),
            seq: record.seq(),
        }
    }
}

/// A record as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordView {
    /// Record id.
    pub id: String,
    /// Author school id.
    pub author: String,
    /// Kind name.
    pub kind: String,
    /// Seq in the author's log.
    pub seq: u64,
    /// Document id.
    pub doc: String,
    /// Unix ms.
    pub created_at: u64,
    /// Network id.
    pub network: String,
    /// Previous record of the author.
    pub backlink: Option<String>,
    /// Always true: only verified records are stored.
    pub verified: bool,
    /// The document was retracted by its author (body purged).
    pub retracted: bool,
    /// Title in Russian if present, else any language.
    pub title: Option<String>,
    /// The body, `null` when purged.
    pub body: Option<serde_json::Value>,
}

impl RecordView {
    /// Builds the view of a held record.
    pub fn new(record: &VerifiedRecord, retracted: bool) -> RecordView {
        let header = record.header();
        RecordView {
            id: record.id().to_string(),
            author: record.author().to_string(),
            kind: record.kind().as_str().to_string(),
            seq: record.seq(),
            doc: record.doc().to_string(),
            created_at: header.created_at,
            network: header.network.clone(),
            backlink: header.backlink.map(|id| id.to_string()),
            verified: true,
            retracted,
            title: record
                .body()
                .and_then(|body| body.title())
                .and_then(|title| title.best("ru").map(str::to_string)),
            body: record
                .body_bytes()
                .and_then(|bytes| serde_json::from_slice(bytes).ok()),
        }
    }
}

/// A page of records.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordPage {
    /// The records, newest first.
    pub records: Vec<RecordView>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// `DELETE /api/v1/practices/{doc}` body (optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RetractRequest {
    /// Why, shown to other schools.
    pub reason: Option<String>,
}

/// Blocks, follows: a target in a request body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    /// A school id or peer id.
    pub target: String,
}

/// Whether a change was made (false: it already was so).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Changed {
    /// True when state changed.
    pub changed: bool,
}

/// A blocklist entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlockView {
    /// `school` or `peer`.
    pub kind: String,
    /// The id.
    pub id: String,
}

/// A followed school.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FollowView {
    /// School id.
    pub school_id: String,
    /// Name, when its profile is held.
    pub name: Option<String>,
    /// Records of it held.
    pub records: u64,
}

/// `POST /api/v1/sync` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncNowRequest {
    /// One peer, or every connected peer when absent.
    pub peer: Option<String>,
}

/// Health.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Records held by kind.
    pub records: BTreeMap<String, u64>,
}
