//! The practice card (`GET /practices/{doc}`): every field of one version, its
//! versions, colleagues' feedback, and the two feedback forms; and the posts of those
//! forms, which re-render the card with their faults when the node refuses them.
//!
//! What it owns: which version is shown, who may act on the card (signed in, not the
//! author for a replication), and the answers to the feedback posts. What it does not:
//! the feedback list and forms themselves (`feedback`) or the status policy
//! (`form::node_faults`).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use ensemble_core::body::{Body, LangMap, Practice, language_of};
use ensemble_core::{Kind, RecordId, VerifiedRecord};
use ensemble_node::search::{self, latest_practice, replicating_schools};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::directory;
use super::feedback::{
    CardForms, QUESTION_FIELDS, REPLICATION_FIELDS, feedback_item, feedback_on, question_form,
    replication_body, replication_form,
};
use super::form::node_faults;
use super::i18n::{self, Lang};
use super::layout::{
    badges, csrf_field, date, evidence_badge, machine_mark, measures_table, page, pick_or,
    safe_url, short,
};
use super::message::{self, not_found};
use super::post::SignedInPost;
use super::session::{Ctx, see_other};
use crate::error::search_fault_of;
use crate::state::AppState;
use crate::urlencoded::{self, FormData};

/// `GET /practices/{doc}`: the practice card (`?v=ID` shows an earlier version).
pub(crate) async fn card(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(doc): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    // Parsed by hand like the catalog's query: a malformed `v` must not turn the card into a
    // 400, it only falls back to the latest version.
    let query = FormData::parse(raw.unwrap_or_default().as_bytes());
    render_card(&state, &ctx, &doc, query.get("v"), &CardForms::default())
}

/// The card page with the status `forms` carries (200, or that of the faults it
/// shows), 404 for anything that is not a practice held here, or the server-fault
/// page when the store cannot be read.
fn render_card(
    state: &AppState,
    ctx: &Ctx,
    doc_text: &str,
    version: Option<&str>,
    forms: &CardForms,
) -> Response {
    match card_body(state, ctx, doc_text, version, forms) {
        Ok(Some((title, body))) => page(ctx, forms.status, &title, body),
        Ok(None) => not_found(ctx),
        // Reading the card only touches the store: a failure is the node's.
        Err(error) => message::server_fault(ctx, search_fault_of(&error).status(), &error),
    }
}

/// The card's title and body; `Ok(None)` when `doc_text` names no practice held here
/// (an id that does not parse is a 404 too: on a page, a typo and an unknown id are
/// the same "not found").
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
    // Only the author's versions count: a record by another school that claims to be
    // a version of this document is not part of the practice.
    let versions: Vec<VerifiedRecord> = store
        .versions(&doc)?
        .into_iter()
        .filter(|record| record.author() == author)
        .collect();
    // `?v=` names a version to show; an unknown one falls back to the latest rather
    // than failing, since it usually comes from an old link.
    let shown = version
        .and_then(|id| versions.iter().find(|record| record.id().to_string() == id))
        // Cloned out of `versions`, which the page still lists below.
        .cloned()
        .unwrap_or_else(|| latest.clone());
    // A retracted version has no body left to show, so the card is a 404 like any practice this
    // node does not hold.
    let Some(Body::Practice(practice)) = shown.body() else {
        return Ok(None);
    };
    // The level shown is derived (a claim raised by replications in other schools),
    // never the author's claim alone.
    let replicators = replicating_schools(store, &doc)?;
    let level = practice.effective_level(!replicators.is_empty());
    let directory = directory::of(&state.node);
    let feedback = feedback_on(state, &versions)?;
    let followed = store.is_followed(&author)?;
    // A school does not follow or report replicating its own practice; it edits it.
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
                // The document id is the first version's id: shown only when it differs, so a
                // reader can still link to the practice rather than to this one version.
                @if shown.id() != doc { br; (lang.t(i18n::DOCUMENT_ID)) ": " code { (doc) } }
            }
            @if shown.id() != latest.id() {
                p.errors { (lang.t(i18n::OLDER_VERSION_NOTE)) " " a href=(format!("/practices/{doc}")) { (lang.t(i18n::LATEST_VERSION)) } }
            }
            p {
                (evidence_badge(lang, level.as_str()))
                // Only replicating schools count, not feedback in general: applying a practice
                // elsewhere is the evidence a teacher looks for.
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
                            // Following the author goes through the school page's route, with
                            // `next` bringing the reader back to this card.
                            form method="post" action=(format!("/schools/{author}/follow")) {
                                (csrf_field(ctx))
                                input type="hidden" name="next" value=(format!("/practices/{doc}"));
                                button type="submit" { (lang.word("follow")) }
                            }
                        }
                    }
                    // Questions are open to any signed-in school, the author too; a replication
                    // counts as evidence only from another school.
                    (question_form(ctx, &doc, forms))
                    @if !own {
                        (replication_form(ctx, &doc, practice, forms))
                    }
                } @else {
                    // `next` is encoded so the card's path survives as one query value.
                    p { (lang.t(i18n::SIGN_IN_TO_ACT)) " " a href=(format!("/signin?next={}", urlencoded::encode(&format!("/practices/{doc}")))) { (lang.t(i18n::SIGN_IN)) } }
                }
            }
        }
    };
    Ok(Some((title, body)))
}

