//! The mentoring-request form: `/mentoring/requests/new` and
//! `/mentoring/requests/{doc}/edit`, the fields a school fills in to ask for support,
//! and how they become a request body (and back, for editing).
//!
//! What it owns: the request's inputs (with up to [`GOAL_ROWS`] goal rows), where each
//! of the body's JSON paths is shown, and the body built from the inputs. What it does
//! not: the form flow and rendering (`editor`), what makes a request valid (core's
//! validator), or offers and agreements (the JSON API and the mentoring page).

use axum::extract::{Path, State};
use axum::response::Response;
use ensemble_core::body::language_of;
use ensemble_core::{Kind, RecordId};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::editor::{self, Editor, Field, Input, common_body, common_values, field, render_fields};
use super::form::{
    Faults, FieldMap, best_text, period_of, quantity_value, scalar, set_detected, set_list,
    set_or_remove,
};
use super::i18n::{self, Lang, Text};
use super::layout::field_errors;
use super::post::SignedInPost;
use super::session::Ctx;
use crate::state::AppState;
use crate::urlencoded::FormData;

/// How many goal rows the request form offers: a fixed number of rows, since the
/// pages have no script to add one.
const GOAL_ROWS: usize = 3;

/// The request form's inputs apart from the goal rows (see [`request_inputs`]),
/// from the problem to the terms a mentor school needs to judge its fit.
///
/// Order matters: [`request_inputs`] splits this list after `grades` (index 8) to put the
/// goal rows there, so a field added before `grades` must move that index too.
const REQUEST_FORM: &[(Field, Option<Text>)] = &[
    (
        field("title_ru", i18n::TITLE, Input::Line),
        Some(i18n::IN_RUSSIAN),
    ),
    (
        field("title_en", i18n::TITLE, Input::Line),
        Some(i18n::IN_ENGLISH),
    ),
    (
        field("problem_ru", i18n::REQUEST_PROBLEM, Input::Area),
        Some(i18n::IN_RUSSIAN),
    ),
    (
        field("problem_en", i18n::REQUEST_PROBLEM, Input::Area),
        Some(i18n::IN_ENGLISH),
    ),
    (
        field("deficits", i18n::DEFICITS, Input::Codes("deficits")),
        None,
    ),
    // Risk factors are shown only to partners and the requester's region (see `pages`), so a
    // school can name them frankly.
    (
        field(
            "risk_factors",
            i18n::RISK_FACTORS,
            Input::Codes("risk_factors"),
        ),
        None,
    ),
    (
        field("subjects", i18n::SUBJECTS, Input::Codes("subjects")),
        None,
    ),
    (field("grades", i18n::GRADES, Input::Grades), None),
    (
        field("formats", i18n::FORMATS, Input::Codes("formats")),
        None,
    ),
    (field("mode", i18n::MODE, Input::Code("modes")), None),
    (
        field("period_from", i18n::PERIOD, Input::Date),
        Some(i18n::FROM),
    ),
    (
        field("period_to", i18n::PERIOD, Input::Date),
        Some(i18n::TO),
    ),
    (field("language", i18n::LANGUAGE, Input::Languages), None),
    (field("commitment", i18n::COMMITMENT, Input::Area), None),
    // Defaults to the region (see `REQUEST`): neighbours are the likeliest mentors.
    (
        field("visibility", i18n::VISIBILITY, Input::Code("visibility")),
        None,
    ),
];

/// Where each of the request body's JSON paths is shown. A fault on a whole goal
/// (`goals[1]`) goes beside that row's text input; one on the goal list as a whole
/// (`goals`) beside the first row, where a teacher starts; one on the period as a
/// whole ("from must not be after to") beside its start.
pub(crate) const REQUEST_FIELDS: FieldMap = &[
    ("title.ru", "title_ru"),
    ("title.en", "title_en"),
    ("title", "title_ru"),
    ("problem.ru", "problem_ru"),
    ("problem.en", "problem_en"),
    ("problem", "problem_ru"),
    ("deficits", "deficits"),
    ("risk_factors", "risk_factors"),
    ("subjects", "subjects"),
    ("grades", "grades"),
    ("goals", "goal1_text"),
    ("goals[0]", "goal1_text"),
    ("goals[0].indicator", "goal1_indicator"),
    ("goals[0].baseline", "goal1_baseline"),
    ("goals[0].target", "goal1_target"),
    ("goals[0].deadline", "goal1_deadline"),
    ("goals[1]", "goal2_text"),
    ("goals[1].indicator", "goal2_indicator"),
    ("goals[1].baseline", "goal2_baseline"),
    ("goals[1].target", "goal2_target"),
    ("goals[1].deadline", "goal2_deadline"),
    ("goals[2]", "goal3_text"),
    ("goals[2].indicator", "goal3_indicator"),
    ("goals[2].baseline", "goal3_baseline"),
    ("goals[2].target", "goal3_target"),
    ("goals[2].deadline", "goal3_deadline"),
    ("formats", "formats"),
    ("mode", "mode"),
    ("period", "period_from"),
    ("period.from", "period_from"),
    ("period.to", "period_to"),
    ("language", "language"),
    ("commitment", "commitment"),
    ("visibility", "visibility"),
];

