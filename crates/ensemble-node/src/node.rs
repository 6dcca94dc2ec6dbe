//! The node: wires the store and the network, owns the ingest path, the publish path,
//! the sync scheduler and the local state operations. The HTTP layer and the CLI call
//! only this type.
//!
//! Shutdown order: the caller stops HTTP first, then [`Node::shutdown`] cancels the
//! node's tasks, stops the network and flushes the store last.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ensemble_core::body::Body;
use ensemble_core::{
    Draft, Kind, RecordError, RecordId, SchoolId, SchoolKey, SignedRecord, TopicFamily,
    ValidationErrors, VerifiedRecord, bundle, topic,
};
use ensemble_net::{Multiaddr, NetworkHandle, PeerId, Verdict};
use ensemble_store::{Block, Ingested, Store};
use prometheus_client::registry::Registry;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::config::Options;
use crate::metrics::{IngestLabels, Metrics, PublishLabels};
use crate::sync::{SyncScheduler, SyncStats};
use crate::{data_dir, sync};

/// How long start-up waits for the listeners to resolve their addresses.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Gossip messages ingested as one batch (one batch verification, one flush).
const GOSSIP_BATCH: usize = 256;

/// Node errors. The HTTP layer maps each variant to a status in one place.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The body is not valid for its kind.
    #[error("invalid {kind} body: {errors}")]
    Invalid {
        /// The kind.
        kind: Kind,
        /// Every field at fault.
        errors: ValidationErrors,
    },
    /// Over a size limit.
    #[error("{what} is {size} bytes, the limit is {limit}")]
    TooLarge {
        /// What.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Something named is not held.
    #[error("{0} not found")]
    NotFound(String),
    /// A protocol rule refuses the request; the message names the rule.
    #[error("{0}")]
    Rule(String),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] ensemble_store::Error),
    /// The network layer failed.
    #[error("network: {0}")]
    Net(#[from] ensemble_net::Error),
    /// Configuration or data-directory problem.
    #[error(transparent)]
    DataDir(#[from] data_dir::Error),
    /// Configuration problem.
    #[error("{0}")]
    Config(String),
}

impl NodeError {
    fn from_record(error: RecordError) -> NodeError {
        match error {
            RecordError::InvalidBody { kind, errors } => NodeError::Invalid { kind, errors },
            RecordError::TooLarge { what, size, limit } => {
                NodeError::TooLarge { what, size, limit }
            }
            other => NodeError::BadRequest(other.to_string()),
        }
    }
}

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Live gossip.
    Gossip,
    /// Catch-up sync.
    Sync,
    /// An imported bundle.
    Import,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Gossip => "gossip",
            Origin::Sync => "sync",
            Origin::Import => "import",
        }
    }
}

/// What the ingest path decided for one wire record.
#[derive(Debug, Clone)]
pub struct IngestReport {
    /// The record id, when the bytes decoded that far.
    pub id: Option<RecordId>,
    /// The author, when decoded.
    pub author: Option<SchoolId>,
    /// The kind, when decoded.
    pub kind: Option<Kind>,
    /// The gossipsub verdict.
    pub verdict: Verdict,
    /// Why it was not accepted.
    pub reason: Option<String>,
    /// Stored ahead of the author's contiguous head: a predecessor is missing.
    pub gap: bool,
    /// Newly stored (not a duplicate).
    pub stored: bool,
}

/// What a record's header says about it, kept for the report of its fate.
#[derive(Debug, Clone, Copy)]
struct Decoded {
    id: RecordId,
    author: SchoolId,
    kind: Kind,
}

impl Decoded {
    fn of(record: &SignedRecord) -> Decoded {
        Decoded {
            id: record.id(),
            author: record.header().author,
            kind: record.header().kind,
        }
    }

    fn of_verified(record: &VerifiedRecord) -> Decoded {
        Decoded {
            id: record.id(),
            author: record.author(),
            kind: record.kind(),
        }
    }
}

impl IngestReport {
    fn new(decoded: Option<Decoded>, verdict: Verdict, reason: Option<String>) -> IngestReport {
        IngestReport {
            id: decoded.map(|decoded| decoded.id),
            author: decoded.map(|decoded| decoded.author),
            kind: decoded.map(|decoded| decoded.kind),
            verdict,
            reason,
            gap: false,
            stored: false,
        }
    }

