//! The life of a mentoring agreement after the offer: `mentoring_acceptance` (the
//! supported school's signature; with the offer it forms the agreement),
//! `progress_report` (short, prefilled from the goals, red/amber/green status) and
//! `mentoring_closure`.
//!
//! Who may accept, report or close, and whether an agreement is active, depend on other
//! records and are decided with the store; here only the bodies are checked.

use serde::Serialize;
use serde_json::Value;

use super::codes::{ActivityStatus, DeficitStatus, Outcome, ReportStatus};
use super::lang::LangMap;
use super::person::{Person, read_person};
use super::read::{
    Checker, Object, SUMMARY, TEXT, TITLE, boolean, closed, code, date, lang_map, list,
    machine_translated, period, quantity, record_id, short_text,
};
use super::request::{GOALS_MAX, Goal, read_goal};
use super::values::{Date, Period, Quantity};
use crate::RecordId;

/// The autonomy clause in Russian, prefilled into every new acceptance.
pub const DEFAULT_AUTONOMY_RU: &str =
    "Школа-партнёр самостоятельно принимает решения о внедрении рекомендаций";

/// The autonomy clause in English.
pub const DEFAULT_AUTONOMY_EN: &str =
    "The partner school decides for itself which recommendations to adopt";

/// The autonomy clause to prefill: the supported school keeps its own decisions.
pub fn default_autonomy() -> LangMap {
    LangMap::single("ru", DEFAULT_AUTONOMY_RU).with("en", DEFAULT_AUTONOMY_EN)
}

/// The supported school's acceptance of an offer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MentoringAcceptance {
    /// The request accepted for.
    pub request: RecordId,
    /// The offer accepted.
    pub offer: RecordId,
    /// The goals as agreed (up to three); empty means the request's goals stand.
    pub goals: Vec<Goal>,
    /// Working norms: channels, meeting rhythm, confidentiality.
    pub norms: Option<LangMap>,
    /// The autonomy clause; see [`default_autonomy`].
    pub autonomy: LangMap,
    /// Dates of joint reviews.
    pub review_dates: Vec<Date>,
    /// Planned end of the agreement.
    pub end: Option<Date>,
    /// The person who wrote it through the school's node; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// A progress report on an agreement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressReport {
    /// The acceptance record of the agreement.
    pub agreement: RecordId,
    /// The period reported on.
    pub period: Period,
    /// Planned and held activities.
    pub activities: Vec<Activity>,
    /// Indicators of the goals.
    pub indicators: Vec<Indicator>,
    /// How far each deficit has been overcome.
    pub deficits: Vec<DeficitProgress>,
    /// On track, at risk or off track.
    pub status: ReportStatus,
    /// What the school makes of it.
    pub reflection: Option<LangMap>,
    /// The last report of the agreement.
    pub r#final: bool,
    /// The person who wrote it through the school's node; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// One activity of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    /// What it is (3–160 characters per language).
    pub title: LangMap,
    /// Format code (`formats` vocabulary).
    pub format: Option<String>,
    /// When.
    pub date: Option<Date>,
    /// Planned, done, moved or cancelled.
    pub status: ActivityStatus,
}

/// One goal indicator's values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    /// The indicator, as named in the goal.
    pub indicator: String,
    /// Value at the start.
    pub baseline: Option<Quantity>,
    /// Value now.
    pub current: Option<Quantity>,
    /// Value wanted.
    pub target: Option<Quantity>,
    /// When `current` was measured.
    pub date: Option<Date>,
}

/// Progress on one professional deficit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeficitProgress {
    /// Deficit code (`deficits` vocabulary).
    pub code: String,
    /// Closed, partly closed or open.
    pub status: DeficitStatus,
}

/// The closure of an agreement by either party.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MentoringClosure {
    /// The acceptance record of the agreement.
    pub agreement: RecordId,
    /// Completed or terminated.
    pub outcome: Outcome,
    /// What was achieved (up to 1,000 characters).
    pub summary: LangMap,
    /// The person who wrote it through the school's node; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// Reads a `mentoring_acceptance` body.
pub(super) fn read_acceptance(checker: &mut Checker, value: &Value) -> Option<MentoringAcceptance> {
    let mut object = Object::read(checker, "", value)?;
    let request = object.req(checker, "request", record_id);
    let offer = object.req(checker, "offer", record_id);
    let goals = object
        .opt(checker, "goals", |checker, path, value| {
            list(checker, path, value, 0, GOALS_MAX, read_goal)
        })
        .unwrap_or_default();
    let norms = object.opt(checker, "norms", lang_map(TEXT));
    let autonomy = object.req(checker, "autonomy", lang_map(TEXT));
    let review_dates = object.list(checker, "review_dates", date);
    let end = object.opt(checker, "end", date);
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(MentoringAcceptance {
        request: request?,
        offer: offer?,
        goals,
        norms,
        autonomy: autonomy?,
        review_dates,
        end,
        by,
        machine_translated,
    })
}

