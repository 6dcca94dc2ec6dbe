//! Offer-to-request fit: a score from 0 to 100 and the reasons for it, in plain words in
//! Russian and English, so that a requester sees *why* one mentor comes first.
//!
//! The score is a sum of points per criterion (see [`fit`] for the table). A criterion
//! the request leaves open (no grades, no risk factors) earns its full points: it is the
//! same for every offer to that request, so it never changes the ranking, and a perfect
//! match stays reachable at 100.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::RecordId;
use crate::body::{
    DeliveryMode, EvidenceLevel, MentoringOffer, MentoringRequest, Practice, SchoolProfile,
    primary_subtag,
};

/// Points for the request's deficits found in the mentor's expertise.
pub const WEIGHT_DEFICITS: u32 = 35;
/// Points for the request's risk factors (problems) the mentor addresses.
pub const WEIGHT_PROBLEMS: u32 = 15;
/// Points for the request's subjects the offer covers.
pub const WEIGHT_SUBJECTS: u32 = 20;
/// Points for the request's grades the offer covers.
pub const WEIGHT_GRADES: u32 = 5;
/// Points for a compatible delivery mode.
pub const WEIGHT_MODE: u32 = 10;
/// Points for a shared working language.
pub const WEIGHT_LANGUAGE: u32 = 5;
/// Points for the mentor's own practices with evidence ≥ E2 on the requested problems.
pub const WEIGHT_PRACTICES: u32 = 10;
/// Practices counted towards [`WEIGHT_PRACTICES`]: three proven practices show the
/// expertise; more would let a prolific publisher outrank a better match.
pub const PRACTICES_CAP: u32 = 3;
/// The best possible score.
pub const MAX_SCORE: u32 = 100;

// The weights are a share of 100; a change to one must rebalance the others.
const _: () = assert!(
    WEIGHT_DEFICITS
        + WEIGHT_PROBLEMS
        + WEIGHT_SUBJECTS
        + WEIGHT_GRADES
        + WEIGHT_MODE
        + WEIGHT_LANGUAGE
        + WEIGHT_PRACTICES
        == MAX_SCORE
);

/// The lowest evidence level that counts as proof of expertise: before/after data.
const PROVEN: EvidenceLevel = EvidenceLevel::E2;

/// Risk factors of the "500+" profile and the expertise codes (problems, deficits,
/// methods) that address them. A risk factor is matched by its own code or by any code
/// listed here; factors not listed (`low-equipment`, `staff-shortage`) are matched by
/// their own code only, since no mentoring expertise removes them.
const RISK_FACTOR_EXPERTISE: &[(&str, &[&str])] = &[
    ("low-motivation", &["low-motivation"]),
    (
        "language-barriers",
        &["russian-as-second-language", "bilingual-learners"],
    ),
    ("special-needs-share", &["special-needs", "inclusion"]),
    (
        "low-parent-engagement",
        &["parent-engagement", "communication-parents"],
    ),
    ("low-discipline", &["classroom-climate"]),
    ("weak-environment", &["classroom-climate"]),
    ("students-at-risk", &["basic-skills-gaps", "tutoring"]),
    (
        "low-teacher-competence",
        &["subject-knowledge", "teaching-methods"],
    ),
    ("no-inschool-pd", &["lesson-study", "peer-observation"]),
    (
        "low-adaptivity",
        &["differentiated-instruction", "adaptive-practice"],
    ),
];

/// One of the mentor school's own practices, as far as fit needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentorEvidence {
    /// The practice record.
    pub practice: RecordId,
    /// Its problem codes.
    pub problems: Vec<String>,
    /// Its deficit or method codes.
    pub deficits_or_methods: Vec<String>,
    /// Its evidence level, E4 included when replication reports support it.
    pub level: EvidenceLevel,
}

impl MentorEvidence {
    /// The evidence of a practice body as its author claims it (E0 without evidence).
    /// Callers that count replication reports raise `level` to E4 themselves.
    pub fn from_practice(practice: RecordId, body: &Practice) -> MentorEvidence {
        MentorEvidence {
            practice,
            problems: body.problems.clone(),
            deficits_or_methods: body.methods.clone(),
            level: body
                .evidence
                .as_ref()
                .map_or(EvidenceLevel::E0, |evidence| evidence.level),
        }
    }
}

