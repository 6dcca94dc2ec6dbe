//! The practice form: `/practices/new` and `/practices/{doc}/edit`, the fields a
//! teacher fills in, and how they become a practice body (and back, for editing).
//!
//! What it owns: the practice's inputs, where each of the body's JSON paths is shown,
//! and the body built from the inputs. What it does not: the form flow and rendering
//! (`editor`) or what makes a practice valid (core's validator, run by the node).

use axum::extract::{Path, State};
use axum::response::Response;
use ensemble_core::Kind;
use ensemble_core::RecordId;
use ensemble_core::body::language_of;
use ensemble_node::search::latest_practice;
use maud::Markup;
use serde_json::{Map, Value, json};

use super::editor::{
    self, Editor, Field, Input, common_body, common_values, field, hinted, render_fields,
};
use super::form::{
    Faults, FieldMap, WHOLE_NUMBER, best_text, lines, quantity_value, scalar, set_detected,
    set_list, set_or_remove, take_object, whole_number,
};
use super::i18n::{self, Lang, Text};
use super::post::SignedInPost;
use super::session::Ctx;
use crate::state::AppState;
use crate::urlencoded::FormData;

/// The practice form's inputs, in the order of the design cycle a teacher follows
/// (problem, method, steps, outcomes, evidence, materials); the qualifier labels the
/// language of the two inputs of a translated text.
const PRACTICE_FORM: &[(Field, Option<Text>)] = &[
    (
        field("title_ru", i18n::TITLE, Input::Line),
        Some(i18n::IN_RUSSIAN),
    ),
    (
        field("title_en", i18n::TITLE, Input::Line),
        Some(i18n::IN_ENGLISH),
    ),
    (
        field("summary_ru", i18n::SUMMARY, Input::Area),
        Some(i18n::IN_RUSSIAN),
    ),
    (
        field("summary_en", i18n::SUMMARY, Input::Area),
        Some(i18n::IN_ENGLISH),
    ),
    (
        field("problem_ru", i18n::PROBLEM_TEXT, Input::Area),
        Some(i18n::IN_RUSSIAN),
    ),
    (
        field("problem_en", i18n::PROBLEM_TEXT, Input::Area),
        Some(i18n::IN_ENGLISH),
    ),
    // Codes rather than free text: the catalog's filters match on these.
    (
        field("problems", i18n::PROBLEMS, Input::Codes("problems")),
        None,
    ),
    (
        field("subjects", i18n::SUBJECTS, Input::Codes("subjects")),
        None,
    ),
    (field("grades", i18n::GRADES, Input::Grades), None),
    (field("levels", i18n::LEVELS, Input::Codes("levels")), None),
    (
        field("method_ru", i18n::METHOD_TEXT, Input::Area),
        Some(i18n::IN_RUSSIAN),
    ),
    (
        field("method_en", i18n::METHOD_TEXT, Input::Area),
        Some(i18n::IN_ENGLISH),
    ),
    (
        field("methods", i18n::METHODS, Input::Codes("methods")),
        None,
    ),
    (
        hinted("steps_ru", i18n::STEPS, i18n::ONE_PER_LINE, Input::Area),
        Some(i18n::IN_RUSSIAN),
    ),
    (
        hinted("steps_en", i18n::STEPS, i18n::ONE_PER_LINE, Input::Area),
        Some(i18n::IN_ENGLISH),
    ),
    (
        field("expected_outcomes", i18n::EXPECTED_OUTCOMES, Input::Area),
        None,
    ),
    (field("conditions", i18n::CONDITIONS, Input::Area), None),
    (field("monitoring", i18n::MONITORING, Input::Area), None),
    // The author's own claim; the card shows the level derived from replications beside it.
    (
        field("evidence_level", i18n::CLAIMED_LEVEL, Input::Level),
        None,
    ),
    // One measure only: further measures of the latest version are kept as they are (see
    // `set_evidence`), so the form stays one screen long.
    (field("measure_name", i18n::MEASURE, Input::Line), None),
    (
        field("measure_instrument", i18n::INSTRUMENT, Input::Line),
        None,
    ),
    (field("measure_n", i18n::GROUP_SIZE, Input::Line), None),
    (field("measure_baseline", i18n::BASELINE, Input::Line), None),
    (field("measure_result", i18n::RESULT, Input::Line), None),
    (field("measure_date", i18n::DATE, Input::Date), None),
    (field("limitations", i18n::LIMITATIONS, Input::Area), None),
    (field("adjustments", i18n::ADJUSTMENTS, Input::Area), None),
    (
        hinted(
            "materials",
            i18n::MATERIALS,
            i18n::MATERIAL_LINES,
            Input::Area,
        ),
        None,
    ),
    (
        hinted(
            "keywords",
            i18n::KEYWORDS,
            i18n::COMMA_SEPARATED,
            Input::Line,
        ),
        None,
    ),
    (field("language", i18n::LANGUAGE, Input::Languages), None),
    (
        field("license", i18n::LICENCE, Input::Code("licences")),
        None,
    ),
    (
        hinted("authors", i18n::AUTHORS, i18n::AUTHOR_LINES, Input::Area),
        None,
    ),
];

