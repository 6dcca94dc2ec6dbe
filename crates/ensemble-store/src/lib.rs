//! Ensemble's storage: sled behind a typed API. This is the only crate that names sled.
//!
//! # Trees
//! | tree | key | value |
//! |---|---|---|
//! | `records` | author ‖ seq ‖ id | header_len u16 ‖ header ‖ signature |
//! | `bodies` | id | body bytes (absent when purged) |
//! | `by_id` | id | author ‖ seq ‖ id (the `records` key) |
//! | `heads` | author | highest contiguous seq (u64) |
//! | `docs` | doc | created_at ‖ id of the latest version |
//! | `kind_time` | kind ‖ created_at ‖ id | — (listing by kind, newest first) |
//! | `refs` | referenced id ‖ id | kind code (threads, feedback, offers) |
//! | `authors` | network ‖ 0xff ‖ author | — (sync scope by network) |
//! | `tombstones` | doc ‖ retracting author | retraction id |
//! | `forks` | author ‖ seq | — (evidence of two records at one position) |
//! | `local` | text key | local state: follows, blocks, settings |
//! | `meta` | text key | format version |
//!
//! # Invariants
//! - All integers in keys are big-endian, so key order is numeric order.
//! - Writes of one record go in a fixed order and `by_id` is written last: a crash in
//!   the middle leaves the record "not held", and ingesting it again completes it.
//! - Writers are serialised by one mutex (head advancement and latest-version choice
//!   read-then-write); readers never take it.
//! - Own records are flushed before [`Store::append`] returns; foreign records are
//!   flushed by the caller in groups ([`Store::flush`]).

mod integrity;
mod keys;
mod local;
mod view;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ensemble_core::body::Body;
use ensemble_core::{
    Draft, Kind, LogPosition, RecordError, RecordId, SchoolId, SchoolKey, VerifiedRecord,
};

pub use integrity::{Census, Fault, Integrity, RecordFault};
pub use local::Block;

/// The on-disk format version this build writes. Bumped on any change of tree layout.
pub const STORE_FORMAT_VERSION: u64 = 1;

/// sled's page cache: bounded so that memory does not grow with the database.
const CACHE_CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database failed.
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    /// sled refused to open the database: its files are damaged or unreadable.
    #[error("cannot open the store in {}: {reason}", path.display())]
    Open {
        /// The store directory.
        path: PathBuf,
        /// What sled said (or the panic it raised while recovering its log).
        reason: String,
        /// Whether sled reported corruption (as opposed to, say, a permission or lock
        /// problem): only then is rebuilding the store the answer.
        corrupt: bool,
    },
    /// The store holds this school's log only up to `held`, but `signed` was already
    /// signed: signing the next seq now would sign a number twice (a fork of our own log).
    #[error(
        "this school's log is held up to seq {held} here but seq {signed} was already signed; publishing waits until peers give the missing records back (sync) or `ensemble recover` restores them"
    )]
    OwnLogBehind {
        /// The highest own seq held.
        held: u64,
        /// The highest own seq ever signed (the node's seq mark).
        signed: u64,
    },
    /// Bytes in the store do not decode: the data directory is damaged.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The data directory was written by another format version.
    #[error(
        "data directory has store format {found}, this build reads {expected}: export with the old build and import"
    )]
    FormatVersion {
        /// Found on disk.
        found: u64,
        /// What this build reads.
        expected: u64,
    },
    /// Signing a new own record failed (invalid body, limits).
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A listing cursor that this store did not hand out.
    #[error("invalid cursor {0:?}")]
    InvalidCursor(String),
    /// The writer lock was poisoned by a panicking writer.
    #[error("store writer lock poisoned")]
    Poisoned,
}

/// What ingesting one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// Stored; `gap` when it sits ahead of the author's contiguous head (sync should
    /// fetch what is missing).
    Stored {
        /// The record's predecessor is not held.
        gap: bool,
    },
    /// Already held (by id).
    Duplicate,
    /// Stored as fork evidence: another record holds the same author and seq, or the
    /// backlinks disagree. The author is flagged.
    Fork,
    /// The record's document was retracted: the header is kept (the log stays whole),
    /// the body is not.
    Retracted,
}

