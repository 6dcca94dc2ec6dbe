//! `gossip`: how fast a published record reaches every school. `--nodes` nodes on
//! loopback, each dialling `--links` earlier nodes picked by a seeded generator (a
//! sparse federation, so records cross several hops); records are published in turn
//! by every node and each one's latency is the time from the `Node::publish` call to
//! its `StoredEvent` on the last other node (every node's listener stamps events with
//! the same in-process clock). One record at a time, so queueing does not blur it.
//!
//! Baseline: the same topology of plain gossipsub — `ensemble_net` handles that
//! Accept every message on arrival and store nothing — publishing pre-signed records.
//! The difference is what Ensemble adds per hop: verification, the store write and
//! flush before the verdict lets gossipsub forward. Targets: p99 ≤ 25 ms and ≤ 1.5×
//! the baseline's p99.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ensemble_core::{Kind, RecordId, SignedRecord, TopicFamily, VerifiedRecord, topic};
use ensemble_net::{Event, NetworkHandle, Verdict};
use ensemble_node::{Multiaddr, Node};
use tokio::sync::{mpsc, watch};
use tokio::time::timeout_at;

use crate::cluster::{self, NETWORK, WAIT};
use crate::figures::percentile;
use crate::{Bench, Figures, corpus, progress};

/// Target for the 99th percentile of time-to-all-nodes.
const TARGET_P99_MS: f64 = 25.0;
/// Target for Ensemble's p99 over plain gossipsub's.
const TARGET_RATIO: f64 = 1.5;
/// How long one record may take to reach every node before it counts as lost; a lost
/// record enters the percentiles at this latency (a lower bound of its true one).
const DELIVERY_WAIT: Duration = Duration::from_secs(10);
/// Arrivals in flight from the per-node listeners to the measuring loop.
const RECEIPTS_CAPACITY: usize = 4096;
/// Gossipsub's `mesh_n_low` in `ensemble-net`: the mesh a node with that many peers
/// reaches on its heartbeat.
const MESH_LOW: usize = 2;

/// Runs the scenario.
pub async fn run(bench: &Bench) -> Result<Figures> {
    let sizes = &bench.sizes;
    let plan = Plan::new(sizes.nodes.max(2), sizes.links.max(1));
    let records = sizes.records.max(1);
    let phase = Instant::now();
    let ensemble = through_nodes(bench, &plan, records).await?;
    progress("gossip", "ensemble nodes measured", phase);
    let phase = Instant::now();
    let raw = through_raw_gossipsub(&plan, records).await?;
    progress("gossip", "plain gossipsub measured", phase);

    let ms = |samples: &[Duration], quantile| percentile(samples, quantile).as_secs_f64() * 1e3;
    let mut figures = Figures::new();
    figures
        .count("nodes", plan.nodes() as u64)
        .count("links_per_node", plan.links as u64)
        .count("edges", plan.edges() as u64)
        .count("diameter_hops", plan.diameter() as u64)
        .count("records", records as u64)
        .number("p50_ms", ms(&ensemble.all, 0.5))
        .number("p99_ms", ms(&ensemble.all, 0.99));
    figures.at_most("p99_ms", TARGET_P99_MS);
    figures
        .number("first_node_p50_ms", ms(&ensemble.first, 0.5))
        .number("publish_call_p50_ms", ms(&ensemble.publish_calls, 0.5))
        .count("lost", ensemble.lost as u64)
        .number("raw_p50_ms", ms(&raw.all, 0.5))
        .number("raw_p99_ms", ms(&raw.all, 0.99))
        .number("raw_first_node_p50_ms", ms(&raw.first, 0.5))
        .number("raw_publish_call_p50_ms", ms(&raw.publish_calls, 0.5))
        .count("raw_lost", raw.lost as u64)
        .number("ratio_p50", ms(&ensemble.all, 0.5) / ms(&raw.all, 0.5))
        .number("ratio_p99", ms(&ensemble.all, 0.99) / ms(&raw.all, 0.99));
    figures.at_most("ratio_p99", TARGET_RATIO);
    figures.conclude();
    Ok(figures)
}

/// Who dials whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// For each node, the earlier nodes it dials at start.
    pub dials: Vec<Vec<usize>>,
    links: usize,
}

impl Plan {
    /// Node `i` dials `min(i, links)` distinct earlier nodes picked by a seeded
    /// generator: connected by construction, sparse, the same in every run.
    pub fn new(nodes: usize, links: usize) -> Plan {
        let mut rng = corpus::Rng::new("gossip topology", 0);
        let dials = (0..nodes)
            .map(|node| {
                let mut chosen = Vec::new();
                while chosen.len() < node.min(links) {
                    let earlier = rng.below(node);
                    if !chosen.contains(&earlier) {
                        chosen.push(earlier);
                    }
                }
                chosen
            })
            .collect();
        Plan { dials, links }
    }

