//! A request's thread — its offers, the agreement, reports, acknowledgements and
//! closure — and its state, derived from signed records alone.
//!
//! [`derive_thread`] gives the same [`Thread`] for the same set of records in any order:
//! every decision is made in the order of (created_at, record id), never in the order
//! records arrived. Records that break a rule ([`Rule`]) are listed in
//! [`Thread::refused`] and change nothing else.
//!
//! Documents may have several versions (a header's `doc`). A thread sees one entry per
//! document: its latest version's body, placed in time by its first version, and named
//! by its doc id (the first version's record id, stable across edits). A reference to
//! any version counts as a reference to the document.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::rules::{Refusal, Rule};
use crate::body::{Body, Date, FeedbackKind, Outcome, ReportStatus};
use crate::{Kind, RecordId, SchoolId, VerifiedRecord};

/// Where a request stands. Serialises as its [`RequestState::as_str`] code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestState {
    /// No offer yet.
    Open,
    /// At least one offer, none accepted.
    InNegotiation,
    /// An offer accepted: the agreement is active.
    Matched,
    /// The agreement was closed.
    Closed,
    /// The requester retracted the request.
    Withdrawn,
    /// The request's period is over and no agreement was made.
    Expired,
}

impl RequestState {
    /// Every state.
    pub const ALL: [RequestState; 6] = [
        RequestState::Open,
        RequestState::InNegotiation,
        RequestState::Matched,
        RequestState::Closed,
        RequestState::Withdrawn,
        RequestState::Expired,
    ];

    /// The code: `open`, `in-negotiation`, `matched`, `closed`, `withdrawn`, `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::InNegotiation => "in-negotiation",
            RequestState::Matched => "matched",
            RequestState::Closed => "closed",
            RequestState::Withdrawn => "withdrawn",
            RequestState::Expired => "expired",
        }
    }
}

impl std::fmt::Display for RequestState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an agreement stands. Serialises as its [`AgreementState::as_str`] code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgreementState {
    /// Signed by both schools, not closed.
    Active,
    /// Closed with outcome `completed`.
    Completed,
    /// Closed with outcome `terminated`.
    Terminated,
}

impl AgreementState {
    /// The code: `active`, `completed`, `terminated`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgreementState::Active => "active",
            AgreementState::Completed => "completed",
            AgreementState::Terminated => "terminated",
        }
    }
}

impl std::fmt::Display for AgreementState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request and everything that answers it. Ids are doc ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thread {
    /// The request.
    pub request: RecordId,
    /// Its state.
    pub state: RequestState,
    /// Offers made to the request, and the standing offer it accepted if any, oldest
    /// first; retracted offers and the requester's own are left out.
    pub offers: Vec<RecordId>,
    /// The agreement, once an acceptance and its offer are both known.
    pub agreement: Option<Agreement>,
    /// Records that broke a rule, oldest first.
    pub refused: Vec<Refusal>,
}

/// An offer and its acceptance: the partnership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreement {
    /// The acceptance; reports and the closure name it as `agreement`.
    pub acceptance: RecordId,
    /// The offer accepted.
    pub offer: RecordId,
    /// The mentor school: the offer's author.
    pub mentor: SchoolId,
    /// The supported school: the acceptance's author.
    pub supported: SchoolId,
    /// Its state.
    pub state: AgreementState,
    /// Progress reports that count, oldest first.
    pub reports: Vec<ReportEntry>,
    /// The closure, if closed.
    pub closure: Option<RecordId>,
}

/// A progress report of an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportEntry {
    /// The report.
    pub report: RecordId,
    /// Which party wrote it.
    pub author: SchoolId,
    /// On track, at risk or off track.
    pub status: ReportStatus,
    /// The partner's acknowledgements (feedback ids), oldest first.
    pub acknowledged_by: Vec<RecordId>,
}

