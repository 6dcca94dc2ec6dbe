//! Typed record bodies and their validation: the JSON schemas of `domain.md` for the v1
//! kinds — the catalog and mentoring kinds, the governance kinds of members-only
//! networks, and communities, events and routes.
//!
//! [`validate`] is the one door: UTF-8 JSON bytes in, a typed [`Body`] out, or
//! [`ValidationErrors`] naming every field at fault by its dotted JSON path
//! (`evidence.measures[0].n`). Bodies written locally ([`Mode::Local`]) may carry no
//! unknown fields; bodies received from other nodes ([`Mode::Received`]) may, so that an
//! older node keeps accepting a newer one's records. Vocabulary codes are checked for
//! shape only (unknown terms pass); closed enumerations ([`codes`]) are checked in full.
//!
//! This module does not check who may publish what (only the request's author may
//! accept…): those rules need other records and live with the store.
//!
//! Code map: `read` is the field walker and the shared readers; `lang`, `values` and
//! `codes` hold the shared value types (`timestamp` the RFC 3339 instants of governance,
//! `time` those of events); one module per kind (or group of kinds) holds that kind's
//! struct, reader and tests: `governance` the registrars' charter, grant and revocation,
//! `rotation` the key rotation, `person` the `by` attribution every person-written kind
//! carries.

mod agreement;
pub mod codes;
pub(crate) mod community;
pub(crate) mod event;
mod feedback;
mod governance;
mod lang;
mod offer;
pub(crate) mod person;
mod practice;
mod read;
mod request;
mod retraction;
mod rotation;
mod route;
mod school;
mod time;
mod timestamp;
mod values;

pub use agreement::{
    Activity, DeficitProgress, Indicator, MentoringAcceptance, MentoringClosure, ProgressReport,
    default_autonomy,
};
pub use codes::{
    ActivityStatus, AuthorRole, ClosedCode, CommunityScope, CycleStep, DeficitStatus, DeliveryMode,
    EntryType, EventKind, EvidenceLevel, FeedbackKind, MemberRole, MembershipStatus, NetworkPolicy,
    Outcome, PersonRole, RegistrationStatus, ReportStatus, RouteStepStatus, RouteStepType,
    SchoolRole, Settlement, Visibility,
};
pub use community::{Community, CommunityAgreement, CommunityEntry, CommunityMembership};
pub use event::{Event, EventRegistration, Organizer};
pub use feedback::{Feedback, Replication};
pub use governance::{MembershipGrant, MembershipRevocation, NetworkCharter, REGISTRARS_MAX};
pub use lang::{LangMap, is_language_tag, language_of, primary_subtag};
pub use offer::{Capacity, Mentor, MentoringOffer};
pub use person::{
    PERSON_ID_MAX_CHARS, PERSON_ID_MIN_CHARS, PERSON_NAME_MAX_CHARS, PERSON_NAME_MIN_CHARS,
    POSITION_MAX_CHARS, Person, PersonId, PersonIdError,
};
pub use practice::{Author, Context, Evidence, Material, Measure, Practice};
pub use read::{GRADE_MAX, GRADE_MIN, is_code};
pub use request::{Goal, MentoringRequest};
pub use retraction::Retraction;
pub use rotation::{
    KeyRotation, ROTATION_DOMAIN, RotationError, RotationSignature, SIGNATURE_TEXT_LEN,
    SignatureTextError, key_rotation_body, rotation_message,
};
pub use route::{RouteGoal, RouteStep, SelfEducationRoute, StepRef};
pub use school::{SchoolProfile, configured_profile};
pub use time::{DateTime, DateTimeError, utc_basic};
pub use timestamp::{MS_PER_DAY, Timestamp, TimestampError, days_from_civil, utc_date};
pub use values::{Date, DateError, Period, Quantity};

use serde::Serialize;
use serde_json::Value;

use crate::{Kind, RecordId, ValidationErrors};
use read::Checker;

/// How strictly to validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Written by the local user through the API or CLI: unknown fields are refused,
    /// each named as a fault.
    Local,
    /// Received from another node: unknown fields are tolerated (forward compatibility).
    Received,
}