/// Where each of the practice body's JSON paths is shown. A fault on a whole language
/// map (`title`: "needs a text in at least one language") goes beside its Russian
/// input, the interface's default language. The form edits the first measure only,
/// so faults of `evidence.measures[0]` go beside their inputs and faults of later
/// measures (kept from the latest version) beside the measure's name, where the
/// teacher at least sees that the evidence needs attention.
pub(crate) const PRACTICE_FIELDS: FieldMap = &[
    ("title.ru", "title_ru"),
    ("title.en", "title_en"),
    ("title", "title_ru"),
    ("summary.ru", "summary_ru"),
    ("summary.en", "summary_en"),
    ("summary", "summary_ru"),
    ("problem.ru", "problem_ru"),
    ("problem.en", "problem_en"),
    ("problem", "problem_ru"),
    ("problems", "problems"),
    ("subjects", "subjects"),
    ("grades", "grades"),
    ("levels", "levels"),
    ("method.ru", "method_ru"),
    ("method.en", "method_en"),
    ("method", "method_ru"),
    ("methods", "methods"),
    ("steps", "steps_ru"),
    ("expected_outcomes", "expected_outcomes"),
    ("conditions", "conditions"),
    ("monitoring", "monitoring"),
    ("evidence", "evidence_level"),
    ("evidence.level", "evidence_level"),
    ("evidence.measures", "measure_name"),
    ("evidence.measures[0].name", "measure_name"),
    ("evidence.measures[0].instrument", "measure_instrument"),
    ("evidence.measures[0].n", "measure_n"),
    ("evidence.measures[0].baseline", "measure_baseline"),
    ("evidence.measures[0].result", "measure_result"),
    ("evidence.measures[0].date", "measure_date"),
    ("evidence.limitations", "limitations"),
    ("adjustments", "adjustments"),
    ("materials", "materials"),
    ("keywords", "keywords"),
    ("language", "language"),
    ("license", "license"),
    ("authors", "authors"),
];

/// The practice editor. New practices start in Russian under the default licence,
/// the commonest choice, so a teacher can publish without touching either.
pub(crate) const PRACTICE: Editor = Editor {
    kind: Kind::Practice,
    routes: "/practices",
    shown_at: "/practices/",
    form_id: "practice-form",
    new_title: i18n::NEW_PRACTICE,
    edit_title: i18n::EDIT_PRACTICE,
    defaults: &[
        ("language", "ru"),
        ("license", ensemble_core::vocab::DEFAULT_LICENSE),
    ],
    fields: PRACTICE_FIELDS,
    own: own_practice,
    inputs: practice_inputs,
    body: practice_body,
    values: practice_values,
};

/// `GET /practices/new`: an empty form (the sign-in page first when signed out).
pub(crate) async fn new_practice(ctx: Ctx) -> Response {
    editor::new_form(&PRACTICE, &ctx)
}

/// `POST /practices/new`: publishes a new practice and shows its card.
pub(crate) async fn create_practice(State(state): State<AppState>, post: SignedInPost) -> Response {
    editor::write(&PRACTICE, &state, None, post).await
}

/// `GET /practices/{doc}/edit`: the form prefilled from the latest version.
pub(crate) async fn edit_practice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(doc): Path<String>,
) -> Response {
    editor::edit_form(&PRACTICE, &state, &ctx, &doc)
}

