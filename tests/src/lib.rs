//! Multi-node test harness: real nodes (libp2p over TCP with Noise and Yamux on
//! 127.0.0.1, HTTP on port 0) in one process, each with its own temporary data
//! directory. Waiting is always on events with a timeout, never on bare sleeps.

pub mod fuzz;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ensemble_api::{Client, Daemon};
use ensemble_core::{Kind, RecordId, SchoolKey, TopicFamily};
use ensemble_node::config;
use ensemble_node::{Multiaddr, Node};
use tokio::time::{Instant, timeout_at};

/// The network every test node publishes in unless told otherwise.
pub const NETWORK: &str = "test-net";
/// Default wait for anything a test expects to happen.
pub const WAIT: Duration = Duration::from_secs(15);

/// How to start one node.
#[derive(Debug, Clone)]
pub struct Spec {
    /// School name.
    pub name: String,
    /// Network id.
    pub network: String,
    /// Peers to dial at start.
    pub bootstrap: Vec<Multiaddr>,
    /// Hub mode.
    pub hub: bool,
    /// Fixed key seed (to restart a node with the same identity).
    pub seed: Option<[u8; 32]>,
    /// Sync interval.
    pub sync_interval: Duration,
}

impl Spec {
    /// A plain school in [`NETWORK`].
    pub fn school(name: &str) -> Spec {
        Spec {
            name: name.to_string(),
            network: NETWORK.to_string(),
            bootstrap: Vec::new(),
            hub: false,
            seed: None,
            sync_interval: Duration::from_secs(300),
        }
    }

    /// With bootstrap peers.
    pub fn bootstrap(mut self, peers: &[&TestNode]) -> Spec {
        self.bootstrap = peers.iter().map(|peer| peer.address()).collect();
        self
    }

    /// In another network.
    pub fn network(mut self, network: &str) -> Spec {
        self.network = network.to_string();
        self
    }
}

/// A running test node.
pub struct TestNode {
    /// The node and its HTTP server.
    pub daemon: Option<Daemon>,
    /// Its data directory.
    pub dir: PathBuf,
    /// The key seed (restart with the same identity).
    pub seed: [u8; 32],
    /// What it was started with.
    pub spec: Spec,
    _temp: Option<tempfile::TempDir>,
}

fn seed_for(name: &str) -> [u8; 32] {
    *blake3::hash(name.as_bytes()).as_bytes()
}

/// Starts a node in a fresh temporary directory.
pub async fn start(spec: Spec) -> Result<TestNode> {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().to_path_buf();
    let mut node = start_in(&dir, spec).await?;
    node._temp = Some(temp);
    Ok(node)
}

/// Starts a star: the first spec is the hub, every other one dials it; returns once
/// the hub has every spoke and each spoke the hub on the catalog topic, so that
/// whatever is published next reaches everyone by gossip.
pub async fn start_star<const N: usize>(specs: [Spec; N]) -> Result<[TestNode; N]> {
    let mut specs = specs.into_iter();
    let hub = start(specs.next().context("a star needs a hub")?).await?;
    let mut nodes = vec![hub];
    for spec in specs {
        let spoke = start(spec.bootstrap(&[&nodes[0]])).await?;
        nodes.push(spoke);
    }
    nodes[0].wait_for_subscribers(N - 1, WAIT).await?;
    for spoke in &nodes[1..] {
        spoke.wait_for_subscribers(1, WAIT).await?;
    }
    nodes
        .try_into()
        .map_err(|_| anyhow::anyhow!("started a different number of nodes"))
}

/// Starts a node in `dir` (reusing its store when present).
pub async fn start_in(dir: &Path, spec: Spec) -> Result<TestNode> {
    let seed = spec.seed.unwrap_or_else(|| seed_for(&spec.name));
    let key = SchoolKey::from_seed(seed);
    let text = config::render_initial(
        &spec.name,
        &spec.network,
        &["school".to_string()],
        &spec.network,
    );
    let mut file = config::File::parse(&text)?;
    file.network.listen = Some(vec!["/ip4/127.0.0.1/tcp/0".into()]);
    file.network.bootstrap = Some(spec.bootstrap.iter().map(ToString::to_string).collect());
    file.network.mdns = Some(false);
    file.network.hub = Some(spec.hub);
    file.api.listen = Some("127.0.0.1:0".into());
    let mut options = file.into_options(dir.to_path_buf())?;
    options.sync_interval = spec.sync_interval;
    options.heartbeat_interval = Duration::from_millis(200);
    let daemon = Daemon::start(options, key, "test-token".into())
        .await
        .with_context(|| format!("starting {}", spec.name))?;
    Ok(TestNode {
        daemon: Some(daemon),
        dir: dir.to_path_buf(),
        seed,
        spec,
        _temp: None,
    })
}

