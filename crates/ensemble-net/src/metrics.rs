//! The `ensemble_net_*` counters. libp2p's and gossipsub's own metrics are registered
//! by the swarm module.

use prometheus_client::{
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

/// A one-label set with a fixed key and a value from a closed list.
type Label = [(&'static str, &'static str); 1];

/// Counters the event loop and the handles update. Clones share the counts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Metrics {
    connections_established: Counter,
    connections_closed: Counter,
    /// By `result`: delivered, no_peers, duplicate, error.
    publish: Family<Label, Counter>,
    /// By `kind`: gossip, sync_request, peer_connected, peer_disconnected, peer_subscribed.
    events_dropped: Family<Label, Counter>,
    /// By `kind`: report_validation, respond_sync.
    commands_dropped: Family<Label, Counter>,
}

/// How a publish on one topic ended, for the `result` label.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PublishResult {
    Delivered,
    NoPeers,
    Duplicate,
    Error,
}

impl Metrics {
    /// Registers the counters under the `ensemble_net` prefix.
    pub(crate) fn register(registry: &mut Registry) -> Metrics {
        let metrics = Metrics::default();
        let registry = registry.sub_registry_with_prefix("ensemble_net");
        registry.register(
            "connections_established",
            "Connections established",
            metrics.connections_established.clone(),
        );
        registry.register(
            "connections_closed",
            "Connections closed",
            metrics.connections_closed.clone(),
        );
        registry.register(
            "publish",
            "Gossip publishes per topic, by result",
            metrics.publish.clone(),
        );
        registry.register(
            "events_dropped",
            "Events for the node dropped because its queue was full",
            metrics.events_dropped.clone(),
        );
        registry.register(
            "commands_dropped",
            "Non-blocking commands dropped because the network's queue was full",
            metrics.commands_dropped.clone(),
        );
        metrics
    }

    pub(crate) fn connection_established(&self) {
        self.connections_established.inc();
    }

    pub(crate) fn connection_closed(&self) {
        self.connections_closed.inc();
    }

    pub(crate) fn published(&self, result: PublishResult) {
        let result = match result {
            PublishResult::Delivered => "delivered",
            PublishResult::NoPeers => "no_peers",
            PublishResult::Duplicate => "duplicate",
            PublishResult::Error => "error",
        };
        self.publish.get_or_create(&[("result", result)]).inc();
    }

    pub(crate) fn event_dropped(&self, kind: &'static str) {
        self.events_dropped.get_or_create(&[("kind", kind)]).inc();
    }

    pub(crate) fn command_dropped(&self, kind: &'static str) {
        self.commands_dropped.get_or_create(&[("kind", kind)]).inc();
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;

    #[test]
    fn counters_are_exported_with_the_prefix() {
        let mut registry = Registry::default();
        let metrics = Metrics::register(&mut registry);
        metrics.event_dropped("gossip");
        metrics.published(PublishResult::NoPeers);
        metrics.connection_established();
        let mut text = String::new();
        encode(&mut text, &registry).expect("encoding to a String cannot fail");
        assert!(
            text.contains("ensemble_net_events_dropped_total{kind=\"gossip\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("ensemble_net_publish_total{result=\"no_peers\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("ensemble_net_connections_established_total 1"),
            "{text}"
        );
    }
}