/// `POST /practices/{doc}/edit`: publishes a new version.
pub(crate) async fn update_practice(
    State(state): State<AppState>,
    Path(doc): Path<String>,
    post: SignedInPost,
) -> Response {
    editor::write(&PRACTICE, &state, Some(&doc), post).await
}

/// This school's practice `doc` with the latest version's JSON body; `None` (a 404)
/// for anything else. Another school's practice is not offered for editing at all: the
/// node would refuse the new version (422), but only after the teacher typed it.
fn own_practice(state: &AppState, doc: &str) -> Option<(RecordId, Value)> {
    let doc: RecordId = doc.parse().ok()?;
    // A store error ends as the same 404: either way there is no practice to offer.
    let latest = latest_practice(state.node.store(), &doc).ok()??;
    if latest.author() != state.node.school_id() {
        return None;
    }
    // `body_bytes` is `None` for a retracted version, which has nothing left to edit.
    let body = serde_json::from_slice(latest.body_bytes()?).ok()?;
    Some((doc, body))
}

/// The practice form's inputs: the field list as is (no rows that repeat).
fn practice_inputs(lang: Lang, values: &FormData, faults: &[(String, String)]) -> Markup {
    render_fields(lang, PRACTICE_FORM, values, faults)
}

/// Practice texts typed in two languages (inputs `{key}_ru`, `{key}_en`).
const PRACTICE_TRANSLATED: &[&str] = &["title", "summary", "problem", "method"];

/// Practice lists of codes, one input each.
const PRACTICE_CODES: &[&str] = &["problems", "subjects", "levels", "methods", "language"];

/// The practice JSON from the form, merged into `base` (the latest version) when
/// updating; faults found before validation (numbers that are not numbers).
fn practice_body(base: Option<Value>, form: &FormData) -> (Value, Faults) {
    let mut faults = Vec::new();
    let mut body = common_body(base, form, PRACTICE_TRANSLATED, PRACTICE_CODES, &mut faults);
    // Steps are typed one per line in each language; line N of both inputs is step N,
    // so a translation lines up with its original without numbering.
    let steps_ru: Vec<&str> = lines(form.raw("steps_ru"));
    let steps_en: Vec<&str> = lines(form.raw("steps_en"));
    // The longer list decides the count, so a step typed in one language only is kept, as a
    // one-language map.
    let steps: Vec<Value> = (0..steps_ru.len().max(steps_en.len()))
        .map(|index| {
            let mut step = Map::new();
            if let Some(text) = steps_ru.get(index) {
                step.insert("ru".into(), json!(text));
            }
            if let Some(text) = steps_en.get(index) {
                step.insert("en".into(), json!(text));
            }
            Value::Object(step)
        })
        .collect();
    set_list(&mut body, "steps", steps);
    for key in [
        "expected_outcomes",
        "conditions",
        "monitoring",
        "adjustments",
    ] {
        set_detected(&mut body, key, form.get(key));
    }
    set_evidence(&mut body, form, &mut faults);
    // The form edits only materials with a link ("name | url" lines). Hashed files
    // cannot be typed into a text box, so they are kept from the latest version.
    let mut materials: Vec<Value> = body
        .get("materials")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter(|item| item.get("url").is_none())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for line in lines(form.raw("materials")) {
        // Split at the last bar, so a name may contain one; a URL would carry it as `%7C`.
        let (name, url) = match line.rsplit_once('|') {
            Some((name, url)) => (name.trim(), Some(url.trim())),
            None => (line, None),
        };
        let mut material = Map::new();
        material.insert("name".into(), json!(name));
        // A line without a URL is still a material: a printed handout has a name only.
        if let Some(url) = url.filter(|url| !url.is_empty()) {
            material.insert("url".into(), json!(url));
        }
        materials.push(Value::Object(material));
    }
    set_list(&mut body, "materials", materials);
    // Teachers separate keywords with commas or semicolons; both are accepted.
    let keywords: Vec<Value> = form
        .raw("keywords")
        .split([',', ';'])
        .map(str::trim)
        .filter(|keyword| !keyword.is_empty())
        .map(Value::from)
        .collect();
    set_list(&mut body, "keywords", keywords);
    // An emptied licence is removed, not kept from the latest version, so what is published is
    // what the teacher left in the form.
    set_or_remove(&mut body, "license", form.get("license"));
    // "Name — role" per line; a plain hyphen is accepted too, since few keyboards
    // have an em dash.
    let authors: Vec<Value> = lines(form.raw("authors"))
        .into_iter()
        .map(|line| {
            let (name, role) = match line.split_once(" — ").or_else(|| line.split_once(" - ")) {
                Some((name, role)) => (name.trim(), Some(role.trim())),
                None => (line, None),
            };
            match role.filter(|role| !role.is_empty()) {
                Some(role) => json!({"name": name, "role": role}),
                None => json!({ "name": name }),
            }
        })
        .collect();
    set_list(&mut body, "authors", authors);
    (Value::Object(body), faults)
}

