//! Connection hygiene as plain state: which duplicate connections to close, and when to
//! redial a bootstrap peer. No I/O; the event loop applies the decisions.

use std::time::{Duration, Instant};

use libp2p::{Multiaddr, PeerId, multiaddr::Protocol, swarm::ConnectionId};

/// Two connections to one peer in opposite directions established this close together
/// are a simultaneous dial (both sides dialled each other), not a stale connection plus
/// a reconnect: a restarted process takes far longer than this to come back.
pub(crate) const SIMULTANEOUS_DIAL_WINDOW: Duration = Duration::from_secs(1);

/// First redial delay for a bootstrap peer after a failed dial or a disconnect.
pub(crate) const BOOTSTRAP_BACKOFF_INITIAL: Duration = Duration::from_secs(1);

/// Longest redial delay: a hub back after an outage is found within a minute, and a
/// dead one costs one dial a minute.
pub(crate) const BOOTSTRAP_BACKOFF_MAX: Duration = Duration::from_secs(60);

/// One established connection, as the event loop remembers it.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub id: ConnectionId,
    pub established: Instant,
    /// Unix ms, for [`crate::PeerInfo::connected_since_ms`].
    pub established_ms: u64,
    pub remote_addr: Multiaddr,
    /// We dialled it (as opposed to accepting it).
    pub outbound: bool,
}

/// Which of a peer's connections to close so that one remains.
///
/// The newest connection wins: an older one is usually a stale leftover of a peer that
/// restarted with the same key and reconnected before the old connection was reaped
/// (rust-libp2p#5097; the old connection never carries the new process' subscriptions).
/// The exception is a simultaneous dial — a connection in each direction established
/// within [`SIMULTANEOUS_DIAL_WINDOW`]: both sides would then close "their older" one
/// and might close both, so both keep the connection dialled by the lower peer id.
pub(crate) fn connections_to_close(
    connections: &[Connection],
    local: &PeerId,
    remote: &PeerId,
) -> Vec<ConnectionId> {
    let Some(newest) = connections.iter().max_by_key(|c| c.established) else {
        return Vec::new();
    };
    let rival = connections
        .iter()
        .filter(|c| c.outbound != newest.outbound)
        .filter(|c| newest.established.duration_since(c.established) < SIMULTANEOUS_DIAL_WINDOW)
        .max_by_key(|c| c.established);
    let keep = match rival {
        Some(rival) => {
            // Keep the connection we dialled iff our peer id is the lower one; the remote
            // reaches the mirrored conclusion about the same connection.
            let keep_outbound = local < remote;
            if newest.outbound == keep_outbound {
                newest.id
            } else {
                rival.id
            }
        }
        None => newest.id,
    };
    connections
        .iter()
        .map(|c| c.id)
        .filter(|id| *id != keep)
        .collect()
}

/// A configured bootstrap address and its redial schedule.
#[derive(Debug)]
pub(crate) struct BootstrapTarget {
    pub addr: Multiaddr,
    /// From the address's `/p2p/` suffix, or learnt from the first connection.
    pub peer: Option<PeerId>,
    /// The dial in flight, if any.
    pub dialing: Option<ConnectionId>,
    backoff: Duration,
    next_attempt: Instant,
}

impl BootstrapTarget {
    /// A target due for its first dial now.
    pub(crate) fn new(addr: Multiaddr, now: Instant) -> BootstrapTarget {
        let peer = peer_of(&addr);
        BootstrapTarget {
            addr,
            peer,
            dialing: None,
            backoff: BOOTSTRAP_BACKOFF_INITIAL,
            next_attempt: now,
        }
    }

    /// Whether to dial now, given whether we are connected to the target's peer.
    pub(crate) fn due(&self, connected: bool, now: Instant) -> bool {
        !connected && self.dialing.is_none() && now >= self.next_attempt
    }

    /// Records a dial started now and schedules the next one a backoff later, doubling
    /// the backoff up to [`BOOTSTRAP_BACKOFF_MAX`].
    pub(crate) fn dialled(&mut self, connection: Option<ConnectionId>, now: Instant) {
        self.dialing = connection;
        self.next_attempt = now + self.backoff;
        self.backoff = (self.backoff * 2).min(BOOTSTRAP_BACKOFF_MAX);
    }

    /// Records a connection to the target's peer: the next disconnect redials at once.
    pub(crate) fn connected(&mut self, peer: PeerId, now: Instant) {
        self.peer = Some(peer);
        self.dialing = None;
        self.backoff = BOOTSTRAP_BACKOFF_INITIAL;
        self.next_attempt = now;
    }

    /// Records the end of a failed dial; the schedule set when it started stands.
    pub(crate) fn dial_failed(&mut self) {
        self.dialing = None;
    }
}