/// A validated body, typed by kind. Serialises as the kind's struct alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
// A body is built once per record and then matched by kind; boxing the large variants
// would burden every caller's match for no measurable gain.
#[allow(clippy::large_enum_variant)]
pub enum Body {
    /// `school_profile`
    SchoolProfile(SchoolProfile),
    /// `practice`
    Practice(Practice),
    /// `feedback`
    Feedback(Feedback),
    /// `mentoring_request`
    MentoringRequest(MentoringRequest),
    /// `mentoring_offer`
    MentoringOffer(MentoringOffer),
    /// `mentoring_acceptance`
    MentoringAcceptance(MentoringAcceptance),
    /// `progress_report`
    ProgressReport(ProgressReport),
    /// `mentoring_closure`
    MentoringClosure(MentoringClosure),
    /// `retraction`
    Retraction(Retraction),
    /// `network_charter`
    NetworkCharter(NetworkCharter),
    /// `membership_grant`
    MembershipGrant(MembershipGrant),
    /// `membership_revocation`
    MembershipRevocation(MembershipRevocation),
    /// `key_rotation`
    KeyRotation(KeyRotation),
    /// `community`
    Community(Community),
    /// `community_membership`
    CommunityMembership(CommunityMembership),
    /// `community_entry`
    CommunityEntry(CommunityEntry),
    /// `event`
    Event(Event),
    /// `event_registration`
    EventRegistration(EventRegistration),
    /// `self_education_route`
    SelfEducationRoute(SelfEducationRoute),
}

impl Body {
    /// The kind of record this body belongs to.
    pub fn kind(&self) -> Kind {
        match self {
            Body::SchoolProfile(_) => Kind::SchoolProfile,
            Body::Practice(_) => Kind::Practice,
            Body::Feedback(_) => Kind::Feedback,
            Body::MentoringRequest(_) => Kind::MentoringRequest,
            Body::MentoringOffer(_) => Kind::MentoringOffer,
            Body::MentoringAcceptance(_) => Kind::MentoringAcceptance,
            Body::ProgressReport(_) => Kind::ProgressReport,
            Body::MentoringClosure(_) => Kind::MentoringClosure,
            Body::Retraction(_) => Kind::Retraction,
            Body::NetworkCharter(_) => Kind::NetworkCharter,
            Body::MembershipGrant(_) => Kind::MembershipGrant,
            Body::MembershipRevocation(_) => Kind::MembershipRevocation,
            Body::KeyRotation(_) => Kind::KeyRotation,
            Body::Community(_) => Kind::Community,
            Body::CommunityMembership(_) => Kind::CommunityMembership,
            Body::CommunityEntry(_) => Kind::CommunityEntry,
            Body::Event(_) => Kind::Event,
            Body::EventRegistration(_) => Kind::EventRegistration,
            Body::SelfEducationRoute(_) => Kind::SelfEducationRoute,
        }
    }

    /// What to call the record in a list: the title, a school's or community's name, a
    /// closure's summary; `None` for kinds without one (feedback, acceptance, report,
    /// retraction, membership, entry, registration, route).
    pub fn title(&self) -> Option<LangMap> {
        match self {
            Body::SchoolProfile(profile) => Some(profile.name.clone()),
            Body::Practice(practice) => Some(practice.title.clone()),
            Body::MentoringRequest(request) => Some(request.title.clone()),
            Body::MentoringOffer(offer) => Some(offer.title.clone()),
            Body::MentoringClosure(closure) => Some(closure.summary.clone()),
            Body::NetworkCharter(charter) => Some(charter.name.clone()),
            Body::Community(community) => Some(community.name.clone()),
            Body::Event(event) => Some(event.title.clone()),
            Body::Feedback(_)
            | Body::MentoringAcceptance(_)
            | Body::ProgressReport(_)
            | Body::Retraction(_)
            | Body::MembershipGrant(_)
            | Body::MembershipRevocation(_)
            | Body::KeyRotation(_) => None,
            Body::CommunityMembership(_)
            | Body::CommunityEntry(_)
            | Body::EventRegistration(_)
            | Body::SelfEducationRoute(_) => None,
        }
    }

