//! Mentoring between schools on this node: publishing requests, offers, acceptances,
//! progress reports, acknowledgements and closures; ranking offers and requests by fit;
//! showing a request's whole thread; and following a partner school once an agreement
//! is made.
//!
//! The rules themselves are pure functions in `ensemble_core::mentoring`; this module
//! only gathers the records they need from the store (a request's thread by following
//! references, mentors' profiles, practices and active partnerships) and turns the
//! results into views. Nothing here is stored: every state is derived on each call.
//!
//! Records that break a thread's rules are still stored when they arrive from other
//! nodes (they are valid signed evidence); the derived thread lists them as refused.
//! Records this school writes are checked before signing ([`Node::check_mentoring`]),
//! so a user cannot publish what every other node would refuse.
//!
//! Code map: this file holds the node's mentoring operations and the partner follower;
//! `views` the serialisable views and how a record becomes one; `thread` gathering and
//! deriving a request's thread; `directory` what fit needs to know about every school;
//! `draft` the JSON body being completed before signing; `date` today's UTC date.

mod date;
mod directory;
mod draft;
mod partners;
mod thread;
mod views;

use std::collections::HashMap;

use ensemble_core::body::{
    Body, Date, FeedbackKind, MentoringOffer, MentoringRequest, Visibility, default_autonomy,
};
use ensemble_core::mentoring::{
    Fit, FitInput, Refusal, RequestState, Rule, RuleContext, check_new, rank,
};
use ensemble_core::{Kind, RecordId, VerifiedRecord};
use tracing::{info, warn};

use ensemble_core::body::language_of;

use crate::node::{Node, NodeError};

use self::date::today;
use self::directory::Directory;
use self::draft::Draft;
use self::thread::Derived;
use self::views::record_ref;
pub use self::views::{
    AgreementView, FitView, RankedOffer, RankedRequest, ReasonView, RecordRef, RefusedView,
    ReportView, SchoolView, ThreadView,
};
pub(crate) use partners::follow_partners;

/// Most reference hops from a record to its request (acknowledgement → report →
/// acceptance → request is three).
const MAX_REFERENCE_HOPS: usize = 4;

/// The acknowledgement text when the mentor school writes none.
const DEFAULT_ACKNOWLEDGEMENT_RU: &str = "Отчёт получен, проведённая работа подтверждена.";
/// The acknowledgement text in English.
const DEFAULT_ACKNOWLEDGEMENT_EN: &str = "Report received; the work done is confirmed.";

impl Node {
    /// Publishes this school's profile: a new version of the profile document it
    /// published at first start (or a first one when it has none).
    pub async fn set_profile(&self, body: Vec<u8>) -> Result<VerifiedRecord, NodeError> {
        let own = self
            .store()
            .latest(Kind::SchoolProfile)?
            .into_iter()
            .find(|record| record.author() == self.school_id());
        match own {
            Some(profile) => self.update(profile.doc(), body).await,
            None => self.publish(Kind::SchoolProfile, body).await,
        }
    }

    /// Every school whose profile is held: the latest profile of each, by name.
    pub fn schools(&self) -> Result<Vec<SchoolView>, NodeError> {
        let directory = Directory::profiles_only(self)?;
        let mut schools: Vec<SchoolView> = directory
            .profiles
            .iter()
            .map(|(school, entry)| SchoolView {
                school_id: school.to_string(),
                name: entry.name(),
                short_name: entry.profile.short_name.clone(),
                region: entry.profile.region.clone(),
                roles: entry
                    .profile
                    .roles
                    .iter()
                    .map(|role| role.as_str().to_string())
                    .collect(),
                expertise: entry.profile.expertise.clone(),
                languages: entry.profile.languages.clone(),
                profile: entry.doc.to_string(),
                updated_at: entry.updated_at,
            })
            .collect();
        schools.sort_by(|left, right| {
            (&left.name, &left.school_id).cmp(&(&right.name, &right.school_id))
        });
        Ok(schools)
    }

