//! Catalog search over HTTP: `GET /api/v1/search` (open) and `POST /api/v1/reindex`
//! (token). The query parameters are parsed here once, for the API, the web catalog and
//! the typed client alike.

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use ensemble_core::body::{EvidenceLevel, GRADE_MAX, GRADE_MIN, LangMap};
use ensemble_core::{SchoolId, vocab};
use ensemble_node::search::{self, MAX_LIMIT};
use serde::{Deserialize, Serialize};

use reqwest::Method;

use crate::client::{Client, ClientError};
use crate::error::ApiError;
use crate::state::{AppState, authorize};
use crate::urlencoded;

/// The routes of this module, merged into the server's router.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/search", get(search_handler))
        .route("/api/v1/reindex", post(reindex_handler))
}

///
/// Kept as text rather than typed fields so that a malformed value reaches
/// [`SearchParams::to_query`], which names it, instead of failing the whole extraction with
/// serde's message.
/// Query parameters of `GET /api/v1/search`, as text: every one optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchParams {
    /// Words to look for.
    pub q: Option<String>,
    /// Subject code.
    pub subject: Option<String>,
    /// Grade 0–11.
    pub grade: Option<String>,
    /// Problem code.
    pub problem: Option<String>,
    /// Method code.
    pub method: Option<String>,
    /// Lowest evidence level, `E0`–`E5`.
    pub evidence: Option<String>,
    /// Language of the practice (`ru`, `en`).
    pub lang: Option<String>,
    /// Author school id.
    pub school: Option<String>,
    /// Region code of the author school.
    pub region: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl SearchParams {
    /// The typed query, or every parameter at fault as `(name, message)`.
    pub fn to_query(&self) -> Result<search::Query, Vec<(String, String)>> {
        // Every parameter is checked before returning, so a reader or client sees all faults of one
        // query at once rather than one per attempt.
        let mut faults: Vec<(String, String)> = Vec::new();
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_string)
        };
        let grade = match text(&self.grade) {
            None => None,
            Some(value) => match value.parse::<u8>() {
                Ok(grade) if (GRADE_MIN..=GRADE_MAX).contains(&grade) => Some(grade),
                _ => {
                    faults.push((
                        "grade".into(),
                        format!("must be a grade {GRADE_MIN}–{GRADE_MAX}"),
                    ));
                    None
                }
            },
        };
        let evidence = match text(&self.evidence) {
            None => None,
            // Case-insensitive: `e2` in a hand-typed URL means what it plainly says.
            Some(value) => match EvidenceLevel::from_code(&value.to_ascii_uppercase()) {
                Some(level) => Some(level),
                None => {
                    faults.push(("evidence".into(), "must be one of E0–E5".into()));
                    None
                }
            },
        };
        let school = match text(&self.school) {
            None => None,
            Some(value) => match value.parse::<SchoolId>() {
                Ok(school) => Some(school),
                Err(error) => {
                    faults.push(("school".into(), format!("is not a school id: {error}")));
                    None
                }
            },
        };
        let limit = match text(&self.limit) {
            None => search::DEFAULT_LIMIT,
            Some(value) => match value.parse::<usize>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
                _ => {
                    faults.push(("limit".into(), format!("must be 1–{MAX_LIMIT}")));
                    search::DEFAULT_LIMIT
                }
            },
        };
        let offset = match text(&self.cursor) {
            None => 0,
            // The cursor is an offset; the fault text calls it a cursor so clients treat it as
            // opaque and do not build one themselves.
            Some(value) => match value.parse::<usize>() {
                Ok(offset) => offset,
                Err(_) => {
                    faults.push(("cursor".into(), "is not a cursor this node gave out".into()));
                    0
                }
            },
        };
        if !faults.is_empty() {
            return Err(faults);
        }
        Ok(search::Query {
            text: text(&self.q).unwrap_or_default(),
            subject: text(&self.subject),
            grade,
            problem: text(&self.problem),
            method: text(&self.method),
            evidence,
            lang: text(&self.lang).map(|lang| lang.to_ascii_lowercase()),
            school,
            region: text(&self.region),
            limit,
            offset,
        })
    }

    /// The parameters as a query string (for links and the client), without `cursor`
    /// when `cursor` is `None`.
    pub fn query_string(&self) -> String {
        fn value(field: &Option<String>) -> &str {
            field.as_deref().unwrap_or_default().trim()
        }
        urlencoded::query_string([
            ("q", value(&self.q)),
            ("subject", value(&self.subject)),
            ("grade", value(&self.grade)),
            ("problem", value(&self.problem)),
            ("method", value(&self.method)),
            ("evidence", value(&self.evidence)),
            ("lang", value(&self.lang)),
            ("school", value(&self.school)),
            ("region", value(&self.region)),
            ("limit", value(&self.limit)),
            ("cursor", value(&self.cursor)),
        ])
    }
}

