//! The HTTP server: JSON API under `/api/v1/`, `/healthz`, `/metrics`.
//!
//! Reading needs nothing; every write call needs `Authorization: Bearer <token>`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use ensemble_core::limits::MAX_BODY_BYTES;
use ensemble_core::{Kind, RecordId, SchoolId};
use ensemble_node::{Node, PeerId};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::http_metrics::HttpMetrics;
use crate::views::{
    BlockView, Changed, FollowView, Health, Published, RecordPage, RecordView, RetractRequest,
    SyncNowRequest, Target,
};

/// Largest bundle `POST /api/v1/import` accepts: about a million catalog records.
pub const MAX_IMPORT_BYTES: usize = 512 * 1024 * 1024;
/// Default and largest page size of listings.
const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 500;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub(crate) node: Node,
    pub(crate) token: Arc<str>,
    pub(crate) http_metrics: HttpMetrics,
}

/// Builds the router for a node and its API token.
pub fn router(node: Node, token: String) -> Router {
    let http_metrics = HttpMetrics::new();
    let state = AppState {
        node,
        token: token.into(),
        http_metrics: http_metrics.clone(),
    };
    let records = Router::new()
        .route("/api/v1/status", get(status))
        .route("/api/v1/records", get(list_records))
        .route("/api/v1/records/{id}", get(get_record))
        .route(
            "/api/v1/practices",
            get(list_practices).post(publish_practice),
        )
        .route(
            "/api/v1/practices/{doc}",
            axum::routing::put(update_practice).delete(retract_practice),
        )
        .route("/api/v1/peers", get(peers))
        .route("/api/v1/blocks", get(blocks).post(block))
        .route("/api/v1/blocks/{target}", delete(unblock))
        .route("/api/v1/follows", get(follows).post(follow))
        .route("/api/v1/follows/{school}", delete(unfollow))
        .route("/api/v1/sync", get(sync_status).post(sync_now))
        .route("/api/v1/export", get(export))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let import = Router::new()
        .route("/api/v1/import", post(import))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES));
    records
        .merge(import)
        .merge(crate::mentoring::routes())
        .merge(crate::search::routes())
        .merge(crate::web::routes())
        // Last, so it wraps every route above and sees each one's matched template.
        .layer(axum::middleware::from_fn_with_state(
            http_metrics,
            crate::http_metrics::track,
        ))
        .with_state(state)
}

/// Serves until `shutdown` is cancelled, then finishes in-flight requests.
pub async fn serve(
    node: Node,
    token: String,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(node, token))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

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
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An optional JSON body: empty means the defaults.
fn optional_json<T: Default + serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("invalid JSON body: {error}")))
}

pub(crate) fn parse_id(text: &str) -> Result<RecordId, ApiError> {
    text.parse()
        .map_err(|error| ApiError::bad_request(format!("{text:?} is not a record id: {error}")))
}

fn parse_school(text: &str) -> Result<SchoolId, ApiError> {
    text.parse()
        .map_err(|error| ApiError::bad_request(format!("{text:?} is not a school id: {error}")))
}

async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let records = state
        .node
        .store()
        .counts()?
        .into_iter()
        .map(|(kind, count)| (kind.as_str().to_string(), count))
        .collect();
    Ok(Json(Health {
        status: "ok".into(),
        records,
    }))
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.http_metrics.append_to(state.node.metrics_text()),
    )
        .into_response()
}