/// Derives the thread of `request` from `related`: every record that refers to the
/// request or to its offers, acceptances or reports (offers, acceptances, reports,
/// closures, acknowledgements), in any order. Other records in `related` are ignored.
///
/// `retracted(doc)` says whether a document has been withdrawn by its author; retracted
/// offers, acceptances, reports, closures and acknowledgements count as absent.
/// `today` decides expiry.
///
/// The rules, each refusal naming its [`Rule`]:
/// - An offer counts when it names this request (or is the standing offer accepted),
///   unless the requester made it (`own-offer`).
/// - An acceptance must be by the requester (`only-requester-accepts`), name this
///   request (`wrong-request`, refused here only when it takes one of this request's own
///   offers; otherwise it belongs to another thread), and name an offer to this request
///   or a standing offer (`offer-not-for-request`) that is not retracted
///   (`offer-withdrawn`) nor the requester's own (`own-offer`). An acceptance whose
///   offer is not in `related` is pending: neither refused nor matched. Of the valid
///   acceptances the earliest forms the agreement; later ones are `already-matched`.
/// - Only the two parties may report (`only-parties-report`) or close
///   (`only-parties-close`); the earliest valid closure counts (`already-closed`), and
///   a report dated after it is `agreement-closed`. Reports and closures naming a
///   refused acceptance are `no-agreement`.
/// - Only the other party may acknowledge a report (`only-partner-acknowledges`).
///
/// The state is the first that holds of: `withdrawn` (the request is retracted),
/// `closed` (the agreement has a closure), `matched` (an agreement), `expired`
/// (`period.to` is before `today`), `in-negotiation` (an offer), `open`.
pub fn derive_thread(
    request: &VerifiedRecord,
    related: &[VerifiedRecord],
    retracted: &dyn Fn(&RecordId) -> bool,
    today: Date,
) -> Thread {
    let docs = Docs::new(request, related);
    let mut derivation = Derivation {
        docs: &docs,
        request_doc: request.doc(),
        requester: request.author(),
        retracted,
        refused: Vec::new(),
    };
    let offers = derivation.offers();
    let acceptances = derivation.acceptances(&offers);
    let agreement = acceptances
        .winner
        .map(|(acceptance, offer)| derivation.agreement(acceptance, offer));
    derivation.refuse_orphans(&acceptances.void);

    let mut counted: Vec<&Doc> = offers.direct.clone();
    if let Some((_, offer)) = acceptances.winner
        && !counted.iter().any(|doc| doc.id == offer.id)
    {
        counted.push(offer);
    }
    counted.sort_by_key(|doc| doc.key);

    let period_over = match docs.request_latest.body() {
        Some(Body::MentoringRequest(body)) => body.period.to < today,
        _ => false,
    };
    let state = if retracted(&request.doc()) {
        RequestState::Withdrawn
    } else {
        match &agreement {
            Some(agreement) if agreement.closure.is_some() => RequestState::Closed,
            Some(_) => RequestState::Matched,
            None if period_over => RequestState::Expired,
            None if !counted.is_empty() => RequestState::InNegotiation,
            None => RequestState::Open,
        }
    };
    let mut refused = derivation.refused;
    refused.sort_by_key(|(key, _)| *key);
    Thread {
        request: request.doc(),
        state,
        offers: counted.iter().map(|doc| doc.id).collect(),
        agreement,
        refused: refused.into_iter().map(|(_, refusal)| refusal).collect(),
    }
}

/// When a document entered the thread: its first version's (created_at, record id).
type OrderKey = (u64, RecordId);

fn order_key(record: &VerifiedRecord) -> OrderKey {
    (record.header().created_at, record.id())
}

/// One document of the thread: the latest version of one author's doc.
#[derive(Debug)]
struct Doc<'a> {
    /// The doc id.
    id: RecordId,
    author: SchoolId,
    kind: Kind,
    /// The earliest version known.
    key: OrderKey,
    latest: &'a VerifiedRecord,
}

impl<'a> Doc<'a> {
    fn body(&self) -> Option<&'a Body> {
        self.latest.body()
    }
}

/// The related records grouped into documents, in order.
struct Docs<'a> {
    /// Sorted by key.
    docs: Vec<Doc<'a>>,
    /// Every known record id → its doc id.
    doc_of: BTreeMap<RecordId, RecordId>,
    /// The request's latest version.
    request_latest: &'a VerifiedRecord,
}

impl<'a> Docs<'a> {
    fn new(request: &'a VerifiedRecord, related: &'a [VerifiedRecord]) -> Docs<'a> {
        let mut doc_of = BTreeMap::from([(request.id(), request.doc())]);
        let mut request_latest = request;
        let mut groups: BTreeMap<(Kind, SchoolId, RecordId), Doc<'a>> = BTreeMap::new();
        for record in related {
            doc_of.insert(record.id(), record.doc());
            if record.doc() == request.doc() {
                let newer = record.kind() == Kind::MentoringRequest
                    && record.author() == request.author()
                    && order_key(record) > order_key(request_latest);
                if newer {
                    request_latest = record;
                }
                continue;
            }
            let key = order_key(record);
            let doc = groups
                .entry((record.kind(), record.author(), record.doc()))
                .or_insert(Doc {
                    id: record.doc(),
                    author: record.author(),
                    kind: record.kind(),
                    key,
                    latest: record,
                });
            doc.key = doc.key.min(key);
            if key > order_key(doc.latest) {
                doc.latest = record;
            }
        }
        let mut docs: Vec<Doc<'a>> = groups.into_values().collect();
        docs.sort_by_key(|doc| doc.key);
        Docs {
            docs,
            doc_of,
            request_latest,
        }
    }

    /// The doc id a reference names: the doc of a known version, else the reference
    /// itself (a doc id, or a record not held).
    fn doc_of(&self, reference: RecordId) -> RecordId {
        self.doc_of.get(&reference).copied().unwrap_or(reference)
    }

    fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Doc<'a>> {
        self.docs.iter().filter(move |doc| doc.kind == kind)
    }
}

