//! A request's thread: gathering its records from the store by following references,
//! and deriving its state with `ensemble_core::mentoring::derive_thread`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use ensemble_core::body::{Body, Date, FeedbackKind, MentoringRequest};
use ensemble_core::mentoring::{Thread, derive_thread};
use ensemble_core::{Kind, RecordId, VerifiedRecord};
use tracing::warn;

use crate::node::{Node, NodeError};

use super::directory::Directory;
use super::latest_version;
use super::views::{
    AgreementView, RankedOffer, RecordRef, RefusedView, ReportView, ThreadView, record_ref,
};

/// Most records gathered into one thread: a real thread holds a few dozen; the bound
/// keeps a flood of forged referrers from making one `show` call unbounded.
const MAX_THREAD_RECORDS: usize = 10_000;

/// A request's thread derived from the records held now.
pub(super) struct Derived {
    /// The request's first version.
    pub(super) request: VerifiedRecord,
    /// Every record of the thread (the request's later versions included).
    related: Vec<VerifiedRecord>,
    /// Retracted documents among them.
    pub(super) retracted: BTreeSet<RecordId>,
    pub(super) thread: Thread,
}

impl Derived {
    /// Gathers and derives the thread of request document `doc`; `None` when no
    /// request by that id is held.
    pub(super) fn load(
        node: &Node,
        doc: RecordId,
        today: Date,
    ) -> Result<Option<Derived>, NodeError> {
        let store = node.store();
        let Some(stored) = store.get(&doc)? else {
            return Ok(None);
        };
        let request = stored.record;
        if request.kind() != Kind::MentoringRequest || request.header().doc.is_some() {
            return Ok(None);
        }
        let related = gather(node, &request)?;
        let mut retracted = BTreeSet::new();
        let docs: BTreeSet<RecordId> = related
            .iter()
            .map(VerifiedRecord::doc)
            .chain([doc])
            .collect();
        for doc in docs {
            if store.is_retracted(&doc)? {
                retracted.insert(doc);
            }
        }
        let thread = derive_thread(
            &request,
            &related,
            &|doc: &RecordId| retracted.contains(doc),
            today,
        );
        Ok(Some(Derived {
            request,
            related,
            retracted,
            thread,
        }))
    }

    fn all(&self) -> impl Iterator<Item = &VerifiedRecord> + Clone {
        std::iter::once(&self.request).chain(self.related.iter())
    }

    /// The latest version of a document of the thread.
    fn latest(&self, doc: RecordId) -> Option<&VerifiedRecord> {
        latest_version(self.all(), doc)
    }

    /// The request's body in its latest version; `None` once withdrawn.
    pub(super) fn request_body(&self) -> Option<&MentoringRequest> {
        match self.latest(self.request.doc())?.body() {
            Some(Body::MentoringRequest(request)) => Some(request),
            _ => None,
        }
    }

    fn doc_ref(&self, doc: RecordId, directory: &Directory) -> Option<RecordRef> {
        self.latest(doc).map(|record| record_ref(record, directory))
    }

    /// The thread as the API shows it, with its `offers` already ranked.
    pub(super) fn view(&self, offers: Vec<RankedOffer>, directory: &Directory) -> ThreadView {
        let thread = &self.thread;
        let refs = |docs: &[RecordId]| -> Vec<RecordRef> {
            docs.iter()
                .filter_map(|doc| self.doc_ref(*doc, directory))
                .collect()
        };
        let agreement = thread.agreement.as_ref().and_then(|agreement| {
            Some(AgreementView {
                acceptance: self.doc_ref(agreement.acceptance, directory)?,
                offer: agreement.offer.to_string(),
                mentor: agreement.mentor.to_string(),
                mentor_name: directory.name_of(&agreement.mentor),
                supported: agreement.supported.to_string(),
                supported_name: directory.name_of(&agreement.supported),
                state: agreement.state.as_str().to_string(),
                reports: agreement
                    .reports
                    .iter()
                    .filter_map(|entry| {
                        Some(ReportView {
                            report: self.doc_ref(entry.report, directory)?,
                            status: entry.status.as_str().to_string(),
                            acknowledgements: refs(&entry.acknowledged_by),
                        })
                    })
                    .collect(),
                closure: agreement
                    .closure
                    .and_then(|closure| self.doc_ref(closure, directory)),
            })
        });
        let refused: Vec<RefusedView> = thread
            .refused
            .iter()
            .filter_map(|refusal| {
                Some(RefusedView {
                    record: self.doc_ref(refusal.record, directory)?,
                    rule: refusal.rule.to_string(),
                    reason: refusal.reason.clone(),
                })
            })
            .collect();
        ThreadView {
            request: self
                .doc_ref(self.request.doc(), directory)
                .unwrap_or_else(|| record_ref(&self.request, directory)),
            state: thread.state.as_str().to_string(),
            offers,
            agreement,
            pending: refs(&self.pending()),
            refused,
        }
    }

