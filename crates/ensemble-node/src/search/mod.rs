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
//!
//! Code map: this file holds the query types and the index handle; `indexer` the task
//! that keeps the index in step with the store; `schema` the fields, the analyzer and
//! the mapping between a practice and an index document; `catalog` the store queries
//! the catalog shares with the web card (who replicated a practice, its latest version).

mod catalog;
mod indexer;
mod schema;

pub use catalog::{latest_practice, replicating_schools};
pub(crate) use indexer::{Inputs as IndexerInputs, run};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ensemble_core::body::{EvidenceLevel, LangMap};
use ensemble_core::{RecordId, SchoolId};
use ensemble_store::{Block, View};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::schema::{Field, Schema};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, Order, ReloadPolicy, TantivyDocument};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::warn;

use crate::node::{Node, NodeError};
use schema::{analyzer, build_query, fold, hit_of, schema};

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