impl TestNode {
    /// The running daemon.
    pub fn daemon(&self) -> &Daemon {
        self.daemon.as_ref().expect("node is running")
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.daemon().node
    }

    /// A client with the token.
    pub fn client(&self) -> Client {
        self.daemon().client()
    }

    /// The first listen address, with `/p2p/<peer id>`.
    pub fn address(&self) -> Multiaddr {
        self.node().listen_addrs()[0].clone()
    }

    /// Stops the node, keeping its data directory.
    pub async fn stop(&mut self) {
        if let Some(daemon) = self.daemon.take() {
            daemon.stop().await;
        }
    }

    /// Restarts a stopped node with the same identity and data, with new bootstrap peers.
    pub async fn restart(&mut self, bootstrap: Vec<Multiaddr>) -> Result<()> {
        self.stop().await;
        let mut spec = self.spec.clone();
        spec.seed = Some(self.seed);
        spec.bootstrap = bootstrap;
        let restarted = start_in(&self.dir, spec).await?;
        self.daemon = restarted.daemon;
        Ok(())
    }

    /// Publishes a practice with a distinctive title; returns its id.
    pub async fn publish_practice(&self, title: &str) -> Result<RecordId> {
        let record = self.node().publish(Kind::Practice, practice(title)).await?;
        Ok(record.id())
    }

    /// Waits until the record is stored here.
    pub async fn wait_for_record(&self, id: RecordId, wait: Duration) -> Result<()> {
        self.wait_for_records(&[id], wait).await
    }

    /// Waits until every record is stored here.
    pub async fn wait_for_records(&self, ids: &[RecordId], wait: Duration) -> Result<()> {
        let deadline = Instant::now() + wait;
        let mut events = self.node().stored_events();
        loop {
            let mut missing = 0;
            for id in ids {
                if !self.node().store().contains(id)? {
                    missing += 1;
                }
            }
            if missing == 0 {
                return Ok(());
            }
            match timeout_at(deadline, events.recv()).await {
                Err(_) => bail!(
                    "{}: {missing} of {} records not stored within {wait:?}",
                    self.spec.name,
                    ids.len()
                ),
                // Lagged or a new record: re-check the store.
                Ok(_) => continue,
            }
        }
    }

    /// Waits until at least `peers` peers are connected (whatever their topics).
    pub async fn wait_for_peers(&self, peers: usize, wait: Duration) -> Result<()> {
        let deadline = Instant::now() + wait;
        let mut changes = self.node().network_changes();
        loop {
            changes.borrow_and_update();
            let connected = self.node().peers().await?.len();
            if connected >= peers {
                return Ok(());
            }
            if timeout_at(deadline, changes.changed()).await.is_err() {
                bail!(
                    "{}: {connected} of {peers} peers connected within {wait:?}",
                    self.spec.name
                );
            }
        }
    }

    /// Waits until `peers` peers share this node's catalog topic (gossip can flow).
    pub async fn wait_for_subscribers(&self, peers: usize, wait: Duration) -> Result<()> {
        self.node()
            .wait_for_subscribers(TopicFamily::Catalog, peers, wait)
            .await
            .with_context(|| format!("{}: waiting for subscribers", self.spec.name))
    }
}

/// A valid practice body with the given title.
pub fn practice(title: &str) -> Vec<u8> {
    serde_json::json!({
        "title": {"ru": title},
        "summary": {"ru": "Краткое описание практики для проверки"},
        "problem": {"ru": "Учащиеся не понимают прочитанный текст"},
        "subjects": ["russian"],
        "grades": [5],
        "method": {"ru": "Приёмы смыслового чтения"},
        "language": ["ru"],
        "license": "CC-BY-4.0"
    })
    .to_string()
    .into_bytes()
}
