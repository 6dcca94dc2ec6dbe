//! The Ensemble node: wires the store and the network, runs the single ingest path,
//! the publish path, catch-up sync, and holds the configuration and data directory
//! logic. The HTTP API and the CLI are thin layers over [`Node`].

pub mod config;
pub mod data_dir;
mod error;
mod mentoring;
pub mod metrics;
mod node;
pub mod recovery;
mod rules;
pub mod search;
pub mod seq_mark;
pub mod sync;
pub mod wait;

pub use ensemble_net::{Multiaddr, PeerId, Verdict};
pub use ensemble_store::Block;
pub use ensemble_store::Error as StoreError;
pub use ensemble_store::View as StoreView;
pub use mentoring::{
    AgreementView, FitView, RankedOffer, RankedRequest, ReasonView, RecordRef, RefusedView,
    ReportView, SchoolView, ThreadView,
};
pub use node::{
    ImportReport, IngestReport, Node, NodeError, Origin, PeerView, SkippedRecord, Status,
    StoredEvent, VerdictCounts,
};
pub use sync::SyncStats;

/// The libp2p peer id of a school key (the same key is both identities).
pub fn peer_id_for(key: &ensemble_core::SchoolKey) -> PeerId {
    // `peer_id_of` fails only for 32 bytes that are not an ed25519 point; a school id
    // made from a signing key is always one.
    #[allow(clippy::expect_used)]
    ensemble_net::peer_id_of(&key.school_id()).expect("a signing key's public key is a valid point")
}
