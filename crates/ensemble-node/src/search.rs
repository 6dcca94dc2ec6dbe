//! Full-text search over the practice catalog: a tantivy index in `DIR/index/`, kept in
//! step with the store by one task, queried by anyone through [`Node::search`].
//!
//! What it owns: the index (derived data, rebuildable from the store at any time), the
//! analyzer that makes «смысловое чтение» find «Стратегии смыслового чтения», and the
//! rule that computes a practice's *effective* evidence level (E4 once another school
//! reports a replication). What it does not own: the records (the store is the truth;
//! every hit is checked against it for retraction and blocks at query time).
//!
//! # Design
//! - One document per practice *document*: the latest version by the document's own
//!   author. Updating, retracting, a replication report or a new school profile (the
//!   region filter) re-indexes the affected documents.
//! - Text goes through one analyzer for both languages: simple tokenizer → long-token
//!   filter → lowercase → Russian and English stop words → Russian Snowball stemmer →
//!   English Snowball stemmer. Each stemmer leaves the other alphabet untouched (the
//!   Russian algorithm needs a Cyrillic vowel, the English one a Latin one), so a mixed
//!   text needs no language detection. `ё` is folded to `е` first.
//! - Fields: `title` (boost 3), `keywords` (boost 2) and `text` (summary, problem,
//!   method and the RU/EN labels of the practice's problem, method and subject codes).
//!   Every query word must match one of them; BM25 ranks.
//! - Filters are exact terms on coded fields; `evidence=E2` means "E2 or higher" (the
//!   index holds one term per level reached).
//! - The indexer task consumes [`Node::stored_events`] and commits a batch at a time;
//!   on `Lagged` it rebuilds. The commit payload records how many stored records the
//!   index has seen: at start, a count that differs from the store's means a crash
//!   between a store write and an index commit, and the index is rebuilt.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ensemble_core::body::{Body, ClosedCode, EvidenceLevel, FeedbackKind, LangMap, Practice};
use ensemble_core::{Kind, RecordId, SchoolId, VerifiedRecord, vocab};
use ensemble_store::{Block, View};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query as TantivyQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tracing::{debug, info, warn};

use crate::node::{Node, NodeError, StoredEvent};

/// The index directory inside the data directory.
pub const INDEX_DIR: &str = "index";
/// Hits per page when the caller does not say.
pub const DEFAULT_LIMIT: usize = 20;
/// Most hits one query returns: a page, not an export.
pub const MAX_LIMIT: usize = 100;
/// Query words beyond this are ignored: a pasted paragraph must not cost a second.
pub const MAX_QUERY_TERMS: usize = 16;

/// Bumped whenever the schema or the analyzer changes: an index of another version is
/// wiped and rebuilt from the store.
const SCHEMA_VERSION: u32 = 1;
/// The name the combined Russian/English analyzer is registered under.
const ANALYZER: &str = "ensemble_ru_en";
/// Tokens longer than this (bytes) are dropped: base64 blobs and URLs, not words.
const MAX_TOKEN_BYTES: usize = 40;
/// The indexing arena of the single writer thread; tantivy's minimum is 15 MB and a
/// catalog batch is small, so the minimum plus a margin.
const WRITER_MEMORY_BYTES: usize = 20_000_000;
/// Stored-record events applied in one commit at most; a sync burst of thousands of
/// records becomes a few commits instead of thousands.
const BATCH_MAX: usize = 512;
/// How long the indexer gathers stored records before one commit: new records become
/// searchable within about this time, and a burst of gossip costs one segment, not one
/// per record.
const COMMIT_COALESCE: Duration = Duration::from_millis(200);
/// Reindex commands waiting for the indexer (one runs at a time; more just queue).
const COMMANDS_CAPACITY: usize = 4;
/// Score weight of a match in the title, against 1 for the body text.
const TITLE_BOOST: f32 = 3.0;
/// Score weight of a match in the keywords.
const KEYWORDS_BOOST: f32 = 2.0;
/// A search slower than this is logged: the target is 15 ms at p99 over 100k practices.
const SLOW_SEARCH: Duration = Duration::from_millis(250);

/// Search errors. `Invalid` is the caller's fault; the others are the node's.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query itself is wrong (limit out of range…); the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The index failed.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory cannot be opened.
    #[error("search index directory {path}: {reason}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] ensemble_store::Error),
    /// The indexer task is not running (the node is shutting down).
    #[error("the search indexer has stopped")]
    Stopped,
}

