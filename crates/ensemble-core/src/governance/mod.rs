//! The pure rules of members-only networks: which charter is in force, who is a member
//! when, and which keys are one school.
//!
//! Every node runs [`Governance::derive`] over the governance records it holds
//! (`network_charter`, `membership_grant`, `membership_revocation`, `key_rotation`) and
//! the charter id it pinned, and gets the same answers whatever order the records came
//! in: every decision is taken in (created_at, record id) order, and repeats count once.
//! Nothing here does I/O or reads a clock; callers pass the time they ask about.
//!
//! What this module does not do: fetch records, decide gossip verdicts, purge bodies or
//! count metrics. It answers; the node acts ([`Membership`], [`Governance::compromised`],
//! [`Governance::ignored`] with [`IgnoredReason::as_str`] for metrics labels).
//! [`check_envelope`] is the one rule that needs the header; the ingest path calls it.
//!
//! Code map: `charter` finds the effective charter from the pinned one; `membership`
//! indexes registrars' grants and revocations and answers "is K a member at T";
//! `identity` links keys into schools through rotations and recoveries. This file holds
//! the input and output types and ties the three together. `docs/governance.md` explains
//! the trust model and every tie-break.

mod charter;
mod identity;
mod membership;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

pub use charter::{Charter, CharterError, CharterVersion};
pub use identity::{Identities, Link, LinkKind};
pub use membership::{Membership, NotMemberReason};

use std::collections::BTreeSet;

use serde::Serialize;

use crate::body::{Body, KeyRotation, MembershipGrant, MembershipRevocation, NetworkCharter};
use crate::{Header, RecordId, SchoolId, VerifiedRecord};
use membership::{Grant, Registry, Revocation};

/// One governance record, as the rules need it: who signed it, when, and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct GovernanceRecord {
    /// The record id.
    pub id: RecordId,
    /// Its document id (its own id on a first version).
    pub doc: RecordId,
    /// The signing key (header author).
    pub author: SchoolId,
    /// The header's created_at, unix ms.
    pub created_at: u64,
    /// The typed body.
    pub body: GovernanceBody,
}

/// The body of a governance record.
#[derive(Debug, Clone, PartialEq)]
pub enum GovernanceBody {
    /// `network_charter`
    Charter(NetworkCharter),
    /// `membership_grant`
    Grant(MembershipGrant),
    /// `membership_revocation`
    Revocation(MembershipRevocation),
    /// `key_rotation`
    Rotation(KeyRotation),
}

impl GovernanceRecord {
    /// The governance record in `record`; `None` for other kinds and purged bodies.
    pub fn from_verified(record: &VerifiedRecord) -> Option<GovernanceRecord> {
        let body = match record.body()? {
            Body::NetworkCharter(charter) => GovernanceBody::Charter(charter.clone()),
            Body::MembershipGrant(grant) => GovernanceBody::Grant(grant.clone()),
            Body::MembershipRevocation(revocation) => {
                GovernanceBody::Revocation(revocation.clone())
            }
            Body::KeyRotation(rotation) => GovernanceBody::Rotation(rotation.clone()),
            _ => return None,
        };
        Some(GovernanceRecord {
            id: record.id(),
            doc: record.doc(),
            author: record.author(),
            created_at: record.header().created_at,
            body,
        })
    }

    /// The order every decision is taken in.
    fn order(&self) -> (u64, RecordId) {
        (self.created_at, self.id)
    }
}

/// A governance record that does not count, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ignored {
    /// The record.
    pub record: RecordId,
    /// Why it does not count.
    pub reason: IgnoredReason,
}

