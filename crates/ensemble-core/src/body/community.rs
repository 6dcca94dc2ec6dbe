//! The bodies of a professional learning community (ПОС, after Wenger 1998 and seed
//! 004): `community` — its purpose, scope, the agreement («Соглашение») members sign
//! and the step of the 7-step design cycle it is at; `community_membership` — one
//! person's signature of one version of the agreement, or their leaving; and
//! `community_entry` — goals, plan items, outcomes, measurements, analyses and meetings,
//! each filed under a step of the cycle.
//!
//! Who counts as a member and which entries count are decided from many records by
//! [`crate::community`]; here only the bodies are checked.

use serde::Serialize;
use serde_json::{Number, Value};

use super::codes::{CommunityScope, CycleStep, EntryType, MembershipStatus};
use super::lang::LangMap;
use super::person::{Person, read_person};
use super::read::{
    Checker, Object, TEXT, TITLE, closed, code, date, grade, lang_map, machine_translated,
    record_id, short_text, whole,
};
use super::values::Date;
use crate::RecordId;

/// A professional learning community.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Community {
    /// Name (3–160 characters per language).
    pub name: LangMap,
    /// What the community is for: the problem it works on, oriented to pupils' learning.
    pub purpose: LangMap,
    /// One school's teachers, or the network's.
    pub scope: CommunityScope,
    /// Subject codes.
    pub subjects: Vec<String>,
    /// Grades concerned.
    pub grades: Vec<u8>,
    /// Problem codes (`problems` vocabulary).
    pub problems: Vec<String>,
    /// Who leads the meetings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facilitator: Option<Person>,
    /// How often and where the community meets.
    pub rhythm: Option<LangMap>,
    /// The agreement members sign; a version that changes it asks them to sign again.
    pub agreement: CommunityAgreement,
    /// The step of the design cycle the community is at.
    pub step: Option<CycleStep>,
    /// The person who wrote this version; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// The agreement («Соглашение»): written together, signed by every member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommunityAgreement {
    /// Norms of work: time, place, duration.
    pub norms: LangMap,
    /// How decisions are made.
    pub decisions: LangMap,
    /// Rules of interaction.
    pub interaction: LangMap,
    /// What stays inside the community.
    pub confidentiality: Option<LangMap>,
    /// How results are shared with other communities.
    pub sharing: Option<LangMap>,
}

/// A person's signature of one version of a community's agreement, or their leaving.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommunityMembership {
    /// The community's doc id.
    pub community: RecordId,
    /// The record id of the community version whose agreement is signed.
    pub agreement_version: RecordId,
    /// The member.
    pub by: Person,
    /// Joined (signed) or left.
    pub status: MembershipStatus,
}

/// One entry of a community's work, filed under a step of the cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommunityEntry {
    /// The community's doc id.
    pub community: RecordId,
    /// The step of the cycle it belongs to.
    pub step: CycleStep,
    /// Goal, method, plan item, outcome, measurement, analysis, adjustment or meeting.
    pub r#type: EntryType,
    /// The entry itself.
    pub text: LangMap,
    /// The indicator measured.
    pub indicator: Option<String>,
    /// The value measured.
    pub value: Option<Number>,
    /// When (held, measured, due).
    pub date: Option<Date>,
    /// Who is responsible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Person>,
    /// Practices (doc ids) the entry draws on or produced.
    pub practices: Vec<RecordId>,
    /// Who attended, for a meeting.
    pub attendees: Vec<Person>,
    /// What was decided.
    pub decisions: Option<LangMap>,
    /// The member who wrote it; entries need one (see [`crate::community`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// Reads a `community` body.
pub(super) fn read_community(checker: &mut Checker, value: &Value) -> Option<Community> {
    let mut object = Object::read(checker, "", value)?;
    let name = object.req(checker, "name", lang_map(TITLE));
    let purpose = object.req(checker, "purpose", lang_map(TEXT));
    let scope = object.req(checker, "scope", closed::<CommunityScope>);
    let subjects = object.list(checker, "subjects", code);
    let grades = object.list(checker, "grades", grade);
    let problems = object.list(checker, "problems", code);
    let facilitator = object.opt(checker, "facilitator", read_person);
    let rhythm = object.opt(checker, "rhythm", lang_map(TEXT));
    let agreement = object.req(checker, "agreement", read_agreement);
    let step = object.opt(checker, "step", cycle_step);
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(Community {
        name: name?,
        purpose: purpose?,
        scope: scope?,
        subjects,
        grades,
        problems,
        facilitator,
        rhythm,
        agreement: agreement?,
        step,
        by,
        machine_translated,
    })
}

