//! The other pages: schools (profile, practices, partnerships), mentoring (requests,
//! offers with their fit reasons, partnerships by status), the node itself (peers, sync,
//! follows), signing in and out, and the language switch.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ensemble_core::{Kind, SchoolId};
use ensemble_node::search::{MAX_LIMIT, Query};
use ensemble_node::{AgreementView, ThreadView};
use maud::{Markup, html};

use super::directory;
use super::i18n::{self, Lang};
use super::layout::{badges, csrf_field, date, evidence_badge, machine_mark, page, safe_url};
use super::message::{self, message_page, not_found, sign_in_page};
use super::post::SignedInPost;
use super::session::{self, Ctx, see_other, with_cookies};
use crate::error::{Fault, fault_of};
use crate::state::AppState;
use crate::urlencoded::FormData;

/// `GET /signin?next=PATH`: the form; `next` is where a successful sign-in returns
/// (only a local path: see `session::local_path`).
pub(crate) async fn signin_form(ctx: Ctx, RawQuery(raw): RawQuery) -> Response {
    let query = FormData::parse(raw.unwrap_or_default().as_bytes());
    // 200 even with a bad `next`: the form only carries it; `see_other` keeps it local
    // when the sign-in succeeds.
    sign_in_page(&ctx, StatusCode::OK, query.get("next").unwrap_or("/"), None)
}

/// `POST /signin`: checks the token, sets the session cookie, returns to `next`. The
/// post passes the CSRF and origin checks first (without a session), so another site
/// cannot sign a browser in to a session of its choosing. A wrong token is a 401 with
/// the form again.
pub(crate) async fn signin(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match ctx.check_post(&headers, &body, false) {
        Ok(form) => form,
        Err(refusal) => return message::refused(&ctx, refusal),
    };
    // Read before the token check so that a wrong token shows the form again with the same
    // destination, and the teacher does not lose the page they were going to.
    let next = form.get("next").unwrap_or("/");
    if !Ctx::token_matches(&state, form.raw("token")) {
        return sign_in_page(
            &ctx,
            StatusCode::UNAUTHORIZED,
            next,
            Some(ctx.lang.t(i18n::WRONG_TOKEN)),
        );
    }
    // 303 rather than a page: the browser then loads `next` with GET, so reloading it
    // cannot resend the token.
    with_cookies(see_other(next), &[ctx.session_cookie()])
}

/// `POST /signout`: a POST with the CSRF token (see the page shell), so no other site
/// can sign a teacher out.
pub(crate) async fn signout(ctx: Ctx, headers: HeaderMap, body: Bytes) -> Response {
    // `false`: no session is needed to sign out; a teacher whose session already expired
    // must still be able to press the button without an error.
    if let Err(refusal) = ctx.check_post(&headers, &body, false) {
        return message::refused(&ctx, refusal);
    }
    with_cookies(see_other("/"), &[session::clear_session_cookie()])
}

/// `GET /lang/{ru|en}?next=PATH`: remembers the language and goes back. A GET, so it
/// works as a plain link; it changes nothing but the reader's own cookie.
pub(crate) async fn switch_language(
    ctx: Ctx,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return not_found(&ctx);
    };
    let query = FormData::parse(raw.unwrap_or_default().as_bytes());
    with_cookies(
        // `see_other` keeps `next` to a local path, so the language link cannot be turned into
        // an open redirect to another site.
        see_other(query.get("next").unwrap_or("/")),
        &[session::lang_cookie(lang)],
    )
}

// ----- schools ------------------------------------------------------------------------

