//! The HTTP server: assembles the routes of every module into one router and serves
//! it. Reading needs nothing; every write call needs `Authorization: Bearer <token>`.
//!
//! What it owns: which route modules are mounted, the request-body limits, and the
//! serve loop with its graceful shutdown. What it does not: any handler (they live in
//! `records`, `admin`, `mentoring`, `search` and `web`) or the state they share
//! (`state`, a leaf that no route module needs this module for).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use ensemble_core::limits::MAX_BODY_BYTES;
use ensemble_node::Node;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::http_metrics::HttpMetrics;
pub use crate::state::AppState;

/// Largest bundle `POST /api/v1/import` accepts: about a million catalog records.
pub const MAX_IMPORT_BYTES: usize = 512 * 1024 * 1024;

/// Builds the router for a node and its API token.
pub fn router(node: Node, token: String) -> Router {
    let http_metrics = HttpMetrics::new();
    let state = AppState {
        node,
        token: token.into(),
        http_metrics: http_metrics.clone(),
    };
    // A record body can never exceed the protocol's limit, so the record and admin
    // routes refuse a larger one before reading it all. `layer` applies only to the
    // routes added so far: the routes merged after it keep axum's default limit.
    let records = crate::records::routes()
        .merge(crate::admin::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let import = Router::new()
        .route("/api/v1/import", post(crate::records::import))
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

/// Serves until `shutdown` is cancelled, then finishes in-flight requests: the daemon
/// stops HTTP first so no request reaches a node that is shutting down.
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