/// For `?` inside the node (opening the index at start): a broken index directory is a
/// data-directory problem, reported as configuration.
impl From<Error> for NodeError {
    fn from(error: Error) -> NodeError {
        match error {
            Error::Invalid(message) => NodeError::BadRequest(message),
            Error::Store(error) => NodeError::Store(error),
            other => NodeError::Config(other.to_string()),
        }
    }
}

/// A catalog query: words to look for and filters on coded fields. Empty words list
/// the filtered catalog newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Free text, any language.
    pub text: String,
    /// A subject code (`russian`).
    pub subject: Option<String>,
    /// A grade, 0–11.
    pub grade: Option<u8>,
    /// A problem code (`reading-literacy`).
    pub problem: Option<String>,
    /// A method code (`reading-strategies`).
    pub method: Option<String>,
    /// Lowest effective evidence level.
    pub evidence: Option<EvidenceLevel>,
    /// A language of the practice (`ru`, `en`; compared by primary subtag).
    pub lang: Option<String>,
    /// The author school.
    pub school: Option<SchoolId>,
    /// The author school's region code (`ru-tat`).
    pub region: Option<String>,
    /// Hits per page, 1–[`MAX_LIMIT`]; 0 means [`DEFAULT_LIMIT`].
    pub limit: usize,
    /// Hits to skip (the cursor of the next page).
    pub offset: usize,
}

/// One practice that matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The indexed (latest) version's record id.
    pub id: RecordId,
    /// The document id.
    pub doc: RecordId,
    /// The author school.
    pub author: SchoolId,
    /// The title in every language it has.
    pub title: LangMap,
    /// Subject codes.
    pub subjects: Vec<String>,
    /// Grades.
    pub grades: Vec<u8>,
    /// The effective evidence level (E4 when replicated by another school).
    pub evidence: EvidenceLevel,
    /// Distinct other schools that reported applying it.
    pub applied_in: u32,
    /// BM25 relevance; 0 when listing without words.
    pub score: f32,
}

/// A page of hits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// Best first.
    pub hits: Vec<Hit>,
    /// Documents matching in all (before paging).
    pub total: usize,
    /// The offset of the next page, when there is one.
    pub next_offset: Option<usize>,
}

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reindexed {
    /// Practice documents now in the index.
    pub practices: u64,
    /// How long it took.
    pub millis: u64,
}

/// The search index handle: cheap to clone, shared by the indexer task and readers.
#[derive(Clone)]
pub struct SearchIndex {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    commands: mpsc::Sender<Command>,
    command_receiver: Mutex<Option<mpsc::Receiver<Command>>>,
    commits: watch::Sender<u64>,
}

enum Command {
    Rebuild {
        reply: oneshot::Sender<Result<Reindexed, Error>>,
    },
}

#[derive(Clone, Copy)]
struct Fields {
    doc: Field,
    id: Field,
    author: Field,
    region: Field,
    subject: Field,
    grade: Field,
    problem: Field,
    method: Field,
    evidence_min: Field,
    evidence: Field,
    applied: Field,
    lang: Field,
    created: Field,
    title: Field,
    title_json: Field,
    keywords: Field,
    text: Field,
}

/// What the commit payload carries.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    schema: u32,
    records_seen: u64,
}

impl SearchIndex {
    /// Opens the index in `data_dir/index/`, creating it (or recreating it, when it was
    /// written by another schema version or is unreadable: it is derived data).
    pub fn open(data_dir: &Path) -> Result<SearchIndex, Error> {
        let path = data_dir.join(INDEX_DIR);
        let (schema, fields) = schema();
        let index = match open_dir(&path, schema.clone()) {
            Ok(index) if payload_of(&index).is_none_or(|p| p.schema == SCHEMA_VERSION) => index,
            outcome => {
                if let Err(error) = &outcome {
                    warn!(%error, path = %path.display(), "search index unreadable; recreating");
                }
                std::fs::remove_dir_all(&path).map_err(|error| Error::Directory {
                    path: path.clone(),
                    reason: error.to_string(),
                })?;
                open_dir(&path, schema)?
            }
        };
        let analyzer = analyzer();
        index.tokenizers().register(ANALYZER, analyzer.clone());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let (commands, command_receiver) = mpsc::channel(COMMANDS_CAPACITY);
        Ok(SearchIndex {
            shared: Arc::new(Shared {
                path,
                index,
                reader,
                fields,
                analyzer,
                commands,
                command_receiver: Mutex::new(Some(command_receiver)),
                commits: watch::channel(0).0,
            }),
        })
    }

