//! "Is key K a member of network N at time T": grants and revocations signed by
//! registrars, read through the school identities of [`super::identity`].
//!
//! The rules, in full (`docs/governance.md` gives the why):
//!
//! - a grant or revocation counts only if its signer was a registrar of the charter in
//!   force at its `created_at`, and it names the charter's network;
//! - a grant covers the UTC days `from..=until` (open-ended without `until`);
//! - a grant carries over along rotations: a key holds the grants of every key it
//!   rotated from (up to the last recovery, whose grant is the new key's own);
//! - a revocation of key Q at time r cuts, for records created at or after r, every
//!   grant created at or before r (equal times: the revocation wins) that Q holds —
//!   its own and those it passes on by rotation. One exception keeps an honest
//!   successor: a revocation with `compromised_since` after Q's rotation out does not
//!   cut the key Q rotated to, since that rotation predates the compromise;
//! - a recovery revokes the recovered key from the recovery grant's `created_at` on;
//! - records of a key created at or after a `compromised_since` are to be purged.
//!
//! When no grant covers T, the answer names why, from the latest registrar grant signed
//! by T (or the latest of all when none was): revoked, not yet valid or expired; else a
//! grant by a non-registrar; else no grant at all. When several grants cover T, the
//! most recently created one answers (its role, its id).

use std::collections::BTreeMap;

use serde::Serialize;

use super::charter::Charter;
use super::identity::{Identities, LinkKind};
use crate::body::{Date, MemberRole, utc_date};
use crate::{RecordId, SchoolId};

/// The answer to "is this key a member at this time".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Membership {
    /// The network is open (no charter, or its policy is `open`): everyone may write.
    Open,
    /// A registrar's grant covers the key.
    Member {
        /// The role granted.
        role: MemberRole,
        /// The grant that covers it (the most recently created, if several do).
        grant: RecordId,
        /// The key the grant names: the key asked about, or a key it rotated from.
        granted_to: SchoolId,
    },
    /// Not a member, and why.
    NotMember {
        /// Why.
        reason: NotMemberReason,
        /// The record behind the reason (the grant or the revocation), when there is one.
        record: Option<RecordId>,
    },
}

impl Membership {
    /// Whether the key may write: open network or member.
    pub fn allows(&self) -> bool {
        !matches!(self, Membership::NotMember { .. })
    }
}

/// Why a key is not a member. [`NotMemberReason::as_str`] is a stable code, fit for a
/// metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotMemberReason {
    /// `charter-missing`: the pinned charter is not held yet; judge again after sync.
    CharterMissing,
    /// `charter-invalid`: the pinned record is not a valid first charter version.
    CharterInvalid,
    /// `no-grant`: no grant names this key or a key it rotated from.
    NoGrant,
    /// `grant-by-non-registrar`: grants exist, but none signed by a registrar.
    GrantByNonRegistrar,
    /// `not-yet-valid`: the latest grant starts after the record's day.
    NotYetValid,
    /// `expired`: the latest grant ended before the record's day.
    Expired,
    /// `revoked`: the latest grant was cut by a revocation (or a recovery).
    Revoked,
}

impl NotMemberReason {
    /// Every reason.
    pub const ALL: [NotMemberReason; 7] = [
        NotMemberReason::CharterMissing,
        NotMemberReason::CharterInvalid,
        NotMemberReason::NoGrant,
        NotMemberReason::GrantByNonRegistrar,
        NotMemberReason::NotYetValid,
        NotMemberReason::Expired,
        NotMemberReason::Revoked,
    ];

    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            NotMemberReason::CharterMissing => "charter-missing",
            NotMemberReason::CharterInvalid => "charter-invalid",
            NotMemberReason::NoGrant => "no-grant",
            NotMemberReason::GrantByNonRegistrar => "grant-by-non-registrar",
            NotMemberReason::NotYetValid => "not-yet-valid",
            NotMemberReason::Expired => "expired",
            NotMemberReason::Revoked => "revoked",
        }
    }
}

/// A grant signed by a registrar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Grant {
    pub(super) record: RecordId,
    pub(super) created_at: u64,
    pub(super) school: SchoolId,
    pub(super) role: MemberRole,
    pub(super) from: Date,
    pub(super) until: Option<Date>,
}

/// A revocation signed by a registrar, or the revocation a recovery implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Revocation {
    pub(super) record: RecordId,
    pub(super) created_at: u64,
    pub(super) compromised_since: Option<u64>,
}

/// The grants and revocations of one network that registrars signed, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Registry {
    /// Key → its registrar grants, in (created_at, id) order.
    pub(super) grants: BTreeMap<SchoolId, Vec<Grant>>,
    /// Key → the revocations naming it.
    pub(super) revocations: BTreeMap<SchoolId, Vec<Revocation>>,
    /// Key → the first grant naming it that a non-registrar signed.
    pub(super) foreign_grants: BTreeMap<SchoolId, RecordId>,
}

impl Registry {
    /// Whether `key` was revoked, or compromised, at or before `at_ms`: it may no
    /// longer hand its identity on by rotation.
    pub(super) fn revoked_at(&self, key: SchoolId, at_ms: u64) -> bool {
        self.revocations.get(&key).is_some_and(|revocations| {
            revocations.iter().any(|revocation| {
                revocation.created_at <= at_ms
                    || revocation
                        .compromised_since
                        .is_some_and(|since| since <= at_ms)
            })
        })
    }

