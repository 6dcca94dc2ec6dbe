//! The indexer task: the one writer of the index. It consumes stored-record events,
//! coalesces them into one commit per window, rebuilds on `Lagged` or when the index is
//! behind the store, and serves rebuild commands.
//!
//! It takes its inputs — a store view, the index, the event and command receivers and a
//! cancellation token — rather than a whole node, so it is tested below on a temp store.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::time::Instant;

use ensemble_core::body::{Body, FeedbackKind};
use ensemble_core::{Kind, RecordId, SchoolId};
use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{IndexWriter, TantivyDocument, Term};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};

use ensemble_store::SharedView;
use tokio_util::sync::CancellationToken;

use super::catalog::{latest_practice, records_held, regions, replicating_schools, replications};
use super::schema::{document, text_field};
use super::*;
use crate::node::StoredEvent;

/// What the indexer works from: the store to read, the index to write, the events of
/// records newly stored and when to stop.
pub(crate) struct Inputs {
    /// Read access to the store (the truth the index is derived from).
    pub store: SharedView,
    /// The index; the indexer takes its command receiver.
    pub index: SearchIndex,
    /// Stored-record events, subscribed *before* the indexer reads the store, so that
    /// nothing stored after the subscription is missed.
    pub events: broadcast::Receiver<StoredEvent>,
    /// Stops the indexer.
    pub cancel: CancellationToken,
}

/// The indexer task; it stops on cancellation or when the events end.
pub(crate) fn run(inputs: Inputs) -> impl Future<Output = ()> + Send + 'static {
    let commands = inputs.index.take_commands();
    async move {
        let Some(commands) = commands else {
            warn!("search indexer already running");
            return;
        };
        if let Err(error) = index_loop(inputs, commands).await {
            warn!(%error, "search indexer stopped");
        }
    }
}

