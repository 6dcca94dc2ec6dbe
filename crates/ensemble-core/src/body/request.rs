//! `mentoring_request` — Запрос на поддержку / Mentoring request: a school's problem,
//! its teachers' professional deficits and one to three measurable goals, from which
//! offers are matched and progress reports are prefilled.

use serde::Serialize;
use serde_json::Value;

use super::codes::{DeliveryMode, Visibility};
use super::lang::LangMap;
use super::person::{Person, read_person};
use super::read::{
    Checker, Object, TEXT, TITLE, closed, code, date, grade, lang_map, language_tags, list,
    machine_translated, period, quantity, short_text,
};
use super::values::{Date, Period, Quantity};

/// Most goals one request or agreement may set: few enough to be reached and reported.
pub const GOALS_MAX: usize = 3;

/// A school's request for mentoring.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MentoringRequest {
    /// Title (3–160 characters per language).
    pub title: LangMap,
    /// The problem statement.
    pub problem: LangMap,
    /// Teachers' professional deficits (`deficits` vocabulary); at least one.
    pub deficits: Vec<String>,
    /// The school's risk profile (`risk_factors` vocabulary). Shown only to partners
    /// and the region.
    pub risk_factors: Vec<String>,
    /// Subject codes; at least one.
    pub subjects: Vec<String>,
    /// Grades concerned.
    pub grades: Vec<u8>,
    /// One to three goals.
    pub goals: Vec<Goal>,
    /// Wanted formats (`formats` vocabulary); at least one.
    pub formats: Vec<String>,
    /// Online, in person or both.
    pub mode: DeliveryMode,
    /// When the support is wanted.
    pub period: Period,
    /// Working languages (BCP 47); at least one.
    pub language: Vec<String>,
    /// The time and resources the school commits.
    pub commitment: Option<LangMap>,
    /// Who may see the request; `region` when not given.
    pub visibility: Visibility,
    /// The person who wrote it through the school's node; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// One measurable goal of a request or an agreement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    /// The goal, in words.
    pub text: LangMap,
    /// How progress is measured.
    pub indicator: Option<String>,
    /// The indicator now.
    pub baseline: Option<Quantity>,
    /// The indicator wanted.
    pub target: Option<Quantity>,
    /// By when.
    pub deadline: Option<Date>,
}

/// Reads a `mentoring_request` body.
pub(super) fn read(checker: &mut Checker, value: &Value) -> Option<MentoringRequest> {
    let mut object = Object::read(checker, "", value)?;
    let title = object.req(checker, "title", lang_map(TITLE));
    let problem = object.req(checker, "problem", lang_map(TEXT));
    let deficits = object.req_list(checker, "deficits", code);
    let risk_factors = object.list(checker, "risk_factors", code);
    let subjects = object.req_list(checker, "subjects", code);
    let grades = object.list(checker, "grades", grade);
    let goals = object.req(checker, "goals", |checker, path, value| {
        list(checker, path, value, 1, GOALS_MAX, read_goal)
    });
    let formats = object.req_list(checker, "formats", code);
    let mode = object.req(checker, "mode", closed::<DeliveryMode>);
    let period = object.req(checker, "period", period);
    let language = object.req(checker, "language", language_tags);
    let commitment = object.opt(checker, "commitment", lang_map(TEXT));
    let visibility = object.opt(checker, "visibility", closed::<Visibility>);
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(MentoringRequest {
        title: title?,
        problem: problem?,
        deficits: deficits?,
        risk_factors,
        subjects: subjects?,
        grades,
        goals: goals?,
        formats: formats?,
        mode: mode?,
        period: period?,
        language: language?,
        commitment,
        visibility: visibility.unwrap_or(Visibility::Region),
        by,
        machine_translated,
    })
}

