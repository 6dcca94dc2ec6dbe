//! What fit needs to know about every mentor school, read once per call.

use std::collections::{BTreeSet, HashMap};

use ensemble_core::body::{Body, Date, EvidenceLevel, FeedbackKind, SchoolProfile};
use ensemble_core::mentoring::{AgreementState, MentorEvidence};
use ensemble_core::{Kind, RecordId, SchoolId};

use crate::node::{Node, NodeError};

use super::thread::Derived;

/// A school's latest profile.
pub(super) struct ProfileEntry {
    pub(super) doc: RecordId,
    pub(super) updated_at: u64,
    pub(super) profile: SchoolProfile,
}

impl ProfileEntry {
    /// The school's name: Russian when given, else any language.
    pub(super) fn name(&self) -> String {
        self.profile.name.best("ru").unwrap_or_default().to_string()
    }
}

/// What fit needs to know about every mentor school: profiles, practices and active
/// partnerships, read once per call.
pub(super) struct Directory {
    /// The school looking: this node's.
    viewer: SchoolId,
    /// The viewer's partners in any agreement, past or present.
    partners: BTreeSet<SchoolId>,
    pub(super) profiles: HashMap<SchoolId, ProfileEntry>,
    practices: HashMap<SchoolId, Vec<MentorEvidence>>,
    active: HashMap<SchoolId, u32>,
}

impl Directory {
    /// Only the profiles: enough to list schools.
    pub(super) fn profiles_only(node: &Node) -> Result<Directory, NodeError> {
        let mut profiles = HashMap::new();
        // Newest first: the first profile seen of each school is its latest.
        for record in node.store().latest(Kind::SchoolProfile)? {
            if let Some(Body::SchoolProfile(profile)) = record.body() {
                profiles.entry(record.author()).or_insert(ProfileEntry {
                    doc: record.doc(),
                    updated_at: record.header().created_at,
                    profile: profile.clone(),
                });
            }
        }
        Ok(Directory {
            viewer: node.school_id(),
            partners: BTreeSet::new(),
            profiles,
            practices: HashMap::new(),
            active: HashMap::new(),
        })
    }

    /// Profiles, practices and active partnerships of every school, as of `today`.
    pub(super) fn build(node: &Node, today: Date) -> Result<Directory, NodeError> {
        let mut directory = Directory::profiles_only(node)?;
        let store = node.store();

        // Replication reports signed by other schools raise a practice to E4.
        let mut replicated_by: HashMap<RecordId, BTreeSet<SchoolId>> = HashMap::new();
        for record in store.latest(Kind::Feedback)? {
            if let Some(Body::Feedback(feedback)) = record.body()
                && feedback.kind == FeedbackKind::Replication
            {
                replicated_by
                    .entry(feedback.target)
                    .or_default()
                    .insert(record.author());
            }
        }
        for record in store.latest(Kind::Practice)? {
            let Some(Body::Practice(practice)) = record.body() else {
                continue;
            };
            let mut evidence = MentorEvidence::from_practice(record.doc(), practice);
            let replicated_elsewhere = [record.id(), record.doc()]
                .iter()
                .filter_map(|id| replicated_by.get(id))
                .flatten()
                .any(|school| *school != record.author());
            if replicated_elsewhere {
                evidence.level = evidence.level.max(EvidenceLevel::E4);
            }
            directory
                .practices
                .entry(record.author())
                .or_default()
                .push(evidence);
        }

        // Active partnerships: every request some acceptance names, derived.
        let mut requests = BTreeSet::new();
        for record in store.latest(Kind::MentoringAcceptance)? {
            if let Some(Body::MentoringAcceptance(acceptance)) = record.body() {
                requests.insert(node.doc_of(acceptance.request)?);
            }
        }
        for request in requests {
            let Some(derived) = Derived::load(node, request, today)? else {
                continue;
            };
            let Some(agreement) = &derived.thread.agreement else {
                continue;
            };
            if agreement.state == AgreementState::Active {
                *directory.active.entry(agreement.mentor).or_default() += 1;
            }
            if agreement.mentor == directory.viewer {
                directory.partners.insert(agreement.supported);
            } else if agreement.supported == directory.viewer {
                directory.partners.insert(agreement.mentor);
            }
        }
        Ok(directory)
    }

    /// Whether the viewer may see `requester`'s risk profile: its own, a partner's, or
    /// one of a school in the viewer's region (both profiles held).
    pub(super) fn sees_risk_profile(&self, requester: &SchoolId) -> bool {
        let region = |school: &SchoolId| {
            self.profiles
                .get(school)
                .map(|entry| entry.profile.region.as_str())
        };
        *requester == self.viewer
            || self.partners.contains(requester)
            || region(&self.viewer).is_some_and(|mine| region(requester) == Some(mine))
    }

    /// The school's name, when its profile is held.
    pub(super) fn name_of(&self, school: &SchoolId) -> Option<String> {
        self.profiles.get(school).map(ProfileEntry::name)
    }

    /// The school's practices as evidence for fit.
    pub(super) fn practices_of(&self, school: &SchoolId) -> &[MentorEvidence] {
        self.practices.get(school).map_or(&[], Vec::as_slice)
    }

    /// How many active partnerships the school has.
    pub(super) fn active_of(&self, school: &SchoolId) -> u32 {
        self.active.get(school).copied().unwrap_or(0)
    }
}
