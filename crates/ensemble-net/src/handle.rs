//! [`NetworkHandle`]: the cloneable client of the event loop.

use std::{collections::BTreeMap, fmt, time::Duration};

use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use crate::{
    Error, MessageRef, PeerInfo, PublishOutcome, SyncResponder, Verdict,
    metrics::Metrics,
    sync_wire::{SyncRequest, SyncResponse},
};

/// Commands from handles to the event loop. Those that expect an answer carry a
/// one-shot sender; a dropped sender tells the caller the loop stopped.
#[derive(Debug)]
pub(crate) enum Command {
    ListenAddrs {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
    WaitListening {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
    Subscribe {
        topic: String,
        reply: oneshot::Sender<Result<bool, Error>>,
    },
    Unsubscribe {
        topic: String,
        reply: oneshot::Sender<bool>,
    },
    Publish {
        topics: Vec<String>,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<PublishOutcome, Error>>,
    },
    ReportValidation {
        message: MessageRef,
        verdict: Verdict,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    MeshSizes {
        reply: oneshot::Sender<BTreeMap<String, usize>>,
    },
    Disconnect {
        peer: PeerId,
        reply: oneshot::Sender<()>,
    },
    Block {
        peer: PeerId,
        reply: oneshot::Sender<()>,
    },
    Unblock {
        peer: PeerId,
        reply: oneshot::Sender<()>,
    },
    SyncRequest {
        peer: PeerId,
        request: SyncRequest,
        reply: oneshot::Sender<Result<SyncResponse, Error>>,
    },
    RespondSync {
        responder: SyncResponder,
        response: SyncResponse,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

/// The node's handle on the network. Cheap to clone; every method talks to the one task
/// that owns the swarm. Once that task has stopped, methods return [`Error::Stopped`]
/// (or, for the non-blocking ones, do nothing).
#[derive(Clone)]
pub struct NetworkHandle {
    commands: mpsc::Sender<Command>,
    local_peer_id: PeerId,
    metrics: Metrics,
}

impl fmt::Debug for NetworkHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkHandle")
            .field("local_peer_id", &self.local_peer_id)
            .field("stopped", &self.commands.is_closed())
            .finish()
    }
}

impl NetworkHandle {
    pub(crate) fn new(
        commands: mpsc::Sender<Command>,
        local_peer_id: PeerId,
        metrics: Metrics,
    ) -> NetworkHandle {
        NetworkHandle {
            commands,
            local_peer_id,
            metrics,
        }
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// The addresses we listen on, each ending in `/p2p/<our peer id>` so they can be
    /// handed to another node as is.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, Error> {
        self.ask(|reply| Command::ListenAddrs { reply }).await
    }

    /// Waits until every configured listener has a concrete address (port 0 resolved),
    /// then returns [`NetworkHandle::listen_addrs`]. A listener that failed no longer
    /// counts.
    pub async fn wait_listening(&self, timeout: Duration) -> Result<Vec<Multiaddr>, Error> {
        tokio::time::timeout(timeout, self.ask(|reply| Command::WaitListening { reply }))
            .await
            .map_err(|_| Error::Timeout("listen addresses"))?
    }

    /// Subscribes to a gossip topic; `false` when already subscribed.
    pub async fn subscribe(&self, topic: String) -> Result<bool, Error> {
        self.ask(|reply| Command::Subscribe { topic, reply })
            .await?
    }

    /// Unsubscribes from a gossip topic; `false` when not subscribed.
    pub async fn unsubscribe(&self, topic: String) -> Result<bool, Error> {
        self.ask(|reply| Command::Unsubscribe { topic, reply })
            .await
    }

    /// Publishes the same bytes on each topic. Topics without subscribed peers are
    /// reported in the outcome, not as an error: sync delivers those records later.
    pub async fn publish(
        &self,
        topics: Vec<String>,
        data: Vec<u8>,
    ) -> Result<PublishOutcome, Error> {
        self.ask(|reply| Command::Publish {
            topics,
            data,
            reply,
        })
        .await?
    }

    /// Reports the node's verdict on a gossip message. Never blocks: when the network's
    /// queue is full the report is dropped (and counted), and gossipsub drops the
    /// message unforwarded when its validation window ends.
    pub fn report_validation(&self, message: MessageRef, verdict: Verdict) {
        self.send_now(
            Command::ReportValidation { message, verdict },
            "report_validation",
        );
    }

    /// Dials an address (with or without `/p2p/`). Resolves when the connection is
    /// established or the dial failed; already being connected to the address's peer is
    /// success.
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), Error> {
        self.ask(|reply| Command::Dial { addr, reply }).await?
    }

    /// The connected peers.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, Error> {
        self.ask(|reply| Command::Peers { reply }).await
    }

    /// Mesh size per subscribed topic.
    pub async fn mesh_sizes(&self) -> Result<BTreeMap<String, usize>, Error> {
        self.ask(|reply| Command::MeshSizes { reply }).await
    }

    /// Closes every connection to the peer now. Unlike [`NetworkHandle::block_peer`] it
    /// may connect again (and a bootstrap peer is redialled). Not connected is success.
    pub async fn disconnect(&self, peer: PeerId) -> Result<(), Error> {
        self.ask(|reply| Command::Disconnect { peer, reply }).await
    }

    /// Disconnects the peer now and refuses its connections (both directions) until
    /// [`NetworkHandle::unblock_peer`].
    pub async fn block_peer(&self, peer: PeerId) -> Result<(), Error> {
        self.ask(|reply| Command::Block { peer, reply }).await
    }

    /// Lifts a block; the peer may connect again.
    pub async fn unblock_peer(&self, peer: PeerId) -> Result<(), Error> {
        self.ask(|reply| Command::Unblock { peer, reply }).await
    }

    /// Sends a sync request (dialling the peer if needed) and waits for its answer, at
    /// most the protocol timeout. Any failure is [`Error::Sync`].
    pub async fn sync_request(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> Result<SyncResponse, Error> {
        self.ask(|reply| Command::SyncRequest {
            peer,
            request,
            reply,
        })
        .await?
    }

    /// Answers a peer's sync request. Never blocks: when the network's queue is full the
    /// answer is dropped (and counted) and the peer sees the request fail.
    pub fn respond_sync(&self, channel: SyncResponder, response: SyncResponse) {
        self.send_now(
            Command::RespondSync {
                responder: channel,
                response,
            },
            "respond_sync",
        );
    }

    /// Stops the event loop and waits until the swarm (listeners, connections) is gone.
    /// Other handles get [`Error::Stopped`] afterwards. Harmless when already stopped.
    pub async fn shutdown(&self) {
        // Either error means the loop is already gone, which is what we want.
        let _ = self.ask(|reply| Command::Shutdown { reply }).await;
    }

    /// Sends a command and awaits its reply.
    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)
    }

    /// Queues a command without waiting; counts it when dropped.
    fn send_now(&self, command: Command, kind: &'static str) {
        match self.commands.try_send(command) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::debug!(command = kind, "network command queue full, dropping");
                self.metrics.command_dropped(kind);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::debug!(command = kind, "network stopped, dropping");
            }
        }
    }
}