    /// Publishes a mentoring request (body as in `domain.md`).
    pub async fn publish_request(&self, body: Vec<u8>) -> Result<VerifiedRecord, NodeError> {
        self.publish(Kind::MentoringRequest, body).await
    }

    /// Publishes an offer: to `request` when given (the body's `request` field is set
    /// to it), else as the body says (a standing offer when it names no request).
    pub async fn offer(
        &self,
        request: Option<RecordId>,
        body: Vec<u8>,
    ) -> Result<VerifiedRecord, NodeError> {
        let mut draft = Draft::parse(Kind::MentoringOffer, &body)?;
        let request = match request {
            Some(request) => Some(request),
            None => draft.reference("request"),
        };
        if let Some(request) = request {
            draft.set_id("request", self.doc_of(request)?);
        }
        self.publish_draft(Kind::MentoringOffer, draft).await
    }

    /// Accepts an offer: the supported school's half of the agreement. The request is
    /// `request` when given, else the one the offer answers, else the body's `request`
    /// (required for a standing offer). The autonomy clause is prefilled when the body
    /// leaves it out. Then this school follows the mentor school.
    pub async fn accept(
        &self,
        offer: RecordId,
        request: Option<RecordId>,
        body: Option<Vec<u8>>,
    ) -> Result<VerifiedRecord, NodeError> {
        let mut draft = match &body {
            Some(body) => Draft::parse(Kind::MentoringAcceptance, body)?,
            None => Draft::empty(),
        };
        let held_offer = self.store().get(&offer)?.map(|stored| stored.record);
        if let Some(record) = &held_offer
            && record.kind() != Kind::MentoringOffer
        {
            return Err(wrong_kind(offer, record.kind(), Kind::MentoringOffer));
        }
        let answered = held_offer.as_ref().and_then(|record| match record.body() {
            Some(Body::MentoringOffer(body)) => body.request,
            _ => None,
        });
        let request = request.or(answered).or_else(|| draft.reference("request"));
        match request {
            Some(request) => draft.set_id("request", self.doc_of(request)?),
            None if held_offer.is_none() => {
                return Err(rule_error(&Refusal::new(offer, Rule::OfferUnknown)));
            }
            None => {
                return Err(NodeError::BadRequest(format!(
                    "offer {offer} is a standing offer: name the request it is accepted for (--request ID, or \"request\" in the body)"
                )));
            }
        }
        draft.set_id(
            "offer",
            held_offer.as_ref().map_or(offer, VerifiedRecord::doc),
        );
        draft.default_value("autonomy", serde_json::to_value(default_autonomy()));
        let record = self.publish_draft(Kind::MentoringAcceptance, draft).await?;
        if let Some(mentor) = held_offer.map(|offer| offer.author())
            && mentor != self.school_id()
        {
            match self.follow(mentor).await {
                Ok(_) => info!(mentor = %mentor, "following the mentor school"),
                Err(error) => warn!(%error, mentor = %mentor, "could not follow the mentor school"),
            }
        }
        Ok(record)
    }

    /// Publishes a progress report on the agreement formed by acceptance `agreement`.
    pub async fn report(
        &self,
        agreement: RecordId,
        body: Vec<u8>,
    ) -> Result<VerifiedRecord, NodeError> {
        let draft = self.agreement_draft(Kind::ProgressReport, agreement, &body)?;
        self.publish_draft(Kind::ProgressReport, draft).await
    }

    /// Acknowledges a partner's progress report: feedback of kind `acknowledgement`.
    pub async fn acknowledge(
        &self,
        report: RecordId,
        text: Option<String>,
    ) -> Result<VerifiedRecord, NodeError> {
        let Some(stored) = self.store().get(&report)? else {
            return Err(NodeError::NotFound(format!("progress report {report}")));
        };
        if stored.record.kind() != Kind::ProgressReport {
            return Err(wrong_kind(
                report,
                stored.record.kind(),
                Kind::ProgressReport,
            ));
        }
        let text = match text.filter(|text| !text.trim().is_empty()) {
            Some(text) => serde_json::json!({ language_of(&text): text }),
            None => serde_json::json!({
                "ru": DEFAULT_ACKNOWLEDGEMENT_RU,
                "en": DEFAULT_ACKNOWLEDGEMENT_EN,
            }),
        };
        let body = serde_json::json!({
            "target": stored.record.doc().to_string(),
            "kind": FeedbackKind::Acknowledgement.as_str(),
            "text": text,
        });
        self.publish(Kind::Feedback, body.to_string().into_bytes())
            .await
    }

