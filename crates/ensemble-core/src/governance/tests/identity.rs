//! School identity across keys: rotation chains, rotations that do not count, recovery.

use super::super::testing::*;
use super::super::*;
use super::{derive, founding, ignored, status};
use crate::body::MemberRole;

#[test]
fn rotation_chains_make_one_school_and_carry_its_grant() {
    let founding = founding();
    let granted = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1));
    let to_b = rotation(SCHOOL, SCHOOL, SCHOOL_B, day(10));
    let to_c = rotation(SCHOOL_B, SCHOOL_B, SCHOOL_C, day(20));
    let governance = derive(&founding, &[granted.clone(), to_c.clone(), to_b.clone()]);
    for seed in [SCHOOL, SCHOOL_B, SCHOOL_C] {
        assert_eq!(governance.school_of(key(seed)), key(SCHOOL), "{seed}");
        assert_eq!(governance.current_key(key(seed)), key(SCHOOL_C), "{seed}");
    }
    assert_eq!(
        governance.identities().keys_of(key(SCHOOL_B)),
        vec![key(SCHOOL), key(SCHOOL_B), key(SCHOOL_C)]
    );
    assert_eq!(
        governance
            .identities()
            .link(key(SCHOOL_C))
            .map(|link| (link.previous, link.kind)),
        Some((key(SCHOOL_B), LinkKind::Rotation))
    );
    assert_eq!(
        governance.membership(key(SCHOOL_C), day(25)),
        Membership::Member {
            role: MemberRole::School,
            grant: granted.id,
            granted_to: key(SCHOOL),
        }
    );
    assert_eq!(governance.school_of(key(STRANGER)), key(STRANGER));
    assert_eq!(governance.current_key(key(STRANGER)), key(STRANGER));
    assert!(
        governance.ignored().is_empty(),
        "{:?}",
        governance.ignored()
    );
    // Identity holds in an open network too: it spans networks.
    let open = Governance::derive(None, &[to_b, to_c]);
    assert_eq!(open.current_key(key(SCHOOL)), key(SCHOOL_C));
}

#[test]
fn rotations_that_do_not_count() {
    let founding = founding();
    let granted = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1));
    let first = rotation(SCHOOL, SCHOOL, SCHOOL_B, day(10));
    // The same old key again: the first rotation wins.
    let second = rotation(SCHOOL, SCHOOL, SCHOOL_C, day(11));
    // Signed by someone else than the old key.
    let not_old = rotation(STRANGER, STRANGER_FROM, THIEF, day(12));
    // Onto a key that already belongs to a school.
    let bound = rotation(STRANGER, STRANGER, SCHOOL_B, day(13));
    let governance = derive(
        &founding,
        &[
            granted,
            first,
            second.clone(),
            not_old.clone(),
            bound.clone(),
        ],
    );
    assert_eq!(ignored(&governance, &second), Some("key-already-rotated"));
    assert_eq!(
        ignored(&governance, &not_old),
        Some("rotation-not-by-old-key")
    );
    assert_eq!(ignored(&governance, &bound), Some("key-already-bound"));
    assert_eq!(governance.current_key(key(SCHOOL)), key(SCHOOL_B));
    assert_eq!(governance.school_of(key(SCHOOL_C)), key(SCHOOL_C));
    assert_eq!(
        status(governance.membership(key(SCHOOL_C), day(15))),
        "no-grant"
    );
}

/// The key [`rotations_that_do_not_count`] claims a rotation from without holding it.
const STRANGER_FROM: u8 = 9;

#[test]
fn a_rotation_signed_by_a_revoked_key_does_not_count() {
    let founding = founding();
    let granted = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1));
    let revoked = revocation(FOUNDER, SCHOOL, None, day(10));
    let after = rotation(SCHOOL, SCHOOL, SCHOOL_B, day(11));
    let governance = derive(
        &founding,
        &[granted.clone(), revoked.clone(), after.clone()],
    );
    assert_eq!(
        ignored(&governance, &after),
        Some("rotation-by-revoked-key")
    );
    assert_eq!(governance.school_of(key(SCHOOL_B)), key(SCHOOL_B));
    assert_eq!(
        status(governance.membership(key(SCHOOL_B), day(12))),
        "no-grant"
    );

    // Rotated before the revocation: the rotation counts, but revoking the key the grant
    // named still cuts the school, whatever key it moved to (no escape by rotating).
    let before = rotation(SCHOOL, SCHOOL, SCHOOL_B, day(5));
    let governance = derive(&founding, &[granted.clone(), revoked, before.clone()]);
    assert_eq!(governance.school_of(key(SCHOOL_B)), key(SCHOOL));
    assert_eq!(
        status(governance.membership(key(SCHOOL_B), day(8))),
        "member"
    );
    assert_eq!(
        status(governance.membership(key(SCHOOL_B), day(12))),
        "revoked"
    );

    // The old key leaked after the school had rotated: the successor stays a member.
    let leaked = revocation(FOUNDER, SCHOOL, Some("2026-09-08T00:00:00Z"), day(10));
    let governance = derive(&founding, &[granted, before, leaked.clone()]);
    assert_eq!(
        status(governance.membership(key(SCHOOL_B), day(12))),
        "member"
    );
    assert_eq!(
        status(governance.membership(key(SCHOOL), day(12))),
        "revoked"
    );
    assert_eq!(governance.compromised(key(SCHOOL), day(8)), Some(leaked.id));
    assert_eq!(governance.compromised(key(SCHOOL), day(6)), None);
    assert_eq!(governance.compromised(key(SCHOOL_B), day(12)), None);
}