    fn nodes(&self) -> usize {
        self.dials.len()
    }

    fn edges(&self) -> usize {
        self.dials.iter().map(Vec::len).sum()
    }

    /// Every node's neighbours, both directions.
    fn neighbours(&self) -> Vec<Vec<usize>> {
        let mut neighbours = vec![Vec::new(); self.nodes()];
        for (node, dials) in self.dials.iter().enumerate() {
            for earlier in dials {
                neighbours[node].push(*earlier);
                neighbours[*earlier].push(node);
            }
        }
        neighbours
    }

    /// Connected peers each node will have.
    pub fn degrees(&self) -> Vec<usize> {
        self.neighbours().iter().map(Vec::len).collect()
    }

    /// The longest shortest path, in hops.
    pub fn diameter(&self) -> usize {
        let neighbours = self.neighbours();
        let mut longest = 0;
        for source in 0..self.nodes() {
            let mut distance = vec![usize::MAX; self.nodes()];
            distance[source] = 0;
            let mut queue = VecDeque::from([source]);
            while let Some(node) = queue.pop_front() {
                for next in &neighbours[node] {
                    if distance[*next] == usize::MAX {
                        distance[*next] = distance[node] + 1;
                        queue.push_back(*next);
                    }
                }
            }
            longest = longest.max(distance.into_iter().max().unwrap_or(0));
        }
        longest
    }
}

/// Latencies of one stack.
struct Delivery {
    /// From publish to the last other node.
    all: Vec<Duration>,
    /// From publish to the first other node (one hop).
    first: Vec<Duration>,
    /// Records that missed [`DELIVERY_WAIT`] on some node.
    lost: usize,
    /// How long the publish call itself took (sign, store and flush for a node).
    publish_calls: Vec<Duration>,
}

/// One record arriving on one node.
struct Receipt {
    node: usize,
    id: RecordId,
    at: Instant,
}

/// Collects arrivals and answers "when had every other node got this record".
struct Receipts {
    arrivals: mpsc::Receiver<Receipt>,
    seen: HashMap<RecordId, Vec<(usize, Instant)>>,
    nodes: usize,
    delivery: Delivery,
}

impl Receipts {
    fn new(arrivals: mpsc::Receiver<Receipt>, nodes: usize) -> Receipts {
        Receipts {
            arrivals,
            seen: HashMap::new(),
            nodes,
            delivery: Delivery {
                all: Vec::new(),
                first: Vec::new(),
                lost: 0,
                publish_calls: Vec::new(),
            },
        }
    }

    /// Waits for `id` on every node but `publisher`; records its latencies from
    /// `published` unless this is a warm-up record.
    async fn await_everywhere(
        &mut self,
        id: RecordId,
        publisher: usize,
        published: Instant,
        timed: bool,
    ) {
        let deadline = tokio::time::Instant::from_std(published + DELIVERY_WAIT);
        loop {
            let arrivals: Vec<(usize, Instant)> = self
                .seen
                .get(&id)
                .map(|arrivals| {
                    let mut nodes = HashSet::new();
                    arrivals
                        .iter()
                        .filter(|(node, _)| *node != publisher && nodes.insert(*node))
                        .copied()
                        .collect()
                })
                .unwrap_or_default();
            if arrivals.len() + 1 >= self.nodes {
                self.seen.remove(&id);
                if timed {
                    let first = arrivals.iter().map(|(_, at)| *at).min();
                    let last = arrivals.iter().map(|(_, at)| *at).max();
                    if let (Some(first), Some(last)) = (first, last) {
                        self.delivery
                            .first
                            .push(first.saturating_duration_since(published));
                        self.delivery
                            .all
                            .push(last.saturating_duration_since(published));
                    }
                }
                return;
            }
            match timeout_at(deadline, self.arrivals.recv()).await {
                Ok(Some(receipt)) => self
                    .seen
                    .entry(receipt.id)
                    .or_default()
                    .push((receipt.node, receipt.at)),
                // Deadline passed, or every listener stopped.
                Ok(None) | Err(_) => {
                    self.seen.remove(&id);
                    if timed {
                        self.delivery.lost += 1;
                        self.delivery.all.push(DELIVERY_WAIT);
                        self.delivery.first.push(DELIVERY_WAIT);
                    }
                    return;
                }
            }
        }
    }
}

