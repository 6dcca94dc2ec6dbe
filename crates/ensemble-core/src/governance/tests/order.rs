//! Signed records through the envelope check, and the same answers whatever the order
//! the records arrive in.

use super::super::testing::*;
use super::super::*;
use super::{derive, founding, status};
use crate::held::testing::permutations;

#[test]
fn signed_records_feed_the_rules_and_envelopes_are_checked() {
    use crate::body::key_rotation_body;
    use crate::{Draft, Kind, LogPosition, SchoolKey, sign};

    let founder = SchoolKey::from_seed([FOUNDER; 32]);
    let school = SchoolKey::from_seed([SCHOOL; 32]);
    let signed = |key: &SchoolKey, kind: Kind, body: Vec<u8>, at: u64| {
        let draft = Draft {
            network: NETWORK.to_string(),
            kind,
            doc: None,
            body,
        };
        let position = LogPosition {
            seq: 1,
            backlink: None,
        };
        match sign(key, draft, position, at) {
            Ok(record) => record,
            Err(error) => panic!("{kind}: {error}"),
        }
    };
    let charter_body = serde_json::json!({
        "network": NETWORK,
        "name": {"ru": "Сеть школ Республики Татарстан"},
        "policy": "members",
        "registrars": [founder.school_id().to_string()],
    });
    let charter = signed(
        &founder,
        Kind::NetworkCharter,
        charter_body.to_string().into_bytes(),
        day(0),
    );
    let rotated = signed(
        &school,
        Kind::KeyRotation,
        key_rotation_body(&school, &SchoolKey::from_seed([SCHOOL_B; 32])),
        day(3),
    );
    let records: Vec<GovernanceRecord> = [&charter, &rotated]
        .into_iter()
        .filter_map(GovernanceRecord::from_verified)
        .collect();
    assert_eq!(records.len(), 2);
    let governance = Governance::derive(Some(charter.id()), &records);
    assert_eq!(governance.current_key(key(SCHOOL)), key(SCHOOL_B));
    assert!(governance.is_registrar(key(FOUNDER), day(1)));

    let envelope = |record: &crate::VerifiedRecord| match record.body() {
        Some(body) => check_envelope(record.header(), body),
        None => Ok(()),
    };
    assert_eq!(envelope(&charter), Ok(()));
    assert_eq!(envelope(&rotated), Ok(()));
    // The same rotation body, signed by a third key.
    let relayed = signed(
        &SchoolKey::from_seed([STRANGER; 32]),
        Kind::KeyRotation,
        key_rotation_body(&school, &SchoolKey::from_seed([SCHOOL_B; 32])),
        day(3),
    );
    assert_eq!(
        envelope(&relayed),
        Err(EnvelopeError::RotationNotByOldKey {
            author: key(STRANGER),
            from: key(SCHOOL),
        })
    );
    // A first charter that lists its author second.
    let second = serde_json::json!({
        "network": NETWORK,
        "name": {"ru": "Сеть школ"},
        "policy": "members",
        "registrars": [key(STRANGER).to_string(), founder.school_id().to_string()],
    });
    let usurped = signed(
        &founder,
        Kind::NetworkCharter,
        second.to_string().into_bytes(),
        day(0),
    );
    assert_eq!(envelope(&usurped), Err(EnvelopeError::FounderNotFirst));
    // A grant for another network than the header's.
    let elsewhere = serde_json::json!({
        "network": "ru-msk",
        "school": key(SCHOOL).to_string(),
        "role": "school",
        "from": "2026-09-01",
    });
    let misplaced = signed(
        &founder,
        Kind::MembershipGrant,
        elsewhere.to_string().into_bytes(),
        day(1),
    );
    assert!(matches!(
        envelope(&misplaced),
        Err(EnvelopeError::NetworkMismatch { .. })
    ));
    assert_eq!(
        GovernanceRecord::from_verified(&misplaced.without_body()),
        None
    );
}

