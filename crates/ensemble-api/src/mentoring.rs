//! The mentoring API: school profiles and the list of schools, requests, offers ranked
//! by fit, acceptances, progress reports, acknowledgements, closures and whole threads;
//! and the typed client calls for them.
//!
//! | method and path | |
//! |---|---|
//! | `PUT /api/v1/profile` | a new version of this school's profile |
//! | `GET /api/v1/schools` | the latest profile of every school held |
//! | `POST /api/v1/mentoring/requests` | publish a request |
//! | `GET /api/v1/mentoring/requests?open=true` | requests ranked by fit with this school |
//! | `POST /api/v1/mentoring/offers` | an offer (standing when the body names no request) |
//! | `GET/POST /api/v1/mentoring/requests/{id}/offers` | offers ranked by fit / an offer to it |
//! | `POST /api/v1/mentoring/acceptances` | accept (`offer` required, `request` optional) |
//! | `POST /api/v1/mentoring/reports` | a progress report (`agreement` required) |
//! | `POST /api/v1/mentoring/acknowledgements` | `{"report", "text"}` |
//! | `POST /api/v1/mentoring/closures` | `{"agreement", "outcome", "summary"}` |
//! | `GET /api/v1/mentoring/threads/{id}` | the thread of any of its records |
//!
//! A record that breaks a thread's rule is refused with 422 and the rule's code in the
//! message; the rules themselves live in `ensemble_core::mentoring`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use ensemble_core::{RecordId, VerifiedRecord};
use ensemble_node::{Node, NodeError, RankedOffer, RankedRequest, SchoolView, ThreadView};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::state::{AppState, authorize, parse_id};
use crate::views::Published;
use crate::{Client, ClientError};

/// The mentoring routes, merged into the main router. They are merged after the
/// record routes' body limit layer, so they keep axum's default limit, not
/// `MAX_BODY_BYTES` (see `server::router`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/profile", put(set_profile))
        .route("/api/v1/schools", get(schools))
        .route(
            "/api/v1/mentoring/requests",
            get(list_requests).post(publish_request),
        )
        .route(
            "/api/v1/mentoring/requests/{id}/offers",
            get(list_offers).post(offer_to_request),
        )
        .route("/api/v1/mentoring/offers", post(offer))
        .route("/api/v1/mentoring/acceptances", post(accept))
        .route("/api/v1/mentoring/reports", post(report))
        .route("/api/v1/mentoring/acknowledgements", post(acknowledge))
        .route("/api/v1/mentoring/closures", post(close))
        .route("/api/v1/mentoring/threads/{id}", get(thread))
}

/// `POST /api/v1/mentoring/acknowledgements` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AcknowledgeRequest {
    /// The progress report acknowledged.
    pub report: String,
    /// A word to the partner; a standard confirmation when absent.
    pub text: Option<String>,
}

/// `GET /api/v1/mentoring/requests` query.
#[derive(Debug, Deserialize)]
struct RequestsQuery {
    /// Only requests still taking offers (`open`, `in-negotiation`).
    open: Option<bool>,
}

/// Runs a store-bound read of the node off the async workers.
///
/// Store reads can block on disk; on a blocking thread a slow read delays only its own
/// request, not the other requests and tasks sharing the runtime's workers.
async fn blocking<T: Send + 'static>(
    node: &Node,
    read: impl FnOnce(&Node) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, ApiError> {
    // `Node` is a handle; the clone shares the same node and lets the closure be `'static`.
    let node = node.clone();
    match tokio::task::spawn_blocking(move || read(&node)).await {
        Ok(result) => Ok(result?),
        // A join error means the read panicked: 500, since the caller did nothing wrong.
        Err(error) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("mentoring read failed: {error}"),
        )),
    }
}

/// The record id a JSON body names in `field`; 400 naming the field otherwise.
///
/// The body is parsed here only to find the id; the node parses and validates it again
/// as the record's body, so this is not the validation.
fn named_id(body: &[u8], field: &str) -> Result<RecordId, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("invalid JSON body: {error}")))?;
    match value.get(field).and_then(Value::as_str) {
        Some(text) => parse_id(text)
            .map_err(|_| ApiError::bad_request(format!("{field}: {text:?} is not a record id"))),
        None => Err(ApiError::bad_request(format!(
            "{field}: is required (a record id)"
        ))),
    }
}

/// What a write route answers: 201 with the new record's ids.
type Created = Result<(StatusCode, Json<Published>), ApiError>;

/// A write route that publishes a new record: [`authorized`], then 201 with its ids.
async fn created(
    state: &AppState,
    headers: &HeaderMap,
    write: impl Future<Output = Result<VerifiedRecord, ApiError>>,
) -> Created {
    let record = authorized(state, headers, write).await?;
    Ok((StatusCode::CREATED, Json(Published::from(&record))))
}

