//! `mentoring_offer` — Предложение наставничества / Mentoring offer from a mentor
//! school: an answer to one request, or a standing offer when `request` is absent.

use serde::Serialize;
use serde_json::Value;

use super::codes::DeliveryMode;
use super::lang::LangMap;
use super::person::{Person, read_person};
use super::read::{
    Checker, Object, TEXT, TITLE, closed, code, date, grade, lang_map, machine_translated,
    positive, record_id, short_text,
};
use super::values::Date;
use crate::RecordId;

/// A mentor school's offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MentoringOffer {
    /// The request answered; `None` for a standing offer.
    pub request: Option<RecordId>,
    /// Title (3–160 characters per language).
    pub title: LangMap,
    /// Problem, deficit or method codes offered; at least one.
    pub expertise: Vec<String>,
    /// Subject codes; at least one.
    pub subjects: Vec<String>,
    /// Grades covered.
    pub grades: Vec<u8>,
    /// Formats offered (`formats` vocabulary); at least one.
    pub formats: Vec<String>,
    /// Online, in person or both.
    pub mode: DeliveryMode,
    /// How many partners the school can take on.
    pub capacity: Option<Capacity>,
    /// The mentors, named with their consent.
    pub mentors: Vec<Mentor>,
    /// The school's practice records that prove the expertise.
    pub evidence: Vec<RecordId>,
    /// Conditions of the offer.
    pub terms: Option<LangMap>,
    /// Last day the offer stands.
    pub valid_until: Option<Date>,
    /// The person who wrote it through the school's node; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// How many partners a mentor school can take on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capacity {
    /// Schools at a time.
    pub schools: Option<u32>,
    /// Teachers at a time.
    pub teachers: Option<u32>,
}

/// One mentor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mentor {
    /// Name, published with consent.
    pub name: String,
    /// Position.
    pub role: Option<String>,
    /// Subject code.
    pub subject: Option<String>,
}

/// Reads a `mentoring_offer` body.
pub(super) fn read(checker: &mut Checker, value: &Value) -> Option<MentoringOffer> {
    let mut object = Object::read(checker, "", value)?;
    let request = object.opt(checker, "request", record_id);
    let title = object.req(checker, "title", lang_map(TITLE));
    let expertise = object.req_list(checker, "expertise", code);
    let subjects = object.req_list(checker, "subjects", code);
    let grades = object.list(checker, "grades", grade);
    let formats = object.req_list(checker, "formats", code);
    let mode = object.req(checker, "mode", closed::<DeliveryMode>);
    let capacity = object.opt(checker, "capacity", read_capacity);
    let mentors = object.list(checker, "mentors", read_mentor);
    let evidence = object.list(checker, "evidence", record_id);
    let terms = object.opt(checker, "terms", lang_map(TEXT));
    let valid_until = object.opt(checker, "valid_until", date);
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(MentoringOffer {
        request,
        title: title?,
        expertise: expertise?,
        subjects: subjects?,
        grades,
        formats: formats?,
        mode: mode?,
        capacity,
        mentors,
        evidence,
        terms,
        valid_until,
        by,
        machine_translated,
    })
}

fn read_capacity(checker: &mut Checker, path: &str, value: &Value) -> Option<Capacity> {
    let mut object = Object::read(checker, path, value)?;
    let schools = object.opt(checker, "schools", positive);
    let teachers = object.opt(checker, "teachers", positive);
    object.finish(checker);
    Some(Capacity { schools, teachers })
}

fn read_mentor(checker: &mut Checker, path: &str, value: &Value) -> Option<Mentor> {
    let mut object = Object::read(checker, path, value)?;
    let name = object.req(checker, "name", short_text);
    let role = object.opt(checker, "role", short_text);
    let subject = object.opt(checker, "subject", code);
    object.finish(checker);
    Some(Mentor {
        name: name?,
        role,
        subject,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::Kind;
    use crate::body::Body;
    use crate::body::testing::{check, id, message, with, without};

    fn valid() -> Value {
        json!({
            "request": id(30),
            "title": {"ru": "Взаимопосещения и совместное планирование: формирующее оценивание в математике"},
            "expertise": ["formative-assessment", "lesson-study", "basic-skills-gaps"],
            "subjects": ["mathematics"],
            "grades": [5, 6, 7],
            "formats": ["peer-observation", "co-planning", "internship"],
            "mode": "mixed",
            "capacity": {"schools": 2, "teachers": 6},
            "mentors": [
                {"name": "Кузнецова Елена Викторовна", "role": "учитель математики высшей категории", "subject": "mathematics"},
                {"name": "Хайруллин Ильдар Ринатович", "role": "заместитель директора по УВР"}
            ],
            "evidence": [id(31), id(32)],
            "terms": {"ru": "Раз в месяц — очная стажировка у нас, между ними — онлайн-планирование уроков по вторникам."},
            "valid_until": "2027-06-30"
        })
    }

    #[test]
    fn a_realistic_offer_passes() {
        let Ok(body) = check(Kind::MentoringOffer, &valid(), &[]).0 else {
            panic!("refused");
        };
        let references: Vec<String> = body.references().iter().map(ToString::to_string).collect();
        assert_eq!(references, vec![id(30), id(31), id(32)]);
        let Body::MentoringOffer(offer) = body else {
            panic!("not an offer");
        };
        assert_eq!(
            offer.capacity.and_then(|capacity| capacity.teachers),
            Some(6)
        );
    }

    #[test]
    fn a_standing_offer_has_no_request() {
        let Ok(body) = check(Kind::MentoringOffer, &without(&valid(), "/request"), &[]).0 else {
            panic!("refused");
        };
        assert_eq!(body.references().len(), 2);
    }

    #[test]
    fn faults() {
        let base = valid();
        for field in ["title", "expertise", "subjects", "formats", "mode"] {
            let result = check(
                Kind::MentoringOffer,
                &without(&base, &format!("/{field}")),
                &[field],
            );
            assert_eq!(message(&result, field), "is required");
        }
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/request", json!("request-30")), &["request"]),
            (
                with(&base, "/evidence", json!([id(31), "b"])),
                &["evidence[1]"],
            ),
            (with(&base, "/expertise", json!([])), &["expertise"]),
            (
                with(&base, "/capacity/schools", json!(0)),
                &["capacity.schools"],
            ),
            (
                with(&base, "/capacity/teachers", json!(2.5)),
                &["capacity.teachers"],
            ),
            (
                with(&base, "/capacity/classes", json!(3)),
                &["capacity.classes"],
            ),
            (
                with(&base, "/mentors/1", json!({"role": "методист"})),
                &["mentors[1].name"],
            ),
            (
                with(&base, "/mentors/0/subject", json!("Математика")),
                &["mentors[0].subject"],
            ),
            (
                with(&base, "/valid_until", json!("2027-06-31")),
                &["valid_until"],
            ),
            (with(&base, "/mode", json!("Online")), &["mode"]),
        ];
        for (body, expected) in cases {
            check(Kind::MentoringOffer, &body, expected);
        }
    }
}