    /// Every record (or doc) id this body refers to, in field order. Governance bodies
    /// name keys, not records: they refer to none.
    pub fn references(&self) -> Vec<RecordId> {
        match self {
            Body::SchoolProfile(_) => Vec::new(),
            Body::Practice(practice) => practice
                .community
                .iter()
                .chain(&practice.based_on)
                .chain(&practice.responds_to)
                .copied()
                .collect(),
            Body::Feedback(feedback) => vec![feedback.target],
            Body::MentoringRequest(_) => Vec::new(),
            Body::MentoringOffer(offer) => offer
                .request
                .iter()
                .chain(&offer.evidence)
                .copied()
                .collect(),
            Body::MentoringAcceptance(acceptance) => vec![acceptance.request, acceptance.offer],
            Body::ProgressReport(report) => vec![report.agreement],
            Body::MentoringClosure(closure) => vec![closure.agreement],
            Body::Retraction(retraction) => vec![retraction.doc],
            Body::NetworkCharter(_)
            | Body::MembershipGrant(_)
            | Body::MembershipRevocation(_)
            | Body::KeyRotation(_) => Vec::new(),
            Body::Community(_) => Vec::new(),
            Body::CommunityMembership(membership) => {
                vec![membership.community, membership.agreement_version]
            }
            Body::CommunityEntry(entry) => std::iter::once(entry.community)
                .chain(entry.practices.iter().copied())
                .collect(),
            Body::Event(event) => event.organizer.map(Organizer::doc).into_iter().collect(),
            Body::EventRegistration(registration) => vec![registration.event],
            Body::SelfEducationRoute(route) => route
                .steps
                .iter()
                .filter_map(|step| match step.reference {
                    Some(StepRef::Doc(doc)) => Some(doc),
                    _ => None,
                })
                .collect(),
        }
    }
}

/// Parses UTF-8 JSON `bytes` and validates them as a body of `kind`.
///
/// Every field at fault is named in the one error returned. Bytes that are not JSON, or
/// JSON that is not an object, give a single fault on the empty path `""`.
pub fn validate(kind: Kind, bytes: &[u8], mode: Mode) -> Result<Body, ValidationErrors> {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(error) => return Err(single_fault(format!("is not valid json: {error}"))),
    };
    if !value.is_object() {
        return Err(single_fault("must be a JSON object".to_string()));
    }
    let mut checker = Checker::new(mode);
    let body = match kind {
        Kind::SchoolProfile => school::read(&mut checker, &value).map(Body::SchoolProfile),
        Kind::Practice => practice::read(&mut checker, &value).map(Body::Practice),
        Kind::Feedback => feedback::read(&mut checker, &value).map(Body::Feedback),
        Kind::MentoringRequest => request::read(&mut checker, &value).map(Body::MentoringRequest),
        Kind::MentoringOffer => offer::read(&mut checker, &value).map(Body::MentoringOffer),
        Kind::MentoringAcceptance => {
            agreement::read_acceptance(&mut checker, &value).map(Body::MentoringAcceptance)
        }
        Kind::ProgressReport => {
            agreement::read_report(&mut checker, &value).map(Body::ProgressReport)
        }
        Kind::MentoringClosure => {
            agreement::read_closure(&mut checker, &value).map(Body::MentoringClosure)
        }
        Kind::Retraction => retraction::read(&mut checker, &value).map(Body::Retraction),
        Kind::NetworkCharter => {
            governance::read_charter(&mut checker, &value).map(Body::NetworkCharter)
        }
        Kind::MembershipGrant => {
            governance::read_grant(&mut checker, &value).map(Body::MembershipGrant)
        }
        Kind::MembershipRevocation => {
            governance::read_revocation(&mut checker, &value).map(Body::MembershipRevocation)
        }
        Kind::KeyRotation => rotation::read(&mut checker, &value).map(Body::KeyRotation),
        Kind::Community => community::read_community(&mut checker, &value).map(Body::Community),
        Kind::CommunityMembership => {
            community::read_membership(&mut checker, &value).map(Body::CommunityMembership)
        }
        Kind::CommunityEntry => {
            community::read_entry(&mut checker, &value).map(Body::CommunityEntry)
        }
        Kind::Event => event::read_event(&mut checker, &value).map(Body::Event),
        Kind::EventRegistration => {
            event::read_registration(&mut checker, &value).map(Body::EventRegistration)
        }
        Kind::SelfEducationRoute => {
            route::read_route(&mut checker, &value).map(Body::SelfEducationRoute)
        }
    };
    checker.finish(body)
}

