//! A damaged store: noticing it at start, and `ensemble recover`.
//!
//! At start ([`check_on_start`]) the node compares what it opened with two witnesses
//! kept outside the store: the manifest `DIR/store.manifest` (the store's counts at the
//! last clean stop; removed while the node runs, so a crash leaves none) and the seq
//! mark `DIR/last-seq` ([`crate::seq_mark`]). When the manifest is missing or disagrees
//! it walks the whole store ([`ensemble_store::View::check_integrity`]). A store that
//! disagrees with its manifest, holds faults, or holds less of this school's log than
//! the mark is damaged: the node refuses to start and names `ensemble recover`.
//!
//! [`recover`] moves the damaged store aside (never deleting it), starts a node on a
//! fresh store, imports a bundle through the ingest path and syncs with peers until
//! this school's own head reaches the mark, or the wait runs out.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ensemble_core::{SchoolId, SchoolKey};
use ensemble_net::Multiaddr;
use ensemble_store::{Census, Store};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::config::Options;
use crate::data_dir::{self, NodeFile};
use crate::error::NodeError;
use crate::node::Node;
use crate::seq_mark::{self, SeqMark};

/// File name of the manifest in the data directory.
pub const MANIFEST_FILE: &str = "store.manifest";
/// Name of the search index directory (derived from the store; moved aside with it).
const INDEX_DIR: &str = "index";
/// Problems named in detail in a damage report; one line must stay readable.
const MAX_PROBLEMS_NAMED: usize = 4;
/// How often the recovery wait re-checks its condition when no event arrives (a sync
/// round that ends without storing anything sends no event).
const RECOVER_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The store is damaged; the message names the problem and the recovery command.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the store in {} is damaged: {problem}; run `ensemble recover --data-dir {} [--from-bundle FILE] [--from-peer MULTIADDR]`",
    data_dir.join(data_dir::STORE_DIR).display(),
    data_dir.display()
)]
pub struct Damage {
    /// The data directory.
    pub data_dir: PathBuf,
    /// What is wrong, in one line.
    pub problem: String,
}

/// The store's counts at the last clean stop, and how much of our own log it held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Entries of `records`.
    pub records: u64,
    /// Entries of `by_id`.
    pub indexed: u64,
    /// Authors with a head.
    pub authors: u64,
    /// Sum of every author's head.
    pub heads_total: u64,
    /// The highest own seq held.
    pub own_max_seq: u64,
}

impl Manifest {
    fn of(census: Census, own_max_seq: u64) -> Manifest {
        Manifest {
            records: census.records,
            indexed: census.indexed,
            authors: census.authors,
            heads_total: census.heads_total,
            own_max_seq,
        }
    }

    /// Reads `DIR/store.manifest`; missing or unreadable is `None` (the full walk then
    /// decides).
    pub fn read(dir: &Path) -> Option<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).ok()?;
        match serde_json::from_str(&text) {
            Ok(manifest) => Some(manifest),
            Err(error) => {
                warn!(path = %path.display(), %error, "unreadable store manifest; walking the store");
                None
            }
        }
    }

    /// Writes the manifest of `store` (at a clean stop, after the final flush).
    pub fn write(dir: &Path, store: &Store, school: &SchoolId) -> Result<(), NodeError> {
        let manifest = Manifest::of(store.census()?, store.max_seq(school)?);
        let text = serde_json::to_string(&manifest).unwrap_or_default();
        seq_mark::write_atomically(&dir.join(MANIFEST_FILE), text.as_bytes())?;
        Ok(())
    }

    /// Removes the manifest: from now on only a clean stop vouches for the store.
    pub fn remove(dir: &Path) -> Result<(), NodeError> {
        let path = dir.join(MANIFEST_FILE);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(data_dir::Error::Io { path, source }.into()),
        }
    }
}

