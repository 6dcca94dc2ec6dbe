//! `feedback` — Отзыв коллеги / Colleague's feedback on any record: comments, questions,
//! endorsements, flags, a mentor's acknowledgement of a progress report, and the
//! replication report ("I applied this practice") that evidence level E4 is computed
//! from.

use serde::Serialize;
use serde_json::Value;

use super::codes::{AuthorRole, FeedbackKind};
use super::lang::LangMap;
use super::person::{Person, read_person};
use super::practice::{Measure, read_measure};
use super::read::{
    Checker, Object, TEXT, closed, code, grade, lang_map, machine_translated, period, record_id,
};
use super::values::Period;
use crate::RecordId;

/// A colleague's feedback on a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feedback {
    /// The record the feedback is about.
    pub target: RecordId,
    /// What kind of feedback this is.
    pub kind: FeedbackKind,
    /// The feedback itself.
    pub text: LangMap,
    /// Present exactly when `kind` is `replication`.
    pub replication: Option<Replication>,
    /// The author's position.
    pub author_role: Option<AuthorRole>,
    /// The person who wrote it through the school's node; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// How a practice went when another school applied it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replication {
    /// Subjects it was applied in.
    pub subjects: Vec<String>,
    /// Grades it was applied in.
    pub grades: Vec<u8>,
    /// When.
    pub period: Option<Period>,
    /// The replicating school's context.
    pub context: Option<LangMap>,
    /// What came of it.
    pub results: Option<LangMap>,
    /// Aggregated measurements.
    pub measures: Vec<Measure>,
}

/// Reads a `feedback` body.
pub(super) fn read(checker: &mut Checker, value: &Value) -> Option<Feedback> {
    let mut object = Object::read(checker, "", value)?;
    let target = object.req(checker, "target", record_id);
    let kind = object.req(checker, "kind", closed::<FeedbackKind>);
    let text = object.req(checker, "text", lang_map(TEXT));
    let has_replication = object.has("replication");
    let replication = object.opt(checker, "replication", read_replication);
    let author_role = object.opt(checker, "author_role", closed::<AuthorRole>);
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    match (kind, has_replication) {
        (Some(FeedbackKind::Replication), false) => {
            checker.fail("replication", "is required when kind is replication");
        }
        (Some(kind), true) if kind != FeedbackKind::Replication => {
            checker.fail("replication", "is only allowed when kind is replication");
        }
        _ => {}
    }
    Some(Feedback {
        target: target?,
        kind: kind?,
        text: text?,
        replication,
        author_role,
        by,
        machine_translated,
    })
}

fn read_replication(checker: &mut Checker, path: &str, value: &Value) -> Option<Replication> {
    let mut object = Object::read(checker, path, value)?;
    let subjects = object.list(checker, "subjects", code);
    let grades = object.list(checker, "grades", grade);
    let period = object.opt(checker, "period", period);
    let context = object.opt(checker, "context", lang_map(TEXT));
    let results = object.opt(checker, "results", lang_map(TEXT));
    let measures = object.list(checker, "measures", read_measure);
    object.finish(checker);
    Some(Replication {
        subjects,
        grades,
        period,
        context,
        results,
        measures,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Kind;
    use crate::body::Body;
    use crate::body::testing::{check, id, message, with, without};

    fn replication() -> Value {
        json!({
            "target": id(20),
            "kind": "replication",
            "text": {"ru": "Применили приёмы «инсерт» и «кластер» в двух шестых классах, за четверть результат диагностики заметно вырос."},
            "replication": {
                "subjects": ["biology", "geography"],
                "grades": [6],
                "period": {"from": "2027-01-12", "to": "2027-03-20"},
                "context": {"ru": "Сельская школа, 14 и 9 учащихся в классах."},
                "results": {"ru": "Доля выполнивших задания на смысловое чтение выросла с 35 до 52 %."},
                "measures": [{
                    "name": {"ru": "Доля выполнивших задания на смысловое чтение"},
                    "instrument": "Диагностическая работа",
                    "n": 23,
                    "baseline": 35,
                    "result": 52,
                    "date": "2027-03-18"
                }]
            },
            "author_role": "teacher"
        })
    }

    fn acknowledgement() -> Value {
        json!({
            "target": id(21),
            "kind": "acknowledgement",
            "text": {"ru": "Отчёт за первую четверть подтверждаем: взаимопосещения проведены, план выполняется."},
            "author_role": "methodologist"
        })
    }

    #[test]
    fn realistic_feedback_passes() {
        let Ok(body) = check(Kind::Feedback, &replication(), &[]).0 else {
            panic!("refused");
        };
        assert_eq!(
            body.references()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![id(20)]
        );
        assert_eq!(body.title(), None);
        let Body::Feedback(feedback) = body else {
            panic!("not feedback");
        };
        assert_eq!(feedback.kind, FeedbackKind::Replication);
        assert_eq!(
            feedback
                .replication
                .map(|replication| replication.measures.len()),
            Some(1)
        );
        check(Kind::Feedback, &acknowledgement(), &[]);
        check(
            Kind::Feedback,
            &json!({"target": id(22), "kind": "question", "text": {"ru": "Сколько времени урока занимает работа с кластером?"}}),
            &[],
        );
    }

    #[test]
    fn faults() {
        let base = replication();
        let cases: Vec<(Value, &[&str])> = vec![
            (without(&base, "/target"), &["target"]),
            (without(&base, "/kind"), &["kind"]),
            (without(&base, "/text"), &["text"]),
            (with(&base, "/target", json!("bafy-not-an-id")), &["target"]),
            (with(&base, "/target", json!(42)), &["target"]),
            (with(&base, "/kind", json!("like")), &["kind"]),
            (
                with(&base, "/author_role", json!("director")),
                &["author_role"],
            ),
            (
                with(&base, "/replication/grades", json!([6, 13])),
                &["replication.grades[1]"],
            ),
            (
                with(
                    &base,
                    "/replication/period",
                    json!({"from": "2027-03-20", "to": "2027-01-12"}),
                ),
                &["replication.period"],
            ),
            (
                with(&base, "/replication/period", json!({"from": "2027-01-12"})),
                &["replication.period.to"],
            ),
            (
                with(&base, "/replication/measures/0/n", json!("23")),
                &["replication.measures[0].n"],
            ),
            (with(&base, "/replication", json!("да")), &["replication"]),
        ];
        for (body, expected) in cases {
            check(Kind::Feedback, &body, expected);
        }
        let result = check(
            Kind::Feedback,
            &with(
                &base,
                "/replication/period",
                json!({"from": "2027-03-20", "to": "2027-01-12"}),
            ),
            &["replication.period"],
        );
        assert_eq!(
            message(&result, "replication.period"),
            "from must not be after to"
        );
    }

    #[test]
    fn replication_object_goes_with_replication_kind_only() {
        let result = check(
            Kind::Feedback,
            &without(&replication(), "/replication"),
            &["replication"],
        );
        assert_eq!(
            message(&result, "replication"),
            "is required when kind is replication"
        );
        let misplaced = with(&acknowledgement(), "/replication", json!({"grades": [5]}));
        let result = check(Kind::Feedback, &misplaced, &["replication"]);
        assert_eq!(
            message(&result, "replication"),
            "is only allowed when kind is replication"
        );
    }
}
