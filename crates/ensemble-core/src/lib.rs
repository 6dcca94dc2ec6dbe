//! Ensemble's core: record types, canonical encoding, signing and verification, ids,
//! body schemas and their validation, vocabularies, and the pure rules built on them
//! (mentoring threads, members-only network governance).
//!
//! This crate does no I/O and knows nothing of tokio, sled, libp2p or HTTP. Everything
//! that enters a node — from gossip, sync, import or the API — is turned into a
//! [`VerifiedRecord`] here first; downstream crates accept nothing else.

pub mod body;
pub mod bundle;
pub mod community;
pub mod events;
pub mod governance;
pub mod held;
pub mod id;
pub mod identity;
pub mod kind;
pub mod limits;
pub mod mentoring;
pub mod record;
pub mod rules;
pub mod sync;
pub mod validation;
pub mod vocab;

pub use id::{IdError, RecordId, SchoolId};
pub use identity::{KeyError, SchoolKey};
pub use kind::{Kind, TopicFamily, topic};
pub use record::{
    Draft, Header, LogPosition, RecordError, SignedRecord, VerifiedRecord, sign, verify_batch,
};
pub use validation::{FieldError, ValidationErrors};

/// The current time as unix milliseconds. The only clock read in core, kept here so
/// callers pass `now` explicitly into everything else.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}