/// `GET /schools`: every school whose profile this node holds, by name.
pub(crate) async fn schools(State(state): State<AppState>, ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let directory = directory::of(&state.node);
    let body = html! {
        h1 { (lang.word("schools")) }
        ul.hits {
            // Sorted by each school's name in the reader's language, which is how a teacher scans
            // a list of schools.
            @for school in directory.sorted(lang.code()) {
                li {
                    a href=(format!("/schools/{}", school.id)) { (directory.name(&school.id, lang.code())) }
                    div.meta {
                        (school.profile.region)
                        @for role in &school.profile.roles { " · " (lang.label("roles", role.as_str())) }
                    }
                }
            }
        }
    };
    page(&ctx, StatusCode::OK, &lang.word("schools"), body)
}

/// `GET /schools/{id}`: profile, practices, partnerships.
pub(crate) async fn school(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let lang = ctx.lang;
    // An id that does not parse is a 404 like an unknown page, not a 400: to a reader it
    // is a broken link.
    let Ok(school_id) = id.parse::<SchoolId>() else {
        return not_found(&ctx);
    };
    let directory = directory::of(&state.node);
    let store = state.node.store();
    // A search error shows an empty list: the profile is still worth showing.
    let practices = state
        .node
        .search(&Query {
            school: Some(school_id),
            limit: MAX_LIMIT,
            ..Query::default()
        })
        .map(|results| (results.hits, results.next_offset.is_some()))
        .unwrap_or_default();
    // No profile held, but practices exist: the school is real and its profile simply has
    // not arrived yet, so the page says so instead of a 404.
    let Some(school) = directory.get(&school_id) else {
        if practices.0.is_empty() {
            return not_found(&ctx);
        }
        return message_page(
            &ctx,
            StatusCode::OK,
            &school_id.short(),
            lang.t(i18n::UNKNOWN_SCHOOL),
        );
    };
    let profile = &school.profile;
    let name = directory.name(&school_id, lang.code());
    let own = school_id == state.node.school_id();
    // A store error reads as "not followed", which at worst offers a follow button that
    // the node will answer as already done.
    let followed = store.is_followed(&school_id).unwrap_or(false);
    let partnerships: Vec<AgreementView> = threads(&state)
        .into_iter()
        .filter_map(|thread| thread.agreement)
        .filter(|agreement| {
            agreement.mentor == school_id.to_string()
                || agreement.supported == school_id.to_string()
        })
        .collect();
    let body = html! {
        h1 { (name) }
        p.meta {
            // Every record shown here passed signature checks at ingest; the mark says so.
            span.verified { "✓ " (lang.word("signature_verified")) }
            " · " (lang.t(i18n::SCHOOL_ID)) ": " code { (school_id) }
        }
        (machine_mark(lang, &profile.machine_translated))
        h2 { (lang.t(i18n::PROFILE)) }
        ul {
            li { b { (lang.t(i18n::REGION)) ": " } (profile.region) }
            @if let Some(municipality) = &profile.municipality { li { b { (lang.t(i18n::MUNICIPALITY)) ": " } (municipality) } }
            @if let Some(settlement) = profile.settlement { li { b { (lang.t(i18n::SETTLEMENT)) ": " } (lang.label("settlement", settlement.as_str())) } }
            @if profile.small_school == Some(true) { li { (lang.t(i18n::SMALL_SCHOOL)) } }
            li { b { (lang.t(i18n::ROLES)) ": " } @for role in &profile.roles { span.badge { (lang.label("roles", role.as_str())) } } }
            @if !profile.levels.is_empty() { li { b { (lang.t(i18n::LEVELS)) ": " } (badges(lang, "levels", &profile.levels)) } }
            @if !profile.languages.is_empty() { li { b { (lang.t(i18n::LANGUAGES)) ": " } (profile.languages.join(", ")) } }
            @if !profile.expertise.is_empty() {
                li { b { (lang.t(i18n::EXPERTISE)) ": " } @for code in &profile.expertise { span.badge { (expertise_label(lang, code)) } } }
            }
            @if let Some(contact) = &profile.contact_role { li { b { (lang.t(i18n::CONTACT)) ": " } (contact) } }
            // `safe_url` drops `javascript:` and similar schemes. `noreferrer` keeps this node's
            // URLs from the school's site, `noopener` keeps that site from scripting this tab.
            @if let Some(website) = profile.website.as_deref().and_then(safe_url) {
                li { b { (lang.t(i18n::WEBSITE)) ": " } a href=(website) rel="nofollow noopener noreferrer" { (website) } }
            }
        }
        @if let Some(description) = &profile.description { p { (lang.pick(description)) } }
        // Only a signed-in teacher gets the button: following changes what the node
        // replicates, which is the school's decision, not a reader's.
        @if own {
            p { (lang.t(i18n::THIS_SCHOOL)) }
        } @else if followed {
            p { (lang.t(i18n::FOLLOWING)) }
        } @else if ctx.signed_in {
            form method="post" action=(format!("/schools/{school_id}/follow")) {
                (csrf_field(&ctx))
                // The form returns here after following, so the reader stays on this profile.
                input type="hidden" name="next" value=(format!("/schools/{school_id}"));
                button type="submit" { (lang.word("follow")) }
            }
        }
        h2 { (lang.t(i18n::PRACTICES)) }
        @if practices.0.is_empty() { p { (lang.t(i18n::NO_PRACTICES)) } }
        ul.hits {
            @for hit in &practices.0 {
                li {
                    a href=(format!("/practices/{}", hit.doc)) { (lang.pick(&hit.title)) }
                    div {
                        (badges(lang, "subjects", &hit.subjects)) " " (lang.grades(&hit.grades)) " "
                        (evidence_badge(lang, hit.evidence.as_str()))
                        span.meta { (lang.applied_in(hit.applied_in)) }
                    }
                }
            }
        }
        // The profile lists at most `MAX_LIMIT` practices; the rest are one click away in the
        // catalog, filtered by this school.
        @if practices.1 {
            p { a href=(format!("/?school={school_id}")) { (lang.t(i18n::NEXT_PAGE)) } }
        }
        h2 { (lang.word("partnerships")) }
        (partnership_list(lang, &partnerships))
    };
    page(&ctx, StatusCode::OK, &name, body)
}

