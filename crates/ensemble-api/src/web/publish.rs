//! Forms that write: publishing and updating a practice and a mentoring request.
//!
//! A form is described once ([`Field`] lists) and serves three purposes: rendering
//! (vocabulary pickers labelled in the reader's language), building the JSON body from
//! what was typed, and placing validation faults beside the field they belong to
//! ([`map_errors`] maps the body's JSON paths to form fields).
//!
//! An update starts from the latest version's JSON and overwrites only what the form
//! shows, so fields the form does not edit (other translations, hashed materials,
//! further measures, links to other records) survive a new version.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use ensemble_core::body::Quantity;
use ensemble_core::body::language_of;
use ensemble_core::{Kind, RecordId};
use ensemble_node::NodeError;
use ensemble_node::search::latest_practice;
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::catalog::quantity_value;
use super::i18n::{self, Lang, Text};
use super::layout::{csrf_field, field_errors, grade_select, page, vocab_select};
use super::pages::not_found;
use super::session::{Ctx, SignedInPost, see_other};
use crate::state::AppState;
use crate::urlencoded::{self, FormData};

/// JSON path prefix of a body → the form field its faults are shown beside. The
/// longest matching prefix wins; faults matching none are shown above the form.
pub(crate) type FieldMap = &'static [(&'static str, &'static str)];

/// Faults of a form: (form field, message); field `""` is shown above the form.
type Faults = Vec<(String, String)>;

/// Evidence levels an author may claim (E4 is computed, never claimed).
const CLAIMABLE_LEVELS: &[&str] = &["E0", "E1", "E2", "E3", "E5"];

/// How many goal rows the request form offers.
const GOAL_ROWS: usize = 3;