    /// Closes the agreement formed by acceptance `agreement`. A plain-text `summary` is
    /// turned into a language map.
    pub async fn close(
        &self,
        agreement: RecordId,
        body: Vec<u8>,
    ) -> Result<VerifiedRecord, NodeError> {
        let mut draft = self.agreement_draft(Kind::MentoringClosure, agreement, &body)?;
        draft.text_to_map("summary");
        self.publish_draft(Kind::MentoringClosure, draft).await
    }

    /// The whole thread of the request that `id` belongs to: `id` may name the request,
    /// an offer, an acceptance, a report, a closure or an acknowledgement.
    pub fn thread(&self, id: RecordId) -> Result<ThreadView, NodeError> {
        let (_, directory, derived) = self.thread_of(id)?;
        let offers = self.ranked_offers(&derived, &derived.thread.offers, &directory)?;
        Ok(derived.view(offers, &directory))
    }

    /// The offers a requester can choose from, best fit first: those made to the
    /// request (`id` names the request or any record of its thread) and every live
    /// standing offer not its own.
    pub fn rank_offers(&self, id: RecordId) -> Result<Vec<RankedOffer>, NodeError> {
        let (today, directory, derived) = self.thread_of(id)?;
        let mut candidates = derived.thread.offers.clone();
        for record in self.store().latest(Kind::MentoringOffer)? {
            let Some(Body::MentoringOffer(offer)) = record.body() else {
                continue;
            };
            let live = offer.request.is_none()
                && record.author() != derived.request.author()
                && offer.valid_until.is_none_or(|until| until >= today)
                && !candidates.contains(&record.doc());
            if live {
                candidates.push(record.doc());
            }
        }
        self.ranked_offers(&derived, &candidates, &directory)
    }

    /// For a mentor school: the requests of its networks (only those still taking
    /// offers when `open_only`), best fit with this school's profile and practices
    /// first. This school's own requests are left out, and so are requests visible
    /// only in a region other than this school's.
    pub fn rank_requests(&self, open_only: bool) -> Result<Vec<RankedRequest>, NodeError> {
        let today = today()?;
        let directory = Directory::build(self, today)?;
        let me = self.school_id();
        let my_profile = directory.profiles.get(&me).map(|entry| &entry.profile);
        let networks = self.networks();
        let mut entries = Vec::new();
        for record in self.store().latest(Kind::MentoringRequest)? {
            let Some(Body::MentoringRequest(request)) = record.body() else {
                continue;
            };
            if record.author() == me || !networks.contains(&record.header().network) {
                continue;
            }
            let requester_region = directory
                .profiles
                .get(&record.author())
                .map(|entry| entry.profile.region.as_str());
            let elsewhere = request.visibility == Visibility::Region
                && my_profile
                    .zip(requester_region)
                    .is_some_and(|(mine, theirs)| mine.region != theirs);
            if elsewhere {
                continue;
            }
            let Some(derived) = Derived::load(self, record.doc(), today)? else {
                continue;
            };
            let state = derived.thread.state;
            let taking_offers = matches!(state, RequestState::Open | RequestState::InNegotiation);
            if open_only && !taking_offers {
                continue;
            }
            entries.push((record.clone(), request.clone(), derived));
        }
        let practices = directory.practices_of(&me);
        let active = directory.active_of(&me);
        let candidates: Vec<(RecordId, FitInput)> = entries
            .iter()
            .map(|(record, request, _)| {
                (
                    record.doc(),
                    FitInput {
                        request,
                        offer: None,
                        profile: my_profile,
                        practices,
                        active_partnerships: active,
                    },
                )
            })
            .collect();
        let ranked = rank(&candidates);
        let by_doc: HashMap<RecordId, &(VerifiedRecord, MentoringRequest, Derived)> =
            entries.iter().map(|entry| (entry.0.doc(), entry)).collect();
        Ok(ranked
            .iter()
            .enumerate()
            .filter_map(|(index, (doc, fit))| {
                let (record, _, derived) = by_doc.get(doc)?;
                Some(RankedRequest {
                    rank: index + 1,
                    request: record_ref(record, &directory),
                    state: derived.thread.state.as_str().to_string(),
                    offers: derived.thread.offers.len(),
                    fit: FitView::from(fit),
                })
            })
            .collect())
    }

