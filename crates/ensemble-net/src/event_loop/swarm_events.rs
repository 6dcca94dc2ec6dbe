//! The swarm's events, handled on the event loop: connections, gossip messages handed to
//! the node (nothing forwarded before its verdict), sync requests and responses,
//! identify and mDNS. Commands are handled in the parent module.

use std::time::Instant;

use libp2p::{
    Multiaddr, PeerId, gossipsub, identify, mdns,
    metrics::Recorder,
    request_response,
    swarm::{ConnectionId, SwarmEvent},
};
use tokio::sync::mpsc;

use crate::{
    Error, Event, MessageRef, SyncResponder, Verdict,
    connections::{self, Connection},
    swarm::{self, BehaviourEvent},
    sync_wire::SyncResponse,
};

use super::*;

impl EventLoop {
    pub(super) fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        self.libp2p_metrics.record(&event);
        match event {
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => self.on_connection_established(
                peer_id,
                connection_id,
                endpoint.get_remote_address().clone(),
                endpoint.is_dialer(),
            ),
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                cause,
                ..
            } => {
                self.metrics.connection_closed();
                tracing::debug!(peer = %peer_id, cause = ?cause, "connection closed");
                if let Some(state) = self.peers.get_mut(&peer_id) {
                    state.connections.retain(|c| c.id != connection_id);
                }
                if num_established == 0 {
                    self.peers.remove(&peer_id);
                    tracing::info!(peer = %peer_id, "peer disconnected");
                    self.emit(Event::PeerDisconnected { peer_id });
                }
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                peer_id,
                error,
            } => {
                tracing::debug!(peer = ?peer_id, %error, "dial failed");
                if let Some(reply) = self.pending_dials.remove(&connection_id) {
                    let _ = reply.send(Err(Error::Dial(error.to_string())));
                }
                for target in &mut self.bootstrap {
                    if target.dialing == Some(connection_id) {
                        target.dial_failed();
                    }
                }
            }
            SwarmEvent::IncomingConnectionError {
                peer_id,
                send_back_addr,
                error,
                ..
            } => {
                tracing::debug!(peer = ?peer_id, address = %send_back_addr, %error, "incoming connection failed");
            }
            SwarmEvent::NewListenAddr {
                listener_id,
                address,
            } => {
                tracing::info!(address = %address, "listening");
                if let Some(addrs) = self.listeners.get_mut(&listener_id) {
                    addrs.push(address);
                }
                self.answer_listen_waiters();
            }
            SwarmEvent::ExpiredListenAddr {
                listener_id,
                address,
            } => {
                if let Some(addrs) = self.listeners.get_mut(&listener_id) {
                    addrs.retain(|a| *a != address);
                }
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                reason,
                ..
            } => {
                match reason {
                    Ok(()) => tracing::info!(listener = ?listener_id, "listener closed"),
                    Err(error) => {
                        tracing::warn!(listener = ?listener_id, %error, "listener failed")
                    }
                }
                self.listeners.remove(&listener_id);
                self.answer_listen_waiters();
            }
            SwarmEvent::ListenerError { listener_id, error } => {
                tracing::warn!(listener = ?listener_id, %error, "listener error");
            }
            SwarmEvent::ExternalAddrConfirmed { address } => {
                tracing::info!(address = %address, "external address confirmed");
            }
            _ => {}
        }
    }

    pub(super) fn on_connection_established(
        &mut self,
        peer_id: PeerId,
        connection_id: ConnectionId,
        remote_addr: Multiaddr,
        outbound: bool,
    ) {
        self.metrics.connection_established();
        let now = Instant::now();
        tracing::debug!(peer = %peer_id, address = %remote_addr, outbound, "connection established");

        if let Some(reply) = self.pending_dials.remove(&connection_id) {
            let _ = reply.send(Ok(()));
        }
        for target in &mut self.bootstrap {
            if target.dialing == Some(connection_id) || target.peer == Some(peer_id) {
                if target.peer.is_none() {
                    // Learnt the peer id of an address-only bootstrap entry.
                    self.swarm
                        .behaviour_mut()
                        .kademlia
                        .add_address(&peer_id, without_p2p(&target.addr));
                }
                target.connected(peer_id, now);
            }
        }

        let local = *self.swarm.local_peer_id();
        let state = self.peers.entry(peer_id).or_default();
        let first = state.connections.is_empty();
        state.connections.push(Connection {
            id: connection_id,
            established: now,
            established_ms: ensemble_core::now_ms(),
            remote_addr,
            outbound,
        });
        let to_close = connections::connections_to_close(&state.connections, &local, &peer_id);
        for connection in to_close {
            // The survivor carries everything from now on; a peer that restarted with
            // the same key would otherwise keep a dead connection that never gets its
            // subscriptions (rust-libp2p#5097).
            tracing::debug!(peer = %peer_id, connection = ?connection, "closing duplicate connection");
            self.swarm.close_connection(connection);
        }
        if first {
            tracing::info!(peer = %peer_id, "peer connected");
            self.emit(Event::PeerConnected { peer_id });
        }
    }

    pub(super) fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Gossipsub(event) => {
                self.libp2p_metrics.record(&event);
                self.on_gossipsub_event(event);
            }
            BehaviourEvent::Sync(event) => self.on_sync_event(event),
            BehaviourEvent::Identify(event) => {
                self.libp2p_metrics.record(&event);
                self.on_identify_event(event);
            }
            BehaviourEvent::Kademlia(event) => {
                self.libp2p_metrics.record(&event);
                tracing::trace!(?event, "kademlia");
            }
            BehaviourEvent::Mdns(event) => self.on_mdns_event(event),
            BehaviourEvent::Ping(event) => {
                self.libp2p_metrics.record(&event);
            }
            BehaviourEvent::RelayServer(event) => {
                self.libp2p_metrics.record(&event);
                tracing::debug!(?event, "relay server");
            }
            BehaviourEvent::RelayClient(event) => {
                tracing::debug!(?event, "relay client");
            }
            BehaviourEvent::Dcutr(event) => {
                self.libp2p_metrics.record(&event);
                tracing::debug!(?event, "dcutr");
            }
            BehaviourEvent::Autonat(event) => {
                tracing::debug!(?event, "autonat");
            }
            BehaviourEvent::Blocked(never) | BehaviourEvent::Limits(never) => match never {},
        }
    }

    pub(super) fn on_gossipsub_event(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let message_ref = MessageRef {
                    id: message_id,
                    propagation_source,
                };
                let event = Event::Gossip {
                    message: message_ref.clone(),
                    source: message.source,
                    topic: message.topic.into_string(),
                    data: message.data,
                };
                if self.emit(event).is_some() {
                    // Nobody will judge it: release gossipsub now rather than at the end
                    // of the validation window. Sync brings the record back.
                    self.report_validation(&message_ref, Verdict::Ignore);
                }
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                tracing::debug!(peer = %peer_id, topic = %topic, "peer subscribed");
                self.emit(Event::PeerSubscribed {
                    peer_id,
                    topic: topic.into_string(),
                });
            }
            gossipsub::Event::Unsubscribed { peer_id, topic } => {
                tracing::debug!(peer = %peer_id, topic = %topic, "peer unsubscribed");
            }
            gossipsub::Event::GossipsubNotSupported { peer_id } => {
                tracing::debug!(peer = %peer_id, "peer does not speak gossipsub");
            }
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => {
                tracing::warn!(peer = %peer_id, ?failed_messages, "slow gossip peer");
            }
        }
    }

    pub(super) fn on_sync_event(
        &mut self,
        event: request_response::Event<crate::sync_wire::SyncRequest, SyncResponse>,
    ) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let event = Event::SyncRequest {
                        peer,
                        request,
                        responder: SyncResponder(channel),
                    };
                    if let Some(Event::SyncRequest { responder, .. }) = self.emit(event) {
                        let busy = SyncResponse::Refused {
                            reason: BUSY_REASON.into(),
                        };
                        let _ = self
                            .swarm
                            .behaviour_mut()
                            .sync
                            .send_response(responder.0, busy);
                    }
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.pending_syncs.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                tracing::debug!(peer = %peer, %error, "sync request failed");
                if let Some(reply) = self.pending_syncs.remove(&request_id) {
                    let _ = reply.send(Err(Error::Sync(error.to_string())));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(peer = %peer, %error, "inbound sync request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    pub(super) fn on_identify_event(&mut self, event: identify::Event) {
        let identify::Event::Received { peer_id, info, .. } = event else {
            return;
        };
        tracing::debug!(peer = %peer_id, agent = %info.agent_version, "identified");
        if info.protocols.contains(&swarm::KADEMLIA_PROTOCOL) {
            // Only peers that serve Kademlia belong in the routing table.
            let kademlia = &mut self.swarm.behaviour_mut().kademlia;
            for addr in &info.listen_addrs {
                kademlia.add_address(&peer_id, without_p2p(addr));
            }
        }
        if let Some(state) = self.peers.get_mut(&peer_id) {
            state.protocols = info.protocols.iter().map(|p| p.to_string()).collect();
            state.agent = Some(info.agent_version);
        }
    }

    pub(super) fn on_mdns_event(&mut self, event: mdns::Event) {
        let mdns::Event::Discovered(found) = event else {
            return;
        };
        for (peer, addr) in found {
            tracing::debug!(peer = %peer, address = %addr, "found on the local network");
            self.swarm.add_peer_address(peer, addr);
            if !self.swarm.is_connected(&peer) {
                // A blocked peer is refused by the block list; a dial in flight makes
                // the condition false. Neither needs logging above debug.
                if let Err(error) = self.swarm.dial(peer) {
                    tracing::debug!(peer = %peer, %error, "mdns dial not started");
                }
            }
        }
    }

    /// Hands an event to the node without waiting. Returns the event when it could not
    /// be delivered (queue full or node gone), after counting it.
    pub(super) fn emit(&mut self, event: Event) -> Option<Event> {
        let event = match self.events.try_send(event) {
            Ok(()) => {
                if self.dropped_in_a_row > 0 {
                    tracing::warn!(
                        dropped = self.dropped_in_a_row,
                        "node event queue accepts events again"
                    );
                    self.dropped_in_a_row = 0;
                }
                return None;
            }
            Err(mpsc::error::TrySendError::Full(event)) => event,
            Err(mpsc::error::TrySendError::Closed(event)) => event,
        };
        let kind = match &event {
            Event::Gossip { .. } => "gossip",
            Event::SyncRequest { .. } => "sync_request",
            Event::PeerConnected { .. } => "peer_connected",
            Event::PeerDisconnected { .. } => "peer_disconnected",
            Event::PeerSubscribed { .. } => "peer_subscribed",
        };
        if self.dropped_in_a_row == 0 {
            tracing::warn!(kind, "node event queue full or closed, dropping events");
        }
        self.dropped_in_a_row += 1;
        self.metrics.event_dropped(kind);
        Some(event)
    }
}
