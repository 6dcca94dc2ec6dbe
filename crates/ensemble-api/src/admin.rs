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

/// `GET /healthz`: answers only when the store can be read (it counts the records by
/// kind), so a probe sees a node whose storage failed as unhealthy (500), not as up.
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

/// `GET /metrics`: the node's counters in OpenMetrics text, the content type
/// Prometheus negotiates for; open like every read, since counters reveal no content.
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

/// `GET /api/v1/status`: identity, records held, peers and network counters. It waits
/// on the network task's answer, so a node whose network has stopped says so (503)
/// instead of reporting stale counters.
async fn status(State(state): State<AppState>) -> Result<Json<ensemble_node::Status>, ApiError> {
    Ok(Json(state.node.status().await?))
}

/// `GET /api/v1/peers`: the connected peers, as the network task sees them now.
async fn peers(
    State(state): State<AppState>,
) -> Result<Json<Vec<ensemble_node::PeerView>>, ApiError> {
    Ok(Json(state.node.peers().await?))
}

/// `GET /api/v1/blocks`: every block, tagged `school` or `peer`, so a client can
/// tell a blocked author (its records are refused) from a blocked connection.
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

/// `POST /api/v1/blocks` `{"target"}`: blocks a school id or a peer id. The node
/// decides which the text is, so one call serves both. `changed` is false when the
/// block was already there, which makes the call safe to repeat.
async fn block(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(target): Json<Target>,
) -> Result<Json<Changed>, ApiError> {
    authorize(&state, &headers)?;
    let changed = state.node.block(&target.target).await?;
    Ok(Json(Changed { changed }))
}

/// `DELETE /api/v1/blocks/{target}`: removes a block; `changed` as for [`block`].
async fn unblock(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(target): Path<String>,
) -> Result<Json<Changed>, ApiError> {
    authorize(&state, &headers)?;
    let changed = state.node.unblock(&target).await?;
    Ok(Json(Changed { changed }))
}

/// `GET /api/v1/follows`: followed schools with their names (when a profile is
/// held) and how many of their records this node holds, which shows how far
/// replication of a followed school has come.
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

/// `POST /api/v1/follows` `{"target"}`: follows a school, so its whole history is
/// replicated whatever its network. Only a school can be followed, so the text is
/// parsed here and a peer id is a 400.
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

/// `DELETE /api/v1/follows/{school}`: stops following; `changed` as for [`block`].
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

/// `GET /api/v1/sync`: per peer, the last catch-up round and what it brought. Read
/// from the node's own counters, so it cannot fail.
async fn sync_status(State(state): State<AppState>) -> Json<Vec<ensemble_node::SyncStats>> {
    Json(state.node.sync_status())
}

/// `POST /api/v1/sync` `{"peer"?}`: a catch-up round now, with one peer or (no body)
/// every connected one; answers once the rounds are done, with their statistics.
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