/// Ensemble nodes: publish with `Node::publish`, arrival = `StoredEvent`.
async fn through_nodes(bench: &Bench, plan: &Plan, records: usize) -> Result<Delivery> {
    let dir = bench.temp_dir("gossip")?;
    let mut nodes: Vec<Node> = Vec::new();
    for (index, dials) in plan.dials.iter().enumerate() {
        let bootstrap = dials
            .iter()
            .map(|earlier| cluster::address(&nodes[*earlier]))
            .collect::<Result<Vec<Multiaddr>>>()?;
        let node_dir = dir.path().join(index.to_string());
        nodes.push(cluster::start_node(&node_dir, &format!("gossip-{index}"), &bootstrap).await?);
    }
    let catalog = cluster::catalog_topic();
    for (node, degree) in nodes.iter().zip(plan.degrees()) {
        node.wait_for_subscribers(TopicFamily::Catalog, degree, WAIT)
            .await?;
        let mesh = || async {
            let status = node.status().await?;
            Ok(status.mesh.get(&catalog).copied().unwrap_or(0))
        };
        cluster::wait_for_mesh(mesh, degree.min(MESH_LOW), WAIT).await?;
    }
    let (sender, arrivals) = mpsc::channel(RECEIPTS_CAPACITY);
    let mut listeners = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        let mut events = node.stored_events();
        let sender = sender.clone();
        listeners.push(tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        let receipt = Receipt {
                            node: index,
                            id: event.id,
                            at: Instant::now(),
                        };
                        if sender.send(receipt).await.is_err() {
                            break;
                        }
                    }
                    // A lagging listener misses arrivals; their records count as lost.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        }));
    }
    drop(sender);
    let mut receipts = Receipts::new(arrivals, nodes.len());
    let mut rng = corpus::Rng::new("gossip", 0);
    // One warm-up round per node: the first records settle the meshes and connections.
    for round in 0..nodes.len() + records {
        let publisher = round % nodes.len();
        let body = corpus::practice_body(&mut rng);
        let published = Instant::now();
        let record = nodes[publisher].publish(Kind::Practice, body).await?;
        if round >= nodes.len() {
            receipts.delivery.publish_calls.push(published.elapsed());
        }
        receipts
            .await_everywhere(record.id(), publisher, published, round >= nodes.len())
            .await;
    }
    for listener in listeners {
        listener.abort();
    }
    for node in nodes {
        node.shutdown().await;
    }
    Ok(receipts.delivery)
}

/// A plain gossipsub peer: an `ensemble_net` handle whose listener accepts every
/// message on arrival.
struct RawPeer {
    handle: NetworkHandle,
    /// Bumped on every connection and subscription change.
    changes: watch::Receiver<u64>,
    listener: tokio::task::JoinHandle<()>,
    /// The records this peer publishes, in order.
    wires: VecDeque<Vec<u8>>,
    school_topic: String,
}

