//! The governance rules, case by case: charters and membership here, school identity
//! in `identity`, envelopes and the same answers for every order of records in `order`.

mod identity;
mod order;

use super::testing::*;
use super::*;
use crate::body::MemberRole;

/// The founding charter: [`FOUNDER`] alone, members only, on day 0.
pub(super) fn founding() -> GovernanceRecord {
    charter(FOUNDER, None, &[FOUNDER], day(0))
}

/// The network pinned to `pinned`'s id, with `records` (the pinned one included).
pub(super) fn derive(pinned: &GovernanceRecord, records: &[GovernanceRecord]) -> Governance {
    let mut all = vec![pinned.clone()];
    all.extend_from_slice(records);
    Governance::derive(Some(pinned.id), &all)
}

/// The reason code of a refusal, or `"member"` / `"open"`.
pub(super) fn status(membership: Membership) -> &'static str {
    match membership {
        Membership::Open => "open",
        Membership::Member { .. } => "member",
        Membership::NotMember { reason, .. } => reason.as_str(),
    }
}

/// The reason codes of the ignored records, by record.
pub(super) fn ignored(governance: &Governance, record: &GovernanceRecord) -> Option<&'static str> {
    governance
        .ignored()
        .iter()
        .find(|ignored| ignored.record == record.id)
        .map(|ignored| ignored.reason.as_str())
}

#[test]
fn without_a_charter_or_with_an_open_one_everyone_is_a_member() {
    let open = Governance::derive(None, &[grant(STRANGER, SCHOOL, "2030-01-01", None, day(1))]);
    assert_eq!(open.membership(key(STRANGER), day(5)), Membership::Open);
    assert!(open.charter().is_none());
    let open_charter = charter_of(FOUNDER, NETWORK, None, &[FOUNDER], "open", day(0));
    let governance = derive(&open_charter, &[]);
    assert_eq!(
        governance.membership(key(STRANGER), day(5)),
        Membership::Open
    );
    assert!(governance.membership(key(STRANGER), day(5)).allows());
}

#[test]
fn a_pinned_charter_not_held_or_invalid_admits_nobody() {
    let founding = founding();
    let missing = Governance::derive(Some(founding.id), &[]);
    assert_eq!(
        status(missing.membership(key(FOUNDER), day(1))),
        "charter-missing"
    );
    assert_eq!(missing.charter(), Some(Err(CharterError::Missing)));
    // Signed by the founder, but naming someone else first.
    let usurped = charter(FOUNDER, None, &[STRANGER, FOUNDER], day(0));
    let invalid = derive(&usurped, &[]);
    assert_eq!(
        status(invalid.membership(key(FOUNDER), day(1))),
        "charter-invalid"
    );
    assert_eq!(invalid.charter(), Some(Err(CharterError::FounderNotFirst)));
    let not_charter = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1));
    assert_eq!(
        derive(&not_charter, &[]).charter(),
        Some(Err(CharterError::NotACharter))
    );
    let later = charter(FOUNDER, Some(founding.id), &[FOUNDER], day(2));
    assert_eq!(
        derive(&later, &[founding]).charter(),
        Some(Err(CharterError::NotAFirstVersion))
    );
}

#[test]
fn a_grant_covers_its_days_and_no_others() {
    let founding = founding();
    // Granted on day 1 for 2026-09-10 ..= 2026-09-20.
    let granted = grant(FOUNDER, SCHOOL, "2026-09-10", Some("2026-09-20"), day(1));
    let governance = derive(&founding, std::slice::from_ref(&granted));
    let last_ms_of_until = START_MS + 20 * DAY_MS - 1;
    let cases = [
        (day(8), "not-yet-valid"),
        (START_MS + 9 * DAY_MS - 1, "not-yet-valid"),
        (START_MS + 9 * DAY_MS, "member"),
        (day(15), "member"),
        (last_ms_of_until, "member"),
        (last_ms_of_until + 1, "expired"),
        (day(40), "expired"),
    ];
    for (at, expected) in cases {
        assert_eq!(
            status(governance.membership(key(SCHOOL), at)),
            expected,
            "at {at}"
        );
    }
    assert_eq!(
        governance.membership(key(SCHOOL), day(15)),
        Membership::Member {
            role: MemberRole::School,
            grant: granted.id,
            granted_to: key(SCHOOL),
        }
    );
    assert_eq!(
        governance.membership(key(SCHOOL), day(40)),
        Membership::NotMember {
            reason: NotMemberReason::Expired,
            record: Some(granted.id),
        }
    );
    // Without `until` the grant never ends; other keys have no grant.
    let open_ended = derive(
        &founding,
        &[grant(FOUNDER, SCHOOL, "2026-09-10", None, day(1))],
    );
    assert_eq!(
        status(open_ended.membership(key(SCHOOL), day(4000))),
        "member"
    );
    assert_eq!(
        status(open_ended.membership(key(STRANGER), day(15))),
        "no-grant"
    );
}

