//! Waiting for the network to be ready: until enough connected peers share one of
//! this node's topics, so that what is published next reaches them by gossip.
//!
//! This is for the code that drives nodes from outside — the multi-node tests and the
//! benchmark — and for tools that publish right after start. It owns no state: it
//! re-reads [`Node::peers`] each time [`Node::network_changes`] moves, under one
//! deadline, and never polls on a timer.

use std::time::Duration;

use ensemble_core::{TopicFamily, topic};
use tokio::time::{Instant, timeout_at};

use crate::{Node, NodeError};

/// Why a wait ended without the peers it wanted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The deadline passed first; `ready` says how far it got.
    #[error("{ready} of {wanted} peers subscribed to {topic} within {wait:?}")]
    Timeout {
        /// The topic waited on.
        topic: String,
        /// Peers subscribed when the deadline passed.
        ready: usize,
        /// Peers wanted.
        wanted: usize,
        /// How long the wait was.
        wait: Duration,
    },
    /// The node stopped while waiting: no further change can come.
    #[error("the node stopped while waiting for subscribers to {topic}")]
    Stopped {
        /// The topic waited on.
        topic: String,
    },
    /// The node could not list its peers.
    #[error(transparent)]
    Node(#[from] NodeError),
}

impl Node {
    /// Waits until at least `peers` connected peers are subscribed to this node's
    /// `family` topic of its network, for at most `wait`.
    ///
    /// Returns at once when they already are. Each network change (a connection, a
    /// disconnection, a subscription) wakes the wait to count again; nothing sleeps.
    pub async fn wait_for_subscribers(
        &self,
        family: TopicFamily,
        peers: usize,
        wait: Duration,
    ) -> Result<(), Error> {
        let topic = topic::network(&self.options().network, family);
        let deadline = Instant::now() + wait;
        // Subscribe before the first count, so that no change between the two is missed.
        let mut changes = self.network_changes();
        loop {
            changes.borrow_and_update();
            let ready = self
                .peers()
                .await?
                .iter()
                .filter(|peer| peer.topics.contains(&topic))
                .count();
            if ready >= peers {
                return Ok(());
            }
            match timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) => return Err(Error::Stopped { topic }),
                Err(_) => {
                    return Err(Error::Timeout {
                        topic,
                        ready,
                        wanted: peers,
                        wait,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;
    use ensemble_core::SchoolKey;

    /// How long the lone node waits for a peer that cannot come.
    const SHORT_WAIT: Duration = Duration::from_millis(300);

    async fn lone_node(dir: &std::path::Path) -> Node {
        let text = config::render_initial("Одна школа", "wait-net", &["school".into()], "wait-net");
        let mut file = config::File::parse(&text).expect("initial config parses");
        file.network.listen = Some(vec!["/ip4/127.0.0.1/tcp/0".into()]);
        file.network.mdns = Some(false);
        let options = file
            .into_options(dir.to_path_buf())
            .expect("options from the initial config");
        Node::start(options, SchoolKey::from_seed([7; 32]))
            .await
            .expect("node starts")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn zero_subscribers_are_there_at_once_and_a_missing_one_times_out() {
        let dir = tempfile::tempdir().expect("temp dir");
        let node = lone_node(dir.path()).await;
        node.wait_for_subscribers(TopicFamily::Catalog, 0, Duration::ZERO)
            .await
            .expect("nobody to wait for");
        match node
            .wait_for_subscribers(TopicFamily::Catalog, 1, SHORT_WAIT)
            .await
        {
            Err(Error::Timeout {
                topic,
                ready,
                wanted,
                wait,
            }) => {
                assert_eq!(topic, "ensemble/1/wait-net/catalog");
                assert_eq!((ready, wanted, wait), (0, 1, SHORT_WAIT));
            }
            other => panic!("a lone node has no subscriber: {other:?}"),
        }
        node.shutdown().await;
    }
}