    /// The index directory.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// A counter bumped after every commit: await `changed()` and query again to wait
    /// for a record to become searchable.
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.shared.commits.subscribe()
    }

    /// Practice documents in the index (as of the last commit).
    pub fn len(&self) -> u64 {
        self.shared.reader.searcher().num_docs()
    }

    /// True when no practice is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs a query. Hits by blocked schools and of retracted documents are left out
    /// even when the index has not caught up yet.
    pub fn search(&self, store: &View, query: &Query) -> Result<Results, Error> {
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            limit if limit > MAX_LIMIT => {
                return Err(Error::Invalid(format!("limit: must be 1–{MAX_LIMIT}")));
            }
            limit => limit,
        };
        let fields = self.shared.fields;
        let words = self.words(&query.text);
        let blocked: Vec<SchoolId> = store
            .blocks()?
            .into_iter()
            .filter_map(|block| match block {
                Block::School(school) => Some(school),
                Block::Peer(_) => None,
            })
            .collect();
        let tantivy_query = build_query(&fields, &words, query, &blocked);
        let searcher = self.shared.reader.searcher();
        let started = Instant::now();
        let collected: Vec<(f32, DocAddress)>;
        let total;
        if words.is_empty() {
            let newest = TopDocs::with_limit(limit)
                .and_offset(query.offset)
                .order_by_fast_field::<u64>("created", Order::Desc);
            let (count, top) = searcher.search(&tantivy_query, &(Count, newest))?;
            total = count;
            collected = top.into_iter().map(|(_, address)| (0.0, address)).collect();
        } else {
            let ranked = TopDocs::with_limit(limit)
                .and_offset(query.offset)
                .order_by_score();
            let (count, top) = searcher.search(&tantivy_query, &(Count, ranked))?;
            total = count;
            collected = top;
        }
        let mut hits = Vec::with_capacity(collected.len());
        for (score, address) in &collected {
            let document: TantivyDocument = searcher.doc(*address)?;
            let Some(hit) = hit_of(&fields, &document, *score) else {
                continue;
            };
            // The indexer removes a retracted document within one batch; between the
            // retraction and that commit the store has the last word.
            if store.is_retracted(&hit.doc)? {
                continue;
            }
            hits.push(hit);
        }
        let elapsed = started.elapsed();
        if elapsed > SLOW_SEARCH {
            warn!(millis = elapsed.as_millis() as u64, "slow search");
        }
        let next_offset = (query.offset + collected.len() < total && collected.len() == limit)
            .then_some(query.offset + limit);
        Ok(Results {
            hits,
            total,
            next_offset,
        })
    }

    /// The analyzed words of a query: stemmed, stop words dropped, duplicates removed,
    /// at most [`MAX_QUERY_TERMS`].
    fn words(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.shared.analyzer.clone();
        let folded = fold(text);
        let mut stream = analyzer.token_stream(&folded);
        let mut words: Vec<String> = Vec::new();
        while stream.advance() {
            let word = &stream.token().text;
            if !words.contains(word) {
                words.push(word.clone());
            }
            if words.len() == MAX_QUERY_TERMS {
                break;
            }
        }
        words
    }

    fn take_commands(&self) -> Option<mpsc::Receiver<Command>> {
        self.shared
            .command_receiver
            .lock()
            .ok()
            .and_then(|mut receiver| receiver.take())
    }
}

impl Node {
    /// Searches the practice catalog (see [`SearchIndex::search`]). Synchronous and
    /// short (milliseconds): callable from a handler or a benchmark without HTTP.
    pub fn search(&self, query: &Query) -> Result<Results, Error> {
        self.search_index().search(self.store(), query)
    }

    /// Rebuilds the search index from the store and waits for the commit.
    pub async fn reindex(&self) -> Result<Reindexed, Error> {
        let (reply, answer) = oneshot::channel();
        self.search_index()
            .shared
            .commands
            .send(Command::Rebuild { reply })
            .await
            .map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)?
    }
}

