//! `practice` — Педагогическая практика / Practice record. Its fields follow the PLC
//! design cycle: problem → method → plan (`steps`) → expected outcomes → monitoring →
//! evidence → adjustments → publication.
//!
//! The evidence rules live here: a level of E2 or more needs a before/after measure,
//! and E4 ("replicated in other schools") is never claimed by the author — it is
//! computed from `replication` feedback signed by other schools.

use serde::Serialize;
use serde_json::Value;

use super::codes::{EvidenceLevel, Settlement};
use super::lang::LangMap;
use super::person::{Person, read_person};
use super::read::{
    Checker, Object, SUMMARY, TEXT, TITLE, boolean, closed, code, count, date, file_hash, grade,
    join, lang_map, language_tags, license, machine_translated, media_type, plain_text, positive,
    quantity, record_id, short_text, url,
};
use super::values::{Date, Quantity};
use crate::RecordId;

/// Longest keyword, in characters.
pub const KEYWORD_MAX_CHARS: usize = 64;

/// What an author claiming E4 is told.
const E4_CLAIMED: &str = "E4 is computed from replication reports by other schools";

/// A teaching practice, described so that another school can repeat it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Practice {
    /// Title (3–160 characters per language).
    pub title: LangMap,
    /// Summary (up to 1,000 characters).
    pub summary: LangMap,
    /// The problem the practice solves.
    pub problem: LangMap,
    /// Problem codes (`problems` vocabulary).
    pub problems: Vec<String>,
    /// Subject codes; at least one.
    pub subjects: Vec<String>,
    /// Grades 0–11; at least one.
    pub grades: Vec<u8>,
    /// Education level codes.
    pub levels: Vec<String>,
    /// The method, described.
    pub method: LangMap,
    /// Method codes (`methods` vocabulary).
    pub methods: Vec<String>,
    /// The implementation plan, one map per step.
    pub steps: Vec<LangMap>,
    /// What results to expect.
    pub expected_outcomes: Option<LangMap>,
    /// Equipment, time and staffing needed.
    pub conditions: Option<LangMap>,
    /// The school context it was tried in.
    pub context: Option<Context>,
    /// Instruments and schedule of monitoring.
    pub monitoring: Option<LangMap>,
    /// Evidence of results; absent means description only (E0).
    pub evidence: Option<Evidence>,
    /// What was changed after analysis.
    pub adjustments: Option<LangMap>,
    /// Files, by hash or link; never inline.
    pub materials: Vec<Material>,
    /// Free keywords.
    pub keywords: Vec<String>,
    /// Languages of the practice (BCP 47); at least one.
    pub language: Vec<String>,
    /// Licence: an SPDX id such as `CC-BY-4.0`, or `all-rights-reserved`.
    pub license: String,
    /// Authors, named with their consent.
    pub authors: Vec<Author>,
    /// The doc id of the professional learning community it came from.
    pub community: Option<RecordId>,
    /// Practices this one builds on.
    pub based_on: Vec<RecordId>,
    /// Mentoring requests this practice answers.
    pub responds_to: Vec<RecordId>,
    /// The person who wrote it through the school's node; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

impl Practice {
    /// The effective evidence level: what the author claims, raised to E4 when at least
    /// one other school reported replicating the practice (E5, independent evaluation,
    /// stays above). Authors cannot claim E4 themselves; this is where it comes from.
    pub fn effective_level(&self, replicated_elsewhere: bool) -> EvidenceLevel {
        let claimed = self
            .evidence
            .as_ref()
            .map_or(EvidenceLevel::E0, |evidence| evidence.level);
        if replicated_elsewhere && claimed < EvidenceLevel::E4 {
            EvidenceLevel::E4
        } else {
            claimed
        }
    }
}

/// The school context a practice was tried in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Context {
    /// Urban or rural.
    pub settlement: Option<Settlement>,
    /// A small rural school.
    pub small_school: Option<bool>,
    /// Typical class size.
    pub class_size: Option<u32>,
}

