//! The node's Prometheus metrics (libp2p's own are registered by the network layer in
//! the same registry). `docs/grafana-dashboard.json` and `docs/prometheus-alerts.yml`
//! chart and alert on them; a test checks that every name they use is exported.

use std::path::Path;

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
    /// Records some peer advertised that this node still lacked after the latest
    /// round with it: the largest such count over peers. Growing means falling behind.
    pub sync_records_behind: Gauge,
    /// When a sync round last ended without error (unix seconds; 0 before the first).
    pub sync_last_success: Gauge,
    /// Free bytes (for an unprivileged user) on the filesystem of the data directory.
    pub disk_free_bytes: Gauge,
    /// Size in bytes of the filesystem of the data directory.
    pub disk_size_bytes: Gauge,
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
        registry.register(
            "sync_records_behind",
            "Records a peer advertised that this node still lacked after the latest round with it (largest over peers)",
            self.sync_records_behind.clone(),
        );
        registry.register(
            "sync_last_success_timestamp_seconds",
            "Unix time at which a sync round last ended without error (0: none yet)",
            self.sync_last_success.clone(),
        );
        registry.register(
            "disk_free_bytes",
            "Bytes available to the node on the filesystem of its data directory",
            self.disk_free_bytes.clone(),
        );
        registry.register(
            "disk_size_bytes",
            "Size of the filesystem of the data directory",
            self.disk_size_bytes.clone(),
        );
    }

    /// Reads the data directory's filesystem sizes (at scrape time, so they are fresh
    /// without a task of their own). A failure leaves the last values.
    pub fn refresh_disk(&self, data_dir: &Path) {
        if let Ok(stats) = rustix::fs::statvfs(data_dir) {
            let block = stats.f_frsize;
            self.disk_free_bytes
                .set(saturating_i64(stats.f_bavail.saturating_mul(block)));
            self.disk_size_bytes
                .set(saturating_i64(stats.f_blocks.saturating_mul(block)));
        }
    }
}

/// A count as a gauge value (gauges are i64; no disk or record count comes near).
pub(crate) fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