/// The offers seen, sorted out.
struct Offers<'d, 'a> {
    /// Live offers by doc id, to resolve acceptances; the earliest wins a doc id that
    /// two authors claim.
    by_doc: BTreeMap<RecordId, &'d Doc<'a>>,
    /// Retracted offers' doc ids.
    withdrawn: BTreeSet<RecordId>,
    /// Live offers to this request, not the requester's own, oldest first.
    direct: Vec<&'d Doc<'a>>,
}

/// The acceptances seen, sorted out.
struct Acceptances<'d, 'a> {
    /// The acceptance that formed the agreement, with its offer.
    winner: Option<(&'d Doc<'a>, &'d Doc<'a>)>,
    /// Refused acceptances: reports and closures naming them are `no-agreement`.
    void: BTreeSet<RecordId>,
}

/// The state of one derivation: the documents and the refusals so far.
struct Derivation<'d, 'a> {
    docs: &'d Docs<'a>,
    request_doc: RecordId,
    requester: SchoolId,
    retracted: &'d dyn Fn(&RecordId) -> bool,
    refused: Vec<(OrderKey, Refusal)>,
}

impl<'d, 'a> Derivation<'d, 'a> {
    fn refuse(&mut self, doc: &Doc, rule: Rule) {
        self.refused.push((doc.key, Refusal::new(doc.id, rule)));
    }

    /// Live documents of `kind`, oldest first.
    fn live(&self, kind: Kind) -> Vec<&'d Doc<'a>> {
        let docs: &'d Docs<'a> = self.docs;
        docs.of_kind(kind)
            .filter(|doc| !(self.retracted)(&doc.id))
            .collect()
    }

    fn names_this_request(&self, reference: Option<RecordId>) -> bool {
        reference.is_some_and(|reference| self.docs.doc_of(reference) == self.request_doc)
    }

    fn offers(&mut self) -> Offers<'d, 'a> {
        let mut offers = Offers {
            by_doc: BTreeMap::new(),
            withdrawn: BTreeSet::new(),
            direct: Vec::new(),
        };
        let docs: &'d Docs<'a> = self.docs;
        for doc in docs.of_kind(Kind::MentoringOffer) {
            if (self.retracted)(&doc.id) {
                offers.withdrawn.insert(doc.id);
                continue;
            }
            let Some(Body::MentoringOffer(offer)) = doc.body() else {
                continue;
            };
            offers.by_doc.entry(doc.id).or_insert(doc);
            if self.names_this_request(offer.request) {
                if doc.author == self.requester {
                    self.refuse(doc, Rule::OwnOffer);
                } else {
                    offers.direct.push(doc);
                }
            }
        }
        offers
    }

    fn acceptances(&mut self, offers: &Offers<'d, 'a>) -> Acceptances<'d, 'a> {
        let mut result = Acceptances {
            winner: None,
            void: BTreeSet::new(),
        };
        for doc in self.live(Kind::MentoringAcceptance) {
            let Some(Body::MentoringAcceptance(acceptance)) = doc.body() else {
                continue;
            };
            let offer_doc = self.docs.doc_of(acceptance.offer);
            let offer = offers.by_doc.get(&offer_doc).copied();
            let answered = offer.and_then(|offer| match offer.body() {
                Some(Body::MentoringOffer(body)) => body.request,
                _ => None,
            });
            if !self.names_this_request(Some(acceptance.request)) {
                // Another thread's acceptance of a shared standing offer is none of this
                // thread's business; taking this request's own offer for another is.
                if self.names_this_request(answered) {
                    result.void.insert(doc.id);
                    self.refuse(doc, Rule::WrongRequest);
                }
                continue;
            }
            let broken = if doc.author != self.requester {
                Some(Rule::OnlyRequesterAccepts)
            } else if let Some(offer) = offer {
                if answered.is_some() && !self.names_this_request(answered) {
                    Some(Rule::OfferNotForRequest)
                } else if offer.author == self.requester {
                    Some(Rule::OwnOffer)
                } else if result.winner.is_some() {
                    Some(Rule::AlreadyMatched)
                } else {
                    result.winner = Some((doc, offer));
                    None
                }
            } else if offers.withdrawn.contains(&offer_doc) {
                Some(Rule::OfferWithdrawn)
            } else {
                // Pending: the offer has not reached this node yet.
                None
            };
            if let Some(rule) = broken {
                result.void.insert(doc.id);
                self.refuse(doc, rule);
            }
        }
        result
    }

