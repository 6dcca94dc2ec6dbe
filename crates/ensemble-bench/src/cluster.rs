//! Starting real nodes for a scenario: TCP with Noise and Yamux on 127.0.0.1, HTTP on
//! port 0, each node in its own temporary data directory under the bench's work
//! directory, production settings otherwise (gossipsub heartbeat, sync interval,
//! sled cache). Waiting is on events with a deadline (for subscribers, through
//! [`Node::wait_for_subscribers`], the same wait the multi-node tests use); the one
//! exception is the gossip mesh, which gossipsub changes without telling anyone (see
//! [`wait_for_mesh`]).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ensemble_api::Daemon;
use ensemble_core::{Kind, SchoolKey, TopicFamily, VerifiedRecord, topic};
use ensemble_node::config::{self, Options};
use ensemble_node::{Multiaddr, Node};
use tokio::time::{Instant, timeout_at};

/// The network every bench node and generated record belongs to.
pub const NETWORK: &str = "bench-net";
/// Longest wait for anything a scenario expects to happen (a node to start, peers to
/// subscribe, a catch-up of 100 k records to be stored).
pub const WAIT: Duration = Duration::from_secs(120);
/// Token of every bench daemon's API.
pub const TOKEN: &str = "bench-token";
/// How often [`wait_for_mesh`] asks gossipsub for its mesh sizes.
const MESH_POLL: Duration = Duration::from_millis(25);

/// The key of bench node `name`: fixed, so runs are comparable.
pub fn node_key(name: &str) -> SchoolKey {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"ensemble-bench node ");
    hasher.update(name.as_bytes());
    SchoolKey::from_seed(*hasher.finalize().as_bytes())
}

/// Production options for a loopback node in `dir`, dialling `bootstrap` at start.
pub fn options(dir: &Path, name: &str, bootstrap: &[Multiaddr]) -> Result<Options> {
    let text = config::render_initial(name, NETWORK, &["school".to_string()], NETWORK);
    let mut file = config::File::parse(&text)?;
    file.network.listen = Some(vec!["/ip4/127.0.0.1/tcp/0".into()]);
    file.network.bootstrap = Some(bootstrap.iter().map(ToString::to_string).collect());
    file.network.mdns = Some(false);
    file.api.listen = Some("127.0.0.1:0".into());
    Ok(file.into_options(dir.to_path_buf())?)
}

/// Starts a node (no HTTP) in `dir`.
pub async fn start_node(dir: &Path, name: &str, bootstrap: &[Multiaddr]) -> Result<Node> {
    let options = options(dir, name, bootstrap)?;
    Node::start(options, node_key(name))
        .await
        .with_context(|| format!("starting node {name}"))
}

/// Starts a node with its HTTP API in `dir`.
pub async fn start_daemon(dir: &Path, name: &str, bootstrap: &[Multiaddr]) -> Result<Daemon> {
    let options = options(dir, name, bootstrap)?;
    Daemon::start(options, node_key(name), TOKEN.into())
        .await
        .with_context(|| format!("starting daemon {name}"))
}

/// A node's first listen address, ending in `/p2p/<peer id>`.
pub fn address(node: &Node) -> Result<Multiaddr> {
    node.listen_addrs()
        .into_iter()
        .next()
        .context("the node listens nowhere")
}

/// The catalog topic of the bench network: where practices travel.
pub fn catalog_topic() -> String {
    topic::network(NETWORK, TopicFamily::Catalog)
}

/// Waits until `mesh_size()` reports at least `size` peers in the catalog mesh.
/// Gossipsub grafts on its heartbeat and emits no event for it, so this asks every
/// [`MESH_POLL`] until the deadline — the one place a scenario polls.
pub async fn wait_for_mesh<F, Fut>(mut mesh_size: F, size: usize, wait: Duration) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize>>,
{
    let deadline = Instant::now() + wait;
    loop {
        let current = mesh_size().await?;
        if current >= size {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("catalog mesh has {current} of {size} peers after {wait:?}");
        }
        tokio::time::sleep(MESH_POLL).await;
    }
}

/// Practice documents among `records` (first versions): what the search index holds
/// once it has caught up.
pub fn practice_documents(records: &[VerifiedRecord]) -> u64 {
    records
        .iter()
        .filter(|record| record.kind() == Kind::Practice && record.header().doc.is_none())
        .count() as u64
}

/// Waits until the node's search index holds `documents` practice documents: the
/// indexer follows the store asynchronously and says so on every commit.
pub async fn wait_until_indexed(node: &Node, documents: u64, wait: Duration) -> Result<()> {
    let index = node.search_index();
    let mut commits = index.commits();
    let deadline = Instant::now() + wait;
    loop {
        commits.borrow_and_update();
        let indexed = index.len();
        if indexed >= documents {
            return Ok(());
        }
        if timeout_at(deadline, commits.changed()).await.is_err() {
            bail!("{indexed} of {documents} practices indexed within {wait:?}");
        }
    }
}

/// This process's memory as `/proc/self/status` reports it, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resident {
    /// Resident now (`VmRSS`).
    pub rss: u64,
    /// Resident at the peak (`VmHWM`).
    pub peak: u64,
    /// Resident anonymous memory: heap and stacks (`RssAnon`).
    pub anon: u64,
    /// Resident pages of mapped files, e.g. an mmapped index (`RssFile`).
    pub file: u64,
}

/// This process's resident memory; `None` where there is no procfs.
pub fn resident() -> Option<Resident> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|line| line.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some(Resident {
        rss: field("VmRSS:")?,
        peak: field("VmHWM:")?,
        anon: field("RssAnon:")?,
        file: field("RssFile:")?,
    })
}

/// Bytes of every file under `path`.
pub fn disk_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(metadata) if metadata.is_dir() => disk_bytes(&entry.path()),
            Ok(metadata) => metadata.len(),
            Err(_) => 0,
        })
        .sum()
}
