//! [`derive_community`]: one community's state from the records a node holds.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Rule;
use crate::body::{
    Body, Community, CommunityMembership, CycleStep, MembershipStatus, PersonId, PersonRole,
};
use crate::held::{Held, OrderKey};
use crate::mentoring::Refusal;
use crate::{RecordId, SchoolId};

/// A community as every node derives it. Ids of the community and entries are doc ids;
/// versions are record ids.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommunityState {
    /// The community's doc id.
    pub community: RecordId,
    /// The school that created it; only its versions count.
    pub author: SchoolId,
    /// The current version's record id: the latest (created_at, id) by the author.
    pub current: RecordId,
    /// The current version's body.
    pub body: Community,
    /// How many versions by the author are held.
    pub versions: usize,
    /// The version from which the current agreement text has been in force; signatures
    /// of this version or any later one count.
    pub agreement_since: RecordId,
    /// Whether the agreement in force differs from the first version's: members who
    /// signed before [`CommunityState::agreement_since`] must sign again.
    pub agreement_changed: bool,
    /// The step of the design cycle the current version names.
    pub step: Option<CycleStep>,
    /// People whose latest membership is `joined` with a signature of the agreement in
    /// force, by (school, person).
    pub members: Vec<Member>,
    /// People whose latest membership is `joined` but signed an older agreement.
    pub to_resign: Vec<Member>,
    /// Counted entries (doc ids) by step, each step's oldest first.
    pub entries: BTreeMap<CycleStep, Vec<RecordId>>,
    /// Memberships naming a version this node does not hold (yet): neither counted nor
    /// refused.
    pub pending: Vec<RecordId>,
    /// Records that broke a rule, oldest first.
    pub refused: Vec<Refusal>,
}

/// A person who signed the community's agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// Their school: the author of their membership record.
    pub school: SchoolId,
    /// Their id within the school.
    pub person: PersonId,
    /// Their name, from their latest membership.
    pub name: String,
    /// Their role, from their latest membership.
    pub role: PersonRole,
    /// The community version whose agreement they signed last.
    pub signed: RecordId,
    /// When they signed it (unix ms).
    pub since: u64,
}

impl CommunityState {
    /// Whether `person` of `school` is a member under the agreement in force.
    pub fn is_member(&self, school: SchoolId, person: &PersonId) -> bool {
        self.members
            .iter()
            .any(|member| member.school == school && &member.person == person)
    }
}

