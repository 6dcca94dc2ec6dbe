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
/// Largest web form body: a form carries at most one record body, and urlencoding
/// turns each byte of Cyrillic UTF-8 into three (`%D0`), so three times the record
/// limit plus room for field names and the CSRF token.
pub const MAX_FORM_BYTES: usize = 3 * MAX_BODY_BYTES + 16 * 1024;

/// Builds the router for a node and its API token.
pub fn router(node: Node, token: String) -> Router {
    let http_metrics = HttpMetrics::new();
    let state = AppState {
        node,
        token: token.into(),
        http_metrics: http_metrics.clone(),
    };
    // A record body can never exceed the protocol's limit, so every JSON route that
    // takes one (records, admin, mentoring, search) refuses a larger body with 413
    // before reading it all. `layer` applies only to the routes added so far, which is
    // why the import and web routes, with limits of their own, are merged after it.
    let json = crate::records::routes()
        .merge(crate::admin::routes())
        .merge(crate::mentoring::routes())
        .merge(crate::search::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let import = Router::new()
        .route("/api/v1/import", post(crate::records::import))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES));
    let web = crate::web::routes().layer(DefaultBodyLimit::max(MAX_FORM_BYTES));
    json.merge(import)
        .merge(web)
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