    /// Checks a new mentoring record (or acknowledgement) this school is about to
    /// sign against its thread's rules. Kinds the rules say nothing about pass.
    pub(crate) fn check_mentoring(&self, kind: Kind, body: &Body) -> Result<(), NodeError> {
        let store = self.store();
        let (request_ref, offer_ref) = match body {
            Body::MentoringOffer(offer) => match offer.request {
                Some(request) => (request, None),
                None => return Ok(()),
            },
            Body::MentoringAcceptance(acceptance) => (acceptance.request, Some(acceptance.offer)),
            Body::ProgressReport(report) => (self.agreement_request(report.agreement)?, None),
            Body::MentoringClosure(closure) => (self.agreement_request(closure.agreement)?, None),
            Body::Feedback(feedback) if feedback.kind == FeedbackKind::Acknowledgement => {
                let target = store.get(&feedback.target)?.map(|stored| stored.record);
                match target {
                    Some(report) if report.kind() == Kind::ProgressReport => match report.body() {
                        Some(Body::ProgressReport(body)) => {
                            (self.agreement_request(body.agreement)?, None)
                        }
                        _ => return Ok(()),
                    },
                    _ => return Ok(()),
                }
            }
            _ => return Ok(()),
        };
        let Some(request) = store
            .get(&self.doc_of(request_ref)?)?
            .map(|stored| stored.record)
        else {
            return Err(NodeError::NotFound(format!(
                "mentoring request {request_ref} (not held by this node)"
            )));
        };
        if request.kind() != Kind::MentoringRequest {
            return Err(NodeError::BadRequest(format!(
                "{request_ref} is a {}, not a mentoring_request",
                request.kind()
            )));
        }
        let today = today()?;
        let Some(derived) = Derived::load(self, request.doc(), today)? else {
            return Err(NodeError::NotFound(format!(
                "mentoring request {request_ref}"
            )));
        };
        let offer = match offer_ref {
            // Named by its doc id: check against the offer's latest version.
            Some(offer) => match store.get(&offer)? {
                Some(stored) if stored.record.header().doc.is_none() => {
                    self.latest_own_version(offer)?
                }
                Some(stored) => Some(stored.record),
                None => None,
            },
            None => None,
        };
        let retracted = &derived.retracted;
        let is_retracted = |doc: &RecordId| -> bool {
            retracted.contains(doc) || store.is_retracted(doc).unwrap_or(false)
        };
        let context = RuleContext {
            request: &derived.request,
            thread: &derived.thread,
            offer: offer.as_ref(),
            retracted: &is_retracted,
        };
        check_new(kind, body, self.school_id(), &context).map_err(|refusal| rule_error(&refusal))
    }

    /// The thread `id` belongs to, derived as of today, with the directory of schools
    /// its views need; `NotFound` when the request itself is not held.
    fn thread_of(&self, id: RecordId) -> Result<(Date, Directory, Derived), NodeError> {
        let request_doc = self.request_of(id)?;
        let today = today()?;
        let directory = Directory::build(self, today)?;
        let Some(derived) = Derived::load(self, request_doc, today)? else {
            return Err(NodeError::NotFound(format!(
                "mentoring request {request_doc}"
            )));
        };
        Ok((today, directory, derived))
    }

