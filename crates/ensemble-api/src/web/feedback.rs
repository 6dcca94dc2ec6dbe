//! Colleagues' feedback on a practice: the list shown on the card, its items, the two
//! forms (a question or comment, and "I applied this practice" — a signed replication
//! report) and the feedback body a replication form becomes.
//!
//! What it owns: which feedback is shown (any version's, oldest first, without
//! withdrawn items or blocked schools) and how a form becomes a body. What it does not:
//! the routes (the card's posts live in `card`, which re-renders the card) or whether a
//! replication raises a practice's evidence level (core derives it from the records).

use axum::http::StatusCode;
use ensemble_core::body::{Body, Feedback, FeedbackKind, Practice, language_of};
use ensemble_core::{Kind, RecordId, VerifiedRecord};
use ensemble_node::search;
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::directory::Directory;
use super::form::{FieldMap, not_a_number, parse_grades, period_of, quantity_value, whole_number};
use super::i18n::{self, Lang};
use super::layout::{
    badges, csrf_field, date, field_errors, grade_select, measures_table, vocab_select,
};
use super::session::{CSRF_FIELD, Ctx};
use crate::state::AppState;
use crate::urlencoded::FormData;

/// Feedback kinds a reader may send from the question form. `replication` has its
/// own form (it needs context and measures); an acknowledgement belongs to a
/// mentoring thread, not to a practice.
pub(crate) const QUESTION_KINDS: &[FeedbackKind] = &[
    FeedbackKind::Question,
    FeedbackKind::Comment,
    FeedbackKind::Advice,
    FeedbackKind::Endorsement,
];

/// Where each of a replication body's JSON paths is shown: the form edits one
/// measure, so faults on `replication.measures` as a whole go beside its name; a
/// period fault on the whole goes beside its start.
pub(crate) const REPLICATION_FIELDS: FieldMap = &[
    ("text", "text"),
    ("replication.subjects", "subjects"),
    ("replication.grades", "grades"),
    ("replication.period.from", "period_from"),
    ("replication.period.to", "period_to"),
    ("replication.period", "period_from"),
    ("replication.context", "context"),
    ("replication.results", "results"),
    ("replication.measures[0].name", "measure_name"),
    ("replication.measures[0].n", "measure_n"),
    ("replication.measures[0].baseline", "measure_baseline"),
    ("replication.measures[0].result", "measure_result"),
    ("replication.measures", "measure_name"),
    ("author_role", "author_role"),
];

/// Where each of a question body's JSON paths is shown. Its inputs are prefixed
/// (`question_`) because the card holds both forms and a fault must land in the one
/// that was posted.
pub(crate) const QUESTION_FIELDS: FieldMap =
    &[("text", "question_text"), ("kind", "question_kind")];

/// What the card's forms show after a failed submission: the values typed and the
/// faults, by form field.
#[derive(Debug, Default)]
pub(crate) struct CardForms {
    /// The card's status: 200 (the default) when no form failed, else the status of
    /// the faults shown (400 for input, 422 for a rule…).
    pub(crate) status: StatusCode,
    pub(crate) question: FormData,
    pub(crate) question_errors: Vec<(String, String)>,
    pub(crate) replication: FormData,
    pub(crate) replication_errors: Vec<(String, String)>,
}

/// Feedback on any of the versions, oldest first, without withdrawn items or blocked
/// schools.
pub(crate) fn feedback_on(
    state: &AppState,
    versions: &[VerifiedRecord],
) -> Result<Vec<(VerifiedRecord, Feedback)>, search::Error> {
    let store = state.node.store();
    let mut items = Vec::new();
    for version in versions {
        for (id, kind) in store.referring(&version.id())? {
            if kind != Some(Kind::Feedback) {
                continue;
            }
            let Some(stored) = store.get(&id)? else {
                continue;
            };
            if stored.retracted || store.is_blocked(&stored.record.author())? {
                continue;
            }
            if let Some(Body::Feedback(feedback)) = stored.record.body()
                && feedback.target == version.id()
            {
                let feedback = feedback.clone();
                items.push((stored.record, feedback));
            }
        }
    }
    items.sort_by_key(|(record, _)| (record.header().created_at, record.id()));
    Ok(items)
}