/// `POST /schools/{id}/follow`: follows a school and returns to `next` (the card or
/// profile the button was on), so following never leaves the page the reader was on.
pub(crate) async fn follow(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedInPost { ctx, form }: SignedInPost,
) -> Response {
    let Ok(school) = id.parse::<SchoolId>() else {
        return not_found(&ctx);
    };
    match state.node.follow(school).await {
        // `next` comes from the form, and `see_other` confines it to a local path.
        Ok(_) => see_other(form.get("next").unwrap_or(&format!("/schools/{school}"))),
        // The button has no inputs to show a fault beside: a refusal is a message
        // with the status the JSON API would give; a node failure is the logged page.
        Err(error) => match fault_of(&error) {
            Fault::Caller(status) => {
                message_page(&ctx, status, ctx.lang.t(i18n::ERROR), &error.to_string())
            }
            Fault::Server(status) => message::server_fault(&ctx, status, &error),
        },
    }
}

/// The label of an expertise code: profiles name problems, deficits or methods in one
/// list, so the first vocabulary that knows the code labels it.
fn expertise_label(lang: Lang, code: &str) -> String {
    for vocabulary in ["problems", "deficits", "methods"] {
        let label = lang.label(vocabulary, code);
        if label != code {
            return label;
        }
    }
    code.to_string()
}

// ----- mentoring ----------------------------------------------------------------------

/// Every request's thread, newest request first. A thread that cannot be derived is
/// left out rather than failing the whole page.
fn threads(state: &AppState) -> Vec<ThreadView> {
    state
        .node
        .store()
        .latest(Kind::MentoringRequest)
        .unwrap_or_default()
        .iter()
        // `.ok()`: one request whose thread the node cannot derive must not hide every other
        // request.
        .filter_map(|record| state.node.thread(record.doc()).ok())
        .collect()
}