/// Why a governance record does not count. [`IgnoredReason::as_str`] is a stable code,
/// fit for a metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgnoredReason {
    /// `foreign-charter`: a charter for our network id under another document than the
    /// pinned one — an attempt to take the network over, or a stale fork.
    ForeignCharter,
    /// `charter-not-by-registrar`: a version of the pinned charter signed by a key that
    /// was not a registrar of the version it would supersede.
    CharterNotByRegistrar,
    /// `charter-network-changed`: a version that names another network id.
    CharterNetworkChanged,
    /// `charter-predates-pin`: a version dated before the pinned first version.
    CharterPredatesPin,
    /// `grant-not-by-registrar`: a grant whose signer was not a registrar at its time.
    GrantNotByRegistrar,
    /// `revocation-not-by-registrar`: a revocation whose signer was not a registrar at
    /// its time.
    RevocationNotByRegistrar,
    /// `rotation-not-by-old-key`: a rotation whose record the old key did not sign.
    RotationNotByOldKey,
    /// `rotation-bad-signature`: the new key's signature does not hold.
    RotationBadSignature,
    /// `rotation-by-revoked-key`: the old key was revoked or compromised by then.
    RotationByRevokedKey,
    /// `key-already-rotated`: the old key had rotated before (the first rotation wins).
    KeyAlreadyRotated,
    /// `key-already-bound`: the new key already belongs to a chain.
    KeyAlreadyBound,
}

impl IgnoredReason {
    /// Every reason.
    pub const ALL: [IgnoredReason; 11] = [
        IgnoredReason::ForeignCharter,
        IgnoredReason::CharterNotByRegistrar,
        IgnoredReason::CharterNetworkChanged,
        IgnoredReason::CharterPredatesPin,
        IgnoredReason::GrantNotByRegistrar,
        IgnoredReason::RevocationNotByRegistrar,
        IgnoredReason::RotationNotByOldKey,
        IgnoredReason::RotationBadSignature,
        IgnoredReason::RotationByRevokedKey,
        IgnoredReason::KeyAlreadyRotated,
        IgnoredReason::KeyAlreadyBound,
    ];

    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoredReason::ForeignCharter => "foreign-charter",
            IgnoredReason::CharterNotByRegistrar => "charter-not-by-registrar",
            IgnoredReason::CharterNetworkChanged => "charter-network-changed",
            IgnoredReason::CharterPredatesPin => "charter-predates-pin",
            IgnoredReason::GrantNotByRegistrar => "grant-not-by-registrar",
            IgnoredReason::RevocationNotByRegistrar => "revocation-not-by-registrar",
            IgnoredReason::RotationNotByOldKey => "rotation-not-by-old-key",
            IgnoredReason::RotationBadSignature => "rotation-bad-signature",
            IgnoredReason::RotationByRevokedKey => "rotation-by-revoked-key",
            IgnoredReason::KeyAlreadyRotated => "key-already-rotated",
            IgnoredReason::KeyAlreadyBound => "key-already-bound",
        }
    }
}

/// A governance record whose header contradicts its body: invalid for every node
/// (gossip `Reject`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The body names another network than the header.
    #[error("the body names network {body:?} but the record is published in {header:?}")]
    NetworkMismatch {
        /// The header's network.
        header: String,
        /// The body's network.
        body: String,
    },
    /// A charter's first version that does not list its author first.
    #[error("a charter's first version must list its author first among the registrars")]
    FounderNotFirst,
    /// A key rotation not signed by the old key.
    #[error("a key rotation must be signed by the old key {from}, not {author}")]
    RotationNotByOldKey {
        /// The header's author.
        author: SchoolId,
        /// The body's `from`.
        from: SchoolId,
    },
}