/// The `evidence` object from the form: the claimed level, the first measure and the
/// limitations, keeping any further measures of the latest version (the form shows
/// only one). A measure's count must be a whole number before it can be JSON at all.
fn set_evidence(
    body: &mut Map<String, Value>,
    form: &FormData,
    faults: &mut Vec<(String, String)>,
) {
    // Starts from the latest version's evidence, so the parts the form does not show survive an
    // edit.
    let mut evidence = take_object(body, "evidence");
    set_or_remove(&mut evidence, "level", form.get("evidence_level"));
    let mut measures: Vec<Value> = evidence
        .remove("measures")
        .and_then(|measures| match measures {
            Value::Array(items) => Some(items),
            _ => None,
        })
        .unwrap_or_default();
    let typed = [
        "measure_name",
        "measure_instrument",
        "measure_n",
        "measure_baseline",
        "measure_result",
        "measure_date",
    ]
    .iter()
    .any(|name| form.get(name).is_some());
    // The form's measure replaces the first one; emptied inputs remove it.
    if !measures.is_empty() {
        measures.remove(0);
    }
    if typed {
        let mut measure = Map::new();
        if let Some(name) = form.get("measure_name") {
            // Tagged with the language it is written in, like the other single-input texts.
            measure.insert("name".into(), json!({ language_of(name): name }));
        }
        if let Some(instrument) = form.get("measure_instrument") {
            measure.insert("instrument".into(), json!(instrument));
        }
        if let Some(n) = whole_number(form, "measure_n", WHOLE_NUMBER, faults) {
            measure.insert("n".into(), json!(n));
        }
        for (field, key) in [
            ("measure_baseline", "baseline"),
            ("measure_result", "result"),
        ] {
            if let Some(value) = form.get(field) {
                measure.insert(key.into(), quantity_value(value));
            }
        }
        if let Some(date) = form.get("measure_date") {
            measure.insert("date".into(), json!(date));
        }
        measures.insert(0, Value::Object(measure));
    }
    // Left out when empty, like every optional part, rather than published as an empty list.
    if !measures.is_empty() {
        evidence.insert("measures".into(), Value::Array(measures));
    }
    match form.get("limitations") {
        Some(text) => {
            let mut limitations = take_object(&mut evidence, "limitations");
            limitations.insert(language_of(text).into(), json!(text));
            evidence.insert("limitations".into(), Value::Object(limitations));
        }
        None => {
            evidence.remove("limitations");
        }
    }
    if !evidence.is_empty() {
        body.insert("evidence".into(), Value::Object(evidence));
    }
}

