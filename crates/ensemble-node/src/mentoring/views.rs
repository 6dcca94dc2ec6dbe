//! The views of mentoring the node hands to the API and the CLI (serialisable, with ids
//! as text), and how a held record becomes a [`RecordRef`]: a requester's risk profile
//! is hidden from schools that are not its partners.

use ensemble_core::body::Body;
use ensemble_core::mentoring::Fit;
use ensemble_core::{Kind, VerifiedRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::directory::Directory;

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

/// The request field that holds a school's risk profile.
const RISK_PROFILE_FIELD: &str = "risk_factors";

/// A held record as a view; a request's risk profile is hidden from schools that may
/// not see it.
pub(super) fn record_ref(record: &VerifiedRecord, directory: &Directory) -> RecordRef {
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
