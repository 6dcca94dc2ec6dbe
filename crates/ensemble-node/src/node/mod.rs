//! The node: wires the store and the network, owns the ingest path, the publish path,
//! the sync scheduler and the local state operations. The HTTP layer and the CLI call
//! only this type.
//!
//! Shutdown order: the caller stops HTTP first, then [`Node::shutdown`] cancels the
//! node's tasks, stops the network and flushes the store last.
//!
//! Code map: this file starts and stops the node and answers status; `publish` is the
//! signing path for this school's own records; `ingest` the one door for foreign
//! records (gossip, sync, import); `events` drains the network's events; `bundles`
//! exports and imports; `local` holds peers, follows and blocks.

mod bundles;
mod events;
mod ingest;
mod local;
mod publish;

pub use bundles::{ImportReport, SkippedRecord};
pub use ingest::{IngestReport, Origin, VerdictCounts};
pub use local::PeerView;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ensemble_core::{Kind, RecordId, SchoolId, SchoolKey, TopicFamily, VerifiedRecord, topic};
use ensemble_net::{Multiaddr, NetworkHandle, PeerId};
use ensemble_store::{Block, Store, View as StoreView};
use prometheus_client::registry::Registry;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, info_span, warn};

use crate::config::Options;
pub use crate::error::NodeError;
use crate::metrics::Metrics;
use crate::recovery::{self, Manifest};
use crate::seq_mark::SeqMark;
use crate::sync::SyncScheduler;
use crate::{data_dir, sync};

/// How long start-up waits for the listeners to resolve their addresses.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);

/// A node's status, as `ensemble status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// School id.
    pub school_id: String,
    /// libp2p peer id.
    pub peer_id: String,
    /// School name.
    pub name: String,
    /// Region code.
    pub region: String,
    /// Network id.
    pub network: String,
    /// Declared roles.
    pub roles: Vec<String>,
    /// Records held by kind.
    pub records: BTreeMap<String, u64>,
    /// Connected peers.
    pub peers: usize,
    /// Listen multiaddrs.
    pub listen: Vec<String>,
    /// Gossipsub mesh size per subscribed topic.
    pub mesh: BTreeMap<String, usize>,
    /// Network records accepted / ignored / rejected since start.
    pub network_records: VerdictCounts,
    /// Authors with fork evidence.
    pub forked_authors: Vec<String>,
    /// Schools followed.
    pub follows: usize,
    /// Seconds since start.
    pub uptime_secs: u64,
    /// Software version.
    pub version: String,
}

/// A running node; cheap to clone.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    options: Options,
    key: SchoolKey,
    school_id: SchoolId,
    store: Arc<Store>,
    /// The highest seq signed, kept outside the store; its lock serialises publishes.
    mark: Mutex<SeqMark>,
    net: NetworkHandle,
    metrics: Metrics,
    registry: Registry,
    verdicts: Mutex<VerdictCounts>,
    cancel: CancellationToken,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    sync: Arc<SyncScheduler>,
    listen: Vec<Multiaddr>,
    started: std::time::Instant,
    stored: tokio::sync::broadcast::Sender<StoredEvent>,
    search: crate::search::SearchIndex,
    network_changes: tokio::sync::watch::Sender<u64>,
}

/// Capacity of the stored-record broadcast: a slow subscriber that falls this far
/// behind gets `Lagged` and re-reads the store.
const STORED_EVENTS_CAPACITY: usize = 16_384;

/// A record newly stored on this node (own or foreign).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredEvent {
    /// The record.
    pub id: RecordId,
    /// Its author.
    pub author: SchoolId,
    /// Its kind.
    pub kind: Kind,
}

impl Node {
    /// Opens the store, starts the network, subscribes, starts the ingest and sync
    /// tasks and publishes the school profile when the log has none.
    ///
    /// A damaged store ([`recovery`]) is refused with [`NodeError::Damaged`] before
    /// anything is served.
    pub async fn start(options: Options, key: SchoolKey) -> Result<Node, NodeError> {
        Node::start_as(options, key, false).await
    }

    /// Starts a node on the fresh store `ensemble recover` fills: the store may hold
    /// less of this school's log than was signed, and nothing is published.
    pub(crate) async fn start_recovering(
        options: Options,
        key: SchoolKey,
    ) -> Result<Node, NodeError> {
        Node::start_as(options, key, true).await
    }