/// A write route's shape: authorize the caller first, then run `write` (parse what the
/// request names, call the node). `write` is lazy, so an unauthorized caller is refused
/// (401) before its body or path is looked at.
async fn authorized(
    state: &AppState,
    headers: &HeaderMap,
    write: impl Future<Output = Result<VerifiedRecord, ApiError>>,
) -> Result<VerifiedRecord, ApiError> {
    authorize(state, headers)?;
    write.await
}

/// A read route's shape: the record id in the path, then a store-bound read about it.
async fn read_about<T: Send + 'static>(
    state: &AppState,
    id: &str,
    read: fn(&Node, RecordId) -> Result<T, NodeError>,
) -> Result<Json<T>, ApiError> {
    let id = parse_id(id)?;
    Ok(Json(
        blocking(&state.node, move |node| read(node, id)).await?,
    ))
}

/// `PUT /api/v1/profile`: replaces this school's one profile with a new version, so it
/// answers 200 rather than the 201 of routes that add a record.
async fn set_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Published>, ApiError> {
    let record = authorized(&state, &headers, async {
        Ok(state.node.set_profile(body.to_vec()).await?)
    })
    .await?;
    Ok(Json(Published::from(&record)))
}

/// `GET /api/v1/schools`: the latest profile of every school held. Reads take no token.
async fn schools(State(state): State<AppState>) -> Result<Json<Vec<SchoolView>>, ApiError> {
    Ok(Json(blocking(&state.node, Node::schools).await?))
}

/// `POST /api/v1/mentoring/requests`: the body goes to the node unparsed, so its
/// validator, not this layer, names the fields at fault.
async fn publish_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Created {
    let write = async { Ok(state.node.publish_request(body.to_vec()).await?) };
    created(&state, &headers, write).await
}

/// `GET /api/v1/mentoring/requests`: ranked by fit with this school. Without `open`
/// every request is listed, so a mentor also sees threads already agreed.
async fn list_requests(
    State(state): State<AppState>,
    Query(query): Query<RequestsQuery>,
) -> Result<Json<Vec<RankedRequest>>, ApiError> {
    let open = query.open.unwrap_or(false);
    Ok(Json(
        blocking(&state.node, move |node| node.rank_requests(open)).await?,
    ))
}