/// Reads a `progress_report` body.
pub(super) fn read_report(checker: &mut Checker, value: &Value) -> Option<ProgressReport> {
    let mut object = Object::read(checker, "", value)?;
    let agreement = object.req(checker, "agreement", record_id);
    let period = object.req(checker, "period", period);
    let activities = object.list(checker, "activities", read_activity);
    let indicators = object.list(checker, "indicators", read_indicator);
    let deficits = object.list(checker, "deficits", read_deficit);
    let status = object.req(checker, "status", closed::<ReportStatus>);
    let reflection = object.opt(checker, "reflection", lang_map(TEXT));
    let r#final = object.opt(checker, "final", boolean);
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(ProgressReport {
        agreement: agreement?,
        period: period?,
        activities,
        indicators,
        deficits,
        status: status?,
        reflection,
        r#final: r#final.unwrap_or(false),
        by,
        machine_translated,
    })
}

/// Reads a `mentoring_closure` body.
pub(super) fn read_closure(checker: &mut Checker, value: &Value) -> Option<MentoringClosure> {
    let mut object = Object::read(checker, "", value)?;
    let agreement = object.req(checker, "agreement", record_id);
    let outcome = object.req(checker, "outcome", closed::<Outcome>);
    let summary = object.req(checker, "summary", lang_map(SUMMARY));
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(MentoringClosure {
        agreement: agreement?,
        outcome: outcome?,
        summary: summary?,
        by,
        machine_translated,
    })
}

fn read_activity(checker: &mut Checker, path: &str, value: &Value) -> Option<Activity> {
    let mut object = Object::read(checker, path, value)?;
    let title = object.req(checker, "title", lang_map(TITLE));
    let format = object.opt(checker, "format", code);
    let date = object.opt(checker, "date", date);
    let status = object.req(checker, "status", closed::<ActivityStatus>);
    object.finish(checker);
    Some(Activity {
        title: title?,
        format,
        date,
        status: status?,
    })
}

fn read_indicator(checker: &mut Checker, path: &str, value: &Value) -> Option<Indicator> {
    let mut object = Object::read(checker, path, value)?;
    let indicator = object.req(checker, "indicator", short_text);
    let baseline = object.opt(checker, "baseline", quantity);
    let current = object.opt(checker, "current", quantity);
    let target = object.opt(checker, "target", quantity);
    let date = object.opt(checker, "date", date);
    object.finish(checker);
    Some(Indicator {
        indicator: indicator?,
        baseline,
        current,
        target,
        date,
    })
}

