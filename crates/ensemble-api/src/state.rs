//! What every route module shares: the handlers' state ([`AppState`]), the bearer-token
//! check of write calls, and the parsing of ids and optional bodies named in a request.
//!
//! This is a leaf: it imports no route module, so `records`, `admin`, `mentoring`,
//! `search` and `web` can all depend on it while the router (`server`) depends on them.
//! It owns no route and decides no status beyond 400 for text that is not an id and 401
//! for a missing or wrong token; every other status comes from [`ApiError`].

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use ensemble_core::{RecordId, SchoolId};
use ensemble_node::Node;

use crate::error::ApiError;

/// Shared state of the handlers: cheap to clone (the node is a handle, the token an
/// `Arc`), because axum clones it into every request.
#[derive(Clone)]
pub struct AppState {
    pub(crate) node: Node,
    /// The node's API token: the bearer token of write calls and, through a derived
    /// key, the secret of the web sessions (so a new token signs every browser out).
    pub(crate) token: Arc<str>,
    /// Request latencies by route, appended to the node's own metrics on `/metrics`.
    pub(crate) http_metrics: crate::http_metrics::HttpMetrics,
}

/// Lets a write call through only with `Authorization: Bearer <token>`. Reads need no
/// token: the catalog is public within the network, but writing signs records in the
/// school's name.
pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(token) if constant_time_eq(token.as_bytes(), state.token.as_bytes()) => Ok(()),
        _ => Err(ApiError::unauthorized()),
    }
}

/// Compares without an early exit, so timing does not reveal the token's prefix.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length is no secret (a generated token is always 64 hex characters), so
    // leaving early on a length mismatch gives nothing away.
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An optional JSON body: empty means the defaults, so `curl -X POST` with no body
/// works for calls whose every field is optional.
pub(crate) fn optional_json<T: Default + serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<T, ApiError> {
    if body.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("invalid JSON body: {error}")))
}

/// A record id from a path or body: text that is not one is the caller's fault (400),
/// never a 404, so a typo is told apart from a record this node does not hold.
pub(crate) fn parse_id(text: &str) -> Result<RecordId, ApiError> {
    text.parse()
        .map_err(|error| ApiError::bad_request(format!("{text:?} is not a record id: {error}")))
}

/// A school id from a path or body; 400 when the text is not one (see [`parse_id`]).
pub(crate) fn parse_school(text: &str) -> Result<SchoolId, ApiError> {
    text.parse()
        .map_err(|error| ApiError::bad_request(format!("{text:?} is not a school id: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret-longer"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
