//! The rules of a mentoring thread, each with a stable code, and [`check_new`]: the same
//! rules applied to one record a local user is about to publish.
//!
//! [`derive_thread`](super::derive_thread) applies the rules to records already signed,
//! listing violations as [`Refusal`]s that do not affect state; `check_new` lets the node
//! say no before signing, with the same code and words, so that a user is never allowed
//! to publish a record every other node would refuse.

use serde::Serialize;

use super::thread::Thread;
use crate::body::{Body, FeedbackKind};
use crate::{Kind, RecordId, SchoolId, VerifiedRecord};

/// A rule of the mentoring workflow. Its code ([`Rule::as_str`]) is stable: clients
/// and other nodes match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// `only-requester-accepts`: only the request's author may accept an offer.
    OnlyRequesterAccepts,
    /// `wrong-request`: the record names another request than this thread's.
    WrongRequest,
    /// `offer-not-for-request`: the accepted offer answers another request.
    OfferNotForRequest,
    /// `own-offer`: the offer is by the school that made the request.
    OwnOffer,
    /// `offer-withdrawn`: the accepted offer was retracted.
    OfferWithdrawn,
    /// `offer-unknown`: the accepted offer is not known here ([`check_new`] only; in a
    /// derived thread such an acceptance is pending, not refused).
    OfferUnknown,
    /// `already-matched`: an earlier acceptance already formed the agreement.
    AlreadyMatched,
    /// `no-agreement`: the record names an acceptance that formed no agreement.
    NoAgreement,
    /// `only-parties-report`: only the agreement's two schools may report.
    OnlyPartiesReport,
    /// `only-parties-close`: only the agreement's two schools may close it.
    OnlyPartiesClose,
    /// `agreement-closed`: a report dated after the agreement's closure.
    AgreementClosed,
    /// `already-closed`: a second closure of the same agreement.
    AlreadyClosed,
    /// `only-partner-acknowledges`: only the other party may acknowledge a report.
    OnlyPartnerAcknowledges,
    /// `request-withdrawn`: the request was retracted ([`check_new`] only).
    RequestWithdrawn,
    /// `kind-mismatch`: the body is not of the kind given ([`check_new`] only).
    KindMismatch,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 15] = [
        Rule::OnlyRequesterAccepts,
        Rule::WrongRequest,
        Rule::OfferNotForRequest,
        Rule::OwnOffer,
        Rule::OfferWithdrawn,
        Rule::OfferUnknown,
        Rule::AlreadyMatched,
        Rule::NoAgreement,
        Rule::OnlyPartiesReport,
        Rule::OnlyPartiesClose,
        Rule::AgreementClosed,
        Rule::AlreadyClosed,
        Rule::OnlyPartnerAcknowledges,
        Rule::RequestWithdrawn,
        Rule::KindMismatch,
    ];

    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::OnlyRequesterAccepts => "only-requester-accepts",
            Rule::WrongRequest => "wrong-request",
            Rule::OfferNotForRequest => "offer-not-for-request",
            Rule::OwnOffer => "own-offer",
            Rule::OfferWithdrawn => "offer-withdrawn",
            Rule::OfferUnknown => "offer-unknown",
            Rule::AlreadyMatched => "already-matched",
            Rule::NoAgreement => "no-agreement",
            Rule::OnlyPartiesReport => "only-parties-report",
            Rule::OnlyPartiesClose => "only-parties-close",
            Rule::AgreementClosed => "agreement-closed",
            Rule::AlreadyClosed => "already-closed",
            Rule::OnlyPartnerAcknowledges => "only-partner-acknowledges",
            Rule::RequestWithdrawn => "request-withdrawn",
            Rule::KindMismatch => "kind-mismatch",
        }
    }

    /// The rule in plain English, as a user is told it.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::OnlyRequesterAccepts => {
                "only the school that made the request may accept an offer to it"
            }
            Rule::WrongRequest => "the record names another request than this one",
            Rule::OfferNotForRequest => {
                "only an offer made to this request, or a standing offer, may be accepted"
            }
            Rule::OwnOffer => {
                "a school cannot mentor itself: the offer is by the school that made the request"
            }
            Rule::OfferWithdrawn => "the offer was withdrawn by its author",
            Rule::OfferUnknown => "the offer is not known to this node yet; sync, then accept",
            Rule::AlreadyMatched => {
                "the request is already matched: an earlier acceptance formed its agreement"
            }
            Rule::NoAgreement => "the record names an acceptance that formed no agreement",
            Rule::OnlyPartiesReport => "only the two schools of the agreement may report on it",
            Rule::OnlyPartiesClose => "only the two schools of the agreement may close it",
            Rule::AgreementClosed => "the agreement is closed and takes no further reports",
            Rule::AlreadyClosed => "the agreement is already closed",
            Rule::OnlyPartnerAcknowledges => {
                "only the other school of the agreement may acknowledge a progress report"
            }
            Rule::RequestWithdrawn => "the request was withdrawn by its author",
            Rule::KindMismatch => "the body is not of the kind given",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{reason} ({rule})")]
