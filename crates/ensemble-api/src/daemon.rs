//! A node together with its HTTP server: what `ensemble run`, `ensemble demo` and the
//! multi-node tests start.
//!
//! Shutdown order: HTTP first (no new writes), then the node (tasks, network), and the
//! store is flushed last.

use std::net::SocketAddr;

use ensemble_core::SchoolKey;
use ensemble_node::config::Options;
use ensemble_node::data_dir::NodeFile;
use ensemble_node::{Node, NodeError};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running node and HTTP server.
pub struct Daemon {
    /// The node.
    pub node: Node,
    /// Base URL of the HTTP API.
    pub api_url: String,
    /// The bound HTTP address.
    pub api_addr: SocketAddr,
    /// The API token.
    pub token: String,
    http_shutdown: CancellationToken,
    http_task: JoinHandle<std::io::Result<()>>,
}

impl Daemon {
    /// Starts the node, binds the HTTP listener (port 0 allowed) and serves.
    pub async fn start(
        options: Options,
        key: SchoolKey,
        token: String,
    ) -> Result<Daemon, NodeError> {
        let listener = TcpListener::bind(options.api_listen)
            .await
            .map_err(|error| {
                NodeError::Config(format!("api.listen {}: {error}", options.api_listen))
            })?;
        let api_addr = listener
            .local_addr()
            .map_err(|error| NodeError::Config(format!("api.listen: {error}")))?;
        let node = Node::start(options, key).await?;
        let http_shutdown = CancellationToken::new();
        let http_task = tokio::spawn(crate::serve(
            node.clone(),
            token.clone(),
            listener,
            http_shutdown.clone(),
        ));
        Ok(Daemon {
            api_url: format!("http://{api_addr}"),
            api_addr,
            node,
            token,
            http_shutdown,
            http_task,
        })
    }

    /// What `node.json` holds for this daemon.
    pub fn node_file(&self) -> NodeFile {
        NodeFile {
            api: self.api_url.clone(),
            listen: self
                .node
                .listen_addrs()
                .iter()
                .map(ToString::to_string)
                .collect(),
            peer_id: self.node.peer_id().to_string(),
            school_id: self.node.school_id().to_string(),
            pid: std::process::id(),
        }
    }

    /// A client for this daemon, with its token.
    pub fn client(&self) -> crate::Client {
        crate::Client::new(&self.api_url, Some(self.token.clone()))
    }

    /// Stops HTTP, then the node; flushes the store last.
    pub async fn stop(self) {
        self.http_shutdown.cancel();
        let _ = self.http_task.await;
        self.node.shutdown().await;
    }
}
