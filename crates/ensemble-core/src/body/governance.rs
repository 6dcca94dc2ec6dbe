//! `network_charter` — Устав сети, `membership_grant` — Допуск в сеть and
//! `membership_revocation` — Исключение из сети: the registrar-signed bodies of a
//! members-only network, and the readers of the values they share (network ids, school
//! ids, RFC 3339 instants).
//!
//! Only shapes are checked here. Who may sign which of them (a registrar of the charter
//! in force) and what they mean together is [`crate::governance`]'s business; the rules
//! that need the header (a first charter lists its author first) are
//! [`crate::governance::check_envelope`]'s.

use serde::Serialize;
use serde_json::Value;

use super::codes::{MemberRole, NetworkPolicy};
use super::lang::LangMap;
use super::read::{
    Checker, Object, TEXT, TITLE, closed, date, lang_map, list, machine_translated, string,
};
use super::timestamp::Timestamp;
use super::values::Date;
use crate::SchoolId;
use crate::limits::LIST_MAX_ITEMS;
use crate::record::is_network_id;

/// Most registrars one charter may name: a region's operators, never a crowd.
pub const REGISTRARS_MAX: usize = LIST_MAX_ITEMS;

/// A network's charter: what the network is called, who may write into it and who
/// admits schools.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkCharter {
    /// The network id (a slug such as `ru-tat`), as in record headers and topics.
    pub network: String,
    /// The network's name (3–160 characters per language).
    pub name: LangMap,
    /// Open to every valid signature, or members only.
    pub policy: NetworkPolicy,
    /// The registrar keys, 1 to [`REGISTRARS_MAX`], no repeats. A charter's first version
    /// lists its own author first.
    pub registrars: Vec<SchoolId>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// A registrar's admission of a school key, for a role and a span of days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MembershipGrant {
    /// The network id.
    pub network: String,
    /// The school key admitted.
    pub school: SchoolId,
    /// The role it is admitted in.
    pub role: MemberRole,
    /// First day of membership (UTC).
    pub from: Date,
    /// Last day of membership, included (UTC); open-ended when absent. Never before
    /// `from`.
    pub until: Option<Date>,
    /// For a registrar's recovery of a school whose key was lost: the old school id.
    /// `school` then becomes that school's key, and the old key is revoked from the
    /// grant's `created_at` on. Never equal to `school`.
    pub recovers: Option<SchoolId>,
}

/// A registrar's removal of a school key from a network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MembershipRevocation {
    /// The network id.
    pub network: String,
    /// The school key removed.
    pub school: SchoolId,
    /// Why, for people.
    pub reason: LangMap,
    /// When the key was compromised, if it was: its records from then on are purged.
    pub compromised_since: Option<Timestamp>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// Reads a `network_charter` body.
pub(super) fn read_charter(checker: &mut Checker, value: &Value) -> Option<NetworkCharter> {
    let mut object = Object::read(checker, "", value)?;
    let network = object.req(checker, "network", network_id);
    let name = object.req(checker, "name", lang_map(TITLE));
    let policy = object.req(checker, "policy", closed::<NetworkPolicy>);
    let registrars = object.req(checker, "registrars", registrars);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(NetworkCharter {
        network: network?,
        name: name?,
        policy: policy?,
        registrars: registrars?,
        machine_translated,
    })
}

/// Reads a `membership_grant` body.
pub(super) fn read_grant(checker: &mut Checker, value: &Value) -> Option<MembershipGrant> {
    let mut object = Object::read(checker, "", value)?;
    let network = object.req(checker, "network", network_id);
    let school = object.req(checker, "school", school_id);
    let role = object.req(checker, "role", closed::<MemberRole>);
    let from = object.req(checker, "from", date);
    let until = object.opt(checker, "until", date);
    let recovers = object.opt(checker, "recovers", school_id);
    object.finish(checker);
    if let (Some(from), Some(until)) = (from, until)
        && until < from
    {
        checker.fail("until", "must not be before from");
        return None;
    }
    if let (Some(school), Some(recovers)) = (school, recovers)
        && school == recovers
    {
        checker.fail(
            "recovers",
            "must differ from school: a key cannot recover itself",
        );
        return None;
    }
    Some(MembershipGrant {
        network: network?,
        school: school?,
        role: role?,
        from: from?,
        until,
        recovers,
    })
}

/// Reads a `membership_revocation` body.
pub(super) fn read_revocation(
    checker: &mut Checker,
    value: &Value,
) -> Option<MembershipRevocation> {
    let mut object = Object::read(checker, "", value)?;
    let network = object.req(checker, "network", network_id);
    let school = object.req(checker, "school", school_id);
    let reason = object.req(checker, "reason", lang_map(TEXT));
    let compromised_since = object.opt(checker, "compromised_since", timestamp);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(MembershipRevocation {
        network: network?,
        school: school?,
        reason: reason?,
        compromised_since,
        machine_translated,
    })
}