/// The schools other than the author that published a `replication` feedback on any
/// version of practice document `doc`, leaving out blocked schools and withdrawn
/// reports.
pub fn replicating_schools(store: &View, doc: &RecordId) -> Result<BTreeSet<SchoolId>, Error> {
    let mut schools = BTreeSet::new();
    let Some(first) = store.get(doc)? else {
        return Ok(schools);
    };
    let author = first.record.author();
    for version in store.versions(doc)? {
        for (referrer, kind) in store.referring(&version.id())? {
            if kind != Some(Kind::Feedback) {
                continue;
            }
            let Some(stored) = store.get(&referrer)? else {
                continue;
            };
            let reporter = stored.record.author();
            if reporter == author || schools.contains(&reporter) || stored.retracted {
                continue;
            }
            if let Some(Body::Feedback(feedback)) = stored.record.body()
                && feedback.kind == FeedbackKind::Replication
                && feedback.target == version.id()
                && !store.is_blocked(&reporter)?
            {
                schools.insert(reporter);
            }
        }
    }
    Ok(schools)
}

/// The latest version of practice document `doc` written by the document's author;
/// `None` when it is not held, not a practice, or retracted. A "version" signed by
/// another school is ignored: only the author may update a document.
pub fn latest_practice(store: &View, doc: &RecordId) -> Result<Option<VerifiedRecord>, Error> {
    let Some(first) = store.get(doc)? else {
        return Ok(None);
    };
    if first.record.kind() != Kind::Practice || first.retracted {
        return Ok(None);
    }
    let author = first.record.author();
    if let Some(latest) = store.latest_id(doc)?
        && let Some(stored) = store.get(&latest)?
        && stored.record.author() == author
    {
        return Ok(Some(stored.record));
    }
    Ok(store
        .versions(doc)?
        .into_iter()
        .rfind(|version| version.author() == author))
}

/// Starts the indexer: subscribes to stored events *now* (so nothing stored after this
/// call is missed) and returns the task to spawn. It stops with the node.
pub(crate) fn run(node: Node) -> impl Future<Output = ()> + Send + 'static {
    let events = node.stored_events();
    let commands = node.search_index().take_commands();
    async move {
        let Some(commands) = commands else {
            warn!("search indexer already running");
            return;
        };
        if let Err(error) = index_loop(node, events, commands).await {
            warn!(%error, "search indexer stopped");
        }
    }
}

async fn index_loop(
    node: Node,
    mut events: broadcast::Receiver<StoredEvent>,
    mut commands: mpsc::Receiver<Command>,
) -> Result<(), Error> {
    let opened = node.clone();
    let (mut indexer, stale) =
        blocking(move || -> Result<(Indexer, Option<&'static str>), Error> {
            let indexer = Indexer::open(opened)?;
            let stale = indexer.staleness()?;
            Ok((indexer, stale))
        })
        .await??;
    if let Some(reason) = stale {
        info!("{reason}");
        indexer = rebuild_logged(indexer, &mut events).await?;
    }
    loop {
        tokio::select! {
            _ = node.cancelled().cancelled() => break,
            command = commands.recv() => match command {
                Some(Command::Rebuild { reply }) => {
                    let (returned, outcome) = rebuild(indexer, &mut events).await?;
                    indexer = returned;
                    let _ = reply.send(outcome);
                }
                None => break,
            },
            event = events.recv() => {
                let mut batch = Vec::new();
                let mut lagged = false;
                match event {
                    Ok(event) => batch.push(event),
                    Err(broadcast::error::RecvError::Lagged(_)) => lagged = true,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
                // Gather what arrives within the coalescing window into one commit:
                // a tantivy commit writes a segment, and one per gossip message would
                // cost more CPU than everything else the node does.
                let window = tokio::time::Instant::now() + COMMIT_COALESCE;
                while !lagged && batch.len() < BATCH_MAX {
                    match tokio::time::timeout_at(window, events.recv()).await {
                        Ok(Ok(event)) => batch.push(event),
                        Ok(Err(broadcast::error::RecvError::Lagged(_))) => lagged = true,
                        Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => break,
                    }
                }
                if lagged {
                    warn!("search indexer fell behind the store; rebuilding");
                    indexer = rebuild_logged(indexer, &mut events).await?;
                    continue;
                }
                let (returned, outcome) = blocking(move || {
                    let outcome = indexer.apply(&batch);
                    (indexer, outcome)
                })
                .await?;
                indexer = returned;
                if let Err(error) = outcome {
                    warn!(%error, "search index update failed; rebuilding");
                    indexer = rebuild_logged(indexer, &mut events).await?;
                }
            }
        }
    }
    blocking(move || indexer.close()).await?;
    debug!("search indexer stopped");
    Ok(())
}

/// Rebuilds on a blocking thread, after dropping the events already queued (the
/// rebuild reads the store after them).
async fn rebuild(
    mut indexer: Indexer,
    events: &mut broadcast::Receiver<StoredEvent>,
) -> Result<(Indexer, Result<Reindexed, Error>), Error> {
    *events = events.resubscribe();
    blocking(move || {
        let outcome = indexer.rebuild();
        (indexer, outcome)
    })
    .await
}

/// [`rebuild`] where nobody waits for the outcome: a failure is logged, and the next
/// batch or restart tries again.
async fn rebuild_logged(
    indexer: Indexer,
    events: &mut broadcast::Receiver<StoredEvent>,
) -> Result<Indexer, Error> {
    let (indexer, outcome) = rebuild(indexer, events).await?;
    if let Err(error) = outcome {
        warn!(%error, "search index rebuild failed");
    }
    Ok(indexer)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Error::Stopped)
}