/// The rules that tie a governance body to its header: the body's network is the
/// header's; a charter's first version (no `doc`) lists its author first among the
/// registrars; a key rotation is signed by its `from` key. `Ok` for other kinds.
pub fn check_envelope(header: &Header, body: &Body) -> Result<(), EnvelopeError> {
    let network = match body {
        Body::NetworkCharter(charter) => Some(&charter.network),
        Body::MembershipGrant(grant) => Some(&grant.network),
        Body::MembershipRevocation(revocation) => Some(&revocation.network),
        _ => None,
    };
    if let Some(network) = network
        && *network != header.network
    {
        return Err(EnvelopeError::NetworkMismatch {
            header: header.network.clone(),
            body: network.clone(),
        });
    }
    match body {
        Body::NetworkCharter(charter)
            if header.doc.is_none() && charter.registrars.first() != Some(&header.author) =>
        {
            Err(EnvelopeError::FounderNotFirst)
        }
        Body::KeyRotation(rotation) if rotation.from != header.author => {
            Err(EnvelopeError::RotationNotByOldKey {
                author: header.author,
                from: rotation.from,
            })
        }
        _ => Ok(()),
    }
}

/// Everything a node needs to judge one network's records, derived from its governance
/// records. Build it with [`Governance::derive`]; it is a value, cheap to ask.
#[derive(Debug, Clone, PartialEq)]
pub struct Governance {
    /// `None` for an open network with no pinned charter.
    charter: Option<Result<Charter, CharterError>>,
    registry: Registry,
    identities: Identities,
    ignored: Vec<Ignored>,
}

impl Governance {
    /// Derives the state of the network whose charter `pinned` names (`None`: an open
    /// network without charter, today's default) from `records`, in any order,
    /// repeats allowed. Records of other networks are left aside.
    pub fn derive(pinned: Option<RecordId>, records: &[GovernanceRecord]) -> Governance {
        let mut sorted: Vec<&GovernanceRecord> = records.iter().collect();
        sorted.sort_by_key(|record| record.order());
        sorted.dedup_by_key(|record| record.id);
        let sorted: Vec<GovernanceRecord> = sorted.into_iter().cloned().collect();
        let mut ignored = Vec::new();
        let charter =
            pinned.map(|pinned| charter::effective_charter(pinned, &sorted, &mut ignored));
        let registry = match &charter {
            Some(Ok(charter)) => registry(charter, &sorted, &mut ignored),
            _ => Registry::default(),
        };
        let candidates = identity_candidates(&sorted, charter.as_ref(), &registry);
        let identities = identity::derive(
            &candidates,
            &|key, at_ms| registry.revoked_at(key, at_ms),
            &mut ignored,
        );
        // One report per record, in record order, whichever rule found it first.
        ignored.sort_by_key(|ignored| ignored.record);
        ignored.dedup_by_key(|ignored| ignored.record);
        Governance {
            charter,
            registry,
            identities,
            ignored,
        }
    }

    /// The effective charter: `None` for an open network without one; an error when the
    /// pinned charter is not held yet or is not a valid first version.
    pub fn charter(&self) -> Option<Result<&Charter, CharterError>> {
        self.charter
            .as_ref()
            .map(|charter| charter.as_ref().map_err(|error| *error))
    }

    /// Whether key `key` may write into the network at `at_ms`, and if not, why. The
    /// whole rule set is in [`membership`](self::membership)'s module docs.
    pub fn membership(&self, key: SchoolId, at_ms: u64) -> Membership {
        match &self.charter {
            None => Membership::Open,
            Some(Err(CharterError::Missing)) => Membership::NotMember {
                reason: NotMemberReason::CharterMissing,
                record: None,
            },
            Some(Err(_)) => Membership::NotMember {
                reason: NotMemberReason::CharterInvalid,
                record: None,
            },
            Some(Ok(charter)) => {
                membership::membership(charter, &self.registry, &self.identities, key, at_ms)
            }
        }
    }

    /// Whether `key` was a registrar at `at_ms`.
    pub fn is_registrar(&self, key: SchoolId, at_ms: u64) -> bool {
        matches!(&self.charter, Some(Ok(charter)) if charter.is_registrar(key, at_ms))
    }

