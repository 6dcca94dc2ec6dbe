//! The page shell (head, navigation, language switch, the one small stylesheet) and the
//! small rendering helpers every page shares.
//!
//! Everything from a record is hostile: maud escapes every splice, links are rendered
//! only for `http(s)://` addresses ([`safe_url`]), and nothing from a record ever lands
//! in a `style`, `class` or event attribute.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ensemble_core::RecordId;
use ensemble_core::body::{LangMap, Measure, Quantity, display_count};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::i18n::{self, Lang};
use super::session::{self, CSRF_FIELD, Ctx};
use crate::urlencoded;

/// The stylesheet, inline (one request per page on a slow school link), allowed by a
/// per-response CSP nonce. Phone-first: one column, wider screens get a margin.
const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2330;background:#f6f7f9}
a{color:#1a56a6}
header{background:#1f3a5f;color:#fff;padding:.5rem 1rem}
header a{color:#fff;text-decoration:none;margin-right:1rem;display:inline-block;padding:.25rem 0}
header .right{float:right}
main{max-width:60rem;margin:0 auto;padding:1rem;background:#fff;min-height:80vh}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem;border-bottom:1px solid #dde}
form.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}
form.search label{display:flex;flex-direction:column;font-size:.85rem;flex:1 1 9rem}
form.search .q{flex:3 1 100%}
input,select,textarea,button{font:inherit;padding:.35rem;max-width:100%}
input[type=search],input[type=text],input[type=password],textarea{width:100%}
button{background:#1f3a5f;color:#fff;border:0;border-radius:4px;padding:.45rem 1rem;cursor:pointer}
ul.hits{list-style:none;padding:0}
ul.hits li{border-bottom:1px solid #e3e6ea;padding:.6rem 0}
.meta{color:#556;font-size:.9rem}
.badge{display:inline-block;background:#e8eef7;border-radius:3px;padding:0 .4rem;margin:.1rem .2rem .1rem 0;font-size:.85rem}
.badge.e4{background:#d8f0dc}
.verified{color:#17692b}
.error{color:#a11d1d;font-size:.9rem;display:block}
.errors{border:1px solid #a11d1d;padding:.5rem;background:#fff3f3}
.field{margin:.6rem 0}
.field>label{display:block;font-weight:600}
.hint{color:#667;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;display:block;overflow-x:auto}
td,th{border:1px solid #dde;padding:.25rem .4rem;text-align:left}
code{font-size:.8rem;word-break:break-all}
.fb{border-left:3px solid #c7d3e6;padding:.25rem .75rem;margin:.75rem 0}
.actions form{margin:.75rem 0}
form.inline{display:inline}
@media(max-width:40rem){header .right{float:none}main{padding:.6rem}}
"#;

/// A complete page with the security headers that belong to it.
pub(crate) fn page(ctx: &Ctx, status: StatusCode, title: &str, body: Markup) -> Response {
    // A fresh nonce per response: the inline stylesheet is allowed by it, and a style
    // injected through a record could not guess it.
    let nonce = session::random_hex();
    let lang = ctx.lang;
    // The language switch returns to this very page, so switching never loses the
    // reader's place (or a search's filters).
    let switch = format!(
        "/lang/{}?next={}",
        lang.other().code(),
        urlencoded::encode(&ctx.here)
    );
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Ensemble" }
                style nonce=(nonce) { (PreEscaped(CSS)) }
            }
            body {
                header {
                    nav {
                        a href="/" { (lang.word("practice_catalog")) }
                        a href="/schools" { (lang.word("schools")) }
                        a href="/mentoring" { (lang.word("support_requests")) }
                        a href="/node" { (lang.word("school_node")) }
                        span.right {
                            @if ctx.signed_in {
                                a href="/practices/new" { (lang.word("publish")) }
                            }
                            a href=(switch) hreflang=(lang.other().code()) lang=(lang.other().code()) id="lang-switch" {
                                (lang.t(i18n::SWITCH_TO))
                            }
                            // Signing out is a POST with the CSRF token: a link (GET) could
                            // be triggered by any other site.
                            @if ctx.signed_in {
                                form.inline method="post" action="/signout" {
                                    (csrf_field(ctx))
                                    button type="submit" { (lang.t(i18n::SIGN_OUT)) }
                                }
                            } @else {
                                a href=(format!("/signin?next={}", urlencoded::encode(&ctx.here))) { (lang.t(i18n::SIGN_IN)) }
                            }
                        }
                    }
                }
                main id="content" { (body) }
            }
        }
    };
    // No script at all, styles only with this page's nonce, forms only to this site,
    // and no framing: a hostile record can neither run code nor dress up a fake form.
    let csp = format!(
        "default-src 'self'; style-src 'nonce-{nonce}'; script-src 'none'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'; img-src 'self'"
    );
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    // The first page a browser sees sets its CSRF cookie, so its forms work at once.
    match &ctx.set_cookie {
        Some(cookie) => session::with_cookies(response, std::slice::from_ref(cookie)),
        None => response,
    }
}

/// The hidden CSRF field every POST form carries: the session's MAC of the CSRF
/// cookie's nonce, which another site can neither read nor compute.
pub(crate) fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(ctx.csrf); }
}

/// `url` when it is an `http://` or `https://` address with a host and nothing a
/// browser would reinterpret; `None` for anything else (`javascript:`, `data:`…).
pub(crate) fn safe_url(url: &str) -> Option<&str> {
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let host_ok = !rest.is_empty() && !rest.starts_with('/');
    let clean = !trimmed
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    (host_ok && clean).then_some(trimmed)
}

/// Badges for vocabulary codes, labelled in the reader's language.
pub(crate) fn badges(lang: Lang, vocabulary: &str, codes: &[String]) -> Markup {
    html! {
        @for code in codes {
            span.badge { (lang.label(vocabulary, code)) }
        }
    }
}

/// The evidence level as a badge: code and label, green from E4 up.
pub(crate) fn evidence_badge(lang: Lang, level: &str) -> Markup {
    let strong = matches!(level, "E4" | "E5");
    html! {
        span.badge.e4[strong] title=(lang.t(i18n::EVIDENCE)) {
            (level) " · " (lang.label("evidence_levels", level))
        }
    }
}

/// A unix-ms time as an ISO date (UTC): unambiguous in both interface languages,
/// and computed here to spare a date crate for one format.
pub(crate) fn date(ms: u64) -> String {
    let days = (ms / 86_400_000) as i64;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Errors of one form field, shown beside it. `role="alert"` makes screen readers
/// announce them; `data-field` names the input, which the web tests check.
pub(crate) fn field_errors(errors: &[(String, String)], field: &str) -> Markup {
    html! {
        @for (name, message) in errors {
            @if name == field {
                span.error role="alert" data-field=(field) { (message) }
            }
        }
    }
}

/// A `<select>` of a vocabulary; `multiple` for lists.
pub(crate) fn vocab_select(
    lang: Lang,
    name: &str,
    vocabulary: &str,
    selected: &[&str],
    multiple: bool,
    any: bool,
) -> Markup {
    let terms = ensemble_core::vocab::vocabulary(vocabulary)
        .map(|vocabulary| vocabulary.terms)
        .unwrap_or_default();
    html! {
        select name=(name) id=(name) multiple[multiple] size=[multiple.then_some(6)] {
            @if any {
                option value="" { (lang.t(i18n::ANY)) }
            }
            @for term in terms {
                option value=(term.code) selected[selected.contains(&term.code)] {
                    (term.label(lang.code()))
                }
            }
            // Codes this node does not know still round-trip through the form.
            @for code in selected {
                @if !code.is_empty() && !terms.iter().any(|term| term.code == *code) {
                    option value=(code) selected { (code) }
                }
            }
        }
    }
}

/// A `<select>` of grades 0–11.
pub(crate) fn grade_select(lang: Lang, name: &str, selected: &[u8], multiple: bool) -> Markup {
    html! {
        select name=(name) id=(name) multiple[multiple] size=[multiple.then_some(6)] {
            @if !multiple {
                option value="" { (lang.t(i18n::ANY)) }
            }
            @for grade in 0u8..=11 {
                option value=(grade) selected[selected.contains(&grade)] {
                    @if grade == 0 { (lang.t(i18n::PRESCHOOL)) } @else { (grade) }
                }
            }
        }
    }
}

/// A badge when the text shown in the reader's language was machine-translated: a
/// teacher should know before relying on its wording.
pub(crate) fn machine_mark(lang: Lang, machine_translated: &[String]) -> Markup {
    html! {
        @if machine_translated.iter().any(|code| code == lang.code()) {
            p.meta { span.badge { (lang.word("machine_translated")) } }
        }
    }
}

/// The measures of a practice's evidence or a replication, one row each; a group
/// size goes through `display_count`, which hides small groups ("<10") so a table
/// cannot point at a handful of pupils; missing cells stay empty.
pub(crate) fn measures_table(lang: Lang, measures: &[Measure]) -> Markup {
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

/// The first characters of a record id: enough to tell records apart on a page.
pub(crate) fn short(id: &RecordId) -> String {
    id.to_string().chars().take(12).collect()
}

/// The text of `map` in the reader's language (or the best other one), else
/// `fallback`: a record may lack a title in every language the reader knows.
pub(crate) fn pick_or(lang: Lang, map: &LangMap, fallback: &str) -> String {
    map.best(lang.code()).unwrap_or(fallback).to_string()
}

/// A measured value for people: a number or the text typed (like "63%").
pub(crate) fn quantity(value: &Quantity) -> String {
    match value {
        Quantity::Number(number) => number.to_string(),
        Quantity::Text(text) => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_become_links() {
        let cases = [
            ("https://school5.edu.ru/lesson.mp4", true),
            ("HTTP://Example.org/a?b=c", true),
            ("  https://example.org/x  ", true),
            ("javascript:alert(1)", false),
            ("JaVaScRiPt:alert(1)", false),
            (" javascript:alert(1)", false),
            ("data:text/html;base64,PHNjcmlwdD4=", false),
            ("vbscript:msgbox", false),
            ("https:///nohost", false),
            ("https://", false),
            ("https://a.org/\"onmouseover=alert(1)", false),
            ("https://a.org/<script>", false),
            ("//evil.example", false),
            ("/relative", false),
        ];
        for (url, linked) in cases {
            assert_eq!(safe_url(url).is_some(), linked, "{url:?}");
        }
    }

    #[test]
    fn dates_are_iso_utc() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_788_220_800_000), "2026-09-01");
        assert_eq!(date(951_782_400_000), "2000-02-29");
    }
}