/// What [`fit`] weighs: a request against one mentor school.
#[derive(Debug, Clone, Copy)]
pub struct FitInput<'a> {
    /// The request.
    pub request: &'a MentoringRequest,
    /// The mentor's offer; `None` when matching a request against a profile alone.
    pub offer: Option<&'a MentoringOffer>,
    /// The mentor school's profile, when known.
    pub profile: Option<&'a SchoolProfile>,
    /// The mentor school's own practices.
    pub practices: &'a [MentorEvidence],
    /// The mentor's partnerships that are active now (across all its threads).
    pub active_partnerships: u32,
}

/// A score and its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fit {
    /// 0–100.
    pub score: u32,
    /// One reason per criterion, in the order of the table in [`fit`].
    pub reasons: Vec<Reason>,
}

/// One criterion's result, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable code: `deficits`, `problems`, `subjects`, `grades`, `mode`, `language`,
    /// `capacity` or `practices`.
    pub code: &'static str,
    /// How many matched (for `capacity`: places left; for `mode`: 1 when compatible).
    pub matched: u32,
    /// Out of how many (for `capacity`: places offered; for `practices`: practices
    /// known).
    pub total: u32,
    /// Points this criterion earned.
    pub points: u32,
    /// The reason in English: `deficits matched: 2 of 3`.
    pub text_en: String,
    /// The reason in Russian: «дефициты: совпало 2 из 3».
    pub text_ru: String,
}

/// How well a mentor school fits a request.
///
/// The mentor's expertise is the offer's `expertise` together with the profile's.
///
/// | criterion | points | earned for |
/// |---|---|---|
/// | `deficits` | 35 | the request's deficits found in the expertise, pro rata |
/// | `problems` | 15 | the request's risk factors matched by the expertise or the practices' problems (directly or through the risk-factor table), pro rata; full when the request names none |
/// | `subjects` | 20 | the request's subjects the offer covers, pro rata |
/// | `grades` | 5 | the request's grades the offer covers, pro rata; full when the request names none |
/// | `mode` | 10 | compatible modes: equal, or either side `mixed` |
/// | `language` | 5 | a working language of the request that the mentor uses (profile languages, offer title languages not machine-translated), compared by primary subtag |
/// | `practices` | 10 | the mentor's practices with evidence ≥ E2 on the requested problems or deficits, 10 × min(n, 3) / 3 |
/// | `capacity` | gate | places left = offer `capacity.schools` − active partnerships; none left makes the whole score 0 |
///
/// Pro-rata points are rounded half up. The result depends only on the input's
/// contents, not on the order of any list in it.
pub fn fit(input: &FitInput) -> Fit {
    let request = input.request;
    let expertise: BTreeSet<&str> = input
        .offer
        .into_iter()
        .flat_map(|offer| offer.expertise.iter())
        .chain(
            input
                .profile
                .into_iter()
                .flat_map(|profile| profile.expertise.iter()),
        )
        .map(String::as_str)
        .collect();
    let capacity = capacity_reason(input.offer, input.active_partnerships);
    let no_capacity = capacity.total > 0 && capacity.matched == 0;
    let reasons = vec![
        deficits_reason(request, &expertise),
        problems_reason(request, &expertise, input.practices),
        subjects_reason(request, input.offer),
        grades_reason(request, input.offer),
        mode_reason(request, input.offer),
        language_reason(request, input.offer, input.profile),
        practices_reason(request, input.practices),
        capacity,
    ];
    let score = if no_capacity {
        0
    } else {
        reasons
            .iter()
            .map(|reason| reason.points)
            .sum::<u32>()
            .min(MAX_SCORE)
    };
    Fit { score, reasons }
}