pub struct Refusal {
    /// In a derived thread: the refused record (its doc id). From [`check_new`]: the
    /// existing record the new one was checked against (the request, the acceptance of
    /// the agreement, or the report acknowledged).
    pub record: RecordId,
    /// The rule's stable code ([`Rule::as_str`]).
    pub rule: &'static str,
    /// The rule in plain English ([`Rule::reason`]).
    pub reason: String,
}

impl Refusal {
    /// A refusal of `record` under `rule`.
    pub fn new(record: RecordId, rule: Rule) -> Refusal {
        Refusal {
            record,
            rule: rule.as_str(),
            reason: rule.reason().to_string(),
        }
    }
}

/// What [`check_new`] checks a new record against: one request's thread as this node
/// knows it now.
#[derive(Clone, Copy)]
pub struct RuleContext<'a> {
    /// The thread's request record.
    pub request: &'a VerifiedRecord,
    /// The thread, derived by [`derive_thread`](super::derive_thread) from the records
    /// this node holds.
    pub thread: &'a Thread,
    /// For a new acceptance: the offer record it names, when this node holds it.
    /// Ignored for other kinds.
    pub offer: Option<&'a VerifiedRecord>,
    /// Whether a document (by doc id) has been retracted; the store knows.
    pub retracted: &'a dyn Fn(&RecordId) -> bool,
}