/// `GET /mentoring`: open requests with their offers ranked by fit, the other
/// requests, and partnerships by status.
pub(crate) async fn mentoring(State(state): State<AppState>, ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let directory = directory::of(&state.node);
    let threads = threads(&state);
    let viewer = Viewer {
        school: state.node.school_id().to_string(),
        region: state.node.options().region.clone(),
    };
    let (open, other): (Vec<&ThreadView>, Vec<&ThreadView>) = threads
        .iter()
        // Withdrawn requests are left out: nobody can act on them any more.
        .filter(|thread| thread.state != "withdrawn")
        // The states that still take offers, the same set as the API's `open=true`.
        .partition(|thread| matches!(thread.state.as_str(), "open" | "in-negotiation"));
    let partnerships: Vec<AgreementView> = threads
        .iter()
        .filter_map(|thread| thread.agreement.clone())
        .collect();
    let body = html! {
        h1 { (lang.word("support_requests")) }
        @if ctx.signed_in {
            p { a href="/mentoring/requests/new" { (lang.t(i18n::NEW_REQUEST)) } }
        }
        h2 { (lang.t(i18n::OPEN_REQUESTS)) }
        @if open.is_empty() { p { (lang.t(i18n::NO_REQUESTS)) } }
        @for thread in &open {
            (request_section(&ctx, &directory, &viewer, thread))
        }
        @if !other.is_empty() {
            h2 { (lang.t(i18n::OTHER_REQUESTS)) }
            @for thread in &other {
                (request_section(&ctx, &directory, &viewer, thread))
            }
        }
        h2 { (lang.word("partnerships")) " — " (lang.t(i18n::BY_STATUS)) }
        (partnership_list(lang, &partnerships))
    };
    page(&ctx, StatusCode::OK, &lang.word("support_requests"), body)
}

/// Whose eyes a page is for: this node's school and region decide whether a
/// requester's risk profile may be shown.
struct Viewer {
    school: String,
    region: String,
}