fn read_deficit(checker: &mut Checker, path: &str, value: &Value) -> Option<DeficitProgress> {
    let mut object = Object::read(checker, path, value)?;
    let code = object.req(checker, "code", code);
    let status = object.req(checker, "status", closed::<DeficitStatus>);
    object.finish(checker);
    Some(DeficitProgress {
        code: code?,
        status: status?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Kind;
    use crate::body::Body;
    use crate::body::testing::{check, cyrillic, id, message, with, without};
    use crate::limits::SUMMARY_MAX_CHARS;

    fn acceptance() -> Value {
        json!({
            "request": id(50),
            "offer": id(51),
            "goals": [{
                "text": {"ru": "Учителя математики 5–6 классов используют листы самооценки на каждом уроке"},
                "indicator": "Доля уроков с листами самооценки",
                "baseline": "0%",
                "target": "70%",
                "deadline": "2027-05-31"
            }],
            "norms": {"ru": "Встречи онлайн по вторникам в 15:00, очно раз в месяц; материалы уроков не публикуются без согласия учителя."},
            "autonomy": default_autonomy(),
            "review_dates": ["2026-12-15", "2027-03-15"],
            "end": "2027-05-31"
        })
    }

    fn report() -> Value {
        json!({
            "agreement": id(52),
            "period": {"from": "2026-09-01", "to": "2026-12-31"},
            "activities": [
                {"title": {"ru": "Стажировка в школе-наставнике"}, "format": "internship", "date": "2026-10-14", "status": "done"},
                {"title": {"ru": "Взаимопосещение уроков в 5 «Б»"}, "format": "peer-observation", "date": "2026-11-20", "status": "moved"},
                {"title": {"ru": "Вебинар по критериальному оцениванию"}, "format": "webinar", "status": "planned"}
            ],
            "indicators": [{
                "indicator": "Доля уроков с листами самооценки",
                "baseline": "0%",
                "current": "35%",
                "target": "70%",
                "date": "2026-12-20"
            }],
            "deficits": [
                {"code": "formative-assessment", "status": "partly"},
                {"code": "teaching-methods", "status": "open"}
            ],
            "status": "at-risk",
            "reflection": {"ru": "Перенос взаимопосещения из-за карантина; наверстаем в январе."},
            "final": false
        })
    }

    fn closure() -> Value {
        json!({
            "agreement": id(52),
            "outcome": "completed",
            "summary": {
                "ru": "Цели достигнуты: листы самооценки используются на 75 % уроков, доля невыполненных задач на дроби снизилась с 40 до 22 %.",
                "en": "Goals reached: self-assessment sheets are used in 75% of lessons; unsolved fraction tasks fell from 40% to 22%."
            }
        })
    }

    #[test]
    fn realistic_agreement_records_pass() {
        let Ok(body) = check(Kind::MentoringAcceptance, &acceptance(), &[]).0 else {
            panic!("refused");
        };
        let references: Vec<String> = body.references().iter().map(ToString::to_string).collect();
        assert_eq!(references, vec![id(50), id(51)]);
        let Ok(Body::ProgressReport(report)) = check(Kind::ProgressReport, &report(), &[]).0 else {
            panic!("refused");
        };
        assert_eq!(report.status, ReportStatus::AtRisk);
        assert_eq!(report.activities[1].status, ActivityStatus::Moved);
        assert!(!report.r#final);
        let Ok(body) = check(Kind::MentoringClosure, &closure(), &[]).0 else {
            panic!("refused");
        };
        assert!(
            body.title()
                .is_some_and(|summary| summary.get("en").is_some())
        );
        assert_eq!(
            body.references()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![id(52)]
        );
    }

    #[test]
    fn minimal_agreement_records_pass() {
        let Ok(Body::MentoringAcceptance(minimal)) = check(
            Kind::MentoringAcceptance,
            &json!({"request": id(50), "offer": id(51), "autonomy": {"ru": DEFAULT_AUTONOMY_RU}}),
            &[],
        )
        .0
        else {
            panic!("refused");
        };
        assert!(minimal.goals.is_empty());
        check(
            Kind::ProgressReport,
            &json!({"agreement": id(52), "period": {"from": "2027-01-09", "to": "2027-03-31"}, "status": "on-track", "final": true}),
            &[],
        );
    }

    #[test]
    fn acceptance_faults() {
        let base = acceptance();
        let goal = json!({"text": {"ru": "Цель"}});
        let cases: Vec<(Value, &[&str])> = vec![
            (without(&base, "/request"), &["request"]),
            (without(&base, "/offer"), &["offer"]),
            (without(&base, "/autonomy"), &["autonomy"]),
            (with(&base, "/autonomy", json!({"ru": ""})), &["autonomy"]),
            (
                with(&base, "/offer", json!(id(51).replacen('b', "z", 1))),
                &["offer"],
            ),
            (
                with(&base, "/goals", json!([goal, goal, goal, goal])),
                &["goals"],
            ),
            (with(&base, "/goals", json!([])), &[]),
            (
                with(&base, "/goals/0/deadline", json!("2027-5-31")),
                &["goals[0].deadline"],
            ),
            (
                with(&base, "/review_dates", json!(["2026-12-15", "2026-12-32"])),
                &["review_dates[1]"],
            ),
            (with(&base, "/end", json!(20270531)), &["end"]),
        ];
        for (body, expected) in cases {
            check(Kind::MentoringAcceptance, &body, expected);
        }
    }

    #[test]
    fn report_faults() {
        let base = report();
        let cases: Vec<(Value, &[&str])> = vec![
            (without(&base, "/agreement"), &["agreement"]),
            (without(&base, "/period"), &["period"]),
            (without(&base, "/status"), &["status"]),
            (with(&base, "/status", json!("green")), &["status"]),
            (
                with(
                    &base,
                    "/period",
                    json!({"from": "2026-12-31", "to": "2026-09-01"}),
                ),
                &["period"],
            ),
            (
                with(&base, "/activities/0/status", json!("held")),
                &["activities[0].status"],
            ),
            (
                without(&base, "/activities/0/status"),
                &["activities[0].status"],
            ),
            (
                with(&base, "/activities/2/title", json!({"ru": "Ок"})),
                &["activities[2].title.ru"],
            ),
            (
                with(&base, "/activities/1/format", json!("Взаимопосещение")),
                &["activities[1].format"],
            ),
            (
                with(&base, "/deficits/0/status", json!("solved")),
                &["deficits[0].status"],
            ),
            (without(&base, "/deficits/1/code"), &["deficits[1].code"]),
            (
                without(&base, "/indicators/0/indicator"),
                &["indicators[0].indicator"],
            ),
            (with(&base, "/indicators/0/current", json!(null)), &[]),
            (with(&base, "/final", json!("нет")), &["final"]),
        ];
        for (body, expected) in cases {
            check(Kind::ProgressReport, &body, expected);
        }
    }

    #[test]
    fn closure_faults() {
        let base = closure();
        for field in ["agreement", "outcome", "summary"] {
            let result = check(
                Kind::MentoringClosure,
                &without(&base, &format!("/{field}")),
                &[field],
            );
            assert_eq!(message(&result, field), "is required");
        }
        check(
            Kind::MentoringClosure,
            &with(&base, "/outcome", json!("cancelled")),
            &["outcome"],
        );
        let long = with(
            &base,
            "/summary",
            json!({"ru": cyrillic(SUMMARY_MAX_CHARS + 1)}),
        );
        let result = check(Kind::MentoringClosure, &long, &["summary.ru"]);
        assert_eq!(
            message(&result, "summary.ru"),
            "must be at most 1000 characters"
        );
    }
}
