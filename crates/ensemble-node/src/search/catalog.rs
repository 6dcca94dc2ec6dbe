//! Store queries the catalog needs beyond one record: which schools replicated a
//! practice, a practice document's latest version by its own author, each school's
//! region, and every replication report held.

use std::collections::{BTreeSet, HashMap};

use ensemble_core::body::{Body, FeedbackKind};
use ensemble_core::{Kind, RecordId, SchoolId, VerifiedRecord};
use ensemble_store::View;

use super::Error;

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

pub(super) fn records_held(store: &View) -> Result<u64, Error> {
    Ok(store.counts()?.values().sum())
}

/// Every replication report held (not withdrawn) → the practice doc it reports on.
pub(super) fn replications(store: &View) -> Result<HashMap<RecordId, RecordId>, Error> {
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
pub(super) fn regions(store: &View) -> Result<HashMap<SchoolId, String>, Error> {
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