/// The form values of a practice body (for editing).
fn practice_values(lang: Lang, body: &Value) -> FormData {
    let mut values = common_values(body, PRACTICE_TRANSLATED, PRACTICE_CODES);
    // Back into one box per language, one step per line: the inverse of `practice_body`.
    for language in ["ru", "en"] {
        let steps: Vec<&str> = body["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|step| step[language].as_str())
            .collect();
        values.push(&format!("steps_{language}"), &steps.join("\n"));
    }
    for key in [
        "expected_outcomes",
        "conditions",
        "monitoring",
        "adjustments",
    ] {
        // One box for these texts: the reader's language if present, else the best other one, so an
        // edit starts from a text the teacher can read.
        values.push(key, &best_text(lang, &body[key]));
    }
    let evidence = &body["evidence"];
    if let Some(level) = evidence["level"].as_str() {
        values.push("evidence_level", level);
    }
    // Only the first measure is editable; see `set_evidence`.
    let measure = &evidence["measures"][0];
    values.push("measure_name", &best_text(lang, &measure["name"]));
    for (field, key) in [
        ("measure_instrument", "instrument"),
        ("measure_n", "n"),
        ("measure_baseline", "baseline"),
        ("measure_result", "result"),
        ("measure_date", "date"),
    ] {
        values.push(field, &scalar(&measure[key]));
    }
    values.push("limitations", &best_text(lang, &evidence["limitations"]));
    let materials: Vec<String> = body["materials"]
        .as_array()
        .into_iter()
        .flatten()
        // Only linked materials go back into the box; hashed files stay out of it and are kept by
        // `practice_body`.
        .filter_map(|material| {
            let url = material["url"].as_str()?;
            Some(format!(
                "{} | {url}",
                material["name"].as_str().unwrap_or_default()
            ))
        })
        .collect();
    values.push("materials", &materials.join("\n"));
    let keywords: Vec<&str> = body["keywords"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    // Joined with a separator the parser splits on, so the keywords survive an
    // unchanged save as they were.
    values.push("keywords", &keywords.join(", "));
    if let Some(license) = body["license"].as_str() {
        values.push("license", license);
    }
    let authors: Vec<String> = body["authors"]
        .as_array()
        .into_iter()
        .flatten()
        // Written back with the em dash `practice_body` splits on.
        .map(|author| match author["role"].as_str() {
            Some(role) => format!("{} — {role}", author["name"].as_str().unwrap_or_default()),
            None => author["name"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    values.push("authors", &authors.join("\n"));
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::form::filled as form;
    use ensemble_core::body::{Mode, validate};

    #[test]
    fn a_filled_practice_form_is_a_valid_body() {
        let form = form(&[
            ("title_ru", "Стратегии смыслового чтения"),
            ("title_en", "Reading strategies"),
            ("summary_ru", "Приёмы работы с текстом на каждом уроке"),
            ("problem_ru", "Ученики не понимают прочитанное"),
            ("subjects", "russian"),
            ("grades", "5"),
            ("grades", "6"),
            ("method_ru", "Инсерт и кластер"),
            ("methods", "reading-strategies"),
            ("steps_ru", "Диагностика\n\nПриёмы\nИтог"),
            ("evidence_level", "E2"),
            ("measure_name", "Доля справившихся"),
            ("measure_n", "46"),
            ("measure_baseline", "41%"),
            ("measure_result", "63%"),
            ("materials", "Памятка | https://school.example/memo.pdf"),
            ("keywords", "смысловое чтение, инсерт"),
            ("language", "ru"),
            ("license", "CC-BY-4.0"),
            ("authors", "Иванова Анна — учитель русского языка"),
        ]);
        let (body, faults) = practice_body(None, &form);
        assert!(faults.is_empty());
        let checked = validate(Kind::Practice, body.to_string().as_bytes(), Mode::Local);
        assert!(checked.is_ok(), "{checked:?}\n{body}");
        assert_eq!(body["steps"].as_array().map(Vec::len), Some(3));
        assert_eq!(body["authors"][0]["role"], json!("учитель русского языка"));
    }

    #[test]
    fn an_update_keeps_what_the_form_does_not_show() {
        let base = json!({
            "title": {"ru": "Старое", "tt": "Иске"},
            "materials": [{"name": "Файл", "hash": "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"}],
            "based_on": ["bxyz"],
            "evidence": {"level": "E2", "measures": [{"name": {"ru": "A"}}, {"name": {"ru": "B"}}]}
        });
        let form = form(&[
            ("title_ru", "Новое"),
            ("evidence_level", "E2"),
            ("measure_name", "В"),
        ]);
        let (body, _) = practice_body(Some(base), &form);
        assert_eq!(body["title"], json!({"ru": "Новое", "tt": "Иске"}));
        assert_eq!(body["based_on"], json!(["bxyz"]));
        assert_eq!(body["materials"][0]["name"], json!("Файл"));
        assert_eq!(body["evidence"]["measures"][0]["name"], json!({"ru": "В"}));
        assert_eq!(body["evidence"]["measures"][1]["name"], json!({"ru": "B"}));
    }
}