#[test]
fn a_grant_by_a_non_registrar_counts_for_nothing() {
    let founding = founding();
    let forged = grant(STRANGER, SCHOOL, "2026-09-01", None, day(1));
    // Signed by the founder, but before the charter existed.
    let early = grant(FOUNDER, STRANGER, "2026-09-01", None, START_MS);
    let governance = derive(&founding, &[forged.clone(), early.clone()]);
    assert_eq!(
        governance.membership(key(SCHOOL), day(5)),
        Membership::NotMember {
            reason: NotMemberReason::GrantByNonRegistrar,
            record: Some(forged.id),
        }
    );
    assert_eq!(
        status(governance.membership(key(STRANGER), day(5))),
        "grant-by-non-registrar"
    );
    assert_eq!(
        ignored(&governance, &forged),
        Some("grant-not-by-registrar")
    );
    assert_eq!(ignored(&governance, &early), Some("grant-not-by-registrar"));
}

#[test]
fn a_revocation_cuts_records_from_its_time_on() {
    let founding = founding();
    let granted = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1));
    let revoked = revocation(FOUNDER, SCHOOL, None, day(10));
    let forged = revocation(STRANGER, SCHOOL, None, day(5));
    let governance = derive(&founding, &[granted, revoked.clone(), forged.clone()]);
    let cases = [
        (day(9), "member"),
        (day(10) - 1, "member"),
        (day(10), "revoked"),
        (day(30), "revoked"),
    ];
    for (at, expected) in cases {
        assert_eq!(
            status(governance.membership(key(SCHOOL), at)),
            expected,
            "at {at}"
        );
    }
    assert_eq!(
        governance.membership(key(SCHOOL), day(30)),
        Membership::NotMember {
            reason: NotMemberReason::Revoked,
            record: Some(revoked.id),
        }
    );
    assert_eq!(
        ignored(&governance, &forged),
        Some("revocation-not-by-registrar")
    );
    // A new grant after the revocation admits the school again.
    let regranted = grant(FOUNDER, SCHOOL, "2026-09-20", None, day(20));
    let again = derive(&founding, &[granted_again(), revoked, regranted.clone()]);
    assert_eq!(status(again.membership(key(SCHOOL), day(15))), "revoked");
    assert_eq!(
        again.membership(key(SCHOOL), day(21)),
        Membership::Member {
            role: MemberRole::School,
            grant: regranted.id,
            granted_to: key(SCHOOL),
        }
    );
}

/// The grant of [`a_revocation_cuts_records_from_its_time_on`].
fn granted_again() -> GovernanceRecord {
    grant(FOUNDER, SCHOOL, "2026-09-01", None, day(1))
}

#[test]
fn a_grant_and_a_revocation_at_the_same_instant_the_revocation_wins() {
    let founding = founding();
    let granted = grant(FOUNDER, SCHOOL, "2026-09-01", None, day(3));
    let revoked = revocation(FOUNDER, SCHOOL, None, day(3));
    let governance = derive(&founding, &[granted, revoked]);
    assert_eq!(
        status(governance.membership(key(SCHOOL), day(3))),
        "revoked"
    );
    // The grant's days cover the records before it; the revocation cuts from its time.
    assert_eq!(
        status(governance.membership(key(SCHOOL), day(3) - 1)),
        "member"
    );
}