    /// A draft of `kind` from `body`, naming the agreement formed by acceptance
    /// `agreement` (by its doc id) in its `agreement` field.
    fn agreement_draft(
        &self,
        kind: Kind,
        agreement: RecordId,
        body: &[u8],
    ) -> Result<Draft, NodeError> {
        let mut draft = Draft::parse(kind, body)?;
        draft.set_id("agreement", self.doc_of(agreement)?);
        Ok(draft)
    }

    /// Signs and publishes a completed draft of `kind`.
    async fn publish_draft(&self, kind: Kind, draft: Draft) -> Result<VerifiedRecord, NodeError> {
        self.publish(kind, draft.into_bytes()?).await
    }

    /// The request an agreement (an acceptance) was made for; `no-agreement` when the
    /// record named is not a held acceptance.
    fn agreement_request(&self, agreement: RecordId) -> Result<RecordId, NodeError> {
        let acceptance = self.store().get(&agreement)?.map(|stored| stored.record);
        match acceptance.as_ref().and_then(VerifiedRecord::body) {
            Some(Body::MentoringAcceptance(acceptance)) => Ok(acceptance.request),
            _ => Err(rule_error(&Refusal::new(agreement, Rule::NoAgreement))),
        }
    }

    /// The doc id of a held record, or `id` itself when it is not held.
    fn doc_of(&self, id: RecordId) -> Result<RecordId, NodeError> {
        Ok(self
            .store()
            .get(&id)?
            .map_or(id, |stored| stored.record.doc()))
    }

    /// The latest version of a document by the author of its first version.
    fn latest_own_version(&self, doc: RecordId) -> Result<Option<VerifiedRecord>, NodeError> {
        let versions = self.store().versions(&doc)?;
        Ok(latest_version(versions.iter(), doc).cloned())
    }

    /// The doc id of the request whose thread `id` belongs to.
    fn request_of(&self, id: RecordId) -> Result<RecordId, NodeError> {
        let mut current = id;
        for _ in 0..=MAX_REFERENCE_HOPS {
            let Some(stored) = self.store().get(&current)? else {
                return Err(NodeError::NotFound(if current == id {
                    format!("record {id}")
                } else {
                    format!("record {current} (named by {id})")
                }));
            };
            let record = stored.record;
            current = match (record.kind(), record.body()) {
                (Kind::MentoringRequest, _) => return Ok(record.doc()),
                (_, Some(Body::MentoringOffer(offer))) => match offer.request {
                    Some(request) => request,
                    None => self.standing_offer_request(&record)?,
                },
                (_, Some(Body::MentoringAcceptance(acceptance))) => acceptance.request,
                (_, Some(Body::ProgressReport(report))) => report.agreement,
                (_, Some(Body::MentoringClosure(closure))) => closure.agreement,
                (_, Some(Body::Feedback(feedback))) => feedback.target,
                (kind, None) => {
                    return Err(NodeError::BadRequest(format!(
                        "{current}: this {kind} was withdrawn by its author; show its thread by the request's id"
                    )));
                }
                (kind, Some(_)) => {
                    return Err(NodeError::BadRequest(format!(
                        "{current} is a {kind}, not part of a mentoring thread"
                    )));
                }
            };
        }
        Err(NodeError::BadRequest(format!(
            "{id} is not part of a mentoring thread"
        )))
    }

    /// The request a standing offer was accepted for (the earliest acceptance of it).
    fn standing_offer_request(&self, offer: &VerifiedRecord) -> Result<RecordId, NodeError> {
        let store = self.store();
        let mut acceptances = Vec::new();
        for named in [offer.id(), offer.doc()] {
            for (referrer, kind) in store.referring(&named)? {
                if kind != Some(Kind::MentoringAcceptance) {
                    continue;
                }
                if let Some(stored) = store.get(&referrer)?
                    && let Some(Body::MentoringAcceptance(acceptance)) = stored.record.body()
                    && store.contains(&acceptance.request)?
                {
                    acceptances.push((order_key(&stored.record), acceptance.request));
                }
            }
        }
        acceptances.sort();
        acceptances
            .first()
            .map(|(_, request)| *request)
            .ok_or_else(|| {
                NodeError::BadRequest(format!(
                    "{} is a standing offer not yet accepted for any request held here",
                    offer.doc()
                ))
            })
    }

