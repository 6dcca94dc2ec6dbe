//! Governance records for the rule tests: real keys, bodies that passed validation, and
//! record ids derived from content (so the same record built twice is one record, as on
//! the wire). Headers are not signed here; `tests` signs a few for the envelope checks.

use serde_json::{Value, json};

use super::{GovernanceBody, GovernanceRecord};
use crate::body::{self, Body, KeyRotation, Mode};
use crate::{Kind, RecordId, SchoolId, SchoolKey};

/// The network of every test record.
pub(super) const NETWORK: &str = "ru-tat";
/// The regional operator who founds the network (first registrar).
pub(super) const FOUNDER: u8 = 1;
/// A second registrar, added by a charter update.
pub(super) const DEPUTY: u8 = 2;
/// A member school.
pub(super) const SCHOOL: u8 = 3;
/// The member school's second key.
pub(super) const SCHOOL_B: u8 = 4;
/// The member school's third key.
pub(super) const SCHOOL_C: u8 = 5;
/// A key that is nobody's registrar.
pub(super) const STRANGER: u8 = 6;
/// A key a registrar binds to a school by recovery.
pub(super) const RECOVERED: u8 = 7;
/// A thief's key.
pub(super) const THIEF: u8 = 8;

/// A day in milliseconds.
pub(super) const DAY_MS: u64 = 86_400_000;
/// 2026-09-01T00:00:00Z, day 0 of the tests.
pub(super) const START_MS: u64 = 1_788_220_800_000;

/// `n` days after [`START_MS`], plus one hour so that `day(n)` is inside day `n`.
pub(super) fn day(n: u64) -> u64 {
    START_MS + n * DAY_MS + DAY_MS / 24
}

/// The school id of a test seed.
pub(super) fn key(seed: u8) -> SchoolId {
    SchoolKey::from_seed([seed; 32]).school_id()
}

/// A record by `author` at `created_at` with `body`, first version of its own doc
/// unless `doc` is given.
fn record(
    author: u8,
    created_at: u64,
    doc: Option<RecordId>,
    kind: Kind,
    body: &Value,
) -> GovernanceRecord {
    let bytes = body.to_string();
    let parsed = match body::validate(kind, bytes.as_bytes(), Mode::Local) {
        Ok(parsed) => parsed,
        Err(errors) => panic!("{kind} body refused: {errors}"),
    };
    let governance = match parsed {
        Body::NetworkCharter(charter) => GovernanceBody::Charter(charter),
        Body::MembershipGrant(grant) => GovernanceBody::Grant(grant),
        Body::MembershipRevocation(revocation) => GovernanceBody::Revocation(revocation),
        Body::KeyRotation(rotation) => GovernanceBody::Rotation(rotation),
        other => panic!("not a governance body: {other:?}"),
    };
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[author, kind.code()]);
    hasher.update(&created_at.to_be_bytes());
    hasher.update(doc.map(|doc| doc.0).unwrap_or_default().as_slice());
    hasher.update(bytes.as_bytes());
    let id = RecordId(*hasher.finalize().as_bytes());
    GovernanceRecord {
        id,
        doc: doc.unwrap_or(id),
        author: key(author),
        created_at,
        body: governance,
    }
}

fn ids(seeds: &[u8]) -> Vec<String> {
    seeds.iter().map(|seed| key(*seed).to_string()).collect()
}

/// A charter of [`NETWORK`] (or `network`) naming `registrars`, as a version of `doc`
/// when given.
pub(super) fn charter_of(
    author: u8,
    network: &str,
    doc: Option<RecordId>,
    registrars: &[u8],
    policy: &str,
    at: u64,
) -> GovernanceRecord {
    let body = json!({
        "network": network,
        "name": {"ru": "Сеть школ Республики Татарстан"},
        "policy": policy,
        "registrars": ids(registrars),
    });
    record(author, at, doc, Kind::NetworkCharter, &body)
}

/// A members-only charter of [`NETWORK`].
pub(super) fn charter(
    author: u8,
    doc: Option<RecordId>,
    registrars: &[u8],
    at: u64,
) -> GovernanceRecord {
    charter_of(author, NETWORK, doc, registrars, "members", at)
}

/// A grant to `school` as a member school, `from..=until`.
pub(super) fn grant(
    author: u8,
    school: u8,
    from: &str,
    until: Option<&str>,
    at: u64,
) -> GovernanceRecord {
    let mut body = json!({
        "network": NETWORK,
        "school": key(school).to_string(),
        "role": "school",
        "from": from,
    });
    if let (Some(until), Value::Object(map)) = (until, &mut body) {
        map.insert("until".to_string(), json!(until));
    }
    record(author, at, None, Kind::MembershipGrant, &body)
}

/// A registrar's recovery: `new` becomes the key of `old`'s school, as a mentor.
pub(super) fn recovery(author: u8, new: u8, old: u8, at: u64) -> GovernanceRecord {
    let body = json!({
        "network": NETWORK,
        "school": key(new).to_string(),
        "role": "mentor",
        "from": "2026-09-01",
        "recovers": key(old).to_string(),
    });
    record(author, at, None, Kind::MembershipGrant, &body)
}

/// A revocation of `school`, compromised since `since` (RFC 3339) when given.
pub(super) fn revocation(author: u8, school: u8, since: Option<&str>, at: u64) -> GovernanceRecord {
    let mut body = json!({
        "network": NETWORK,
        "school": key(school).to_string(),
        "reason": {"ru": "Школа вышла из сети."},
    });
    if let (Some(since), Value::Object(map)) = (since, &mut body) {
        map.insert("compromised_since".to_string(), json!(since));
    }
    record(author, at, None, Kind::MembershipRevocation, &body)
}

/// A rotation `from` → `to`, signed (as a record) by `author`.
pub(super) fn rotation(author: u8, from: u8, to: u8, at: u64) -> GovernanceRecord {
    let rotation = KeyRotation::new(key(from), &SchoolKey::from_seed([to; 32]));
    let body: Value = serde_json::from_slice(&rotation.to_json()).unwrap_or(Value::Null);
    record(author, at, None, Kind::KeyRotation, &body)
}
