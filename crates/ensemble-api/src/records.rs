//! The record routes of the JSON API: listing and fetching any record, the practice
//! shortcuts (publish, new version, retract), and the whole-store bundle (export and
//! import).
//!
//! What it owns: turning these requests into calls on the node and the node's answers
//! into JSON. What it does not: validation (the node checks every body and names the
//! fields at fault), statuses (decided by [`ApiError`]) or the body limits (set by the
//! router in `server`, which gives `import` its own larger one).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use ensemble_core::{Kind, RecordId, SchoolId};
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::{AppState, authorize, optional_json, parse_id};
use crate::views::{Published, RecordPage, RecordView, RetractRequest};

/// Page size of a listing that names no `limit`: small enough for a quick first answer.
const DEFAULT_PAGE: usize = 50;
/// Largest page a caller may ask for: bounds the memory and time of one request, and
/// a client that wants more follows `next_cursor`.
const MAX_PAGE: usize = 500;

/// The record routes, except `import` (the router mounts [`import`] under its own body
/// limit, since a bundle is far larger than any one record).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/records", get(list_records))
        .route("/api/v1/records/{id}", get(get_record))
        .route(
            "/api/v1/practices",
            get(list_practices).post(publish_practice),
        )
        .route(
            "/api/v1/practices/{doc}",
            put(update_practice).delete(retract_practice),
        )
        .route("/api/v1/export", get(export))
}

/// `GET /api/v1/records` query, as text: each field is parsed below so that every
/// parameter at fault is named in one 400, not just the first.
#[derive(Debug, Deserialize)]
struct ListQuery {
    kind: Option<String>,
    author: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// `GET /api/v1/records?kind&author&limit&cursor`: one page of stored records in
/// store order, each marked retracted or not. The cursor is the store's own, opaque to
/// clients; a stale or forged one is a 400 (see `error::fault_of`).
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

/// `GET /api/v1/records/{id}`: one record by id, any kind, with its retraction state.
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

/// `GET /api/v1/practices`: the latest version of every practice document. It
/// marks none retracted because the store's latest-version index no longer lists a
/// withdrawn practice.
async fn list_practices(State(state): State<AppState>) -> Result<Json<Vec<RecordView>>, ApiError> {
    let records = state.node.store().latest(Kind::Practice)?;
    Ok(Json(
        records
            .iter()
            .map(|record| RecordView::new(record, false))
            .collect(),
    ))
}

/// `POST /api/v1/practices`: signs and publishes a practice body; 201 with its ids.
/// The body is passed on as bytes: the node validates it once, naming every field at
/// fault, so nothing is parsed twice.
async fn publish_practice(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    authorize(&state, &headers)?;
    let record = state.node.publish(Kind::Practice, body.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(Published::from(&record))))
}

/// `PUT /api/v1/practices/{doc}`: a new version of this school's practice `doc`.
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

/// `DELETE /api/v1/practices/{doc}` `{"reason"?}`: withdraws a practice; every node
/// that receives the retraction purges the text.
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

/// Refuses a practice route used on another kind of document before the node is
/// asked, so `PUT /practices/{id of a feedback}` is a clear 400 naming both kinds, not
/// a validation error about a body of the wrong shape.
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

/// `GET /api/v1/export`: every stored record in one bundle file. Sent as an
/// attachment because browsers and `curl -OJ` then save it under a useful name.
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

/// `POST /api/v1/import`: ingests a bundle through the same door as gossip and sync
/// (every signature verified, scope and block rules applied); the report counts what
/// was stored and skipped. The router mounts it under its own, larger body limit.
pub(crate) async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ensemble_node::ImportReport>, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(state.node.import(&body).await?))
}