/// The peer id in an address's `/p2p/` component.
pub(crate) fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|protocol| match protocol {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(id: ConnectionId, established: Instant, outbound: bool) -> Connection {
        Connection {
            id,
            established,
            established_ms: 0,
            remote_addr: "/ip4/127.0.0.1/tcp/1".parse().expect("valid multiaddr"),
            outbound,
        }
    }

    /// Two peer ids in ascending order.
    fn ordered_peers() -> (PeerId, PeerId) {
        let a = PeerId::random();
        let b = PeerId::random();
        if a < b { (a, b) } else { (b, a) }
    }

    #[test]
    fn a_single_connection_stays() {
        let (low, high) = ordered_peers();
        let only = connection(ConnectionId::new_unchecked(1), Instant::now(), true);
        assert!(connections_to_close(&[only], &low, &high).is_empty());
        assert!(connections_to_close(&[], &low, &high).is_empty());
    }

    #[test]
    fn a_reconnect_replaces_the_stale_connection() {
        let (low, high) = ordered_peers();
        let t0 = Instant::now();
        let stale = connection(ConnectionId::new_unchecked(1), t0, true);
        let fresh = connection(
            ConnectionId::new_unchecked(2),
            t0 + Duration::from_secs(30),
            false,
        );
        // Whatever the directions and ids, the older one goes.
        for (local, remote) in [(low, high), (high, low)] {
            assert_eq!(
                connections_to_close(&[stale.clone(), fresh.clone()], &local, &remote),
                vec![stale.id]
            );
        }
        // Same direction within the window is also a reconnect, not a race.
        let quick = connection(
            ConnectionId::new_unchecked(3),
            t0 + Duration::from_millis(10),
            true,
        );
        assert_eq!(
            connections_to_close(&[stale.clone(), quick], &low, &high),
            vec![stale.id]
        );
    }

    #[test]
    fn both_sides_of_a_simultaneous_dial_keep_the_same_connection() {
        let (low, high) = ordered_peers();
        let t0 = Instant::now();
        // The low peer dialled connection "L", the high peer dialled connection "H"; each
        // side has its own ids and sees them established in its own order.
        let (l_at_low, h_at_low) = (
            ConnectionId::new_unchecked(10),
            ConnectionId::new_unchecked(11),
        );
        let (l_at_high, h_at_high) = (
            ConnectionId::new_unchecked(20),
            ConnectionId::new_unchecked(21),
        );
        let at_low = [
            connection(l_at_low, t0 + Duration::from_millis(5), true),
            connection(h_at_low, t0, false),
        ];
        let at_high = [
            connection(l_at_high, t0, false),
            connection(h_at_high, t0 + Duration::from_millis(3), true),
        ];
        // Both keep "L" (dialled by the lower id) and close "H".
        assert_eq!(connections_to_close(&at_low, &low, &high), vec![h_at_low]);
        assert_eq!(connections_to_close(&at_high, &high, &low), vec![h_at_high]);
    }

    #[test]
    fn bootstrap_redials_back_off_exponentially_up_to_the_cap() {
        let t0 = Instant::now();
        let addr: Multiaddr = "/ip4/10.0.0.1/tcp/4001".parse().expect("valid multiaddr");
        let mut target = BootstrapTarget::new(addr, t0);
        assert_eq!(target.peer, None);
        assert!(target.due(false, t0));
        assert!(!target.due(true, t0), "connected targets are not dialled");

        let mut now = t0;
        let mut delays = Vec::new();
        for _ in 0..9 {
            target.dialled(Some(ConnectionId::new_unchecked(1)), now);
            assert!(
                !target.due(false, now + Duration::from_secs(600)),
                "dial in flight"
            );
            target.dial_failed();
            let next = target.next_attempt;
            assert!(!target.due(false, next - Duration::from_millis(1)));
            assert!(target.due(false, next));
            delays.push((next - now).as_secs());
            now = next;
        }
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);

        // A connection resets the schedule: after a disconnect the redial is immediate.
        let peer = PeerId::random();
        target.connected(peer, now);
        assert_eq!(target.peer, Some(peer));
        assert!(target.due(false, now));
        target.dialled(None, now);
        assert_eq!(target.next_attempt - now, BOOTSTRAP_BACKOFF_INITIAL);
    }

    #[test]
    fn bootstrap_peer_id_comes_from_the_address() {
        let peer = PeerId::random();
        let addr: Multiaddr = format!("/ip4/10.0.0.1/tcp/4001/p2p/{peer}")
            .parse()
            .expect("valid multiaddr");
        assert_eq!(BootstrapTarget::new(addr, Instant::now()).peer, Some(peer));
    }
}
