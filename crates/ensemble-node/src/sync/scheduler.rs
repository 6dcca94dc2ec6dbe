//! When sync rounds run: on a trigger for one peer (a new connection, a gossip gap, a
//! subscription), on a trigger for all peers (a new follow), and every interval. One
//! round per peer at a time; the statistics of each peer's last round are kept here.
//!
//! The loop takes what it needs as inputs — the triggers, a cancellation token, a way
//! to list connected peers and a way to run one round — rather than a whole node, so it
//! is tested below with fake peers and rounds.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ensemble_net::PeerId;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::SyncStats;

/// Pending sync triggers; when full, a trigger is dropped (the periodic round covers it).
const TRIGGER_CAPACITY: usize = 256;
/// Requests served at once; more wait (bounded by the network's stream limits).
const SERVE_CONCURRENCY: usize = 8;

/// What asked for a round.
enum Trigger {
    Peer(PeerId),
    All,
}

/// Schedules sync rounds and keeps their statistics; one round per peer at a time.
pub struct SyncScheduler {
    triggers: mpsc::Sender<Trigger>,
    stats: Mutex<BTreeMap<PeerId, SyncStats>>,
    in_flight: Mutex<HashSet<PeerId>>,
    interval: Duration,
    serving: Arc<Semaphore>,
}

/// The receiving end the scheduler task drains.
pub struct Triggers(mpsc::Receiver<Trigger>);

impl SyncScheduler {
    pub(crate) fn new(interval: Duration) -> (SyncScheduler, Triggers) {
        let (sender, receiver) = mpsc::channel(TRIGGER_CAPACITY);
        (
            SyncScheduler {
                triggers: sender,
                stats: Mutex::new(BTreeMap::new()),
                in_flight: Mutex::new(HashSet::new()),
                interval,
                serving: Arc::new(Semaphore::new(SERVE_CONCURRENCY)),
            },
            Triggers(receiver),
        )
    }

    /// Asks for a round with `peer` soon. Never blocks; a full queue drops the trigger
    /// because the periodic round covers it.
    pub(crate) fn trigger(&self, peer: PeerId) {
        let _ = self.triggers.try_send(Trigger::Peer(peer));
    }

    /// Asks for a round with every connected peer soon.
    pub(crate) fn trigger_all(&self) {
        let _ = self.triggers.try_send(Trigger::All);
    }