    /// Fits and ranks `offers` (doc ids) against the derived request.
    fn ranked_offers(
        &self,
        derived: &Derived,
        offers: &[RecordId],
        directory: &Directory,
    ) -> Result<Vec<RankedOffer>, NodeError> {
        let mut held: Vec<(VerifiedRecord, MentoringOffer)> = Vec::new();
        for doc in offers {
            let Some(record) = self.latest_own_version(*doc)? else {
                continue;
            };
            if let Some(Body::MentoringOffer(offer)) = record.body() {
                let offer = offer.clone();
                held.push((record, offer));
            }
        }
        let accepted = derived
            .thread
            .agreement
            .as_ref()
            .map(|agreement| agreement.offer);
        let view =
            |record: &VerifiedRecord, offer: &MentoringOffer, fit: Option<&Fit>| RankedOffer {
                rank: 0,
                offer: record_ref(record, directory),
                standing: offer.request.is_none(),
                accepted: accepted == Some(record.doc()),
                fit: fit.map(FitView::from),
            };
        let Some(request) = derived.request_body() else {
            // The request's text was withdrawn: nothing to fit against; oldest first.
            return Ok(held
                .iter()
                .enumerate()
                .map(|(index, (record, offer))| RankedOffer {
                    rank: index + 1,
                    ..view(record, offer, None)
                })
                .collect());
        };
        let candidates: Vec<(RecordId, FitInput)> = held
            .iter()
            .map(|(record, offer)| {
                let mentor = record.author();
                (
                    record.doc(),
                    FitInput {
                        request,
                        offer: Some(offer),
                        profile: directory.profiles.get(&mentor).map(|entry| &entry.profile),
                        practices: directory.practices_of(&mentor),
                        active_partnerships: directory.active_of(&mentor),
                    },
                )
            })
            .collect();
        let by_doc: HashMap<RecordId, &(VerifiedRecord, MentoringOffer)> =
            held.iter().map(|entry| (entry.0.doc(), entry)).collect();
        Ok(rank(&candidates)
            .iter()
            .enumerate()
            .filter_map(|(index, (doc, fit))| {
                let (record, offer) = by_doc.get(doc)?;
                Some(RankedOffer {
                    rank: index + 1,
                    ..view(record, offer, Some(fit))
                })
            })
            .collect())
    }
}

/// `id` names a record of kind `found` where one of kind `expected` was wanted.
fn wrong_kind(id: RecordId, found: Kind, expected: Kind) -> NodeError {
    NodeError::BadRequest(format!("{id} is a {found}, not a {expected}"))
}

/// A refusal as the node error the API turns into 422.
fn rule_error(refusal: &Refusal) -> NodeError {
    NodeError::Rule(ensemble_core::rules::Violation::Mentoring(refusal.clone()))
}

/// The order of documents in a thread: (created_at, record id).
fn order_key(record: &VerifiedRecord) -> (u64, RecordId) {
    (record.header().created_at, record.id())
}

/// The latest of `records` that is a version of `doc` by the first version's author
/// (a "version" signed by anyone else is not the author's document).
fn latest_version<'a>(
    records: impl Iterator<Item = &'a VerifiedRecord> + Clone,
    doc: RecordId,
) -> Option<&'a VerifiedRecord> {
    let author = records
        .clone()
        .find(|record| record.id() == doc)
        .map(VerifiedRecord::author);
    records
        .filter(|record| record.doc() == doc)
        .filter(|record| author.is_none_or(|author| record.author() == author))
        .max_by_key(|record| order_key(record))
}