async fn status(State(state): State<AppState>) -> Result<Json<ensemble_node::Status>, ApiError> {
    Ok(Json(state.node.status().await?))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    kind: Option<String>,
    author: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

async fn list_records(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<RecordPage>, ApiError> {
    let mut faults = Vec::new();
    let kind = match query.kind.as_deref().filter(|kind| !kind.is_empty()) {
        None => None,
        Some(text) => match text.parse::<Kind>() {
            Ok(kind) => Some(kind),
            Err(error) => {
                faults.push(format!("kind: {error}"));
                None
            }
        },
    };
    let author = match query.author.as_deref().filter(|author| !author.is_empty()) {
        None => None,
        Some(text) => match text.parse::<SchoolId>() {
            Ok(author) => Some(author),
            Err(error) => {
                faults.push(format!("author: {error}"));
                None
            }
        },
    };
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        faults.push(format!("limit: must be 1–{MAX_PAGE}"));
    }
    if !faults.is_empty() {
        return Err(ApiError::bad_request(faults.join("; ")));
    }
    let store = state.node.store();
    let page = store.list(kind, author.as_ref(), query.cursor.as_deref(), limit)?;
    let mut records = Vec::with_capacity(page.records.len());
    for record in &page.records {
        let retracted = store.is_retracted(&record.doc())?;
        records.push(RecordView::new(record, retracted));
    }
    Ok(Json(RecordPage {
        records,
        next_cursor: page.next,
    }))
}

async fn get_record(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RecordView>, ApiError> {
    let id = parse_id(&id)?;
    let stored = state
        .node
        .store()
        .get(&id)?
        .ok_or_else(|| ApiError::not_found(format!("record {id}")))?;
    Ok(Json(RecordView::new(&stored.record, stored.retracted)))
}

async fn list_practices(State(state): State<AppState>) -> Result<Json<Vec<RecordView>>, ApiError> {
    let records = state.node.store().latest(Kind::Practice)?;
    Ok(Json(
        records
            .iter()
            .map(|record| RecordView::new(record, false))
            .collect(),
    ))
}

async fn publish_practice(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    authorize(&state, &headers)?;
    let record = state.node.publish(Kind::Practice, body.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(Published::from(&record))))
}

async fn update_practice(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(doc): Path<String>,
    body: Bytes,
) -> Result<Json<Published>, ApiError> {
    authorize(&state, &headers)?;
    let doc = parse_id(&doc)?;
    ensure_kind(&state, &doc, Kind::Practice)?;
    let record = state.node.update(doc, body.to_vec()).await?;
    Ok(Json(Published::from(&record)))
}

async fn retract_practice(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(doc): Path<String>,
    body: Bytes,
) -> Result<Json<Published>, ApiError> {
    authorize(&state, &headers)?;
    let doc = parse_id(&doc)?;
    ensure_kind(&state, &doc, Kind::Practice)?;
    let request: RetractRequest = optional_json(&body)?;
    let record = state.node.retract(doc, request.reason).await?;
    Ok(Json(Published::from(&record)))
}

fn ensure_kind(state: &AppState, doc: &RecordId, kind: Kind) -> Result<(), ApiError> {
    match state.node.store().get(doc)? {
        None => Err(ApiError::not_found(format!("document {doc}"))),
        Some(stored) if stored.record.kind() != kind => Err(ApiError::bad_request(format!(
            "{doc} is a {}, not a {kind}",
            stored.record.kind()
        ))),
        Some(_) => Ok(()),
    }
}

async fn export(State(state): State<AppState>) -> Result<Response, ApiError> {
    let bundle = state.node.export()?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ensemble-export.bundle\"",
            ),
        ],
        bundle,
    )
        .into_response())
}

async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ensemble_node::ImportReport>, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(state.node.import(&body).await?))
}

async fn peers(
    State(state): State<AppState>,
) -> Result<Json<Vec<ensemble_node::PeerView>>, ApiError> {
    Ok(Json(state.node.peers().await?))
}

async fn blocks(State(state): State<AppState>) -> Result<Json<Vec<BlockView>>, ApiError> {
    let blocks = state.node.store().blocks()?;
    Ok(Json(
        blocks
            .into_iter()
            .map(|block| match block {
                ensemble_node::Block::School(school) => BlockView {
                    kind: "school".into(),
                    id: school.to_string(),
                },
                ensemble_node::Block::Peer(peer) => BlockView {
                    kind: "peer".into(),
                    id: peer,
                },
            })
            .collect(),
    ))
}

async fn block(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(target): Json<Target>,
) -> Result<Json<Changed>, ApiError> {
    authorize(&state, &headers)?;
    let changed = state.node.block(&target.target).await?;
    Ok(Json(Changed { changed }))
}

async fn unblock(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(target): Path<String>,
) -> Result<Json<Changed>, ApiError> {
    authorize(&state, &headers)?;
    let changed = state.node.unblock(&target).await?;
    Ok(Json(Changed { changed }))
}

async fn follows(State(state): State<AppState>) -> Result<Json<Vec<FollowView>>, ApiError> {
    let store = state.node.store();
    let names = state.node.school_names()?;
    let mut views = Vec::new();
    for school in store.follows()? {
        views.push(FollowView {
            school_id: school.to_string(),
            name: names.get(&school).cloned(),
            records: store.head(&school)?,
        });
    }
    Ok(Json(views))
}

async fn follow(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(target): Json<Target>,
) -> Result<Json<Changed>, ApiError> {
    authorize(&state, &headers)?;
    let school = parse_school(&target.target)?;
    let changed = state.node.follow(school).await?;
    Ok(Json(Changed { changed }))
}

async fn unfollow(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(school): Path<String>,
) -> Result<Json<Changed>, ApiError> {
    authorize(&state, &headers)?;
    let school = parse_school(&school)?;
    let changed = state.node.unfollow(school).await?;
    Ok(Json(Changed { changed }))
}

async fn sync_status(State(state): State<AppState>) -> Json<Vec<ensemble_node::SyncStats>> {
    Json(state.node.sync_status())
}

async fn sync_now(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Vec<ensemble_node::SyncStats>>, ApiError> {
    authorize(&state, &headers)?;
    let request: SyncNowRequest = optional_json(&body)?;
    let peer = match request.peer {
        None => None,
        Some(text) => Some(text.parse::<PeerId>().map_err(|error| {
            ApiError::bad_request(format!("peer: {text:?} is not a peer id: {error}"))
        })?),
    };
    Ok(Json(state.node.sync_now(peer).await?))
}