    async fn start_as(
        options: Options,
        key: SchoolKey,
        recovering: bool,
    ) -> Result<Node, NodeError> {
        let school_id = key.school_id();
        let span = info_span!("node", school = %school_id.short());
        let store = Arc::new(open_store(&options.data_dir)?);
        let mut mark = SeqMark::load(&options.data_dir)?;
        recovery::check_on_start(&options.data_dir, &store, &school_id, &mark, recovering)?;
        // Own records the store holds beyond the mark (a data directory from before the
        // mark, or records peers gave back) were signed too.
        mark.raise(store.max_seq(&school_id)?)?;
        // Only a clean stop vouches for the store from here on.
        Manifest::remove(&options.data_dir)?;
        let mut registry = Registry::default();
        let metrics = Metrics::default();
        metrics.register(&mut registry);
        let net_config = net_config(&options, &key)?;
        let (net, events) = ensemble_net::spawn(net_config, &mut registry)?;
        let listen = net.wait_listening(LISTEN_TIMEOUT).await?;
        let cancel = CancellationToken::new();
        let (sync, sync_triggers) = SyncScheduler::new(options.sync_interval);
        let node = Node {
            inner: Arc::new(Inner {
                search: crate::search::SearchIndex::open(&options.data_dir)?,
                options,
                key,
                school_id,
                store,
                mark: Mutex::new(mark),
                net,
                metrics,
                registry,
                verdicts: Mutex::new(VerdictCounts::default()),
                cancel,
                tasks: Mutex::new(Vec::new()),
                sync: Arc::new(sync),
                listen,
                started: std::time::Instant::now(),
                stored: tokio::sync::broadcast::channel(STORED_EVENTS_CAPACITY).0,
                network_changes: tokio::sync::watch::channel(0).0,
            }),
        };
        for topic in node.subscribed_topics()? {
            node.inner.net.subscribe(topic).await?;
        }
        for block in node.inner.store.blocks()? {
            if let Block::Peer(peer) = block
                && let Ok(peer) = peer.parse::<PeerId>()
            {
                node.inner.net.block_peer(peer).await?;
            }
        }
        let search_task = tokio::spawn(
            crate::search::run(crate::search::IndexerInputs {
                store: ensemble_store::SharedView::new(Arc::clone(&node.inner.store)),
                index: node.inner.search.clone(),
                events: node.stored_events(),
                cancel: node.inner.cancel.clone(),
            })
            .instrument(span.clone()),
        );
        let events_task = tokio::spawn(node.clone().run_events(events).instrument(span.clone()));
        let sync_task = tokio::spawn(
            sync::run_scheduler(
                Arc::clone(&node.inner.sync),
                sync_triggers,
                node.inner.cancel.clone(),
                {
                    let node = node.clone();
                    move || {
                        let net = node.inner.net.clone();
                        async move { connected_peers(&net).await }
                    }
                },
                {
                    let node = node.clone();
                    move |peer| {
                        let node = node.clone();
                        async move {
                            sync::sync_with(&node, peer).await;
                        }
                    }
                },
            )
            .instrument(span.clone()),
        );
        let partners_task = tokio::spawn(
            crate::mentoring::follow_partners(node.clone(), node.stored_events())
                .instrument(span.clone()),
        );
        if let Ok(mut tasks) = node.inner.tasks.lock() {
            tasks.push(partners_task);
            tasks.push(events_task);
            tasks.push(sync_task);
            tasks.push(search_task);
        }
        if !recovering {
            node.ensure_profile().instrument(span).await?;
        }
        info!(school = %node.inner.school_id, peer = %node.peer_id(), "node started");
        Ok(node)
    }