    /// Forgets a peer's round in flight (it disconnected or the round ended).
    pub(crate) fn forget(&self, peer: &PeerId) {
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.remove(peer);
        }
    }

    /// Statistics of every peer synced with.
    pub fn stats(&self) -> Vec<SyncStats> {
        self.stats
            .lock()
            .map(|stats| stats.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The permits bounding how many requests are served at once.
    pub(crate) fn serving(&self) -> &Arc<Semaphore> {
        &self.serving
    }

    /// Keeps the statistics of a finished round, adding to the peer's totals.
    pub(crate) fn record(&self, peer: PeerId, mut round: SyncStats) {
        if let Ok(mut stats) = self.stats.lock() {
            let entry = stats.entry(peer).or_default();
            round.total_records = entry.total_records + round.records_received;
            round.rounds = entry.rounds + 1;
            *entry = round;
        }
    }

    /// The most records any peer's latest round left missing (the sync-lag gauge).
    pub(crate) fn most_behind(&self) -> u64 {
        self.stats
            .lock()
            .map(|stats| stats.values().map(|round| round.missing).max().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Marks a round with `peer` as started; false when one is already running.
    fn start(&self, peer: PeerId) -> bool {
        self.in_flight
            .lock()
            .map(|mut in_flight| in_flight.insert(peer))
            .unwrap_or(false)
    }
}

/// The scheduler task: runs rounds on triggers and every interval until `cancel`.
/// `peers` lists the connected peers; `round` runs one round with a peer (each on a
/// task of its own, cancelled with the scheduler).
pub(crate) async fn run_scheduler<P, PF, R, RF>(
    scheduler: Arc<SyncScheduler>,
    mut triggers: Triggers,
    cancel: CancellationToken,
    peers: P,
    round: R,
) where
    P: Fn() -> PF,
    PF: Future<Output = Vec<PeerId>>,
    R: Fn(PeerId) -> RF,
    RF: Future<Output = ()> + Send + 'static,
{
    let mut tick = tokio::time::interval(scheduler.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        let due: Vec<PeerId> = tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => peers().await,
            trigger = triggers.0.recv() => match trigger {
                None => break,
                Some(Trigger::Peer(peer)) => vec![peer],
                Some(Trigger::All) => peers().await,
            },
        };
        for peer in due {
            if !scheduler.start(peer) {
                continue;
            }
            let running = round(peer);
            let scheduler = Arc::clone(&scheduler);
            let cancel = cancel.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = running => {}
                }
                scheduler.forget(&peer);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::Notify;

    use super::*;

    /// Long enough that the periodic tick never fires during a test.
    const NO_TICK: Duration = Duration::from_secs(3600);
    /// How long a test waits for an expected round before failing.
    const WAIT: Duration = Duration::from_secs(5);

    struct Harness {
        scheduler: Arc<SyncScheduler>,
        cancel: CancellationToken,
        started: mpsc::UnboundedReceiver<PeerId>,
        release: Arc<Notify>,
        rounds: Arc<AtomicUsize>,
        task: tokio::task::JoinHandle<()>,
    }

    /// A scheduler whose rounds report their start and then wait for `release`.
    fn harness(connected: Vec<PeerId>) -> Harness {
        let (scheduler, triggers) = SyncScheduler::new(NO_TICK);
        let scheduler = Arc::new(scheduler);
        let cancel = CancellationToken::new();
        let (report, started) = mpsc::unbounded_channel();
        let release = Arc::new(Notify::new());
        let rounds = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(run_scheduler(
            Arc::clone(&scheduler),
            triggers,
            cancel.clone(),
            move || std::future::ready(connected.clone()),
            {
                let release = Arc::clone(&release);
                let rounds = Arc::clone(&rounds);
                move |peer| {
                    let report = report.clone();
                    let release = Arc::clone(&release);
                    let rounds = Arc::clone(&rounds);
                    async move {
                        rounds.fetch_add(1, Ordering::SeqCst);
                        let _ = report.send(peer);
                        release.notified().await;
                    }
                }
            },
        ));
        Harness {
            scheduler,
            cancel,
            started,
            release,
            rounds,
            task,
        }
    }

    fn peer(seed: u8) -> PeerId {
        crate::peer_id_for(&ensemble_core::SchoolKey::from_seed([seed; 32]))
    }

    async fn next_round(harness: &mut Harness) -> PeerId {
        tokio::time::timeout(WAIT, harness.started.recv())
            .await
            .expect("a round starts in time")
            .expect("the scheduler runs")
    }

    #[tokio::test]
    async fn a_trigger_starts_one_round_and_a_second_waits_for_it() {
        let peer = peer(1);
        let mut harness = harness(Vec::new());
        harness.scheduler.trigger(peer);
        assert_eq!(next_round(&mut harness).await, peer);
        // A second trigger while the round runs is dropped, not queued behind it.
        harness.scheduler.trigger(peer);
        harness.scheduler.trigger_all();
        harness.release.notify_one();
        // Once the first round is over, a new trigger starts a new round.
        tokio::time::timeout(WAIT, async {
            loop {
                harness.scheduler.trigger(peer);
                if harness.rounds.load(Ordering::SeqCst) == 2 {
                    break;
                }
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("a second round after the first ended");
        assert_eq!(next_round(&mut harness).await, peer);
        harness.cancel.cancel();
        harness.task.await.expect("stops");
    }

    #[tokio::test]
    async fn trigger_all_runs_a_round_with_every_connected_peer() {
        let peers = vec![peer(1), peer(2), peer(3)];
        let mut harness = harness(peers.clone());
        harness.scheduler.trigger_all();
        let mut seen = Vec::new();
        for _ in 0..peers.len() {
            seen.push(next_round(&mut harness).await);
        }
        seen.sort();
        let mut expected = peers;
        expected.sort();
        assert_eq!(seen, expected);
        harness.cancel.cancel();
        harness.task.await.expect("stops");
    }

    #[test]
    fn statistics_add_up_across_rounds() {
        let (scheduler, _triggers) = SyncScheduler::new(NO_TICK);
        let peer = peer(1);
        for received in [3, 4] {
            scheduler.record(
                peer,
                SyncStats {
                    records_received: received,
                    ..SyncStats::default()
                },
            );
        }
        let stats = scheduler.stats();
        assert_eq!(stats.len(), 1);
        assert_eq!((stats[0].total_records, stats[0].rounds), (7, 2));
    }
}
