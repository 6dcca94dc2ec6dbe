//! The practice catalog's search page (`GET /`): the search form with its filters and
//! one page of ranked results.
//!
//! What it owns: reading the filters from the query string and rendering the hits.
//! What it does not: parsing and checking the filters (`crate::search::SearchParams`,
//! shared with the JSON API so both refuse the same input alike), ranking (the node's
//! search index), or the practice card (`card`).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use ensemble_node::search;
use maud::{Markup, html};

use super::directory::{self, Directory};
use super::i18n::{self, Lang};
use super::layout::{
    badges, evidence_badge, field_errors, grade_select, page, pick_or, short, vocab_select,
};
use super::message;
use super::session::Ctx;
use crate::error::{Fault, search_fault_of};
use crate::search::SearchParams;
use crate::state::AppState;
use crate::urlencoded::FormData;

/// `GET /`: the catalog with search and filters.
pub(crate) async fn catalog(
    State(state): State<AppState>,
    ctx: Ctx,
    RawQuery(raw): RawQuery,
) -> Response {
    // Parsed from the raw query, not with serde: a multi-select may repeat a name,
    // and the filters must be readable even when one is malformed.
    let params = search_params(&FormData::parse(raw.unwrap_or_default().as_bytes()));
    let lang = ctx.lang;
    let directory = directory::of(&state.node);
    // Filters at fault are shown beside their inputs on an ordinary 200 page: the
    // reader is browsing, and the form stays usable. A failing index is the node's
    // fault, by the same policy as the JSON API: the logged error page.
    let (results, faults) = match params.to_query() {
        Ok(query) => match state.node.search(&query) {
            Ok(results) => (Some(results), Vec::new()),
            // The index refused the query as a whole, with no one field to blame: the empty name
            // puts the message after the button.
            Err(search::Error::Invalid(message)) => (None, vec![(String::new(), message)]),
            Err(error) => match search_fault_of(&error) {
                Fault::Caller(_) => (None, vec![(String::new(), error.to_string())]),
                Fault::Server(status) => return message::server_fault(&ctx, status, &error),
            },
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
            // Paging is a link with the same filters and the next cursor: plain GETs
            // that a reader can bookmark or share.
            @if let Some(next) = results.next_offset {
                // Only the cursor changes: every filter carries over to the next page.
                @let next_params = SearchParams { cursor: Some(next.to_string()), ..params.clone() };
                p { a rel="next" href=(format!("/?{}", next_params.query_string())) { (lang.t(i18n::NEXT_PAGE)) } }
            }
        }
    };
    page(&ctx, StatusCode::OK, &lang.word("practice_catalog"), body)
}

/// The search parameters of the catalog's query string (blank values are absent); the
/// pure half of [`catalog`], shared with `decode`.
pub(crate) fn search_params(form: &FormData) -> SearchParams {
    // `FormData::get` treats a blank value as absent, so the "any" option of a select
    // adds no filter.
    let owned = |name: &str| form.get(name).map(str::to_string);
    SearchParams {
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
    }
}

/// The search form, refilled with the filters of this search; faults of the filters
/// that have an input are shown beside it, the others (limit, cursor, language) after
/// the button.
fn search_form(
    lang: Lang,
    params: &SearchParams,
    directory: &Directory,
    faults: &[(String, String)],
) -> Markup {
    // Refilled with what the reader sent, even when it is at fault, so they fix a value
    // rather than type the whole search again.
    let value = |field: &Option<String>| field.clone().unwrap_or_default();
    // The catalog filters on one value per field, while the select helpers take a list.
    fn selected(field: &Option<String>) -> Vec<&str> {
        field.as_deref().into_iter().collect()
    }
    // An unparsable grade selects nothing; its fault is shown beside the select.
    let grade: Vec<u8> = params
        .grade
        .as_deref()
        .and_then(|grade| grade.parse().ok())
        .into_iter()
        .collect();
    html! {
        // GET: a search changes nothing, so its URL can be bookmarked, shared and reloaded;
        // `role="search"` lets screen readers jump to it.
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
                    // Only schools whose profile is held are listed; a shared link naming
                    // another school id still filters, the select just shows no choice.
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
                    // Regions come from the profiles held: only regions that have schools.
                    @for region in directory.regions() {
                        option value=(region) selected[params.region.as_deref() == Some(region.as_str())] { (region) }
                    }
                }
            }
            button type="submit" { (lang.t(i18n::SEARCH)) }
            // Faults with no input of their own: listed here so none is silently dropped.
            @for (name, message) in faults {
                @if !["q", "grade", "evidence", "school"].contains(&name.as_str()) {
                    span.error { (name) ": " (message) }
                }
            }
        }
    }
}