fn single_fault(message: String) -> ValidationErrors {
    let mut errors = ValidationErrors::default();
    errors.push("", message);
    errors
}

/// Groups smaller than this are never shown with their exact size.
pub const MIN_SHOWN_GROUP: u64 = 10;

/// How a group of `n` students is shown to people: the number, or `"<10"` for groups
/// under [`MIN_SHOWN_GROUP`], so that no small group (and no student in it) can be
/// singled out. Bodies may carry the exact `n`; only its display is coarsened.
pub fn display_count(n: u64) -> String {
    if n < MIN_SHOWN_GROUP {
        format!("<{MIN_SHOWN_GROUP}")
    } else {
        n.to_string()
    }
}

/// Shared helpers for the table-style tests of every kind module.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::Value;

    use super::{Body, Mode, validate};
    use crate::{Kind, RecordId, ValidationErrors};

    /// What [`check`] saw; not `must_use`, as the assertions are already made.
    pub(crate) struct Checked(pub(crate) Result<Body, ValidationErrors>);

    /// Validates `body` as `kind` in `mode` and asserts that exactly `expected` fields
    /// are at fault (in any order); an empty `expected` means the body must pass.
    pub(crate) fn check_mode(kind: Kind, mode: Mode, body: &Value, expected: &[&str]) -> Checked {
        let result = validate(kind, body.to_string().as_bytes(), mode);
        let mut faults: Vec<String> = match &result {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .fields()
                .iter()
                .map(|field| field.to_string())
                .collect(),
        };
        faults.sort();
        let mut wanted: Vec<String> = expected.iter().map(|field| field.to_string()).collect();
        wanted.sort();
        assert_eq!(faults, wanted, "{kind} body {body}: {result:?}");
        Checked(result)
    }

    /// [`check_mode`] in [`Mode::Local`], the strict one.
    pub(crate) fn check(kind: Kind, body: &Value, expected: &[&str]) -> Checked {
        check_mode(kind, Mode::Local, body, expected)
    }

    /// The one message at `field`.
    pub(crate) fn message(checked: &Checked, field: &str) -> String {
        match &checked.0 {
            Ok(_) => String::new(),
            Err(errors) => errors
                .errors
                .iter()
                .filter(|error| error.field == field)
                .map(|error| error.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// `base` with the value at JSON pointer `pointer` (`/evidence/level`) replaced or
    /// added.
    pub(crate) fn with(base: &Value, pointer: &str, new: Value) -> Value {
        let mut body = base.clone();
        let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", pointer));
        match body.pointer_mut(parent) {
            Some(Value::Object(map)) => {
                map.insert(last.to_string(), new);
            }
            Some(Value::Array(items)) => {
                let index: usize = last.parse().unwrap_or(usize::MAX);
                items[index] = new;
            }
            _ => panic!("no parent at {pointer}"),
        }
        body
    }

    /// `base` without the object field at JSON pointer `pointer`.
    pub(crate) fn without(base: &Value, pointer: &str) -> Value {
        let mut body = base.clone();
        let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", pointer));
        match body.pointer_mut(parent) {
            Some(Value::Object(map)) => {
                assert!(map.remove(last).is_some(), "nothing at {pointer}");
            }
            _ => panic!("no object at {pointer}"),
        }
        body
    }

    /// A well-formed record id, distinct per `seed`.
    pub(crate) fn id(seed: u8) -> String {
        RecordId([seed; 32]).to_string()
    }

    /// A string of `chars` Cyrillic characters (two bytes each).
    pub(crate) fn cyrillic(chars: usize) -> String {
        "ж".repeat(chars)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::testing::{check, check_mode, id, message};
    use super::*;

    #[test]
    fn non_json_and_non_objects_are_one_fault_on_the_empty_path() {
        let cases: &[&[u8]] = &[
            b"",
            b"{",
            b"not json",
            b"\xff\xfe",
            b"[1, 2]",
            b"\"text\"",
            b"42",
            b"null",
        ];
        for bytes in cases {
            for kind in Kind::ALL {
                let Err(errors) = validate(kind, bytes, Mode::Received) else {
                    panic!("{kind} accepted {bytes:?}");
                };
                assert_eq!(errors.fields(), vec![""], "{bytes:?}");
            }
        }
    }

    #[test]
    fn every_kind_refuses_an_empty_object_naming_each_required_field() {
        let cases: &[(Kind, &[&str])] = &[
            (Kind::SchoolProfile, &["name", "region", "roles"]),
            (
                Kind::Practice,
                &[
                    "title", "summary", "problem", "subjects", "grades", "method", "language",
                    "license",
                ],
            ),
            (Kind::Feedback, &["target", "kind", "text"]),
            (
                Kind::MentoringRequest,
                &[
                    "title", "problem", "deficits", "subjects", "goals", "formats", "mode",
                    "period", "language",
                ],
            ),
            (
                Kind::MentoringOffer,
                &["title", "expertise", "subjects", "formats", "mode"],
            ),
            (Kind::MentoringAcceptance, &["request", "offer", "autonomy"]),
            (Kind::ProgressReport, &["agreement", "period", "status"]),
            (Kind::MentoringClosure, &["agreement", "outcome", "summary"]),
            (Kind::Retraction, &["doc"]),
            (
                Kind::NetworkCharter,
                &["network", "name", "policy", "registrars"],
            ),
            (
                Kind::MembershipGrant,
                &["network", "school", "role", "from"],
            ),
            (Kind::MembershipRevocation, &["network", "school", "reason"]),
            (Kind::KeyRotation, &["from", "to", "to_signature"]),
            (Kind::Community, &["name", "purpose", "scope", "agreement"]),
            (
                Kind::CommunityMembership,
                &["community", "agreement_version", "by", "status"],
            ),
            (Kind::CommunityEntry, &["community", "step", "type", "text"]),
            (
                Kind::Event,
                &["kind", "title", "starts_at", "ends_at", "mode", "language"],
            ),
            (Kind::EventRegistration, &["event", "by", "status"]),
            (Kind::SelfEducationRoute, &["by"]),
        ];
        for (kind, required) in cases {
            let result = check(*kind, &json!({}), required);
            for field in *required {
                assert_eq!(message(&result, field), "is required");
            }
        }
    }

    #[test]
    fn unknown_fields_are_refused_locally_and_tolerated_when_received() {
        let body = json!({"doc": id(1), "colour": "red", "reason": {"ru": "Дубликат"}});
        let local = check_mode(Kind::Retraction, Mode::Local, &body, &["colour"]);
        assert_eq!(message(&local, "colour"), "is not a known field");
        let received = check_mode(Kind::Retraction, Mode::Received, &body, &[]);
        assert!(matches!(received.0, Ok(Body::Retraction(_))));
    }

    #[test]
    fn machine_translated_is_accepted_beside_the_maps_of_every_kind() {
        let body = json!({
            "doc": id(1),
            "reason": {"ru": "Опубликовано по ошибке", "en": "Published by mistake"},
            "machine_translated": ["en"]
        });
        let Ok(Body::Retraction(retraction)) = check(Kind::Retraction, &body, &[]).0 else {
            panic!("refused");
        };
        assert_eq!(retraction.machine_translated, vec!["en".to_string()]);
        check(
            Kind::Retraction,
            &json!({"doc": id(1), "machine_translated": ["EN"]}),
            &["machine_translated[0]"],
        );
    }

    #[test]
    fn null_counts_as_absent() {
        check(
            Kind::Retraction,
            &json!({"doc": id(1), "reason": null}),
            &[],
        );
        let result = check(Kind::Retraction, &json!({"doc": null}), &["doc"]);
        assert_eq!(message(&result, "doc"), "is required");
    }

    #[test]
    fn small_groups_are_shown_as_under_ten() {
        assert_eq!(display_count(0), "<10");
        assert_eq!(display_count(9), "<10");
        assert_eq!(display_count(10), "10");
        assert_eq!(display_count(254), "254");
    }
}
