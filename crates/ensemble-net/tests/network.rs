//! End-to-end tests of the network layer: real TCP + Noise + Yamux on 127.0.0.1, port 0.
//! Every wait is on an event or a condition with a timeout, never a bare sleep.

use std::{future::Future, time::Duration};

use ensemble_net::{
    Config, Error, Event, Multiaddr, NetworkHandle, PeerId, Verdict, spawn,
    sync_wire::{Head, SyncRequest, SyncResponse},
};
use prometheus_client::registry::Registry;
use serde_bytes::ByteArray;
use tokio::sync::mpsc;

/// Longest wait for something that should happen; failures show up as a panic naming
/// what was awaited.
const WAIT: Duration = Duration::from_secs(5);

/// How often condition waits re-check (mesh sizes, peer lists).
const POLL: Duration = Duration::from_millis(25);

const TOPIC: &str = "ensemble/1/test-net/catalog";

struct Node {
    handle: NetworkHandle,
    events: mpsc::Receiver<Event>,
    addr: Multiaddr,
    registry: Registry,
}

fn test_config(seed: u8) -> Config {
    Config {
        key_seed: [seed; 32],
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("valid multiaddr")],
        // Fast meshes for tests; production uses the 1 s default.
        heartbeat_interval: Duration::from_millis(200),
        heartbeat_initial_delay: Duration::from_millis(50),
        ..Config::default()
    }
}

async fn start(seed: u8) -> Node {
    start_with(test_config(seed)).await
}

async fn start_with(config: Config) -> Node {
    let mut registry = Registry::default();
    let (handle, events) = spawn(config, &mut registry).expect("network starts");
    let addrs = handle
        .wait_listening(WAIT)
        .await
        .expect("listening on 127.0.0.1");
    let addr = addrs.first().cloned().expect("one listen address");
    Node {
        handle,
        events,
        addr,
        registry,
    }
}

impl Node {
    fn peer_id(&self) -> PeerId {
        self.handle.local_peer_id()
    }

