//! Local choices of this node that are not records: connected peers, follows (which
//! schools of other networks to replicate), blocks, and on-demand sync and dials.

use std::collections::HashMap;

use ensemble_core::body::Body;
use ensemble_core::{Kind, SchoolId, topic};
use ensemble_net::{Multiaddr, PeerId};
use ensemble_store::Block;
use serde::Serialize;

use super::Node;
use crate::error::NodeError;
use crate::sync;
use crate::sync::SyncStats;

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

impl Node {
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