/// One feedback item: kind, author school, role and date, then a replication's
/// details. The signature mark is shown because every item on the page passed
/// verification on the way into the store; nothing unverified is stored.
pub(crate) fn feedback_item(
    lang: Lang,
    directory: &Directory,
    record: &VerifiedRecord,
    item: &Feedback,
) -> Markup {
    let author = record.author();
    html! {
        div.fb data-kind=(item.kind.as_str()) {
            p.meta {
                b { (lang.label("feedback_kinds", item.kind.as_str())) }
                " · " a href=(format!("/schools/{author}")) { (directory.name(&author, lang.code())) }
                @if let Some(role) = item.author_role { " · " (lang.label("author_roles", role.as_str())) }
                " · " (date(record.header().created_at))
                " · " span.verified { "✓ " (lang.word("signature_verified")) }
            }
            p.text { (lang.pick(&item.text)) }
            @if let Some(replication) = &item.replication {
                ul {
                    @if !replication.subjects.is_empty() || !replication.grades.is_empty() {
                        li { (badges(lang, "subjects", &replication.subjects)) " " (lang.grades(&replication.grades)) }
                    }
                    @if let Some(period) = &replication.period {
                        li { (lang.t(i18n::PERIOD)) ": " (period.from) " — " (period.to) }
                    }
                    @if let Some(context) = &replication.context { li { (lang.t(i18n::CONTEXT)) ": " (lang.pick(context)) } }
                    @if let Some(results) = &replication.results { li { (lang.t(i18n::RESULTS)) ": " (lang.pick(results)) } }
                }
                @if !replication.measures.is_empty() {
                    (measures_table(lang, &replication.measures))
                }
            }
        }
    }
}

/// The question form, with what was typed and its faults after a refused post.
pub(crate) fn question_form(ctx: &Ctx, doc: &RecordId, forms: &CardForms) -> Markup {
    let lang = ctx.lang;
    let errors = &forms.question_errors;
    let chosen = forms.question.get("question_kind").unwrap_or("question");
    html! {
        form.question method="post" action=(format!("/practices/{doc}/feedback")) id="question-form" {
            h2 { (lang.t(i18n::ASK_QUESTION)) }
            (csrf_field(ctx))
            (field_errors(errors, ""))
            div.field {
                label for="question_kind" { (lang.t(i18n::FEEDBACK_KIND)) }
                select name="question_kind" id="question_kind" {
                    @for kind in QUESTION_KINDS {
                        option value=(kind.as_str()) selected[chosen == kind.as_str()] { (lang.label("feedback_kinds", kind.as_str())) }
                    }
                }
                (field_errors(errors, "question_kind"))
            }
            div.field {
                label for="question_text" { (lang.t(i18n::YOUR_TEXT)) }
                textarea name="question_text" id="question_text" rows="3" { (forms.question.raw("question_text")) }
                (field_errors(errors, "question_text"))
            }
            button type="submit" { (lang.t(i18n::SEND)) }
        }
    }
}

/// The replication form. A fresh form starts from the practice's subjects and
/// grades (a colleague usually applies it in the same ones); after a refused post it
/// shows exactly what was typed, including emptied selections.
pub(crate) fn replication_form(
    ctx: &Ctx,
    doc: &RecordId,
    practice: &Practice,
    forms: &CardForms,
) -> Markup {
    let lang = ctx.lang;
    let errors = &forms.replication_errors;
    let typed = &forms.replication;
    // A posted form always carries the CSRF field, so its absence means "not posted".
    let fresh = typed.get(CSRF_FIELD).is_none();
    let subjects: Vec<&str> = if fresh {
        practice.subjects.iter().map(String::as_str).collect()
    } else {
        typed.all("subjects")
    };
    let grades: Vec<u8> = if fresh {
        practice.grades.clone()
    } else {
        typed
            .all("grades")
            .iter()
            .filter_map(|grade| grade.parse().ok())
            .collect()
    };
    let input = |name: &str, kind: &str| {
        html! {
            input type=(kind) name=(name) id=(name) value=(typed.raw(name));
            (field_errors(errors, name))
        }
    };
    html! {
        form.replication method="post" action=(format!("/practices/{doc}/replication")) id="replication-form" {
            h2 { (lang.word("applied_this_practice")) }
            (csrf_field(ctx))
            @if !errors.is_empty() { p.errors { (lang.t(i18n::FIX_ERRORS)) } }
            (field_errors(errors, ""))
            div.field {
                label for="text" { (lang.t(i18n::WHAT_YOU_DID)) }
                textarea name="text" id="text" rows="3" { (typed.raw("text")) }
                (field_errors(errors, "text"))
            }
            div.field {
                label for="subjects" { (lang.t(i18n::SUBJECTS)) " " span.hint { "(" (lang.t(i18n::HOLD_CTRL)) ")" } }
                (vocab_select(lang, "subjects", "subjects", &subjects, true, false))
                (field_errors(errors, "subjects"))
            }
            div.field {
                label for="grades" { (lang.t(i18n::GRADES)) }
                (grade_select(lang, "grades", &grades, true))
                (field_errors(errors, "grades"))
            }
            div.field {
                label for="period_from" { (lang.t(i18n::PERIOD)) ", " (lang.t(i18n::FROM)) }
                (input("period_from", "date"))
                label for="period_to" { (lang.t(i18n::TO)) }
                (input("period_to", "date"))
            }
            div.field {
                label for="context" { (lang.t(i18n::YOUR_CONTEXT)) }
                textarea name="context" id="context" rows="2" { (typed.raw("context")) }
                (field_errors(errors, "context"))
            }
            div.field {
                label for="results" { (lang.t(i18n::RESULTS)) }
                textarea name="results" id="results" rows="2" { (typed.raw("results")) }
                (field_errors(errors, "results"))
            }
            fieldset {
                legend { (lang.t(i18n::MEASURE)) }
                div.field { label for="measure_name" { (lang.t(i18n::MEASURE)) } (input("measure_name", "text")) }
                div.field { label for="measure_n" { (lang.t(i18n::GROUP_SIZE)) } (input("measure_n", "number")) }
                div.field { label for="measure_baseline" { (lang.t(i18n::BASELINE)) } (input("measure_baseline", "text")) }
                div.field { label for="measure_result" { (lang.t(i18n::RESULT)) } (input("measure_result", "text")) }
            }
            div.field {
                label for="author_role" { (lang.t(i18n::YOUR_ROLE)) }
                (vocab_select(lang, "author_role", "author_roles", &typed.get("author_role").into_iter().collect::<Vec<_>>(), false, true))
                (field_errors(errors, "author_role"))
            }
            button type="submit" { (lang.word("applied_this_practice")) }
        }
    }
}