    fn agreement(&mut self, acceptance: &'d Doc<'a>, offer: &'d Doc<'a>) -> Agreement {
        let parties = [offer.author, acceptance.author];
        let names_agreement = |derivation: &Self, reference: RecordId| {
            derivation.docs.doc_of(reference) == acceptance.id
        };

        let mut closure: Option<(&Doc, Outcome)> = None;
        for doc in self.live(Kind::MentoringClosure) {
            let Some(Body::MentoringClosure(body)) = doc.body() else {
                continue;
            };
            if !names_agreement(self, body.agreement) {
                continue;
            }
            if !parties.contains(&doc.author) {
                self.refuse(doc, Rule::OnlyPartiesClose);
            } else if closure.is_some() {
                self.refuse(doc, Rule::AlreadyClosed);
            } else {
                closure = Some((doc, body.outcome));
            }
        }

        let mut reports: Vec<ReportEntry> = Vec::new();
        for doc in self.live(Kind::ProgressReport) {
            let Some(Body::ProgressReport(body)) = doc.body() else {
                continue;
            };
            if !names_agreement(self, body.agreement) {
                continue;
            }
            if !parties.contains(&doc.author) {
                self.refuse(doc, Rule::OnlyPartiesReport);
            } else if closure.is_some_and(|(closure, _)| doc.key > closure.key) {
                self.refuse(doc, Rule::AgreementClosed);
            } else {
                reports.push(ReportEntry {
                    report: doc.id,
                    author: doc.author,
                    status: body.status,
                    acknowledged_by: Vec::new(),
                });
            }
        }

        for doc in self.live(Kind::Feedback) {
            let Some(Body::Feedback(feedback)) = doc.body() else {
                continue;
            };
            if feedback.kind != FeedbackKind::Acknowledgement {
                continue;
            }
            let target = self.docs.doc_of(feedback.target);
            let Some(entry) = reports.iter_mut().find(|entry| entry.report == target) else {
                continue;
            };
            if parties.contains(&doc.author) && doc.author != entry.author {
                entry.acknowledged_by.push(doc.id);
            } else {
                self.refuse(doc, Rule::OnlyPartnerAcknowledges);
            }
        }

        let state = match closure {
            None => AgreementState::Active,
            Some((_, Outcome::Completed)) => AgreementState::Completed,
            Some((_, Outcome::Terminated)) => AgreementState::Terminated,
        };
        Agreement {
            acceptance: acceptance.id,
            offer: offer.id,
            mentor: offer.author,
            supported: acceptance.author,
            state,
            reports,
            closure: closure.map(|(doc, _)| doc.id),
        }
    }

