//! Who is asking and in which language: the request context every page is built with,
//! the sign-in cookie and CSRF protection.
//!
//! All of it is stateless, keyed by a secret derived from the node's API token (so
//! changing the token signs everyone out):
//! - `ensemble_session` = `nonce.mac`: set by signing in with the token; `HttpOnly;
//!   SameSite=Strict`. A valid MAC means signed in.
//! - `ensemble_csrf` = a random nonce, set on the first page seen; `HttpOnly;
//!   SameSite=Strict`. Every form carries `csrf` = MAC(nonce) in a hidden field; a POST
//!   passes only with the cookie, the matching field, and an `Origin` (when the browser
//!   sends one) naming this host. Refusals are 403.
//! - `ensemble_lang` = `ru` | `en`: the interface language, remembered for a year.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::i18n::Lang;
use crate::state::{AppState, constant_time_eq};
use crate::urlencoded::FormData;

/// Cookie with the sign-in.
const SESSION_COOKIE: &str = "ensemble_session";
/// Cookie with the CSRF nonce.
const CSRF_COOKIE: &str = "ensemble_csrf";
/// Cookie with the interface language.
pub(crate) const LANG_COOKIE: &str = "ensemble_lang";
/// The hidden form field with the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";
/// How long the language choice is remembered (a year, in seconds).
const LANG_MAX_AGE_SECS: u64 = 365 * 24 * 3600;
/// Random bytes in a nonce.
const NONCE_BYTES: usize = 16;
/// Domain separation of the key derived from the API token.
const KEY_CONTEXT: &str = "ensemble web session v1";

/// What a handler knows about the request before doing anything.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The interface language.
    pub(crate) lang: Lang,
    /// Signed in with the node's token.
    pub(crate) signed_in: bool,
    /// The CSRF token to put in forms.
    pub(crate) csrf: String,
    /// Path and query of this request (the language switch returns here).
    pub(crate) here: String,
    /// A `Set-Cookie` the response must carry (a new CSRF nonce).
    pub(crate) set_cookie: Option<String>,
    /// The CSRF nonce the request carried, if any.
    nonce: Option<String>,
    /// The secret key.
    key: [u8; 32],
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, Infallible> {
        let here = if parts.method == Method::GET {
            parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |pq| pq.as_str().to_string())
        } else {
            page_of_action(parts.uri.path()).to_string()
        };
        Ok(Ctx::new(&parts.headers, here, state))
    }
}

/// Why [`Ctx::check_post`] refused a post; `message::refused` renders the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A write from a browser that has not signed in (401 with the sign-in form).
    SignInRequired,
    /// A post without this session's CSRF token or from another origin (403).
    Forbidden,
}

impl Ctx {
    fn new(headers: &HeaderMap, here: String, state: &AppState) -> Ctx {
        // Derived, not the token itself: a cookie MAC must never be usable as the API
        // token, and a new token (a leaked one replaced) invalidates every session.
        let key = blake3::derive_key(KEY_CONTEXT, state.token.as_bytes());
        let lang = cookie(headers, LANG_COOKIE)
            .and_then(Lang::parse)
            .unwrap_or_default();
        let signed_in =
            cookie(headers, SESSION_COOKIE).is_some_and(|value| session_is_valid(&key, value));
        // A nonce of the wrong shape is treated as absent and replaced, so a tampered
        // cookie cannot grow into the MAC input.
        let nonce = cookie(headers, CSRF_COOKIE)
            .filter(|nonce| {
                nonce.len() == NONCE_BYTES * 2 && nonce.bytes().all(|b| b.is_ascii_hexdigit())
            })
            .map(str::to_string);
        let (csrf_nonce, set_cookie) = match &nonce {
            Some(nonce) => (nonce.clone(), None),
            None => {
                let fresh = random_hex();
                // HttpOnly: no script may read it (and the pages run none). SameSite=Strict:
                // another site's form posting here arrives without it and is refused.
                let cookie = format!("{CSRF_COOKIE}={fresh}; Path=/; HttpOnly; SameSite=Strict");
                (fresh, Some(cookie))
            }
        };
        Ctx {
            lang,
            signed_in,
            csrf: mac_hex(&key, "csrf", &csrf_nonce),
            here,
            set_cookie,
            nonce,
            key,
        }
    }

    /// Checks a POST: origin, CSRF token, and (when `needs_sign_in`) the session.
    /// Returns the decoded form, or why it is refused.
    pub(crate) fn check_post(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        needs_sign_in: bool,
    ) -> Result<FormData, Refusal> {
        let form = FormData::parse(body);
        if needs_sign_in && !self.signed_in {
            return Err(Refusal::SignInRequired);
        }
        // Both checks, not either: the token stops a forged form, the origin check a
        // browser that (against SameSite) sent the cookie along with one.
        let same_origin = origin_matches(headers);
        let token_ok = match (&self.nonce, form.get(CSRF_FIELD)) {
            (Some(nonce), Some(presented)) => constant_time_eq(
                presented.as_bytes(),
                mac_hex(&self.key, "csrf", nonce).as_bytes(),
            ),
            _ => false,
        };
        if !same_origin || !token_ok {
            return Err(Refusal::Forbidden);
        }
        Ok(form)
    }