/// A held record with what the store knows about it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The record (body `None` when purged).
    pub record: VerifiedRecord,
    /// Whether its document has been retracted.
    pub retracted: bool,
}

/// Latest versions, a page of a listing.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records, newest first.
    pub records: Vec<VerifiedRecord>,
    /// Cursor for the next page, when there is one.
    pub next: Option<String>,
}

/// The store: a [`View`] to read through, plus the write paths. Only the node holds a
/// `Store`; everything above it gets the `View`, so the type system keeps the node's
/// ingest and publish paths the only doors through which records are written.
pub struct Store {
    view: View,
}

/// Read access to the store: every query, no writes. `Store` dereferences to it.
pub struct View {
    pub(crate) db: sled::Db,
    pub(crate) records: sled::Tree,
    pub(crate) bodies: sled::Tree,
    pub(crate) by_id: sled::Tree,
    pub(crate) heads: sled::Tree,
    pub(crate) docs: sled::Tree,
    pub(crate) kind_time: sled::Tree,
    pub(crate) refs: sled::Tree,
    pub(crate) authors: sled::Tree,
    pub(crate) tombstones: sled::Tree,
    pub(crate) forks: sled::Tree,
    pub(crate) local: sled::Tree,
    /// Records held per kind; the mutex also serialises writers.
    pub(crate) writer: Mutex<Counts>,
}

/// An owned, cloneable read-only view, for tasks that outlive a borrow (the search
/// indexer moves it between blocking threads). It can read everything and write nothing.
#[derive(Clone)]
pub struct SharedView(std::sync::Arc<Store>);

impl SharedView {
    /// A read-only handle on a shared store.
    pub fn new(store: std::sync::Arc<Store>) -> SharedView {
        SharedView(store)
    }
}

impl std::ops::Deref for SharedView {
    type Target = View;
    fn deref(&self) -> &View {
        &self.0
    }
}

impl std::ops::Deref for Store {
    type Target = View;
    fn deref(&self) -> &View {
        &self.view
    }
}

/// Records held per kind, kept in memory, under the writer lock.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counts(pub(crate) BTreeMap<Kind, u64>);

impl Store {
    /// Opens (or creates) the store in `path`. A database sled cannot open is an
    /// [`Error::Open`] naming the directory.
    pub fn open(path: &Path) -> Result<Store, Error> {
        let db = open_db(path)?;
        let meta = db.open_tree("meta")?;
        match meta.get("format_version")? {
            None => {
                meta.insert("format_version", &STORE_FORMAT_VERSION.to_be_bytes())?;
            }
            Some(bytes) => {
                let found = keys::read_u64(&bytes)?;
                if found != STORE_FORMAT_VERSION {
                    return Err(Error::FormatVersion {
                        found,
                        expected: STORE_FORMAT_VERSION,
                    });
                }
            }
        }
        let view = View {
            records: db.open_tree("records")?,
            bodies: db.open_tree("bodies")?,
            by_id: db.open_tree("by_id")?,
            heads: db.open_tree("heads")?,
            docs: db.open_tree("docs")?,
            kind_time: db.open_tree("kind_time")?,
            refs: db.open_tree("refs")?,
            authors: db.open_tree("authors")?,
            tombstones: db.open_tree("tombstones")?,
            forks: db.open_tree("forks")?,
            local: db.open_tree("local")?,
            writer: Mutex::new(Counts::default()),
            db,
        };
        let store = Store { view };
        let counts = store.count_by_kind()?;
        *store.writer.lock().map_err(|_| Error::Poisoned)? = counts;
        Ok(store)
    }

    /// Flushes every tree to disk. Returns once the data is durable.
    pub fn flush(&self) -> Result<(), Error> {
        self.db.flush()?;
        Ok(())
    }

