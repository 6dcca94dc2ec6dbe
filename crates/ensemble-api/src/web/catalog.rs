//! The practice catalog: the search page with its filters, the practice card with its
//! versions and colleagues' feedback, and the two feedback forms on the card (a
//! question, and "I applied this practice" — a signed replication report).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use ensemble_core::body::language_of;
use ensemble_core::body::{Body, Feedback, FeedbackKind, LangMap, Practice, display_count};
use ensemble_core::{Kind, RecordId, VerifiedRecord};
use ensemble_node::NodeError;
use ensemble_node::search::{self, latest_practice, replicating_schools};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::directory::{self, Directory};
use super::i18n::{self, Lang};
use super::layout::{
    badges, csrf_field, date, evidence_badge, field_errors, grade_select, page, safe_url,
    vocab_select,
};
use super::pages::{message_page, not_found};
use super::publish::{FieldMap, map_errors, period_of, quantity};
use super::session::{Ctx, SignedInPost, see_other};
use crate::search::SearchParams;
use crate::state::AppState;
use crate::urlencoded::{self, FormData};

/// Feedback kinds a reader may send from the question form.
const QUESTION_KINDS: &[FeedbackKind] = &[
    FeedbackKind::Question,
    FeedbackKind::Comment,
    FeedbackKind::Advice,
    FeedbackKind::Endorsement,
];