/// `GET /api/v1/mentoring/requests/{id}/offers`: ranked by fit with that request.
async fn list_offers(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<RankedOffer>>, ApiError> {
    read_about(&state, &id, Node::rank_offers).await
}

/// `POST /api/v1/mentoring/requests/{id}/offers`: an offer to the request in the path.
/// The id is parsed inside `write`, so a caller without the token gets 401, not 400.
async fn offer_to_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Created {
    let write = async {
        let request = parse_id(&id)?;
        Ok(state.node.offer(Some(request), body.to_vec()).await?)
    };
    created(&state, &headers, write).await
}

/// `POST /api/v1/mentoring/offers`: standing unless the body names a request.
async fn offer(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Created {
    let write = async { Ok(state.node.offer(None, body.to_vec()).await?) };
    created(&state, &headers, write).await
}

/// `POST /api/v1/mentoring/acceptances`: `offer` is required; `request` only matters
/// for a standing offer, which answers no request by itself.
async fn accept(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Created {
    let write = async {
        let offer = named_id(&body, "offer")?;
        // Absent or null `request` is fine; one that is present but not a record id is a
        // 400, never silently dropped.
        let request = match named_id(&body, "request") {
            Ok(request) => Some(request),
            Err(_) if !mentions(&body, "request") => None,
            Err(error) => return Err(error),
        };
        Ok(state
            .node
            .accept(offer, request, Some(body.to_vec()))
            .await?)
    };
    created(&state, &headers, write).await
}

/// Whether the JSON body has a non-null `field`.
fn mentions(body: &[u8], field: &str) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| value.get(field).cloned())
        .is_some_and(|value| !value.is_null())
}

/// `POST /api/v1/mentoring/reports`: a progress report on the agreement it names.
async fn report(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Created {
    let write = async {
        let agreement = named_id(&body, "agreement")?;
        Ok(state.node.report(agreement, body.to_vec()).await?)
    };
    created(&state, &headers, write).await
}

/// `POST /api/v1/mentoring/acknowledgements`: a typed body, unlike the other writes,
/// because the node builds this record from `text` rather than from the caller's JSON.
async fn acknowledge(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Created {
    let write = async {
        let request: AcknowledgeRequest = serde_json::from_slice(&body)
            .map_err(|error| ApiError::bad_request(format!("invalid JSON body: {error}")))?;
        let report = parse_id(&request.report)?;
        Ok(state.node.acknowledge(report, request.text).await?)
    };
    created(&state, &headers, write).await
}

/// `POST /api/v1/mentoring/closures`: `outcome` and `summary` are left to the node to
/// validate; this layer only finds the agreement's id.
async fn close(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Created {
    let write = async {
        let agreement = named_id(&body, "agreement")?;
        Ok(state.node.close(agreement, body.to_vec()).await?)
    };
    created(&state, &headers, write).await
}

/// `GET /api/v1/mentoring/threads/{id}`: the thread of any of its records, so a link to
/// a report or an offer opens the whole story.
async fn thread(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ThreadView>, ApiError> {
    read_about(&state, &id, Node::thread).await
}

/// `draft` (a JSON object) with `field` set to `value`; anything else is sent as is, for
/// the node to refuse.
fn with_field(mut draft: Value, field: &str, value: &str) -> Value {
    if let Value::Object(map) = &mut draft {
        map.insert(field.to_string(), Value::String(value.to_string()));
    }
    draft
}

/// The body of a client call. Serialising a `Value` does not fail in practice; if it
/// did, the call would go out without a body for the node to refuse, not panic here.
fn to_bytes(value: &Value) -> Option<Vec<u8>> {
    serde_json::to_vec(value).ok()
}

impl Client {
    /// `PUT /api/v1/profile`: a new version of this school's profile.
    pub async fn set_profile(&self, body: Vec<u8>) -> Result<Published, ClientError> {
        self.json(Method::PUT, "/api/v1/profile", Some(body)).await
    }

    /// `GET /api/v1/schools`: the latest profile of every school held.
    pub async fn schools(&self) -> Result<Vec<SchoolView>, ClientError> {
        self.json(Method::GET, "/api/v1/schools", None).await
    }

    /// `POST /api/v1/mentoring/requests`; `body` is the request's JSON, sent as is.
    pub async fn publish_request(&self, body: Vec<u8>) -> Result<Published, ClientError> {
        self.json(Method::POST, "/api/v1/mentoring/requests", Some(body))
            .await
    }

    /// `GET /api/v1/mentoring/requests[?open=true]`: requests ranked by fit with this
    /// school.
    pub async fn mentoring_requests(&self, open: bool) -> Result<Vec<RankedRequest>, ClientError> {
        let path = if open {
            "/api/v1/mentoring/requests?open=true"
        } else {
            "/api/v1/mentoring/requests"
        };
        self.json(Method::GET, path, None).await
    }

    /// An offer: to `request` (`POST /api/v1/mentoring/requests/{id}/offers`), or as
    /// the body says (`POST /api/v1/mentoring/offers`: standing without `request`).
    pub async fn offer(
        &self,
        request: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Published, ClientError> {
        let path = match request {
            Some(request) => format!("/api/v1/mentoring/requests/{request}/offers"),
            None => "/api/v1/mentoring/offers".to_string(),
        };
        self.json(Method::POST, &path, Some(body)).await
    }

    /// `GET /api/v1/mentoring/requests/{id}/offers`: offers ranked by fit.
    pub async fn offers(&self, request: &str) -> Result<Vec<RankedOffer>, ClientError> {
        self.json(
            Method::GET,
            &format!("/api/v1/mentoring/requests/{request}/offers"),
            None,
        )
        .await
    }

    /// `POST /api/v1/mentoring/acceptances`: accepts `offer`, with the acceptance
    /// `draft` (a JSON object: goals, norms, review dates…; `{}` for none).
    pub async fn accept(
        &self,
        offer: &str,
        request: Option<&str>,
        draft: Value,
    ) -> Result<Published, ClientError> {
        let mut body = with_field(draft, "offer", offer);
        if let Some(request) = request {
            body = with_field(body, "request", request);
        }
        self.json(
            Method::POST,
            "/api/v1/mentoring/acceptances",
            to_bytes(&body),
        )
        .await
    }

    /// `POST /api/v1/mentoring/reports`: a progress report `draft` on `agreement`.
    pub async fn report(&self, agreement: &str, draft: Value) -> Result<Published, ClientError> {
        let body = with_field(draft, "agreement", agreement);
        self.json(Method::POST, "/api/v1/mentoring/reports", to_bytes(&body))
            .await
    }

    /// `POST /api/v1/mentoring/acknowledgements`; without `text` the node writes a
    /// standard confirmation.
    pub async fn acknowledge(
        &self,
        report: &str,
        text: Option<String>,
    ) -> Result<Published, ClientError> {
        let body = serde_json::to_vec(&AcknowledgeRequest {
            report: report.to_string(),
            text,
        })
        .ok();
        self.json(Method::POST, "/api/v1/mentoring/acknowledgements", body)
            .await
    }

    /// `POST /api/v1/mentoring/closures`; `outcome` is `completed` or `terminated`, as
    /// the CLI offers; anything else is for the node to refuse.
    pub async fn close(
        &self,
        agreement: &str,
        outcome: &str,
        summary: &str,
    ) -> Result<Published, ClientError> {
        let body = serde_json::json!({
            "agreement": agreement,
            "outcome": outcome,
            "summary": summary,
        });
        self.json(Method::POST, "/api/v1/mentoring/closures", to_bytes(&body))
            .await
    }

    /// `GET /api/v1/mentoring/threads/{id}`: the thread of any of its records.
    pub async fn thread(&self, id: &str) -> Result<ThreadView, ClientError> {
        self.json(
            Method::GET,
            &format!("/api/v1/mentoring/threads/{id}"),
            None,
        )
        .await
    }
}