    /// Acceptances of this request, by the requester, whose offer is not held yet: the
    /// thread neither refuses them nor lets them take effect.
    fn pending(&self) -> Vec<RecordId> {
        let refused: BTreeSet<RecordId> = self
            .thread
            .refused
            .iter()
            .map(|refusal| refusal.record)
            .collect();
        let winner = self
            .thread
            .agreement
            .as_ref()
            .map(|agreement| agreement.acceptance);
        let held: BTreeSet<RecordId> = self.all().map(VerifiedRecord::doc).collect();
        let mut pending: Vec<(u64, RecordId)> = Vec::new();
        for record in self.related.iter() {
            let Some(Body::MentoringAcceptance(acceptance)) = record.body() else {
                continue;
            };
            let doc = record.doc();
            let offer_doc = self
                .all()
                .find(|held| held.id() == acceptance.offer)
                .map_or(acceptance.offer, VerifiedRecord::doc);
            let waiting = record.header().doc.is_none()
                && !self.retracted.contains(&doc)
                && !refused.contains(&doc)
                && winner != Some(doc)
                && !held.contains(&offer_doc)
                && self.names_request(acceptance.request);
            if waiting {
                pending.push((record.header().created_at, doc));
            }
        }
        pending.sort();
        pending.into_iter().map(|(_, doc)| doc).collect()
    }

    fn names_request(&self, reference: RecordId) -> bool {
        reference == self.request.doc()
            || self
                .all()
                .any(|record| record.id() == reference && record.doc() == self.request.doc())
    }
}

/// Every held record of the request's thread: its versions, offers to it, acceptances
/// of them or naming it (with the offers they name), reports and closures of those,
/// and acknowledgements of the reports — found by following references, in any order
/// of arrival.
fn gather(node: &Node, request: &VerifiedRecord) -> Result<Vec<VerifiedRecord>, NodeError> {
    let store = node.store();
    let request_doc = request.doc();
    let mut found: BTreeMap<RecordId, VerifiedRecord> = BTreeMap::new();
    let mut queue: VecDeque<RecordId> = VecDeque::from([request_doc]);
    let mut expanded: BTreeSet<RecordId> = BTreeSet::new();
    // Adds a record (and its document's first version) and queues it for expansion.
    let add = |record: VerifiedRecord,
               expand: bool,
               found: &mut BTreeMap<RecordId, VerifiedRecord>,
               queue: &mut VecDeque<RecordId>|
     -> Result<(), NodeError> {
        if expand {
            queue.push_back(record.id());
            queue.push_back(record.doc());
        }
        if let Some(doc) = record.header().doc
            && doc != request_doc
            && !found.contains_key(&doc)
            && let Some(first) = store.get(&doc)?
            && first.record.author() == record.author()
        {
            found.insert(doc, first.record);
        }
        found.insert(record.id(), record);
        Ok(())
    };
    while let Some(id) = queue.pop_front() {
        if !expanded.insert(id) {
            continue;
        }
        if found.len() >= MAX_THREAD_RECORDS {
            warn!(request = %request_doc, "thread larger than {MAX_THREAD_RECORDS} records; the rest is left out");
            break;
        }
        for (referrer, kind) in store.referring(&id)? {
            if referrer == request.id() || found.contains_key(&referrer) {
                continue;
            }
            let wanted = matches!(
                kind,
                Some(
                    Kind::MentoringRequest
                        | Kind::MentoringOffer
                        | Kind::MentoringAcceptance
                        | Kind::ProgressReport
                        | Kind::MentoringClosure
                        | Kind::Feedback
                )
            );
            if !wanted {
                continue;
            }
            let Some(stored) = store.get(&referrer)? else {
                continue;
            };
            let record = stored.record;
            let expand = match (record.kind(), record.body()) {
                (Kind::MentoringRequest, _) if record.doc() != request_doc => continue,
                // A later version of the request: offers may name it by this id.
                (Kind::MentoringRequest, _) => true,
                (_, Some(Body::Feedback(feedback)))
                    if feedback.kind != FeedbackKind::Acknowledgement =>
                {
                    continue;
                }
                (_, Some(Body::MentoringAcceptance(acceptance))) => {
                    let this_thread = node.doc_of(acceptance.request)? == request_doc;
                    if this_thread
                        && let Some(offer) = store.get(&acceptance.offer)?
                        && offer.record.kind() == Kind::MentoringOffer
                        && !found.contains_key(&offer.record.id())
                    {
                        add(offer.record, true, &mut found, &mut queue)?;
                    }
                    // Another thread's acceptance of a shared offer matters to this
                    // thread only in itself, never its reports.
                    this_thread
                }
                // Withdrawn: its body is gone, and nothing hangs on it any more.
                (_, None) => false,
                _ => true,
            };
            add(record, expand, &mut found, &mut queue)?;
        }
    }
    Ok(found.into_values().collect())
}