async fn index_loop(inputs: Inputs, mut commands: mpsc::Receiver<Command>) -> Result<(), Error> {
    let Inputs {
        store,
        index,
        mut events,
        cancel,
    } = inputs;
    let (mut indexer, stale) =
        blocking(move || -> Result<(Indexer, Option<&'static str>), Error> {
            let indexer = Indexer::open(store, index)?;
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
            _ = cancel.cancelled() => break,
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
    store: SharedView,
    index: SearchIndex,
    writer: IndexWriter<TantivyDocument>,
    regions: HashMap<SchoolId, String>,
    /// Replication report doc → the practice doc it reports on. A withdrawn report's
    /// body is purged, so its target must be remembered to recount the practice.
    replications: HashMap<RecordId, RecordId>,
    records_seen: u64,
}

impl Indexer {
    fn open(store: SharedView, search: SearchIndex) -> Result<Indexer, Error> {
        let writer = search
            .shared
            .index
            .writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let records_seen =
            payload_of(&search.shared.index).map_or(0, |payload| payload.records_seen);
        let regions = regions(&store)?;
        let replications = replications(&store)?;
        Ok(Indexer {
            store,
            index: search,
            writer,
            regions,
            replications,
            records_seen,
        })
    }

    fn shared(&self) -> &Shared {
        &self.index.shared
    }

    /// Why the index must be rebuilt before use, if it must: it was never committed,
    /// or it has seen another number of records than the store holds (a crash between
    /// a store write and the index commit).
    fn staleness(&self) -> Result<Option<&'static str>, Error> {
        if payload_of(&self.shared().index).is_none() {
            return Ok(Some("new search index; building it from the store"));
        }
        if self.records_seen != records_held(&self.store)? {
            return Ok(Some("search index behind the store; rebuilding"));
        }
        Ok(None)
    }

    fn rebuild(&mut self) -> Result<Reindexed, Error> {
        let started = Instant::now();
        let store = self.store.clone();
        self.regions = regions(&store)?;
        self.replications = replications(&store)?;
        let held = records_held(&store)?;
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
        let store = self.store.clone();
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
        let store = self.store.clone();
        let Some(record) = latest_practice(&store, doc)? else {
            return Ok(false);
        };
        let Some(Body::Practice(practice)) = record.body() else {
            return Ok(false);
        };
        let applied = replicating_schools(&store, doc)?.len() as u64;
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use ensemble_core::{Draft, Kind, SchoolKey, VerifiedRecord};
    use ensemble_store::Store;
    use tokio::sync::broadcast;

    use super::*;

    /// How long a test waits for a commit before failing.
    const WAIT: Duration = Duration::from_secs(10);

    fn practice(title: &str) -> Vec<u8> {
        serde_json::json!({
            "title": {"ru": title},
            "summary": {"ru": "Кратко о практике"},
            "problem": {"ru": "Проблема"},
            "subjects": ["russian"],
            "grades": [5],
            "method": {"ru": "Метод"},
            "language": ["ru"],
            "license": "CC-BY-4.0"
        })
        .to_string()
        .into_bytes()
    }

    struct Harness {
        _dir: tempfile::TempDir,
        store: Arc<Store>,
        index: SearchIndex,
        events: broadcast::Sender<StoredEvent>,
        cancel: CancellationToken,
        task: tokio::task::JoinHandle<()>,
    }

    fn start() -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(Store::open(&dir.path().join("store")).expect("opens"));
        let index = SearchIndex::open(dir.path()).expect("index opens");
        let (events, receiver) = broadcast::channel(64);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(run(Inputs {
            store: SharedView::new(Arc::clone(&store)),
            index: index.clone(),
            events: receiver,
            cancel: cancel.clone(),
        }));
        Harness {
            _dir: dir,
            store,
            index,
            events,
            cancel,
            task,
        }
    }

    impl Harness {
        fn append(&self, key: &SchoolKey, doc: Option<RecordId>, body: Vec<u8>) -> VerifiedRecord {
            let kind = if doc.is_some() && body.starts_with(b"{\"doc\"") {
                Kind::Retraction
            } else {
                Kind::Practice
            };
            let draft = Draft {
                network: "net".into(),
                kind,
                doc: if kind == Kind::Retraction { None } else { doc },
                body,
            };
            let record = self
                .store
                .append(key, draft, ensemble_core::now_ms(), 0)
                .expect("appends");
            let _ = self.events.send(StoredEvent {
                id: record.id(),
                author: record.author(),
                kind: record.kind(),
            });
            record
        }

        /// Waits until a search for `text` finds `expected` documents.
        async fn wait_for(&self, text: &str, expected: usize) {
            let mut commits = self.index.commits();
            let query = Query {
                text: text.into(),
                ..Query::default()
            };
            tokio::time::timeout(WAIT, async {
                loop {
                    let found = self.index.search(&self.store, &query).expect("searches");
                    if found.total == expected {
                        return;
                    }
                    commits.changed().await.expect("indexer running");
                }
            })
            .await
            .unwrap_or_else(|_| panic!("{text:?}: {expected} hits never showed"));
        }

        async fn stop(self) {
            self.cancel.cancel();
            self.task.await.expect("indexer stops");
        }
    }

    #[tokio::test]
    async fn stored_practices_become_searchable_and_retracted_ones_leave() {
        let harness = start();
        let key = SchoolKey::from_seed([3; 32]);
        let first = harness.append(&key, None, practice("Утренний круг"));
        harness.append(&key, None, practice("Стратегии смыслового чтения"));
        harness.wait_for("чтение", 1).await;
        harness.wait_for("круг", 1).await;
        let retraction = format!("{{\"doc\":\"{}\"}}", first.id()).into_bytes();
        harness.append(&key, Some(first.id()), retraction);
        harness.wait_for("круг", 0).await;
        harness.wait_for("чтение", 1).await;
        harness.stop().await;
    }

    #[tokio::test]
    async fn a_lagged_receiver_rebuilds_from_the_store() {
        let harness = start();
        let key = SchoolKey::from_seed([4; 32]);
        // First the indexer's start-up build, so what follows is not covered by it.
        harness.append(&key, None, practice("Первая практика"));
        harness.wait_for("практика", 1).await;
        // Then far more events than the channel holds, sent without yielding (this test
        // runs on one thread, so the indexer cannot read in between): the receiver lags
        // and only a rebuild from the store finds them all.
        for number in 0..100 {
            harness.append(&key, None, practice(&format!("Практика номер {number}")));
        }
        harness.wait_for("практика", 101).await;
        harness.stop().await;
    }
}