/// Reads a `community_membership` body.
pub(super) fn read_membership(checker: &mut Checker, value: &Value) -> Option<CommunityMembership> {
    let mut object = Object::read(checker, "", value)?;
    let community = object.req(checker, "community", record_id);
    let agreement_version = object.req(checker, "agreement_version", record_id);
    let by = object.req(checker, "by", read_person);
    let status = object.req(checker, "status", closed::<MembershipStatus>);
    object.finish(checker);
    Some(CommunityMembership {
        community: community?,
        agreement_version: agreement_version?,
        by: by?,
        status: status?,
    })
}

/// Reads a `community_entry` body.
pub(super) fn read_entry(checker: &mut Checker, value: &Value) -> Option<CommunityEntry> {
    let mut object = Object::read(checker, "", value)?;
    let community = object.req(checker, "community", record_id);
    let step = object.req(checker, "step", cycle_step);
    let r#type = object.req(checker, "type", closed::<EntryType>);
    let text = object.req(checker, "text", lang_map(TEXT));
    let indicator = object.opt(checker, "indicator", short_text);
    let value = object.opt(checker, "value", number);
    let date = object.opt(checker, "date", date);
    let owner = object.opt(checker, "owner", read_person);
    let practices = object.list(checker, "practices", record_id);
    let attendees = object.list(checker, "attendees", read_person);
    let decisions = object.opt(checker, "decisions", lang_map(TEXT));
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(CommunityEntry {
        community: community?,
        step: step?,
        r#type: r#type?,
        text: text?,
        indicator,
        value,
        date,
        owner,
        practices,
        attendees,
        decisions,
        by,
        machine_translated,
    })
}

fn read_agreement(checker: &mut Checker, path: &str, value: &Value) -> Option<CommunityAgreement> {
    let mut object = Object::read(checker, path, value)?;
    let norms = object.req(checker, "norms", lang_map(TEXT));
    let decisions = object.req(checker, "decisions", lang_map(TEXT));
    let interaction = object.req(checker, "interaction", lang_map(TEXT));
    let confidentiality = object.opt(checker, "confidentiality", lang_map(TEXT));
    let sharing = object.opt(checker, "sharing", lang_map(TEXT));
    object.finish(checker);
    Some(CommunityAgreement {
        norms: norms?,
        decisions: decisions?,
        interaction: interaction?,
        confidentiality,
        sharing,
    })
}

/// A step of the design cycle, written as its number 1–7.
fn cycle_step(checker: &mut Checker, path: &str, value: &Value) -> Option<CycleStep> {
    let first = u64::from(CycleStep::Goals.number());
    let last = u64::from(CycleStep::Sharing.number());
    whole(first, last)(checker, path, value).and_then(CycleStep::from_number)
}

/// Any JSON number: a measured value.
fn number(checker: &mut Checker, path: &str, value: &Value) -> Option<Number> {
    match value {
        Value::Number(number) => Some(number.clone()),
        _ => {
            checker.fail(path, "must be a number");
            None
        }
    }
}