#[test]
fn recovery_binds_a_new_key_to_the_school_and_revokes_the_old_one() {
    let founding = founding();
    let granted = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1));
    // The thief, holding the stolen key since day 7, rotates it to a key of their own…
    let stolen = rotation(SCHOOL, SCHOOL, THIEF, day(8));
    // …the registrar marks the key compromised since day 7 and recovers the school.
    let compromised = revocation(FOUNDER, SCHOOL, Some("2026-09-08T00:00:00Z"), day(9));
    let recovered = recovery(FOUNDER, RECOVERED, SCHOOL, day(9) + 1);
    let governance = derive(
        &founding,
        &[
            granted,
            stolen.clone(),
            compromised.clone(),
            recovered.clone(),
        ],
    );
    assert_eq!(governance.school_of(key(RECOVERED)), key(SCHOOL));
    assert_eq!(governance.current_key(key(SCHOOL)), key(RECOVERED));
    assert_eq!(
        governance
            .identities()
            .link(key(RECOVERED))
            .map(|link| link.kind),
        Some(LinkKind::Recovery)
    );
    assert_eq!(
        ignored(&governance, &stolen),
        Some("rotation-by-revoked-key")
    );
    assert_eq!(governance.school_of(key(THIEF)), key(THIEF));
    assert_eq!(
        status(governance.membership(key(THIEF), day(10))),
        "no-grant"
    );
    assert_eq!(
        governance.membership(key(RECOVERED), day(10)),
        Membership::Member {
            role: MemberRole::Mentor,
            grant: recovered.id,
            granted_to: key(RECOVERED),
        }
    );
    assert_eq!(status(governance.membership(key(SCHOOL), day(5))), "member");
    assert_eq!(
        status(governance.membership(key(SCHOOL), day(10))),
        "revoked"
    );
    assert_eq!(
        governance.compromised(key(SCHOOL), day(8)),
        Some(compromised.id)
    );

    // A recovery alone (the key was lost, not stolen) revokes the old key from its time.
    let lost = recovery(FOUNDER, RECOVERED, SCHOOL, day(20));
    let granted = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1));
    let governance = derive(&founding, &[granted, lost.clone()]);
    assert_eq!(
        status(governance.membership(key(SCHOOL), day(19))),
        "member"
    );
    assert_eq!(
        governance.membership(key(SCHOOL), day(20)),
        Membership::NotMember {
            reason: NotMemberReason::Revoked,
            record: Some(lost.id),
        }
    );
    assert_eq!(governance.compromised(key(SCHOOL), day(25)), None);
    // By a non-registrar, a recovery binds nothing.
    let forged = recovery(STRANGER, THIEF, SCHOOL, day(20));
    let governance = derive(&founding, std::slice::from_ref(&forged));
    assert_eq!(governance.school_of(key(THIEF)), key(THIEF));
    assert_eq!(
        ignored(&governance, &forged),
        Some("grant-not-by-registrar")
    );
}

#[test]
fn a_rotation_from_a_replaced_key_joins_the_school_but_does_not_take_it_over() {
    let founding = founding();
    let granted = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1));
    let rotated = rotation(SCHOOL, SCHOOL, SCHOOL_B, day(5));
    // The registrar recovers the school from its first key; the B branch is stale.
    let recovered = recovery(FOUNDER, RECOVERED, SCHOOL, day(10));
    let stale = rotation(SCHOOL_B, SCHOOL_B, SCHOOL_C, day(12));
    let governance = derive(&founding, &[granted, rotated, recovered, stale]);
    assert_eq!(governance.current_key(key(SCHOOL_C)), key(RECOVERED));
    assert_eq!(governance.school_of(key(SCHOOL_C)), key(SCHOOL));
    // The recovery revoked the first key, and with it the grant B and C carried.
    assert_eq!(
        status(governance.membership(key(SCHOOL_C), day(13))),
        "revoked"
    );
    assert_eq!(
        status(governance.membership(key(RECOVERED), day(13))),
        "member"
    );
}

#[test]
fn governance_records_of_other_networks_are_left_aside() {
    let founding = founding();
    let mut other = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1));
    if let GovernanceBody::Grant(body) = &mut other.body {
        body.network = "ru-msk".to_string();
    }
    let governance = derive(&founding, &[other]);
    assert_eq!(
        status(governance.membership(key(SCHOOL), day(5))),
        "no-grant"
    );
    assert!(governance.ignored().is_empty());
}

#[test]
fn reason_codes_are_distinct() {
    let mut codes: Vec<&str> = NotMemberReason::ALL
        .iter()
        .map(|reason| reason.as_str())
        .collect();
    codes.extend(IgnoredReason::ALL.iter().map(|reason| reason.as_str()));
    let count = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), count);
}
