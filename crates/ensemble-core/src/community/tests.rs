//! Community derivation tests: membership and re-signing, entries by members only,
//! foreign versions, and the same state for every order of the records.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::Kind;
use crate::body::CycleStep;
use crate::body::community::testing::{community, entry, membership};
use crate::body::testing::with;
use crate::held::Held;
use crate::held::testing::{at, held, permutations, record, school};

/// The school that created the community.
const OWNER: u8 = 1;
/// A partner school whose teachers join the network community.
const PARTNER: u8 = 2;
/// A school with no part in the community.
const STRANGER: u8 = 3;

/// Teachers (person seeds).
const FACILITATOR: u8 = 1;
const PARTNER_TEACHER: u8 = 2;
const LEAVER: u8 = 3;
const OUTSIDER: u8 = 9;

/// Record seeds of the community's versions.
const V1: u8 = 10;
const V2: u8 = 11;
const V3: u8 = 12;

const NORMS_A: &str = "Встречаемся по вторникам в 15:30, 60 минут, онлайн.";
const NORMS_B: &str = "Встречаемся по четвергам в 16:00, 90 минут, очно в школе № 5.";

fn version(id: u8, day: u64, norms: &str, step: u8) -> Held {
    let body = with(&community(norms), "/step", json!(step));
    let doc = (id != V1).then_some(V1);
    held(id, doc, OWNER, at(day, 0), Kind::Community, body)
}

fn sign(id: u8, school: u8, person: u8, version: u8, day: u64, status: &str) -> Held {
    let body = membership(record(V1), record(version), person, status);
    held(
        id,
        None,
        school,
        at(day, 30),
        Kind::CommunityMembership,
        body,
    )
}

fn entry_by(id: u8, school: u8, person: Option<u8>, step: u8, day: u64) -> Held {
    let body = entry(record(V1), step, person);
    held(id, None, school, at(day, 45), Kind::CommunityEntry, body)
}

fn derive(records: &[Held]) -> CommunityState {
    match derive_community(record(V1), records) {
        Some(state) => state,
        None => panic!("no community"),
    }
}

fn people(members: &[Member]) -> Vec<(SchoolIdSeed, String)> {
    members
        .iter()
        .map(|member| (member.school.0[0], member.person.to_string()))
        .collect()
}

/// The first byte of a test school id: its seed.
type SchoolIdSeed = u8;

fn person(seed: u8) -> String {
    crate::body::person::testing::person_id(seed)
}

fn rules(state: &CommunityState) -> Vec<(RecordId, &'static str)> {
    state
        .refused
        .iter()
        .map(|refusal| (refusal.record, refusal.rule))
        .collect()
}

/// A busy community: three versions (the third changes the agreement), a foreign
/// version, joins, a leave, a re-signature, a pending signature and entries by members,
/// former members, outsiders and nobody.
fn busy() -> Vec<Held> {
    vec![
        version(V1, 0, NORMS_A, 1),
        version(V2, 1, NORMS_A, 3),
        version(V3, 10, NORMS_B, 4),
        held(
            13,
            Some(V1),
            STRANGER,
            at(11, 0),
            Kind::Community,
            community(NORMS_B),
        ),
        sign(20, OWNER, FACILITATOR, V1, 0, "joined"),
        sign(21, PARTNER, PARTNER_TEACHER, V2, 2, "joined"),
        sign(22, OWNER, FACILITATOR, V3, 10, "joined"),
        sign(23, PARTNER, LEAVER, V1, 3, "joined"),
        sign(24, PARTNER, LEAVER, V1, 5, "left"),
        sign(25, PARTNER, OUTSIDER, 99, 4, "joined"),
        entry_by(30, PARTNER, Some(PARTNER_TEACHER), 1, 4),
        entry_by(31, PARTNER, Some(PARTNER_TEACHER), 4, 11),
        entry_by(32, OWNER, Some(FACILITATOR), 2, 11),
        entry_by(33, OWNER, None, 2, 6),
        entry_by(34, PARTNER, Some(LEAVER), 3, 6),
        entry_by(35, STRANGER, Some(OUTSIDER), 1, 4),
    ]
}

#[test]
fn rule_codes_are_unique_and_reasons_are_sentences() {
    let codes: BTreeSet<&str> = Rule::ALL.iter().map(|rule| rule.as_str()).collect();
    assert_eq!(codes.len(), Rule::ALL.len());
    for rule in Rule::ALL {
        assert!(!rule.reason().is_empty());
        assert_eq!(
            serde_json::to_string(&rule).unwrap_or_default(),
            format!("\"{rule}\"")
        );
    }
}

#[test]
fn no_first_version_no_community() {
    let records = vec![version(V2, 1, NORMS_A, 3)];
    assert_eq!(derive_community(record(V1), &records), None);
    assert_eq!(derive_community(record(V1), &[]), None);
}

#[test]
fn the_busy_community() {
    let state = derive(&busy());
    assert_eq!(state.author, school(OWNER));
    assert_eq!(state.current, record(V3));
    assert_eq!(state.versions, 3);
    assert_eq!(state.step, Some(CycleStep::Outcomes));
    assert_eq!(state.agreement_since, record(V3));
    assert!(state.agreement_changed);
    assert_eq!(people(&state.members), vec![(OWNER, person(FACILITATOR))]);
    assert_eq!(
        people(&state.to_resign),
        vec![(PARTNER, person(PARTNER_TEACHER))]
    );
    assert_eq!(state.to_resign[0].signed, record(V2));
    assert_eq!(state.pending, vec![record(25)]);
    assert_eq!(
        state.entries.get(&CycleStep::Goals),
        Some(&vec![record(30)])
    );
    assert_eq!(
        state.entries.get(&CycleStep::Method),
        Some(&vec![record(32)])
    );
    assert_eq!(state.entries.len(), 2);
    assert_eq!(
        rules(&state),
        vec![
            (record(35), "not-a-member"),
            (record(33), "entry-without-person"),
            (record(34), "not-a-member"),
            (record(13), "not-community-author"),
            (record(31), "not-a-member"),
        ]
    );
}