/// Decides at start whether the store may be served. `recovering`: the store is the
/// fresh one `ensemble recover` fills, expected to hold less than the mark.
pub(crate) fn check_on_start(
    dir: &Path,
    store: &Store,
    school: &SchoolId,
    mark: &SeqMark,
    recovering: bool,
) -> Result<(), NodeError> {
    let damage = |problem: String| {
        NodeError::Damaged(Damage {
            data_dir: dir.to_path_buf(),
            problem,
        })
    };
    let census = store
        .census()
        .map_err(|error| damage(format!("it cannot be read ({error})")))?;
    let own = store
        .max_seq(school)
        .map_err(|error| damage(format!("it cannot be read ({error})")))?;
    let manifest = Manifest::read(dir);
    let mut problems = Vec::new();
    let vouched = match manifest {
        Some(manifest) if manifest == Manifest::of(census, own) => true,
        Some(manifest) => {
            problems.push(format!(
                "it holds {} records ({} indexed) where it held {} ({} indexed) at the last clean stop",
                census.records, census.indexed, manifest.records, manifest.indexed
            ));
            false
        }
        None => false,
    };
    if !vouched {
        let started = std::time::Instant::now();
        let integrity = store.check_integrity();
        info!(
            records = integrity.census.records,
            faults = integrity.fault_count,
            millis = started.elapsed().as_millis() as u64,
            "store integrity walk"
        );
        problems.extend(integrity.faults.iter().map(ToString::to_string));
        let unnamed = integrity.fault_count as usize - integrity.faults.len();
        if unnamed > 0 {
            problems.push(format!("{unnamed} more faults"));
        }
    }
    if own < mark.signed() {
        if recovering {
            // What recover is about to fetch back.
        } else if vouched {
            // `ensemble recover` (or a node waiting for its log) stopped cleanly with
            // less than the mark: known, and publishing stays refused until sync
            // brings the rest.
            warn!(
                held = own,
                signed = mark.signed(),
                "this school's log is incomplete here; publishing waits for sync"
            );
        } else {
            problems.push(format!(
                "this school's log ends at seq {own} here but seq {} was already signed, so records were lost",
                mark.signed()
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let total = problems.len();
    problems.truncate(MAX_PROBLEMS_NAMED);
    if total > MAX_PROBLEMS_NAMED {
        problems.push(format!("{} more problems", total - MAX_PROBLEMS_NAMED));
    }
    Err(damage(problems.join("; ")))
}

/// What `ensemble recover` should restore from.
#[derive(Debug, Clone, Default)]
pub struct RecoverPlan {
    /// An export bundle's bytes.
    pub bundle: Option<Vec<u8>>,
    /// Peers to sync from, besides the configured bootstrap peers.
    pub peers: Vec<Multiaddr>,
    /// How long to wait for peers to give this school's log back.
    pub wait: Duration,
}

/// What `ensemble recover` did.
#[derive(Debug, Clone, Serialize)]
pub struct RecoverReport {
    /// Where the damaged store was moved (none when there was no store).
    pub moved_aside: Option<PathBuf>,
    /// Records imported from the bundle.
    pub imported: usize,
    /// Bundle records refused.
    pub skipped: usize,
    /// Records received by sync.
    pub synced: u64,
    /// Records held now.
    pub records: u64,
    /// This school's contiguous head now.
    pub own_head: u64,
    /// The highest seq this school has signed (the mark).
    pub signed: u64,
    /// Whether the own log is back up to the mark: publishing is possible again.
    pub complete: bool,
}

/// Rebuilds the store of `options.data_dir`: moves the old one aside, imports the
/// bundle, syncs from peers until this school's own head reaches the mark or
/// `plan.wait` passes, and stops cleanly (writing the manifest, so `ensemble run`
/// starts on the rebuilt store). The key, token and config are kept.
pub async fn recover(
    mut options: Options,
    key: SchoolKey,
    plan: RecoverPlan,
) -> Result<RecoverReport, NodeError> {
    let dir = options.data_dir.clone();
    data_dir::load_key(&dir)?;
    if let Some(running) = NodeFile::read(&dir)?
        && process_alive(running.pid)
    {
        return Err(NodeError::BadRequest(format!(
            "a node is running on {} (pid {}): stop it before recovering its store",
            dir.display(),
            running.pid
        )));
    }
    NodeFile::remove(&dir);
    let moved_aside = move_aside(&dir, data_dir::STORE_DIR)?;
    move_aside(&dir, INDEX_DIR)?;
    Manifest::remove(&dir)?;
    // Nothing needs to dial a recovering node: listen on loopback only.
    options.listen = vec![RECOVER_LISTEN.to_string()];
    options
        .bootstrap
        .extend(plan.peers.iter().map(ToString::to_string));
    let has_peers = !options.bootstrap.is_empty() || options.mdns;
    let node = Node::start_recovering(options, key).await?;
    let outcome = restore(&node, plan, has_peers).await;
    node.shutdown().await;
    let mut report = outcome?;
    report.moved_aside = moved_aside;
    Ok(report)
}

/// The libp2p listen address of a recovering node.
const RECOVER_LISTEN: &str = "/ip4/127.0.0.1/tcp/0";

async fn restore(
    node: &Node,
    plan: RecoverPlan,
    has_peers: bool,
) -> Result<RecoverReport, NodeError> {
    let school = node.school_id();
    let signed = node.signed_seq();
    let mut report = RecoverReport {
        moved_aside: None,
        imported: 0,
        skipped: 0,
        synced: 0,
        records: 0,
        own_head: 0,
        signed,
        complete: false,
    };
    if let Some(bundle) = &plan.bundle {
        let imported = node.import(bundle).await?;
        report.imported = imported.imported;
        report.skipped = imported.skipped.len();
    }
    let before_sync = node.store().census()?.records;
    if has_peers && node.store().head(&school)? < signed.max(1) {
        wait_for_own_log(node, &school, signed.max(1), plan.wait).await;
    }
    let census = node.store().census()?;
    report.records = census.records;
    report.synced = census.records.saturating_sub(before_sync);
    report.own_head = node.store().head(&school)?;
    report.complete = report.own_head >= signed;
    info!(?report, "recovery finished");
    Ok(report)
}

/// Waits until this school's contiguous head reaches `target` or `wait` passes,
/// running a sync round with every peer whenever the connections change.
async fn wait_for_own_log(node: &Node, school: &SchoolId, target: u64, wait: Duration) {
    let deadline = tokio::time::Instant::now() + wait;
    let mut stored = node.stored_events();
    let mut changes = node.network_changes();
    let mut poll = tokio::time::interval(RECOVER_POLL_INTERVAL);
    loop {
        if node.store().head(school).unwrap_or(0) >= target {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => return,
            _ = stored.recv() => {}
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                if let Err(error) = node.sync_now(None).await {
                    warn!(%error, "sync round during recovery failed");
                }
            }
            _ = poll.tick() => {}
        }
    }
}

/// Renames `DIR/name` to `DIR/name.damaged-<unix seconds>` (a free name); `None` when
/// there was nothing to move.
fn move_aside(dir: &Path, name: &str) -> Result<Option<PathBuf>, NodeError> {
    let from = dir.join(name);
    if !from.exists() {
        return Ok(None);
    }
    let stamp = ensemble_core::now_ms() / 1000;
    let mut to = dir.join(format!("{name}.damaged-{stamp}"));
    let mut attempt = 1;
    while to.exists() {
        attempt += 1;
        to = dir.join(format!("{name}.damaged-{stamp}-{attempt}"));
    }
    std::fs::rename(&from, &to).map_err(|source| data_dir::Error::Io {
        path: from.clone(),
        source,
    })?;
    info!(from = %from.display(), to = %to.display(), "moved aside");
    Ok(Some(to))
}

/// Whether `pid` names a live process (Linux: `/proc/PID`); elsewhere a `node.json`
/// is taken at its word.
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ensemble_core::{Draft, Kind};

    fn profile() -> Draft {
        Draft {
            network: "net".into(),
            kind: Kind::SchoolProfile,
            doc: None,
            body: ensemble_core::body::configured_profile("Школа", "ru-tat", &["school".into()])
                .expect("profile"),
        }
    }

    /// A store of `count` own records, its mark raised to match, stopped cleanly.
    fn stopped(count: u64) -> (tempfile::TempDir, SchoolKey) {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = SchoolKey::from_seed([3; 32]);
        let store = Store::open(&dir.path().join(data_dir::STORE_DIR)).expect("open");
        let mut mark = SeqMark::load(dir.path()).expect("mark");
        for _ in 0..count {
            let record = store
                .append(&key, profile(), 1, mark.signed())
                .expect("append");
            mark.raise(record.seq()).expect("raise");
        }
        Manifest::write(dir.path(), &store, &key.school_id()).expect("manifest");
        (dir, key)
    }

    fn check(dir: &Path, key: &SchoolKey, recovering: bool) -> Result<(), NodeError> {
        let store = Store::open(&dir.join(data_dir::STORE_DIR)).expect("open");
        let mark = SeqMark::load(dir).expect("mark");
        check_on_start(dir, &store, &key.school_id(), &mark, recovering)
    }

    #[test]
    fn a_cleanly_stopped_store_starts() {
        let (dir, key) = stopped(3);
        check(dir.path(), &key, false).expect("sound");
        Manifest::remove(dir.path()).expect("remove");
        check(dir.path(), &key, false).expect("sound after the walk too");
    }

    #[test]
    fn a_store_that_lost_records_is_named_with_the_recover_command() {
        let (dir, key) = stopped(3);
        // The store is replaced by one holding less of the log than was signed.
        std::fs::remove_dir_all(dir.path().join(data_dir::STORE_DIR)).expect("remove");
        let refused = check(dir.path(), &key, false).expect_err("damaged");
        let message = refused.to_string();
        assert!(
            message.contains("held 3 (3 indexed) at the last clean stop"),
            "{message}"
        );
        assert!(message.contains("seq 3 was already signed"), "{message}");
        assert!(message.contains("ensemble recover --data-dir"), "{message}");
        // Without a manifest (a crash), the mark alone tells.
        Manifest::remove(dir.path()).expect("remove");
        let refused = check(dir.path(), &key, false).expect_err("damaged");
        assert!(
            refused.to_string().contains("records were lost"),
            "{refused}"
        );
        check(dir.path(), &key, true).expect("a recovering node expects the shortfall");
    }

    #[test]
    fn a_clean_stop_short_of_the_mark_starts_without_publishing() {
        let (dir, key) = stopped(3);
        std::fs::remove_dir_all(dir.path().join(data_dir::STORE_DIR)).expect("remove");
        // What `ensemble recover` leaves when peers gave back only part of the log.
        let store = Store::open(&dir.path().join(data_dir::STORE_DIR)).expect("open");
        store.append(&key, profile(), 1, 0).expect("append");
        Manifest::write(dir.path(), &store, &key.school_id()).expect("manifest");
        drop(store);
        check(dir.path(), &key, false).expect("vouched by the manifest");
        let store = Store::open(&dir.path().join(data_dir::STORE_DIR)).expect("open");
        let mark = SeqMark::load(dir.path()).expect("mark");
        assert!(matches!(
            store.append(&key, profile(), 2, mark.signed()),
            Err(ensemble_store::Error::OwnLogBehind { held: 1, signed: 3 })
        ));
    }
}