    /// Refuses reports and closures that name a refused acceptance.
    fn refuse_orphans(&mut self, void: &BTreeSet<RecordId>) {
        for kind in [Kind::ProgressReport, Kind::MentoringClosure] {
            for doc in self.live(kind) {
                let named = match doc.body() {
                    Some(Body::ProgressReport(report)) => report.agreement,
                    Some(Body::MentoringClosure(closure)) => closure.agreement,
                    _ => continue,
                };
                if void.contains(&self.docs.doc_of(named)) {
                    self.refuse(doc, Rule::NoAgreement);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::held::testing::permutations;
    use crate::mentoring::testing::{
        DAY_MS, MENTOR, OTHER_MENTOR, REQUESTER, STRANGER, acceptance_body, acknowledgement_body,
        closure_body, comment_body, date, day, offer_body, report_body, request_body, school,
        signed, version,
    };

    fn nothing_retracted(_: &RecordId) -> bool {
        false
    }

    fn before_the_end() -> Date {
        date("2026-10-01")
    }

    fn request() -> VerifiedRecord {
        signed(
            REQUESTER,
            Kind::MentoringRequest,
            request_body("2027-05-31"),
            day(0),
        )
    }

    fn offer(seed: u8, request: &VerifiedRecord, at: u64) -> VerifiedRecord {
        signed(
            seed,
            Kind::MentoringOffer,
            offer_body(Some(request.id())),
            at,
        )
    }

    fn accept(
        seed: u8,
        request: &VerifiedRecord,
        offer: &VerifiedRecord,
        at: u64,
    ) -> VerifiedRecord {
        signed(
            seed,
            Kind::MentoringAcceptance,
            acceptance_body(request.id(), offer.id()),
            at,
        )
    }

    fn report(seed: u8, acceptance: &VerifiedRecord, status: &str, at: u64) -> VerifiedRecord {
        signed(
            seed,
            Kind::ProgressReport,
            report_body(acceptance.id(), status),
            at,
        )
    }

    fn close(seed: u8, acceptance: &VerifiedRecord, outcome: &str, at: u64) -> VerifiedRecord {
        signed(
            seed,
            Kind::MentoringClosure,
            closure_body(acceptance.id(), outcome),
            at,
        )
    }

    fn acknowledge(seed: u8, report: &VerifiedRecord, at: u64) -> VerifiedRecord {
        signed(seed, Kind::Feedback, acknowledgement_body(report.id()), at)
    }

    fn derive(request: &VerifiedRecord, related: &[VerifiedRecord]) -> Thread {
        derive_thread(request, related, &nothing_retracted, before_the_end())
    }

    /// The (record, rule) of every refusal.
    fn refusals(thread: &Thread) -> Vec<(RecordId, &'static str)> {
        thread
            .refused
            .iter()
            .map(|refusal| (refusal.record, refusal.rule))
            .collect()
    }

    fn agreement(thread: &Thread) -> &Agreement {
        match &thread.agreement {
            Some(agreement) => agreement,
            None => panic!("no agreement in {thread:?}"),
        }
    }

    /// A matched thread: request, offer by MENTOR, acceptance.
    fn matched() -> (VerifiedRecord, VerifiedRecord, VerifiedRecord) {
        let request = request();
        let offer = offer(MENTOR, &request, day(1));
        let acceptance = accept(REQUESTER, &request, &offer, day(3));
        (request, offer, acceptance)
    }

    #[test]
    fn state_codes() {
        let codes: Vec<&str> = RequestState::ALL
            .iter()
            .map(|state| state.as_str())
            .collect();
        assert_eq!(
            codes,
            [
                "open",
                "in-negotiation",
                "matched",
                "closed",
                "withdrawn",
                "expired"
            ]
        );
        for state in RequestState::ALL {
            assert_eq!(
                serde_json::to_string(&state).unwrap_or_default(),
                format!("\"{state}\"")
            );
        }
        assert_eq!(AgreementState::Terminated.to_string(), "terminated");
    }

    #[test]
    fn a_request_without_offers_is_open() {
        let request = request();
        let thread = derive(&request, &[]);
        assert_eq!(thread.state, RequestState::Open);
        assert_eq!(thread.request, request.id());
        assert!(thread.offers.is_empty() && thread.refused.is_empty());
    }

    #[test]
    fn an_offer_puts_it_in_negotiation() {
        let request = request();
        let first = offer(MENTOR, &request, day(2));
        let second = offer(OTHER_MENTOR, &request, day(1));
        let thread = derive(&request, &[first.clone(), second.clone()]);
        assert_eq!(thread.state, RequestState::InNegotiation);
        assert_eq!(thread.offers, vec![second.id(), first.id()]);
        assert!(thread.agreement.is_none());
    }

    #[test]
    fn an_acceptance_matches_it() {
        let (request, offer, acceptance) = matched();
        let thread = derive(&request, &[offer.clone(), acceptance.clone()]);
        assert_eq!(thread.state, RequestState::Matched);
        assert_eq!(
            thread.agreement,
            Some(Agreement {
                acceptance: acceptance.id(),
                offer: offer.id(),
                mentor: school(MENTOR),
                supported: school(REQUESTER),
                state: AgreementState::Active,
                reports: Vec::new(),
                closure: None,
            })
        );
        assert!(thread.refused.is_empty());
    }

    #[test]
    fn a_closure_closes_it_with_its_outcome() {
        let (request, offer, acceptance) = matched();
        for (outcome, state) in [
            ("completed", AgreementState::Completed),
            ("terminated", AgreementState::Terminated),
        ] {
            let closure = close(MENTOR, &acceptance, outcome, day(200));
            let thread = derive(
                &request,
                &[offer.clone(), acceptance.clone(), closure.clone()],
            );
            assert_eq!(thread.state, RequestState::Closed);
            assert_eq!(agreement(&thread).state, state);
            assert_eq!(agreement(&thread).closure, Some(closure.id()));
        }
    }

    #[test]
    fn a_retracted_request_is_withdrawn_whatever_else_holds() {
        let (request, offer, acceptance) = matched();
        let request_doc = request.doc();
        let retracted = move |doc: &RecordId| *doc == request_doc;
        for related in [vec![], vec![offer.clone(), acceptance.clone()]] {
            let thread = derive_thread(&request, &related, &retracted, before_the_end());
            assert_eq!(thread.state, RequestState::Withdrawn);
        }
    }

    #[test]
    fn a_request_past_its_period_without_agreement_expires() {
        let (request, offer, acceptance) = matched();
        let after = date("2027-06-01");
        let last_day = date("2027-05-31");
        for related in [vec![], vec![offer.clone()]] {
            let thread = derive_thread(&request, &related, &nothing_retracted, after);
            assert_eq!(thread.state, RequestState::Expired);
        }
        let on_last_day = derive_thread(
            &request,
            std::slice::from_ref(&offer),
            &nothing_retracted,
            last_day,
        );
        assert_eq!(on_last_day.state, RequestState::InNegotiation);
        let matched = derive_thread(&request, &[offer, acceptance], &nothing_retracted, after);
        assert_eq!(matched.state, RequestState::Matched);
    }

    #[test]
    fn the_request_period_comes_from_its_latest_version() {
        let request = request();
        let extended = version(
            REQUESTER,
            Kind::MentoringRequest,
            request.id(),
            request_body("2027-12-31"),
            day(5),
        );
        let after = date("2027-06-01");
        let thread = derive_thread(&request, &[extended], &nothing_retracted, after);
        assert_eq!(thread.state, RequestState::Open);
    }

    #[test]
    fn retracted_offers_do_not_count_and_cannot_be_accepted() {
        let (request, offer, acceptance) = matched();
        let offer_doc = offer.doc();
        let retracted = move |doc: &RecordId| *doc == offer_doc;
        let thread = derive_thread(
            &request,
            std::slice::from_ref(&offer),
            &retracted,
            before_the_end(),
        );
        assert_eq!(thread.state, RequestState::Open);
        assert!(thread.offers.is_empty());
        let thread = derive_thread(
            &request,
            &[offer, acceptance.clone()],
            &retracted,
            before_the_end(),
        );
        assert_eq!(thread.state, RequestState::Open);
        assert_eq!(
            refusals(&thread),
            vec![(acceptance.id(), "offer-withdrawn")]
        );
    }

    #[test]
    fn an_acceptance_of_an_unknown_offer_is_pending() {
        let (request, offer, acceptance) = matched();
        let pending = derive(&request, std::slice::from_ref(&acceptance));
        assert_eq!(pending.state, RequestState::Open);
        assert!(pending.agreement.is_none() && pending.refused.is_empty());
        let other = self::offer(OTHER_MENTOR, &request, day(2));
        let pending = derive(&request, &[acceptance.clone(), other]);
        assert_eq!(pending.state, RequestState::InNegotiation);
        let arrived = derive(&request, &[acceptance, offer]);
        assert_eq!(arrived.state, RequestState::Matched);
    }

    #[test]
    fn a_standing_offer_can_be_accepted_and_then_counts() {
        let request = request();
        let standing = signed(OTHER_MENTOR, Kind::MentoringOffer, offer_body(None), day(1));
        let direct = offer(MENTOR, &request, day(2));
        let acceptance = accept(REQUESTER, &request, &standing, day(3));
        let thread = derive(&request, &[direct.clone(), standing.clone(), acceptance]);
        assert_eq!(thread.state, RequestState::Matched);
        assert_eq!(thread.offers, vec![standing.id(), direct.id()]);
        assert_eq!(agreement(&thread).mentor, school(OTHER_MENTOR));
        // Not accepted, a standing offer is not an offer to this request.
        assert_eq!(derive(&request, &[standing]).state, RequestState::Open);
    }

    #[test]
    fn rule_only_requester_accepts() {
        let (request, offer, _) = matched();
        let by_mentor = accept(MENTOR, &request, &offer, day(3));
        let thread = derive(&request, &[offer, by_mentor.clone()]);
        assert_eq!(thread.state, RequestState::InNegotiation);
        assert_eq!(
            refusals(&thread),
            vec![(by_mentor.id(), "only-requester-accepts")]
        );
        assert_eq!(
            thread.refused[0].reason,
            "only the school that made the request may accept an offer to it"
        );
    }

    #[test]
    fn rule_wrong_request() {
        let (request, offer, _) = matched();
        let elsewhere = signed(
            STRANGER,
            Kind::MentoringRequest,
            request_body("2027-05-31"),
            day(0),
        );
        let taken = accept(STRANGER, &elsewhere, &offer, day(3));
        let thread = derive(&request, &[offer.clone(), taken.clone()]);
        assert_eq!(refusals(&thread), vec![(taken.id(), "wrong-request")]);
        assert_eq!(thread.state, RequestState::InNegotiation);
        // Another school accepting a standing offer for its own request is its business.
        let standing = signed(OTHER_MENTOR, Kind::MentoringOffer, offer_body(None), day(1));
        let shared = accept(STRANGER, &elsewhere, &standing, day(3));
        assert!(
            derive(&request, &[offer, standing, shared])
                .refused
                .is_empty()
        );
    }

    #[test]
    fn rule_offer_not_for_request() {
        let request = request();
        let elsewhere = signed(
            STRANGER,
            Kind::MentoringRequest,
            request_body("2027-05-31"),
            day(0),
        );
        let foreign = offer(MENTOR, &elsewhere, day(1));
        let acceptance = accept(REQUESTER, &request, &foreign, day(3));
        let thread = derive(&request, &[foreign, acceptance.clone()]);
        assert_eq!(thread.state, RequestState::Open);
        assert_eq!(
            refusals(&thread),
            vec![(acceptance.id(), "offer-not-for-request")]
        );
    }

    #[test]
    fn rule_own_offer() {
        let request = request();
        let own = offer(REQUESTER, &request, day(1));
        let acceptance = accept(REQUESTER, &request, &own, day(3));
        let thread = derive(&request, &[own.clone(), acceptance.clone()]);
        assert_eq!(thread.state, RequestState::Open);
        assert!(thread.offers.is_empty());
        assert_eq!(
            refusals(&thread),
            vec![(own.id(), "own-offer"), (acceptance.id(), "own-offer")]
        );
    }

    #[test]
    fn rule_already_matched_the_earliest_acceptance_wins() {
        let (request, offer, first) = matched();
        let other = self::offer(OTHER_MENTOR, &request, day(2));
        let later = accept(REQUESTER, &request, &other, day(4));
        let thread = derive(
            &request,
            &[later.clone(), other.clone(), first.clone(), offer.clone()],
        );
        assert_eq!(agreement(&thread).acceptance, first.id());
        assert_eq!(refusals(&thread), vec![(later.id(), "already-matched")]);
        // Same millisecond: the smaller record id wins.
        let twin = accept(REQUESTER, &request, &other, day(3));
        let (winner, loser) = if first.id() < twin.id() {
            (first, twin)
        } else {
            (twin, first)
        };
        let thread = derive(&request, &[offer, other, loser.clone(), winner.clone()]);
        assert_eq!(agreement(&thread).acceptance, winner.id());
        assert_eq!(refusals(&thread), vec![(loser.id(), "already-matched")]);
    }

    #[test]
    fn rule_no_agreement() {
        let (request, offer, _) = matched();
        let by_mentor = accept(MENTOR, &request, &offer, day(3));
        let orphan_report = report(MENTOR, &by_mentor, "on-track", day(30));
        let orphan_closure = close(MENTOR, &by_mentor, "terminated", day(31));
        let thread = derive(
            &request,
            &[
                orphan_closure.clone(),
                offer,
                by_mentor.clone(),
                orphan_report.clone(),
            ],
        );
        assert_eq!(
            refusals(&thread),
            vec![
                (by_mentor.id(), "only-requester-accepts"),
                (orphan_report.id(), "no-agreement"),
                (orphan_closure.id(), "no-agreement"),
            ]
        );
    }

    #[test]
    fn rule_only_parties_report() {
        let (request, offer, acceptance) = matched();
        let from_mentor = report(MENTOR, &acceptance, "on-track", day(30));
        let from_requester = report(REQUESTER, &acceptance, "at-risk", day(31));
        let from_stranger = report(STRANGER, &acceptance, "off-track", day(32));
        let thread = derive(
            &request,
            &[
                offer,
                acceptance,
                from_stranger.clone(),
                from_requester.clone(),
                from_mentor.clone(),
            ],
        );
        let reports: Vec<(RecordId, SchoolId, ReportStatus)> = agreement(&thread)
            .reports
            .iter()
            .map(|entry| (entry.report, entry.author, entry.status))
            .collect();
        assert_eq!(
            reports,
            vec![
                (from_mentor.id(), school(MENTOR), ReportStatus::OnTrack),
                (from_requester.id(), school(REQUESTER), ReportStatus::AtRisk),
            ]
        );
        assert_eq!(
            refusals(&thread),
            vec![(from_stranger.id(), "only-parties-report")]
        );
    }

    #[test]
    fn rule_only_parties_close() {
        let (request, offer, acceptance) = matched();
        let by_stranger = close(STRANGER, &acceptance, "terminated", day(30));
        let thread = derive(&request, &[offer, acceptance, by_stranger.clone()]);
        assert_eq!(thread.state, RequestState::Matched);
        assert_eq!(
            refusals(&thread),
            vec![(by_stranger.id(), "only-parties-close")]
        );
    }

    #[test]
    fn rule_agreement_closed() {
        let (request, offer, acceptance) = matched();
        let before = report(REQUESTER, &acceptance, "on-track", day(100));
        let closure = close(REQUESTER, &acceptance, "completed", day(150));
        let after = report(MENTOR, &acceptance, "on-track", day(151));
        let thread = derive(
            &request,
            &[after.clone(), closure, before.clone(), offer, acceptance],
        );
        assert_eq!(agreement(&thread).reports.len(), 1);
        assert_eq!(agreement(&thread).reports[0].report, before.id());
        assert_eq!(refusals(&thread), vec![(after.id(), "agreement-closed")]);
        assert_eq!(
            thread.refused[0].reason,
            "the agreement is closed and takes no further reports"
        );
    }

    #[test]
    fn rule_already_closed() {
        let (request, offer, acceptance) = matched();
        let first = close(MENTOR, &acceptance, "terminated", day(100));
        let second = close(REQUESTER, &acceptance, "completed", day(101));
        let thread = derive(
            &request,
            &[second.clone(), first.clone(), offer, acceptance],
        );
        assert_eq!(agreement(&thread).closure, Some(first.id()));
        assert_eq!(agreement(&thread).state, AgreementState::Terminated);
        assert_eq!(refusals(&thread), vec![(second.id(), "already-closed")]);
    }

    #[test]
    fn a_retracted_closure_reopens_the_agreement() {
        let (request, offer, acceptance) = matched();
        let closure = close(MENTOR, &acceptance, "terminated", day(100));
        let closure_doc = closure.doc();
        let retracted = move |doc: &RecordId| *doc == closure_doc;
        let thread = derive_thread(
            &request,
            &[offer, acceptance, closure],
            &retracted,
            before_the_end(),
        );
        assert_eq!(thread.state, RequestState::Matched);
        assert_eq!(agreement(&thread).state, AgreementState::Active);
    }

    #[test]
    fn rule_only_partner_acknowledges() {
        let (request, offer, acceptance) = matched();
        let filed = report(REQUESTER, &acceptance, "on-track", day(30));
        let by_mentor = acknowledge(MENTOR, &filed, day(31));
        let by_author = acknowledge(REQUESTER, &filed, day(32));
        let by_stranger = acknowledge(STRANGER, &filed, day(33));
        let comment = signed(STRANGER, Kind::Feedback, comment_body(filed.id()), day(34));
        let thread = derive(
            &request,
            &[
                by_stranger.clone(),
                comment,
                by_author.clone(),
                offer,
                filed,
                by_mentor.clone(),
                acceptance,
            ],
        );
        assert_eq!(
            agreement(&thread).reports[0].acknowledged_by,
            vec![by_mentor.id()]
        );
        assert_eq!(
            refusals(&thread),
            vec![
                (by_author.id(), "only-partner-acknowledges"),
                (by_stranger.id(), "only-partner-acknowledges"),
            ]
        );
    }

    #[test]
    fn an_edited_offer_counts_once_and_can_be_accepted_by_any_version() {
        let request = request();
        let original = offer(MENTOR, &request, day(1));
        let mut edited_body = offer_body(Some(request.id()));
        edited_body["grades"] = serde_json::json!([5, 6]);
        let edited = version(
            MENTOR,
            Kind::MentoringOffer,
            original.id(),
            edited_body,
            day(2),
        );
        let thread = derive(&request, &[edited.clone(), original.clone()]);
        assert_eq!(thread.offers, vec![original.id()]);
        let acceptance = accept(REQUESTER, &request, &edited, day(3));
        let thread = derive(&request, &[edited, original.clone(), acceptance]);
        assert_eq!(agreement(&thread).offer, original.id());
    }

    /// A busy thread: competing offers and acceptances, reports, acknowledgements, a
    /// closure, and records breaking most rules.
    fn busy_thread() -> (VerifiedRecord, Vec<VerifiedRecord>) {
        let (request, offer, acceptance) = matched();
        let other = self::offer(OTHER_MENTOR, &request, day(2));
        let own = self::offer(REQUESTER, &request, day(2));
        let later = accept(REQUESTER, &request, &other, day(4));
        let by_mentor = accept(MENTOR, &request, &offer, day(4));
        let filed = report(REQUESTER, &acceptance, "at-risk", day(30));
        let stranger_report = report(STRANGER, &acceptance, "on-track", day(31));
        let acknowledged = acknowledge(MENTOR, &filed, day(32));
        let self_acknowledged = acknowledge(REQUESTER, &filed, day(32));
        let closure = close(MENTOR, &acceptance, "completed", day(100));
        let second_closure = close(REQUESTER, &acceptance, "terminated", day(101));
        let late_report = report(MENTOR, &acceptance, "on-track", day(102));
        let orphan = report(MENTOR, &later, "on-track", day(40));
        let corrected = version(
            REQUESTER,
            Kind::ProgressReport,
            filed.id(),
            report_body(acceptance.id(), "off-track"),
            day(35),
        );
        let related = vec![
            offer,
            acceptance,
            other,
            own,
            later,
            by_mentor,
            filed,
            stranger_report,
            acknowledged,
            self_acknowledged,
            closure,
            second_closure,
            late_report,
            orphan,
            corrected,
        ];
        (request, related)
    }

    #[test]
    fn the_thread_is_the_same_for_every_order_of_the_records() {
        let (request, related) = busy_thread();
        let expected = derive(&request, &related);
        assert_eq!(expected.state, RequestState::Closed);
        assert_eq!(expected.refused.len(), 8, "{:?}", refusals(&expected));
        // The corrected version of the report is the one that counts, under its doc id.
        let reports = &agreement(&expected).reports;
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].status, ReportStatus::OffTrack);
        assert_eq!(reports[0].acknowledged_by.len(), 1);

        // Every permutation of the first seven records (the rest in place).
        let (head, tail) = related.split_at(7);
        let mut head = head.to_vec();
        let mut visited = 0;
        permutations(&mut head, &mut |order| {
            let records: Vec<VerifiedRecord> = order.iter().chain(tail).cloned().collect();
            assert_eq!(derive(&request, &records), expected);
            visited += 1;
        });
        assert_eq!(visited, 5040);

        // Seeded shuffles of all of them, duplicates included.
        let mut seed: u64 = 0x5eed;
        let mut records = related.clone();
        records.extend(related.iter().take(3).cloned());
        for _ in 0..300 {
            for index in (1..records.len()).rev() {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let other = (seed >> 33) as usize % (index + 1);
                records.swap(index, other);
            }
            assert_eq!(derive(&request, &records), expected);
        }
    }

    #[test]
    fn the_request_itself_and_unrelated_records_are_ignored() {
        let (request, offer, acceptance) = matched();
        let unrelated = signed(
            STRANGER,
            Kind::MentoringRequest,
            request_body("2027-05-31"),
            day(0) + DAY_MS,
        );
        let with_noise = derive(
            &request,
            &[
                request.clone(),
                unrelated,
                offer.clone(),
                acceptance.clone(),
            ],
        );
        assert_eq!(with_noise, derive(&request, &[offer, acceptance]));
    }
}
