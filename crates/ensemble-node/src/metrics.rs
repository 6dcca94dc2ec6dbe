//! The node's Prometheus metrics (libp2p's own are registered by the network layer in
//! the same registry).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels of the ingest counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IngestLabels {
    /// Record kind (`unknown` when undecodable).
    pub kind: String,
    /// `accept`, `ignore` or `reject`.
    pub verdict: String,
    /// `gossip`, `sync`, `import` or `local`.
    pub origin: String,
}

/// Labels of the publish counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PublishLabels {
    /// Record kind.
    pub kind: String,
    /// `delivered` (some peer got it live) or `stored_only` (sync will carry it).
    pub outcome: String,
}

/// The node's own metrics.
#[derive(Clone, Default)]
pub struct Metrics {
    /// Records through the ingest path, by kind, verdict and origin.
    pub ingested: Family<IngestLabels, Counter>,
    /// Own records published, by outcome.
    pub published: Family<PublishLabels, Counter>,
    /// Connected peers.
    pub peers: Gauge,
    /// Records received by sync.
    pub sync_records: Counter,
    /// Bytes received by sync (record bytes).
    pub sync_bytes: Counter,
    /// Sync rounds that failed.
    pub sync_failures: Counter,
}

impl Metrics {
    /// Registers every metric under the `ensemble` prefix.
    pub fn register(&self, registry: &mut Registry) {
        let registry = registry.sub_registry_with_prefix("ensemble");
        registry.register(
            "records_ingested",
            "Records through the ingest path, by kind, verdict and origin",
            self.ingested.clone(),
        );
        registry.register(
            "records_published",
            "Own records published, by outcome",
            self.published.clone(),
        );
        registry.register("peers", "Connected peers", self.peers.clone());
        registry.register(
            "sync_records_received",
            "Records received by catch-up sync",
            self.sync_records.clone(),
        );
        registry.register(
            "sync_bytes_received",
            "Record bytes received by catch-up sync",
            self.sync_bytes.clone(),
        );
        registry.register(
            "sync_failures",
            "Sync exchanges that failed",
            self.sync_failures.clone(),
        );
    }
}
