//! The extractor of write forms, [`SignedInPost`]: the one gate every handler that
//! writes goes through, so none can forget the origin, CSRF or sign-in check.
//!
//! It owns the order of the checks (body limit, then origin and CSRF token, then the
//! session) and turns a refusal into its page. It does not define the checks
//! (`session`) or the pages (`message`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};

use super::message;
use super::session::Ctx;
use crate::state::AppState;
use crate::urlencoded::FormData;

/// A form posted by a signed-in browser that passed [`Ctx::check_post`] (origin, CSRF
/// token, session): the request context and the decoded form. Handlers that write take
/// it instead of repeating the check; a post that fails it is refused while extracting
/// (403, or 401 with the sign-in form), as is a body over the router's limit.
pub(crate) struct SignedInPost {
    /// The request context.
    pub(crate) ctx: Ctx,
    /// The decoded form.
    pub(crate) form: FormData,
}

impl FromRequest<AppState> for SignedInPost {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<SignedInPost, Response> {
        let (mut parts, body) = request.into_parts();
        let Ok(ctx) = Ctx::from_request_parts(&mut parts, state).await;
        let headers = parts.headers.clone();
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = ctx
            .check_post(&headers, &body, true)
            .map_err(|refusal| message::refused(&ctx, refusal))?;
        Ok(SignedInPost { ctx, form })
    }
}