    /// Signs `draft` as the next record of `key`'s log, stores it and flushes before
    /// returning: an acknowledged own record survives a crash, and a seq is never
    /// reused with other content (which would fork our own log).
    ///
    /// `signed` is the highest seq this key is known to have signed (the node keeps it
    /// outside the store, where a store loss cannot take it). When the store holds less
    /// than that, it lost own records and the next seq it would pick was already used:
    /// it refuses with [`Error::OwnLogBehind`] instead of signing it again.
    pub fn append(
        &self,
        key: &SchoolKey,
        draft: Draft,
        created_at: u64,
        signed: u64,
    ) -> Result<VerifiedRecord, Error> {
        let mut counts = self.writer.lock().map_err(|_| Error::Poisoned)?;
        let position = self.next_position(&key.school_id())?;
        if position.seq <= signed {
            return Err(Error::OwnLogBehind {
                held: position.seq - 1,
                signed,
            });
        }
        let record = ensemble_core::sign(key, draft, position, created_at)?;
        self.ingest_locked(&mut counts, &record)?;
        drop(counts);
        self.flush()?;
        Ok(record)
    }

    /// The log position after the highest seq held for `author` (held at all, not only
    /// contiguously: our own log after a restore from an older backup continues after
    /// what the network gave back).
    fn next_position(&self, author: &SchoolId) -> Result<LogPosition, Error> {
        match self.records.scan_prefix(author.as_bytes()).next_back() {
            None => Ok(LogPosition {
                seq: 1,
                backlink: None,
            }),
            Some(entry) => {
                let (key, _) = entry?;
                let (_, seq, id) = keys::split_record_key(&key)?;
                Ok(LogPosition {
                    seq: seq + 1,
                    backlink: Some(id),
                })
            }
        }
    }

    /// Ingests a verified foreign record. Idempotent by id; accepts records out of
    /// order. Not flushed: call [`Store::flush`] after a group.
    pub fn ingest(&self, record: &VerifiedRecord) -> Result<Ingested, Error> {
        let mut counts = self.writer.lock().map_err(|_| Error::Poisoned)?;
        self.ingest_locked(&mut counts, record)
    }

    /// Ingests many records under one lock and flushes once (group commit).
    pub fn ingest_batch(&self, records: &[VerifiedRecord]) -> Result<Vec<Ingested>, Error> {
        let mut counts = self.writer.lock().map_err(|_| Error::Poisoned)?;
        let outcomes = records
            .iter()
            .map(|record| self.ingest_locked(&mut counts, record))
            .collect::<Result<Vec<_>, _>>()?;
        drop(counts);
        self.flush()?;
        Ok(outcomes)
    }