/// Evidence of a practice's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The level the author claims, E0–E5 but never E4.
    pub level: EvidenceLevel,
    /// Measurements, aggregated over groups; never individual students.
    pub measures: Vec<Measure>,
    /// What the evidence does not show.
    pub limitations: Option<LangMap>,
}

/// One aggregated measurement, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    /// What was measured.
    pub name: LangMap,
    /// How (test, survey, diagnostic work).
    pub instrument: Option<String>,
    /// Group size. Shown through [`crate::body::display_count`].
    pub n: Option<u64>,
    /// Value before.
    pub baseline: Option<Quantity>,
    /// Value after.
    pub result: Option<Quantity>,
    /// When the result was measured.
    pub date: Option<Date>,
}

impl Measure {
    /// Whether this measure shows change: it has a baseline, a result and a group size.
    pub fn is_before_after(&self) -> bool {
        self.n.is_some() && self.baseline.is_some() && self.result.is_some()
    }
}

/// A file attached by reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Material {
    /// File name or short title.
    pub name: String,
    /// Media type, `application/pdf`.
    pub media_type: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// BLAKE3 hash in hex, or a 53-character id.
    pub hash: Option<String>,
    /// Where to download it, `https://` or `http://`.
    pub url: Option<String>,
}

/// An author of a practice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Author {
    /// Name, published with consent.
    pub name: String,
    /// Position (`учитель математики`).
    pub role: Option<String>,
}

/// Reads a `practice` body.
pub(super) fn read(checker: &mut Checker, value: &Value) -> Option<Practice> {
    let mut object = Object::read(checker, "", value)?;
    let title = object.req(checker, "title", lang_map(TITLE));
    let summary = object.req(checker, "summary", lang_map(SUMMARY));
    let problem = object.req(checker, "problem", lang_map(TEXT));
    let problems = object.list(checker, "problems", code);
    let subjects = object.req_list(checker, "subjects", code);
    let grades = object.req_list(checker, "grades", grade);
    let levels = object.list(checker, "levels", code);
    let method = object.req(checker, "method", lang_map(TEXT));
    let methods = object.list(checker, "methods", code);
    let steps = object.list(checker, "steps", lang_map(TEXT));
    let expected_outcomes = object.opt(checker, "expected_outcomes", lang_map(TEXT));
    let conditions = object.opt(checker, "conditions", lang_map(TEXT));
    let context = object.opt(checker, "context", read_context);
    let monitoring = object.opt(checker, "monitoring", lang_map(TEXT));
    let evidence = object.opt(checker, "evidence", read_evidence);
    let adjustments = object.opt(checker, "adjustments", lang_map(TEXT));
    let materials = object.list(checker, "materials", read_material);
    let keywords = object.list(checker, "keywords", plain_text(KEYWORD_MAX_CHARS));
    let language = object.req(checker, "language", language_tags);
    let license = object.req(checker, "license", license);
    let authors = object.list(checker, "authors", read_author);
    let community = object.opt(checker, "community", record_id);
    let based_on = object.list(checker, "based_on", record_id);
    let responds_to = object.list(checker, "responds_to", record_id);
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(Practice {
        title: title?,
        summary: summary?,
        problem: problem?,
        problems,
        subjects: subjects?,
        grades: grades?,
        levels,
        method: method?,
        methods,
        steps,
        expected_outcomes,
        conditions,
        context,
        monitoring,
        evidence,
        adjustments,
        materials,
        keywords,
        language: language?,
        license: license?,
        authors,
        community,
        based_on,
        responds_to,
        by,
        machine_translated,
    })
}

fn read_context(checker: &mut Checker, path: &str, value: &Value) -> Option<Context> {
    let mut object = Object::read(checker, path, value)?;
    let settlement = object.opt(checker, "settlement", closed::<Settlement>);
    let small_school = object.opt(checker, "small_school", boolean);
    let class_size = object.opt(checker, "class_size", positive);
    object.finish(checker);
    Some(Context {
        settlement,
        small_school,
        class_size,
    })
}