    /// The revocation marking `key`'s records created at `at_ms` for purging.
    pub(super) fn compromised(&self, key: SchoolId, at_ms: u64) -> Option<RecordId> {
        self.revocations
            .get(&key)?
            .iter()
            .filter(|revocation| {
                revocation
                    .compromised_since
                    .is_some_and(|since| since <= at_ms)
            })
            .map(|revocation| revocation.record)
            .min()
    }
}

/// One key of a carry chain: a key and when it rotated toward the key asked about.
struct ChainKey {
    key: SchoolId,
    /// When this key rotated to the next key down the chain; `None` for the key asked
    /// about.
    rotated_out_at: Option<u64>,
}

/// How one grant stands at the time asked about.
enum Standing {
    Covers,
    Cut(RecordId),
    NotYetValid,
    Expired,
}

/// The membership of `key` at `at_ms` under `charter`.
pub(super) fn membership(
    charter: &Charter,
    registry: &Registry,
    identities: &Identities,
    key: SchoolId,
    at_ms: u64,
) -> Membership {
    if charter.policy_at(at_ms) == crate::body::NetworkPolicy::Open {
        return Membership::Open;
    }
    let chain = carry_chain(identities, key);
    let day = utc_date(at_ms);
    let mut covering: Option<(&Grant, SchoolId)> = None;
    let mut latest: Option<(&Grant, Standing)> = None;
    for (position, holder) in chain.iter().enumerate() {
        let Some(grants) = registry.grants.get(&holder.key) else {
            continue;
        };
        // The keys a grant to `holder` passes through on its way to `key`.
        let path = &chain[..=position];
        for grant in grants {
            let standing = standing(grant, path, registry, day, at_ms);
            if matches!(standing, Standing::Covers)
                && covering.is_none_or(|(best, _)| order(grant) > order(best))
            {
                covering = Some((grant, holder.key));
            }
            if latest
                .as_ref()
                .is_none_or(|(best, _)| said_by(grant, at_ms) > said_by(best, at_ms))
            {
                latest = Some((grant, standing));
            }
        }
    }
    if let Some((grant, granted_to)) = covering {
        return Membership::Member {
            role: grant.role,
            grant: grant.record,
            granted_to,
        };
    }
    let (reason, record) = match latest {
        Some((_, Standing::Cut(revocation))) => (NotMemberReason::Revoked, Some(revocation)),
        Some((grant, Standing::NotYetValid)) => (NotMemberReason::NotYetValid, Some(grant.record)),
        // `Covers` cannot be the latest here (it would have set `covering`); reading it as
        // expired keeps the match total without a panic.
        Some((grant, Standing::Expired | Standing::Covers)) => {
            (NotMemberReason::Expired, Some(grant.record))
        }
        None => match chain
            .iter()
            .find_map(|holder| registry.foreign_grants.get(&holder.key))
        {
            Some(foreign) => (NotMemberReason::GrantByNonRegistrar, Some(*foreign)),
            None => (NotMemberReason::NoGrant, None),
        },
    };
    Membership::NotMember { reason, record }
}

/// `key` and the keys it rotated from, nearest first, up to (and including) the key a
/// recovery created or the school's first key.
fn carry_chain(identities: &Identities, key: SchoolId) -> Vec<ChainKey> {
    let mut chain = vec![ChainKey {
        key,
        rotated_out_at: None,
    }];
    let mut at = key;
    while let Some(link) = identities.link(at) {
        // Grants stop at a recovery: the recovery grant is the new key's own. A chain
        // never revisits a key (links are acyclic), and the `any` guard keeps a bug from
        // becoming a hang.
        if link.kind == LinkKind::Recovery || chain.iter().any(|held| held.key == link.previous) {
            break;
        }
        chain.push(ChainKey {
            key: link.previous,
            rotated_out_at: Some(link.created_at),
        });
        at = link.previous;
    }
    chain
}

/// How `grant` stands at `at_ms` (UTC day `day`) for the last key of `path`, the keys
/// from the asked-about key (first) up to the grant's holder (last).
fn standing(
    grant: &Grant,
    path: &[ChainKey],
    registry: &Registry,
    day: Option<Date>,
    at_ms: u64,
) -> Standing {
    for holder in path {
        let Some(revocations) = registry.revocations.get(&holder.key) else {
            continue;
        };
        for revocation in revocations {
            let in_force =
                grant.created_at <= revocation.created_at && revocation.created_at <= at_ms;
            // A compromise that began after this key rotated out leaves its successor
            // honest: the rotation was made while only the school held the key.
            let spares_successor = match (holder.rotated_out_at, revocation.compromised_since) {
                (Some(rotated), Some(since)) => rotated < since,
                _ => false,
            };
            if in_force && !spares_successor {
                return Standing::Cut(revocation.record);
            }
        }
    }
    match day {
        Some(day) if day < grant.from => Standing::NotYetValid,
        Some(day) if grant.until.is_none_or(|until| day <= until) => Standing::Covers,
        // Past year 9999 every grant with an end has ended; one without never does.
        None if grant.until.is_none() => Standing::Covers,
        _ => Standing::Expired,
    }
}

fn order(grant: &Grant) -> (u64, RecordId) {
    (grant.created_at, grant.record)
}

/// Which grant explains a refusal at `at_ms`: the latest of those the registrars had
/// signed by then, else the latest of all (a grant signed later may still cover it).
fn said_by(grant: &Grant, at_ms: u64) -> (bool, u64, RecordId) {
    (grant.created_at <= at_ms, grant.created_at, grant.record)
}
