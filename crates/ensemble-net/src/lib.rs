//! ensemble-net: the libp2p layer of an Ensemble node.
//!
//! Owns the libp2p `Swarm` — transports (TCP + Noise + Yamux, QUIC, DNS, relay client),
//! identify, ping, gossipsub, the sync request-response protocol, Kademlia, mDNS,
//! relay/DCUtR/AutoNAT, connection limits and the block list — and nothing else. It does
//! not decide whether a record is valid, store anything or run the sync protocol's logic:
//! it hands gossip messages and sync requests to the node as [`Event`]s and takes the
//! node's verdicts and answers back through a [`NetworkHandle`].
//!
//! Shape: [`spawn`] builds the swarm and starts one task that solely owns it (the *event
//! loop*). Everyone else holds a cloneable [`NetworkHandle`] that sends commands over a
//! bounded channel with one-shot replies. The loop never awaits a send: events go to the
//! node with `try_send` on a bounded channel and what does not fit is dropped and counted
//! (sync repairs it). Invariants:
//! - nothing is forwarded by gossipsub before the node reported a [`Verdict`];
//! - every channel is bounded, every capacity and timeout is a named constant;
//! - a blocked peer has no connection and gets none.

pub mod sync_wire;

mod connections;
mod event_loop;
mod gossip;
mod handle;
mod metrics;
mod swarm;

use std::time::Duration;

use ensemble_core::SchoolId;
use libp2p::{identity, multihash::Multihash, request_response::ResponseChannel};

pub use gossip::{message_id, payload_message_id};
pub use handle::NetworkHandle;
pub use libp2p::{Multiaddr, PeerId};

/// Network options, validated by [`spawn`].
#[derive(Clone)]
pub struct Config {
    /// The school key seed; the node's libp2p identity is the same ed25519 key, so its
    /// peer id names the school.
    pub key_seed: [u8; 32],
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/4001` or `/ip4/0.0.0.0/udp/4001/quic-v1`.
    pub listen: Vec<Multiaddr>,
    /// Peers dialled at start and redialled with exponential backoff while disconnected;
    /// with or without a trailing `/p2p/<peer id>`.
    pub bootstrap: Vec<Multiaddr>,
    /// Discover peers on the local network with mDNS.
    pub mdns: bool,
    /// Hub mode: relay server on, Kademlia in server mode.
    pub hub: bool,
    /// How long a connection with no open stream stays up; at least
    /// [`MIN_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// Gossipsub heartbeat period.
    pub heartbeat_interval: Duration,
    /// Delay before the first gossipsub heartbeat.
    pub heartbeat_initial_delay: Duration,
    /// Most established connections in total.
    pub max_connections: u32,
    /// Most established connections to one peer.
    pub max_connections_per_peer: u32,
}

/// Shortest accepted [`Config::idle_timeout`]: libp2p's own 10 s default closes quiet
/// connections between gossip bursts and loses the peer's subscriptions.
pub const MIN_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Default [`Config::idle_timeout`]: twice the minimum, so a link that carries a gossip
/// heartbeat now and then never idles out, while a dead peer's slot is freed in minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// Default gossipsub heartbeat: mesh maintenance and IHAVE gossip once a second, the
/// libp2p default, cheap at a region's size.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);
/// Default delay of the first heartbeat: short, so that a freshly started node builds
/// its mesh at once instead of after libp2p's default 5 s.
pub const DEFAULT_HEARTBEAT_INITIAL_DELAY: Duration = Duration::from_millis(100);
/// Default cap on established connections: a hub serves a region of a few hundred
/// schools; a school node needs a handful.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 256;
/// Default connections per peer: one plus one for a simultaneous dial, which the
/// duplicate-connection rule then closes.
pub const DEFAULT_MAX_CONNECTIONS_PER_PEER: u32 = 2;

impl Default for Config {
    fn default() -> Config {
        Config {
            key_seed: [0; 32],
            listen: Vec::new(),
            bootstrap: Vec::new(),
            mdns: false,
            hub: false,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            heartbeat_initial_delay: DEFAULT_HEARTBEAT_INITIAL_DELAY,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_peer: DEFAULT_MAX_CONNECTIONS_PER_PEER,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The seed is the school's secret key: never print it.
        f.debug_struct("Config")
            .field("key_seed", &"<secret>")
            .field("listen", &self.listen)
            .field("bootstrap", &self.bootstrap)
            .field("mdns", &self.mdns)
            .field("hub", &self.hub)
            .field("idle_timeout", &self.idle_timeout)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("heartbeat_initial_delay", &self.heartbeat_initial_delay)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_peer", &self.max_connections_per_peer)
            .finish()
    }
}

/// What went wrong in the network layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The event loop has stopped (shut down or crashed); the handle is useless now.
    #[error("the network has stopped")]
    Stopped,
    /// A transport could not be built or an address could not be listened on.
    #[error("transport error: {0}")]
    Transport(String),
    /// A dial failed or was refused (also when the peer is blocked).
    #[error("dial failed: {0}")]
    Dial(String),
    /// A sync request failed: dial failure, timeout, closed connection, refused stream.
    #[error("sync request failed: {0}")]
    Sync(String),
    /// The configuration is invalid.
    #[error("invalid network configuration: {0}")]
    Config(String),
    /// Gossipsub refused a publish for a reason other than "no peers" or "duplicate"
    /// (too large, queues full, signing failed).
    #[error("publish failed: {0}")]
    Publish(String),
    /// Gossipsub refused a subscription.
    #[error("subscription failed: {0}")]
    Subscription(String),
    /// A wait gave up.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
}