/// The one writer of the index, moved between the indexer task and blocking threads.
struct Indexer {
    node: Node,
    writer: IndexWriter<TantivyDocument>,
    regions: HashMap<SchoolId, String>,
    /// Replication report doc → the practice doc it reports on. A withdrawn report's
    /// body is purged, so its target must be remembered to recount the practice.
    replications: HashMap<RecordId, RecordId>,
    records_seen: u64,
}

impl Indexer {
    fn open(node: Node) -> Result<Indexer, Error> {
        let search = node.search_index().clone();
        let writer = search
            .shared
            .index
            .writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let records_seen =
            payload_of(&search.shared.index).map_or(0, |payload| payload.records_seen);
        let regions = regions(node.store())?;
        let replications = replications(node.store())?;
        Ok(Indexer {
            node,
            writer,
            regions,
            replications,
            records_seen,
        })
    }

    fn shared(&self) -> &Shared {
        &self.node.search_index().shared
    }

    /// Why the index must be rebuilt before use, if it must: it was never committed,
    /// or it has seen another number of records than the store holds (a crash between
    /// a store write and the index commit).
    fn staleness(&self) -> Result<Option<&'static str>, Error> {
        if payload_of(&self.shared().index).is_none() {
            return Ok(Some("new search index; building it from the store"));
        }
        if self.records_seen != records_held(self.node.store())? {
            return Ok(Some("search index behind the store; rebuilding"));
        }
        Ok(None)
    }

    fn rebuild(&mut self) -> Result<Reindexed, Error> {
        let started = Instant::now();
        let store = self.node.store();
        self.regions = regions(store)?;
        self.replications = replications(store)?;
        let held = records_held(store)?;
        self.writer.delete_all_documents()?;
        let mut practices = 0u64;
        for record in store.latest(Kind::Practice)? {
            if self.index_doc(&record.doc())? {
                practices += 1;
            }
        }
        self.records_seen = held;
        self.commit()?;
        let millis = started.elapsed().as_millis() as u64;
        info!(practices, millis, "search index rebuilt");
        Ok(Reindexed { practices, millis })
    }

    /// Applies a batch of stored-record events and commits once.
    fn apply(&mut self, events: &[StoredEvent]) -> Result<(), Error> {
        let store = self.node.store();
        let mut docs: BTreeSet<RecordId> = BTreeSet::new();
        let mut moved: BTreeSet<SchoolId> = BTreeSet::new();
        // Profiles first: the practices of this batch take the region they name.
        for event in events
            .iter()
            .filter(|event| event.kind == Kind::SchoolProfile)
        {
            let Some(stored) = store.get(&event.id)? else {
                continue;
            };
            let record = stored.record;
            if store.latest_id(&record.doc())? != Some(record.id()) {
                continue;
            }
            if let Some(Body::SchoolProfile(profile)) = record.body()
                && self.regions.get(&record.author()) != Some(&profile.region)
            {
                self.regions.insert(record.author(), profile.region.clone());
                moved.insert(record.author());
            }
        }
        for event in events {
            match event.kind {
                Kind::Practice => {
                    if let Some(stored) = store.get(&event.id)? {
                        docs.insert(stored.record.doc());
                    }
                }
                Kind::Feedback => {
                    if let Some(stored) = store.get(&event.id)?
                        && let Some(Body::Feedback(feedback)) = stored.record.body()
                        && feedback.kind == FeedbackKind::Replication
                        && let Some(target) = store.get(&feedback.target)?
                        && target.record.kind() == Kind::Practice
                    {
                        self.replications
                            .insert(stored.record.doc(), target.record.doc());
                        docs.insert(target.record.doc());
                    }
                }
                Kind::Retraction => {
                    if let Some(stored) = store.get(&event.id)?
                        && let Some(Body::Retraction(retraction)) = stored.record.body()
                    {
                        docs.insert(retraction.doc);
                        if let Some(practice) = self.replications.remove(&retraction.doc) {
                            docs.insert(practice);
                        }
                    }
                }
                _ => {}
            }
        }
        for author in moved {
            docs.extend(self.indexed_docs_of(&author)?);
        }
        for doc in &docs {
            self.index_doc(doc)?;
        }
        self.records_seen += events.len() as u64;
        self.commit()
    }

    /// Replaces whatever the index holds for `doc` by its current state. Returns true
    /// when the document is now indexed.
    fn index_doc(&mut self, doc: &RecordId) -> Result<bool, Error> {
        let fields = self.shared().fields;
        self.writer
            .delete_term(Term::from_field_text(fields.doc, &doc.to_string()));
        let store = self.node.store();
        let Some(record) = latest_practice(store, doc)? else {
            return Ok(false);
        };
        let Some(Body::Practice(practice)) = record.body() else {
            return Ok(false);
        };
        let applied = replicating_schools(store, doc)?.len() as u64;
        let region = self.regions.get(&record.author()).cloned();
        let document = document(&fields, &record, practice, *doc, applied, region.as_deref());
        self.writer.add_document(document)?;
        Ok(true)
    }

    /// Documents the last commit holds for `author`.
    fn indexed_docs_of(&self, author: &SchoolId) -> Result<Vec<RecordId>, Error> {
        let fields = self.shared().fields;
        let searcher = self.shared().reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(fields.author, &author.to_string()),
            IndexRecordOption::Basic,
        );
        let mut docs = Vec::new();
        for address in searcher.search(&query, &DocSetCollector)? {
            let document: TantivyDocument = searcher.doc(address)?;
            if let Some(doc) = text_field(&document, fields.doc).and_then(|text| text.parse().ok())
            {
                docs.push(doc);
            }
        }
        Ok(docs)
    }

    fn commit(&mut self) -> Result<(), Error> {
        let payload = serde_json::to_string(&Payload {
            schema: SCHEMA_VERSION,
            records_seen: self.records_seen,
        })
        .unwrap_or_default();
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        let shared = self.shared();
        shared.reader.reload()?;
        shared.commits.send_modify(|generation| *generation += 1);
        Ok(())
    }

    /// Lets merges finish and releases the writer's lock, so the same directory can be
    /// opened again (a restart in the same process).
    fn close(self) {
        if let Err(error) = self.writer.wait_merging_threads() {
            warn!(%error, "search index merge failed at shutdown");
        }
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analyzed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        doc: builder.add_text_field("doc", STRING | STORED),
        id: builder.add_text_field("id", STORED),
        author: builder.add_text_field("author", STRING | STORED),
        region: builder.add_text_field("region", STRING),
        subject: builder.add_text_field("subject", STRING | STORED),
        grade: builder.add_u64_field("grade", INDEXED | STORED),
        problem: builder.add_text_field("problem", STRING),
        method: builder.add_text_field("method", STRING),
        evidence_min: builder.add_text_field("evidence_min", STRING),
        evidence: builder.add_text_field("evidence", STORED),
        applied: builder.add_u64_field("applied", STORED),
        lang: builder.add_text_field("lang", STRING),
        created: builder.add_u64_field("created", FAST | STORED),
        title: builder.add_text_field("title", analyzed.clone()),
        title_json: builder.add_text_field("title_json", STORED),
        keywords: builder.add_text_field("keywords", analyzed.clone()),
        text: builder.add_text_field("text", analyzed),
    };
    (builder.build(), fields)
}