/// Derives the state of community `community` (its doc id) from `held`, in any order.
/// `None` when the community's first version is not among them: without it nobody can
/// tell which school owns the community.
///
/// The rules, each refusal naming its [`Rule`]:
/// - Versions are the `community` records of this doc by the first version's author;
///   another school's are `not-community-author`. The current version is the latest.
/// - The agreement in force is the current version's; it has been in force since the
///   earliest version of the latest run of versions carrying the same agreement text.
///   A change anywhere in the agreement starts a new run: everyone signs again.
/// - A person is (school of the membership record, `by.person`); their latest
///   membership (by (created_at, id)) decides. `joined` with a version of the run in
///   force makes a member, `joined` with an earlier version someone to re-sign, `left`
///   neither. A membership naming a version not held is pending.
/// - An entry is counted (its latest version) when its `by` names a person who, at the
///   entry's time, was a member under the agreement in force at that time; otherwise
///   `entry-without-person` or `not-a-member`.
pub fn derive_community(community: RecordId, held: &[Held]) -> Option<CommunityState> {
    let first = held
        .iter()
        .find(|record| record.id == community && matches!(record.body, Body::Community(_)))?;
    let author = first.author;
    let mut refused: Vec<(OrderKey, Refusal)> = Vec::new();

    let versions = Versions::new(community, author, held, &mut refused);
    let current = versions.current();
    let Body::Community(body) = &current.body else {
        return None;
    };
    let memberships = Memberships::new(&versions, held);
    let current_run = versions.run_at(current.key());
    let mut members = Vec::new();
    let mut to_resign = Vec::new();
    for (person, records) in &memberships.by_person {
        let Some((record, signature, run)) = records.last() else {
            continue;
        };
        if signature.status != MembershipStatus::Joined {
            continue;
        }
        let member = Member {
            school: person.0,
            person: person.1.clone(),
            name: signature.by.name.clone(),
            role: signature.by.role,
            signed: signature.agreement_version,
            since: record.created_at,
        };
        if Some(*run) == current_run {
            members.push(member);
        } else {
            to_resign.push(member);
        }
    }

    let mut entries: BTreeMap<CycleStep, Vec<(OrderKey, RecordId)>> = BTreeMap::new();
    for entry in latest_entries(community, &versions, held) {
        let Body::CommunityEntry(body) = &entry.latest.body else {
            continue;
        };
        let Some(by) = &body.by else {
            refused.push((entry.first, Rule::EntryWithoutPerson.refuse(entry.doc)));
            continue;
        };
        let key = entry.latest.key();
        let person = (entry.latest.author, by.person.clone());
        if !memberships.member_at(&person, key, versions.run_at(key)) {
            refused.push((entry.first, Rule::NotAMember.refuse(entry.doc)));
            continue;
        }
        entries
            .entry(body.step)
            .or_default()
            .push((entry.first, entry.doc));
    }

    refused.sort_by_key(|(key, _)| *key);
    let first_version = versions.list.first().map(|version| version.id);
    let agreement_since = versions.run_start(current_run).unwrap_or(current.id);
    Some(CommunityState {
        community,
        author,
        current: current.id,
        body: body.clone(),
        versions: versions.list.len(),
        agreement_since,
        agreement_changed: Some(agreement_since) != first_version,
        step: body.step,
        members,
        to_resign,
        entries: entries
            .into_iter()
            .map(|(step, mut docs)| {
                docs.sort();
                (step, docs.into_iter().map(|(_, doc)| doc).collect())
            })
            .collect(),
        pending: memberships.pending.into_iter().map(|(_, id)| id).collect(),
        refused: refused.into_iter().map(|(_, refusal)| refusal).collect(),
    })
}

/// A person across the network: (their school, their id within it).
type PersonKey = (SchoolId, PersonId);

/// The community's versions by its author, oldest first, each with its agreement run.
struct Versions<'a> {
    /// Sorted by key, no duplicates; never empty (the first version is in it).
    list: Vec<&'a Held>,
    /// The agreement run of each version, parallel to `list`.
    runs: Vec<usize>,
    /// Record id → agreement run.
    run_of: BTreeMap<RecordId, usize>,
}

impl<'a> Versions<'a> {
    fn new(
        community: RecordId,
        author: SchoolId,
        held: &'a [Held],
        refused: &mut Vec<(OrderKey, Refusal)>,
    ) -> Versions<'a> {
        let mut list: Vec<&Held> = Vec::new();
        let mut foreign: BTreeSet<(OrderKey, RecordId)> = BTreeSet::new();
        for record in held {
            if record.doc != community || !matches!(record.body, Body::Community(_)) {
                continue;
            }
            if record.author == author {
                list.push(record);
            } else {
                foreign.insert((record.key(), record.id));
            }
        }
        list.sort_by_key(|record| record.key());
        list.dedup_by_key(|record| record.id);
        for (key, id) in foreign {
            refused.push((key, Rule::NotCommunityAuthor.refuse(id)));
        }
        let mut runs = Vec::with_capacity(list.len());
        let mut previous: Option<&Community> = None;
        for record in &list {
            let Body::Community(body) = &record.body else {
                continue;
            };
            let run = match (previous, runs.last()) {
                (Some(before), Some(&run)) if before.agreement == body.agreement => run,
                (Some(_), Some(&run)) => run + 1,
                _ => 0,
            };
            runs.push(run);
            previous = Some(body);
        }
        let run_of = list
            .iter()
            .zip(&runs)
            .map(|(record, run)| (record.id, *run))
            .collect();
        Versions { list, runs, run_of }
    }

    fn current(&self) -> &'a Held {
        // `list` holds at least the first version, which `derive_community` found.
        self.list[self.list.len() - 1]
    }

    /// The agreement run in force at `key`: that of the latest version made no later;
    /// `None` before the first version.
    fn run_at(&self, key: OrderKey) -> Option<usize> {
        let made = self.list.partition_point(|version| version.key() <= key);
        made.checked_sub(1).map(|index| self.runs[index])
    }

    /// The first version of agreement run `run`.
    fn run_start(&self, run: Option<usize>) -> Option<RecordId> {
        let run = run?;
        let index = self.runs.iter().position(|candidate| *candidate == run)?;
        Some(self.list[index].id)
    }
}

