//! The pages that answer instead of the one asked for: a message (an error or a
//! refusal), 404, the sign-in form (also the 401 of a write without signing in), and
//! the page of a failure of the node itself.
//!
//! What it owns: these pages and their statuses, and the logging of a server fault
//! shown to a browser. What it does not: deciding which status an error earns (the
//! crate's one policy, `crate::error::fault_of`) or checking a post (`session`).

use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::i18n;
use super::layout::{csrf_field, page};
use super::session::{self, Ctx, Refusal};

/// A page with one message (errors, refusals).
pub(crate) fn message_page(ctx: &Ctx, status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! {
        h1 { (title) }
        p.message { (message) }
        p { a href="/" { (ctx.lang.word("practice_catalog")) } }
    };
    page(ctx, status, title, body)
}

/// 404.
pub(crate) fn not_found(ctx: &Ctx) -> Response {
    let title = ctx.lang.t(i18n::NOT_FOUND);
    message_page(ctx, StatusCode::NOT_FOUND, title, title)
}

/// 401 with the sign-in form: a write was attempted without signing in.
pub(crate) fn sign_in_required(ctx: &Ctx) -> Response {
    sign_in_page(
        ctx,
        StatusCode::UNAUTHORIZED,
        &ctx.here,
        Some(ctx.lang.t(i18n::SIGN_IN_NEEDED)),
    )
}

pub(crate) fn sign_in_page(
    ctx: &Ctx,
    status: StatusCode,
    next: &str,
    notice: Option<&str>,
) -> Response {
    let lang = ctx.lang;
    let body = html! {
        h1 { (lang.t(i18n::SIGN_IN)) }
        @if let Some(notice) = notice { p.errors role="alert" { (notice) } }
        form method="post" action="/signin" id="signin-form" {
            (csrf_field(ctx))
            input type="hidden" name="next" value=(session::local_path(next));
            div.field {
                label for="token" { (lang.t(i18n::TOKEN)) }
                input type="password" name="token" id="token" autocomplete="current-password" required;
                span.hint { (lang.t(i18n::TOKEN_HINT)) }
            }
            button type="submit" { (lang.t(i18n::SIGN_IN)) }
        }
    };
    page(ctx, status, lang.t(i18n::SIGN_IN), body)
}

/// The page of a post [`Ctx::check_post`] refused: the sign-in form (401) when a write
/// came from a browser that is not signed in, so the teacher can sign in and retry;
/// otherwise 403, since a missing or foreign CSRF token or origin means the post did
/// not come from this site's own form.
pub(crate) fn refused(ctx: &Ctx, refusal: Refusal) -> Response {
    match refusal {
        Refusal::SignInRequired => sign_in_required(ctx),
        Refusal::Forbidden => message_page(
            ctx,
            StatusCode::FORBIDDEN,
            ctx.lang.t(i18n::ERROR),
            ctx.lang.t(i18n::FORBIDDEN),
        ),
    }
}

/// The page of a failure of the node itself (storage, network, data directory): the
/// status the JSON API would answer, logged here because the operator, not the
/// teacher, has to act on it. It is never shown as a fault on a form: retyping cannot
/// fix it.
pub(crate) fn server_fault(
    ctx: &Ctx,
    status: StatusCode,
    error: &dyn std::fmt::Display,
) -> Response {
    tracing::error!(%error, %status, path = %ctx.here, "web request failed");
    message_page(ctx, status, ctx.lang.t(i18n::ERROR), &error.to_string())
}