#[test]
fn charter_updates_add_and_remove_registrars_from_their_time_on() {
    let founding = founding();
    let added = charter(FOUNDER, Some(founding.id), &[FOUNDER, DEPUTY], day(10));
    let removed = charter(DEPUTY, Some(founding.id), &[DEPUTY], day(20));
    let before_added = grant(DEPUTY, SCHOOL, "2026-09-01", None, day(5));
    let while_deputy = grant(DEPUTY, SCHOOL_B, "2026-09-01", None, day(15));
    let by_founder_early = grant(FOUNDER, SCHOOL_C, "2026-09-01", None, day(15));
    let by_founder_late = grant(FOUNDER, STRANGER, "2026-09-01", None, day(25));
    let governance = derive(
        &founding,
        &[
            added.clone(),
            removed.clone(),
            before_added.clone(),
            while_deputy,
            by_founder_early,
            by_founder_late.clone(),
        ],
    );
    let Some(Ok(charter)) = governance.charter() else {
        panic!("no charter");
    };
    let versions: Vec<RecordId> = charter
        .versions
        .iter()
        .map(|version| version.record)
        .collect();
    assert_eq!(versions, vec![founding.id, added.id, removed.id]);
    assert_eq!(charter.current().body.registrars, vec![key(DEPUTY)]);
    let registrars = [
        (FOUNDER, day(5), true),
        (DEPUTY, day(5), false),
        (DEPUTY, day(10), true),
        (FOUNDER, day(20), false),
        (DEPUTY, day(25), true),
        (FOUNDER, START_MS, false),
    ];
    for (seed, at, expected) in registrars {
        assert_eq!(
            governance.is_registrar(key(seed), at),
            expected,
            "{seed} at {at}"
        );
    }
    let members = [
        (SCHOOL, "grant-by-non-registrar"),
        (SCHOOL_B, "member"),
        (SCHOOL_C, "member"),
        (STRANGER, "grant-by-non-registrar"),
    ];
    for (seed, expected) in members {
        assert_eq!(
            status(governance.membership(key(seed), day(30))),
            expected,
            "{seed}"
        );
    }
    assert_eq!(
        ignored(&governance, &before_added),
        Some("grant-not-by-registrar")
    );
    assert_eq!(
        ignored(&governance, &by_founder_late),
        Some("grant-not-by-registrar")
    );
}

#[test]
fn charters_by_anyone_else_are_ignored_and_reported() {
    let founding = founding();
    // Someone publishes a charter of their own for our network id…
    let takeover = charter(STRANGER, None, &[STRANGER], day(1));
    // …or a new version of ours, without being a registrar…
    let forged_version = charter(STRANGER, Some(founding.id), &[STRANGER], day(2));
    // …or a registrar moves the charter to another network id, or backdates a version.
    let renamed = charter_of(
        FOUNDER,
        "ru-msk",
        Some(founding.id),
        &[FOUNDER],
        "members",
        day(3),
    );
    let backdated = charter(FOUNDER, Some(founding.id), &[FOUNDER, STRANGER], START_MS);
    let elsewhere = charter_of(STRANGER, "by-minsk", None, &[STRANGER], "members", day(1));
    let stranger_grant = grant(STRANGER, THIEF, "2026-09-01", None, day(4));
    let governance = derive(
        &founding,
        &[
            takeover.clone(),
            forged_version.clone(),
            renamed.clone(),
            backdated.clone(),
            elsewhere.clone(),
            stranger_grant,
        ],
    );
    let Some(Ok(charter)) = governance.charter() else {
        panic!("no charter");
    };
    assert_eq!(charter.versions.len(), 1);
    assert_eq!(charter.network(), NETWORK);
    let cases = [
        (&takeover, Some("foreign-charter")),
        (&forged_version, Some("charter-not-by-registrar")),
        (&renamed, Some("charter-network-changed")),
        (&backdated, Some("charter-predates-pin")),
        (&elsewhere, None),
    ];
    for (record, expected) in cases {
        assert_eq!(ignored(&governance, record), expected, "{record:?}");
    }
    assert_eq!(
        status(governance.membership(key(THIEF), day(5))),
        "grant-by-non-registrar"
    );
    // Pinned the other way round, the same records make the stranger's network.
    let theirs = derive(&takeover, std::slice::from_ref(&founding));
    assert_eq!(
        theirs.ignored().first().map(|ignored| ignored.record),
        Some(founding.id)
    );
}