/// Checks one record a local school (`author`) is about to publish against the rules of
/// the thread in `context`. `Ok` for kinds and records the thread's rules say nothing
/// about (a standing offer, a comment).
///
/// Besides the thread's rules it refuses what would only be pending or void elsewhere:
/// accepting an offer this node does not hold (`offer-unknown`) and answering a
/// withdrawn request (`request-withdrawn`).
pub fn check_new(
    kind: Kind,
    body: &Body,
    author: SchoolId,
    context: &RuleContext,
) -> Result<(), Refusal> {
    let request_doc = context.request.doc();
    let refuse = |record: RecordId, rule: Rule| Err(Refusal::new(record, rule));
    if body.kind() != kind {
        return refuse(request_doc, Rule::KindMismatch);
    }
    let withdrawn = (context.retracted)(&request_doc);
    let agreement = context.thread.agreement.as_ref();
    let is_party = |school: SchoolId| {
        agreement
            .is_some_and(|agreement| school == agreement.mentor || school == agreement.supported)
    };
    match body {
        Body::MentoringOffer(offer) => {
            let Some(answered) = offer.request else {
                return Ok(());
            };
            if answered != request_doc {
                return refuse(request_doc, Rule::WrongRequest);
            }
            if author == context.request.author() {
                return refuse(request_doc, Rule::OwnOffer);
            }
            if withdrawn {
                return refuse(request_doc, Rule::RequestWithdrawn);
            }
            Ok(())
        }
        Body::MentoringAcceptance(acceptance) => {
            if acceptance.request != request_doc {
                return refuse(request_doc, Rule::WrongRequest);
            }
            if author != context.request.author() {
                return refuse(request_doc, Rule::OnlyRequesterAccepts);
            }
            if withdrawn {
                return refuse(request_doc, Rule::RequestWithdrawn);
            }
            if agreement.is_some() {
                return refuse(request_doc, Rule::AlreadyMatched);
            }
            let offer = context.offer.filter(|offer| {
                offer.kind() == Kind::MentoringOffer
                    && (offer.id() == acceptance.offer || offer.doc() == acceptance.offer)
            });
            let Some(offer) = offer else {
                return refuse(request_doc, Rule::OfferUnknown);
            };
            if (context.retracted)(&offer.doc()) {
                return refuse(request_doc, Rule::OfferWithdrawn);
            }
            let answered = match offer.body() {
                Some(Body::MentoringOffer(body)) => body.request,
                _ => return refuse(request_doc, Rule::OfferWithdrawn),
            };
            if answered.is_some_and(|answered| answered != request_doc) {
                return refuse(request_doc, Rule::OfferNotForRequest);
            }
            if offer.author() == context.request.author() {
                return refuse(request_doc, Rule::OwnOffer);
            }
            Ok(())
        }
        Body::ProgressReport(report) => {
            let Some(agreement) =
                agreement.filter(|agreement| agreement.acceptance == report.agreement)
            else {
                return refuse(request_doc, Rule::NoAgreement);
            };
            if !is_party(author) {
                return refuse(agreement.acceptance, Rule::OnlyPartiesReport);
            }
            if agreement.closure.is_some() {
                return refuse(agreement.acceptance, Rule::AgreementClosed);
            }
            Ok(())
        }
        Body::MentoringClosure(closure) => {
            let Some(agreement) =
                agreement.filter(|agreement| agreement.acceptance == closure.agreement)
            else {
                return refuse(request_doc, Rule::NoAgreement);
            };
            if !is_party(author) {
                return refuse(agreement.acceptance, Rule::OnlyPartiesClose);
            }
            if agreement.closure.is_some() {
                return refuse(agreement.acceptance, Rule::AlreadyClosed);
            }
            Ok(())
        }
        Body::Feedback(feedback) if feedback.kind == FeedbackKind::Acknowledgement => {
            let report = agreement.and_then(|agreement| {
                agreement
                    .reports
                    .iter()
                    .find(|entry| entry.report == feedback.target)
            });
            match report {
                // An acknowledgement of anything but this thread's reports is plain
                // feedback as far as the thread is concerned.
                None => Ok(()),
                Some(entry) if is_party(author) && author != entry.author => Ok(()),
                Some(entry) => refuse(entry.report, Rule::OnlyPartnerAcknowledges),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::body::Date;
    use crate::mentoring::derive_thread;
    use crate::mentoring::testing::{
        MENTOR, OTHER_MENTOR, REQUESTER, STRANGER, acceptance_body, acknowledgement_body,
        closure_body, comment_body, date, day, offer_body, report_body, request_body, school,
        signed,
    };

    fn today() -> Date {
        date("2026-10-01")
    }

    fn body_of(record: &VerifiedRecord) -> &Body {
        match record.body() {
            Some(body) => body,
            None => panic!("no body"),
        }
    }

    /// A request, an offer to it, a standing offer by another mentor, and (optionally)
    /// the agreement with its first report.
    struct Scene {
        request: VerifiedRecord,
        offer: VerifiedRecord,
        standing: VerifiedRecord,
        foreign_offer: VerifiedRecord,
        own_offer: VerifiedRecord,
        related: Vec<VerifiedRecord>,
    }

    impl Scene {
        fn new() -> Scene {
            let request = signed(
                REQUESTER,
                Kind::MentoringRequest,
                request_body("2027-05-31"),
                day(0),
            );
            let other_request = signed(
                STRANGER,
                Kind::MentoringRequest,
                request_body("2027-05-31"),
                day(0),
            );
            let offer = signed(
                MENTOR,
                Kind::MentoringOffer,
                offer_body(Some(request.id())),
                day(1),
            );
            let standing = signed(OTHER_MENTOR, Kind::MentoringOffer, offer_body(None), day(1));
            let foreign_offer = signed(
                OTHER_MENTOR,
                Kind::MentoringOffer,
                offer_body(Some(other_request.id())),
                day(2),
            );
            let own_offer = signed(REQUESTER, Kind::MentoringOffer, offer_body(None), day(2));
            Scene {
                related: vec![offer.clone()],
                request,
                offer,
                standing,
                foreign_offer,
                own_offer,
            }
        }

        fn matched() -> (Scene, VerifiedRecord, VerifiedRecord) {
            let mut scene = Scene::new();
            let acceptance = signed(
                REQUESTER,
                Kind::MentoringAcceptance,
                acceptance_body(scene.request.id(), scene.offer.id()),
                day(3),
            );
            let report = signed(
                REQUESTER,
                Kind::ProgressReport,
                report_body(acceptance.id(), "on-track"),
                day(40),
            );
            scene.related.push(acceptance.clone());
            scene.related.push(report.clone());
            (scene, acceptance, report)
        }

        fn thread(&self, retracted: &dyn Fn(&RecordId) -> bool) -> Thread {
            derive_thread(&self.request, &self.related, retracted, today())
        }

        fn check(
            &self,
            record: &VerifiedRecord,
            offer: Option<&VerifiedRecord>,
            retracted: &dyn Fn(&RecordId) -> bool,
        ) -> Result<(), &'static str> {
            let thread = self.thread(retracted);
            let context = RuleContext {
                request: &self.request,
                thread: &thread,
                offer,
                retracted,
            };
            check_new(record.kind(), body_of(record), record.author(), &context)
                .map_err(|refusal| refusal.rule)
        }
    }

    fn nothing_retracted(_: &RecordId) -> bool {
        false
    }

    #[test]
    fn rule_codes_are_unique_and_reasons_are_sentences() {
        let codes: BTreeSet<&str> = Rule::ALL.iter().map(|rule| rule.as_str()).collect();
        assert_eq!(codes.len(), Rule::ALL.len());
        for rule in Rule::ALL {
            assert!(!rule.reason().is_empty());
            assert_eq!(
                serde_json::to_string(&rule).unwrap_or_default(),
                format!("\"{rule}\"")
            );
        }
        let refusal = Refusal::new(RecordId([1; 32]), Rule::OnlyRequesterAccepts);
        assert_eq!(
            refusal.to_string(),
            "only the school that made the request may accept an offer to it (only-requester-accepts)"
        );
    }

    fn acceptance_by(seed: u8, request: RecordId, offer: RecordId) -> VerifiedRecord {
        signed(
            seed,
            Kind::MentoringAcceptance,
            acceptance_body(request, offer),
            day(5),
        )
    }

    #[test]
    fn accepting() {
        let scene = Scene::new();
        let request = scene.request.id();
        let valid = acceptance_by(REQUESTER, request, scene.offer.id());
        assert_eq!(
            scene.check(&valid, Some(&scene.offer), &nothing_retracted),
            Ok(())
        );
        let standing = acceptance_by(REQUESTER, request, scene.standing.id());
        assert_eq!(
            scene.check(&standing, Some(&scene.standing), &nothing_retracted),
            Ok(())
        );

        let by_mentor = acceptance_by(MENTOR, request, scene.offer.id());
        assert_eq!(
            scene.check(&by_mentor, Some(&scene.offer), &nothing_retracted),
            Err("only-requester-accepts")
        );
        let other_request = acceptance_by(REQUESTER, RecordId([9; 32]), scene.offer.id());
        assert_eq!(
            scene.check(&other_request, Some(&scene.offer), &nothing_retracted),
            Err("wrong-request")
        );
        assert_eq!(
            scene.check(&valid, None, &nothing_retracted),
            Err("offer-unknown")
        );
        // An offer record other than the one named counts as unknown.
        assert_eq!(
            scene.check(&valid, Some(&scene.standing), &nothing_retracted),
            Err("offer-unknown")
        );
        let offer_doc = scene.offer.doc();
        let offer_retracted = move |doc: &RecordId| *doc == offer_doc;
        assert_eq!(
            scene.check(&valid, Some(&scene.offer), &offer_retracted),
            Err("offer-withdrawn")
        );
        let foreign = acceptance_by(REQUESTER, request, scene.foreign_offer.id());
        assert_eq!(
            scene.check(&foreign, Some(&scene.foreign_offer), &nothing_retracted),
            Err("offer-not-for-request")
        );
        let own = acceptance_by(REQUESTER, request, scene.own_offer.id());
        assert_eq!(
            scene.check(&own, Some(&scene.own_offer), &nothing_retracted),
            Err("own-offer")
        );
        let request_doc = scene.request.doc();
        let request_retracted = move |doc: &RecordId| *doc == request_doc;
        assert_eq!(
            scene.check(&valid, Some(&scene.offer), &request_retracted),
            Err("request-withdrawn")
        );

        let (matched, _, _) = Scene::matched();
        let second = acceptance_by(REQUESTER, matched.request.id(), matched.standing.id());
        assert_eq!(
            matched.check(&second, Some(&matched.standing), &nothing_retracted),
            Err("already-matched")
        );
    }

    #[test]
    fn offering() {
        let scene = Scene::new();
        let offer = signed(
            OTHER_MENTOR,
            Kind::MentoringOffer,
            offer_body(Some(scene.request.id())),
            day(4),
        );
        assert_eq!(scene.check(&offer, None, &nothing_retracted), Ok(()));
        assert_eq!(
            scene.check(&scene.standing, None, &nothing_retracted),
            Ok(())
        );
        let own = signed(
            REQUESTER,
            Kind::MentoringOffer,
            offer_body(Some(scene.request.id())),
            day(4),
        );
        assert_eq!(
            scene.check(&own, None, &nothing_retracted),
            Err("own-offer")
        );
        assert_eq!(
            scene.check(&scene.foreign_offer, None, &nothing_retracted),
            Err("wrong-request")
        );
        let request_doc = scene.request.doc();
        let request_retracted = move |doc: &RecordId| *doc == request_doc;
        assert_eq!(
            scene.check(&offer, None, &request_retracted),
            Err("request-withdrawn")
        );
    }

    #[test]
    fn reporting_and_closing() {
        let (scene, acceptance, _) = Scene::matched();
        let report = |seed| {
            signed(
                seed,
                Kind::ProgressReport,
                report_body(acceptance.id(), "at-risk"),
                day(60),
            )
        };
        let closure = |seed| {
            signed(
                seed,
                Kind::MentoringClosure,
                closure_body(acceptance.id(), "completed"),
                day(60),
            )
        };
        for party in [REQUESTER, MENTOR] {
            assert_eq!(
                scene.check(&report(party), None, &nothing_retracted),
                Ok(())
            );
            assert_eq!(
                scene.check(&closure(party), None, &nothing_retracted),
                Ok(())
            );
        }
        assert_eq!(
            scene.check(&report(STRANGER), None, &nothing_retracted),
            Err("only-parties-report")
        );
        assert_eq!(
            scene.check(&closure(OTHER_MENTOR), None, &nothing_retracted),
            Err("only-parties-close")
        );
        let elsewhere = signed(
            MENTOR,
            Kind::ProgressReport,
            report_body(RecordId([8; 32]), "on-track"),
            day(60),
        );
        assert_eq!(
            scene.check(&elsewhere, None, &nothing_retracted),
            Err("no-agreement")
        );
        let unmatched = Scene::new();
        assert_eq!(
            unmatched.check(&report(REQUESTER), None, &nothing_retracted),
            Err("no-agreement")
        );
        assert_eq!(
            unmatched.check(&closure(MENTOR), None, &nothing_retracted),
            Err("no-agreement")
        );

        let mut closed = scene;
        closed.related.push(closure(MENTOR));
        assert_eq!(
            closed.check(&report(REQUESTER), None, &nothing_retracted),
            Err("agreement-closed")
        );
        assert_eq!(
            closed.check(&closure(REQUESTER), None, &nothing_retracted),
            Err("already-closed")
        );
    }

    #[test]
    fn acknowledging() {
        let (scene, _, report) = Scene::matched();
        let acknowledgement = |seed| {
            signed(
                seed,
                Kind::Feedback,
                acknowledgement_body(report.id()),
                day(41),
            )
        };
        assert_eq!(
            scene.check(&acknowledgement(MENTOR), None, &nothing_retracted),
            Ok(())
        );
        for seed in [REQUESTER, STRANGER] {
            assert_eq!(
                scene.check(&acknowledgement(seed), None, &nothing_retracted),
                Err("only-partner-acknowledges")
            );
        }
        // A comment is not an acknowledgement, and anyone may comment.
        let comment = signed(STRANGER, Kind::Feedback, comment_body(report.id()), day(41));
        assert_eq!(scene.check(&comment, None, &nothing_retracted), Ok(()));
    }

    #[test]
    fn a_body_of_another_kind_is_refused() {
        let scene = Scene::new();
        let thread = scene.thread(&nothing_retracted);
        let context = RuleContext {
            request: &scene.request,
            thread: &thread,
            offer: None,
            retracted: &nothing_retracted,
        };
        let refusal = check_new(
            Kind::ProgressReport,
            body_of(&scene.offer),
            school(MENTOR),
            &context,
        );
        assert_eq!(
            refusal.map_err(|refusal| refusal.rule),
            Err("kind-mismatch")
        );
    }
}