/// Fits every candidate and sorts them best first; equal scores are ordered by record
/// id, so every node shows the same list.
pub fn rank(candidates: &[(RecordId, FitInput<'_>)]) -> Vec<(RecordId, Fit)> {
    let mut ranked: Vec<(RecordId, Fit)> = candidates
        .iter()
        .map(|(id, input)| (*id, fit(input)))
        .collect();
    ranked.sort_by(|(left_id, left), (right_id, right)| {
        right
            .score
            .cmp(&left.score)
            .then_with(|| left_id.cmp(right_id))
    });
    ranked
}

fn deficits_reason(request: &MentoringRequest, expertise: &BTreeSet<&str>) -> Reason {
    let wanted = codes(&request.deficits);
    let matched = count(wanted.iter().filter(|code| expertise.contains(*code)));
    let total = count(wanted.iter());
    Reason {
        code: "deficits",
        matched,
        total,
        points: pro_rata(WEIGHT_DEFICITS, matched, total),
        text_en: format!("deficits matched: {matched} of {total}"),
        text_ru: format!("дефициты: совпало {matched} из {total}"),
    }
}

fn problems_reason(
    request: &MentoringRequest,
    expertise: &BTreeSet<&str>,
    practices: &[MentorEvidence],
) -> Reason {
    let wanted = codes(&request.risk_factors);
    let total = count(wanted.iter());
    if total == 0 {
        return Reason {
            code: "problems",
            matched: 0,
            total: 0,
            points: WEIGHT_PROBLEMS,
            text_en: "problems: none named in the request".to_string(),
            text_ru: "проблемы: в запросе не указаны".to_string(),
        };
    }
    let practice_problems: BTreeSet<&str> = practices
        .iter()
        .flat_map(|practice| practice.problems.iter())
        .map(String::as_str)
        .collect();
    let matched = count(wanted.iter().filter(|risk| {
        addressing_codes(risk)
            .iter()
            .any(|code| expertise.contains(code) || practice_problems.contains(code))
    }));
    Reason {
        code: "problems",
        matched,
        total,
        points: pro_rata(WEIGHT_PROBLEMS, matched, total),
        text_en: format!("problems matched: {matched} of {total}"),
        text_ru: format!("проблемы: совпало {matched} из {total}"),
    }
}

fn subjects_reason(request: &MentoringRequest, offer: Option<&MentoringOffer>) -> Reason {
    let wanted = codes(&request.subjects);
    let offered: BTreeSet<&str> = offer.map_or_else(BTreeSet::new, |offer| codes(&offer.subjects));
    let matched = count(wanted.intersection(&offered));
    let total = count(wanted.iter());
    let points = if total == 0 {
        WEIGHT_SUBJECTS
    } else {
        pro_rata(WEIGHT_SUBJECTS, matched, total)
    };
    Reason {
        code: "subjects",
        matched,
        total,
        points,
        text_en: format!("subjects: {matched} of {total}"),
        text_ru: format!("предметы: {matched} из {total}"),
    }
}

fn grades_reason(request: &MentoringRequest, offer: Option<&MentoringOffer>) -> Reason {
    let wanted: BTreeSet<u8> = request.grades.iter().copied().collect();
    let total = count(wanted.iter());
    if total == 0 {
        return Reason {
            code: "grades",
            matched: 0,
            total: 0,
            points: WEIGHT_GRADES,
            text_en: "grades: any".to_string(),
            text_ru: "классы: любые".to_string(),
        };
    }
    let offered: BTreeSet<u8> = offer.map_or_else(BTreeSet::new, |offer| {
        offer.grades.iter().copied().collect()
    });
    let matched = count(wanted.intersection(&offered));
    Reason {
        code: "grades",
        matched,
        total,
        points: pro_rata(WEIGHT_GRADES, matched, total),
        text_en: format!("grades: {matched} of {total}"),
        text_ru: format!("классы: {matched} из {total}"),
    }
}

fn mode_reason(request: &MentoringRequest, offer: Option<&MentoringOffer>) -> Reason {
    let Some(offer) = offer else {
        return Reason {
            code: "mode",
            matched: 0,
            total: 1,
            points: 0,
            text_en: "mode: not stated".to_string(),
            text_ru: "формат: не указан".to_string(),
        };
    };
    // The mode the partners would work in: the narrower of the two when one is mixed.
    let agreed = match (request.mode, offer.mode) {
        (wanted, offered) if wanted == offered => Some(wanted),
        (DeliveryMode::Mixed, offered) => Some(offered),
        (wanted, DeliveryMode::Mixed) => Some(wanted),
        _ => None,
    };
    match agreed {
        Some(mode) => Reason {
            code: "mode",
            matched: 1,
            total: 1,
            points: WEIGHT_MODE,
            text_en: format!("mode: {}", mode_en(mode)),
            text_ru: format!("формат: {}", mode_ru(mode)),
        },
        None => Reason {
            code: "mode",
            matched: 0,
            total: 1,
            points: 0,
            text_en: format!(
                "mode: {} requested, {} offered",
                mode_en(request.mode),
                mode_en(offer.mode)
            ),
            text_ru: format!(
                "формат: запрошен {}, предложен {}",
                mode_ru(request.mode),
                mode_ru(offer.mode)
            ),
        },
    }
}

fn language_reason(
    request: &MentoringRequest,
    offer: Option<&MentoringOffer>,
    profile: Option<&SchoolProfile>,
) -> Reason {
    let mut spoken: BTreeSet<String> = profile
        .into_iter()
        .flat_map(|profile| profile.languages.iter())
        .map(|tag| primary_subtag(tag))
        .collect();
    if let Some(offer) = offer {
        let translated: BTreeSet<String> = offer
            .machine_translated
            .iter()
            .map(|tag| primary_subtag(tag))
            .collect();
        spoken.extend(
            offer
                .title
                .0
                .iter()
                .filter(|(_, text)| !text.trim().is_empty())
                .map(|(tag, _)| primary_subtag(tag))
                .filter(|tag| !translated.contains(tag)),
        );
    }
    let wanted: BTreeSet<&str> = codes(&request.language);
    let shared: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|tag| spoken.contains(&primary_subtag(tag)))
        .collect();
    let matched = count(shared.iter());
    let total = count(wanted.iter());
    if shared.is_empty() {
        return Reason {
            code: "language",
            matched,
            total,
            points: 0,
            text_en: "language: none in common".to_string(),
            text_ru: "язык: нет общего".to_string(),
        };
    }
    let list = shared.join(", ");
    Reason {
        code: "language",
        matched,
        total,
        points: WEIGHT_LANGUAGE,
        text_en: format!("language: {list}"),
        text_ru: format!("язык: {list}"),
    }
}

fn practices_reason(request: &MentoringRequest, practices: &[MentorEvidence]) -> Reason {
    let problems: BTreeSet<&str> = request
        .risk_factors
        .iter()
        .flat_map(|risk| addressing_codes(risk))
        .collect();
    let deficits = codes(&request.deficits);
    let known: BTreeSet<RecordId> = practices.iter().map(|practice| practice.practice).collect();
    let proven: BTreeSet<RecordId> = practices
        .iter()
        .filter(|practice| practice.level >= PROVEN)
        .filter(|practice| {
            practice
                .problems
                .iter()
                .any(|code| problems.contains(code.as_str()))
                || practice.deficits_or_methods.iter().any(|code| {
                    deficits.contains(code.as_str()) || problems.contains(code.as_str())
                })
        })
        .map(|practice| practice.practice)
        .collect();
    let matched = count(proven.iter());
    Reason {
        code: "practices",
        matched,
        total: count(known.iter()),
        points: pro_rata(WEIGHT_PRACTICES, matched.min(PRACTICES_CAP), PRACTICES_CAP),
        text_en: format!(
            "{matched} of the mentor's practices with evidence ≥ E2 on these problems"
        ),
        text_ru: format!(
            "практик наставника с доказательностью от E2 по этим проблемам: {matched}"
        ),
    }
}

fn capacity_reason(offer: Option<&MentoringOffer>, active_partnerships: u32) -> Reason {
    let places = offer
        .and_then(|offer| offer.capacity.as_ref())
        .and_then(|capacity| capacity.schools);
    let Some(places) = places else {
        return Reason {
            code: "capacity",
            matched: 0,
            total: 0,
            points: 0,
            text_en: "capacity: not stated".to_string(),
            text_ru: "свободные места: не указаны".to_string(),
        };
    };
    let left = places.saturating_sub(active_partnerships);
    let (text_en, text_ru) = if left == 0 {
        (
            "no capacity left".to_string(),
            "свободных мест нет".to_string(),
        )
    } else {
        (
            format!("capacity: {left} of {places} places left"),
            format!("свободных мест: {left} из {places}"),
        )
    };
    Reason {
        code: "capacity",
        matched: left,
        total: places,
        points: 0,
        text_en,
        text_ru,
    }
}

/// The risk factor's own code and the expertise codes that address it.
fn addressing_codes(risk: &str) -> Vec<&str> {
    let mut addressing = vec![risk];
    if let Some((_, related)) = RISK_FACTOR_EXPERTISE
        .iter()
        .find(|(factor, _)| *factor == risk)
    {
        addressing.extend(related.iter().copied());
    }
    addressing
}

fn codes(list: &[String]) -> BTreeSet<&str> {
    list.iter().map(String::as_str).collect()
}

fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}