/// What kind of input a field is.
#[derive(Debug, Clone, Copy)]
enum Input {
    /// One line of text.
    Line,
    /// Several lines.
    Area,
    /// A date.
    Date,
    /// Several codes of a vocabulary.
    Codes(&'static str),
    /// One code of a vocabulary.
    Code(&'static str),
    /// Several grades.
    Grades,
    /// Several languages.
    Languages,
    /// One claimable evidence level.
    Level,
}

/// One form field.
#[derive(Debug, Clone, Copy)]
struct Field {
    name: &'static str,
    label: Text,
    hint: Option<Text>,
    input: Input,
}

const fn field(name: &'static str, label: Text, input: Input) -> Field {
    Field {
        name,
        label,
        hint: None,
        input,
    }
}

const fn hinted(name: &'static str, label: Text, hint: Text, input: Input) -> Field {
    Field {
        name,
        label,
        hint: Some(hint),
        input,
    }
}

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
    (
        field("evidence_level", i18n::CLAIMED_LEVEL, Input::Level),
        None,
    ),
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

const PRACTICE_FIELDS: FieldMap = &[
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
    (
        field("visibility", i18n::VISIBILITY, Input::Code("visibility")),
        None,
    ),
];

const REQUEST_FIELDS: FieldMap = &[
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

/// Faults of a failed write, by form field: validation faults beside their fields,
/// anything else (a protocol rule, a size limit) above the form (field `""`).
pub(crate) fn map_errors(lang: Lang, error: &NodeError, map: FieldMap) -> Vec<(String, String)> {
    match error {
        NodeError::Invalid { errors, .. } => errors
            .errors
            .iter()
            .map(|fault| {
                let field = form_field(&fault.field, map);
                let message = translate(lang, &fault.message);
                if field.is_empty() && !fault.field.is_empty() {
                    (String::new(), format!("{}: {message}", fault.field))
                } else {
                    (field.to_string(), message)
                }
            })
            .collect(),
        other => vec![(String::new(), other.to_string())],
    }
}

/// The form field for a JSON path: the longest prefix in `map` that ends at a path
/// boundary.
fn form_field(path: &str, map: FieldMap) -> &'static str {
    map.iter()
        .filter(|(prefix, _)| {
            path == *prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or("", |(_, field)| field)
}

/// Russian for the commonest validation messages; others are shown as they are.
fn translate(lang: Lang, message: &str) -> String {
    if lang == Lang::En {
        return message.to_string();
    }
    let known = [
        ("is required", "обязательное поле"),
        ("must not be empty", "не может быть пустым"),
        (
            "must have a non-empty text in at least one language",
            "нужен текст хотя бы на одном языке",
        ),
        ("must be a whole number", "должно быть целым числом"),
        (
            "must start with https:// or http://",
            "должна начинаться с https:// или http://",
        ),
        ("is not a web address", "не похоже на адрес сайта"),
        ("from must not be after to", "начало позже окончания"),
        ("needs a hash or a url", "нужна ссылка"),
    ];
    known
        .iter()
        .find(|(english, _)| *english == message)
        .map_or_else(|| message.to_string(), |(_, russian)| russian.to_string())
}

/// The period `{from, to}` typed in the inputs `period_from` and `period_to`; `None`
/// when both were left empty.
pub(crate) fn period_of(form: &FormData) -> Option<Value> {
    let (from, to) = (form.get("period_from"), form.get("period_to"));
    if from.is_none() && to.is_none() {
        return None;
    }
    let mut period = Map::new();
    if let Some(from) = from {
        period.insert("from".into(), json!(from));
    }
    if let Some(to) = to {
        period.insert("to".into(), json!(to));
    }
    Some(Value::Object(period))
}

/// A measured value for people.
pub(crate) fn quantity(value: &Quantity) -> String {
    match value {
        Quantity::Number(number) => number.to_string(),
        Quantity::Text(text) => text.clone(),
    }
}

// ----- the two editors --------------------------------------------------------------

/// What differs between the practice form and the mentoring-request form; the routes
/// of both are served by the same handlers ([`new_form`], [`edit_form`], [`write`]).
struct Editor {
    /// The kind of record a new form publishes.
    kind: Kind,
    /// The form's routes: `{routes}/new` and `{routes}/{doc}/edit`.
    routes: &'static str,
    /// Where a written record is shown: this followed by its doc id.
    shown_at: &'static str,
    /// The `id` of the `<form>` element.
    form_id: &'static str,
    /// The heading of a new form.
    new_title: Text,
    /// The heading of an edit form.
    edit_title: Text,
    /// Values a new form starts with.
    defaults: &'static [(&'static str, &'static str)],
    /// Where the body's validation faults are shown.
    fields: FieldMap,
    /// This school's document named in the path, with its latest version's JSON body.
    own: fn(&AppState, &str) -> Option<(RecordId, Value)>,
    /// The form's inputs, between the general errors and the submit button.
    inputs: fn(Lang, &FormData, &[(String, String)]) -> Markup,
    /// The JSON body from the form, merged into the latest version when updating;
    /// faults found before validation.
    body: fn(Option<Value>, &FormData) -> (Value, Faults),
    /// The form values of a body, for editing.
    values: fn(Lang, &Value) -> FormData,
}

/// The practice form: `/practices/new`, `/practices/{doc}/edit`.
const PRACTICE: Editor = Editor {
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

/// The mentoring-request form: `/mentoring/requests/new`, `/mentoring/requests/{doc}/edit`.
const REQUEST: Editor = Editor {
    kind: Kind::MentoringRequest,
    routes: "/mentoring/requests",
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

/// `GET /practices/new`.
pub(crate) async fn new_practice(ctx: Ctx) -> Response {
    new_form(&PRACTICE, &ctx)
}

/// `POST /practices/new`.
pub(crate) async fn create_practice(State(state): State<AppState>, post: SignedInPost) -> Response {
    write(&PRACTICE, &state, None, post).await
}

/// `GET /practices/{doc}/edit`: the form prefilled from the latest version.
pub(crate) async fn edit_practice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(doc): Path<String>,
) -> Response {
    edit_form(&PRACTICE, &state, &ctx, &doc)
}

/// `POST /practices/{doc}/edit`: publishes a new version.
pub(crate) async fn update_practice(
    State(state): State<AppState>,
    Path(doc): Path<String>,
    post: SignedInPost,
) -> Response {
    write(&PRACTICE, &state, Some(&doc), post).await
}

/// `GET /mentoring/requests/new`.
pub(crate) async fn new_request(ctx: Ctx) -> Response {
    new_form(&REQUEST, &ctx)
}

/// `POST /mentoring/requests/new`.
pub(crate) async fn create_request(State(state): State<AppState>, post: SignedInPost) -> Response {
    write(&REQUEST, &state, None, post).await
}

/// `GET /mentoring/requests/{doc}/edit`.
pub(crate) async fn edit_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(doc): Path<String>,
) -> Response {
    edit_form(&REQUEST, &state, &ctx, &doc)
}

/// `POST /mentoring/requests/{doc}/edit`.
pub(crate) async fn update_request(
    State(state): State<AppState>,
    Path(doc): Path<String>,
    post: SignedInPost,
) -> Response {
    write(&REQUEST, &state, Some(&doc), post).await
}

/// A new form with the editor's defaults; signed-in users only.
fn new_form(editor: &Editor, ctx: &Ctx) -> Response {
    if !ctx.signed_in {
        return sign_in_first(ctx);
    }
    let mut values = FormData::default();
    for (name, value) in editor.defaults {
        values.push(name, value);
    }
    editor.page(ctx, None, &values, &[])
}

/// The edit form of this school's document `doc`, prefilled from its latest version.
fn edit_form(editor: &Editor, state: &AppState, ctx: &Ctx, doc: &str) -> Response {
    if !ctx.signed_in {
        return sign_in_first(ctx);
    }
    let Some((doc, base)) = (editor.own)(state, doc) else {
        return not_found(ctx);
    };
    editor.page(ctx, Some(doc), &(editor.values)(ctx.lang, &base), &[])
}

/// A checked post of the form: builds the body (merged into the latest version of `doc`
/// when updating), publishes it — a new document, or a new version of `doc` — and
/// shows the record; or the form again with its faults.
async fn write(
    editor: &Editor,
    state: &AppState,
    doc: Option<&str>,
    SignedInPost { ctx, form }: SignedInPost,
) -> Response {
    let ctx = &ctx;
    let (doc, base) = match doc {
        None => (None, None),
        Some(doc) => match (editor.own)(state, doc) {
            Some((doc, base)) => (Some(doc), Some(base)),
            None => return not_found(ctx),
        },
    };
    let (json_body, faults) = (editor.body)(base, &form);
    if !faults.is_empty() {
        return editor.page(ctx, doc, &form, &faults);
    }
    let bytes = json_body.to_string().into_bytes();
    let written = match doc {
        None => state
            .node
            .publish(editor.kind, bytes)
            .await
            .map(|record| record.doc()),
        Some(doc) => state.node.update(doc, bytes).await.map(|_| doc),
    };
    match written {
        Ok(written) => see_other(&format!("{}{written}", editor.shown_at)),
        Err(error) => editor.page(
            ctx,
            doc,
            &form,
            &map_errors(ctx.lang, &error, editor.fields),
        ),
    }
}

impl Editor {
    /// The form page: 200, or 400 when it shows faults.
    fn page(
        &self,
        ctx: &Ctx,
        doc: Option<RecordId>,
        values: &FormData,
        faults: &[(String, String)],
    ) -> Response {
        let lang = ctx.lang;
        let (title, action) = match doc {
            None => (lang.t(self.new_title), format!("{}/new", self.routes)),
            Some(doc) => (
                lang.t(self.edit_title),
                format!("{}/{doc}/edit", self.routes),
            ),
        };
        let body = html! {
            h1 { (title) }
            form.publish method="post" action=(action) id=(self.form_id) {
                (csrf_field(ctx))
                (general_errors(lang, faults))
                ((self.inputs)(lang, values, faults))
                button type="submit" { (lang.word("publish")) }
            }
        };
        let status = if faults.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        page(ctx, status, title, body)
    }
}

// ----- practice ---------------------------------------------------------------------

/// This school's practice `doc` with the latest version's JSON body.
fn own_practice(state: &AppState, doc: &str) -> Option<(RecordId, Value)> {
    let doc: RecordId = doc.parse().ok()?;
    let latest = latest_practice(state.node.store(), &doc).ok()??;
    if latest.author() != state.node.school_id() {
        return None;
    }
    let body = serde_json::from_slice(latest.body_bytes()?).ok()?;
    Some((doc, body))
}

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
    let steps_ru: Vec<&str> = lines(form.raw("steps_ru"));
    let steps_en: Vec<&str> = lines(form.raw("steps_en"));
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
        let (name, url) = match line.rsplit_once('|') {
            Some((name, url)) => (name.trim(), Some(url.trim())),
            None => (line, None),
        };
        let mut material = Map::new();
        material.insert("name".into(), json!(name));
        if let Some(url) = url.filter(|url| !url.is_empty()) {
            material.insert("url".into(), json!(url));
        }
        materials.push(Value::Object(material));
    }
    set_list(&mut body, "materials", materials);
    let keywords: Vec<Value> = form
        .raw("keywords")
        .split([',', ';'])
        .map(str::trim)
        .filter(|keyword| !keyword.is_empty())
        .map(Value::from)
        .collect();
    set_list(&mut body, "keywords", keywords);
    set_or_remove(&mut body, "license", form.get("license"));
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

fn set_evidence(
    body: &mut Map<String, Value>,
    form: &FormData,
    faults: &mut Vec<(String, String)>,
) {
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
    if !measures.is_empty() {
        measures.remove(0);
    }
    if typed {
        let mut measure = Map::new();
        if let Some(name) = form.get("measure_name") {
            measure.insert("name".into(), json!({ language_of(name): name }));
        }
        if let Some(instrument) = form.get("measure_instrument") {
            measure.insert("instrument".into(), json!(instrument));
        }
        if let Some(n) = form.get("measure_n") {
            match n.parse::<u64>() {
                Ok(n) => {
                    measure.insert("n".into(), json!(n));
                }
                Err(_) => faults.push(("measure_n".into(), "must be a whole number".into())),
            }
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
        values.push(key, &best_text(lang, &body[key]));
    }
    let evidence = &body["evidence"];
    if let Some(level) = evidence["level"].as_str() {
        values.push("evidence_level", level);
    }
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
    values.push("keywords", &keywords.join(", "));
    if let Some(license) = body["license"].as_str() {
        values.push("license", license);
    }
    let authors: Vec<String> = body["authors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|author| match author["role"].as_str() {
            Some(role) => format!("{} — {role}", author["name"].as_str().unwrap_or_default()),
            None => author["name"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    values.push("authors", &authors.join("\n"));
    values
}

// ----- mentoring request ------------------------------------------------------------

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
/// JSON body.
fn own_request(state: &AppState, doc: &str) -> Option<(RecordId, Value)> {
    let doc: RecordId = doc.parse().ok()?;
    let store = state.node.store();
    let first = store.get(&doc).ok()??;
    if first.record.kind() != Kind::MentoringRequest
        || first.retracted
        || first.record.author() != state.node.school_id()
    {
        return None;
    }
    let latest = store.latest_id(&doc).ok()??;
    let record = store.get(&latest).ok()??.record;
    let body = serde_json::from_slice(record.body_bytes()?).ok()?;
    Some((doc, body))
}

/// The request form's inputs: the goal rows stand between the grades and the formats.
fn request_inputs(lang: Lang, values: &FormData, faults: &[(String, String)]) -> Markup {
    html! {
        (render_fields(lang, &REQUEST_FORM[..8], values, faults))
        fieldset {
            legend { (lang.t(i18n::GOALS)) }
            @for row in 1..=GOAL_ROWS {
                @let prefix = format!("goal{row}");
                div.field {
                    @let text = format!("{prefix}_text");
                    label for=(text) { (lang.t(i18n::GOAL)) " " (row) }
                    input type="text" name=(text) id=(text) value=(values.raw(&text));
                    (field_errors(faults, &text))
                }
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
        let typed = ["text", "indicator", "baseline", "target", "deadline"]
            .iter()
            .any(|suffix| form.get(&name(suffix)).is_some());
        if !typed {
            continue;
        }
        let mut goal = Map::new();
        if let Some(text) = form.get(&name("text")) {
            goal.insert("text".into(), json!({ language_of(text): text }));
        }
        if let Some(indicator) = form.get(&name("indicator")) {
            goal.insert("indicator".into(), json!(indicator));
        }
        for key in ["baseline", "target"] {
            if let Some(value) = form.get(&name(key)) {
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

// ----- shared -----------------------------------------------------------------------

/// The start of both bodies: `base` (or an empty object) with the texts typed in two
/// languages, the lists of codes and the grades set from the form.
fn common_body(
    base: Option<Value>,
    form: &FormData,
    translated: &[&str],
    codes: &[&str],
    faults: &mut Vec<(String, String)>,
) -> Map<String, Value> {
    let mut body = into_object(base);
    for key in translated {
        set_translations(
            &mut body,
            key,
            form,
            &format!("{key}_ru"),
            &format!("{key}_en"),
        );
    }
    for key in codes {
        set_list(
            &mut body,
            key,
            form.all(key).into_iter().map(Value::from).collect(),
        );
    }
    let grades = parse_grades(form, "grades", faults);
    set_list(&mut body, "grades", grades);
    body
}

/// The start of both forms' values: the inverse of [`common_body`].
fn common_values(body: &Value, translated: &[&str], codes: &[&str]) -> FormData {
    let mut values = FormData::default();
    for key in translated {
        for language in ["ru", "en"] {
            if let Some(text) = body[key][language].as_str() {
                values.push(&format!("{key}_{language}"), text);
            }
        }
    }
    for key in codes {
        for code in body[key].as_array().into_iter().flatten() {
            if let Some(code) = code.as_str() {
                values.push(key, code);
            }
        }
    }
    push_grades(&mut values, body);
    values
}

/// `value` when it is a JSON object, else an empty one.
fn into_object(value: Option<Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Removes the object `key` from `body` to be edited (empty when absent).
fn take_object(body: &mut Map<String, Value>, key: &str) -> Map<String, Value> {
    into_object(body.remove(key))
}

/// Sets `key` to the string `value`, or removes it when the input was left empty.
fn set_or_remove(body: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    match value {
        Some(value) => {
            body.insert(key.into(), json!(value));
        }
        None => {
            body.remove(key);
        }
    }
}

/// Renders `fields` in order.
fn render_fields(
    lang: Lang,
    fields: &[(Field, Option<Text>)],
    values: &FormData,
    faults: &[(String, String)],
) -> Markup {
    html! {
        @for (spec, qualifier) in fields {
            (render_field(lang, spec, *qualifier, values, faults))
        }
    }
}

fn sign_in_first(ctx: &Ctx) -> Response {
    see_other(&format!("/signin?next={}", urlencoded::encode(&ctx.here)))
}

fn general_errors(lang: Lang, faults: &[(String, String)]) -> Markup {
    html! {
        @if !faults.is_empty() {
            div.errors role="alert" {
                p { (lang.t(i18n::FIX_ERRORS)) }
                @for (name, message) in faults {
                    @if name.is_empty() { p.error { (message) } }
                }
            }
        }
    }
}

fn render_field(
    lang: Lang,
    spec: &Field,
    qualifier: Option<Text>,
    values: &FormData,
    faults: &[(String, String)],
) -> Markup {
    let name = spec.name;
    let selected = values.all(name);
    html! {
        div.field {
            label for=(name) {
                (lang.t(spec.label))
                @if let Some(qualifier) = qualifier { " (" (lang.t(qualifier)) ")" }
            }
            @if let Some(hint) = spec.hint { span.hint { (lang.t(hint)) } }
            @match spec.input {
                Input::Line => input type="text" name=(name) id=(name) value=(values.raw(name));,
                Input::Area => textarea name=(name) id=(name) rows="3" { (values.raw(name)) },
                Input::Date => input type="date" name=(name) id=(name) value=(values.raw(name));,
                Input::Codes(vocabulary) => {
                    (vocab_select(lang, name, vocabulary, &selected, true, false))
                    span.hint { " " (lang.t(i18n::HOLD_CTRL)) }
                },
                Input::Code(vocabulary) => (vocab_select(lang, name, vocabulary, &selected, false, false)),
                Input::Grades => {
                    (grade_select(lang, name, &selected.iter().filter_map(|grade| grade.parse().ok()).collect::<Vec<u8>>(), true))
                },
                Input::Languages => {
                    select name=(name) id=(name) multiple size="4" {
                        @for (code, label) in i18n::CONTENT_LANGUAGES {
                            option value=(code) selected[selected.contains(code)] { (label) }
                        }
                        @for code in &selected {
                            @if !i18n::CONTENT_LANGUAGES.iter().any(|(known, _)| known == code) {
                                option value=(code) selected { (code) }
                            }
                        }
                    }
                },
                Input::Level => {
                    select name=(name) id=(name) {
                        option value="" { (lang.t(i18n::NO_EVIDENCE)) }
                        @for level in CLAIMABLE_LEVELS {
                            option value=(level) selected[selected.contains(level)] {
                                (level) " · " (lang.label("evidence_levels", level))
                            }
                        }
                    }
                },
            }
            (field_errors(faults, name))
        }
    }
}

/// Sets `key` to the map `{ru, en}` from two inputs, keeping the map's other languages;
/// removes it when no text is left.
fn set_translations(body: &mut Map<String, Value>, key: &str, form: &FormData, ru: &str, en: &str) {
    let mut map = take_object(body, key);
    for (language, field) in [("ru", ru), ("en", en)] {
        set_or_remove(&mut map, language, form.get(field));
    }
    if !map.is_empty() {
        body.insert(key.into(), Value::Object(map));
    }
}

/// Sets the map `key` from one input, in the language the text is written in.
fn set_detected(body: &mut Map<String, Value>, key: &str, text: Option<&str>) {
    match text {
        Some(text) => {
            let mut map = take_object(body, key);
            map.insert(language_of(text).into(), json!(text));
            body.insert(key.into(), Value::Object(map));
        }
        None => {
            body.remove(key);
        }
    }
}

fn set_list(body: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if items.is_empty() {
        body.remove(key);
    } else {
        body.insert(key.into(), Value::Array(items));
    }
}

fn parse_grades(form: &FormData, name: &str, faults: &mut Vec<(String, String)>) -> Vec<Value> {
    let mut grades = Vec::new();
    for grade in form.all(name) {
        match grade.parse::<u8>() {
            Ok(grade) => grades.push(json!(grade)),
            Err(_) => faults.push((name.to_string(), "must be a whole number".into())),
        }
    }
    grades
}

fn push_grades(values: &mut FormData, body: &Value) {
    for grade in body["grades"].as_array().into_iter().flatten() {
        if let Some(grade) = grade.as_u64() {
            values.push("grades", &grade.to_string());
        }
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
}

fn best_text(lang: Lang, map: &Value) -> String {
    serde_json::from_value::<ensemble_core::body::LangMap>(map.clone())
        .ok()
        .and_then(|map| map.best(lang.code()).map(str::to_string))
        .unwrap_or_default()
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ensemble_core::body::{Mode, validate};

    fn form(pairs: &[(&str, &str)]) -> FormData {
        let mut form = FormData::default();
        for (name, value) in pairs {
            form.push(name, value);
        }
        form
    }

    #[test]
    fn json_paths_find_their_form_fields() {
        let cases = [
            ("title.ru", "title_ru"),
            ("title", "title_ru"),
            ("evidence.measures[0].n", "measure_n"),
            ("evidence.measures[3].n", "measure_name"),
            ("evidence.measures", "measure_name"),
            ("steps[2].ru", "steps_ru"),
            ("subjects[1]", "subjects"),
            ("titles", ""),
            ("community", ""),
        ];
        for (path, expected) in cases {
            assert_eq!(form_field(path, PRACTICE_FIELDS), expected, "{path}");
        }
        assert_eq!(
            form_field("goals[1].deadline", REQUEST_FIELDS),
            "goal2_deadline"
        );
        assert_eq!(form_field("goals[1].text.ru", REQUEST_FIELDS), "goal2_text");
        assert_eq!(form_field("period", REQUEST_FIELDS), "period_from");
    }

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

    #[test]
    fn messages_are_translated_for_russian_readers() {
        assert_eq!(translate(Lang::Ru, "is required"), "обязательное поле");
        assert_eq!(translate(Lang::En, "is required"), "is required");
        assert_eq!(translate(Lang::Ru, "something new"), "something new");
    }
}