    /// Stops the node's tasks and the network, then flushes the store.
    pub async fn shutdown(&self) {
        self.inner.cancel.cancel();
        let tasks = match self.inner.tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(_) => Vec::new(),
        };
        for task in tasks {
            let _ = task.await;
        }
        self.inner.net.shutdown().await;
        if let Err(error) = self.inner.store.flush() {
            warn!(%error, "final store flush failed");
            return;
        }
        // Only after a successful flush: the manifest vouches for what is on disk.
        let dir = &self.inner.options.data_dir;
        if let Err(error) = Manifest::write(dir, &self.inner.store, &self.inner.school_id) {
            warn!(%error, "store manifest not written; the next start walks the store");
        }
    }

    /// The highest seq this school's key has signed (the seq mark).
    pub fn signed_seq(&self) -> u64 {
        self.inner.mark.lock().map_or(0, |mark| mark.signed())
    }

    /// The school id.
    pub fn school_id(&self) -> SchoolId {
        self.inner.school_id
    }

    /// The libp2p peer id.
    pub fn peer_id(&self) -> PeerId {
        self.inner.net.local_peer_id()
    }

    /// Subscribes to records newly stored on this node (for tests, the web UI's
    /// freshness and tools). Subscribe before checking the store to miss nothing.
    pub fn stored_events(&self) -> tokio::sync::broadcast::Receiver<StoredEvent> {
        self.inner.stored.subscribe()
    }

    /// A counter bumped on every peer connection, disconnection and subscription:
    /// await `changed()` and re-read [`Node::peers`] to wait for connectivity.
    pub fn network_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.network_changes.subscribe()
    }

    fn announce(&self, record: &VerifiedRecord) {
        // No subscribers is the normal case; the error only says so.
        let _ = self.inner.stored.send(StoredEvent {
            id: record.id(),
            author: record.author(),
            kind: record.kind(),
        });
    }

    /// The options the node runs with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// Read access to the store. Writes go only through the node's own paths
    /// (publish, ingest, follows, blocks), which is why this is a [`StoreView`].
    pub fn store(&self) -> &StoreView {
        &self.inner.store
    }

    /// The practice search index ([`Node::search`] queries it).
    pub fn search_index(&self) -> &crate::search::SearchIndex {
        &self.inner.search
    }

    pub(crate) fn net(&self) -> &NetworkHandle {
        &self.inner.net
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub(crate) fn cancelled(&self) -> &CancellationToken {
        &self.inner.cancel
    }

    pub(crate) fn sync_scheduler(&self) -> &SyncScheduler {
        &self.inner.sync
    }

    /// Full listen multiaddrs ending in `/p2p/<peer id>`.
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.inner.listen.clone()
    }

    /// The networks this node replicates.
    pub fn networks(&self) -> Vec<String> {
        vec![self.inner.options.network.clone()]
    }

    fn subscribed_topics(&self) -> Result<Vec<String>, NodeError> {
        let network = &self.inner.options.network;
        let mut topics = vec![
            topic::network(network, TopicFamily::Catalog),
            topic::network(network, TopicFamily::Mentoring),
            topic::school(&self.inner.school_id),
        ];
        for school in self.inner.store.follows()? {
            topics.push(topic::school(&school));
        }
        Ok(topics)
    }

    /// Prometheus text exposition of every metric (ours and libp2p's).
    pub fn metrics_text(&self) -> String {
        self.inner
            .metrics
            .refresh_disk(&self.inner.options.data_dir);
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.inner.registry).is_err() {
            warn!("metrics encoding failed");
        }
        text
    }

    /// The node's status.
    pub async fn status(&self) -> Result<Status, NodeError> {
        let options = &self.inner.options;
        let peers = self.inner.net.peers().await?;
        let mesh = self.inner.net.mesh_sizes().await?;
        let records = self
            .inner
            .store
            .counts()?
            .into_iter()
            .map(|(kind, count)| (kind.as_str().to_string(), count))
            .collect();
        let network_records = self
            .inner
            .verdicts
            .lock()
            .map(|verdicts| verdicts.clone())
            .unwrap_or_default();
        Ok(Status {
            school_id: self.inner.school_id.to_string(),
            peer_id: self.peer_id().to_string(),
            name: options.name.clone(),
            region: options.region.clone(),
            network: options.network.clone(),
            roles: options.roles.clone(),
            records,
            peers: peers.len(),
            listen: self.inner.listen.iter().map(ToString::to_string).collect(),
            mesh,
            network_records,
            forked_authors: self
                .inner
                .store
                .forked_authors()?
                .iter()
                .map(ToString::to_string)
                .collect(),
            follows: self.inner.store.follows()?.len(),
            uptime_secs: self.inner.started.elapsed().as_secs(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        })
    }
}

/// Opens the store, naming sled's refusal to open damaged files as [`NodeError::Damaged`].
fn open_store(data_dir: &std::path::Path) -> Result<Store, NodeError> {
    match Store::open(&data_dir.join(data_dir::STORE_DIR)) {
        Ok(store) => Ok(store),
        Err(ensemble_store::Error::Open {
            reason,
            corrupt: true,
            ..
        }) => Err(NodeError::Damaged(recovery::Damage {
            data_dir: data_dir.to_path_buf(),
            problem: format!("sled cannot open it ({reason})"),
        })),
        Err(error @ ensemble_store::Error::Corrupt(_)) => {
            Err(NodeError::Damaged(recovery::Damage {
                data_dir: data_dir.to_path_buf(),
                problem: error.to_string(),
            }))
        }
        Err(error) => Err(error.into()),
    }
}

/// The connected peers, or none when the network has stopped (the node is shutting
/// down, and the scheduler with it).
async fn connected_peers(net: &NetworkHandle) -> Vec<PeerId> {
    match net.peers().await {
        Ok(peers) => peers.into_iter().map(|peer| peer.peer_id).collect(),
        Err(_) => Vec::new(),
    }
}

fn net_config(options: &Options, key: &SchoolKey) -> Result<ensemble_net::Config, NodeError> {
    let parse = |list: &[String], key: &str| -> Result<Vec<Multiaddr>, NodeError> {
        let mut faults = Vec::new();
        let mut out = Vec::new();
        for text in list {
            match text.parse::<Multiaddr>() {
                Ok(address) => out.push(address),
                Err(error) => faults.push(format!("{key}: {text:?} is not a multiaddr ({error})")),
            }
        }
        if faults.is_empty() {
            Ok(out)
        } else {
            Err(NodeError::Config(faults.join("; ")))
        }
    };
    Ok(ensemble_net::Config {
        key_seed: key.seed(),
        listen: parse(&options.listen, "listen")?,
        bootstrap: parse(&options.bootstrap, "bootstrap")?,
        mdns: options.mdns,
        hub: options.hub,
        idle_timeout: options.idle_timeout,
        heartbeat_interval: options.heartbeat_interval,
        max_connections: options.max_connections,
        max_connections_per_peer: options.max_connections_per_peer,
        ..ensemble_net::Config::default()
    })
}
