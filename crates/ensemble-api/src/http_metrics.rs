//! HTTP request latency for `/metrics`: a histogram by route template, method and
//! status class, recorded by a middleware over every route (API, web pages, metrics).
//!
//! Labels are bounded on purpose: the route is axum's matched template
//! (`/api/v1/records/{id}`, never the id), unknown paths share `unmatched`, methods
//! outside the standard set share `other`, statuses are classes (`2xx`…). A client
//! sending random paths or methods cannot grow the exposition.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Upper bounds (seconds) of the latency buckets: from a cached page (~1 ms) to a
/// large export or import (seconds); Prometheus' defaults start at 5 ms, too coarse
/// for a loopback API.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Methods kept as their own label value; any other is `other`.
const KNOWN_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// Labels of the latency histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The matched route template, or `unmatched`.
    route: String,
    /// The HTTP method, or `other`.
    method: String,
    /// `2xx`, `3xx`, `4xx` or `5xx`.
    status: String,
}

type Requests = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The HTTP metrics and the registry they are exported from. Clones share them.
#[derive(Clone)]
pub(crate) struct HttpMetrics {
    registry: Arc<Registry>,
    requests: Requests,
}

impl HttpMetrics {
    pub(crate) fn new() -> HttpMetrics {
        let requests: Requests = Family::new_with_constructor(latency_histogram);
        let mut registry = Registry::default();
        registry.sub_registry_with_prefix("ensemble").register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status class",
            requests.clone(),
        );
        HttpMetrics {
            registry: Arc::new(registry),
            requests,
        }
    }

    /// Appends this registry's exposition to the node's (`node_text`, which ends in
    /// the OpenMetrics `# EOF` line that must come once, last).
    pub(crate) fn append_to(&self, node_text: String) -> String {
        let mut text = match node_text.strip_suffix("# EOF\n") {
            Some(body) => body.to_string(),
            None => node_text,
        };
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            tracing::warn!("HTTP metrics encoding failed");
        }
        text
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The middleware: times the inner service and records the outcome.
pub(crate) async fn track(
    State(metrics): State<HttpMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().as_str();
    let method = if KNOWN_METHODS.contains(&method) {
        method.to_string()
    } else {
        "other".to_string()
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let status = format!("{}xx", response.status().as_u16() / 100);
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status,
        })
        .observe(started.elapsed().as_secs_f64());
    response
}