/// The combined analyzer; see the module docs for why one analyzer serves both
/// languages.
fn analyzer() -> TextAnalyzer {
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .dynamic();
    for language in [Language::Russian, Language::English] {
        if let Some(stop_words) = StopWordFilter::new(language) {
            builder = builder.filter_dynamic(stop_words);
        }
    }
    builder
        .filter_dynamic(Stemmer::new(Language::Russian))
        .filter_dynamic(Stemmer::new(Language::English))
        .build()
}

/// `ё` → `е`: Russian texts write either, and the stemmer only knows `е`.
fn fold(text: &str) -> String {
    text.replace('ё', "е").replace('Ё', "Е")
}

fn open_dir(path: &Path, schema: Schema) -> Result<Index, Error> {
    std::fs::create_dir_all(path).map_err(|error| Error::Directory {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    let directory = MmapDirectory::open(path).map_err(|error| Error::Directory {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    Ok(Index::open_or_create(directory, schema)?)
}

fn payload_of(index: &Index) -> Option<Payload> {
    let metas = index.load_metas().ok()?;
    serde_json::from_str(metas.payload.as_deref()?).ok()
}

fn records_held(store: &View) -> Result<u64, Error> {
    Ok(store.counts()?.values().sum())
}

/// Every replication report held (not withdrawn) → the practice doc it reports on.
fn replications(store: &View) -> Result<HashMap<RecordId, RecordId>, Error> {
    let mut replications = HashMap::new();
    for record in store.latest(Kind::Feedback)? {
        if let Some(Body::Feedback(feedback)) = record.body()
            && feedback.kind == FeedbackKind::Replication
            && let Some(target) = store.get(&feedback.target)?
            && target.record.kind() == Kind::Practice
        {
            replications.insert(record.doc(), target.record.doc());
        }
    }
    Ok(replications)
}

/// Each school's region, from the latest profiles held.
fn regions(store: &View) -> Result<HashMap<SchoolId, String>, Error> {
    let mut regions = HashMap::new();
    for record in store.latest(Kind::SchoolProfile)? {
        if let Some(Body::SchoolProfile(profile)) = record.body() {
            regions
                .entry(record.author())
                .or_insert_with(|| profile.region.clone());
        }
    }
    Ok(regions)
}

fn document(
    fields: &Fields,
    record: &VerifiedRecord,
    practice: &Practice,
    doc: RecordId,
    applied: u64,
    region: Option<&str>,
) -> TantivyDocument {
    let mut document = TantivyDocument::default();
    document.add_text(fields.doc, doc.to_string());
    document.add_text(fields.id, record.id().to_string());
    document.add_text(fields.author, record.author().to_string());
    if let Some(region) = region {
        document.add_text(fields.region, region);
    }
    for subject in &practice.subjects {
        document.add_text(fields.subject, subject);
    }
    for grade in &practice.grades {
        document.add_u64(fields.grade, u64::from(*grade));
    }
    for problem in &practice.problems {
        document.add_text(fields.problem, problem);
    }
    for method in &practice.methods {
        document.add_text(fields.method, method);
    }
    let level = practice.effective_level(applied > 0);
    for reached in EvidenceLevel::ALL
        .iter()
        .filter(|reached| **reached <= level)
    {
        document.add_text(fields.evidence_min, reached.as_str());
    }
    document.add_text(fields.evidence, level.as_str());
    document.add_u64(fields.applied, applied);
    for language in &practice.language {
        document.add_text(fields.lang, ensemble_core::body::primary_subtag(language));
    }
    document.add_u64(fields.created, record.header().created_at);
    document.add_text(fields.title, fold(&practice.title.all_text()));
    document.add_text(
        fields.title_json,
        serde_json::to_string(&practice.title).unwrap_or_default(),
    );
    document.add_text(fields.keywords, fold(&practice.keywords.join("\n")));
    let mut text = vec![
        practice.summary.all_text(),
        practice.problem.all_text(),
        practice.method.all_text(),
    ];
    for (vocabulary, codes) in [
        ("problems", &practice.problems),
        ("methods", &practice.methods),
        ("subjects", &practice.subjects),
    ] {
        for code in codes {
            if let Some(term) = vocab::vocabulary(vocabulary).and_then(|v| v.term(code)) {
                text.push(format!("{}\n{}", term.ru, term.en));
            }
        }
    }
    document.add_text(fields.text, fold(&text.join("\n")));
    document
}

fn build_query(
    fields: &Fields,
    words: &[String],
    query: &Query,
    blocked: &[SchoolId],
) -> BooleanQuery {
    let term_query = |field: Field, text: &str| -> Box<dyn TantivyQuery> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::Basic,
        ))
    };
    let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
    for word in words {
        let scored = |field: Field| -> Box<dyn TantivyQuery> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            ))
        };
        let anywhere = BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(scored(fields.title), TITLE_BOOST)),
            ),
            (
                Occur::Should,
                Box::new(BoostQuery::new(scored(fields.keywords), KEYWORDS_BOOST)),
            ),
            (Occur::Should, scored(fields.text)),
        ]);
        clauses.push((Occur::Must, Box::new(anywhere)));
    }
    if words.is_empty() {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    let filters: [(Field, Option<String>); 7] = [
        (fields.subject, query.subject.clone()),
        (fields.problem, query.problem.clone()),
        (fields.method, query.method.clone()),
        (
            fields.evidence_min,
            query.evidence.map(|level| level.as_str().to_string()),
        ),
        (
            fields.lang,
            query
                .lang
                .as_deref()
                .map(ensemble_core::body::primary_subtag),
        ),
        (fields.author, query.school.map(|school| school.to_string())),
        (fields.region, query.region.clone()),
    ];
    for (field, value) in filters {
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            clauses.push((Occur::Must, term_query(field, &value)));
        }
    }
    if let Some(grade) = query.grade {
        clauses.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_u64(fields.grade, u64::from(grade)),
                IndexRecordOption::Basic,
            )),
        ));
    }
    for school in blocked {
        clauses.push((
            Occur::MustNot,
            term_query(fields.author, &school.to_string()),
        ));
    }
    BooleanQuery::new(clauses)
}

