//! The web interface teachers use: server-rendered pages over the replicated catalog,
//! in Russian (default) or English, with plain forms and no JavaScript.
//!
//! What it owns: pages, forms, the sign-in and CSRF cookies, the response security
//! headers. What it does not: any rule about records (the node validates and decides;
//! the pages show its verdicts beside the form fields) or the JSON API.
//!
//! Code map (routes at the top, helpers below; no helper imports a route module):
//! - routes: `catalog` (search page), `card` (practice card and its feedback posts),
//!   `practice_form` and `request_form` (the two record editors), `pages` (schools,
//!   mentoring, the node, sign-in, language);
//! - helpers: `editor` (the form flow both editors share), `feedback` (feedback list
//!   and forms), `form` (form ↔ JSON body, the status of a refused write), `message`
//!   (404, refusals, the server-fault page), `post` (the signed-in POST extractor),
//!   `layout` (page shell, hostile-input-safe rendering), `session` (request context,
//!   cookies, CSRF), `i18n` (phrases), `directory` (known schools, cached), `faults`
//!   (validation faults in the reader's language), `decode` (the pure half of each form
//!   handler, for tests and the fuzzer).
//!
//! Security: reading needs nothing; every POST needs the CSRF token of the browser's
//! session and a same-origin `Origin`, and every write also needs the sign-in cookie.
//! Every field of every record is treated as hostile: maud escapes all text, only
//! `http(s)` links are rendered, and each page's Content-Security-Policy forbids
//! scripts entirely (`script-src 'none'`) and allows only its own nonce-tagged style.

mod card;
mod catalog;
pub mod decode;
mod directory;
mod editor;
mod faults;
mod feedback;
mod form;
mod i18n;
mod layout;
mod message;
mod pages;
mod post;
mod practice_form;
mod request_form;
mod session;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::{get, post};

use crate::state::AppState;

/// The CSP of responses that are not pages (redirects, errors): nothing may load.
const FALLBACK_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The web routes, merged into the server's router.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(catalog::catalog))
        .route(
            "/practices/new",
            get(practice_form::new_practice).post(practice_form::create_practice),
        )
        .route("/practices/{doc}", get(card::card))
        .route("/practices/{doc}/feedback", post(card::post_question))
        .route("/practices/{doc}/replication", post(card::post_replication))
        .route(
            "/practices/{doc}/edit",
            get(practice_form::edit_practice).post(practice_form::update_practice),
        )
        .route("/schools", get(pages::schools))
        .route("/schools/{id}", get(pages::school))
        .route("/schools/{id}/follow", post(pages::follow))
        .route("/mentoring", get(pages::mentoring))
        .route(
            "/mentoring/requests/new",
            get(request_form::new_request).post(request_form::create_request),
        )
        .route(
            "/mentoring/requests/{doc}/edit",
            get(request_form::edit_request).post(request_form::update_request),
        )
        .route("/node", get(pages::node))
        .route("/lang/{code}", get(pages::switch_language))
        .route("/signin", get(pages::signin_form).post(pages::signin))
        .route("/signout", post(pages::signout))
        .layer(map_response(security_headers))
}

/// Headers every web response carries; pages set their own CSP (with the style nonce).
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(FALLBACK_CSP));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}