    /// The `Set-Cookie` value that signs this browser in.
    pub(crate) fn session_cookie(&self) -> String {
        let nonce = random_hex();
        let mac = mac_hex(&self.key, "session", &nonce);
        // No Max-Age: a session cookie, gone when the browser closes, which suits the
        // shared computers of a school staff room. Strict, as the CSRF cookie.
        format!("{SESSION_COOKIE}={nonce}.{mac}; Path=/; HttpOnly; SameSite=Strict")
    }

    /// Whether `presented` is the node's API token.
    pub(crate) fn token_matches(state: &AppState, presented: &str) -> bool {
        constant_time_eq(presented.trim().as_bytes(), state.token.as_bytes())
    }
}

/// The page a form's action belongs to (`/practices/X/replication` → `/practices/X`):
/// where the language switch and sign-in return after a POST re-rendered a page.
fn page_of_action(path: &str) -> &str {
    ["/replication", "/feedback", "/follow"]
        .iter()
        .find_map(|action| path.strip_suffix(action))
        .unwrap_or(path)
}

/// The `Set-Cookie` value that signs this browser out.
pub(crate) fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The `Set-Cookie` value that remembers a language.
pub(crate) fn lang_cookie(lang: Lang) -> String {
    // Lax, not Strict: the language is no secret, and a reader arriving from a link on
    // another site should see the language they chose.
    format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age={LANG_MAX_AGE_SECS}; SameSite=Lax",
        lang.code()
    )
}

/// Appends `Set-Cookie` headers to a response.
pub(crate) fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A 303 to a path on this site; anything that is not a plain local path becomes `/`
/// (no open redirects).
pub(crate) fn see_other(path: &str) -> Response {
    let location = local_path(path);
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `path` when it is a local absolute path (`/x`, not `//host` or `/\host`), else `/`.
pub(crate) fn local_path(path: &str) -> &str {
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control() || c == '\\');
    if local { path } else { "/" }
}

/// The value of cookie `name`, from any `Cookie` header (HTTP/2 may split them).
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// Whether a session cookie is `nonce.mac` with this key's MAC of the nonce: the
/// server keeps no session table, so this check is the whole of signing in.
fn session_is_valid(key: &[u8; 32], value: &str) -> bool {
    let Some((nonce, mac)) = value.split_once('.') else {
        return false;
    };
    nonce.len() == NONCE_BYTES * 2
        && constant_time_eq(mac.as_bytes(), mac_hex(key, "session", nonce).as_bytes())
}

/// A browser sends `Origin` with every form POST; when present it must name the host
/// the request was sent to. `Sec-Fetch-Site: cross-site` is refused as well.
fn origin_matches(headers: &HeaderMap) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|value| value.to_str().ok());
    if headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|site| site == "cross-site")
    {
        return false;
    }
    let Some(origin) = text(header::ORIGIN) else {
        return true;
    };
    let Some(host) = text(header::HOST) else {
        return false;
    };
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    authority == Some(host)
}

/// The keyed BLAKE3 MAC of `nonce` for `purpose`: the purpose is hashed in, so a
/// CSRF token can never pass as a session and the other way round.
fn mac_hex(key: &[u8; 32], purpose: &str, nonce: &str) -> String {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(purpose.as_bytes());
    hasher.update(b"\0");
    hasher.update(nonce.as_bytes());
    hasher.finalize().to_hex().to_string()
}

/// A fresh random nonce in hex. Falls back to a hash of the time when the OS has no
/// randomness to give (the nonce then only loses unpredictability, and CSRF
/// protection still has the MAC and the origin check).
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; NONCE_BYTES];
    if getrandom::fill(&mut bytes).is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        bytes.copy_from_slice(&blake3::hash(&now.to_le_bytes()).as_bytes()[..NONCE_BYTES]);
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        let cases = [
            ("/practices/b123?x=1", "/practices/b123?x=1"),
            ("//evil.example/", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example/", "/"),
            ("javascript:alert(1)", "/"),
            ("", "/"),
            ("/a\nb", "/"),
        ];
        for (input, expected) in cases {
            assert_eq!(local_path(input), expected, "{input:?}");
        }
    }

    #[test]
    fn origin_must_name_this_host() {
        let check = |origin: Option<&str>, host: &str, site: Option<&str>| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:4780"));
            if let Some(origin) = origin {
                headers.insert(
                    header::ORIGIN,
                    HeaderValue::from_str(origin).unwrap_or(HeaderValue::from_static("x")),
                );
            }
            if let Some(site) = site {
                headers.insert(
                    "sec-fetch-site",
                    HeaderValue::from_str(site).unwrap_or(HeaderValue::from_static("x")),
                );
            }
            let _ = host;
            origin_matches(&headers)
        };
        assert!(check(Some("http://127.0.0.1:4780"), "", None));
        assert!(check(None, "", Some("same-origin")));
        assert!(!check(Some("http://evil.example"), "", None));
        assert!(!check(Some("null"), "", None));
        assert!(!check(None, "", Some("cross-site")));
    }

    #[test]
    fn sessions_need_the_right_key() {
        let key = blake3::derive_key(KEY_CONTEXT, b"token");
        let other = blake3::derive_key(KEY_CONTEXT, b"other token");
        let nonce = random_hex();
        let value = format!("{nonce}.{}", mac_hex(&key, "session", &nonce));
        assert!(session_is_valid(&key, &value));
        assert!(!session_is_valid(&other, &value));
        assert!(!session_is_valid(
            &key,
            &format!("{nonce}.{}", mac_hex(&key, "csrf", &nonce))
        ));
        assert!(!session_is_valid(&key, "garbage"));
    }
}
