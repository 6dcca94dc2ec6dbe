//! The mentoring workflow's pure rules: how well an offer fits a request ([`fit`]), what
//! state a request's thread is in ([`derive_thread`]), and whether a new local record
//! would break a rule of that thread ([`check_new`]).
//!
//! Every node runs these same functions over the same signed records, so every node
//! agrees on who is matched with whom, which reports count and which records were
//! refused — without any stored, editable state. Nothing here does I/O or reads a clock:
//! callers pass the records they hold, a `retracted` predicate from the store and
//! `today`.
//!
//! This module does not fetch records, count a mentor's partnerships across threads or
//! compute evidence level E4 from replication reports; callers do that and pass the
//! results in ([`FitInput::active_partnerships`], [`MentorEvidence::level`]).
//!
//! Code map: `fit` scores an offer against a request and explains the score; `thread`
//! derives a request's state from its related records in any order; `rules` names
//! every rule with a stable code and checks one new record against a derived thread.

mod fit;
mod rules;
mod thread;

pub use fit::{
    Fit, FitInput, MAX_SCORE, MentorEvidence, PRACTICES_CAP, Reason, WEIGHT_DEFICITS,
    WEIGHT_GRADES, WEIGHT_LANGUAGE, WEIGHT_MODE, WEIGHT_PRACTICES, WEIGHT_PROBLEMS,
    WEIGHT_SUBJECTS, fit, rank,
};
pub use rules::{Refusal, Rule, RuleContext, check_new};
pub use thread::{Agreement, AgreementState, ReportEntry, RequestState, Thread, derive_thread};

/// Signed test records for the thread and rule tests: real keys, real bodies.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::{Value, json};

    use crate::body::{Date, default_autonomy};
    use crate::{Draft, Kind, LogPosition, RecordId, SchoolId, SchoolKey, VerifiedRecord, sign};

    /// The school asking for support.
    pub(crate) const REQUESTER: u8 = 1;
    /// The mentor school whose offer is accepted.
    pub(crate) const MENTOR: u8 = 2;
    /// A second mentor school.
    pub(crate) const OTHER_MENTOR: u8 = 3;
    /// A school with no part in the thread.
    pub(crate) const STRANGER: u8 = 4;

    /// A day in milliseconds.
    pub(crate) const DAY_MS: u64 = 86_400_000;
    /// 2026-09-01T00:00:00Z, when the request is published.
    pub(crate) const START_MS: u64 = 1_788_220_800_000;

    /// The school id of a test seed.
    pub(crate) fn school(seed: u8) -> SchoolId {
        SchoolKey::from_seed([seed; 32]).school_id()
    }

    /// A date from its ISO text.
    pub(crate) fn date(text: &str) -> Date {
        text.parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    /// `day` days after [`START_MS`].
    pub(crate) fn day(day: u64) -> u64 {
        START_MS + day * DAY_MS
    }

    /// A record signed by school `seed` as the first version of its own document.
    pub(crate) fn signed(seed: u8, kind: Kind, body: Value, created_at: u64) -> VerifiedRecord {
        sign_at(seed, kind, None, body, created_at)
    }

    /// A new version of document `doc`, signed by school `seed`.
    pub(crate) fn version(
        seed: u8,
        kind: Kind,
        doc: RecordId,
        body: Value,
        created_at: u64,
    ) -> VerifiedRecord {
        sign_at(seed, kind, Some(doc), body, created_at)
    }

    fn sign_at(
        seed: u8,
        kind: Kind,
        doc: Option<RecordId>,
        body: Value,
        created_at: u64,
    ) -> VerifiedRecord {
        let draft = Draft {
            network: "ru-tat".to_string(),
            kind,
            doc,
            body: body.to_string().into_bytes(),
        };
        let position = LogPosition {
            seq: if doc.is_some() { 2 } else { 1 },
            backlink: doc,
        };
        match sign(
            &SchoolKey::from_seed([seed; 32]),
            draft,
            position,
            created_at,
        ) {
            Ok(record) => record,
            Err(error) => panic!("{kind} did not sign: {error}"),
        }
    }

    /// A request for support in 5–6 grade mathematics, wanted until `to`.
    pub(crate) fn request_body(to: &str) -> Value {
        json!({
            "title": {"ru": "Формирующее оценивание на уроках математики в 5–6 классах"},
            "problem": {"ru": "Учителя ставят отметки, но не дают обратной связи, по которой ученик понял бы, что исправить."},
            "deficits": ["formative-assessment", "teaching-methods"],
            "risk_factors": ["students-at-risk"],
            "subjects": ["mathematics"],
            "grades": [5, 6],
            "goals": [{"text": {"ru": "Учителя используют листы самооценки на каждом уроке"}}],
            "formats": ["peer-observation", "co-planning"],
            "mode": "mixed",
            "period": {"from": "2026-09-01", "to": to},
            "language": "ru"
        })
    }

    /// An offer to `request`, or a standing offer when `None`.
    pub(crate) fn offer_body(request: Option<RecordId>) -> Value {
        let mut body = json!({
            "title": {"ru": "Взаимопосещения и совместное планирование уроков математики"},
            "expertise": ["formative-assessment", "lesson-study"],
            "subjects": ["mathematics"],
            "formats": ["peer-observation", "co-planning"],
            "mode": "online",
            "capacity": {"schools": 2}
        });
        if let (Some(request), Value::Object(map)) = (request, &mut body) {
            map.insert("request".to_string(), json!(request.to_string()));
        }
        body
    }

    /// An acceptance of `offer` for `request`, with the default autonomy clause.
    pub(crate) fn acceptance_body(request: RecordId, offer: RecordId) -> Value {
        json!({
            "request": request.to_string(),
            "offer": offer.to_string(),
            "autonomy": default_autonomy()
        })
    }

    /// A progress report on the agreement formed by acceptance `agreement`.
    pub(crate) fn report_body(agreement: RecordId, status: &str) -> Value {
        json!({
            "agreement": agreement.to_string(),
            "period": {"from": "2026-09-01", "to": "2026-12-31"},
            "status": status
        })
    }

    /// The closure of the agreement formed by acceptance `agreement`.
    pub(crate) fn closure_body(agreement: RecordId, outcome: &str) -> Value {
        json!({
            "agreement": agreement.to_string(),
            "outcome": outcome,
            "summary": {"ru": "Листы самооценки используются на 75 % уроков."}
        })
    }

    /// An acknowledgement of report `target`.
    pub(crate) fn acknowledgement_body(target: RecordId) -> Value {
        json!({
            "target": target.to_string(),
            "kind": "acknowledgement",
            "text": {"ru": "Отчёт подтверждаем: взаимопосещения проведены."}
        })
    }

    /// A comment on `target`: feedback that is not an acknowledgement.
    pub(crate) fn comment_body(target: RecordId) -> Value {
        json!({
            "target": target.to_string(),
            "kind": "comment",
            "text": {"ru": "Спасибо за подробный отчёт."}
        })
    }
}