    fn ignored(decoded: Option<Decoded>, reason: String) -> IngestReport {
        IngestReport::new(decoded, Verdict::Ignore, Some(reason))
    }

    fn refused(decoded: Option<Decoded>, error: &RecordError) -> IngestReport {
        let verdict = if error.is_reject() {
            Verdict::Reject
        } else {
            Verdict::Ignore
        };
        IngestReport::new(decoded, verdict, Some(error.to_string()))
    }
}

/// Counters of network verdicts since start.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerdictCounts {
    /// Accepted.
    pub accepted: u64,
    /// Ignored.
    pub ignored: u64,
    /// Rejected.
    pub rejected: u64,
}

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

/// A result of an import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Records newly stored.
    pub imported: usize,
    /// Records already held.
    pub duplicates: usize,
    /// Records refused, each with its index in the bundle, id if known, and reason.
    pub skipped: Vec<SkippedRecord>,
}

/// One refused record of an import.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedRecord {
    /// Position in the bundle, from 0.
    pub index: usize,
    /// Record id, when it decoded that far.
    pub id: Option<String>,
    /// Why.
    pub reason: String,
}

/// A connected peer, for `ensemble peers`.
#[derive(Debug, Clone, Serialize)]
pub struct PeerView {
    /// Peer id.
    pub peer_id: String,
    /// School id (ed25519 peer ids are school keys).
    pub school_id: Option<String>,
    /// School name from its profile, when held.
    pub name: Option<String>,
    /// Addresses.
    pub addresses: Vec<String>,
    /// Connected since (unix ms).
    pub connected_since_ms: u64,
    /// Topics in common.
    pub topics: Vec<String>,
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
    net: NetworkHandle,
    metrics: Metrics,
    registry: Registry,
    verdicts: Mutex<VerdictCounts>,
    cancel: CancellationToken,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    sync: SyncScheduler,
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
    pub async fn start(options: Options, key: SchoolKey) -> Result<Node, NodeError> {
        let school_id = key.school_id();
        let span = info_span!("node", school = %school_id.short());
        let store = Arc::new(Store::open(&options.data_dir.join(data_dir::STORE_DIR))?);
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
                net,
                metrics,
                registry,
                verdicts: Mutex::new(VerdictCounts::default()),
                cancel,
                tasks: Mutex::new(Vec::new()),
                sync,
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
        let search_task = tokio::spawn(crate::search::run(node.clone()).instrument(span.clone()));
        let events_task = tokio::spawn(node.clone().run_events(events).instrument(span.clone()));
        let sync_task =
            tokio::spawn(sync::run_scheduler(node.clone(), sync_triggers).instrument(span.clone()));
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
        node.ensure_profile().instrument(span).await?;
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
        }
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