fn text_field(document: &TantivyDocument, field: Field) -> Option<&str> {
    document.get_first(field).and_then(|value| value.as_str())
}

fn hit_of(fields: &Fields, document: &TantivyDocument, score: f32) -> Option<Hit> {
    fn parse<T: std::str::FromStr>(document: &TantivyDocument, field: Field) -> Option<T> {
        text_field(document, field).and_then(|text| text.parse().ok())
    }
    Some(Hit {
        id: parse(document, fields.id)?,
        doc: parse(document, fields.doc)?,
        author: parse(document, fields.author)?,
        title: text_field(document, fields.title_json)
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default(),
        subjects: document
            .get_all(fields.subject)
            .filter_map(|value| value.as_str().map(str::to_string))
            .collect(),
        grades: document
            .get_all(fields.grade)
            .filter_map(|value| value.as_u64())
            .filter_map(|grade| u8::try_from(grade).ok())
            .collect(),
        evidence: text_field(document, fields.evidence)
            .and_then(EvidenceLevel::from_code)
            .unwrap_or(EvidenceLevel::E0),
        applied_in: document
            .get_first(fields.applied)
            .and_then(|value| value.as_u64())
            .and_then(|applied| u32::try_from(applied).ok())
            .unwrap_or(0),
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(text: &str) -> Vec<String> {
        let mut analyzer = analyzer();
        let folded = fold(text);
        let mut stream = analyzer.token_stream(&folded);
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        words
    }

    #[test]
    fn russian_word_forms_meet_at_one_stem() {
        let cases = [
            ("смысловое чтение", "Стратегии смыслового чтения"),
            ("чтение", "ЧТЕНИЯ"),
            ("оценивание", "формирующего оценивания"),
            ("reading strategies", "Reading strategy"),
            ("ёлка", "елки"),
        ];
        for (query, title) in cases {
            let title_words = analyze(title);
            for word in analyze(query) {
                assert!(
                    title_words.contains(&word),
                    "{query:?} → {word:?} not in {title:?} → {title_words:?}"
                );
            }
        }
    }

    #[test]
    fn each_stemmer_leaves_the_other_alphabet_alone_and_stop_words_go() {
        assert_eq!(analyze("Reading и чтение the"), vec!["read", "чтен"]);
        assert_eq!(analyze("на уроках"), vec!["урок"]);
        assert!(analyze(&"x".repeat(MAX_TOKEN_BYTES + 1)).is_empty());
    }
}