/// Realistic community bodies for the body and rule tests.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::{Value, json};

    use crate::RecordId;
    use crate::body::person::testing::teacher;

    /// A community of 5–6 grade mathematics teachers; `norms` varies the agreement.
    pub(crate) fn community(norms: &str) -> Value {
        json!({
            "name": {"ru": "ПОС учителей математики 5–6 классов"},
            "purpose": {"ru": "Научить пятиклассников решать задачи на дроби с пониманием, а не по образцу."},
            "scope": "network",
            "subjects": ["mathematics"],
            "grades": [5, 6],
            "problems": ["basic-skills-gaps"],
            "facilitator": teacher(1),
            "rhythm": {"ru": "Раз в две недели, вторник, 15:30, онлайн"},
            "agreement": {
                "norms": {"ru": norms},
                "decisions": {"ru": "Решения принимаем консенсусом; если его нет — большинством."},
                "interaction": {"ru": "Говорим о практике, а не о людях; даём обратную связь по критериям."},
                "confidentiality": {"ru": "Видео уроков не выходят за пределы сообщества."},
                "sharing": {"ru": "Итоги публикуем как практику в каталоге сети."}
            },
            "step": 2
        })
    }

    /// The signature of `version` of `community` by teacher `seed`.
    pub(crate) fn membership(
        community: RecordId,
        version: RecordId,
        seed: u8,
        status: &str,
    ) -> Value {
        json!({
            "community": community.to_string(),
            "agreement_version": version.to_string(),
            "by": teacher(seed),
            "status": status
        })
    }

    /// A goal entry of `community`, by teacher `seed` (no `by` when `None`).
    pub(crate) fn entry(community: RecordId, step: u8, seed: Option<u8>) -> Value {
        let mut body = json!({
            "community": community.to_string(),
            "step": step,
            "type": "goal",
            "text": {"ru": "К маю 70 % пятиклассников решают задачи на сравнение дробей."}
        });
        if let (Some(seed), Value::Object(map)) = (seed, &mut body) {
            map.insert("by".to_string(), teacher(seed));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::testing::{community, entry, membership};
    use super::*;
    use crate::Kind;
    use crate::body::Body;
    use crate::body::person::testing::teacher;
    use crate::body::testing::{check, id, message, with, without};

    const NORMS: &str = "Встречаемся по вторникам в 15:30, 60 минут, в кабинете 21 или онлайн.";

    fn meeting() -> Value {
        json!({
            "community": id(10),
            "step": 6,
            "type": "meeting",
            "text": {"ru": "Разобрали результаты диагностики: задачи на сравнение дробей решили 48 % учащихся."},
            "indicator": "Доля решивших задачи на сравнение дробей",
            "value": 48,
            "date": "2027-01-19",
            "owner": teacher(2),
            "practices": [id(11)],
            "attendees": [teacher(1), teacher(2), teacher(3)],
            "decisions": {"ru": "Добавить в каждый урок две минуты устного счёта с дробями."},
            "by": teacher(1)
        })
    }

    #[test]
    fn realistic_community_records_pass() {
        let Ok(body) = check(Kind::Community, &community(NORMS), &[]).0 else {
            panic!("refused");
        };
        assert!(body.title().is_some());
        assert!(body.references().is_empty());
        let Body::Community(parsed) = body else {
            panic!("not a community");
        };
        assert_eq!(parsed.step, Some(CycleStep::Method));
        assert_eq!(parsed.scope, CommunityScope::Network);
        let signature = membership(RecordId([10; 32]), RecordId([12; 32]), 2, "joined");
        let Ok(body) = check(Kind::CommunityMembership, &signature, &[]).0 else {
            panic!("refused");
        };
        assert_eq!(
            body.references(),
            vec![RecordId([10; 32]), RecordId([12; 32])]
        );
        let Ok(body) = check(Kind::CommunityEntry, &meeting(), &[]).0 else {
            panic!("refused");
        };
        assert_eq!(
            body.references(),
            vec![RecordId([10; 32]), RecordId([11; 32])]
        );
        let Body::CommunityEntry(parsed) = body else {
            panic!("not an entry");
        };
        assert_eq!(parsed.r#type, EntryType::Meeting);
        assert_eq!(parsed.attendees.len(), 3);
        assert_eq!(
            serde_json::to_value(&parsed)
                .ok()
                .and_then(|value| value.get("type").cloned()),
            Some(json!("meeting"))
        );
        check(
            Kind::CommunityEntry,
            &entry(RecordId([10; 32]), 1, None),
            &[],
        );
    }

    #[test]
    fn each_required_field() {
        let cases: Vec<(Kind, Value, &str)> = vec![
            (Kind::Community, community(NORMS), "name"),
            (Kind::Community, community(NORMS), "purpose"),
            (Kind::Community, community(NORMS), "scope"),
            (Kind::Community, community(NORMS), "agreement"),
            (Kind::Community, community(NORMS), "agreement/norms"),
            (Kind::Community, community(NORMS), "agreement/decisions"),
            (Kind::Community, community(NORMS), "agreement/interaction"),
            (
                Kind::CommunityMembership,
                membership(RecordId([1; 32]), RecordId([2; 32]), 1, "left"),
                "community",
            ),
            (
                Kind::CommunityMembership,
                membership(RecordId([1; 32]), RecordId([2; 32]), 1, "left"),
                "agreement_version",
            ),
            (
                Kind::CommunityMembership,
                membership(RecordId([1; 32]), RecordId([2; 32]), 1, "left"),
                "by",
            ),
            (
                Kind::CommunityMembership,
                membership(RecordId([1; 32]), RecordId([2; 32]), 1, "left"),
                "status",
            ),
            (Kind::CommunityEntry, meeting(), "community"),
            (Kind::CommunityEntry, meeting(), "step"),
            (Kind::CommunityEntry, meeting(), "type"),
            (Kind::CommunityEntry, meeting(), "text"),
        ];
        for (kind, body, pointer) in cases {
            let field = pointer.replace('/', ".");
            let result = check(kind, &without(&body, &format!("/{pointer}")), &[&field]);
            assert_eq!(message(&result, &field), "is required");
        }
    }

    #[test]
    fn faults() {
        let base = community(NORMS);
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/scope", json!("region")), &["scope"]),
            (with(&base, "/step", json!(0)), &["step"]),
            (with(&base, "/step", json!(8)), &["step"]),
            (with(&base, "/step", json!("goals")), &["step"]),
            (with(&base, "/grades", json!([12])), &["grades[0]"]),
            (
                with(&base, "/subjects", json!(["Математика"])),
                &["subjects[0]"],
            ),
            (
                with(&base, "/facilitator/role", json!("director")),
                &["facilitator.role"],
            ),
            (
                with(&base, "/agreement", json!("Соглашение")),
                &["agreement"],
            ),
            (
                with(&base, "/agreement/norms", json!({})),
                &["agreement.norms"],
            ),
            (
                with(&base, "/agreement/rules", json!({"ru": "…"})),
                &["agreement.rules"],
            ),
            (with(&base, "/name", json!({"ru": "ПО"})), &["name.ru"]),
            (with(&base, "/rhythm", json!("раз в неделю")), &["rhythm"]),
        ];
        for (body, expected) in cases {
            check(Kind::Community, &body, expected);
        }
        let signature = membership(RecordId([1; 32]), RecordId([2; 32]), 1, "joined");
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&signature, "/status", json!("signed")), &["status"]),
            (
                with(&signature, "/agreement_version", json!("v2")),
                &["agreement_version"],
            ),
            (with(&signature, "/community", json!(7)), &["community"]),
            (with(&signature, "/by/person", json!("x")), &["by.person"]),
        ];
        for (body, expected) in cases {
            check(Kind::CommunityMembership, &body, expected);
        }
        let base = meeting();
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/type", json!("minutes")), &["type"]),
            (with(&base, "/step", json!(9)), &["step"]),
            (with(&base, "/value", json!("48%")), &["value"]),
            (with(&base, "/date", json!("19.01.2027")), &["date"]),
            (with(&base, "/owner", json!("Петрова")), &["owner"]),
            (
                with(&base, "/practices", json!(["practice-1"])),
                &["practices[0]"],
            ),
            (
                with(&base, "/attendees/1/name", json!("")),
                &["attendees[1].name"],
            ),
            (with(&base, "/decisions", json!([])), &["decisions"]),
            (with(&base, "/by/role", json!("pupil")), &["by.role"]),
        ];
        for (body, expected) in cases {
            check(Kind::CommunityEntry, &body, expected);
        }
        let result = check(
            Kind::CommunityEntry,
            &with(&base, "/value", json!("48%")),
            &["value"],
        );
        assert_eq!(message(&result, "value"), "must be a number");
        let result = check(
            Kind::Community,
            &with(&community(NORMS), "/step", json!(8)),
            &["step"],
        );
        assert_eq!(message(&result, "step"), "must be at most 7");
    }
}