/// One request with its state, its offers ranked by fit and, for the two partners,
/// the agreement; the requester's risk profile only for the eyes [`Viewer`] allows.
fn request_section(
    ctx: &Ctx,
    directory: &directory::Directory,
    viewer: &Viewer,
    thread: &ThreadView,
) -> Markup {
    let lang = ctx.lang;
    let request = &thread.request;
    // The requester's region comes from its profile; without one held the region test
    // fails, so the risk profile stays hidden rather than shown by default.
    let requester_region = request
        .author
        .parse::<SchoolId>()
        .ok()
        .and_then(|id| directory.get(&id))
        .map(|school| school.profile.region.clone());
    let is_partner = thread.agreement.as_ref().is_some_and(|agreement| {
        agreement.mentor == viewer.school || agreement.supported == viewer.school
    });
    // domain.md: a school's risk profile is shown only to its partners and its region.
    let sees_risks = request.author == viewer.school
        || is_partner
        || requester_region.as_deref() == Some(viewer.region.as_str());
    html! {
        section.request id=(format!("request-{}", request.doc)) data-state=(thread.state) {
            h3 { (request_title(lang, request)) }
            p.meta {
                (request.school.clone().unwrap_or_else(|| lang.t(i18n::UNKNOWN_SCHOOL).to_string()))
                " · " (lang.t(i18n::STATE)) ": " b { (lang.label("request_states", &thread.state)) }
                " · " span.verified { "✓ " (lang.word("signature_verified")) }
            }
            @if let Some(body) = &request.body {
                p { (text_of(lang, &body["problem"])) }
                p { (codes_of(lang, "deficits", &body["deficits"])) (codes_of(lang, "subjects", &body["subjects"])) }
                p.meta {
                    (lang.t(i18n::MODE)) ": " (lang.label("modes", body["mode"].as_str().unwrap_or_default()))
                    " · " (lang.t(i18n::PERIOD)) ": " (body["period"]["from"].as_str().unwrap_or_default())
                    " — " (body["period"]["to"].as_str().unwrap_or_default())
                }
                @if body["risk_factors"].as_array().is_some_and(|list| !list.is_empty()) {
                    @if sees_risks {
                        p { b { (lang.t(i18n::RISK_FACTORS)) ": " } (codes_of(lang, "risk_factors", &body["risk_factors"])) }
                    } @else {
                        p.hint { (lang.t(i18n::RISK_PROFILE_HIDDEN)) }
                    }
                }
            }
            // The edit link only on the author's own node, for a signed-in teacher: a new version
            // must be signed with the author's key, which only that node holds.
            @if request.author == viewer.school && ctx.signed_in {
                p { a href=(format!("/mentoring/requests/{}/edit", request.doc)) { (lang.t(i18n::EDIT)) } }
            }
            h4 { (lang.t(i18n::OFFERS)) }
            @if thread.offers.is_empty() { p { (lang.t(i18n::NO_OFFERS)) } }
            ol.offers {
                @for offer in &thread.offers {
                    li {
                        (request_title(lang, &offer.offer)) " — "
                        (offer.offer.school.clone().unwrap_or_else(|| lang.t(i18n::UNKNOWN_SCHOOL).to_string()))
                        @if offer.accepted { " · " b { (lang.word("matched")) } }
                        @if let Some(fit) = &offer.fit {
                            div.meta.fit {
                                (lang.t(i18n::FIT)) ": " b { (fit.score) "/100" } " — "
                                // The node gives each reason in both
                                // languages: the page picks, never translates.
                                @for (index, reason) in fit.reasons.iter().enumerate() {
                                    @if index > 0 { "; " }
                                    @if lang == Lang::Ru { (reason.text_ru) } @else { (reason.text_en) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Active partnerships grouped by their latest report's status, then the closed ones.
fn partnership_list(lang: Lang, partnerships: &[AgreementView]) -> Markup {
    // Keyed by a fixed order, so groups appear from on-track to off-track, then without a
    // report, then closed, whatever order the agreements came in.
    let mut groups: BTreeMap<u8, (String, Vec<&AgreementView>)> = BTreeMap::new();
    for agreement in partnerships {
        // The latest report decides: an agreement that recovered should not stay listed at
        // risk because of an older report.
        let status = agreement
            .reports
            .last()
            .map(|report| report.status.as_str());
        let (order, label) = match (agreement.state.as_str(), status) {
            ("active", Some("on-track")) => (0, lang.word("on_track")),
            ("active", Some("at-risk")) => (1, lang.word("at_risk")),
            ("active", Some("off-track")) => (2, lang.word("off_track")),
            ("active", _) => (
                3,
                format!("{} — {}", lang.word("active"), lang.t(i18n::NO_REPORT_YET)),
            ),
            (state, _) => (4, lang.label("agreement_states", state)),
        };
        groups
            .entry(order)
            .or_insert_with(|| (label, Vec::new()))
            .1
            .push(agreement);
    }
    html! {
        @if partnerships.is_empty() { p { (lang.t(i18n::NO_PARTNERSHIPS)) } }
        @for (order, (label, agreements)) in &groups {
            h3 data-status=(order) { (label) " (" (agreements.len()) ")" }
            ul {
                @for agreement in agreements {
                    li {
                        (lang.word("mentor_school")) ": " (agreement.mentor_name.clone().unwrap_or_else(|| agreement.mentor.clone()))
                        " · " (lang.word("school_receiving_support")) ": " (agreement.supported_name.clone().unwrap_or_else(|| agreement.supported.clone()))
                        " · " (lang.t(i18n::REPORTS)) ": " (agreement.reports.len())
                    }
                }
            }
        }
    }
}

/// A request's title in the reader's language, else the title the node derived,
/// else its id: a request with no readable title must still be a usable link.
fn request_title(lang: Lang, record: &ensemble_node::RecordRef) -> String {
    record
        .body
        .as_ref()
        .map(|body| text_of(lang, &body["title"]))
        .filter(|title| !title.is_empty())
        .or_else(|| record.title.clone())
        .unwrap_or_else(|| record.doc.clone())
}

/// The text of a JSON language map in the reader's language; "" when it is not one
/// (a body from a newer node may hold a shape this one does not know).
fn text_of(lang: Lang, value: &serde_json::Value) -> String {
    // Cloned because `from_value` takes ownership and the body stays in the thread view.
    serde_json::from_value::<ensemble_core::body::LangMap>(value.clone())
        .ok()
        .map(|map| lang.pick(&map))
        .unwrap_or_default()
}

/// Badges for a JSON list of vocabulary codes; anything that is not a string is
/// skipped for the same reason.
fn codes_of(lang: Lang, vocabulary: &str, value: &serde_json::Value) -> Markup {
    let codes: Vec<String> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|code| code.as_str().map(str::to_string))
        .collect();
    badges(lang, vocabulary, &codes)
}

// ----- the node -----------------------------------------------------------------------

/// `GET /node`: identity, peers, sync, follows: what an operator checks first when
/// records do not arrive. Open to read, like the JSON API's status.
pub(crate) async fn node(State(state): State<AppState>, ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let node = &state.node;
    let directory = directory::of(node);
    // Each part falls back to empty on error: an operator opening this page to diagnose a
    // sick node needs whatever parts still work, not an error page.
    let peers = node.peers().await.unwrap_or_default();
    let sync = node.sync_status();
    let follows = node.store().follows().unwrap_or_default();
    let counts = node.store().counts().unwrap_or_default();
    let options = node.options();
    let body = html! {
        h1 { (lang.word("school_node")) ": " (options.name) }
        ul {
            li { b { (lang.t(i18n::SCHOOL_ID)) ": " } code { (node.school_id()) } }
            li { b { (lang.t(i18n::PEER_ID)) ": " } code { (node.peer_id()) } }
            li { b { (lang.t(i18n::REGION)) ": " } (options.region) " · " b { (lang.t(i18n::NETWORK)) ": " } (options.network) }
            li {
                b { (lang.t(i18n::RECORDS_HELD)) ": " }
                @for (kind, count) in &counts { span.badge { (lang.label("kinds", kind.as_str())) ": " (count) } }
            }
        }
        h2 { (lang.t(i18n::PEERS)) }
        @if peers.is_empty() { p { (lang.t(i18n::NO_PEERS)) } }
        ul.peers {
            @for peer in &peers {
                li {
                    (peer.name.clone().unwrap_or_else(|| lang.t(i18n::UNKNOWN_SCHOOL).to_string()))
                    " · " code { (peer.peer_id) }
                    div.meta { (peer.addresses.join(" ")) }
                }
            }
        }
        h2 { (lang.t(i18n::SYNC)) }
        @if sync.is_empty() { p { (lang.t(i18n::NO_SYNC)) } }
        @else {
            table {
                tr { th { (lang.t(i18n::PEER_ID)) } th { (lang.t(i18n::LAST_SYNC)) } th { (lang.t(i18n::RECEIVED)) } }
                @for stats in &sync {
                    @let json = serde_json::to_value(stats).unwrap_or_default();
                    tr {
                        td { code { (json["peer_id"].as_str().unwrap_or_default()) } }
                        td { (json["last_sync_ms"].as_u64().map(date).unwrap_or_default()) }
                        td { (json["records_received"]) }
                    }
                }
            }
        }
        h2 { (lang.t(i18n::FOLLOWS)) }
        @if follows.is_empty() { p { (lang.t(i18n::NO_FOLLOWS)) } }
        ul {
            @for school in &follows {
                li { a href=(format!("/schools/{school}")) { (directory.name(school, lang.code())) } }
            }
        }
    };
    page(&ctx, StatusCode::OK, &lang.word("school_node"), body)
}