/// `weight × matched / total`, rounded half up; 0 when `total` is 0.
fn pro_rata(weight: u32, matched: u32, total: u32) -> u32 {
    if total == 0 {
        return 0;
    }
    let (weight, matched, total) = (
        u64::from(weight),
        u64::from(matched.min(total)),
        u64::from(total),
    );
    // At most `weight`, which is a u32.
    ((2 * weight * matched + total) / (2 * total)) as u32
}

fn mode_en(mode: DeliveryMode) -> &'static str {
    match mode {
        DeliveryMode::Online => "online",
        DeliveryMode::Offline => "in person",
        DeliveryMode::Mixed => "mixed",
    }
}

fn mode_ru(mode: DeliveryMode) -> &'static str {
    match mode {
        DeliveryMode::Online => "онлайн",
        DeliveryMode::Offline => "очно",
        DeliveryMode::Mixed => "смешанный",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Kind;
    use crate::body::{Body, Mode, validate};

    fn parse(kind: Kind, value: &Value) -> Body {
        match validate(kind, value.to_string().as_bytes(), Mode::Local) {
            Ok(body) => body,
            Err(errors) => panic!("{kind} refused: {errors}"),
        }
    }

    fn request_json() -> Value {
        json!({
            "title": {"ru": "Формирующее оценивание и смысловое чтение в 5–6 классах"},
            "problem": {"ru": "Пятиклассники не понимают условие задачи и не получают обратной связи."},
            "deficits": ["formative-assessment", "teaching-methods", "digital"],
            "risk_factors": ["students-at-risk", "low-motivation"],
            "subjects": ["mathematics"],
            "grades": [5, 6],
            "goals": [{"text": {"ru": "Листы самооценки на каждом уроке"}}],
            "formats": ["peer-observation"],
            "mode": "mixed",
            "period": {"from": "2026-09-01", "to": "2027-05-31"},
            "language": "ru"
        })
    }

    fn request() -> MentoringRequest {
        match parse(Kind::MentoringRequest, &request_json()) {
            Body::MentoringRequest(request) => request,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn request_with(pointer: &str, value: Value) -> MentoringRequest {
        let mut body = request_json();
        if let Some(slot) = body.pointer_mut(pointer) {
            *slot = value;
        }
        match parse(Kind::MentoringRequest, &body) {
            Body::MentoringRequest(request) => request,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn perfect_offer_json() -> Value {
        json!({
            "title": {"ru": "Наставничество по формирующему оцениванию в математике"},
            "expertise": ["formative-assessment", "teaching-methods", "digital", "basic-skills-gaps", "low-motivation"],
            "subjects": ["mathematics", "algebra"],
            "grades": [5, 6, 7],
            "formats": ["peer-observation", "co-planning"],
            "mode": "online",
            "capacity": {"schools": 3}
        })
    }

    fn offer_from(value: &Value) -> MentoringOffer {
        match parse(Kind::MentoringOffer, value) {
            Body::MentoringOffer(offer) => offer,
            other => panic!("not an offer: {other:?}"),
        }
    }

    fn offer_with(pointer: &str, value: Value) -> MentoringOffer {
        let mut body = perfect_offer_json();
        if let Some(slot) = body.pointer_mut(pointer) {
            *slot = value;
        }
        offer_from(&body)
    }

    fn profile(expertise: Value, languages: Value) -> SchoolProfile {
        let body = json!({
            "name": {"ru": "МБОУ «СОШ № 5» г. Елабуги"},
            "region": "ru-tat",
            "roles": ["mentor"],
            "languages": languages,
            "expertise": expertise
        });
        match parse(Kind::SchoolProfile, &body) {
            Body::SchoolProfile(profile) => profile,
            other => panic!("not a profile: {other:?}"),
        }
    }

    fn evidence(
        seed: u8,
        problems: &[&str],
        methods: &[&str],
        level: EvidenceLevel,
    ) -> MentorEvidence {
        MentorEvidence {
            practice: RecordId([seed; 32]),
            problems: problems.iter().map(ToString::to_string).collect(),
            deficits_or_methods: methods.iter().map(ToString::to_string).collect(),
            level,
        }
    }

    fn proven_practices() -> Vec<MentorEvidence> {
        vec![
            evidence(1, &["basic-skills-gaps"], &[], EvidenceLevel::E2),
            evidence(2, &[], &["formative-assessment"], EvidenceLevel::E3),
            evidence(
                3,
                &["low-motivation"],
                &["game-based-learning"],
                EvidenceLevel::E4,
            ),
        ]
    }

    fn input<'a>(
        request: &'a MentoringRequest,
        offer: &'a MentoringOffer,
        practices: &'a [MentorEvidence],
    ) -> FitInput<'a> {
        FitInput {
            request,
            offer: Some(offer),
            profile: None,
            practices,
            active_partnerships: 0,
        }
    }

    /// (code, matched, total, points, English, Russian) of every reason.
    type Row = (&'static str, u32, u32, u32, String, String);

    fn rows(fit: &Fit) -> Vec<Row> {
        fit.reasons
            .iter()
            .map(|reason| {
                (
                    reason.code,
                    reason.matched,
                    reason.total,
                    reason.points,
                    reason.text_en.clone(),
                    reason.text_ru.clone(),
                )
            })
            .collect()
    }

    fn reason<'a>(fit: &'a Fit, code: &str) -> &'a Reason {
        match fit.reasons.iter().find(|reason| reason.code == code) {
            Some(reason) => reason,
            None => panic!("no {code} reason in {fit:?}"),
        }
    }

    #[test]
    fn a_perfect_match_scores_100_and_says_why() {
        let request = request();
        let offer = offer_from(&perfect_offer_json());
        let practices = proven_practices();
        let fit = fit(&input(&request, &offer, &practices));
        assert_eq!(fit.score, MAX_SCORE);
        let row = |code, matched, total, points, en: &str, ru: &str| -> Row {
            (code, matched, total, points, en.to_string(), ru.to_string())
        };
        assert_eq!(
            rows(&fit),
            vec![
                row(
                    "deficits",
                    3,
                    3,
                    35,
                    "deficits matched: 3 of 3",
                    "дефициты: совпало 3 из 3"
                ),
                row(
                    "problems",
                    2,
                    2,
                    15,
                    "problems matched: 2 of 2",
                    "проблемы: совпало 2 из 2"
                ),
                row("subjects", 1, 1, 20, "subjects: 1 of 1", "предметы: 1 из 1"),
                row("grades", 2, 2, 5, "grades: 2 of 2", "классы: 2 из 2"),
                row("mode", 1, 1, 10, "mode: online", "формат: онлайн"),
                row("language", 1, 1, 5, "language: ru", "язык: ru"),
                row(
                    "practices",
                    3,
                    3,
                    10,
                    "3 of the mentor's practices with evidence ≥ E2 on these problems",
                    "практик наставника с доказательностью от E2 по этим проблемам: 3"
                ),
                row(
                    "capacity",
                    3,
                    3,
                    0,
                    "capacity: 3 of 3 places left",
                    "свободных мест: 3 из 3"
                ),
            ]
        );
    }

    #[test]
    fn no_overlap_scores_zero() {
        let request = request();
        let offer = offer_from(&json!({
            "title": {"en": "Project-based physics for senior grades"},
            "expertise": ["project-based-learning", "exam-preparation"],
            "subjects": ["physics"],
            "grades": [10, 11],
            "formats": ["webinar"],
            "mode": "offline"
        }));
        let request = MentoringRequest {
            mode: DeliveryMode::Online,
            ..request
        };
        let practices = vec![evidence(
            9,
            &["exam-preparation"],
            &["project-based-learning"],
            EvidenceLevel::E5,
        )];
        let fit = fit(&input(&request, &offer, &practices));
        assert_eq!(fit.score, 0, "{fit:?}");
        assert_eq!(
            reason(&fit, "mode").text_en,
            "mode: online requested, in person offered"
        );
        assert_eq!(
            reason(&fit, "mode").text_ru,
            "формат: запрошен онлайн, предложен очно"
        );
        assert_eq!(reason(&fit, "language").text_en, "language: none in common");
        assert_eq!(reason(&fit, "practices").matched, 0);
        assert_eq!(reason(&fit, "practices").total, 1);
        assert_eq!(reason(&fit, "capacity").text_en, "capacity: not stated");
    }

    #[test]
    fn partial_matches_earn_points_pro_rata() {
        let request = request();
        let offer = offer_with(
            "/expertise",
            json!(["formative-assessment", "teaching-methods"]),
        );
        let offer = MentoringOffer {
            grades: vec![6, 7],
            ..offer
        };
        let fit = fit(&input(&request, &offer, &[]));
        let deficits = reason(&fit, "deficits");
        assert_eq!(
            (deficits.matched, deficits.total, deficits.points),
            (2, 3, 23)
        );
        assert_eq!(deficits.text_en, "deficits matched: 2 of 3");
        assert_eq!(deficits.text_ru, "дефициты: совпало 2 из 3");
        // Neither risk factor is addressed by this expertise.
        assert_eq!(reason(&fit, "problems").points, 0);
        assert_eq!(reason(&fit, "grades").points, 3);
        assert_eq!(reason(&fit, "practices").points, 0);
        assert_eq!(fit.score, 23 + 20 + 3 + 10 + 5);
    }

    #[test]
    fn open_criteria_of_the_request_earn_full_points() {
        let request = request_with("/risk_factors", json!([]));
        let request = MentoringRequest {
            grades: Vec::new(),
            ..request
        };
        let offer = offer_with("/grades", json!([10]));
        let fit = fit(&input(&request, &offer, &[]));
        assert_eq!(reason(&fit, "problems").points, WEIGHT_PROBLEMS);
        assert_eq!(
            reason(&fit, "problems").text_en,
            "problems: none named in the request"
        );
        assert_eq!(reason(&fit, "grades").points, WEIGHT_GRADES);
        assert_eq!(reason(&fit, "grades").text_ru, "классы: любые");
    }

    #[test]
    fn zero_capacity_scores_zero_with_the_reason() {
        let request = request();
        let offer = offer_from(&perfect_offer_json());
        let practices = proven_practices();
        let full = FitInput {
            active_partnerships: 3,
            ..input(&request, &offer, &practices)
        };
        let fit_full = fit(&full);
        assert_eq!(fit_full.score, 0);
        let capacity = reason(&fit_full, "capacity");
        assert_eq!((capacity.matched, capacity.total), (0, 3));
        assert_eq!(capacity.text_en, "no capacity left");
        assert_eq!(capacity.text_ru, "свободных мест нет");
        // Over-committed counts as none left, not as a wrap-around.
        assert_eq!(
            fit(&FitInput {
                active_partnerships: 7,
                ..full
            })
            .score,
            0
        );
        // One place left: full score, and the reason says how many remain.
        let one_left = fit(&FitInput {
            active_partnerships: 2,
            ..full
        });
        assert_eq!(one_left.score, MAX_SCORE);
        assert_eq!(
            reason(&one_left, "capacity").text_en,
            "capacity: 1 of 3 places left"
        );
    }

    #[test]
    fn mode_compatibility() {
        use DeliveryMode::{Mixed, Offline, Online};
        let cases = [
            (Online, Online, Some("online")),
            (Offline, Offline, Some("in person")),
            (Mixed, Mixed, Some("mixed")),
            (Mixed, Online, Some("online")),
            (Mixed, Offline, Some("in person")),
            (Online, Mixed, Some("online")),
            (Offline, Mixed, Some("in person")),
            (Online, Offline, None),
            (Offline, Online, None),
        ];
        for (wanted, offered, agreed) in cases {
            let request = MentoringRequest {
                mode: wanted,
                ..request()
            };
            let offer = MentoringOffer {
                mode: offered,
                ..offer_from(&perfect_offer_json())
            };
            let fit = fit(&input(&request, &offer, &[]));
            let mode = reason(&fit, "mode");
            match agreed {
                Some(words) => {
                    assert_eq!(mode.points, WEIGHT_MODE, "{wanted:?} {offered:?}");
                    assert_eq!(mode.text_en, format!("mode: {words}"));
                }
                None => assert_eq!(mode.points, 0, "{wanted:?} {offered:?}"),
            }
        }
    }

    #[test]
    fn practices_count_only_at_e2_and_above_on_the_requested_problems() {
        let request = request();
        let offer = offer_from(&perfect_offer_json());
        let practices = vec![
            evidence(1, &["basic-skills-gaps"], &[], EvidenceLevel::E1),
            evidence(
                2,
                &["exam-preparation"],
                &["flipped-classroom"],
                EvidenceLevel::E5,
            ),
            evidence(3, &[], &["formative-assessment"], EvidenceLevel::E0),
            evidence(4, &[], &["formative-assessment"], EvidenceLevel::E2),
        ];
        let fit = fit(&input(&request, &offer, &practices));
        let counted = reason(&fit, "practices");
        assert_eq!((counted.matched, counted.total, counted.points), (1, 4, 3));
        assert_eq!(
            counted.text_en,
            "1 of the mentor's practices with evidence ≥ E2 on these problems"
        );
    }

    #[test]
    fn practices_are_capped_at_three_and_counted_once() {
        let request = request();
        let offer = offer_from(&perfect_offer_json());
        let mut practices: Vec<MentorEvidence> = (1..=5)
            .map(|seed| evidence(seed, &["basic-skills-gaps"], &[], EvidenceLevel::E3))
            .collect();
        practices.push(practices[0].clone());
        let fit = fit(&input(&request, &offer, &practices));
        let counted = reason(&fit, "practices");
        assert_eq!(
            (counted.matched, counted.total, counted.points),
            (5, 5, WEIGHT_PRACTICES)
        );
        assert_eq!(
            counted.text_ru,
            "практик наставника с доказательностью от E2 по этим проблемам: 5"
        );
    }

    #[test]
    fn expertise_and_languages_come_from_the_offer_and_the_profile() {
        let request = request_with("/language", json!(["tt", "ru-RU"]));
        let offer = offer_with("/expertise", json!(["formative-assessment"]));
        let profile = profile(
            json!(["teaching-methods", "digital", "tutoring"]),
            json!(["tt-Cyrl"]),
        );
        let with_profile = FitInput {
            profile: Some(&profile),
            ..input(&request, &offer, &[])
        };
        let fit = fit(&with_profile);
        assert_eq!(reason(&fit, "deficits").matched, 3);
        // `tutoring` addresses `students-at-risk`; nothing addresses `low-motivation`.
        assert_eq!(reason(&fit, "problems").matched, 1);
        let language = reason(&fit, "language");
        assert_eq!((language.matched, language.total), (2, 2));
        assert_eq!(language.text_en, "language: ru-RU, tt");
    }

    #[test]
    fn machine_translated_titles_do_not_count_as_a_language() {
        let request = request_with("/language", json!("en"));
        let mut body = perfect_offer_json();
        body["title"] =
            json!({"ru": "Наставничество по оцениванию", "en": "Mentoring in assessment"});
        body["machine_translated"] = json!(["en"]);
        let translated = offer_from(&body);
        assert_eq!(
            reason(&fit(&input(&request, &translated, &[])), "language").points,
            0
        );
        if let Some(map) = body.as_object_mut() {
            map.remove("machine_translated");
        }
        let written = offer_from(&body);
        assert_eq!(
            reason(&fit(&input(&request, &written, &[])), "language").points,
            WEIGHT_LANGUAGE
        );
    }

    #[test]
    fn a_profile_without_an_offer_is_scored_on_expertise() {
        let request = request();
        let profile = profile(
            json!([
                "formative-assessment",
                "teaching-methods",
                "digital",
                "basic-skills-gaps",
                "low-motivation"
            ]),
            json!(["ru"]),
        );
        let fit = fit(&FitInput {
            request: &request,
            offer: None,
            profile: Some(&profile),
            practices: &[],
            active_partnerships: 0,
        });
        assert_eq!(reason(&fit, "mode").text_en, "mode: not stated");
        assert_eq!(reason(&fit, "subjects").points, 0);
        assert_eq!(fit.score, 35 + 15 + 5);
    }

    #[test]
    fn ranking_is_by_score_then_record_id() {
        let request = request();
        let perfect = offer_from(&perfect_offer_json());
        let weaker = offer_with("/subjects", json!(["physics"]));
        let practices = proven_practices();
        let candidates = [
            (RecordId([9; 32]), input(&request, &weaker, &practices)),
            (RecordId([7; 32]), input(&request, &perfect, &practices)),
            (RecordId([3; 32]), input(&request, &weaker, &practices)),
            (RecordId([8; 32]), input(&request, &perfect, &practices)),
        ];
        let order: Vec<(u8, u32)> = rank(&candidates)
            .iter()
            .map(|(id, fit)| (id.0[0], fit.score))
            .collect();
        assert_eq!(order, vec![(7, 100), (8, 100), (3, 80), (9, 80)]);
    }

    #[test]
    fn fit_and_rank_are_deterministic_whatever_the_order_of_the_lists() {
        let request = request();
        let reordered_request = MentoringRequest {
            deficits: request.deficits.iter().rev().cloned().collect(),
            risk_factors: request.risk_factors.iter().rev().cloned().collect(),
            grades: request.grades.iter().rev().copied().collect(),
            ..request.clone()
        };
        let offer = offer_with(
            "/expertise",
            json!(["digital", "low-motivation", "formative-assessment"]),
        );
        let reordered_offer = MentoringOffer {
            expertise: offer.expertise.iter().rev().cloned().collect(),
            grades: offer.grades.iter().rev().copied().collect(),
            ..offer.clone()
        };
        let practices = proven_practices();
        let reversed: Vec<MentorEvidence> = practices.iter().rev().cloned().collect();
        let first = fit(&input(&request, &offer, &practices));
        assert_eq!(first, fit(&input(&request, &offer, &practices)));
        assert_eq!(
            first,
            fit(&input(&reordered_request, &reordered_offer, &reversed))
        );

        let candidates = [
            (RecordId([5; 32]), input(&request, &offer, &practices)),
            (RecordId([4; 32]), input(&request, &offer, &[])),
            (
                RecordId([6; 32]),
                input(&request, &reordered_offer, &reversed),
            ),
        ];
        let mut backwards = candidates;
        backwards.reverse();
        assert_eq!(rank(&candidates), rank(&backwards));
    }
}