/// The request editor. New requests default to the region's visibility and a mixed
/// (online and on-site) mode, the usual case for a school asking a neighbour.
pub(crate) const REQUEST: Editor = Editor {
    kind: Kind::MentoringRequest,
    routes: "/mentoring/requests",
    // No page of its own: a request is a section of the mentoring page, anchored by its id.
    shown_at: "/mentoring#request-",
    form_id: "request-form",
    new_title: i18n::NEW_REQUEST,
    edit_title: i18n::EDIT_REQUEST,
    defaults: &[
        ("language", "ru"),
        ("visibility", "region"),
        ("mode", "mixed"),
    ],
    fields: REQUEST_FIELDS,
    own: own_request,
    inputs: request_inputs,
    body: request_body,
    values: request_values,
};

/// `GET /mentoring/requests/new`: an empty form (the sign-in page when signed out).
pub(crate) async fn new_request(ctx: Ctx) -> Response {
    editor::new_form(&REQUEST, &ctx)
}

/// `POST /mentoring/requests/new`: publishes the request; the mentoring page shows it.
pub(crate) async fn create_request(State(state): State<AppState>, post: SignedInPost) -> Response {
    editor::write(&REQUEST, &state, None, post).await
}

/// `GET /mentoring/requests/{doc}/edit`: the form prefilled from the latest version.
pub(crate) async fn edit_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(doc): Path<String>,
) -> Response {
    editor::edit_form(&REQUEST, &state, &ctx, &doc)
}

/// `POST /mentoring/requests/{doc}/edit`: publishes a new version of the request.
pub(crate) async fn update_request(
    State(state): State<AppState>,
    Path(doc): Path<String>,
    post: SignedInPost,
) -> Response {
    editor::write(&REQUEST, &state, Some(&doc), post).await
}

/// Request texts typed in two languages (inputs `{key}_ru`, `{key}_en`).
const REQUEST_TRANSLATED: &[&str] = &["title", "problem"];

/// Request lists of codes, one input each.
const REQUEST_CODES: &[&str] = &[
    "deficits",
    "risk_factors",
    "subjects",
    "formats",
    "language",
];

/// This school's mentoring request `doc` (not retracted) with the latest version's
/// JSON body; `None` (a 404) otherwise. The first version decides kind and author: a
/// document's id is its first version's, and only its author may add versions.
fn own_request(state: &AppState, doc: &str) -> Option<(RecordId, Value)> {
    let doc: RecordId = doc.parse().ok()?;
    let store = state.node.store();
    // A store error ends as the same 404: either way there is no request to offer.
    let first = store.get(&doc).ok()??;
    if first.record.kind() != Kind::MentoringRequest
        || first.retracted
        || first.record.author() != state.node.school_id()
    {
        return None;
    }
    // The form starts from the latest version, the one partners currently see.
    let latest = store.latest_id(&doc).ok()??;
    let record = store.get(&latest).ok()??.record;
    let body = serde_json::from_slice(record.body_bytes()?).ok()?;
    Some((doc, body))
}

/// The request form's inputs: the goal rows stand between the grades and the formats.
fn request_inputs(lang: Lang, values: &FormData, faults: &[(String, String)]) -> Markup {
    html! {
        // Index 8 is the end of `grades`; see the order note on `REQUEST_FORM`.
        (render_fields(lang, &REQUEST_FORM[..8], values, faults))
        fieldset {
            legend { (lang.t(i18n::GOALS)) }
            // Rows are numbered from 1 in names and labels, as a teacher counts them;
            // `REQUEST_FIELDS` maps `goals[0]` to `goal1_…`.
            @for row in 1..=GOAL_ROWS {
                @let prefix = format!("goal{row}");
                div.field {
                    @let text = format!("{prefix}_text");
                    label for=(text) { (lang.t(i18n::GOAL)) " " (row) }
                    input type="text" name=(text) id=(text) value=(values.raw(&text));
                    (field_errors(faults, &text))
                }
                // A date input for the deadline: the browser offers a picker and sends the
                // `YYYY-MM-DD` form the body expects.
                @for (suffix, label, kind) in [("indicator", i18n::INDICATOR, "text"), ("baseline", i18n::BASELINE, "text"), ("target", i18n::TARGET, "text"), ("deadline", i18n::DEADLINE, "date")] {
                    @let name = format!("{prefix}_{suffix}");
                    label for=(name) { (lang.t(label)) " " }
                    input type=(kind) name=(name) id=(name) value=(values.raw(&name));
                    " "
                    (field_errors(faults, &name))
                }
            }
        }
        (render_fields(lang, &REQUEST_FORM[8..], values, faults))
    }
}