/// A network id: 1–64 bytes of `a-z`, `0-9` and inner `-`, as in headers.
pub(super) fn network_id(checker: &mut Checker, path: &str, value: &Value) -> Option<String> {
    let text = string(checker, path, value)?;
    if !is_network_id(text) {
        checker.fail(
            path,
            "must be a network id: 1 to 64 of a-z, 0-9 and inner hyphens",
        );
        return None;
    }
    Some(text.to_string())
}

/// A school id in its 53-character text form.
pub(super) fn school_id(checker: &mut Checker, path: &str, value: &Value) -> Option<SchoolId> {
    let text = string(checker, path, value)?;
    match text.parse::<SchoolId>() {
        Ok(id) => Some(id),
        Err(error) => {
            checker.fail(path, format!("is not a school id: {error}"));
            None
        }
    }
}

/// An RFC 3339 instant with an offset.
fn timestamp(checker: &mut Checker, path: &str, value: &Value) -> Option<Timestamp> {
    let text = string(checker, path, value)?;
    match text.parse::<Timestamp>() {
        Ok(stamp) => Some(stamp),
        Err(error) => {
            checker.fail(path, error.to_string());
            None
        }
    }
}

/// The registrars: 1 to [`REGISTRARS_MAX`] school ids, each named once (a repeat would
/// make "the author is listed first" and registrar counts ambiguous).
fn registrars(checker: &mut Checker, path: &str, value: &Value) -> Option<Vec<SchoolId>> {
    let faults = checker.fault_count();
    let ids = list(checker, path, value, 1, REGISTRARS_MAX, school_id)?;
    for (index, id) in ids.iter().enumerate() {
        if let Some(first) = ids[..index].iter().position(|earlier| earlier == id) {
            checker.fail(
                &format!("{path}[{index}]"),
                format!("repeats {path}[{first}]"),
            );
        }
    }
    (checker.fault_count() == faults).then_some(ids)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::body::Body;
    use crate::body::Mode;
    use crate::body::testing::{check, check_mode, message, with, without};
    use crate::{Kind, SchoolKey};

    fn school(seed: u8) -> String {
        SchoolKey::from_seed([seed; 32]).school_id().to_string()
    }

    fn charter_body() -> Value {
        json!({
            "network": "ru-tat",
            "name": {"ru": "Сеть школ Республики Татарстан", "en": "Tatarstan school network"},
            "policy": "members",
            "registrars": [school(1), school(2)]
        })
    }

    fn grant_body() -> Value {
        json!({
            "network": "ru-tat",
            "school": school(3),
            "role": "mentor",
            "from": "2026-09-01",
            "until": "2027-08-31"
        })
    }

    fn revocation_body() -> Value {
        json!({
            "network": "ru-tat",
            "school": school(3),
            "reason": {"ru": "Ключ школы скопирован с украденного ноутбука."},
            "compromised_since": "2027-02-10T15:00:00+03:00"
        })
    }

    #[test]
    fn realistic_bodies_pass() {
        let Ok(Body::NetworkCharter(charter)) = check(Kind::NetworkCharter, &charter_body(), &[]).0
        else {
            panic!("charter refused");
        };
        assert_eq!(charter.policy, NetworkPolicy::Members);
        assert_eq!(charter.registrars.len(), 2);
        let Ok(Body::MembershipGrant(grant)) = check(Kind::MembershipGrant, &grant_body(), &[]).0
        else {
            panic!("grant refused");
        };
        assert_eq!(grant.role, MemberRole::Mentor);
        assert_eq!(
            grant.until.map(|day| day.to_string()).as_deref(),
            Some("2027-08-31")
        );
        let Ok(Body::MembershipRevocation(revocation)) =
            check(Kind::MembershipRevocation, &revocation_body(), &[]).0
        else {
            panic!("revocation refused");
        };
        assert_eq!(
            revocation.compromised_since.map(|stamp| stamp.unix_ms()),
            Some(1_802_260_800_000)
        );
        let recovery = with(&grant_body(), "/recovers", json!(school(4)));
        check(Kind::MembershipGrant, &recovery, &[]);
        check(
            Kind::MembershipGrant,
            &without(&grant_body(), "/until"),
            &[],
        );
        check(
            Kind::MembershipRevocation,
            &without(&revocation_body(), "/compromised_since"),
            &[],
        );
    }

    #[test]
    fn each_required_field() {
        let cases: [(Kind, Value, &[&str]); 3] = [
            (
                Kind::NetworkCharter,
                charter_body(),
                &["network", "name", "policy", "registrars"],
            ),
            (
                Kind::MembershipGrant,
                grant_body(),
                &["network", "school", "role", "from"],
            ),
            (
                Kind::MembershipRevocation,
                revocation_body(),
                &["network", "school", "reason"],
            ),
        ];
        for (kind, base, fields) in cases {
            for field in fields {
                let result = check(kind, &without(&base, &format!("/{field}")), &[field]);
                assert_eq!(message(&result, field), "is required", "{kind}");
            }
        }
    }

    #[test]
    fn charter_faults() {
        let base = charter_body();
        let many: Vec<String> = (0..=REGISTRARS_MAX as u8)
            .map(|seed| school(seed + 10))
            .collect();
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/network", json!("RU TAT")), &["network"]),
            (with(&base, "/network", json!("-ru")), &["network"]),
            (with(&base, "/network", json!(7)), &["network"]),
            (with(&base, "/name", json!({"ru": "Се"})), &["name.ru"]),
            (with(&base, "/name", json!("Сеть")), &["name"]),
            (with(&base, "/policy", json!("closed")), &["policy"]),
            (with(&base, "/registrars", json!([])), &["registrars"]),
            (with(&base, "/registrars", json!(many)), &["registrars"]),
            (
                with(&base, "/registrars", json!(school(1))),
                &["registrars"],
            ),
            (
                with(&base, "/registrars/1", json!("b12")),
                &["registrars[1]"],
            ),
            (
                with(
                    &base,
                    "/registrars",
                    json!([school(1), school(2), school(1)]),
                ),
                &["registrars[2]"],
            ),
            (with(&base, "/extra", json!(1)), &["extra"]),
        ];
        for (body, expected) in cases {
            check(Kind::NetworkCharter, &body, expected);
        }
        let repeated = check(
            Kind::NetworkCharter,
            &with(&base, "/registrars", json!([school(1), school(1)])),
            &["registrars[1]"],
        );
        assert_eq!(message(&repeated, "registrars[1]"), "repeats registrars[0]");
        let policy = check(
            Kind::NetworkCharter,
            &with(&base, "/policy", json!("closed")),
            &["policy"],
        );
        assert_eq!(
            message(&policy, "policy"),
            r#"unknown value "closed", expected one of open, members"#
        );
    }

    #[test]
    fn grant_faults() {
        let base = grant_body();
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/network", json!("")), &["network"]),
            (with(&base, "/school", json!("school-3")), &["school"]),
            (with(&base, "/role", json!("supported")), &["role"]),
            (with(&base, "/from", json!("01.09.2026")), &["from"]),
            (with(&base, "/until", json!("2027-02-30")), &["until"]),
            (with(&base, "/until", json!("2026-08-31")), &["until"]),
            (with(&base, "/until", json!("2026-09-01")), &[]),
            (with(&base, "/recovers", json!("b12")), &["recovers"]),
            (with(&base, "/recovers", json!(school(3))), &["recovers"]),
            (with(&base, "/extra", json!(1)), &["extra"]),
        ];
        for (body, expected) in cases {
            check(Kind::MembershipGrant, &body, expected);
        }
        let early = check(
            Kind::MembershipGrant,
            &with(&base, "/until", json!("2026-08-31")),
            &["until"],
        );
        assert_eq!(message(&early, "until"), "must not be before from");
        // Every fault at once, in one error.
        check(
            Kind::MembershipGrant,
            &json!({"network": "RU", "school": 1, "role": "boss", "from": "soon"}),
            &["network", "school", "role", "from"],
        );
    }

    #[test]
    fn revocation_faults() {
        let base = revocation_body();
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/network", json!("ru_tat")), &["network"]),
            (with(&base, "/school", json!(null)), &["school"]),
            (with(&base, "/reason", json!({})), &["reason"]),
            (
                with(&base, "/compromised_since", json!("2027-02-10")),
                &["compromised_since"],
            ),
            (
                with(&base, "/compromised_since", json!("2027-02-10T15:00:00")),
                &["compromised_since"],
            ),
            (
                with(&base, "/compromised_since", json!("1969-07-20T20:17:00Z")),
                &["compromised_since"],
            ),
            (with(&base, "/extra", json!(1)), &["extra"]),
        ];
        for (body, expected) in cases {
            check(Kind::MembershipRevocation, &body, expected);
        }
        let no_offset = check(
            Kind::MembershipRevocation,
            &with(&base, "/compromised_since", json!("2027-02-10T15:00:00")),
            &["compromised_since"],
        );
        assert_eq!(
            message(&no_offset, "compromised_since"),
            "must be a time with an offset like 2027-02-10T15:00:00+03:00"
        );
    }

    #[test]
    fn received_bodies_tolerate_unknown_fields() {
        for (kind, base) in [
            (Kind::NetworkCharter, charter_body()),
            (Kind::MembershipGrant, grant_body()),
            (Kind::MembershipRevocation, revocation_body()),
        ] {
            let newer = with(&base, "/delegates", json!([]));
            check_mode(kind, Mode::Received, &newer, &[]);
            check_mode(kind, Mode::Local, &newer, &["delegates"]);
        }
    }
}