    fn ingest_locked(
        &self,
        counts: &mut Counts,
        record: &VerifiedRecord,
    ) -> Result<Ingested, Error> {
        let id = record.id();
        if self.by_id.contains_key(id.as_bytes())? {
            return Ok(Ingested::Duplicate);
        }
        let header = record.header();
        let author = record.author();
        let doc = record.doc();

        // A retraction purges the bodies of the document's versions now and blocks them
        // from coming back. It only counts when it retracts its author's own document.
        if let Some(Body::Retraction(retraction)) = record.body() {
            self.apply_retraction(&retraction.doc, &author, id)?;
        }
        let retracted = self.is_retracted_for(&doc, &author)?;
        let body = if retracted { None } else { record.body_bytes() };

        // Fork detection: another record at this position, or backlinks that disagree.
        let position_prefix = keys::position_prefix(&author, header.seq);
        let mut fork = self.records.scan_prefix(position_prefix).next().is_some();
        if let Some(backlink) = header.backlink
            && let Some(previous) = self.ids_at(&author, header.seq - 1)?.first().copied()
            && previous != backlink
        {
            fork = true;
        }
        for next in self.records_at(&author, header.seq + 1)? {
            if next.header().backlink != Some(id) {
                fork = true;
            }
        }

        if let Some(body) = body {
            self.bodies.insert(id.as_bytes(), body)?;
        }
        let record_key = keys::record_key(&author, header.seq, &id);
        self.records.insert(
            record_key,
            keys::record_value(record.header_bytes(), record.signature()),
        )?;
        self.kind_time.insert(
            keys::kind_time_key(record.kind(), header.created_at, &id),
            &[],
        )?;
        if let Some(previous_version) = header.doc {
            self.refs.insert(
                keys::pair_key(&previous_version, &id),
                &[record.kind().code()],
            )?;
        }
        if let Some(body) = record.body() {
            for referenced in body.references() {
                self.refs
                    .insert(keys::pair_key(&referenced, &id), &[record.kind().code()])?;
            }
        }
        self.authors
            .insert(keys::author_network_key(&header.network, &author), &[])?;
        if fork {
            self.forks.insert(position_prefix, &[])?;
        }
        self.update_latest(&doc, header.created_at, &id)?;
        let gap = self.advance_head(&author, header.seq)?;
        self.by_id.insert(id.as_bytes(), record_key.as_slice())?;
        *counts.0.entry(record.kind()).or_default() += 1;

        Ok(if fork {
            Ingested::Fork
        } else if retracted {
            Ingested::Retracted
        } else {
            Ingested::Stored { gap }
        })
    }

    fn apply_retraction(
        &self,
        doc: &RecordId,
        author: &SchoolId,
        retraction: RecordId,
    ) -> Result<(), Error> {
        // A tombstone names the retracting author; versions by anyone else are not
        // affected (only a document's author may retract it).
        if let Some(first) = self.get(doc)?
            && first.record.author() != *author
        {
            return Ok(());
        }
        self.tombstones
            .insert(keys::pair_key_school(doc, author), retraction.as_bytes())?;
        for version in self.versions(doc)? {
            if version.author() == *author {
                self.bodies.remove(version.id().as_bytes())?;
            }
        }
        Ok(())
    }

    fn update_latest(&self, doc: &RecordId, created_at: u64, id: &RecordId) -> Result<(), Error> {
        let candidate = keys::latest_value(created_at, id);
        let newer = match self.docs.get(doc.as_bytes())? {
            None => true,
            // Latest (created_at, id) wins: the value bytes order exactly that way.
            Some(current) => candidate.as_slice() > current.as_ref(),
        };
        if newer {
            self.docs.insert(doc.as_bytes(), candidate.as_slice())?;
        }
        Ok(())
    }

    /// Advances the author's contiguous head past `seq` when it closes the gap.
    /// Returns true when `seq` is beyond the head (a gap remains before it).
    fn advance_head(&self, author: &SchoolId, seq: u64) -> Result<bool, Error> {
        let mut head = self.head(author)?;
        if seq > head + 1 {
            return Ok(true);
        }
        if seq <= head {
            return Ok(false);
        }
        head = seq;
        while self
            .records
            .scan_prefix(keys::position_prefix(author, head + 1))
            .next()
            .is_some()
        {
            head += 1;
        }
        self.heads.insert(author.as_bytes(), &head.to_be_bytes())?;
        Ok(false)
    }
}

/// Opens the sled database, turning its refusals (and the panics some damaged logs
/// raise while sled replays them) into [`Error::Open`] naming the directory.
fn open_db(path: &Path) -> Result<sled::Db, Error> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_CAPACITY_BYTES);
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| config.open()));
    let open_error = |reason: String, corrupt: bool| Error::Open {
        path: path.to_path_buf(),
        reason,
        corrupt,
    };
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(error)) => {
            let corrupt = !matches!(error, sled::Error::Io(_));
            Err(open_error(error.to_string(), corrupt))
        }
        Err(panic) => {
            let reason = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(ToString::to_string))
                .unwrap_or_else(|| "sled panicked while reading its log".into());
            Err(open_error(reason, true))
        }
    }
}

#[cfg(test)]
mod tests;
