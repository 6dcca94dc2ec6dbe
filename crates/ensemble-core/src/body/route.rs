//! `self_education_route` — Индивидуальный образовательный маршрут / Self-education
//! route: a teacher's own plan of professional growth — the deficits they work on,
//! their goals and the steps (practices, events, communities, mentoring, courses) with
//! their status and reflection.
//!
//! A route becomes a record only when its owner publishes it to the network; private
//! and school-visible routes stay in the node's local store and never pass here.

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::codes::{RouteStepStatus, RouteStepType};
use super::lang::LangMap;
use super::person::{Person, read_person};
use super::read::{
    Checker, Object, TEXT, TITLE, closed, code, date, lang_map, machine_translated, string, url,
};
use super::values::Date;
use crate::RecordId;

/// A teacher's published self-education route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelfEducationRoute {
    /// The owner.
    pub by: Person,
    /// Deficit codes the route works on.
    pub deficits: Vec<String>,
    /// Goals, each with an optional deadline.
    pub goals: Vec<RouteGoal>,
    /// Steps, in the owner's order.
    pub steps: Vec<RouteStep>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// One goal of a route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteGoal {
    /// The goal, in words.
    pub text: LangMap,
    /// By when.
    pub deadline: Option<Date>,
}

/// One step of a route: a practice to study, an event, a community, mentoring, a
/// course… Needs a `ref` or a `title`, so that a reader can tell what it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteStep {
    /// What kind of step.
    pub r#type: RouteStepType,
    /// What it points at: a document of the network or a web page.
    #[serde(rename = "ref")]
    pub reference: Option<StepRef>,
    /// What it is called (3–160 characters per language).
    pub title: Option<LangMap>,
    /// By when.
    pub due: Option<Date>,
    /// Planned (the default), in progress or done.
    pub status: RouteStepStatus,
    /// What the owner took from it.
    pub reflection: Option<LangMap>,
}

/// What a route step points at. Serialises as the plain string it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRef {
    /// A document of the network, by doc id.
    Doc(RecordId),
    /// A web page (`https://` or `http://`), e.g. a course outside the network.
    Url(String),
}

impl Serialize for StepRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StepRef::Doc(doc) => doc.serialize(serializer),
            StepRef::Url(url) => serializer.serialize_str(url),
        }
    }
}

/// Reads a `self_education_route` body.
pub(super) fn read_route(checker: &mut Checker, value: &Value) -> Option<SelfEducationRoute> {
    let mut object = Object::read(checker, "", value)?;
    let by = object.req(checker, "by", read_person);
    let deficits = object.list(checker, "deficits", code);
    let goals = object.list(checker, "goals", read_goal);
    let steps = object.list(checker, "steps", read_step);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(SelfEducationRoute {
        by: by?,
        deficits,
        goals,
        steps,
        machine_translated,
    })
}

fn read_goal(checker: &mut Checker, path: &str, value: &Value) -> Option<RouteGoal> {
    let mut object = Object::read(checker, path, value)?;
    let text = object.req(checker, "text", lang_map(TEXT));
    let deadline = object.opt(checker, "deadline", date);
    object.finish(checker);
    Some(RouteGoal {
        text: text?,
        deadline,
    })
}

fn read_step(checker: &mut Checker, path: &str, value: &Value) -> Option<RouteStep> {
    let mut object = Object::read(checker, path, value)?;
    let r#type = object.req(checker, "type", closed::<RouteStepType>);
    let named = object.has("ref") || object.has("title");
    let reference = object.opt(checker, "ref", step_ref);
    let title = object.opt(checker, "title", lang_map(TITLE));
    let due = object.opt(checker, "due", date);
    let status = object.opt(checker, "status", closed::<RouteStepStatus>);
    let reflection = object.opt(checker, "reflection", lang_map(TEXT));
    object.finish(checker);
    if !named {
        // A step that names nothing cannot be followed or counted.
        checker.fail(path, "needs a ref or a title");
        return None;
    }
    Some(RouteStep {
        r#type: r#type?,
        reference,
        title,
        due,
        status: status.unwrap_or(RouteStepStatus::Planned),
        reflection,
    })
}