/// The feedback body of a replication form, and faults found before validation
/// (numbers that are not numbers).
pub(crate) fn replication_body(
    lang: Lang,
    target: &RecordId,
    form: &FormData,
) -> (Value, Vec<(String, String)>) {
    let mut faults = Vec::new();
    let map = |text: &str| json!({ language_of(text): text });
    let mut replication = Map::new();
    replication.insert("subjects".into(), json!(form.all("subjects")));
    let grades = parse_grades(form, "grades", &not_a_number(lang), &mut faults);
    replication.insert("grades".into(), json!(grades));
    if let Some(period) = period_of(form) {
        replication.insert("period".into(), period);
    }
    for name in ["context", "results"] {
        if let Some(text) = form.get(name) {
            replication.insert(name.into(), map(text));
        }
    }
    let measure_fields = [
        "measure_name",
        "measure_n",
        "measure_baseline",
        "measure_result",
    ];
    if measure_fields.iter().any(|name| form.get(name).is_some()) {
        let mut measure = Map::new();
        if let Some(name) = form.get("measure_name") {
            measure.insert("name".into(), map(name));
        }
        if let Some(n) = whole_number(form, "measure_n", &not_a_number(lang), &mut faults) {
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
        replication.insert("measures".into(), json!([Value::Object(measure)]));
    }
    let mut body = Map::new();
    body.insert("target".into(), json!(target.to_string()));
    body.insert("kind".into(), json!("replication"));
    if let Some(text) = form.get("text") {
        body.insert("text".into(), map(text));
    }
    body.insert("replication".into(), Value::Object(replication));
    if let Some(role) = form.get("author_role") {
        body.insert("author_role".into(), json!(role));
    }
    (Value::Object(body), faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replication_form_becomes_a_valid_feedback_body() {
        let mut form = FormData::default();
        for (name, value) in [
            ("text", "Применили на уроках биологии"),
            ("subjects", "biology"),
            ("grades", "6"),
            ("grades", "7"),
            ("period_from", "2027-01-12"),
            ("period_to", "2027-03-20"),
            ("measure_name", "Доля справившихся"),
            ("measure_n", "8"),
            ("measure_baseline", "35"),
            ("measure_result", "52%"),
            ("author_role", "teacher"),
        ] {
            form.push(name, value);
        }
        let target = RecordId([7; 32]);
        let (body, faults) = replication_body(Lang::Ru, &target, &form);
        assert!(faults.is_empty(), "{faults:?}");
        let validated = ensemble_core::body::validate(
            Kind::Feedback,
            body.to_string().as_bytes(),
            ensemble_core::body::Mode::Local,
        );
        assert!(validated.is_ok(), "{validated:?}");
        assert_eq!(body["replication"]["measures"][0]["baseline"], json!(35));
        assert_eq!(body["replication"]["measures"][0]["result"], json!("52%"));
        assert_eq!(body["text"]["ru"], json!("Применили на уроках биологии"));
    }

    #[test]
    fn typed_numbers_that_are_not_numbers_are_named() {
        let mut form = FormData::default();
        form.push("text", "Text");
        form.push("measure_name", "Share");
        form.push("measure_n", "many");
        form.push("grades", "fifth");
        let (_, faults) = replication_body(Lang::En, &RecordId([7; 32]), &form);
        let names: Vec<&str> = faults.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, vec!["grades", "measure_n"]);
    }
}