    /// The revocation under which a record of `key` created at `at_ms` is to be purged
    /// (its `compromised_since` is at or before `at_ms`); `None` when it stands.
    pub fn compromised(&self, key: SchoolId, at_ms: u64) -> Option<RecordId> {
        self.registry.compromised(key, at_ms)
    }

    /// Which keys are one school.
    pub fn identities(&self) -> &Identities {
        &self.identities
    }

    /// The school `key` belongs to, named by its first key.
    pub fn school_of(&self, key: SchoolId) -> SchoolId {
        self.identities.school_of(key)
    }

    /// The key the school of `key` signs with now.
    pub fn current_key(&self, key: SchoolId) -> SchoolId {
        self.identities.current_key(key)
    }

    /// The governance records that do not count, by record id.
    pub fn ignored(&self) -> &[Ignored] {
        &self.ignored
    }
}

/// Indexes the grants and revocations of `charter`'s network signed by a registrar at
/// their time; reports the others. A recovery grant also revokes the key it recovers.
fn registry(
    charter: &Charter,
    sorted: &[GovernanceRecord],
    ignored: &mut Vec<Ignored>,
) -> Registry {
    let mut registry = Registry::default();
    let network = charter.network();
    for record in sorted {
        let by_registrar = charter.is_registrar(record.author, record.created_at);
        match &record.body {
            GovernanceBody::Grant(grant) if grant.network == network => {
                if !by_registrar {
                    registry
                        .foreign_grants
                        .entry(grant.school)
                        .or_insert(record.id);
                    ignored.push(Ignored {
                        record: record.id,
                        reason: IgnoredReason::GrantNotByRegistrar,
                    });
                    continue;
                }
                registry
                    .grants
                    .entry(grant.school)
                    .or_default()
                    .push(Grant {
                        record: record.id,
                        created_at: record.created_at,
                        school: grant.school,
                        role: grant.role,
                        from: grant.from,
                        until: grant.until,
                    });
                if let Some(old) = grant.recovers {
                    registry
                        .revocations
                        .entry(old)
                        .or_default()
                        .push(Revocation {
                            record: record.id,
                            created_at: record.created_at,
                            compromised_since: None,
                        });
                }
            }
            GovernanceBody::Revocation(revocation) if revocation.network == network => {
                if !by_registrar {
                    ignored.push(Ignored {
                        record: record.id,
                        reason: IgnoredReason::RevocationNotByRegistrar,
                    });
                    continue;
                }
                registry
                    .revocations
                    .entry(revocation.school)
                    .or_default()
                    .push(Revocation {
                        record: record.id,
                        created_at: record.created_at,
                        compromised_since: revocation
                            .compromised_since
                            .as_ref()
                            .map(|since| since.unix_ms()),
                    });
            }
            _ => {}
        }
    }
    registry
}

/// The rotations (every one: identity spans networks) and the registrars' recoveries
/// of this network, in record order.
fn identity_candidates<'a>(
    sorted: &'a [GovernanceRecord],
    charter: Option<&Result<Charter, CharterError>>,
    registry: &Registry,
) -> Vec<identity::Candidate<'a>> {
    let registrar_grants: BTreeSet<RecordId> = registry
        .grants
        .values()
        .flatten()
        .map(|grant| grant.record)
        .collect();
    let network = match charter {
        Some(Ok(charter)) => Some(charter.network()),
        _ => None,
    };
    sorted
        .iter()
        .filter_map(|record| match &record.body {
            GovernanceBody::Rotation(rotation) => Some(identity::Candidate::Rotation {
                record: record.id,
                author: record.author,
                created_at: record.created_at,
                rotation,
            }),
            GovernanceBody::Grant(grant)
                if Some(grant.network.as_str()) == network
                    && registrar_grants.contains(&record.id) =>
            {
                grant.recovers.map(|old| identity::Candidate::Recovery {
                    record: record.id,
                    created_at: record.created_at,
                    old,
                    new: grant.school,
                })
            }
            _ => None,
        })
        .collect()
}