/// The result of publishing one payload on several topics. Neither list is an error:
/// a topic without subscribed peers right now is delivered later by sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishOutcome {
    /// Topics the message went out on. A topic whose message id gossipsub had already
    /// seen (the network holds this record already) counts as delivered.
    pub delivered_topics: Vec<String>,
    /// Topics no connected peer is subscribed to yet.
    pub no_peers_topics: Vec<String>,
}

/// The node's judgement of a gossip message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Valid and stored: forward it.
    Accept,
    /// Not forwarded, no penalty (already held, newer format, blocked author, local error).
    Ignore,
    /// Invalid for everyone (bad signature, malformed, oversize, out-of-bounds timestamp):
    /// not forwarded, and the sender is penalised once scoring is on.
    Reject,
}

/// Names one received gossip message for [`NetworkHandle::report_validation`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageRef {
    pub(crate) id: libp2p::gossipsub::MessageId,
    pub(crate) propagation_source: PeerId,
}

impl MessageRef {
    /// The peer that forwarded the message to us (not necessarily its author).
    pub fn propagation_source(&self) -> PeerId {
        self.propagation_source
    }
}

/// A connected peer, as [`NetworkHandle::peers`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer.
    pub peer_id: PeerId,
    /// The school the peer's key names (every Ensemble node's peer id is a school key).
    pub school_id: Option<SchoolId>,
    /// Remote addresses of the open connections.
    pub addresses: Vec<Multiaddr>,
    /// When the oldest open connection was established, unix milliseconds.
    pub connected_since_ms: u64,
    /// Gossipsub topics the peer is subscribed to.
    pub topics: Vec<String>,
    /// Protocols the peer announced over identify (empty until identify completes).
    pub protocols: Vec<String>,
    /// The peer's agent string from identify.
    pub agent: Option<String>,
}

/// The way back to a peer that sent a sync request; pass it to
/// [`NetworkHandle::respond_sync`]. Dropping it makes the request fail on the peer's side.
#[derive(Debug)]
pub struct SyncResponder(pub(crate) ResponseChannel<sync_wire::SyncResponse>);

/// What the network tells the node.
#[derive(Debug)]
pub enum Event {
    /// A gossip message awaiting a verdict. Every one needs
    /// [`NetworkHandle::report_validation`]; unreported messages are dropped unforwarded
    /// after gossipsub's validation window (history length × heartbeat).
    Gossip {
        /// The message, for the verdict.
        message: MessageRef,
        /// The publishing peer as the (signed) message says.
        source: Option<PeerId>,
        /// The topic it came on.
        topic: String,
        /// The payload: wire record bytes, untrusted.
        data: Vec<u8>,
    },
    /// A peer asks for sync; answer with [`NetworkHandle::respond_sync`].
    SyncRequest {
        /// The asking peer.
        peer: PeerId,
        /// The request.
        request: sync_wire::SyncRequest,
        /// Where the answer goes.
        responder: SyncResponder,
    },
    /// The first connection to a peer was established.
    PeerConnected {
        /// The peer.
        peer_id: PeerId,
    },
    /// The last connection to a peer closed.
    PeerDisconnected {
        /// The peer.
        peer_id: PeerId,
    },
    /// A peer subscribed to a topic (publishing there now reaches it).
    PeerSubscribed {
        /// The peer.
        peer_id: PeerId,
        /// The topic.
        topic: String,
    },
}

/// Multihash code of the "identity" hash: small public keys are inlined in the peer id.
const IDENTITY_MULTIHASH_CODE: u64 = 0x00;

/// The school whose key this peer id embeds; `None` for peer ids that are not ed25519
/// identity multihashes (for example hashed RSA keys).
pub fn school_id_of(peer: &PeerId) -> Option<SchoolId> {
    let multihash: &Multihash<64> = peer.as_ref();
    if multihash.code() != IDENTITY_MULTIHASH_CODE {
        return None;
    }
    let public_key = identity::PublicKey::try_decode_protobuf(multihash.digest()).ok()?;
    let ed25519 = public_key.try_into_ed25519().ok()?;
    Some(SchoolId(ed25519.to_bytes()))
}

/// The peer id of a school's node; `None` when the bytes are not an ed25519 point.
pub fn peer_id_of(school: &SchoolId) -> Option<PeerId> {
    let ed25519 = identity::ed25519::PublicKey::try_from_bytes(school.as_bytes()).ok()?;
    Some(identity::PublicKey::from(ed25519).to_peer_id())
}

/// Builds the swarm, starts listening and dialling, and spawns the event loop on the
/// current tokio runtime. Metrics (libp2p's, gossipsub's and `ensemble_net_*`) are
/// registered into `registry`. Returns the handle and the node's event stream.
pub fn spawn(
    config: Config,
    registry: &mut prometheus_client::registry::Registry,
) -> Result<(NetworkHandle, tokio::sync::mpsc::Receiver<Event>), Error> {
    event_loop::spawn(config, registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_and_peer_ids_round_trip() {
        let school = ensemble_core::SchoolKey::from_seed([7; 32]).school_id();
        let peer = peer_id_of(&school).expect("an ed25519 public key");
        assert_eq!(school_id_of(&peer), Some(school));

        // The libp2p identity made from the same seed is the same peer.
        let keypair = identity::Keypair::ed25519_from_bytes([7u8; 32]).expect("32 bytes");
        assert_eq!(keypair.public().to_peer_id(), peer);
    }

    #[test]
    fn non_identity_peer_ids_name_no_school() {
        // A random peer id is a SHA-256 multihash, not an inlined key.
        assert_eq!(school_id_of(&PeerId::random()), None);
    }

    #[test]
    fn config_debug_hides_the_seed() {
        let config = Config {
            key_seed: [0xAB; 32],
            ..Config::default()
        };
        let text = format!("{config:?}");
        assert!(!text.contains("171"), "{text}");
        assert!(text.contains("<secret>"));
    }
}