/// The memberships of a community, by person, oldest first.
struct Memberships<'a> {
    /// Each person's signatures with the agreement run of the version signed.
    by_person: BTreeMap<PersonKey, Vec<(&'a Held, &'a CommunityMembership, usize)>>,
    /// Memberships naming a version not held: (key, record id), oldest first.
    pending: BTreeSet<(OrderKey, RecordId)>,
}

impl<'a> Memberships<'a> {
    fn new(versions: &Versions<'a>, held: &'a [Held]) -> Memberships<'a> {
        let community = versions.current().doc;
        let mut by_person: BTreeMap<PersonKey, Vec<(&Held, &CommunityMembership, usize)>> =
            BTreeMap::new();
        let mut pending = BTreeSet::new();
        for record in held {
            let Body::CommunityMembership(membership) = &record.body else {
                continue;
            };
            if !names_community(membership.community, community, versions) {
                continue;
            }
            let Some(&run) = versions.run_of.get(&membership.agreement_version) else {
                pending.insert((record.key(), record.id));
                continue;
            };
            by_person
                .entry((record.author, membership.by.person.clone()))
                .or_default()
                .push((record, membership, run));
        }
        for records in by_person.values_mut() {
            records.sort_by_key(|(record, _, _)| record.key());
            records.dedup_by_key(|(record, _, _)| record.id);
        }
        Memberships { by_person, pending }
    }

    /// Whether `person`'s latest membership made no later than `key` is `joined` with
    /// a signature of agreement run `run`.
    fn member_at(&self, person: &PersonKey, key: OrderKey, run: Option<usize>) -> bool {
        let Some(records) = self.by_person.get(person) else {
            return false;
        };
        let made = records.partition_point(|(record, _, _)| record.key() <= key);
        let Some((_, membership, signed_run)) = made.checked_sub(1).map(|index| &records[index])
        else {
            return false;
        };
        membership.status == MembershipStatus::Joined && Some(*signed_run) == run
    }
}

/// Whether `reference` names the community: its doc id or one of its versions.
fn names_community(reference: RecordId, community: RecordId, versions: &Versions) -> bool {
    reference == community || versions.run_of.contains_key(&reference)
}

/// One entry document: its latest version, placed in time by its first.
struct EntryDoc<'a> {
    doc: RecordId,
    first: OrderKey,
    latest: &'a Held,
}

/// The entries naming the community, one per (author, doc), oldest first.
fn latest_entries<'a>(
    community: RecordId,
    versions: &Versions<'a>,
    held: &'a [Held],
) -> Vec<EntryDoc<'a>> {
    let mut docs: BTreeMap<(SchoolId, RecordId), EntryDoc<'a>> = BTreeMap::new();
    for record in held {
        let Body::CommunityEntry(entry) = &record.body else {
            continue;
        };
        if !names_community(entry.community, community, versions) {
            continue;
        }
        let key = record.key();
        let doc = docs.entry((record.author, record.doc)).or_insert(EntryDoc {
            doc: record.doc,
            first: key,
            latest: record,
        });
        doc.first = doc.first.min(key);
        if key > doc.latest.key() {
            doc.latest = record;
        }
    }
    let mut list: Vec<EntryDoc<'a>> = docs.into_values().collect();
    list.sort_by_key(|doc| (doc.first, doc.doc));
    list
}