#[test]
fn a_version_that_keeps_the_agreement_needs_no_new_signature() {
    let records = vec![
        version(V1, 0, NORMS_A, 1),
        sign(20, PARTNER, PARTNER_TEACHER, V1, 0, "joined"),
        version(V2, 1, NORMS_A, 5),
        entry_by(30, PARTNER, Some(PARTNER_TEACHER), 5, 2),
    ];
    let state = derive(&records);
    assert_eq!(state.current, record(V2));
    assert_eq!(state.agreement_since, record(V1));
    assert!(!state.agreement_changed);
    assert_eq!(
        people(&state.members),
        vec![(PARTNER, person(PARTNER_TEACHER))]
    );
    assert!(state.to_resign.is_empty() && state.refused.is_empty());
    assert!(state.is_member(
        school(PARTNER),
        &person(PARTNER_TEACHER).parse().unwrap_or_else(|_| panic!())
    ));
}

#[test]
fn re_signing_after_an_agreement_change_restores_membership_from_then_on() {
    let mut records = busy();
    // The partner teacher signs the new agreement on day 12: the day-11 entry stays
    // refused (made while they had not signed), a day-13 entry counts.
    records.push(sign(26, PARTNER, PARTNER_TEACHER, V3, 12, "joined"));
    records.push(entry_by(36, PARTNER, Some(PARTNER_TEACHER), 4, 13));
    let state = derive(&records);
    assert_eq!(
        people(&state.members),
        vec![
            (OWNER, person(FACILITATOR)),
            (PARTNER, person(PARTNER_TEACHER))
        ]
    );
    assert!(state.to_resign.is_empty());
    assert_eq!(
        state.entries.get(&CycleStep::Outcomes),
        Some(&vec![record(36)])
    );
    assert!(rules(&state).contains(&(record(31), "not-a-member")));
    // Signing an older version again does not count as signing the agreement in force.
    let mut stale = busy();
    stale.push(sign(26, PARTNER, PARTNER_TEACHER, V2, 12, "joined"));
    let state = derive(&stale);
    assert_eq!(
        people(&state.to_resign),
        vec![(PARTNER, person(PARTNER_TEACHER))]
    );
}

#[test]
fn a_person_is_a_member_of_their_own_school_only() {
    // The same person id signed by one school and writing through another is two
    // different people: the second has no signature.
    let records = vec![
        version(V1, 0, NORMS_A, 1),
        sign(20, PARTNER, PARTNER_TEACHER, V1, 0, "joined"),
        entry_by(30, STRANGER, Some(PARTNER_TEACHER), 1, 1),
    ];
    let state = derive(&records);
    assert_eq!(rules(&state), vec![(record(30), "not-a-member")]);
}

#[test]
fn an_entry_is_judged_by_its_latest_version_and_filed_by_its_first() {
    let mut records = busy();
    // Entry 34 (by the teacher who left) is rewritten by a member of the same school.
    let rewritten = entry(record(V1), 3, Some(PARTNER_TEACHER));
    records.push(held(
        37,
        Some(34),
        PARTNER,
        at(7, 0),
        Kind::CommunityEntry,
        rewritten,
    ));
    let state = derive(&records);
    assert_eq!(state.entries.get(&CycleStep::Plan), Some(&vec![record(34)]));
    assert!(!rules(&state).iter().any(|(id, _)| *id == record(34)));
}

fn shuffled(records: &[Held], seed: &mut u64) -> Vec<Held> {
    let mut records = records.to_vec();
    for index in (1..records.len()).rev() {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let other = (*seed >> 33) as usize % (index + 1);
        records.swap(index, other);
    }
    records
}

#[test]
fn the_state_is_the_same_for_every_order_of_the_records() {
    let records = busy();
    let expected = derive(&records);
    let (head, tail) = records.split_at(7);
    let mut head = head.to_vec();
    let mut visited = 0;
    permutations(&mut head, &mut |order| {
        let all: Vec<Held> = order.iter().chain(tail).cloned().collect();
        assert_eq!(derive(&all), expected);
        visited += 1;
    });
    assert_eq!(visited, 5040);
    let mut seed: u64 = 0x5eed;
    let mut doubled = records.clone();
    doubled.extend(records.iter().take(4).cloned());
    for _ in 0..300 {
        assert_eq!(derive(&shuffled(&doubled, &mut seed)), expected);
    }
}

#[test]
fn unrelated_records_are_ignored() {
    let other_community: Value = community(NORMS_A);
    let mut records = busy();
    records.push(held(
        40,
        None,
        STRANGER,
        at(0, 0),
        Kind::Community,
        other_community,
    ));
    let elsewhere = membership(record(40), record(40), PARTNER_TEACHER, "left");
    records.push(held(
        41,
        None,
        PARTNER,
        at(20, 0),
        Kind::CommunityMembership,
        elsewhere,
    ));
    assert_eq!(derive(&records), derive(&busy()));
}