/// Where the replication form's fields go in the feedback body.
const REPLICATION_FIELDS: FieldMap = &[
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

/// Where the question form's fields go.
const QUESTION_FIELDS: FieldMap = &[("text", "question_text"), ("kind", "question_kind")];

/// `GET /`: the catalog with search and filters.
pub(crate) async fn catalog(
    State(state): State<AppState>,
    ctx: Ctx,
    RawQuery(raw): RawQuery,
) -> Response {
    let form = FormData::parse(raw.unwrap_or_default().as_bytes());
    let owned = |name: &str| form.get(name).map(str::to_string);
    let params = SearchParams {
        q: owned("q"),
        subject: owned("subject"),
        grade: owned("grade"),
        problem: owned("problem"),
        method: owned("method"),
        evidence: owned("evidence"),
        lang: owned("lang"),
        school: owned("school"),
        region: owned("region"),
        limit: owned("limit"),
        cursor: owned("cursor"),
    };
    let lang = ctx.lang;
    let directory = directory::of(&state.node);
    let (results, faults) = match params.to_query() {
        Ok(query) => match state.node.search(&query) {
            Ok(results) => (Some(results), Vec::new()),
            Err(search::Error::Invalid(message)) => (None, vec![(String::new(), message)]),
            Err(error) => {
                tracing::error!(%error, "catalog search failed");
                (None, vec![(String::new(), error.to_string())])
            }
        },
        Err(faults) => (None, faults),
    };
    let body = html! {
        h1 { (lang.word("practice_catalog")) }
        (search_form(lang, &params, &directory, &faults))
        @if let Some(results) = &results {
            p.meta id="total" { (lang.found(results.total)) }
            @if results.hits.is_empty() {
                p { (lang.t(i18n::NOTHING_FOUND)) }
            }
            ul.hits {
                @for hit in &results.hits {
                    li.hit {
                        a.title href=(format!("/practices/{}", hit.doc)) { (pick_or(lang, &hit.title, &short(&hit.doc))) }
                        div.meta {
                            span.school { (directory.name(&hit.author, lang.code())) }
                            " · " (lang.grades(&hit.grades))
                        }
                        div {
                            (badges(lang, "subjects", &hit.subjects))
                            (evidence_badge(lang, hit.evidence.as_str()))
                            span.applied.meta { (lang.applied_in(hit.applied_in)) }
                        }
                    }
                }
            }
            @if let Some(next) = results.next_offset {
                @let next_params = SearchParams { cursor: Some(next.to_string()), ..params.clone() };
                p { a rel="next" href=(format!("/?{}", next_params.query_string())) { (lang.t(i18n::NEXT_PAGE)) } }
            }
        }
    };
    page(&ctx, StatusCode::OK, &lang.word("practice_catalog"), body)
}

fn search_form(
    lang: Lang,
    params: &SearchParams,
    directory: &Directory,
    faults: &[(String, String)],
) -> Markup {
    let value = |field: &Option<String>| field.clone().unwrap_or_default();
    fn selected(field: &Option<String>) -> Vec<&str> {
        field.as_deref().into_iter().collect()
    }
    let grade: Vec<u8> = params
        .grade
        .as_deref()
        .and_then(|grade| grade.parse().ok())
        .into_iter()
        .collect();
    html! {
        form.search method="get" action="/" role="search" {
            label.q {
                (lang.t(i18n::SEARCH))
                input type="search" name="q" value=(value(&params.q)) placeholder=(lang.t(i18n::SEARCH_PLACEHOLDER));
                (field_errors(faults, "q"))
            }
            label { (lang.t(i18n::SUBJECT)) (vocab_select(lang, "subject", "subjects", &selected(&params.subject), false, true)) }
            label { (lang.t(i18n::GRADE)) (grade_select(lang, "grade", &grade, false)) (field_errors(faults, "grade")) }
            label { (lang.t(i18n::PROBLEM)) (vocab_select(lang, "problem", "problems", &selected(&params.problem), false, true)) }
            label { (lang.t(i18n::METHOD)) (vocab_select(lang, "method", "methods", &selected(&params.method), false, true)) }
            label {
                (lang.t(i18n::EVIDENCE_AT_LEAST))
                (vocab_select(lang, "evidence", "evidence_levels", &selected(&params.evidence), false, true))
                (field_errors(faults, "evidence"))
            }
            label {
                (lang.t(i18n::LANGUAGE))
                select name="lang" {
                    option value="" { (lang.t(i18n::ANY)) }
                    @for (code, name) in i18n::CONTENT_LANGUAGES {
                        option value=(code) selected[params.lang.as_deref() == Some(*code)] { (name) }
                    }
                }
            }
            label {
                (lang.t(i18n::SCHOOL))
                select name="school" {
                    option value="" { (lang.t(i18n::ANY)) }
                    @for school in directory.sorted(lang.code()) {
                        @let id = school.id.to_string();
                        option value=(id) selected[params.school.as_deref() == Some(id.as_str())] {
                            (directory::best(&school.profile.name, lang.code(), &school.id.short()))
                        }
                    }
                }
                (field_errors(faults, "school"))
            }
            label {
                (lang.t(i18n::REGION))
                select name="region" {
                    option value="" { (lang.t(i18n::ANY)) }
                    @for region in directory.regions() {
                        option value=(region) selected[params.region.as_deref() == Some(region.as_str())] { (region) }
                    }
                }
            }
            button type="submit" { (lang.t(i18n::SEARCH)) }
            @for (name, message) in faults {
                @if !["q", "grade", "evidence", "school"].contains(&name.as_str()) {
                    span.error { (name) ": " (message) }
                }
            }
        }
    }
}

/// `GET /practices/{doc}`: the practice card (`?v=ID` shows an earlier version).
pub(crate) async fn card(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(doc): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = FormData::parse(raw.unwrap_or_default().as_bytes());
    render_card(&state, &ctx, &doc, query.get("v"), &CardForms::default())
}

/// What the card's forms show after a failed submission: the values typed and the
/// faults, by form field.
#[derive(Debug, Default)]
struct CardForms {
    question: FormData,
    question_errors: Vec<(String, String)>,
    replication: FormData,
    replication_errors: Vec<(String, String)>,
}

fn render_card(
    state: &AppState,
    ctx: &Ctx,
    doc_text: &str,
    version: Option<&str>,
    forms: &CardForms,
) -> Response {
    match card_body(state, ctx, doc_text, version, forms) {
        Ok(Some((title, body))) => {
            let failed = !forms.question_errors.is_empty() || !forms.replication_errors.is_empty();
            let status = if failed {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            page(ctx, status, &title, body)
        }
        Ok(None) => not_found(ctx),
        Err(error) => {
            tracing::error!(%error, "practice card failed");
            message_page(
                ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                ctx.lang.t(i18n::ERROR),
                &error.to_string(),
            )
        }
    }
}

fn card_body(
    state: &AppState,
    ctx: &Ctx,
    doc_text: &str,
    version: Option<&str>,
    forms: &CardForms,
) -> Result<Option<(String, Markup)>, search::Error> {
    let lang = ctx.lang;
    let Ok(doc) = doc_text.parse::<RecordId>() else {
        return Ok(None);
    };
    let store = state.node.store();
    let Some(latest) = latest_practice(store, &doc)? else {
        return Ok(None);
    };
    let author = latest.author();
    let versions: Vec<VerifiedRecord> = store
        .versions(&doc)?
        .into_iter()
        .filter(|record| record.author() == author)
        .collect();
    let shown = version
        .and_then(|id| versions.iter().find(|record| record.id().to_string() == id))
        .cloned()
        .unwrap_or_else(|| latest.clone());
    let Some(Body::Practice(practice)) = shown.body() else {
        return Ok(None);
    };
    let replicators = replicating_schools(store, &doc)?;
    let level = practice.effective_level(!replicators.is_empty());
    let directory = directory::of(&state.node);
    let feedback = feedback_on(state, &versions)?;
    let followed = store.is_followed(&author)?;
    let own = author == state.node.school_id();
    let title = pick_or(lang, &practice.title, &short(&doc));
    let body = html! {
        article.practice {
            h1 { (title) }
            (machine_mark(lang, &practice.machine_translated))
            p.meta {
                a.school href=(format!("/schools/{author}")) { (directory.name(&author, lang.code())) }
                " · "
                span.verified title=(lang.word("signature_verified")) { "✓ " (lang.word("signature_verified")) }
                " · " (lang.t(i18n::PUBLISHED)) " " (date(shown.header().created_at))
            }
            p.meta {
                (lang.t(i18n::RECORD_ID)) ": " code.record-id { (shown.id()) }
                @if shown.id() != doc { br; (lang.t(i18n::DOCUMENT_ID)) ": " code { (doc) } }
            }
            @if shown.id() != latest.id() {
                p.errors { (lang.t(i18n::OLDER_VERSION_NOTE)) " " a href=(format!("/practices/{doc}")) { (lang.t(i18n::LATEST_VERSION)) } }
            }
            p {
                (evidence_badge(lang, level.as_str()))
                span.applied { (lang.applied_in(replicators.len() as u32)) }
                @if own && ctx.signed_in {
                    " · " a href=(format!("/practices/{doc}/edit")) { (lang.t(i18n::EDIT)) }
                }
            }
            (practice_fields(lang, practice))
            h2 { (lang.t(i18n::VERSIONS)) }
            ol.versions {
                @for record in &versions {
                    li {
                        a href=(format!("/practices/{doc}?v={}", record.id())) { (date(record.header().created_at)) }
                        " " code { (short(&record.id())) }
                        @if record.id() == shown.id() { " (" (lang.t(i18n::SHOWN_VERSION)) ")" }
                        @if record.id() == latest.id() { " (" (lang.t(i18n::LATEST_VERSION)) ")" }
                    }
                }
            }
            h2 id="feedback" { (lang.t(i18n::FEEDBACK)) }
            @if feedback.is_empty() {
                p { (lang.t(i18n::NO_FEEDBACK)) }
            }
            @for (record, item) in &feedback {
                (feedback_item(lang, &directory, record, item))
            }
            div.actions {
                @if ctx.signed_in {
                    @if !own {
                        @if followed {
                            p { (lang.t(i18n::FOLLOWING)) }
                        } @else {
                            form method="post" action=(format!("/schools/{author}/follow")) {
                                (csrf_field(ctx))
                                input type="hidden" name="next" value=(format!("/practices/{doc}"));
                                button type="submit" { (lang.word("follow")) }
                            }
                        }
                    }
                    (question_form(ctx, &doc, forms))
                    @if !own {
                        (replication_form(ctx, &doc, practice, forms))
                    }
                } @else {
                    p { (lang.t(i18n::SIGN_IN_TO_ACT)) " " a href=(format!("/signin?next={}", urlencoded::encode(&format!("/practices/{doc}")))) { (lang.t(i18n::SIGN_IN)) } }
                }
            }
        }
    };
    Ok(Some((title, body)))
}

pub(crate) fn machine_mark(lang: Lang, machine_translated: &[String]) -> Markup {
    html! {
        @if machine_translated.iter().any(|code| code == lang.code()) {
            p.meta { span.badge { (lang.word("machine_translated")) } }
        }
    }
}

/// Every field of a practice body, in design-cycle order.
fn practice_fields(lang: Lang, practice: &Practice) -> Markup {
    let text = |map: &LangMap| lang.pick(map);
    html! {
        section {
            h2 { (lang.t(i18n::SUMMARY)) }
            p.summary { (text(&practice.summary)) }
            h2 { (lang.t(i18n::PROBLEM)) }
            p.problem { (text(&practice.problem)) }
            p { (badges(lang, "problems", &practice.problems)) }
            p {
                b { (lang.t(i18n::SUBJECTS)) ": " } (badges(lang, "subjects", &practice.subjects))
                " " (lang.grades(&practice.grades))
            }
            @if !practice.levels.is_empty() {
                p { b { (lang.t(i18n::LEVELS)) ": " } (badges(lang, "levels", &practice.levels)) }
            }
            h2 { (lang.t(i18n::METHOD)) }
            p.method { (text(&practice.method)) }
            p { (badges(lang, "methods", &practice.methods)) }
            @if !practice.steps.is_empty() {
                h2 { (lang.t(i18n::STEPS)) }
                ol.steps { @for step in &practice.steps { li { (text(step)) } } }
            }
            @if let Some(map) = &practice.expected_outcomes {
                h2 { (lang.t(i18n::EXPECTED_OUTCOMES)) } p { (text(map)) }
            }
            @if let Some(map) = &practice.conditions {
                h2 { (lang.t(i18n::CONDITIONS)) } p.conditions { (text(map)) }
            }
            @if let Some(context) = &practice.context {
                h2 { (lang.t(i18n::CONTEXT)) }
                ul {
                    @if let Some(settlement) = context.settlement { li { (lang.label("settlement", settlement.as_str())) } }
                    @if context.small_school == Some(true) { li { (lang.t(i18n::SMALL_SCHOOL)) } }
                    @if let Some(size) = context.class_size { li { (lang.t(i18n::CLASS_SIZE)) ": " (size) } }
                }
            }
            @if let Some(map) = &practice.monitoring {
                h2 { (lang.t(i18n::MONITORING)) } p.monitoring { (text(map)) }
            }
            h2 { (lang.t(i18n::EVIDENCE)) }
            @match &practice.evidence {
                None => p { (lang.t(i18n::CLAIMED_LEVEL)) ": " (evidence_badge(lang, "E0")) },
                Some(evidence) => {
                    p { (lang.t(i18n::CLAIMED_LEVEL)) ": " (evidence_badge(lang, evidence.level.as_str())) }
                    @if !evidence.measures.is_empty() {
                        (measures_table(lang, &evidence.measures))
                    }
                    @if let Some(limitations) = &evidence.limitations {
                        p { b { (lang.t(i18n::LIMITATIONS)) ": " } (text(limitations)) }
                    }
                }
            }
            @if let Some(map) = &practice.adjustments {
                h2 { (lang.t(i18n::ADJUSTMENTS)) } p { (text(map)) }
            }
            @if !practice.materials.is_empty() {
                h2 { (lang.t(i18n::MATERIALS)) }
                ul.materials {
                    @for material in &practice.materials {
                        li {
                            @match material.url.as_deref().and_then(safe_url) {
                                Some(url) => a href=(url) rel="nofollow noopener noreferrer" { (material.name) },
                                None => span { (material.name) },
                            }
                            @if let Some(media_type) = &material.media_type { " · " (media_type) }
                            @if let Some(size) = material.size { " · " (size) " B" }
                            @if let Some(hash) = &material.hash { " · " code { (hash) } }
                        }
                    }
                }
            }
            @if !practice.keywords.is_empty() {
                p { b { (lang.t(i18n::KEYWORDS)) ": " } (practice.keywords.join(", ")) }
            }
            p {
                b { (lang.t(i18n::LANGUAGE)) ": " } (practice.language.join(", "))
                " · " b { (lang.t(i18n::LICENCE)) ": " } (lang.label("licences", &practice.license))
            }
            @if !practice.authors.is_empty() {
                p {
                    b { (lang.t(i18n::AUTHORS)) ": " }
                    @for (index, person) in practice.authors.iter().enumerate() {
                        @if index > 0 { "; " }
                        (person.name)
                        @if let Some(role) = &person.role { " — " (role) }
                    }
                }
            }
            @if !practice.based_on.is_empty() {
                p {
                    b { (lang.t(i18n::BASED_ON)) ": " }
                    @for id in &practice.based_on { a href=(format!("/practices/{id}")) { code { (short(id)) } } " " }
                }
            }
        }
    }
}

fn measures_table(lang: Lang, measures: &[ensemble_core::body::Measure]) -> Markup {
    html! {
        table.measures {
            tr {
                th { (lang.t(i18n::MEASURE)) } th { (lang.t(i18n::INSTRUMENT)) } th { (lang.t(i18n::GROUP_SIZE)) }
                th { (lang.t(i18n::BASELINE)) } th { (lang.t(i18n::RESULT)) } th { (lang.t(i18n::DATE)) }
            }
            @for measure in measures {
                tr {
                    td { (lang.pick(&measure.name)) }
                    td { (measure.instrument.clone().unwrap_or_default()) }
                    td.n { (measure.n.map(display_count).unwrap_or_default()) }
                    td { (measure.baseline.as_ref().map(quantity).unwrap_or_default()) }
                    td { (measure.result.as_ref().map(quantity).unwrap_or_default()) }
                    td { (measure.date.map(|date| date.to_string()).unwrap_or_default()) }
                }
            }
        }
    }
}

/// Feedback on any of the versions, oldest first, without withdrawn items or blocked
/// schools.
fn feedback_on(
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

fn feedback_item(
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

fn question_form(ctx: &Ctx, doc: &RecordId, forms: &CardForms) -> Markup {
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

fn replication_form(ctx: &Ctx, doc: &RecordId, practice: &Practice, forms: &CardForms) -> Markup {
    let lang = ctx.lang;
    let errors = &forms.replication_errors;
    let typed = &forms.replication;
    let fresh = typed.get(super::session::CSRF_FIELD).is_none();
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

/// `POST /practices/{doc}/feedback`: a question, comment, advice or endorsement.
pub(crate) async fn post_question(
    State(state): State<AppState>,
    Path(doc): Path<String>,
    SignedInPost { ctx, form }: SignedInPost,
) -> Response {
    let Some(target) = target_of(&state, &doc) else {
        return not_found(&ctx);
    };
    let text = form.get("question_text").unwrap_or_default();
    let kind = form.get("question_kind").unwrap_or("question");
    let mut body = Map::new();
    body.insert("target".into(), json!(target.to_string()));
    body.insert("kind".into(), json!(kind));
    if !text.is_empty() {
        body.insert("text".into(), json!({ language_of(text): text }));
    }
    let outcome = state
        .node
        .publish(Kind::Feedback, Value::Object(body).to_string().into_bytes())
        .await;
    match outcome {
        Ok(_) => see_other(&format!("/practices/{doc}#feedback")),
        Err(error) => {
            let forms = CardForms {
                question_errors: map_errors(ctx.lang, &error, QUESTION_FIELDS),
                question: form,
                ..CardForms::default()
            };
            render_card(&state, &ctx, &doc, None, &forms)
        }
    }
}

/// `POST /practices/{doc}/replication`: "I applied this practice".
pub(crate) async fn post_replication(
    State(state): State<AppState>,
    Path(doc): Path<String>,
    SignedInPost { ctx, form }: SignedInPost,
) -> Response {
    let Some(target) = target_of(&state, &doc) else {
        return not_found(&ctx);
    };
    let (json_body, mut local_errors) = replication_body(ctx.lang, &target, &form);
    let outcome = if local_errors.is_empty() {
        state
            .node
            .publish(Kind::Feedback, json_body.to_string().into_bytes())
            .await
            .map(|_| ())
    } else {
        Err(NodeError::BadRequest(String::new()))
    };
    match outcome {
        Ok(()) => see_other(&format!("/practices/{doc}#feedback")),
        Err(error) => {
            if !matches!(&error, NodeError::BadRequest(message) if message.is_empty()) {
                local_errors.extend(map_errors(ctx.lang, &error, REPLICATION_FIELDS));
            }
            let forms = CardForms {
                replication_errors: local_errors,
                replication: form,
                ..CardForms::default()
            };
            render_card(&state, &ctx, &doc, None, &forms)
        }
    }
}

/// The latest version's id: feedback names the version the reader saw.
fn target_of(state: &AppState, doc: &str) -> Option<RecordId> {
    let doc = doc.parse::<RecordId>().ok()?;
    latest_practice(state.node.store(), &doc)
        .ok()
        .flatten()
        .map(|record| record.id())
}

/// The feedback body of a replication form, and faults found before validation
/// (numbers that are not numbers).
fn replication_body(
    lang: Lang,
    target: &RecordId,
    form: &FormData,
) -> (Value, Vec<(String, String)>) {
    let mut faults = Vec::new();
    let map = |text: &str| json!({ language_of(text): text });
    let mut replication = Map::new();
    replication.insert("subjects".into(), json!(form.all("subjects")));
    let mut grades = Vec::new();
    for grade in form.all("grades") {
        match grade.parse::<u8>() {
            Ok(grade) => grades.push(grade),
            Err(_) => faults.push(("grades".to_string(), not_a_number(lang))),
        }
    }
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
        if let Some(n) = form.get("measure_n") {
            match n.parse::<u64>() {
                Ok(n) => {
                    measure.insert("n".into(), json!(n));
                }
                Err(_) => faults.push(("measure_n".to_string(), not_a_number(lang))),
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

/// A measured value as typed: a JSON number when it reads as one, else the text.
pub(crate) fn quantity_value(text: &str) -> Value {
    text.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
        .and_then(|_| serde_json::from_str::<serde_json::Number>(&text.replace(',', ".")).ok())
        .map_or_else(|| json!(text), Value::Number)
}

fn not_a_number(lang: Lang) -> String {
    match lang {
        Lang::Ru => "должно быть целым числом".into(),
        Lang::En => "must be a whole number".into(),
    }
}

/// The first characters of a record id: enough to tell records apart on a page.
pub(crate) fn short(id: &RecordId) -> String {
    id.to_string().chars().take(12).collect()
}

fn pick_or(lang: Lang, map: &LangMap, fallback: &str) -> String {
    map.best(lang.code()).unwrap_or(fallback).to_string()
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