/// The request JSON from the form, merged into `base` (the latest version) when
/// updating; faults found before validation.
fn request_body(base: Option<Value>, form: &FormData) -> (Value, Faults) {
    let mut faults = Vec::new();
    let mut body = common_body(base, form, REQUEST_TRANSLATED, REQUEST_CODES, &mut faults);
    let mut goals = Vec::new();
    for row in 1..=GOAL_ROWS {
        let name = |suffix: &str| format!("goal{row}_{suffix}");
        // A row left wholly empty is no goal; a partly filled one is sent as typed,
        // so the validator names what it lacks beside the row.
        let typed = ["text", "indicator", "baseline", "target", "deadline"]
            .iter()
            .any(|suffix| form.get(&name(suffix)).is_some());
        if !typed {
            continue;
        }
        let mut goal = Map::new();
        if let Some(text) = form.get(&name("text")) {
            // Tagged with the language it is written in, like the other single-input texts.
            goal.insert("text".into(), json!({ language_of(text): text }));
        }
        if let Some(indicator) = form.get(&name("indicator")) {
            goal.insert("indicator".into(), json!(indicator));
        }
        for key in ["baseline", "target"] {
            if let Some(value) = form.get(&name(key)) {
                // `40` goes as a number and `60%` as text: the schema accepts both.
                goal.insert(key.into(), quantity_value(value));
            }
        }
        if let Some(deadline) = form.get(&name("deadline")) {
            goal.insert("deadline".into(), json!(deadline));
        }
        goals.push(Value::Object(goal));
    }
    set_list(&mut body, "goals", goals);
    for key in ["mode", "visibility"] {
        set_or_remove(&mut body, key, form.get(key));
    }
    // Both dates empty means no period; a half-filled one is sent as typed, so the validator
    // names the missing end beside its input.
    match period_of(form) {
        Some(period) => {
            body.insert("period".into(), period);
        }
        None => {
            body.remove("period");
        }
    }
    set_detected(&mut body, "commitment", form.get("commitment"));
    (Value::Object(body), faults)
}

/// The form values of a request body (for editing).
fn request_values(lang: Lang, body: &Value) -> FormData {
    let mut values = common_values(body, REQUEST_TRANSLATED, REQUEST_CODES);
    // `request_body` rebuilds `goals` from the rows alone, so a body with more goals than rows
    // would lose the extra ones on save; the validator's limit keeps that from arising.
    for (index, goal) in body["goals"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .take(GOAL_ROWS)
    {
        let row = index + 1;
        values.push(&format!("goal{row}_text"), &best_text(lang, &goal["text"]));
        for key in ["indicator", "baseline", "target", "deadline"] {
            values.push(&format!("goal{row}_{key}"), &scalar(&goal[key]));
        }
    }
    for key in ["mode", "visibility"] {
        values.push(key, &scalar(&body[key]));
    }
    values.push("period_from", &scalar(&body["period"]["from"]));
    values.push("period_to", &scalar(&body["period"]["to"]));
    values.push("commitment", &best_text(lang, &body["commitment"]));
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::form::filled as form;
    use ensemble_core::body::{Mode, validate};

    #[test]
    fn a_filled_request_form_is_a_valid_body() {
        let form = form(&[
            ("title_ru", "Помогите со смысловым чтением"),
            ("problem_ru", "Результаты ВПР по чтению ниже региональных"),
            ("deficits", "teaching-methods"),
            ("subjects", "russian"),
            ("goal1_text", "Поднять долю справившихся"),
            ("goal1_baseline", "40"),
            ("goal1_target", "60%"),
            ("goal1_deadline", "2027-05-31"),
            ("formats", "webinar"),
            ("mode", "online"),
            ("period_from", "2026-09-01"),
            ("period_to", "2027-05-31"),
            ("language", "ru"),
            ("visibility", "region"),
        ]);
        let (body, faults) = request_body(None, &form);
        assert!(faults.is_empty());
        let checked = validate(
            Kind::MentoringRequest,
            body.to_string().as_bytes(),
            Mode::Local,
        );
        assert!(checked.is_ok(), "{checked:?}\n{body}");
    }
}