/// Plain gossipsub in the same topology: publish pre-signed records with
/// `NetworkHandle::publish`, arrival = the gossip event reaching the application.
async fn through_raw_gossipsub(plan: &Plan, records: usize) -> Result<Delivery> {
    let nodes = plan.nodes();
    let rounds = nodes + records;
    let per_peer = rounds.div_ceil(nodes);
    let corpus = tokio::task::spawn_blocking(move || {
        corpus::signed_logs("gossip-raw", nodes, nodes * per_peer, NETWORK)
    })
    .await??;
    let catalog = cluster::catalog_topic();
    let (sender, arrivals) = mpsc::channel(RECEIPTS_CAPACITY);
    // The idle timeout and heartbeat a node runs with (the directory is not used).
    let options = cluster::options(std::path::Path::new("."), "raw", &[])?;
    let mut peers: Vec<RawPeer> = Vec::new();
    for (index, dials) in plan.dials.iter().enumerate() {
        let key = corpus::author_key("gossip-raw", index);
        let mut bootstrap = Vec::new();
        for earlier in dials {
            let addresses = peers[*earlier].handle.listen_addrs().await?;
            bootstrap.push(
                addresses
                    .into_iter()
                    .next()
                    .context("raw peer listens nowhere")?,
            );
        }
        let config = ensemble_net::Config {
            key_seed: key.seed(),
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse()?],
            bootstrap,
            mdns: false,
            idle_timeout: options.idle_timeout,
            heartbeat_interval: options.heartbeat_interval,
            ..ensemble_net::Config::default()
        };
        let mut registry = prometheus_client::registry::Registry::default();
        let (handle, events) = ensemble_net::spawn(config, &mut registry)?;
        handle.wait_listening(WAIT).await?;
        let school_topic = topic::school(&key.school_id());
        // The same subscriptions a node makes.
        for subscription in [
            catalog.clone(),
            topic::network(NETWORK, TopicFamily::Mentoring),
            school_topic.clone(),
        ] {
            handle.subscribe(subscription).await?;
        }
        let (bump, changes) = watch::channel(0);
        let listener = tokio::spawn(accept_everything(
            index,
            handle.clone(),
            events,
            sender.clone(),
            bump,
        ));
        let wires = corpus[index * per_peer..(index + 1) * per_peer]
            .iter()
            .map(VerifiedRecord::to_wire)
            .collect();
        peers.push(RawPeer {
            handle,
            changes,
            listener,
            wires,
            school_topic,
        });
    }
    drop(sender);
    drop(corpus);
    for (peer, degree) in peers.iter_mut().zip(plan.degrees()) {
        wait_for_raw_subscribers(peer, &catalog, degree).await?;
        let handle = peer.handle.clone();
        let mesh = || async {
            let sizes = handle.mesh_sizes().await?;
            Ok(sizes.get(&catalog).copied().unwrap_or(0))
        };
        cluster::wait_for_mesh(mesh, degree.min(MESH_LOW), WAIT).await?;
    }
    let mut receipts = Receipts::new(arrivals, nodes);
    for round in 0..rounds {
        let publisher = round % nodes;
        let peer = &mut peers[publisher];
        let wire = peer.wires.pop_front().context("raw corpus exhausted")?;
        let id = SignedRecord::from_wire(&wire)?.id();
        let topics = vec![catalog.clone(), peer.school_topic.clone()];
        let published = Instant::now();
        peer.handle.publish(topics, wire).await?;
        if round >= nodes {
            receipts.delivery.publish_calls.push(published.elapsed());
        }
        receipts
            .await_everywhere(id, publisher, published, round >= nodes)
            .await;
    }
    for peer in peers {
        peer.listener.abort();
        peer.handle.shutdown().await;
    }
    Ok(receipts.delivery)
}

/// The raw peer's application: stamp each gossip message, accept it at once.
async fn accept_everything(
    index: usize,
    handle: NetworkHandle,
    mut events: mpsc::Receiver<Event>,
    receipts: mpsc::Sender<Receipt>,
    changes: watch::Sender<u64>,
) {
    while let Some(event) = events.recv().await {
        match event {
            Event::Gossip { message, data, .. } => {
                let at = Instant::now();
                handle.report_validation(message, Verdict::Accept);
                if let Ok(record) = SignedRecord::from_wire(&data) {
                    let receipt = Receipt {
                        node: index,
                        id: record.id(),
                        at,
                    };
                    if receipts.send(receipt).await.is_err() {
                        break;
                    }
                }
            }
            // Nobody asks a raw peer for sync; dropping the responder refuses it.
            Event::SyncRequest { .. } => {}
            Event::PeerConnected { .. }
            | Event::PeerDisconnected { .. }
            | Event::PeerSubscribed { .. } => changes.send_modify(|generation| *generation += 1),
        }
    }
}

async fn wait_for_raw_subscribers(peer: &mut RawPeer, catalog: &str, peers: usize) -> Result<()> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        peer.changes.borrow_and_update();
        let ready = peer
            .handle
            .peers()
            .await?
            .iter()
            .filter(|info| info.topics.iter().any(|topic| topic == catalog))
            .count();
        if ready >= peers {
            return Ok(());
        }
        if timeout_at(deadline, peer.changes.changed()).await.is_err() {
            bail!("raw peer: {ready} of {peers} peers subscribed within {WAIT:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_connected_sparse_and_fixed() {
        let plan = Plan::new(10, 2);
        assert_eq!(plan, Plan::new(10, 2), "seeded");
        assert_eq!(plan.dials[0], Vec::<usize>::new());
        assert_eq!(plan.dials[1], vec![0]);
        assert!(plan.dials.iter().skip(2).all(|dials| dials.len() == 2));
        assert_eq!(plan.edges(), 17);
        let diameter = plan.diameter();
        assert!((2..10).contains(&diameter), "diameter {diameter}");
        assert_eq!(plan.degrees().iter().sum::<usize>(), 2 * plan.edges());
    }

    #[test]
    fn a_line_has_the_diameter_of_its_length() {
        let plan = Plan {
            dials: vec![vec![], vec![0], vec![1], vec![2]],
            links: 1,
        };
        assert_eq!(plan.diameter(), 3);
    }
}