    /// The store (read access for the API).
    pub fn store(&self) -> &Store {
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

    // ----- publishing -------------------------------------------------------------

    /// Signs, stores (flushed) and publishes a new document of `kind`.
    pub async fn publish(&self, kind: Kind, body: Vec<u8>) -> Result<VerifiedRecord, NodeError> {
        if kind == Kind::Retraction {
            return Err(NodeError::BadRequest(
                "retractions are made with retract, not publish".into(),
            ));
        }
        self.check_rules(kind, &body, None)?;
        self.append_and_publish(kind, body, None).await
    }

    /// Publishes a new version of one of this school's documents.
    pub async fn update(&self, doc: RecordId, body: Vec<u8>) -> Result<VerifiedRecord, NodeError> {
        let first = self.own_document(&doc)?;
        let kind = first.kind();
        if kind == Kind::Retraction {
            return Err(NodeError::Rule("a retraction cannot be updated".into()));
        }
        self.check_rules(kind, &body, Some(&doc))?;
        self.append_and_publish(kind, body, Some(doc)).await
    }

    /// Retracts one of this school's documents: its bodies are purged on every node.
    pub async fn retract(
        &self,
        doc: RecordId,
        reason: Option<String>,
    ) -> Result<VerifiedRecord, NodeError> {
        let first = self.own_document(&doc)?;
        if first.kind() == Kind::Retraction {
            return Err(NodeError::Rule("a retraction cannot be retracted".into()));
        }
        let mut body = serde_json::json!({ "doc": doc.to_string() });
        if let Some(reason) = reason.filter(|reason| !reason.trim().is_empty()) {
            body["reason"] = serde_json::json!({ language_of(&reason): reason });
        }
        let family = first.kind().topic_family();
        let record = self.append(Kind::Retraction, body.to_string().into_bytes(), None)?;
        self.broadcast(&record, family).await;
        Ok(record)
    }

    /// The first version of a document of this school that is not retracted.
    fn own_document(&self, doc: &RecordId) -> Result<VerifiedRecord, NodeError> {
        let Some(first) = self.inner.store.get(doc)? else {
            return Err(NodeError::NotFound(format!("document {doc}")));
        };
        if first.record.author() != self.inner.school_id {
            return Err(NodeError::Rule(format!(
                "only the author may change or retract document {doc}"
            )));
        }
        if first.record.header().doc.is_some() {
            return Err(NodeError::BadRequest(format!(
                "{doc} is a later version; name the document by its first version's id ({})",
                first.record.doc()
            )));
        }
        if first.retracted {
            return Err(NodeError::Rule(format!(
                "document {doc} has been retracted"
            )));
        }
        Ok(first.record)
    }

    /// Protocol rules that depend on held records (mentoring rules live with the
    /// mentoring module); body validation itself happens when signing.
    fn check_rules(
        &self,
        kind: Kind,
        body: &[u8],
        doc: Option<&RecordId>,
    ) -> Result<(), NodeError> {
        crate::rules::check_local(self, kind, body, doc)
    }

    fn append(
        &self,
        kind: Kind,
        body: Vec<u8>,
        doc: Option<RecordId>,
    ) -> Result<VerifiedRecord, NodeError> {
        if body.len() > ensemble_core::limits::MAX_BODY_BYTES {
            return Err(NodeError::TooLarge {
                what: "body",
                size: body.len(),
                limit: ensemble_core::limits::MAX_BODY_BYTES,
            });
        }
        let draft = Draft {
            network: self.inner.options.network.clone(),
            kind,
            doc,
            body,
        };
        let record = self
            .inner
            .store
            .append(&self.inner.key, draft, ensemble_core::now_ms())
            .map_err(|error| match error {
                ensemble_store::Error::Record(error) => NodeError::from_record(error),
                other => NodeError::Store(other),
            })?;
        self.announce(&record);
        Ok(record)
    }

    async fn append_and_publish(
        &self,
        kind: Kind,
        body: Vec<u8>,
        doc: Option<RecordId>,
    ) -> Result<VerifiedRecord, NodeError> {
        let record = self.append(kind, body, doc)?;
        self.broadcast(&record, kind.topic_family()).await;
        Ok(record)
    }

    /// Publishes a stored record on its network topic and its author's school topic.
    /// Failure to reach anyone is not an error: the record is stored and sync carries it.
    async fn broadcast(&self, record: &VerifiedRecord, family: TopicFamily) {
        let topics = vec![
            topic::network(&record.header().network, family),
            topic::school(&record.author()),
        ];
        let outcome = match self.inner.net.publish(topics, record.to_wire()).await {
            Ok(outcome) if !outcome.delivered_topics.is_empty() => "delivered",
            Ok(_) => "stored_only",
            Err(error) => {
                warn!(%error, id = %record.id(), "publish failed; sync will deliver the record");
                "stored_only"
            }
        };
        self.inner
            .metrics
            .published
            .get_or_create(&PublishLabels {
                kind: record.kind().as_str().into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// Publishes the school profile from the configuration when the log has none.
    async fn ensure_profile(&self) -> Result<(), NodeError> {
        let has_profile = self
            .inner
            .store
            .latest(Kind::SchoolProfile)?
            .iter()
            .any(|record| record.author() == self.inner.school_id);
        if has_profile {
            return Ok(());
        }
        let options = &self.inner.options;
        let body = serde_json::json!({
            "name": { language_of(&options.name): options.name },
            "region": options.region,
            "roles": options.roles,
        });
        self.append_and_publish(Kind::SchoolProfile, body.to_string().into_bytes(), None)
            .await?;
        Ok(())
    }

    // ----- ingest -----------------------------------------------------------------

    /// The single door for foreign records: decode, scope and block checks, batch
    /// verification, store (group commit). Runs on a blocking thread.
    pub async fn ingest(&self, wires: Vec<Vec<u8>>, origin: Origin) -> Vec<IngestReport> {
        let node = self.clone();
        let count = wires.len();
        match tokio::task::spawn_blocking(move || node.ingest_blocking(wires, origin)).await {
            Ok(reports) => reports,
            Err(error) => {
                warn!(%error, "ingest task failed");
                vec![IngestReport::ignored(None, "ingest task failed".into()); count]
            }
        }
    }

    fn ingest_blocking(&self, wires: Vec<Vec<u8>>, origin: Origin) -> Vec<IngestReport> {
        let now = ensemble_core::now_ms();
        let mut reports: Vec<Option<IngestReport>> = vec![None; wires.len()];
        let mut candidates = Vec::new();
        let mut slots = Vec::new();
        for (index, wire) in wires.iter().enumerate() {
            match self.precheck(wire, origin) {
                Ok(record) => {
                    slots.push((index, Decoded::of(&record)));
                    candidates.push(record);
                }
                Err(report) => reports[index] = Some(*report),
            }
        }
        let mut accepted = Vec::new();
        let mut accepted_slots = Vec::new();
        for (result, (index, decoded)) in ensemble_core::verify_batch(candidates, now)
            .into_iter()
            .zip(slots)
        {
            match result {
                Ok(record) => {
                    accepted.push(record);
                    accepted_slots.push(index);
                }
                Err(error) => reports[index] = Some(IngestReport::refused(Some(decoded), &error)),
            }
        }
        // A sync page is all-or-nothing: a peer that serves one invalid record is not
        // trusted for any record of that response.
        let poisoned = origin == Origin::Sync
            && reports
                .iter()
                .flatten()
                .any(|report| report.verdict == Verdict::Reject);
        let outcomes = if poisoned {
            Err("the page holding it carried invalid records".to_string())
        } else {
            self.inner
                .store
                .ingest_batch(&accepted)
                .map_err(|error| format!("store error: {error}"))
        };
        let mut newly_stored = Vec::new();
        match outcomes {
            Ok(outcomes) => {
                for ((record, outcome), index) in accepted.iter().zip(outcomes).zip(accepted_slots)
                {
                    let decoded = Decoded::of_verified(record);
                    reports[index] = Some(if outcome == Ingested::Duplicate {
                        IngestReport::ignored(Some(decoded), "already held".into())
                    } else {
                        newly_stored.push(record);
                        if outcome == Ingested::Fork {
                            warn!(author = %record.author(), seq = record.seq(), "fork evidence stored");
                        }
                        IngestReport {
                            gap: matches!(outcome, Ingested::Stored { gap: true }),
                            stored: true,
                            ..IngestReport::new(Some(decoded), Verdict::Accept, None)
                        }
                    });
                }
            }
            Err(reason) => {
                if !poisoned {
                    warn!(%reason, "store refused a batch");
                }
                for (record, index) in accepted.iter().zip(accepted_slots) {
                    let decoded = Decoded::of_verified(record);
                    reports[index] = Some(IngestReport::ignored(Some(decoded), reason.clone()));
                }
            }
        }
        let reports: Vec<IngestReport> = reports
            .into_iter()
            .map(|report| {
                report.unwrap_or_else(|| IngestReport::ignored(None, "not processed".into()))
            })
            .collect();
        self.count_verdicts(&reports, origin);
        // Announced after the counters: whoever sees a record stored also sees the
        // verdicts of everything that came with it.
        for record in newly_stored {
            self.announce(record);
        }
        reports
    }

    /// Checks that need no signature: decoding, replication scope, blocks, duplicates.
    fn precheck(&self, wire: &[u8], origin: Origin) -> Result<SignedRecord, Box<IngestReport>> {
        let record = SignedRecord::from_wire(wire)
            .map_err(|error| Box::new(IngestReport::refused(None, &error)))?;
        let decoded = Decoded::of(&record);
        let author = decoded.author;
        let ignore = |reason: String| Box::new(IngestReport::ignored(Some(decoded), reason));
        let store = &self.inner.store;
        match store.is_blocked(&author) {
            Ok(true) => return Err(ignore(format!("author {author} is blocked"))),
            Ok(false) => {}
            Err(error) => return Err(ignore(format!("store error: {error}"))),
        }
        if origin != Origin::Import
            && record.header().network != self.inner.options.network
            && author != self.inner.school_id
            && !store.is_followed(&author).unwrap_or(false)
        {
            return Err(ignore(format!(
                "network {} is not replicated here and its author is not followed",
                record.header().network
            )));
        }
        match store.contains(&record.id()) {
            Ok(true) => Err(ignore("already held".into())),
            Ok(false) => Ok(record),
            Err(error) => Err(ignore(format!("store error: {error}"))),
        }
    }

    fn count_verdicts(&self, reports: &[IngestReport], origin: Origin) {
        let mut verdicts = self.inner.verdicts.lock().ok();
        for report in reports {
            let verdict = match report.verdict {
                Verdict::Accept => "accept",
                Verdict::Ignore => "ignore",
                Verdict::Reject => "reject",
            };
            self.inner
                .metrics
                .ingested
                .get_or_create(&IngestLabels {
                    kind: report.kind.map_or("unknown", Kind::as_str).into(),
                    verdict: verdict.into(),
                    origin: origin.as_str().into(),
                })
                .inc();
            if origin != Origin::Import
                && let Some(verdicts) = verdicts.as_mut()
            {
                match report.verdict {
                    Verdict::Accept => verdicts.accepted += 1,
                    Verdict::Ignore => verdicts.ignored += 1,
                    Verdict::Reject => verdicts.rejected += 1,
                }
            }
        }
    }

    async fn run_events(self, mut events: mpsc::Receiver<ensemble_net::Event>) {
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

    // ----- export / import ----------------------------------------------------------

    /// Every stored record as one bundle.
    pub fn export(&self) -> Result<Vec<u8>, NodeError> {
        let mut out = bundle::new_bundle();
        for record in self.inner.store.iter() {
            bundle::push_record(&mut out, &record?.to_wire());
        }
        Ok(out)
    }

    /// Ingests a bundle, verifying every record: bad ones are named and skipped.
    pub async fn import(&self, bundle_bytes: &[u8]) -> Result<ImportReport, NodeError> {
        let wires: Vec<Vec<u8>> = bundle::split(bundle_bytes)
            .map_err(|error| NodeError::BadRequest(error.to_string()))?
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        let reports = self.ingest(wires, Origin::Import).await;
        let mut report = ImportReport {
            imported: 0,
            duplicates: 0,
            skipped: Vec::new(),
        };
        for (index, outcome) in reports.into_iter().enumerate() {
            match (outcome.verdict, outcome.stored) {
                (Verdict::Accept, _) => report.imported += 1,
                (Verdict::Ignore, false) if outcome.reason.as_deref() == Some("already held") => {
                    report.duplicates += 1
                }
                _ => report.skipped.push(SkippedRecord {
                    index,
                    id: outcome.id.map(|id| id.to_string()),
                    reason: outcome.reason.unwrap_or_else(|| "refused".into()),
                }),
            }
        }
        Ok(report)
    }

    // ----- peers, follows, blocks ---------------------------------------------------

    /// Connected peers with what is known of their schools.
    pub async fn peers(&self) -> Result<Vec<PeerView>, NodeError> {
        let peers = self.inner.net.peers().await?;
        let names = self.school_names()?;
        let mine = self.subscribed_topics()?;
        Ok(peers
            .into_iter()
            .map(|peer| {
                let school = peer.school_id;
                PeerView {
                    peer_id: peer.peer_id.to_string(),
                    school_id: school.map(|school| school.to_string()),
                    name: school.and_then(|school| names.get(&school).cloned()),
                    addresses: peer.addresses.iter().map(ToString::to_string).collect(),
                    connected_since_ms: peer.connected_since_ms,
                    topics: peer
                        .topics
                        .into_iter()
                        .filter(|topic| mine.contains(topic))
                        .collect(),
                }
            })
            .collect())
    }

    /// School names from the latest profiles held.
    pub fn school_names(&self) -> Result<HashMap<SchoolId, String>, NodeError> {
        let mut names = HashMap::new();
        for record in self.inner.store.latest(Kind::SchoolProfile)? {
            if let Some(Body::SchoolProfile(profile)) = record.body()
                && let Some(name) = profile.name.best("ru")
            {
                names
                    .entry(record.author())
                    .or_insert_with(|| name.to_string());
            }
        }
        Ok(names)
    }

    /// Follows a school: subscribes to its topic and syncs its history.
    pub async fn follow(&self, school: SchoolId) -> Result<bool, NodeError> {
        if school == self.inner.school_id {
            return Err(NodeError::BadRequest(
                "a school cannot follow itself".into(),
            ));
        }
        let added = self.inner.store.follow(&school)?;
        self.inner.net.subscribe(topic::school(&school)).await?;
        self.inner.sync.trigger_all();
        Ok(added)
    }

    /// Stops following a school.
    pub async fn unfollow(&self, school: SchoolId) -> Result<bool, NodeError> {
        let removed = self.inner.store.unfollow(&school)?;
        self.inner.net.unsubscribe(topic::school(&school)).await?;
        Ok(removed)
    }

    /// Blocks a school (by school id) or a peer (by peer id).
    pub async fn block(&self, target: &str) -> Result<bool, NodeError> {
        match parse_block_target(target)? {
            BlockTarget::School(school) => Ok(self.inner.store.block(&Block::School(school))?),
            BlockTarget::Peer(peer) => {
                let added = self.inner.store.block(&Block::Peer(peer.to_string()))?;
                self.inner.net.block_peer(peer).await?;
                Ok(added)
            }
        }
    }

    /// Removes a block.
    pub async fn unblock(&self, target: &str) -> Result<bool, NodeError> {
        match parse_block_target(target)? {
            BlockTarget::School(school) => Ok(self.inner.store.unblock(&Block::School(school))?),
            BlockTarget::Peer(peer) => {
                let removed = self.inner.store.unblock(&Block::Peer(peer.to_string()))?;
                self.inner.net.unblock_peer(peer).await?;
                Ok(removed)
            }
        }
    }

    /// Runs a sync round now with one peer, or with every connected peer.
    pub async fn sync_now(&self, peer: Option<PeerId>) -> Result<Vec<SyncStats>, NodeError> {
        let peers = match peer {
            Some(peer) => vec![peer],
            None => self
                .inner
                .net
                .peers()
                .await?
                .into_iter()
                .map(|peer| peer.peer_id)
                .collect(),
        };
        let mut results = Vec::new();
        for peer in peers {
            results.push(sync::sync_with(self, peer).await);
        }
        Ok(results)
    }

    /// Sync statistics per peer.
    pub fn sync_status(&self) -> Vec<SyncStats> {
        self.inner.sync.stats()
    }

    /// Dials an address (tests and `--bootstrap` at runtime).
    pub async fn dial(&self, address: Multiaddr) -> Result<(), NodeError> {
        Ok(self.inner.net.dial(address).await?)
    }
}

enum BlockTarget {
    School(SchoolId),
    Peer(PeerId),
}

fn parse_block_target(target: &str) -> Result<BlockTarget, NodeError> {
    let target = target.trim();
    if let Ok(school) = target.parse::<SchoolId>() {
        return Ok(BlockTarget::School(school));
    }
    if let Ok(peer) = target.parse::<PeerId>() {
        return Ok(BlockTarget::Peer(peer));
    }
    Err(NodeError::BadRequest(format!(
        "{target:?} is neither a school id (b…, 53 characters) nor a peer id (12D3KooW…)"
    )))
}

/// `ru` for text with Cyrillic letters, else `en`: the language of a one-line text the
/// user typed (school name, retraction reason).
pub fn language_of(text: &str) -> &'static str {
    if text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)) {
        "ru"
    } else {
        "en"
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