    /// The sum of a metric's samples over all label sets.
    fn metric(&self, name: &str) -> u64 {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("encoding to a String cannot fail");
        text.lines()
            .filter(|line| {
                line.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with([' ', '{']))
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }

    /// Receives events until `matching` picks one; others are discarded.
    async fn wait_for<T>(&mut self, what: &str, mut matching: impl FnMut(Event) -> Option<T>) -> T {
        let events = &mut self.events;
        let found = async {
            loop {
                let event = events.recv().await.expect("network running");
                if let Some(found) = matching(event) {
                    return found;
                }
            }
        };
        tokio::time::timeout(WAIT, found)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    }

    async fn wait_connected(&mut self, peer: PeerId) {
        self.wait_for("peer connected", |event| match event {
            Event::PeerConnected { peer_id } if peer_id == peer => Some(()),
            _ => None,
        })
        .await
    }

    async fn wait_disconnected(&mut self, peer: PeerId) {
        self.wait_for("peer disconnected", |event| match event {
            Event::PeerDisconnected { peer_id } if peer_id == peer => Some(()),
            _ => None,
        })
        .await
    }

    async fn wait_subscribed(&mut self, peer: PeerId, topic: &str) {
        self.wait_for("peer subscribed", |event| match event {
            Event::PeerSubscribed { peer_id, topic: t } if peer_id == peer && t == topic => {
                Some(())
            }
            _ => None,
        })
        .await
    }
}

/// Re-checks `condition` until it holds.
async fn wait_until<F: Future<Output = bool>>(what: &str, mut condition: impl FnMut() -> F) {
    let check = async {
        let mut interval = tokio::time::interval(POLL);
        loop {
            interval.tick().await;
            if condition().await {
                return;
            }
        }
    };
    tokio::time::timeout(WAIT, check)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting until {what}"))
}

async fn mesh_size(handle: &NetworkHandle, topic: &str) -> usize {
    let sizes = handle.mesh_sizes().await.expect("network running");
    sizes.get(topic).copied().unwrap_or_default()
}

#[tokio::test]
async fn listen_addresses_are_concrete_and_name_the_peer() {
    let a = start(1).await;
    let addrs = a.handle.listen_addrs().await.expect("network running");
    assert_eq!(addrs, vec![a.addr.clone()]);
    let text = a.addr.to_string();
    assert!(text.starts_with("/ip4/127.0.0.1/tcp/"), "{text}");
    assert!(!text.contains("/tcp/0/"), "port 0 is resolved: {text}");
    assert!(text.ends_with(&format!("/p2p/{}", a.peer_id())), "{text}");
    a.handle.shutdown().await;
    assert_eq!(a.handle.peers().await, Err(Error::Stopped));
}

#[tokio::test]
async fn invalid_configuration_is_refused() {
    let mut registry = Registry::default();
    let config = Config {
        idle_timeout: Duration::from_secs(10),
        ..test_config(1)
    };
    assert!(matches!(
        spawn(config, &mut registry),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn gossip_reaches_a_subscribed_peer() {
    let mut a = start(1).await;
    let mut b = start(2).await;
    b.handle.dial(a.addr.clone()).await.expect("dial a");
    assert!(a.handle.subscribe(TOPIC.into()).await.expect("subscribe"));
    assert!(b.handle.subscribe(TOPIC.into()).await.expect("subscribe"));
    assert!(
        !b.handle.subscribe(TOPIC.into()).await.expect("subscribe"),
        "second subscription is a no-op"
    );
    a.wait_subscribed(b.peer_id(), TOPIC).await;

    let data = b"a record".to_vec();
    let outcome = a
        .handle
        .publish(vec![TOPIC.into(), "nobody/listens".into()], data.clone())
        .await
        .expect("publish");
    assert_eq!(outcome.delivered_topics, vec![TOPIC.to_string()]);
    assert_eq!(outcome.no_peers_topics, vec!["nobody/listens".to_string()]);

    let a_peer = a.peer_id();
    let (message, source) = b
        .wait_for("gossip", |event| match event {
            Event::Gossip {
                message,
                source,
                topic,
                data: received,
            } if topic == TOPIC => {
                assert_eq!(received, data);
                Some((message, source))
            }
            _ => None,
        })
        .await;
    assert_eq!(source, Some(a_peer));
    assert_eq!(message.propagation_source(), a_peer);
    b.handle.report_validation(message, Verdict::Accept);

    // The same bytes on the same topic again are a duplicate: not an error.
    let again = a
        .handle
        .publish(vec![TOPIC.into()], data)
        .await
        .expect("publish");
    assert_eq!(again.delivered_topics, vec![TOPIC.to_string()]);

    let peers = a.handle.peers().await.expect("network running");
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].peer_id, b.peer_id());
    assert_eq!(peers[0].school_id, ensemble_net::school_id_of(&b.peer_id()));
    assert_eq!(peers[0].topics, vec![TOPIC.to_string()]);
}

#[tokio::test]
async fn the_largest_record_fits_a_gossip_frame() {
    use ensemble_core::limits::{MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_WIRE_BYTES};
    let mut a = start(1).await;
    let mut b = start(2).await;
    b.handle.dial(a.addr.clone()).await.expect("dial a");
    a.handle.subscribe(TOPIC.into()).await.expect("subscribe");
    b.handle.subscribe(TOPIC.into()).await.expect("subscribe");
    a.wait_subscribed(b.peer_id(), TOPIC).await;

    // Length prefix + largest header + signature + largest body.
    let largest = vec![7u8; 2 + MAX_HEADER_BYTES + 64 + MAX_BODY_BYTES];
    let outcome = a
        .handle
        .publish(vec![TOPIC.into()], largest.clone())
        .await
        .expect("publish");
    assert_eq!(outcome.delivered_topics, vec![TOPIC.to_string()]);
    b.wait_for("the largest record", |event| match event {
        Event::Gossip { data, .. } if data == largest => Some(()),
        _ => None,
    })
    .await;

    let oversize = vec![7u8; MAX_WIRE_BYTES + 1];
    let refused = a.handle.publish(vec![TOPIC.into()], oversize).await;
    assert!(matches!(refused, Err(Error::Publish(_))), "{refused:?}");
}

#[tokio::test]
async fn a_node_that_stops_reading_events_does_not_stall_the_network() {
    const DROPPED_GOSSIP: &str = "ensemble_net_events_dropped_total";
    let mut a = start(1).await;
    // B never reads its events.
    let b = start(2).await;
    b.handle.dial(a.addr.clone()).await.expect("dial a");
    a.handle.subscribe(TOPIC.into()).await.expect("subscribe");
    b.handle.subscribe(TOPIC.into()).await.expect("subscribe");
    a.wait_subscribed(b.peer_id(), TOPIC).await;

    // More messages than B's event queue holds.
    for index in 0..1100u32 {
        a.handle
            .publish(vec![TOPIC.into()], index.to_be_bytes().to_vec())
            .await
            .expect("publish");
    }
    wait_until("b dropped gossip it could not queue", || {
        let dropped = b.metric(DROPPED_GOSSIP);
        async move { dropped > 0 }
    })
    .await;
    // B's loop still answers.
    let peers = b.handle.peers().await.expect("network running");
    assert_eq!(peers.len(), 1);
}

#[tokio::test]
async fn a_rejected_message_is_not_forwarded() {
    // The line A – B – C: C hears A only through B.
    let mut a = start(1).await;
    let mut b = start(2).await;
    let mut c = start(3).await;
    b.handle.dial(a.addr.clone()).await.expect("dial a");
    c.handle.dial(b.addr.clone()).await.expect("dial b");
    for node in [&a, &b, &c] {
        node.handle
            .subscribe(TOPIC.into())
            .await
            .expect("subscribe");
    }
    a.wait_subscribed(b.peer_id(), TOPIC).await;
    c.wait_subscribed(b.peer_id(), TOPIC).await;
    // Forwarding goes to mesh peers: wait until B's mesh holds both A and C.
    wait_until("b's mesh holds a and c", || async {
        mesh_size(&b.handle, TOPIC).await == 2
    })
    .await;

    let garbage = b"not a record".to_vec();
    let valid = b"a valid record".to_vec();
    a.handle
        .publish(vec![TOPIC.into()], garbage.clone())
        .await
        .expect("publish garbage");
    let message = b
        .wait_for("garbage at b", |event| match event {
            Event::Gossip { message, data, .. } if data == garbage => Some(message),
            _ => None,
        })
        .await;
    b.handle.report_validation(message, Verdict::Reject);

    a.handle
        .publish(vec![TOPIC.into()], valid.clone())
        .await
        .expect("publish valid");
    let message = b
        .wait_for("valid message at b", |event| match event {
            Event::Gossip { message, data, .. } if data == valid => Some(message),
            _ => None,
        })
        .await;
    b.handle.report_validation(message, Verdict::Accept);

    // B handled the garbage first, so had it been forwarded it would have reached C
    // before the valid message.
    let mut gossip_at_c = Vec::new();
    let a_peer = a.peer_id();
    c.wait_for("valid message at c", |event| match event {
        Event::Gossip { data, source, .. } => {
            let done = data == valid;
            if done {
                assert_eq!(source, Some(a_peer), "authored by a");
            }
            gossip_at_c.push(data);
            done.then_some(())
        }
        _ => None,
    })
    .await;
    while let Ok(event) = c.events.try_recv() {
        if let Event::Gossip { data, .. } = event {
            gossip_at_c.push(data);
        }
    }
    assert!(
        !gossip_at_c.contains(&garbage),
        "the rejected message was forwarded"
    );
}

fn heads_request() -> SyncRequest {
    SyncRequest::Heads {
        networks: vec!["test-net".into()],
        follows: vec![ByteArray::new([4; 32])],
        digest: ByteArray::new([5; 32]),
    }
}

#[tokio::test]
async fn sync_request_round_trip() {
    let a = start(1).await;
    let mut b = start(2).await;
    a.handle.dial(b.addr.clone()).await.expect("dial b");

    let answer = SyncResponse::Heads {
        heads: vec![Head {
            author: ByteArray::new([4; 32]),
            seq: 42,
            forks: vec![7],
            id: None,
        }],
    };
    let asking = a.handle.clone();
    let b_peer = b.peer_id();
    let request = tokio::spawn(async move { asking.sync_request(b_peer, heads_request()).await });
    let a_peer = a.peer_id();
    let responder = b
        .wait_for("sync request", |event| match event {
            Event::SyncRequest {
                peer,
                request,
                responder,
            } => {
                assert_eq!(peer, a_peer);
                assert_eq!(request, heads_request());
                Some(responder)
            }
            _ => None,
        })
        .await;
    b.handle.respond_sync(responder, answer.clone());
    let response = tokio::time::timeout(WAIT, request)
        .await
        .expect("answered in time")
        .expect("task ran");
    assert_eq!(response, Ok(answer));

    // A dropped responder is a failure on the asking side, not a hang.
    let asking = a.handle.clone();
    let request = tokio::spawn(async move { asking.sync_request(b_peer, heads_request()).await });
    let responder = b
        .wait_for("second sync request", |event| match event {
            Event::SyncRequest { responder, .. } => Some(responder),
            _ => None,
        })
        .await;
    drop(responder);
    let response = tokio::time::timeout(WAIT, request)
        .await
        .expect("failed in time")
        .expect("task ran");
    assert!(matches!(response, Err(Error::Sync(_))), "{response:?}");
}

#[tokio::test]
async fn sync_request_to_an_unknown_peer_fails() {
    let a = start(1).await;
    let unknown =
        ensemble_net::peer_id_of(&ensemble_core::SchoolKey::from_seed([9; 32]).school_id())
            .expect("ed25519 key");
    let response = tokio::time::timeout(WAIT, a.handle.sync_request(unknown, heads_request()))
        .await
        .expect("failed in time");
    assert!(matches!(response, Err(Error::Sync(_))), "{response:?}");
}

#[tokio::test]
async fn a_blocked_peer_is_disconnected_and_refused() {
    let mut a = start(1).await;
    let mut b = start(2).await;
    b.handle.dial(a.addr.clone()).await.expect("dial a");
    a.wait_connected(b.peer_id()).await;

    a.handle.block_peer(b.peer_id()).await.expect("block");
    a.wait_disconnected(b.peer_id()).await;
    b.wait_disconnected(a.peer_id()).await;

    // Outbound: refused before any packet leaves.
    let dial = a.handle.dial(b.addr.clone()).await;
    assert!(matches!(dial, Err(Error::Dial(_))), "{dial:?}");
    // Inbound: B may complete its handshake, but A closes the connection at once.
    if b.handle.dial(a.addr.clone()).await.is_ok() {
        b.wait_disconnected(a.peer_id()).await;
    }
    let peers = a.handle.peers().await.expect("network running");
    assert!(peers.is_empty(), "{peers:?}");

    // Unblocking makes the same dial succeed: the refusal was the block.
    a.handle.unblock_peer(b.peer_id()).await.expect("unblock");
    a.handle
        .dial(b.addr.clone())
        .await
        .expect("dial b after unblock");
    a.wait_connected(b.peer_id()).await;

    // A plain disconnect does not refuse later connections.
    a.handle.disconnect(b.peer_id()).await.expect("disconnect");
    a.wait_disconnected(b.peer_id()).await;
    a.handle
        .dial(b.addr.clone())
        .await
        .expect("dial b after disconnect");
    a.wait_connected(b.peer_id()).await;
}

#[tokio::test]
async fn a_restarted_peer_replaces_its_stale_connection() {
    let mut a = start(1).await;
    let mut old_b = start(2).await;
    old_b.handle.dial(a.addr.clone()).await.expect("dial a");
    a.wait_connected(old_b.peer_id()).await;
    a.handle.subscribe(TOPIC.into()).await.expect("subscribe");

    // The "restarted" B: same key, new process state; the old connection is still up.
    let new_b = start(2).await;
    let b_peer = new_b.peer_id();
    new_b
        .handle
        .dial(a.addr.clone())
        .await
        .expect("dial a again");

    // A keeps the newest connection and closes the stale one.
    old_b.wait_disconnected(a.peer_id()).await;
    wait_until("a holds one connection to b", || async {
        let peers = a.handle.peers().await.expect("network running");
        peers.len() == 1 && peers[0].addresses.len() == 1
    })
    .await;

    // The new process' subscriptions reach A (rust-libp2p#5097).
    new_b
        .handle
        .subscribe(TOPIC.into())
        .await
        .expect("subscribe");
    a.wait_subscribed(b_peer, TOPIC).await;
    assert!(
        !std::iter::from_fn(|| a.events.try_recv().ok())
            .any(|event| matches!(event, Event::PeerDisconnected { peer_id } if peer_id == b_peer)),
        "b never looked disconnected to a"
    );
}

#[tokio::test]
async fn bootstrap_peers_are_redialled() {
    const DIAL_ERRORS: &str = "libp2p_swarm_outgoing_connection_error_total";
    let hub = start(1).await;
    let hub_peer = hub.peer_id();
    let hub_addr = hub.addr.clone();
    let mut node = start_with(Config {
        bootstrap: vec![hub_addr.clone()],
        ..test_config(2)
    })
    .await;
    node.wait_connected(hub_peer).await;

    // The hub goes away; the node keeps trying (Kademlia's one query also dials it, and
    // gives up after a failure: later attempts are the bootstrap redial's).
    let failed_before = node.metric(DIAL_ERRORS);
    hub.handle.shutdown().await;
    node.wait_disconnected(hub_peer).await;
    wait_until("two dials to the absent hub failed", || {
        let failed = node.metric(DIAL_ERRORS);
        async move { failed >= failed_before + 2 }
    })
    .await;

    // It comes back on the same address with the same key, and is found again.
    let mut listen = hub_addr.clone();
    listen.pop(); // the trailing /p2p/<peer id>
    let _hub = start_with(Config {
        listen: vec![listen],
        ..test_config(1)
    })
    .await;
    node.wait_connected(hub_peer).await;
}
