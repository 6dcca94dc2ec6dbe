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

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use ensemble_core::body::{
    Body, Date, EvidenceLevel, FeedbackKind, MentoringOffer, MentoringRequest, SchoolProfile,
    Visibility, default_autonomy,
};
use ensemble_core::mentoring::{
    AgreementState, Fit, FitInput, MentorEvidence, Refusal, RequestState, Rule, RuleContext,
    Thread, check_new, derive_thread, rank,
};
use ensemble_core::{Kind, RecordId, SchoolId, VerifiedRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::broadcast;
use tracing::{debug, info, warn};

use crate::node::{Node, NodeError, StoredEvent, language_of};

/// Most records gathered into one thread: a real thread holds a few dozen; the bound
/// keeps a flood of forged referrers from making one `show` call unbounded.
const MAX_THREAD_RECORDS: usize = 10_000;
/// Most reference hops from a record to its request (acknowledgement → report →
/// acceptance → request is three).
const MAX_REFERENCE_HOPS: usize = 4;
/// A day in milliseconds.
const DAY_MS: u64 = 86_400_000;

/// The acknowledgement text when the mentor school writes none.
const DEFAULT_ACKNOWLEDGEMENT_RU: &str = "Отчёт получен, проведённая работа подтверждена.";
/// The acknowledgement text in English.
const DEFAULT_ACKNOWLEDGEMENT_EN: &str = "Report received; the work done is confirmed.";

/// A school as `ensemble schools` lists it: its latest profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchoolView {
    /// School id.
    pub school_id: String,
    /// Name (Russian when given, else any language).
    pub name: String,
    /// Short name.
    pub short_name: Option<String>,
    /// Region code.
    pub region: String,
    /// Roles: `mentor`, `supported`, `hub`, `school`.
    pub roles: Vec<String>,
    /// Problem, deficit and method codes the school can help with.
    pub expertise: Vec<String>,
    /// Languages of instruction.
    pub languages: Vec<String>,
    /// The profile document's id.
    pub profile: String,
    /// When the latest version was signed (unix ms).
    pub updated_at: u64,
}

/// A fit score with its reasons, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FitView {
    /// 0–100.
    pub score: u32,
    /// One reason per criterion.
    pub reasons: Vec<ReasonView>,
}

/// One criterion of a fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonView {
    /// `deficits`, `problems`, `subjects`, `grades`, `mode`, `language`, `practices`,
    /// `capacity`.
    pub code: String,
    /// How many matched.
    pub matched: u32,
    /// Out of how many.
    pub total: u32,
    /// Points earned.
    pub points: u32,
    /// In English.
    pub text_en: String,
    /// In Russian.
    pub text_ru: String,
}

impl From<&Fit> for FitView {
    fn from(fit: &Fit) -> FitView {
        FitView {
            score: fit.score,
            reasons: fit
                .reasons
                .iter()
                .map(|reason| ReasonView {
                    code: reason.code.to_string(),
                    matched: reason.matched,
                    total: reason.total,
                    points: reason.points,
                    text_en: reason.text_en.clone(),
                    text_ru: reason.text_ru.clone(),
                })
                .collect(),
        }
    }
}

impl FitView {
    /// The reasons in English on one line: `deficits matched: 2 of 3; subjects: 1 of 1…`.
    pub fn explain_en(&self) -> String {
        self.reasons
            .iter()
            .map(|reason| reason.text_en.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// One record of a thread, in its latest version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordRef {
    /// The latest version's record id.
    pub id: String,
    /// The document id: the first version's id, the one other records name.
    pub doc: String,
    /// Kind name.
    pub kind: String,
    /// Author school id.
    pub author: String,
    /// The author's name, when its profile is held.
    pub school: Option<String>,
    /// When the latest version was signed (unix ms).
    pub created_at: u64,
    /// Title (Russian when given), for kinds that have one.
    pub title: Option<String>,
    /// The body, `null` when withdrawn by its author.
    pub body: Option<Value>,
    /// Body fields left out for this viewer: a request's `risk_factors` are shown only
    /// to the requester, its partners and schools of its region.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<String>,
}

/// An offer with its fit to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedOffer {
    /// 1 for the best fit.
    pub rank: usize,
    /// The offer.
    pub offer: RecordRef,
    /// A standing offer (made to no request in particular).
    pub standing: bool,
    /// The offer the agreement was made on.
    pub accepted: bool,
    /// The fit; `None` when the request's text was withdrawn.
    pub fit: Option<FitView>,
}

/// A request with its fit to this school, for a mentor school.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedRequest {
    /// 1 for the best fit.
    pub rank: usize,
    /// The request.
    pub request: RecordRef,
    /// Its state: `open`, `in-negotiation`, `matched`, `closed`, `withdrawn`, `expired`.
    pub state: String,
    /// Offers made to it so far.
    pub offers: usize,
    /// How well this school fits it, judged on its profile and practices.
    pub fit: FitView,
}