/// A doc id, or a web address.
fn step_ref(checker: &mut Checker, path: &str, value: &Value) -> Option<StepRef> {
    let text = string(checker, path, value)?;
    if let Ok(doc) = text.parse::<RecordId>() {
        return Some(StepRef::Doc(doc));
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return url(checker, path, value).map(StepRef::Url);
    }
    checker.fail(
        path,
        "must be a doc id or a web address starting with https://",
    );
    None
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Kind;
    use crate::body::Body;
    use crate::body::person::testing::teacher;
    use crate::body::testing::{check, id, message, with, without};

    fn route() -> Value {
        json!({
            "by": teacher(5),
            "deficits": ["formative-assessment", "digital"],
            "goals": [
                {"text": {"ru": "Освоить листы самооценки и применять их на каждом уроке"}, "deadline": "2027-05-31"},
                {"text": {"ru": "Провести открытый урок для коллег сети"}}
            ],
            "steps": [
                {"type": "practice", "ref": id(60), "status": "done", "reflection": {"ru": "Лист самооценки сократила до трёх критериев — так дети успевают."}},
                {"type": "event", "ref": id(61), "title": {"ru": "Вебинар «Листы самооценки»"}, "due": "2027-02-10", "status": "in-progress"},
                {"type": "course", "ref": "https://edu.gov.ru/courses/formative-assessment", "title": {"ru": "Курс «Формирующее оценивание»"}},
                {"type": "other", "title": {"ru": "Взаимопосещение уроков коллеги"}}
            ]
        })
    }

    #[test]
    fn a_realistic_route_passes() {
        let Ok(body) = check(Kind::SelfEducationRoute, &route(), &[]).0 else {
            panic!("refused");
        };
        assert_eq!(
            body.references(),
            vec![RecordId([60; 32]), RecordId([61; 32])]
        );
        let Body::SelfEducationRoute(parsed) = body else {
            panic!("not a route");
        };
        assert_eq!(
            parsed.steps[2].reference,
            Some(StepRef::Url(
                "https://edu.gov.ru/courses/formative-assessment".to_string()
            ))
        );
        assert_eq!(parsed.steps[3].status, RouteStepStatus::Planned);
        let serialised = serde_json::to_value(&parsed.steps[0]).unwrap_or_default();
        assert_eq!(serialised.get("ref"), Some(&json!(id(60))));
        check(Kind::SelfEducationRoute, &json!({"by": teacher(5)}), &[]);
    }

    #[test]
    fn faults() {
        let base = route();
        let result = check(Kind::SelfEducationRoute, &without(&base, "/by"), &["by"]);
        assert_eq!(message(&result, "by"), "is required");
        let cases: Vec<(Value, &[&str], &str)> = vec![
            (
                with(&base, "/deficits", json!(["Цифровые"])),
                &["deficits[0]"],
                "",
            ),
            (
                with(&base, "/goals/0/text", json!(null)),
                &["goals[0].text"],
                "is required",
            ),
            (
                with(&base, "/goals/1/deadline", json!("май 2027")),
                &["goals[1].deadline"],
                "",
            ),
            (
                with(&base, "/steps/0/type", json!("reading")),
                &["steps[0].type"],
                "",
            ),
            (
                without(&base, "/steps/3/type"),
                &["steps[3].type"],
                "is required",
            ),
            (
                with(&base, "/steps/1/status", json!("started")),
                &["steps[1].status"],
                "",
            ),
            (
                with(&base, "/steps/2/ref", json!("javascript:alert(1)")),
                &["steps[2].ref"],
                "must be a doc id or a web address starting with https://",
            ),
            (
                with(&base, "/steps/2/ref", json!("https://")),
                &["steps[2].ref"],
                "is not a web address",
            ),
            (
                with(&base, "/steps/3", json!({"type": "other"})),
                &["steps[3]"],
                "needs a ref or a title",
            ),
            (
                with(&base, "/steps/1/due", json!("2027-02-30")),
                &["steps[1].due"],
                "",
            ),
            (
                with(&base, "/steps/0/reflection", json!("ok")),
                &["steps[0].reflection"],
                "",
            ),
            (
                with(&base, "/steps/1/title", json!({"ru": "Ве"})),
                &["steps[1].title.ru"],
                "",
            ),
        ];
        for (body, expected, text) in cases {
            let result = check(Kind::SelfEducationRoute, &body, expected);
            if !text.is_empty() {
                assert_eq!(message(&result, expected[0]), text);
            }
        }
    }
}
