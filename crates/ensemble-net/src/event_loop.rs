//! The event loop: the one task that owns the swarm.
//!
//! It awaits only three things — the swarm, its command receiver and its maintenance
//! timer — and never a send: events go to the node with `try_send`, one-shot replies
//! never block. Shutdown: a `Shutdown` command (or the last handle dropped) ends the
//! loop, the swarm is dropped (listeners and connections close), then the caller of
//! `shutdown` is answered.

use std::{
    collections::{BTreeMap, HashMap},
    time::{Duration, Instant},
};

use futures::StreamExt;
use libp2p::{
    Multiaddr, PeerId, Swarm,
    core::transport::ListenerId,
    gossipsub, identity,
    multiaddr::Protocol,
    request_response,
    swarm::{
        ConnectionId, DialError,
        dial_opts::{DialOpts, PeerCondition},
    },
};
use tokio::{
    sync::{mpsc, oneshot},
    time::MissedTickBehavior,
};
use tracing::Instrument;

use crate::{
    Config, Error, Event, MessageRef, PeerInfo, PublishOutcome, Verdict,
    connections::{BootstrapTarget, Connection, peer_of},
    handle::{Command, NetworkHandle},
    metrics::{Metrics, PublishResult},
    school_id_of,
    swarm::{self, Behaviour},
    sync_wire::SyncResponse,
};

mod swarm_events;

/// Commands queued from handles. Handles wait when it is full (backpressure on the
/// node); the non-blocking `report_validation` and `respond_sync` drop instead. 1024
/// covers a burst of gossip verdicts while the loop is busy with a large sync page.
pub(crate) const COMMAND_CHANNEL_CAPACITY: usize = 1024;

/// Events queued for the node. When full, events are dropped and counted, never
/// awaited: a gossip message dropped here is reported `Ignore` at once and comes back by
/// sync. 1024 is several seconds of gossip at the rates a federation of schools makes.
pub(crate) const EVENT_CHANNEL_CAPACITY: usize = 1024;

/// Period of the maintenance timer that redials bootstrap peers: the backoff's 1 s floor
/// is met within half a second.
const MAINTENANCE_INTERVAL: Duration = Duration::from_millis(500);

/// Reason given to a peer whose sync request arrived while the node's queue was full.
const BUSY_REASON: &str = "node busy, retry later";

/// Builds everything and spawns the loop; see [`crate::spawn`].
pub(crate) fn spawn(
    config: Config,
    registry: &mut prometheus_client::registry::Registry,
) -> Result<(NetworkHandle, mpsc::Receiver<Event>), Error> {
    // Refuse a bad configuration before registering any metric.
    swarm::validate(&config)?;
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| Error::Config("ensemble_net::spawn needs a running tokio runtime".into()))?;
    // The builder zeroizes the buffer it is given: hand it a copy.
    let keypair = identity::Keypair::ed25519_from_bytes(config.key_seed)
        .map_err(|error| Error::Config(format!("key seed: {error}")))?;
    let local_peer_id = keypair.public().to_peer_id();

    let metrics = Metrics::register(registry);
    let libp2p_metrics = libp2p::metrics::Metrics::new(registry);
    let mut swarm = swarm::build(&config, keypair, registry)?;

    let mut listeners = HashMap::new();
    for addr in &config.listen {
        let listener = swarm
            .listen_on(addr.clone())
            .map_err(|error| Error::Transport(format!("listen on {addr}: {error}")))?;
        listeners.insert(listener, Vec::new());
    }

    let now = Instant::now();
    let bootstrap: Vec<BootstrapTarget> = config
        .bootstrap
        .iter()
        .map(|addr| BootstrapTarget::new(addr.clone(), now))
        .collect();
    let mut routable = false;
    for target in &bootstrap {
        if let Some(peer) = target.peer {
            swarm
                .behaviour_mut()
                .kademlia
                .add_address(&peer, without_p2p(&target.addr));
            routable = true;
        }
    }
    if routable {
        // Fails only without known peers, which `routable` rules out; the query itself
        // proceeds as connections come up.
        if let Err(error) = swarm.behaviour_mut().kademlia.bootstrap() {
            tracing::debug!(%error, "kademlia bootstrap not started");
        }
    }

    let (command_sender, commands) = mpsc::channel(COMMAND_CHANNEL_CAPACITY);
    let (events, event_receiver) = mpsc::channel(EVENT_CHANNEL_CAPACITY);
    let event_loop = EventLoop {
        swarm,
        commands,
        events,
        metrics: metrics.clone(),
        libp2p_metrics,
        listeners,
        listen_waiters: Vec::new(),
        peers: HashMap::new(),
        pending_dials: HashMap::new(),
        pending_syncs: HashMap::new(),
        bootstrap,
        dropped_in_a_row: 0,
    };
    let node = school_id_of(&local_peer_id)
        .map(|school| school.short())
        .unwrap_or_else(|| local_peer_id.to_string());
    runtime.spawn(
        event_loop
            .run()
            .instrument(tracing::info_span!("net", node = %node)),
    );
    Ok((
        NetworkHandle::new(command_sender, local_peer_id, metrics),
        event_receiver,
    ))
}