/// `GET /api/v1/search` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// Best first.
    pub results: Vec<SearchResult>,
    /// Practices matching in all.
    pub total: usize,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// One ranked practice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    /// The latest version's record id.
    pub id: String,
    /// The document id.
    pub doc: String,
    /// Title in Russian when given, else any language.
    pub title: String,
    /// The title in every language.
    pub titles: LangMap,
    /// BM25 relevance (0 when listing without words).
    pub score: f32,
    /// Author school id.
    pub author: String,
    /// Subject codes.
    pub subjects: Vec<String>,
    /// Grades.
    pub grades: Vec<u8>,
    /// Effective evidence level, `E0`–`E5`.
    pub evidence: String,
    /// Its label in Russian and English.
    pub evidence_label: LangMap,
    /// Distinct other schools that reported applying it.
    pub applied_in: u32,
}

impl From<&search::Hit> for SearchResult {
    fn from(hit: &search::Hit) -> SearchResult {
        let level = hit.evidence.as_str();
        SearchResult {
            id: hit.id.to_string(),
            doc: hit.doc.to_string(),
            title: hit.title.best("ru").unwrap_or_default().to_string(),
            titles: hit.title.clone(),
            score: hit.score,
            author: hit.author.to_string(),
            subjects: hit.subjects.clone(),
            grades: hit.grades.clone(),
            evidence: level.to_string(),
            evidence_label: LangMap::single("ru", &vocab::label("evidence_levels", level, "ru"))
                .with("en", &vocab::label("evidence_levels", level, "en")),
            applied_in: hit.applied_in,
        }
    }
}

impl Client {
    /// `GET /api/v1/search`: ranked practices.
    pub async fn search(&self, params: &SearchParams) -> Result<SearchResponse, ClientError> {
        let path = format!("/api/v1/search?{}", params.query_string());
        self.json(Method::GET, &path, None).await
    }

    /// `POST /api/v1/reindex`: rebuild the search index from the store (token).
    pub async fn reindex(&self) -> Result<search::Reindexed, ClientError> {
        self.json(Method::POST, "/api/v1/reindex", None).await
    }
}

async fn search_handler(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    let query = params.to_query().map_err(|faults| {
        ApiError::bad_request(
            faults
                .iter()
                .map(|(name, message)| format!("{name}: {message}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let results = state.node.search(&query)?;
    Ok(Json(SearchResponse {
        results: results.hits.iter().map(SearchResult::from).collect(),
        total: results.total,
        next_cursor: results.next_offset.map(|offset| offset.to_string()),
    }))
}

async fn reindex_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<search::Reindexed>, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(state.node.reindex().await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> SearchParams {
        let mut params = SearchParams::default();
        for (name, value) in pairs {
            let value = Some(value.to_string());
            match *name {
                "q" => params.q = value,
                "grade" => params.grade = value,
                "evidence" => params.evidence = value,
                "school" => params.school = value,
                "limit" => params.limit = value,
                "cursor" => params.cursor = value,
                "lang" => params.lang = value,
                _ => panic!("{name}"),
            }
        }
        params
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let faults = params(&[
            ("grade", "12"),
            ("evidence", "E9"),
            ("school", "nope"),
            ("limit", "0"),
            ("cursor", "abc"),
        ])
        .to_query()
        .err()
        .unwrap_or_default();
        let names: Vec<&str> = faults.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            vec!["grade", "evidence", "school", "limit", "cursor"]
        );
    }

    #[test]
    fn good_parameters_become_a_query() {
        let query = params(&[
            ("q", " смысловое чтение "),
            ("grade", "5"),
            ("evidence", "e2"),
            ("lang", "RU"),
            ("cursor", "20"),
        ])
        .to_query()
        .unwrap_or_default();
        assert_eq!(query.text, "смысловое чтение");
        assert_eq!(query.grade, Some(5));
        assert_eq!(query.evidence, Some(EvidenceLevel::E2));
        assert_eq!(query.lang.as_deref(), Some("ru"));
        assert_eq!(query.offset, 20);
        assert_eq!(query.limit, search::DEFAULT_LIMIT);
    }
}
