//! The composed libp2p behaviour and the swarm built around it.

use std::time::Duration;

use libp2p::{
    StreamProtocol, Swarm, SwarmBuilder, allow_block_list, autonat, connection_limits, dcutr,
    gossipsub, identify,
    identity::Keypair,
    kad, mdns, noise, ping, relay, request_response,
    swarm::{NetworkBehaviour, behaviour::toggle::Toggle},
    tcp, yamux,
};
use prometheus_client::registry::Registry;

use crate::{
    Config, Error, gossip,
    sync_wire::{self, SyncRequest, SyncResponse},
};

/// Identify protocol version: peers of other networks identify as something else.
pub(crate) const IDENTIFY_PROTOCOL: &str = "/ensemble/id/1.0.0";

/// Our own Kademlia protocol, so the routing table holds Ensemble nodes only and never
/// joins the public IPFS DHT.
pub(crate) const KADEMLIA_PROTOCOL: StreamProtocol = StreamProtocol::new("/ensemble/kad/1.0.0");

/// How long a sync request may take end to end: a page of records up to
/// `MAX_SYNC_RESPONSE_BYTES` over a slow school uplink.
pub(crate) const SYNC_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Concurrent sync streams per connection (inbound + outbound): sync pulls a few pages at
/// a time, and a peer must not make us buffer hundreds of responses.
pub(crate) const SYNC_MAX_CONCURRENT_STREAMS: usize = 16;

/// Everything a node speaks. Field order is poll order: the block list and the limits
/// come first so a refused connection is refused before other behaviours see it.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub limits: connection_limits::Behaviour,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub gossipsub: gossipsub::Behaviour,
    pub sync: request_response::cbor::Behaviour<SyncRequest, SyncResponse>,
    pub kademlia: kad::Behaviour<kad::store::MemoryStore>,
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    pub relay_client: relay::client::Behaviour,
    pub relay_server: Toggle<relay::Behaviour>,
    pub dcutr: dcutr::Behaviour,
    pub autonat: autonat::Behaviour,
}

/// Checks the configuration and builds the swarm (not yet listening or dialling).
pub(crate) fn build(
    config: &Config,
    keypair: Keypair,
    registry: &mut Registry,
) -> Result<Swarm<Behaviour>, Error> {
    validate(config)?;
    let local_peer_id = keypair.public().to_peer_id();

    let gossip_config = gossip::config(
        gossip::MESH,
        config.heartbeat_interval,
        config.heartbeat_initial_delay,
    )?;
    let gossipsub = gossipsub::Behaviour::new(
        gossipsub::MessageAuthenticity::Signed(keypair.clone()),
        gossip_config,
    )
    .map_err(|error| Error::Config(format!("gossipsub: {error}")))?
    .with_metrics(
        registry.sub_registry_with_prefix("gossipsub"),
        gossipsub::MetricsConfig::default(),
    );

    let identify = identify::Behaviour::new(
        identify::Config::new(IDENTIFY_PROTOCOL.to_owned(), keypair.public())
            .with_agent_version(format!("ensemble/{}", env!("CARGO_PKG_VERSION"))),
    );

    let sync = request_response::cbor::Behaviour::with_codec(
        request_response::cbor::codec::Codec::default()
            .set_request_size_maximum(sync_wire::MAX_SYNC_REQUEST_BYTES)
            .set_response_size_maximum(sync_wire::MAX_SYNC_RESPONSE_BYTES),
        [(
            StreamProtocol::new(sync_wire::SYNC_PROTOCOL),
            request_response::ProtocolSupport::Full,
        )],
        request_response::Config::default()
            .with_request_timeout(SYNC_REQUEST_TIMEOUT)
            .with_max_concurrent_streams(SYNC_MAX_CONCURRENT_STREAMS),
    );

    let mut kademlia = kad::Behaviour::with_config(
        local_peer_id,
        kad::store::MemoryStore::new(local_peer_id),
        kad::Config::new(KADEMLIA_PROTOCOL),
    );
    if config.hub {
        // Kademlia stays a client until an external address is confirmed; a hub is
        // reachable by definition.
        kademlia.set_mode(Some(kad::Mode::Server));
    }

    let mdns = if config.mdns {
        let mdns = mdns::tokio::Behaviour::new(mdns::Config::default(), local_peer_id)
            .map_err(|error| Error::Transport(format!("mdns: {error}")))?;
        Some(mdns)
    } else {
        None
    };

    let relay_server = config.hub.then(|| {
        let mut server = relay::Behaviour::new(local_peer_id, relay::Config::default());
        // Hubs relay for schools behind NAT whether or not AutoNAT confirmed an
        // external address yet.
        server.set_status(Some(relay::Status::Enable));
        server
    });

    let limits = connection_limits::ConnectionLimits::default()
        .with_max_established(Some(config.max_connections))
        .with_max_established_per_peer(Some(config.max_connections_per_peer));

    let swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|error| Error::Transport(format!("tcp: {error}")))?
        .with_quic()
        .with_dns()
        .map_err(|error| Error::Transport(format!("dns: {error}")))?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|error| Error::Transport(format!("relay client: {error}")))?
        .with_bandwidth_metrics(registry.sub_registry_with_prefix("libp2p"))
        .with_behaviour(move |_key, relay_client| Behaviour {
            blocked: allow_block_list::Behaviour::default(),
            limits: connection_limits::Behaviour::new(limits),
            identify,
            ping: ping::Behaviour::default(),
            gossipsub,
            sync,
            kademlia,
            mdns: Toggle::from(mdns),
            relay_client,
            relay_server: Toggle::from(relay_server),
            dcutr: dcutr::Behaviour::new(local_peer_id),
            autonat: autonat::Behaviour::new(local_peer_id, autonat::Config::default()),
        })
        .map_err(|error| Error::Config(format!("behaviour: {error}")))?
        .with_swarm_config(|swarm_config| {
            swarm_config.with_idle_connection_timeout(config.idle_timeout)
        })
        .build();
    Ok(swarm)
}

/// The checks [`build`] makes before touching the network.
pub(crate) fn validate(config: &Config) -> Result<(), Error> {
    if config.idle_timeout < crate::MIN_IDLE_TIMEOUT {
        return Err(Error::Config(format!(
            "idle_timeout must be at least {} s, got {:?}",
            crate::MIN_IDLE_TIMEOUT.as_secs(),
            config.idle_timeout
        )));
    }
    if config.max_connections == 0 {
        return Err(Error::Config("max_connections must be positive".into()));
    }
    if config.max_connections_per_peer == 0 {
        return Err(Error::Config(
            "max_connections_per_peer must be positive".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(config: Config, ok: bool) {
        assert_eq!(validate(&config).is_ok(), ok, "{config:?}");
    }

    #[test]
    fn config_limits_are_validated() {
        check(Config::default(), true);
        check(
            Config {
                idle_timeout: Duration::from_secs(59),
                ..Config::default()
            },
            false,
        );
        check(
            Config {
                idle_timeout: Duration::from_secs(60),
                ..Config::default()
            },
            true,
        );
        check(
            Config {
                max_connections: 0,
                ..Config::default()
            },
            false,
        );
        check(
            Config {
                max_connections_per_peer: 0,
                ..Config::default()
            },
            false,
        );
    }
}
