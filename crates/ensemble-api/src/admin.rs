//! The node-administration routes of the JSON API: liveness (`/healthz`), metrics
//! (`/metrics`), status, peers, blocks, follows and catch-up sync.
//!
//! What it owns: these requests and their JSON. What it does not: what a block or a
//! follow means for replication (the node decides and persists it), records (see
//! `records`), or statuses (decided by [`ApiError`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use ensemble_node::PeerId;

use crate::error::ApiError;
use crate::state::{AppState, authorize, optional_json, parse_school};
use crate::views::{BlockView, Changed, FollowView, Health, SyncNowRequest, Target};

/// The administration routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/status", get(status))
        .route("/api/v1/peers", get(peers))
        .route("/api/v1/blocks", get(blocks).post(block))
        .route("/api/v1/blocks/{target}", delete(unblock))
        .route("/api/v1/follows", get(follows).post(follow))
        .route("/api/v1/follows/{school}", delete(unfollow))
        .route("/api/v1/sync", get(sync_status).post(sync_now))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
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
        state.node.metrics_text(),
    )
        .into_response()
}

async fn status(State(state): State<AppState>) -> Result<Json<ensemble_node::Status>, ApiError> {
    Ok(Json(state.node.status().await?))
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