///
/// Optional sections are left out when empty rather than shown blank, so a short practice
/// reads as short.
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
                // No evidence section in the body means the author claims nothing: E0, shown rather
                // than hidden so every card answers the question.
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
                            // Links from a signed record, often another school's: only http(s)
                            // becomes a link; `rel` keeps this page away from the target site.
                            @match material.url.as_deref().and_then(safe_url) {
                                Some(url) => a href=(url) rel="nofollow noopener noreferrer" { (material.name) },
                                None => span { (material.name) },
                            }
                            // Type, size and hash let a teacher check that a downloaded file is the
                            // one the author published.
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

/// `POST /practices/{doc}/feedback`: a question, comment, advice or endorsement. On
/// success, 303 back to the card (post/redirect/get, so a reload does not post again).
pub(crate) async fn post_question(
    State(state): State<AppState>,
    Path(doc): Path<String>,
    SignedInPost { ctx, form }: SignedInPost,
) -> Response {
    let Some(target) = target_of(&state, &doc) else {
        return not_found(&ctx);
    };
    let body = question_body(&target, &form);
    let outcome = state
        .node
        .publish(Kind::Feedback, body.to_string().into_bytes())
        .await;
    match outcome {
        // Back to the card (not a page of its own), at the feedback list, where the
        // new item is now shown.
        Ok(_) => see_other(&format!("/practices/{doc}#feedback")),
        Err(error) => match node_faults(&ctx, &error, QUESTION_FIELDS) {
            Ok((status, faults)) => {
                let forms = CardForms {
                    status,
                    question_errors: faults,
                    question: form,
                    ..CardForms::default()
                };
                // 303 only on success; a refusal re-renders the card with the status of the faults
                // and the teacher's input kept, so nothing typed is lost.
                render_card(&state, &ctx, &doc, None, &forms)
            }
            Err(server_fault) => *server_fault,
        },
    }
}

/// `POST /practices/{doc}/replication`: "I applied this practice". A signed
/// replication report from another school is what lets core raise the practice's
/// evidence level, so it carries context and measures, not just a text.
pub(crate) async fn post_replication(
    State(state): State<AppState>,
    Path(doc): Path<String>,
    SignedInPost { ctx, form }: SignedInPost,
) -> Response {
    let Some(target) = target_of(&state, &doc) else {
        return not_found(&ctx);
    };
    let (json_body, local_errors) = replication_body(ctx.lang, &target, &form);
    // Input that cannot even become JSON is shown first, without asking the node.
    let refused = if !local_errors.is_empty() {
        Some((StatusCode::BAD_REQUEST, local_errors))
    } else {
        let outcome = state
            .node
            .publish(Kind::Feedback, json_body.to_string().into_bytes())
            .await;
        match outcome {
            Ok(_) => None,
            Err(error) => match node_faults(&ctx, &error, REPLICATION_FIELDS) {
                Ok(refused) => Some(refused),
                Err(server_fault) => return *server_fault,
            },
        }
    };
    match refused {
        None => see_other(&format!("/practices/{doc}#feedback")),
        Some((status, faults)) => {
            let forms = CardForms {
                status,
                replication_errors: faults,
                replication: form,
                ..CardForms::default()
            };
            render_card(&state, &ctx, &doc, None, &forms)
        }
    }
}

/// The latest version's id: feedback names the version the reader saw (the card
/// shows the latest), so a later version does not inherit feedback on an older text.
/// `None` (a 404) when `doc` is not a practice held here.
fn target_of(state: &AppState, doc: &str) -> Option<RecordId> {
    // An unparsable id is the same `None` as an unknown one: both end as a 404.
    let doc = doc.parse::<RecordId>().ok()?;
    latest_practice(state.node.store(), &doc)
        // A store error also reads as "not held": the post then answers 404 rather than a server
        // fault. The card's GET reports the same error properly.
        .ok()
        .flatten()
        .map(|record| record.id())
}

/// The feedback body of a question form (the pure half of [`post_question`], shared
/// with `decode` so tests and the fuzzer run exactly this).
pub(crate) fn question_body(target: &RecordId, form: &FormData) -> Value {
    let text = form.get("question_text").unwrap_or_default();
    // An unknown kind is passed through for the node's validator to refuse; a form sent without
    // one asks a question.
    let kind = form.get("question_kind").unwrap_or("question");
    let mut body = Map::new();
    body.insert("target".into(), json!(target.to_string()));
    body.insert("kind".into(), json!(kind));
    // A blank text is left out rather than sent empty, so the node's validator decides whether
    // this kind of feedback needs one.
    if !text.is_empty() {
        // Tagged with the language guessed from the text itself, not the page's language, which
        // need not be the one the teacher typed in.
        body.insert("text".into(), json!({ language_of(text): text }));
    }
    Value::Object(body)
}