/// What the loop knows about a connected peer.
#[derive(Debug, Default)]
struct PeerState {
    connections: Vec<Connection>,
    protocols: Vec<String>,
    agent: Option<String>,
}

struct EventLoop {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    metrics: Metrics,
    libp2p_metrics: libp2p::metrics::Metrics,
    /// Configured listeners and their concrete addresses so far.
    listeners: HashMap<ListenerId, Vec<Multiaddr>>,
    /// `wait_listening` callers until every listener has an address.
    listen_waiters: Vec<oneshot::Sender<Vec<Multiaddr>>>,
    /// Connected peers only.
    peers: HashMap<PeerId, PeerState>,
    /// `dial` callers by the connection their dial opened.
    pending_dials: HashMap<ConnectionId, oneshot::Sender<Result<(), Error>>>,
    /// `sync_request` callers; each ends by response, failure or the protocol timeout.
    pending_syncs:
        HashMap<request_response::OutboundRequestId, oneshot::Sender<Result<SyncResponse, Error>>>,
    bootstrap: Vec<BootstrapTarget>,
    /// Events dropped since the queue last accepted one, to log an overflow once rather
    /// than per event.
    dropped_in_a_row: u64,
}

impl EventLoop {
    async fn run(mut self) {
        let mut maintenance = tokio::time::interval(MAINTENANCE_INTERVAL);
        maintenance.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tracing::info!(peer = %self.swarm.local_peer_id(), "network started");
        let shutdown_reply = loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown { reply }) => break Some(reply),
                    Some(command) => self.on_command(command),
                    None => break None,
                },
                _ = maintenance.tick() => self.redial_bootstrap(),
            }
        };
        tracing::info!("network stopping");
        // Dropping the swarm closes its listeners and connections.
        drop(self);
        if let Some(reply) = shutdown_reply {
            // The caller may have given up waiting; nothing to do then.
            let _ = reply.send(());
        }
    }

    // ---- commands ----

    fn on_command(&mut self, command: Command) {
        match command {
            Command::ListenAddrs { reply } => {
                let _ = reply.send(self.listen_addrs());
            }
            Command::WaitListening { reply } => {
                self.listen_waiters.retain(|waiter| !waiter.is_closed());
                self.listen_waiters.push(reply);
                self.answer_listen_waiters();
            }
            Command::Subscribe { topic, reply } => {
                let result = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .subscribe(&gossipsub::IdentTopic::new(topic.as_str()))
                    .map_err(|error| Error::Subscription(format!("{topic}: {error:?}")));
                let _ = reply.send(result);
            }
            Command::Unsubscribe { topic, reply } => {
                let removed = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .unsubscribe(&gossipsub::IdentTopic::new(topic));
                let _ = reply.send(removed);
            }
            Command::Publish {
                topics,
                data,
                reply,
            } => {
                let _ = reply.send(self.publish(topics, data));
            }
            Command::ReportValidation { message, verdict } => {
                self.report_validation(&message, verdict);
            }
            Command::Dial { addr, reply } => self.dial(addr, reply),
            Command::Peers { reply } => {
                let _ = reply.send(self.peer_infos());
            }
            Command::MeshSizes { reply } => {
                let gossipsub = &self.swarm.behaviour().gossipsub;
                let sizes = gossipsub
                    .topics()
                    .map(|topic| (topic.to_string(), gossipsub.mesh_peers(topic).count()))
                    .collect::<BTreeMap<_, _>>();
                let _ = reply.send(sizes);
            }
            Command::Disconnect { peer, reply } => {
                // `Err` only means "not connected", which is the goal.
                let _ = self.swarm.disconnect_peer_id(peer);
                tracing::info!(peer = %peer, "disconnecting peer");
                let _ = reply.send(());
            }
            Command::Block { peer, reply } => {
                // The block list closes existing connections when polled; disconnecting
                // here as well makes it immediate.
                self.swarm.behaviour_mut().blocked.block_peer(peer);
                let _ = self.swarm.disconnect_peer_id(peer);
                tracing::info!(peer = %peer, "peer blocked");
                let _ = reply.send(());
            }
            Command::Unblock { peer, reply } => {
                self.swarm.behaviour_mut().blocked.unblock_peer(peer);
                tracing::info!(peer = %peer, "peer unblocked");
                let _ = reply.send(());
            }
            Command::SyncRequest {
                peer,
                request,
                reply,
            } => {
                let request_id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.pending_syncs.insert(request_id, reply);
            }
            Command::RespondSync {
                responder,
                response,
            } => {
                if self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(responder.0, response)
                    .is_err()
                {
                    tracing::debug!("sync response not sent: the request is gone");
                }
            }
            // Handled by `run`, which must leave the loop.
            Command::Shutdown { reply } => {
                let _ = reply.send(());
            }
        }
    }

    fn listen_addrs(&self) -> Vec<Multiaddr> {
        let local = *self.swarm.local_peer_id();
        self.swarm
            .listeners()
            .map(|addr| addr.clone().with(Protocol::P2p(local)))
            .collect()
    }

    /// Answers `wait_listening` callers once every remaining listener has an address.
    fn answer_listen_waiters(&mut self) {
        if self.listen_waiters.is_empty() || self.listeners.values().any(Vec::is_empty) {
            return;
        }
        let addrs = self.listen_addrs();
        for waiter in self.listen_waiters.drain(..) {
            let _ = waiter.send(addrs.clone());
        }
    }

    fn publish(&mut self, topics: Vec<String>, data: Vec<u8>) -> Result<PublishOutcome, Error> {
        let mut outcome = PublishOutcome::default();
        for topic in topics {
            let result = self
                .swarm
                .behaviour_mut()
                .gossipsub
                .publish(gossipsub::IdentTopic::new(topic.as_str()), data.clone());
            match result {
                Ok(_) => {
                    self.metrics.published(PublishResult::Delivered);
                    outcome.delivered_topics.push(topic);
                }
                // Seen before: the network has this record on this topic already.
                Err(gossipsub::PublishError::Duplicate) => {
                    self.metrics.published(PublishResult::Duplicate);
                    outcome.delivered_topics.push(topic);
                }
                Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {
                    self.metrics.published(PublishResult::NoPeers);
                    outcome.no_peers_topics.push(topic);
                }
                Err(error) => {
                    self.metrics.published(PublishResult::Error);
                    tracing::warn!(topic = %topic, %error, "publish failed");
                    return Err(Error::Publish(format!("{topic}: {error}")));
                }
            }
        }
        Ok(outcome)
    }

    fn report_validation(&mut self, message: &MessageRef, verdict: Verdict) {
        let acceptance = match verdict {
            Verdict::Accept => gossipsub::MessageAcceptance::Accept,
            Verdict::Ignore => gossipsub::MessageAcceptance::Ignore,
            Verdict::Reject => gossipsub::MessageAcceptance::Reject,
        };
        let known = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&message.id, &message.propagation_source, acceptance);
        if !known {
            tracing::debug!(
                message_id = %message.id,
                ?verdict,
                "verdict for a message gossipsub no longer holds (validation window passed)"
            );
        }
    }

    fn dial(&mut self, addr: Multiaddr, reply: oneshot::Sender<Result<(), Error>>) {
        let opts = match peer_of(&addr) {
            Some(peer) if self.swarm.is_connected(&peer) => {
                let _ = reply.send(Ok(()));
                return;
            }
            // Dial even while another dial (say a bootstrap redial) is in flight, so the
            // caller learns the fate of its own; a duplicate connection is closed anyway.
            Some(peer) => DialOpts::peer_id(peer)
                .addresses(vec![addr])
                .condition(PeerCondition::Disconnected)
                .build(),
            None => DialOpts::unknown_peer_id().address(addr).build(),
        };
        let connection_id = opts.connection_id();
        match self.swarm.dial(opts) {
            Ok(()) => {
                self.pending_dials.insert(connection_id, reply);
            }
            // Connected meanwhile.
            Err(DialError::DialPeerConditionFalse(_)) => {
                let _ = reply.send(Ok(()));
            }
            Err(error) => {
                let _ = reply.send(Err(Error::Dial(error.to_string())));
            }
        }
    }

    fn peer_infos(&self) -> Vec<PeerInfo> {
        let mut topics: HashMap<&PeerId, Vec<String>> = HashMap::new();
        for (peer, peer_topics) in self.swarm.behaviour().gossipsub.all_peers() {
            topics.insert(peer, peer_topics.iter().map(|t| t.to_string()).collect());
        }
        let mut infos: Vec<PeerInfo> = self
            .peers
            .iter()
            .map(|(peer_id, state)| PeerInfo {
                peer_id: *peer_id,
                school_id: school_id_of(peer_id),
                addresses: state
                    .connections
                    .iter()
                    .map(|c| c.remote_addr.clone())
                    .collect(),
                connected_since_ms: state
                    .connections
                    .iter()
                    .map(|c| c.established_ms)
                    .min()
                    .unwrap_or_default(),
                topics: topics.remove(peer_id).unwrap_or_default(),
                protocols: state.protocols.clone(),
                agent: state.agent.clone(),
            })
            .collect();
        infos.sort_by_key(|info| info.peer_id);
        infos
    }

    // ---- maintenance ----

    /// Dials the bootstrap peers that are disconnected and due.
    fn redial_bootstrap(&mut self) {
        let now = Instant::now();
        for index in 0..self.bootstrap.len() {
            let target = &self.bootstrap[index];
            let connected = target
                .peer
                .is_some_and(|peer| self.swarm.is_connected(&peer));
            let blocked = target.peer.is_some_and(|peer| {
                self.swarm
                    .behaviour()
                    .blocked
                    .blocked_peers()
                    .contains(&peer)
            });
            if blocked || !target.due(connected, now) {
                continue;
            }
            let opts = match target.peer {
                Some(peer) => DialOpts::peer_id(peer)
                    .addresses(vec![target.addr.clone()])
                    .build(),
                None => DialOpts::unknown_peer_id()
                    .address(target.addr.clone())
                    .build(),
            };
            let connection_id = opts.connection_id();
            let addr = target.addr.clone();
            let result = self.swarm.dial(opts);
            let target = &mut self.bootstrap[index];
            match result {
                Ok(()) => {
                    tracing::debug!(address = %addr, "dialling bootstrap peer");
                    target.dialled(Some(connection_id), now);
                }
                // Another dial to this peer (Kademlia's, the node's) is under way; its
                // outcome shows in `connected` on a later tick.
                Err(DialError::DialPeerConditionFalse(_)) => {}
                Err(error) => {
                    tracing::debug!(address = %addr, %error, "bootstrap dial not started");
                    target.dialled(None, now);
                }
            }
        }
    }
}

/// The address without its `/p2p/` components (Kademlia stores peer and address apart).
fn without_p2p(addr: &Multiaddr) -> Multiaddr {
    addr.iter()
        .filter(|protocol| !matches!(protocol, Protocol::P2p(_)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p2p_suffixes_are_parsed_and_stripped() {
        let peer = PeerId::random();
        let addr: Multiaddr = format!("/ip4/127.0.0.1/tcp/4001/p2p/{peer}")
            .parse()
            .expect("valid multiaddr");
        assert_eq!(peer_of(&addr), Some(peer));
        assert_eq!(
            without_p2p(&addr),
            "/ip4/127.0.0.1/tcp/4001"
                .parse::<Multiaddr>()
                .expect("valid multiaddr")
        );
        assert_eq!(peer_of(&without_p2p(&addr)), None);
    }
}
