//! The network's events, drained by one task: gossip messages batched into the ingest
//! path (verdicts reported back to gossipsub), sync requests handed to the server,
//! connections and subscriptions turned into sync triggers.

use ensemble_core::{TopicFamily, topic};
use ensemble_net::{PeerId, Verdict};
use tokio::sync::mpsc;
use tracing::debug;

use super::Node;
use super::ingest::Origin;
use crate::sync;

/// Gossip messages ingested as one batch (one batch verification, one flush).
const GOSSIP_BATCH: usize = 256;

impl Node {
    pub(super) async fn run_events(self, mut events: mpsc::Receiver<ensemble_net::Event>) {
        loop {
            let event = tokio::select! {
                _ = self.inner.cancel.cancelled() => break,
                event = events.recv() => match event {
                    Some(event) => event,
                    None => break,
                },
            };
            let mut gossip = Vec::new();
            self.handle_event(event, &mut gossip);
            while gossip.len() < GOSSIP_BATCH {
                match events.try_recv() {
                    Ok(event) => self.handle_event(event, &mut gossip),
                    Err(_) => break,
                }
            }
            if !gossip.is_empty() {
                self.ingest_gossip(gossip).await;
            }
        }
        debug!("event task stopped");
    }

    fn handle_event(
        &self,
        event: ensemble_net::Event,
        gossip: &mut Vec<(ensemble_net::MessageRef, PeerId, Vec<u8>)>,
    ) {
        if !matches!(
            event,
            ensemble_net::Event::Gossip { .. } | ensemble_net::Event::SyncRequest { .. }
        ) {
            self.inner
                .network_changes
                .send_modify(|generation| *generation += 1);
        }
        match event {
            ensemble_net::Event::Gossip { message, data, .. } => {
                // The peer that forwarded it (connected), not the original publisher.
                let forwarder = message.propagation_source();
                gossip.push((message, forwarder, data));
            }
            ensemble_net::Event::SyncRequest {
                peer,
                request,
                responder,
            } => sync::serve(self.clone(), peer, request, responder),
            ensemble_net::Event::PeerConnected { peer_id } => {
                self.inner.metrics.peers.inc();
                self.inner.sync.trigger(peer_id);
            }
            ensemble_net::Event::PeerDisconnected { peer_id } => {
                self.inner.metrics.peers.dec();
                self.inner.sync.forget(&peer_id);
            }
            ensemble_net::Event::PeerSubscribed { peer_id, topic } => {
                // Records published between the connection's first sync round and the
                // peer's subscription reached nobody by gossip: catch them up now.
                let catalog = topic::network(&self.inner.options.network, TopicFamily::Catalog);
                if topic == catalog {
                    self.inner.sync.trigger(peer_id);
                }
            }
        }
    }

    async fn ingest_gossip(&self, batch: Vec<(ensemble_net::MessageRef, PeerId, Vec<u8>)>) {
        let (refs, rest): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|(message, source, data)| (message, (source, data)))
            .unzip();
        let (sources, wires): (Vec<_>, Vec<_>) = rest.into_iter().unzip();
        let reports = self.ingest(wires, Origin::Gossip).await;
        for ((message, source), report) in refs.into_iter().zip(sources).zip(reports) {
            if let Some(reason) = &report.reason
                && report.verdict == Verdict::Reject
            {
                debug!(reason = %reason, "gossip record rejected");
            }
            self.inner.net.report_validation(message, report.verdict);
            if report.gap {
                self.inner.sync.trigger(source);
            }
        }
    }
}
