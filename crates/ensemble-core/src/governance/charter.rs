//! The effective charter of a network: the pinned first version and every later version
//! signed by a registrar of the version it supersedes.
//!
//! A node trusts only the charter its invite (or `network create`) pinned, by the first
//! version's record id. A charter for the same network id under any other document is
//! somebody else's claim to the name and is ignored (and reported, so the node can count
//! it). Versions are taken in (created_at, id) order, so the outcome does not depend on
//! the order records arrived in.

use super::{GovernanceBody, GovernanceRecord, Ignored, IgnoredReason};
use crate::body::{NetworkCharter, NetworkPolicy};
use crate::{RecordId, SchoolId};

/// A network's charter history as this node accepts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Charter {
    /// The pinned first version's record id (the charter's doc id).
    pub pinned: RecordId,
    /// The accepted versions, oldest first; the first is the pinned one, never empty.
    pub versions: Vec<CharterVersion>,
}

/// One accepted version of a charter.
#[derive(Debug, Clone, PartialEq)]
pub struct CharterVersion {
    /// Its record id.
    pub record: RecordId,
    /// Who signed it: the founder for the first version, a registrar of the version it
    /// superseded for later ones.
    pub author: SchoolId,
    /// When it was signed (unix ms); it is in force from then on.
    pub created_at: u64,
    /// Its body.
    pub body: NetworkCharter,
}

/// Why there is no charter to judge a members-only network by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CharterError {
    /// The pinned record is not held yet: judge later, after sync (gossip `Ignore`).
    #[error("the pinned charter is not held yet")]
    Missing,
    /// The pinned record is not a network charter.
    #[error("the pinned record is not a network charter")]
    NotACharter,
    /// The pinned record is a later version of some document, not a first version.
    #[error("the pinned record is not a charter's first version")]
    NotAFirstVersion,
    /// The pinned charter does not list its own author first among the registrars.
    #[error("the pinned charter does not list its author first among the registrars")]
    FounderNotFirst,
}

impl Charter {
    /// The version in force now: the latest accepted.
    pub fn current(&self) -> &CharterVersion {
        // `versions` is never empty: `effective_charter` starts it with the pinned one.
        let last = self.versions.len().saturating_sub(1);
        &self.versions[last]
    }

    /// The network id.
    pub fn network(&self) -> &str {
        &self.current().body.network
    }

    /// The version in force at `at_ms`: the latest signed at or before it; `None` before
    /// the charter existed.
    pub fn version_at(&self, at_ms: u64) -> Option<&CharterVersion> {
        self.versions
            .iter()
            .rev()
            .find(|version| version.created_at <= at_ms)
    }

    /// Whether `key` was a registrar at `at_ms`. Nobody was before the first version.
    pub fn is_registrar(&self, key: SchoolId, at_ms: u64) -> bool {
        self.version_at(at_ms)
            .is_some_and(|version| version.body.registrars.contains(&key))
    }

    /// The policy at `at_ms`; before the first version, the first version's (records
    /// older than the charter are judged by the rule the network was founded with).
    pub fn policy_at(&self, at_ms: u64) -> NetworkPolicy {
        self.version_at(at_ms)
            .unwrap_or(&self.versions[0])
            .body
            .policy
    }
}

/// The effective charter pinned by `pinned`, from `records` sorted by (created_at, id)
/// without repeats. Every charter record that does not count and claims the pinned
/// network's id is pushed onto `ignored`.
pub(super) fn effective_charter(
    pinned: RecordId,
    records: &[GovernanceRecord],
    ignored: &mut Vec<Ignored>,
) -> Result<Charter, CharterError> {
    let first = records
        .iter()
        .find(|record| record.id == pinned)
        .ok_or(CharterError::Missing)?;
    let GovernanceBody::Charter(first_body) = &first.body else {
        return Err(CharterError::NotACharter);
    };
    if first.doc != first.id {
        return Err(CharterError::NotAFirstVersion);
    }
    if first_body.registrars.first() != Some(&first.author) {
        return Err(CharterError::FounderNotFirst);
    }
    let network = first_body.network.clone();
    let mut versions = vec![version(first, first_body)];
    for record in records {
        let GovernanceBody::Charter(body) = &record.body else {
            continue;
        };
        if record.id == pinned {
            continue;
        }
        let reason = if record.doc != pinned {
            // Another document: someone else's charter. Only a claim on our network id
            // is worth reporting; charters of other networks are none of our business.
            if body.network != network {
                continue;
            }
            IgnoredReason::ForeignCharter
        } else if record.order() < first.order() {
            IgnoredReason::CharterPredatesPin
        } else if body.network != network {
            IgnoredReason::CharterNetworkChanged
        } else {
            // Records are in order, so the last accepted version is the one superseded.
            let by_registrar = versions
                .last()
                .is_some_and(|superseded| superseded.body.registrars.contains(&record.author));
            if by_registrar {
                versions.push(version(record, body));
                continue;
            }
            IgnoredReason::CharterNotByRegistrar
        };
        ignored.push(Ignored {
            record: record.id,
            reason,
        });
    }
    Ok(Charter { pinned, versions })
}

fn version(record: &GovernanceRecord, body: &NetworkCharter) -> CharterVersion {
    CharterVersion {
        record: record.id,
        author: record.author,
        created_at: record.created_at,
        body: body.clone(),
    }
}
