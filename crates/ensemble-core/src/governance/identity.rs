//! A school's identity across keys: which keys are one school, and which key is that
//! school now, from `key_rotation` chains (A → B → C) and registrars' recoveries.
//!
//! A school is named by its first key (its original school id), so the UI, search
//! facets, mentoring threads and "applied in N schools" can count old and new keys as
//! one school. Links are applied in (created_at, id) order, so every node that holds the
//! same records draws the same links whatever order they arrived in:
//!
//! - a rotation links `from` → `to` when its record is signed by `from`, the new key's
//!   signature holds, `from` was not revoked (nor compromised) at the rotation's
//!   created_at, `from` has not rotated before (the first rotation of a key wins), and
//!   `to` is not yet part of any link;
//! - a recovery (a registrar's grant with `recovers`) links the old key → the new key
//!   when the new key is not yet part of any link; it need not come from the current
//!   key, because the current key may be the one that was lost or stolen.
//!
//! The current key of a school moves with a rotation from the current key, and with
//! every recovery; a rotation from a stale key (one a recovery replaced) links the key
//! to the school but does not make it current.

use std::collections::BTreeMap;

use super::{Ignored, IgnoredReason};
use crate::body::KeyRotation;
use crate::{RecordId, SchoolId};

/// How a key came to succeed another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// A `key_rotation` signed by both keys. Grants carry over along it.
    Rotation,
    /// A registrar's `membership_grant` with `recovers`. Grants do not carry over: the
    /// recovery grant is the new key's own.
    Recovery,
}

/// The link from a key to the key it succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The key succeeded.
    pub previous: SchoolId,
    /// Rotation or recovery.
    pub kind: LinkKind,
    /// The rotation or recovery grant record.
    pub record: RecordId,
    /// When it was signed (unix ms).
    pub created_at: u64,
}

/// Which keys are one school. Keys no link mentions are schools of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identities {
    /// Key → the link to the key it succeeded.
    previous: BTreeMap<SchoolId, Link>,
    /// Key → the key it rotated to (first rotation only).
    rotated_to: BTreeMap<SchoolId, SchoolId>,
    /// School (first key) → its keys in the order they joined, first key first.
    keys: BTreeMap<SchoolId, Vec<SchoolId>>,
    /// School (first key) → its current key.
    current: BTreeMap<SchoolId, SchoolId>,
}

/// A rotation or recovery to consider, in (created_at, id) order.
pub(super) enum Candidate<'a> {
    /// A `key_rotation` record and its author.
    Rotation {
        /// The record id.
        record: RecordId,
        /// The header's author.
        author: SchoolId,
        /// The header's created_at.
        created_at: u64,
        /// The body.
        rotation: &'a KeyRotation,
    },
    /// A recovery grant already found signed by a registrar.
    Recovery {
        /// The grant record id.
        record: RecordId,
        /// The grant's created_at.
        created_at: u64,
        /// The key recovered (`recovers`).
        old: SchoolId,
        /// The new key (`school`).
        new: SchoolId,
    },
}

impl Identities {
    /// The school `key` belongs to: the first key of its chain, or `key` itself.
    pub fn school_of(&self, key: SchoolId) -> SchoolId {
        let mut school = key;
        // Links never form a cycle (a linked key is never linked again), so this walk
        // ends; the bound only guards against a bug becoming a hang.
        for _ in 0..=self.previous.len() {
            match self.previous.get(&school) {
                Some(link) => school = link.previous,
                None => break,
            }
        }
        school
    }

    /// The key school `school` (any of its keys) signs with now.
    pub fn current_key(&self, school: SchoolId) -> SchoolId {
        let first = self.school_of(school);
        self.current.get(&first).copied().unwrap_or(first)
    }

    /// Every key of the school `school` (any of its keys), first key first.
    pub fn keys_of(&self, school: SchoolId) -> Vec<SchoolId> {
        let first = self.school_of(school);
        self.keys
            .get(&first)
            .cloned()
            .unwrap_or_else(|| vec![first])
    }

    /// The link from `key` to the key it succeeded, if any.
    pub fn link(&self, key: SchoolId) -> Option<&Link> {
        self.previous.get(&key)
    }

    /// Whether a link names `key` already, on either side.
    fn is_linked(&self, key: SchoolId) -> bool {
        self.previous.contains_key(&key) || self.keys.contains_key(&key)
    }

    fn add(&mut self, new: SchoolId, link: Link, becomes_current: bool) {
        let school = self.school_of(link.previous);
        self.previous.insert(new, link);
        self.keys
            .entry(school)
            .or_insert_with(|| vec![school])
            .push(new);
        if becomes_current {
            self.current.insert(school, new);
        }
    }
}

/// Draws the links from `candidates` (in (created_at, id) order). `revoked(key, at)` says
/// whether `key` was revoked or compromised at or before `at` in this network; ignored
/// rotations and recoveries are pushed onto `ignored`.
pub(super) fn derive(
    candidates: &[Candidate<'_>],
    revoked: &dyn Fn(SchoolId, u64) -> bool,
    ignored: &mut Vec<Ignored>,
) -> Identities {
    let mut identities = Identities::default();
    for candidate in candidates {
        match *candidate {
            Candidate::Rotation {
                record,
                author,
                created_at,
                rotation,
            } => {
                let refusal = if author != rotation.from {
                    Some(IgnoredReason::RotationNotByOldKey)
                } else if rotation.verify().is_err() {
                    Some(IgnoredReason::RotationBadSignature)
                } else if revoked(rotation.from, created_at) {
                    Some(IgnoredReason::RotationByRevokedKey)
                } else if identities.rotated_to.contains_key(&rotation.from) {
                    Some(IgnoredReason::KeyAlreadyRotated)
                } else if identities.is_linked(rotation.to) {
                    Some(IgnoredReason::KeyAlreadyBound)
                } else {
                    None
                };
                if let Some(reason) = refusal {
                    ignored.push(Ignored { record, reason });
                    continue;
                }
                let becomes_current = identities.current_key(rotation.from) == rotation.from;
                identities.rotated_to.insert(rotation.from, rotation.to);
                identities.add(
                    rotation.to,
                    Link {
                        previous: rotation.from,
                        kind: LinkKind::Rotation,
                        record,
                        created_at,
                    },
                    becomes_current,
                );
            }
            Candidate::Recovery {
                record,
                created_at,
                old,
                new,
            } => {
                if identities.is_linked(new) {
                    ignored.push(Ignored {
                        record,
                        reason: IgnoredReason::KeyAlreadyBound,
                    });
                    continue;
                }
                identities.add(
                    new,
                    Link {
                        previous: old,
                        kind: LinkKind::Recovery,
                        record,
                        created_at,
                    },
                    true,
                );
            }
        }
    }
    identities
}