fn read_evidence(checker: &mut Checker, path: &str, value: &Value) -> Option<Evidence> {
    let mut object = Object::read(checker, path, value)?;
    let level = object.req(checker, "level", closed::<EvidenceLevel>);
    let faults_before = checker.fault_count();
    let measures = object.list(checker, "measures", read_measure);
    // A faulty measure is already reported; judging the rest would add a second,
    // misleading fault about the same data.
    let measures_readable = checker.fault_count() == faults_before;
    let limitations = object.opt(checker, "limitations", lang_map(TEXT));
    object.finish(checker);
    let level = level?;
    if level == EvidenceLevel::E4 {
        checker.fail(&join(path, "level"), E4_CLAIMED);
    }
    if level >= EvidenceLevel::E2
        && measures_readable
        && !measures.iter().any(Measure::is_before_after)
    {
        checker.fail(
            &join(path, "measures"),
            format!(
                "evidence level {} needs at least one measure with baseline, result and n",
                level.as_str()
            ),
        );
    }
    Some(Evidence {
        level,
        measures,
        limitations,
    })
}

/// Reads one measure; shared with replication reports.
pub(super) fn read_measure(checker: &mut Checker, path: &str, value: &Value) -> Option<Measure> {
    let mut object = Object::read(checker, path, value)?;
    let name = object.req(checker, "name", lang_map(TITLE));
    let instrument = object.opt(checker, "instrument", short_text);
    let n = object.opt(checker, "n", count);
    let baseline = object.opt(checker, "baseline", quantity);
    let result = object.opt(checker, "result", quantity);
    let date = object.opt(checker, "date", date);
    object.finish(checker);
    Some(Measure {
        name: name?,
        instrument,
        n,
        baseline,
        result,
        date,
    })
}

pub(super) fn read_material(checker: &mut Checker, path: &str, value: &Value) -> Option<Material> {
    let mut object = Object::read(checker, path, value)?;
    let name = object.req(checker, "name", short_text);
    let media_type = object.opt(checker, "media_type", media_type);
    let size = object.opt(checker, "size", count);
    let has_hash = object.has("hash");
    let hash = object.opt(checker, "hash", file_hash);
    let has_url = object.has("url");
    let url = object.opt(checker, "url", url);
    object.finish(checker);
    if !has_hash && !has_url {
        // A material nobody can fetch is only a name.
        checker.fail(path, "needs a hash or a url");
        return None;
    }
    Some(Material {
        name: name?,
        media_type,
        size,
        hash,
        url,
    })
}