/// A busy network: charter updates, forged charters and grants, expiring and revoked
/// grants, a rotation chain, a stolen key and a recovery.
fn busy_network() -> (GovernanceRecord, Vec<GovernanceRecord>) {
    let founding = founding();
    let records = vec![
        charter(FOUNDER, Some(founding.id), &[FOUNDER, DEPUTY], day(2)),
        grant(DEPUTY, SCHOOL, "2026-09-01", Some("2027-08-31"), day(3)),
        rotation(SCHOOL, SCHOOL, SCHOOL_B, day(4)),
        revocation(DEPUTY, STRANGER, None, day(6)),
        grant(FOUNDER, STRANGER, "2026-09-01", None, day(6)),
        rotation(SCHOOL_B, SCHOOL_B, THIEF, day(9)),
        revocation(FOUNDER, SCHOOL_B, Some("2026-09-09T00:00:00Z"), day(10)),
        recovery(DEPUTY, RECOVERED, SCHOOL_B, day(10)),
        charter(STRANGER, None, &[STRANGER], day(1)),
        grant(STRANGER, THIEF, "2026-09-01", None, day(9)),
        charter(DEPUTY, Some(founding.id), &[DEPUTY], day(12)),
        grant(FOUNDER, SCHOOL_C, "2026-09-01", None, day(13)),
        grant(DEPUTY, SCHOOL_C, "2026-10-01", Some("2026-10-31"), day(14)),
    ];
    (founding, records)
}

/// Every answer the node may ask for, for the keys and times of the busy network.
fn answers(governance: &Governance, keys: &[(u8, SchoolId)]) -> Vec<String> {
    let times = [
        day(0),
        day(3),
        day(5),
        day(9),
        day(10),
        day(11),
        day(15),
        day(35),
    ];
    let mut out = vec![
        format!("{:?}", governance.charter()),
        format!("{:?}", governance.ignored()),
    ];
    for &(seed, key) in keys {
        out.push(format!(
            "{seed}: school {} current {} keys {:?}",
            governance.school_of(key),
            governance.current_key(key),
            governance.identities().keys_of(key),
        ));
        for at in times {
            out.push(format!(
                "{seed}@{at}: {:?} registrar {} purge {:?}",
                governance.membership(key, at),
                governance.is_registrar(key, at),
                governance.compromised(key, at),
            ));
        }
    }
    out
}

#[test]
fn the_answers_are_the_same_for_every_order_of_the_records() {
    let (founding, records) = busy_network();
    let expected_governance = derive(&founding, &records);
    // Deriving a public key is slow in debug builds: once per seed, not per answer.
    let keys: Vec<(u8, SchoolId)> = [
        FOUNDER, DEPUTY, SCHOOL, SCHOOL_B, SCHOOL_C, STRANGER, RECOVERED, THIEF,
    ]
    .into_iter()
    .map(|seed| (seed, key(seed)))
    .collect();
    let expected = answers(&expected_governance, &keys);
    // The scenario exercises what it should.
    assert_eq!(expected_governance.current_key(key(SCHOOL)), key(RECOVERED));
    assert_eq!(
        status(expected_governance.membership(key(SCHOOL_B), day(9))),
        "member"
    );
    assert_eq!(
        status(expected_governance.membership(key(SCHOOL_B), day(11))),
        "revoked"
    );
    // Granted and revoked in the same millisecond: the revocation wins.
    assert_eq!(
        status(expected_governance.membership(key(STRANGER), day(11))),
        "revoked"
    );
    assert_eq!(
        status(expected_governance.membership(key(SCHOOL_C), day(15))),
        "not-yet-valid"
    );
    assert_eq!(
        status(expected_governance.membership(key(THIEF), day(11))),
        "grant-by-non-registrar"
    );
    assert_eq!(
        expected_governance.ignored().len(),
        4,
        "{:?}",
        expected_governance.ignored()
    );

    let mut all = vec![founding.clone()];
    all.extend(records.iter().cloned());
    // Every permutation of the first seven records (the rest in place).
    let (head, tail) = all.split_at(7);
    let mut head = head.to_vec();
    let mut visited = 0;
    permutations(&mut head, &mut |order| {
        let records: Vec<GovernanceRecord> = order.iter().chain(tail).cloned().collect();
        assert_eq!(
            answers(&Governance::derive(Some(founding.id), &records), &keys),
            expected
        );
        visited += 1;
    });
    assert_eq!(visited, 5040);

    // Seeded shuffles of all of them, repeats included.
    let mut seed: u64 = 0x5eed;
    let mut shuffled = all.clone();
    shuffled.extend(all.iter().take(4).cloned());
    for _ in 0..300 {
        for index in (1..shuffled.len()).rev() {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let other = (seed >> 33) as usize % (index + 1);
            shuffled.swap(index, other);
        }
        assert_eq!(
            answers(&Governance::derive(Some(founding.id), &shuffled), &keys),
            expected
        );
    }
}