/// Reads one goal; shared with the agreement, which may edit the request's goals.
pub(super) fn read_goal(checker: &mut Checker, path: &str, value: &Value) -> Option<Goal> {
    let mut object = Object::read(checker, path, value)?;
    let text = object.req(checker, "text", lang_map(TEXT));
    let indicator = object.opt(checker, "indicator", short_text);
    let baseline = object.opt(checker, "baseline", quantity);
    let target = object.opt(checker, "target", quantity);
    let deadline = object.opt(checker, "deadline", date);
    object.finish(checker);
    Some(Goal {
        text: text?,
        indicator,
        baseline,
        target,
        deadline,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Kind;
    use crate::body::Body;
    use crate::body::testing::{check, message, with, without};

    pub(crate) fn valid() -> Value {
        json!({
            "title": {"ru": "Формирующее оценивание на уроках математики в 5–6 классах"},
            "problem": {
                "ru": "По итогам ВПР 40 % пятиклассников не справляются с задачами на дроби; учителя ставят отметки, но не дают обратной связи, по которой ученик понял бы, что исправить."
            },
            "deficits": ["formative-assessment", "teaching-methods"],
            "risk_factors": ["low-teacher-competence", "students-at-risk"],
            "subjects": ["mathematics"],
            "grades": [5, 6],
            "goals": [{
                "text": {"ru": "Учителя математики 5–6 классов используют критериальное оценивание на каждом уроке"},
                "indicator": "Доля уроков с листами самооценки по итогам взаимопосещения",
                "baseline": "0%",
                "target": "80%",
                "deadline": "2027-05-31"
            }, {
                "text": {"ru": "Снизить долю невыполненных задач на дроби в диагностической работе"},
                "indicator": "Доля невыполненных задач",
                "baseline": 40,
                "target": 25,
                "deadline": "2027-05-20"
            }],
            "formats": ["peer-observation", "co-planning", "webinar"],
            "mode": "mixed",
            "period": {"from": "2026-09-01", "to": "2027-05-31"},
            "language": "ru",
            "commitment": {"ru": "Два учителя математики и заместитель директора, 2 часа в неделю; кабинет с проектором для онлайн-встреч."},
            "visibility": "network"
        })
    }

    #[test]
    fn a_realistic_request_passes() {
        let Ok(body) = check(Kind::MentoringRequest, &valid(), &[]).0 else {
            panic!("refused");
        };
        assert!(body.title().is_some());
        assert!(body.references().is_empty());
        let Body::MentoringRequest(request) = body else {
            panic!("not a request");
        };
        assert_eq!(request.goals.len(), 2);
        assert_eq!(request.mode, DeliveryMode::Mixed);
        assert_eq!(request.period.from.to_string(), "2026-09-01");
    }

    #[test]
    fn visibility_defaults_to_the_region() {
        let Ok(Body::MentoringRequest(request)) = check(
            Kind::MentoringRequest,
            &without(&valid(), "/visibility"),
            &[],
        )
        .0
        else {
            panic!("refused");
        };
        assert_eq!(request.visibility, Visibility::Region);
    }

    #[test]
    fn each_required_field() {
        for field in [
            "title", "problem", "deficits", "subjects", "goals", "formats", "mode", "period",
            "language",
        ] {
            let result = check(
                Kind::MentoringRequest,
                &without(&valid(), &format!("/{field}")),
                &[field],
            );
            assert_eq!(message(&result, field), "is required");
        }
    }

    #[test]
    fn faults() {
        let base = valid();
        let goal = json!({"text": {"ru": "Цель"}});
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/goals", json!([])), &["goals"]),
            (with(&base, "/goals", json!([goal, goal, goal])), &[]),
            (
                with(&base, "/goals", json!([goal, goal, goal, goal])),
                &["goals"],
            ),
            (
                with(&base, "/goals/1/deadline", json!("2027-02-30")),
                &["goals[1].deadline"],
            ),
            (
                with(&base, "/goals/1/deadline", json!("31.05.2027")),
                &["goals[1].deadline"],
            ),
            (with(&base, "/goals/0/text", json!({})), &["goals[0].text"]),
            (
                with(&base, "/goals/0/baseline", json!(["0%"])),
                &["goals[0].baseline"],
            ),
            (with(&base, "/deficits", json!([])), &["deficits"]),
            (
                with(&base, "/deficits", json!(["Оценочные"])),
                &["deficits[0]"],
            ),
            (with(&base, "/formats", json!([])), &["formats"]),
            (with(&base, "/mode", json!("hybrid")), &["mode"]),
            (with(&base, "/visibility", json!("public")), &["visibility"]),
            (
                with(
                    &base,
                    "/period",
                    json!({"from": "2027-05-31", "to": "2026-09-01"}),
                ),
                &["period"],
            ),
            (
                with(
                    &base,
                    "/period",
                    json!({"from": "2026-09-01", "to": "2026-09-01"}),
                ),
                &[],
            ),
            (
                with(&base, "/period", json!("2026-09-01/2027-05-31")),
                &["period"],
            ),
            (
                with(&base, "/period/until", json!("2027-05-31")),
                &["period.until"],
            ),
            (with(&base, "/language", json!("русский")), &["language"]),
        ];
        for (body, expected) in cases {
            check(Kind::MentoringRequest, &body, expected);
        }
        let result = check(
            Kind::MentoringRequest,
            &with(&base, "/goals/1/deadline", json!("2027-02-30")),
            &["goals[1].deadline"],
        );
        assert_eq!(
            message(&result, "goals[1].deadline"),
            "is not a calendar date"
        );
        let result = check(
            Kind::MentoringRequest,
            &with(&base, "/mode", json!("hybrid")),
            &["mode"],
        );
        assert_eq!(
            message(&result, "mode"),
            r#"unknown value "hybrid", expected one of online, offline, mixed"#
        );
    }
}