fn read_author(checker: &mut Checker, path: &str, value: &Value) -> Option<Author> {
    let mut object = Object::read(checker, path, value)?;
    let name = object.req(checker, "name", short_text);
    let role = object.opt(checker, "role", short_text);
    object.finish(checker);
    Some(Author { name: name?, role })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Kind;
    use crate::body::Body;
    use crate::body::Mode;
    use crate::body::testing::{check, check_mode, cyrillic, id, message, with, without};
    use crate::limits::{LIST_MAX_ITEMS, SUMMARY_MAX_CHARS, TEXT_MAX_CHARS, TITLE_MAX_CHARS};

    fn valid() -> Value {
        json!({
            "title": {
                "ru": "Стратегии смыслового чтения на уроках биологии в 7 классе",
                "en": "Reading strategies in Year 7 biology"
            },
            "summary": {
                "ru": "Учащиеся работают с текстом учебника по приёмам «инсерт» и «кластер»; за полугодие доля справившихся с заданиями на смысловое чтение выросла с 41 до 63 %."
            },
            "problem": {
                "ru": "Семиклассники не могут выделить главное в тексте параграфа и пересказывают его дословно."
            },
            "problems": ["reading-literacy", "basic-skills-gaps"],
            "subjects": ["biology"],
            "grades": [7],
            "levels": ["basic"],
            "method": {
                "ru": "На каждом уроке один приём работы с текстом: до чтения — прогноз по заголовку, во время чтения — пометки «инсерт», после — кластер и вопросы «толстые и тонкие»."
            },
            "methods": ["reading-strategies", "critical-thinking"],
            "steps": [
                {"ru": "Сентябрь: входная диагностика по заданиям ВПР на работу с текстом."},
                {"ru": "Октябрь–декабрь: приёмы «инсерт» и «кластер» на каждом уроке."},
                {"ru": "Декабрь: итоговая диагностика и обсуждение результатов на заседании ПОС."}
            ],
            "expected_outcomes": {"ru": "Учащиеся самостоятельно составляют план параграфа и отвечают на вопросы к тексту."},
            "conditions": {"ru": "Распечатки текстов, 10 минут урока; дополнительного оборудования не нужно."},
            "context": {"settlement": "rural", "small_school": false, "class_size": 18},
            "monitoring": {"ru": "Диагностические работы в сентябре и декабре, листы самооценки после каждой темы."},
            "evidence": {
                "level": "E2",
                "measures": [{
                    "name": {"ru": "Доля учащихся, выполнивших задания на смысловое чтение"},
                    "instrument": "Диагностическая работа по образцу ВПР",
                    "n": 46,
                    "baseline": "41%",
                    "result": "63%",
                    "date": "2026-12-20"
                }],
                "limitations": {"ru": "Нет контрольной группы; два класса одного учителя."}
            },
            "adjustments": {"ru": "Сократили число приёмов до двух: четыре приёма сразу перегружали слабых читателей."},
            "materials": [{
                "name": "Памятка «Инсерт».pdf",
                "media_type": "application/pdf",
                "size": 184320,
                "hash": "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
            }, {
                "name": "Видеозапись открытого урока",
                "url": "https://school5-elabuga.edu.ru/media/open-lesson.mp4"
            }],
            "keywords": ["смысловое чтение", "инсерт", "кластер"],
            "language": ["ru"],
            "license": "CC-BY-4.0",
            "authors": [{"name": "Гайнутдинова Алсу Рашитовна", "role": "учитель биологии"}],
            "community": id(10),
            "based_on": [id(11)],
            "responds_to": [id(12)]
        })
    }

    fn minimal() -> Value {
        json!({
            "title": {"ru": "Утренний круг в начальной школе"},
            "summary": {"ru": "Пятиминутный утренний круг снижает тревожность первоклассников в период адаптации."},
            "problem": {"ru": "Трудности адаптации первоклассников."},
            "subjects": ["upbringing"],
            "grades": [1],
            "method": {"ru": "Ежедневный утренний круг с правилами и ритуалом приветствия."},
            "language": "ru",
            "license": "all-rights-reserved"
        })
    }

    #[test]
    fn a_realistic_practice_passes_and_reports_its_references() {
        let Ok(body) = check(Kind::Practice, &valid(), &[]).0 else {
            panic!("refused");
        };
        assert_eq!(body.kind(), Kind::Practice);
        let references: Vec<String> = body.references().iter().map(ToString::to_string).collect();
        assert_eq!(references, vec![id(10), id(11), id(12)]);
        let Body::Practice(practice) = body else {
            panic!("not a practice");
        };
        let evidence = practice.evidence.as_ref().map(|evidence| evidence.level);
        assert_eq!(evidence, Some(EvidenceLevel::E2));
        assert_eq!(practice.grades, vec![7]);
        assert_eq!(practice.steps.len(), 3);
    }

    #[test]
    fn a_minimal_practice_passes_with_a_single_language_string() {
        let Ok(Body::Practice(practice)) = check(Kind::Practice, &minimal(), &[]).0 else {
            panic!("refused");
        };
        assert_eq!(practice.language, vec!["ru".to_string()]);
        assert!(practice.evidence.is_none());
        assert!(practice.materials.is_empty());
    }

    #[test]
    fn each_required_field() {
        for field in [
            "title", "summary", "problem", "subjects", "grades", "method", "language", "license",
        ] {
            let result = check(
                Kind::Practice,
                &without(&valid(), &format!("/{field}")),
                &[field],
            );
            assert_eq!(message(&result, field), "is required");
        }
    }

    #[test]
    fn bounds() {
        let base = valid();
        let long_title = cyrillic(TITLE_MAX_CHARS + 1);
        let too_many: Vec<String> = (0..=LIST_MAX_ITEMS)
            .map(|index| format!("слово {index}"))
            .collect();
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/title", json!({"ru": "Ой"})), &["title.ru"]),
            (
                with(&base, "/title", json!({"ru": "   Ой   "})),
                &["title.ru"],
            ),
            (
                with(&base, "/title", json!({"ru": long_title})),
                &["title.ru"],
            ),
            (
                with(&base, "/title", json!({"ru": cyrillic(TITLE_MAX_CHARS)})),
                &[],
            ),
            (
                with(
                    &base,
                    "/summary",
                    json!({"ru": cyrillic(SUMMARY_MAX_CHARS + 1)}),
                ),
                &["summary.ru"],
            ),
            (
                with(
                    &base,
                    "/summary",
                    json!({"ru": cyrillic(SUMMARY_MAX_CHARS)}),
                ),
                &[],
            ),
            (
                with(
                    &base,
                    "/method",
                    json!({"ru": cyrillic(TEXT_MAX_CHARS + 1)}),
                ),
                &["method.ru"],
            ),
            (
                with(
                    &base,
                    "/steps/1",
                    json!({"ru": cyrillic(TEXT_MAX_CHARS + 1)}),
                ),
                &["steps[1].ru"],
            ),
            (with(&base, "/keywords", json!(too_many)), &["keywords"]),
            (
                with(
                    &base,
                    "/keywords",
                    json!(["ок", cyrillic(KEYWORD_MAX_CHARS + 1)]),
                ),
                &["keywords[1]"],
            ),
            (with(&base, "/subjects", json!([])), &["subjects"]),
            (with(&base, "/grades", json!([])), &["grades"]),
            (with(&base, "/language", json!([])), &["language"]),
            (with(&base, "/grades", json!([0, 11])), &[]),
            (with(&base, "/grades", json!([7, 12])), &["grades[1]"]),
            (with(&base, "/grades", json!([-1])), &["grades[0]"]),
            (with(&base, "/grades", json!([7.5])), &["grades[0]"]),
            (with(&base, "/grades", json!(["7"])), &["grades[0]"]),
            (
                with(&base, "/context/class_size", json!(0)),
                &["context.class_size"],
            ),
            (
                with(&base, "/subjects", json!(["a".repeat(65)])),
                &["subjects[0]"],
            ),
        ];
        for (body, expected) in cases {
            check(Kind::Practice, &body, expected);
        }
        let result = check(
            Kind::Practice,
            &with(&base, "/title", json!({"ru": "Ой"})),
            &["title.ru"],
        );
        assert_eq!(message(&result, "title.ru"), "must be 3 to 160 characters");
        let result = check(
            Kind::Practice,
            &with(&base, "/grades", json!([12])),
            &["grades[0]"],
        );
        assert_eq!(message(&result, "grades[0]"), "must be at most 11");
    }

    #[test]
    fn language_maps() {
        let base = valid();
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/title", json!({})), &["title"]),
            (
                with(&base, "/title", json!({"ru": "", "en": " "})),
                &["title"],
            ),
            (
                with(&base, "/title", json!({"ru": "Смысловое чтение", "en": ""})),
                &[],
            ),
            (
                with(&base, "/title", json!({"Russian": "Смысловое чтение"})),
                &["title.Russian"],
            ),
            (with(&base, "/title", json!({"ru": 42})), &["title.ru"]),
            (
                with(&base, "/title", json!(["Смысловое чтение"])),
                &["title"],
            ),
            (
                with(&base, "/title", json!({"tt-Cyrl": "Мәгънәле уку"})),
                &[],
            ),
        ];
        for (body, expected) in cases {
            check(Kind::Practice, &body, expected);
        }
    }

    #[test]
    fn codes_licences_and_materials() {
        let base = valid();
        let cases: Vec<(Value, &[&str])> = vec![
            // An unknown but well-formed code is a newer vocabulary term: accepted.
            (
                with(
                    &base,
                    "/methods",
                    json!(["reading-strategies", "jigsaw-reading"]),
                ),
                &[],
            ),
            (
                with(&base, "/methods", json!(["Reading_Strategies"])),
                &["methods[0]"],
            ),
            (
                with(&base, "/problems", json!(["смысловое-чтение"])),
                &["problems[0]"],
            ),
            (with(&base, "/license", json!("MIT")), &[]),
            (with(&base, "/license", json!("CC BY 4.0")), &["license"]),
            (with(&base, "/license", json!("")), &["license"]),
            (
                with(&base, "/language", json!(["ru", "russian"])),
                &["language[1]"],
            ),
            (
                with(&base, "/context/settlement", json!("suburban")),
                &["context.settlement"],
            ),
            (
                with(&base, "/materials/0/hash", json!("abc")),
                &["materials[0].hash"],
            ),
            (with(&base, "/materials/0/hash", json!(id(3))), &[]),
            (
                with(&base, "/materials/0/media_type", json!("pdf")),
                &["materials[0].media_type"],
            ),
            (
                with(
                    &base,
                    "/materials/1/url",
                    json!("javascript:alert(document.cookie)"),
                ),
                &["materials[1].url"],
            ),
            (
                with(
                    &base,
                    "/materials/1/url",
                    json!("data:text/html;base64,PHNjcmlwdD4="),
                ),
                &["materials[1].url"],
            ),
            (
                with(&base, "/materials/1", json!({"name": "Без ссылки"})),
                &["materials[1]"],
            ),
            (
                with(&base, "/authors/0", json!({"role": "учитель"})),
                &["authors[0].name"],
            ),
        ];
        for (body, expected) in cases {
            check(Kind::Practice, &body, expected);
        }
    }

    #[test]
    fn record_ids() {
        let base = valid();
        check(
            Kind::Practice,
            &with(&base, "/community", json!("b123")),
            &["community"],
        );
        check(
            Kind::Practice,
            &with(&base, "/based_on", json!([id(1), "not-an-id"])),
            &["based_on[1]"],
        );
        let uppercase = id(1).to_uppercase();
        let result = check(
            Kind::Practice,
            &with(&base, "/responds_to", json!([uppercase])),
            &["responds_to[0]"],
        );
        assert!(message(&result, "responds_to[0]").starts_with("is not a record id"));
    }

    #[test]
    fn evidence_rules() {
        let base = valid();
        let no_measures = with(&base, "/evidence/measures", json!([]));
        let result = check(Kind::Practice, &no_measures, &["evidence.measures"]);
        assert_eq!(
            message(&result, "evidence.measures"),
            "evidence level E2 needs at least one measure with baseline, result and n"
        );
        check(
            Kind::Practice,
            &without(&base, "/evidence/measures"),
            &["evidence.measures"],
        );
        check(
            Kind::Practice,
            &without(&base, "/evidence/measures/0/n"),
            &["evidence.measures"],
        );
        check(
            Kind::Practice,
            &without(&base, "/evidence/measures/0/baseline"),
            &["evidence.measures"],
        );
        check(
            Kind::Practice,
            &with(&no_measures, "/evidence/level", json!("E1")),
            &[],
        );
        check(
            Kind::Practice,
            &with(&base, "/evidence/level", json!("E3")),
            &[],
        );
        check(
            Kind::Practice,
            &with(&base, "/evidence/level", json!("E5")),
            &[],
        );

        let result = check(
            Kind::Practice,
            &with(&base, "/evidence/level", json!("E4")),
            &["evidence.level"],
        );
        assert_eq!(message(&result, "evidence.level"), E4_CLAIMED);
        // Another node's record claiming E4 is just as wrong.
        check_mode(
            Kind::Practice,
            Mode::Received,
            &with(&base, "/evidence/level", json!("E4")),
            &["evidence.level"],
        );

        check(
            Kind::Practice,
            &with(&base, "/evidence/level", json!("E6")),
            &["evidence.level"],
        );
        check(
            Kind::Practice,
            &with(&base, "/evidence/level", json!("e2")),
            &["evidence.level"],
        );
        check(
            Kind::Practice,
            &without(&base, "/evidence/level"),
            &["evidence.level"],
        );
        check(
            Kind::Practice,
            &with(&base, "/evidence/measures/0/n", json!(-3)),
            &["evidence.measures[0].n"],
        );
        check(
            Kind::Practice,
            &with(&base, "/evidence/measures/0/n", json!(7)),
            &[],
        );
        check(
            Kind::Practice,
            &with(&base, "/evidence/measures/0/baseline", json!(0.41)),
            &[],
        );
        check(
            Kind::Practice,
            &with(&base, "/evidence/measures/0/result", json!(true)),
            &["evidence.measures[0].result"],
        );
        check(
            Kind::Practice,
            &with(&base, "/evidence/measures/0/date", json!("2026-13-20")),
            &["evidence.measures[0].date"],
        );
    }

    #[test]
    fn unknown_fields_locally_and_received() {
        let body = with(
            &with(&valid(), "/duration_weeks", json!(12)),
            "/evidence/measures/0/effect_size",
            json!(0.4),
        );
        check(
            Kind::Practice,
            &body,
            &["duration_weeks", "evidence.measures[0].effect_size"],
        );
        check_mode(Kind::Practice, Mode::Received, &body, &[]);
    }

    #[test]
    fn several_faults_are_reported_together() {
        let body = json!({
            "title": {"ru": "Ой"},
            "summary": "Строка вместо словаря",
            "subjects": ["Biology"],
            "grades": [5, 14],
            "method": {"ru": "Метод"},
            "evidence": {"level": "E4"},
            "materials": [{"name": "Файл", "url": "javascript:void(0)"}],
            "language": ["ru"],
            "license": "CC-BY-4.0",
            "based_on": ["b"]
        });
        let result = check(
            Kind::Practice,
            &body,
            &[
                "title.ru",
                "summary",
                "problem",
                "subjects[0]",
                "grades[1]",
                "evidence.level",
                "evidence.measures",
                "materials[0].url",
                "based_on[0]",
            ],
        );
        assert_eq!(message(&result, "problem"), "is required");
    }

    #[test]
    fn e4_is_computed_never_lowered() {
        let body = |level: &str| -> Practice {
            let mut json = serde_json::json!({
                "title": {"ru": "Утренний круг"},
                "summary": {"ru": "Кратко"},
                "problem": {"ru": "Проблема"},
                "subjects": ["russian"],
                "grades": [5],
                "method": {"ru": "Метод"},
                "language": ["ru"],
                "license": "CC-BY-4.0"
            });
            if !level.is_empty() {
                json["evidence"] = serde_json::json!({"level": level, "measures": [
                    {"name": {"ru": "Доля"}, "n": 30, "baseline": 1, "result": 2}
                ]});
            }
            match super::super::validate(
                crate::Kind::Practice,
                json.to_string().as_bytes(),
                super::super::Mode::Local,
            ) {
                Ok(super::super::Body::Practice(practice)) => practice,
                other => panic!("{other:?}"),
            }
        };
        let cases = [
            ("", false, EvidenceLevel::E0),
            ("", true, EvidenceLevel::E4),
            ("E2", false, EvidenceLevel::E2),
            ("E3", true, EvidenceLevel::E4),
            ("E5", true, EvidenceLevel::E5),
        ];
        for (claimed, replicated, expected) in cases {
            assert_eq!(
                body(claimed).effective_level(replicated),
                expected,
                "{claimed:?} {replicated}"
            );
        }
    }
}