/// A request's whole thread, as `ensemble mentoring show` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadView {
    /// The request.
    pub request: RecordRef,
    /// `open`, `in-negotiation`, `matched`, `closed`, `withdrawn` or `expired`.
    pub state: String,
    /// Offers made to the request (and the standing offer accepted), best fit first.
    pub offers: Vec<RankedOffer>,
    /// The agreement, once an acceptance and its offer are both held.
    pub agreement: Option<AgreementView>,
    /// Acceptances waiting for their offer to arrive: neither refused nor in effect.
    pub pending: Vec<RecordRef>,
    /// Records that break a rule of the thread, oldest first; they change nothing.
    pub refused: Vec<RefusedView>,
}

/// The partnership: an offer and its acceptance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementView {
    /// The acceptance; reports and the closure name its doc id as `agreement`.
    pub acceptance: RecordRef,
    /// The offer's doc id.
    pub offer: String,
    /// The mentor school.
    pub mentor: String,
    /// Its name, when known.
    pub mentor_name: Option<String>,
    /// The school receiving support.
    pub supported: String,
    /// Its name, when known.
    pub supported_name: Option<String>,
    /// `active`, `completed` or `terminated`.
    pub state: String,
    /// Progress reports that count, oldest first.
    pub reports: Vec<ReportView>,
    /// The closure, once closed.
    pub closure: Option<RecordRef>,
}

/// A progress report and the partner's acknowledgements of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    /// The report.
    pub report: RecordRef,
    /// `on-track`, `at-risk` or `off-track`.
    pub status: String,
    /// The partner's acknowledgements, oldest first.
    pub acknowledgements: Vec<RecordRef>,
}

/// A record refused by the thread's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusedView {
    /// The record.
    pub record: RecordRef,
    /// The rule's stable code, e.g. `only-requester-accepts`.
    pub rule: String,
    /// The rule in plain words.
    pub reason: String,
}

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
        self.publish(Kind::MentoringOffer, draft.into_bytes()?)
            .await
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
            return Err(NodeError::BadRequest(format!(
                "{offer} is a {}, not a mentoring_offer",
                record.kind()
            )));
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
        let record = self
            .publish(Kind::MentoringAcceptance, draft.into_bytes()?)
            .await?;
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
        let mut draft = Draft::parse(Kind::ProgressReport, &body)?;
        draft.set_id("agreement", self.doc_of(agreement)?);
        self.publish(Kind::ProgressReport, draft.into_bytes()?)
            .await
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
            return Err(NodeError::BadRequest(format!(
                "{report} is a {}, not a progress_report",
                stored.record.kind()
            )));
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
        let mut draft = Draft::parse(Kind::MentoringClosure, &body)?;
        draft.set_id("agreement", self.doc_of(agreement)?);
        draft.text_to_map("summary");
        self.publish(Kind::MentoringClosure, draft.into_bytes()?)
            .await
    }

    /// The whole thread of the request that `id` belongs to: `id` may name the request,
    /// an offer, an acceptance, a report, a closure or an acknowledgement.
    pub fn thread(&self, id: RecordId) -> Result<ThreadView, NodeError> {
        let request_doc = self.request_of(id)?;
        let today = today()?;
        let directory = Directory::build(self, today)?;
        let Some(derived) = Derived::load(self, request_doc, today)? else {
            return Err(NodeError::NotFound(format!(
                "mentoring request {request_doc}"
            )));
        };
        let offers = self.ranked_offers(&derived, &derived.thread.offers, &directory)?;
        Ok(derived.view(offers, &directory))
    }

    /// The offers a requester can choose from, best fit first: those made to the
    /// request (`id` names the request or any record of its thread) and every live
    /// standing offer not its own.
    pub fn rank_offers(&self, id: RecordId) -> Result<Vec<RankedOffer>, NodeError> {
        let request_doc = self.request_of(id)?;
        let today = today()?;
        let directory = Directory::build(self, today)?;
        let Some(derived) = Derived::load(self, request_doc, today)? else {
            return Err(NodeError::NotFound(format!(
                "mentoring request {request_doc}"
            )));
        };
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

/// Follows partner schools: once an acceptance of one of this school's offers is
/// stored, its author is followed. Runs as its own task, fed by the stored-record
/// broadcast, so the ingest path and the network loop never wait for it.
pub(crate) async fn follow_partners(node: Node, mut events: broadcast::Receiver<StoredEvent>) {
    // Acceptances stored while this task was not running (before a restart).
    node.follow_every_partner().await;
    loop {
        let event = tokio::select! {
            _ = node.cancelled().cancelled() => break,
            event = events.recv() => event,
        };
        match event {
            Ok(event)
                if event.kind == Kind::MentoringAcceptance && event.author != node.school_id() =>
            {
                node.follow_partner(event.id).await;
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                debug!(missed, "partner follower lagged; rescanning acceptances");
                node.follow_every_partner().await;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    debug!("partner follower stopped");
}

impl Node {
    async fn follow_every_partner(&self) {
        let acceptances = match self.store().latest(Kind::MentoringAcceptance) {
            Ok(acceptances) => acceptances,
            Err(error) => {
                warn!(%error, "cannot list acceptances to follow partners");
                return;
            }
        };
        for acceptance in acceptances {
            if acceptance.author() != self.school_id() {
                self.follow_partner(acceptance.id()).await;
            }
        }
    }

    async fn follow_partner(&self, acceptance: RecordId) {
        let partner = match self.partner_of(acceptance) {
            Ok(Some(partner)) => partner,
            Ok(None) => return,
            Err(error) => {
                warn!(%error, %acceptance, "cannot check an acceptance for a partner to follow");
                return;
            }
        };
        if self.store().is_followed(&partner).unwrap_or(false) {
            return;
        }
        match self.follow(partner).await {
            Ok(_) => info!(partner = %partner, %acceptance, "following the partner school"),
            Err(error) => warn!(%error, partner = %partner, "could not follow the partner school"),
        }
    }

    /// The author of `acceptance` when it accepts one of this school's offers and forms
    /// the agreement (or its request is not held yet: following brings it).
    fn partner_of(&self, acceptance: RecordId) -> Result<Option<SchoolId>, NodeError> {
        let store = self.store();
        let Some(stored) = store.get(&acceptance)? else {
            return Ok(None);
        };
        let record = stored.record;
        let Some(Body::MentoringAcceptance(body)) = record.body() else {
            return Ok(None);
        };
        let ours = store
            .get(&body.offer)?
            .is_some_and(|offer| offer.record.author() == self.school_id());
        if !ours || record.author() == self.school_id() {
            return Ok(None);
        }
        let request_doc = self.doc_of(body.request)?;
        let Some(derived) = Derived::load(self, request_doc, today()?)? else {
            return Ok(Some(record.author()));
        };
        let formed = derived
            .thread
            .agreement
            .as_ref()
            .is_some_and(|agreement| agreement.acceptance == record.doc());
        Ok(formed.then_some(record.author()))
    }
}

/// A refusal as the node error the API turns into 422.
fn rule_error(refusal: &Refusal) -> NodeError {
    NodeError::Rule(refusal.to_string())
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

fn record_ref(record: &VerifiedRecord, directory: &Directory) -> RecordRef {
    let mut body: Option<Value> = record
        .body_bytes()
        .and_then(|bytes| serde_json::from_slice(bytes).ok());
    let mut hidden = Vec::new();
    if record.kind() == Kind::MentoringRequest
        && !directory.sees_risk_profile(&record.author())
        && let Some(Value::Object(map)) = &mut body
        && map.remove(RISK_PROFILE_FIELD).is_some()
    {
        hidden.push(RISK_PROFILE_FIELD.to_string());
    }
    RecordRef {
        id: record.id().to_string(),
        doc: record.doc().to_string(),
        kind: record.kind().as_str().to_string(),
        author: record.author().to_string(),
        school: directory.name_of(&record.author()),
        created_at: record.header().created_at,
        title: record
            .body()
            .and_then(Body::title)
            .and_then(|title| title.best("ru").map(str::to_string)),
        body,
        hidden,
    }
}

/// The request field that holds a school's risk profile.
const RISK_PROFILE_FIELD: &str = "risk_factors";

/// Today (UTC), for expiry and `valid_until`.
fn today() -> Result<Date, NodeError> {
    date_of(ensemble_core::now_ms())
        .ok_or_else(|| NodeError::Config("the system clock is outside years 1–9999".into()))
}

/// The UTC calendar date of a unix time in milliseconds.
fn date_of(unix_ms: u64) -> Option<Date> {
    // Days to civil date, after Howard Hinnant's `civil_from_days`.
    let days = i64::try_from(unix_ms / DAY_MS).ok()? + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Date::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
}

/// A JSON body being completed before signing: fields the caller names on the command
/// line or in the URL are set here.
struct Draft(Map<String, Value>);

impl Draft {
    fn empty() -> Draft {
        Draft(Map::new())
    }

    fn parse(kind: Kind, bytes: &[u8]) -> Result<Draft, NodeError> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Draft(map)),
            Ok(_) => Err(NodeError::BadRequest(format!(
                "a {kind} body must be a JSON object"
            ))),
            Err(error) => Err(NodeError::BadRequest(format!(
                "a {kind} body is not valid JSON: {error}"
            ))),
        }
    }

    /// A record id the body names in `field`, when it parses.
    fn reference(&self, field: &str) -> Option<RecordId> {
        self.0.get(field)?.as_str()?.parse().ok()
    }

    fn set_id(&mut self, field: &str, id: RecordId) {
        self.0
            .insert(field.to_string(), Value::String(id.to_string()));
    }

    fn default_value(&mut self, field: &str, value: Result<Value, serde_json::Error>) {
        let absent = self.0.get(field).is_none_or(Value::is_null);
        if absent && let Ok(value) = value {
            self.0.insert(field.to_string(), value);
        }
    }

    /// Turns a plain string in `field` into a language map in its language.
    fn text_to_map(&mut self, field: &str) {
        if let Some(Value::String(text)) = self.0.get(field) {
            let map = serde_json::json!({ language_of(text): text });
            self.0.insert(field.to_string(), map);
        }
    }

    fn into_bytes(self) -> Result<Vec<u8>, NodeError> {
        serde_json::to_vec(&Value::Object(self.0))
            .map_err(|error| NodeError::BadRequest(format!("body: {error}")))
    }
}

/// A school's latest profile.
struct ProfileEntry {
    doc: RecordId,
    updated_at: u64,
    profile: SchoolProfile,
}

impl ProfileEntry {
    fn name(&self) -> String {
        self.profile.name.best("ru").unwrap_or_default().to_string()
    }
}

/// What fit needs to know about every mentor school: profiles, practices and active
/// partnerships, read once per call.
struct Directory {
    /// The school looking: this node's.
    viewer: SchoolId,
    /// The viewer's partners in any agreement, past or present.
    partners: BTreeSet<SchoolId>,
    profiles: HashMap<SchoolId, ProfileEntry>,
    practices: HashMap<SchoolId, Vec<MentorEvidence>>,
    active: HashMap<SchoolId, u32>,
}

impl Directory {
    fn profiles_only(node: &Node) -> Result<Directory, NodeError> {
        let mut profiles = HashMap::new();
        // Newest first: the first profile seen of each school is its latest.
        for record in node.store().latest(Kind::SchoolProfile)? {
            if let Some(Body::SchoolProfile(profile)) = record.body() {
                profiles.entry(record.author()).or_insert(ProfileEntry {
                    doc: record.doc(),
                    updated_at: record.header().created_at,
                    profile: profile.clone(),
                });
            }
        }
        Ok(Directory {
            viewer: node.school_id(),
            partners: BTreeSet::new(),
            profiles,
            practices: HashMap::new(),
            active: HashMap::new(),
        })
    }

    fn build(node: &Node, today: Date) -> Result<Directory, NodeError> {
        let mut directory = Directory::profiles_only(node)?;
        let store = node.store();

        // Replication reports signed by other schools raise a practice to E4.
        let mut replicated_by: HashMap<RecordId, BTreeSet<SchoolId>> = HashMap::new();
        for record in store.latest(Kind::Feedback)? {
            if let Some(Body::Feedback(feedback)) = record.body()
                && feedback.kind == FeedbackKind::Replication
            {
                replicated_by
                    .entry(feedback.target)
                    .or_default()
                    .insert(record.author());
            }
        }
        for record in store.latest(Kind::Practice)? {
            let Some(Body::Practice(practice)) = record.body() else {
                continue;
            };
            let mut evidence = MentorEvidence::from_practice(record.doc(), practice);
            let replicated_elsewhere = [record.id(), record.doc()]
                .iter()
                .filter_map(|id| replicated_by.get(id))
                .flatten()
                .any(|school| *school != record.author());
            if replicated_elsewhere {
                evidence.level = evidence.level.max(EvidenceLevel::E4);
            }
            directory
                .practices
                .entry(record.author())
                .or_default()
                .push(evidence);
        }

        // Active partnerships: every request some acceptance names, derived.
        let mut requests = BTreeSet::new();
        for record in store.latest(Kind::MentoringAcceptance)? {
            if let Some(Body::MentoringAcceptance(acceptance)) = record.body() {
                requests.insert(node.doc_of(acceptance.request)?);
            }
        }
        for request in requests {
            let Some(derived) = Derived::load(node, request, today)? else {
                continue;
            };
            let Some(agreement) = &derived.thread.agreement else {
                continue;
            };
            if agreement.state == AgreementState::Active {
                *directory.active.entry(agreement.mentor).or_default() += 1;
            }
            if agreement.mentor == directory.viewer {
                directory.partners.insert(agreement.supported);
            } else if agreement.supported == directory.viewer {
                directory.partners.insert(agreement.mentor);
            }
        }
        Ok(directory)
    }

    /// Whether the viewer may see `requester`'s risk profile: its own, a partner's, or
    /// one of a school in the viewer's region (both profiles held).
    fn sees_risk_profile(&self, requester: &SchoolId) -> bool {
        let region = |school: &SchoolId| {
            self.profiles
                .get(school)
                .map(|entry| entry.profile.region.as_str())
        };
        *requester == self.viewer
            || self.partners.contains(requester)
            || region(&self.viewer).is_some_and(|mine| region(requester) == Some(mine))
    }

    fn name_of(&self, school: &SchoolId) -> Option<String> {
        self.profiles.get(school).map(ProfileEntry::name)
    }

    fn practices_of(&self, school: &SchoolId) -> &[MentorEvidence] {
        self.practices.get(school).map_or(&[], Vec::as_slice)
    }

    fn active_of(&self, school: &SchoolId) -> u32 {
        self.active.get(school).copied().unwrap_or(0)
    }
}

/// A request's thread derived from the records held now.
struct Derived {
    /// The request's first version.
    request: VerifiedRecord,
    /// Every record of the thread (the request's later versions included).
    related: Vec<VerifiedRecord>,
    /// Retracted documents among them.
    retracted: BTreeSet<RecordId>,
    thread: Thread,
}

impl Derived {
    /// Gathers and derives the thread of request document `doc`; `None` when no
    /// request by that id is held.
    fn load(node: &Node, doc: RecordId, today: Date) -> Result<Option<Derived>, NodeError> {
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
    fn request_body(&self) -> Option<&MentoringRequest> {
        match self.latest(self.request.doc())?.body() {
            Some(Body::MentoringRequest(request)) => Some(request),
            _ => None,
        }
    }

    fn doc_ref(&self, doc: RecordId, directory: &Directory) -> Option<RecordRef> {
        self.latest(doc).map(|record| record_ref(record, directory))
    }

    fn view(&self, offers: Vec<RankedOffer>, directory: &Directory) -> ThreadView {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        match text.parse() {
            Ok(date) => date,
            Err(error) => panic!("{text}: {error}"),
        }
    }

    #[test]
    fn unix_milliseconds_become_utc_dates() {
        let cases = [
            (0, "1970-01-01"),
            (DAY_MS - 1, "1970-01-01"),
            (DAY_MS, "1970-01-02"),
            (951_782_400_000, "2000-02-29"),
            (951_868_800_000, "2000-03-01"),
            (1_788_220_800_000, "2026-09-01"),
            (1_798_761_599_999, "2026-12-31"),
            (1_798_761_600_000, "2027-01-01"),
            (4_107_542_400_000, "2100-03-01"),
        ];
        for (unix_ms, expected) in cases {
            assert_eq!(date_of(unix_ms), Some(date(expected)), "{unix_ms}");
        }
    }

    #[test]
    fn drafts_take_ids_defaults_and_plain_text() {
        let Ok(mut draft) = Draft::parse(
            Kind::MentoringClosure,
            r#"{"outcome": "completed", "summary": "Все цели достигнуты", "autonomy": null}"#
                .as_bytes(),
        ) else {
            panic!("parse");
        };
        draft.set_id("agreement", RecordId([7; 32]));
        draft.text_to_map("summary");
        draft.default_value("autonomy", serde_json::to_value(default_autonomy()));
        draft.default_value("outcome", Ok(Value::from("terminated")));
        let Ok(bytes) = draft.into_bytes() else {
            panic!("bytes");
        };
        let value: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!(value["agreement"], RecordId([7; 32]).to_string());
        assert_eq!(value["summary"]["ru"], "Все цели достигнуты");
        assert_eq!(value["outcome"], "completed", "a given value is kept");
        assert_eq!(
            value["autonomy"]["en"].as_str(),
            default_autonomy().get("en")
        );
        assert!(matches!(
            Draft::parse(Kind::ProgressReport, b"[1]"),
            Err(NodeError::BadRequest(_))
        ));
        assert!(matches!(
            Draft::parse(Kind::ProgressReport, b"{"),
            Err(NodeError::BadRequest(_))
        ));
    }
}
