//! Generated corpora: school logs of signed records whose practice bodies read like
//! real ones — Russian and English text built from the vocabularies' labels and a
//! teacher's phrasebook, with vocabulary codes, grades and keywords.
//!
//! Everything is deterministic: an author's log depends only on the corpus label and
//! the author's index, whatever the thread count. Signing is the slow part (≈ 50 µs a
//! record plus body validation), so logs are signed on every core at once.

use std::fmt::Write as _;

use ensemble_core::vocab::{self, Term};
use ensemble_core::{Draft, Kind, LogPosition, RecordId, SchoolKey, VerifiedRecord, sign};

/// How far back the generated logs start, so that every record is dated in the past.
const HISTORY_MS: u64 = 30 * 24 * 60 * 60 * 1000;
/// Time between two records of one author.
const RECORD_SPACING_MS: u64 = 60_000;
/// Share of practices that are a new version of one of the author's earlier practices.
const NEW_VERSION_SHARE: f64 = 0.1;

/// A small deterministic generator (SplitMix64): enough for picking words, with no
/// dependency and the same sequence on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from a label and an index.
    pub fn new(label: &str, index: u64) -> Rng {
        let mut hasher = blake3::Hasher::new();
        hasher.update(label.as_bytes());
        hasher.update(&index.to_be_bytes());
        let bytes = hasher.finalize();
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&bytes.as_bytes()[..8]);
        Rng(u64::from_le_bytes(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    /// True with probability `share`.
    pub fn chance(&mut self, share: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= share
    }

    /// One item of a non-empty list; items near the front are picked more often
    /// (roughly Zipf-like), as real catalogs favour a few subjects and methods.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let first = self.below(items.len());
        let second = self.below(items.len());
        &items[first.min(second)]
    }
}

/// The key of generated author `index` of corpus `label`.
pub fn author_key(label: &str, index: usize) -> SchoolKey {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"ensemble-bench author ");
    hasher.update(label.as_bytes());
    hasher.update(&(index as u64).to_be_bytes());
    SchoolKey::from_seed(*hasher.finalize().as_bytes())
}

/// Signs `total` records spread over `authors` logs (seq 1 is the school's profile,
/// the rest are practices, some of them new versions of earlier ones), in author-major
/// order: every author's log contiguous and in seq order, as a sync page would carry it.
pub fn signed_logs(
    label: &str,
    authors: usize,
    total: usize,
    network: &str,
) -> anyhow::Result<Vec<VerifiedRecord>> {
    let authors = authors.clamp(1, total.max(1));
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(authors);
    let now = ensemble_core::now_ms();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    // Author `a` goes to thread `a * threads / authors`: contiguous runs,
                    // so concatenating the threads' output keeps author order.
                    for author in (0..authors).filter(|a| a * threads / authors == thread) {
                        let length = total / authors + usize::from(author < total % authors);
                        out.extend(author_log(label, author, length, network, now)?);
                    }
                    Ok::<_, anyhow::Error>(out)
                })
            })
            .collect();
        let mut records = Vec::with_capacity(total);
        for worker in workers {
            let log = worker
                .join()
                .map_err(|_| anyhow::anyhow!("a signing thread panicked"))??;
            records.extend(log);
        }
        Ok(records)
    })
}

/// One author's log of `length` records.
fn author_log(
    label: &str,
    author: usize,
    length: usize,
    network: &str,
    now: u64,
) -> anyhow::Result<Vec<VerifiedRecord>> {
    let key = author_key(label, author);
    let mut rng = Rng::new(label, author as u64);
    let start = now.saturating_sub(HISTORY_MS) + author as u64;
    let mut log: Vec<VerifiedRecord> = Vec::with_capacity(length);
    let mut practices: Vec<RecordId> = Vec::new();
    for index in 0..length {
        let seq = index as u64 + 1;
        let (kind, doc, body) = if index == 0 {
            (Kind::SchoolProfile, None, school_profile(author, &mut rng))
        } else {
            let doc = (!practices.is_empty() && rng.chance(NEW_VERSION_SHARE))
                .then(|| *rng.pick(&practices));
            (Kind::Practice, doc, practice_body(&mut rng))
        };
        let draft = Draft {
            network: network.to_string(),
            kind,
            doc,
            body,
        };
        let position = LogPosition {
            seq,
            backlink: log.last().map(VerifiedRecord::id),
        };
        let created_at = start + seq * RECORD_SPACING_MS;
        let record = sign(&key, draft, position, created_at).map_err(|error| {
            anyhow::anyhow!("generated {kind} of author {author} seq {seq}: {error}")
        })?;
        if kind == Kind::Practice && doc.is_none() {
            practices.push(record.id());
        }
        log.push(record);
    }
    Ok(log)
}

/// Total wire size of records.
pub fn wire_bytes(records: &[VerifiedRecord]) -> u64 {
    records
        .iter()
        .map(|record| record.to_wire().len() as u64)
        .sum()
}

fn school_profile(author: usize, rng: &mut Rng) -> Vec<u8> {
    let town = rng.pick(TOWNS);
    serde_json::json!({
        "name": {
            "ru": format!("Школа №{} ({})", author + 1, town.0),
            "en": format!("School No. {} ({})", author + 1, town.1),
        },
        "region": "ru-tat",
        "roles": [if rng.chance(0.2) { "mentor" } else { "school" }],
    })
    .to_string()
    .into_bytes()
}

/// Which languages a practice is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Languages {
    Russian,
    English,
    Both,
}

/// A valid practice body: title, summary, problem and method in Russian, English or
/// both; subjects, grades, levels, problem and method codes; keywords; sometimes steps,
/// expected outcomes and a first level of evidence. Between about 0.7 and 3 KB.
pub fn practice_body(rng: &mut Rng) -> Vec<u8> {
    let languages = match rng.below(10) {
        0..=6 => Languages::Russian,
        7 => Languages::English,
        _ => Languages::Both,
    };
    let subject = rng.pick(SUBJECTS);
    let method = rng.pick(vocab::METHODS);
    let problem = rng.pick(vocab::PROBLEMS);
    let grade = rng.between(1, 11);
    let level = match grade {
        1..=4 => "primary",
        5..=9 => "basic",
        _ => "secondary",
    };
    let mut body = serde_json::Map::new();
    let text = |rng: &mut Rng, ru: &dyn Fn(&mut Rng) -> String, en: &dyn Fn(&mut Rng) -> String| {
        let mut map = serde_json::Map::new();
        if languages != Languages::English {
            map.insert("ru".into(), ru(rng).into());
        }
        if languages != Languages::Russian {
            map.insert("en".into(), en(rng).into());
        }
        serde_json::Value::Object(map)
    };
    body.insert(
        "title".into(),
        text(rng, &|rng| title_ru(rng, method, subject, grade), &|rng| {
            title_en(rng, method, subject, grade)
        }),
    );
    body.insert(
        "summary".into(),
        text(
            rng,
            &|rng| paragraph(rng, RU_SUMMARY, 2, 4, SUMMARY_CHARS),
            &|rng| paragraph(rng, EN_SUMMARY, 2, 4, SUMMARY_CHARS),
        ),
    );
    body.insert(
        "problem".into(),
        text(
            rng,
            &|rng| {
                format!(
                    "{}. {}",
                    problem.ru,
                    paragraph(rng, RU_PROBLEM, 1, 3, TEXT_CHARS)
                )
            },
            &|rng| {
                format!(
                    "{}. {}",
                    problem.en,
                    paragraph(rng, EN_PROBLEM, 1, 3, TEXT_CHARS)
                )
            },
        ),
    );
    body.insert("problems".into(), serde_json::json!([problem.code]));
    let mut subjects = vec![subject.code];
    if rng.chance(0.2) {
        let other = rng.pick(SUBJECTS).code;
        if other != subject.code {
            subjects.push(other);
        }
    }
    body.insert("subjects".into(), serde_json::json!(subjects));
    let mut grades = vec![grade];
    if grade < 11 && rng.chance(0.4) {
        grades.push(grade + 1);
    }
    body.insert("grades".into(), serde_json::json!(grades));
    body.insert("levels".into(), serde_json::json!([level]));
    body.insert(
        "method".into(),
        text(
            rng,
            &|rng| {
                format!(
                    "{}. {}",
                    method.ru,
                    paragraph(rng, RU_METHOD, 3, 6, TEXT_CHARS)
                )
            },
            &|rng| {
                format!(
                    "{}. {}",
                    method.en,
                    paragraph(rng, EN_METHOD, 3, 6, TEXT_CHARS)
                )
            },
        ),
    );
    body.insert("methods".into(), serde_json::json!([method.code]));
    if rng.chance(0.5) {
        let steps: Vec<serde_json::Value> = (0..rng.between(2, 5))
            .map(|_| {
                text(rng, &|rng| rng.pick(RU_METHOD).to_string(), &|rng| {
                    rng.pick(EN_METHOD).to_string()
                })
            })
            .collect();
        body.insert("steps".into(), steps.into());
    }
    if rng.chance(0.4) {
        body.insert(
            "expected_outcomes".into(),
            text(
                rng,
                &|rng| paragraph(rng, RU_RESULTS, 1, 2, TEXT_CHARS),
                &|rng| paragraph(rng, EN_RESULTS, 1, 2, TEXT_CHARS),
            ),
        );
        body.insert("evidence".into(), serde_json::json!({"level": "E1"}));
    }
    let keywords: Vec<&str> = (0..rng.between(2, 5))
        .map(|_| match languages {
            Languages::English => *rng.pick(EN_KEYWORDS),
            _ => *rng.pick(RU_KEYWORDS),
        })
        .collect();
    body.insert("keywords".into(), serde_json::json!(keywords));
    let language = match languages {
        Languages::Russian => serde_json::json!(["ru"]),
        Languages::English => serde_json::json!(["en"]),
        Languages::Both => serde_json::json!(["ru", "en"]),
    };
    body.insert("language".into(), language);
    body.insert("license".into(), vocab::DEFAULT_LICENSE.into());
    serde_json::Value::Object(body).to_string().into_bytes()
}

/// Longest generated summary, in characters (the schema allows 1,000).
const SUMMARY_CHARS: usize = 900;
/// Longest generated free text, in characters (the schema allows 4,000).
const TEXT_CHARS: usize = 1_500;

fn title_ru(rng: &mut Rng, method: &Term, subject: &Subject, grade: usize) -> String {
    match rng.below(3) {
        0 => format!(
            "{} на уроках {} в {grade} классе",
            method.ru, subject.ru_genitive
        ),
        1 => format!("{}: {}, {grade} класс", method.ru, subject.ru),
        _ => format!(
            "{} — {}",
            capitalized(rng.pick::<&str>(RU_KEYWORDS)),
            subject.ru
        ),
    }
}

fn title_en(rng: &mut Rng, method: &Term, subject: &Subject, grade: usize) -> String {
    match rng.below(2) {
        0 => format!("{} in Year {grade} {}", method.en, subject.en),
        _ => format!(
            "{}: {}",
            capitalized(rng.pick::<&str>(EN_KEYWORDS)),
            subject.en
        ),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `low..=high` sentences from `phrases`, with numbers filled in, at most `max_chars`.
fn paragraph(rng: &mut Rng, phrases: &[&str], low: usize, high: usize, max_chars: usize) -> String {
    let mut out = String::new();
    for _ in 0..rng.between(low, high) {
        let template = rng.pick(phrases);
        let before = rng.between(20, 60);
        let after = (before + rng.between(5, 30)).min(98);
        let sentence = template
            .replace("{a}", &before.to_string())
            .replace("{b}", &after.to_string());
        if out.chars().count() + sentence.chars().count() + 1 > max_chars {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{sentence}");
    }
    out
}

/// A subject code with the labels a title needs.
#[derive(Debug)]
struct Subject {
    code: &'static str,
    ru: &'static str,
    ru_genitive: &'static str,
    en: &'static str,
}

const fn subject(
    code: &'static str,
    ru: &'static str,
    ru_genitive: &'static str,
    en: &'static str,
) -> Subject {
    Subject {
        code,
        ru,
        ru_genitive,
        en,
    }
}

/// Subjects in rough order of how often schools write about them.
static SUBJECTS: &[Subject] = &[
    subject("russian", "Русский язык", "русского языка", "Russian"),
    subject("mathematics", "Математика", "математики", "mathematics"),
    subject("literature", "Литература", "литературы", "literature"),
    subject(
        "world-around",
        "Окружающий мир",
        "окружающего мира",
        "science",
    ),
    subject(
        "foreign-language",
        "Иностранный язык",
        "английского языка",
        "English",
    ),
    subject("history", "История", "истории", "history"),
    subject("biology", "Биология", "биологии", "biology"),
    subject("physics", "Физика", "физики", "physics"),
    subject("chemistry", "Химия", "химии", "chemistry"),
    subject("geography", "География", "географии", "geography"),
    subject(
        "informatics",
        "Информатика",
        "информатики",
        "computer science",
    ),
    subject(
        "social-studies",
        "Обществознание",
        "обществознания",
        "social studies",
    ),
    subject("algebra", "Алгебра", "алгебры", "algebra"),
    subject("geometry", "Геометрия", "геометрии", "geometry"),
    subject(
        "native-language",
        "Родной язык",
        "родного языка",
        "native language",
    ),
    subject("technology", "Труд (технология)", "труда", "technology"),
    subject("art", "Изобразительное искусство", "ИЗО", "art"),
    subject("music", "Музыка", "музыки", "music"),
    subject(
        "physical-education",
        "Физическая культура",
        "физкультуры",
        "PE",
    ),
];

static TOWNS: &[(&str, &str)] = &[
    ("Казань", "Kazan"),
    ("Набережные Челны", "Naberezhnye Chelny"),
    ("Альметьевск", "Almetyevsk"),
    ("Зеленодольск", "Zelenodolsk"),
    ("Елабуга", "Yelabuga"),
    ("Бугульма", "Bugulma"),
    ("Чистополь", "Chistopol"),
    ("село Высокая Гора", "Vysokaya Gora village"),
    ("село Пестрецы", "Pestretsy village"),
    ("Арск", "Arsk"),
];

static RU_SUMMARY: &[&str] = &[
    "Учащиеся работают с текстом учебника по приёмам «инсерт» и «кластер».",
    "За полугодие доля справившихся с заданиями на смысловое чтение выросла с {a} до {b} %.",
    "Каждый урок начинается с короткой диагностической работы и заканчивается листом самооценки.",
    "Практика опробована в малокомплектной сельской школе и в городской гимназии.",
    "Учитель ведёт карту продвижения класса и меняет задания по её результатам.",
    "Ученики работают в группах по четыре человека с распределёнными ролями.",
    "Домашнее задание заменено короткими видеофрагментами и вопросами к ним.",
    "Средний балл за контрольную работу повысился с {a} до {b} баллов из ста.",
    "Родители получают еженедельную обратную связь о продвижении ребёнка.",
    "Методическое объединение проводит открытые уроки и совместный анализ.",
    "Для слабо успевающих учащихся организованы консультации с тьютором.",
    "Материалы урока доступны в электронном журнале в течение всей четверти.",
    "Читательские дневники заполняются после каждого параграфа.",
    "Проектные работы защищаются на школьной научно-практической конференции.",
];

static EN_SUMMARY: &[&str] = &[
    "Students read the textbook with the insert and cluster techniques.",
    "Over one term the share of students passing reading tasks rose from {a} to {b} per cent.",
    "Every lesson opens with a short diagnostic quiz and ends with a self-assessment sheet.",
    "The practice was tried in a small rural school and in a city gymnasium.",
    "The teacher keeps a progress map of the class and adapts tasks to it.",
    "Pupils work in groups of four with assigned roles.",
    "Homework was replaced by short video clips with guiding questions.",
    "The average test score rose from {a} to {b} out of one hundred.",
    "Parents receive weekly feedback on their child's progress.",
    "The subject team runs open lessons followed by a joint lesson study.",
    "Struggling students meet a tutor twice a week.",
    "Lesson materials stay available in the online gradebook for the whole term.",
];

static RU_PROBLEM: &[&str] = &[
    "Учащиеся не понимают прочитанный текст и пересказывают его дословно.",
    "Только {a} % учащихся справляются с заданиями на функциональную грамотность.",
    "Ученики не умеют выделить главное в параграфе.",
    "На уроках низкая активность, большинство учеников отвечает только по вызову.",
    "Результаты ВПР ниже средних по району на {a} %.",
    "Много пропусков уроков и невыполненных домашних заданий.",
    "Учителя не получают обратной связи о том, что ученики усвоили на уроке.",
];

static EN_PROBLEM: &[&str] = &[
    "Students do not understand what they read and retell it word for word.",
    "Only {a} per cent of students solve functional literacy tasks.",
    "Pupils cannot find the main idea of a section.",
    "Lessons are passive; most pupils answer only when called on.",
    "National test results are {a} per cent below the district average.",
    "Many missed lessons and unfinished homework assignments.",
];

static RU_METHOD: &[&str] = &[
    "Перед чтением ученики формулируют вопросы к заголовку.",
    "Во время чтения текст размечается значками «v», «+», «-», «?».",
    "После чтения группы составляют кластер и защищают его.",
    "Учитель даёт критерии оценивания до начала работы.",
    "Ученики оценивают работы друг друга по чек-листу.",
    "Задания разделены на три уровня сложности, ученик выбирает сам.",
    "В конце урока каждый пишет «билет на выход» с одним вопросом.",
    "Раз в неделю проводится короткая самостоятельная работа без отметки.",
    "Трудные темы разбираются в парах сменного состава.",
    "Учитель фиксирует типичные ошибки и возвращается к ним на следующем уроке.",
    "Используются карточки с опорными схемами и алгоритмами решения.",
    "Проект длится четыре недели и завершается публичной защитой.",
];

static EN_METHOD: &[&str] = &[
    "Before reading, students write questions about the title.",
    "While reading, they mark the text with tick, plus, minus and question marks.",
    "After reading, groups draw a cluster and present it.",
    "The teacher shares the assessment criteria before the task starts.",
    "Students assess each other's work with a checklist.",
    "Tasks come in three levels of difficulty and students choose their own.",
    "Each lesson ends with an exit ticket holding one question.",
    "A short ungraded quiz is held once a week.",
    "Difficult topics are worked through in rotating pairs.",
    "The teacher notes typical mistakes and returns to them next lesson.",
];

static RU_RESULTS: &[&str] = &[
    "Доля учащихся, выполняющих задания базового уровня, вырастет с {a} до {b} %.",
    "Снизится число неудовлетворительных отметок за четверть.",
    "Ученики научатся самостоятельно формулировать вопросы к тексту.",
    "Повысится учебная мотивация по данным анкетирования.",
];

static EN_RESULTS: &[&str] = &[
    "The share of students completing basic tasks will rise from {a} to {b} per cent.",
    "Fewer failing term grades.",
    "Students will learn to ask their own questions about a text.",
    "Motivation to learn will rise according to the survey.",
];

static RU_KEYWORDS: &[&str] = &[
    "смысловое чтение",
    "функциональная грамотность",
    "формирующее оценивание",
    "самооценка",
    "работа в группах",
    "проектная деятельность",
    "сельская школа",
    "обратная связь",
    "мотивация",
    "ВПР",
    "критическое мышление",
    "дифференциация",
    "наставничество",
    "цифровые инструменты",
    "читательская грамотность",
];

static EN_KEYWORDS: &[&str] = &[
    "reading literacy",
    "formative assessment",
    "self-assessment",
    "group work",
    "project work",
    "rural school",
    "feedback",
    "motivation",
    "critical thinking",
    "differentiation",
    "mentoring",
    "digital tools",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_contiguous_signed_and_the_same_whatever_the_threads() {
        let records = signed_logs("unit", 3, 20, "bench-net").expect("signs");
        assert_eq!(records.len(), 20);
        let mut expected_seq = std::collections::HashMap::new();
        for record in &records {
            let seq = expected_seq.entry(record.author()).or_insert(0u64);
            *seq += 1;
            assert_eq!(record.seq(), *seq, "author-major, seq order");
            let wire = record.to_wire();
            let decoded = ensemble_core::SignedRecord::from_wire(&wire).expect("decodes");
            decoded
                .verify(ensemble_core::now_ms())
                .expect("verifies as a receiver would");
        }
        assert_eq!(expected_seq.len(), 3);
        let again = signed_logs("unit", 3, 20, "bench-net").expect("signs");
        let ids = |records: &[VerifiedRecord]| {
            records
                .iter()
                .map(|record| record.header().payload_hash)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&records), ids(&again), "bodies are deterministic");
    }

    #[test]
    fn practice_bodies_are_realistic_in_size_and_language() {
        let mut rng = Rng::new("sizes", 0);
        let bodies: Vec<Vec<u8>> = (0..300).map(|_| practice_body(&mut rng)).collect();
        let mean = bodies.iter().map(Vec::len).sum::<usize>() / bodies.len();
        assert!((600..3_000).contains(&mean), "mean body {mean} bytes");
        let text: String = bodies
            .iter()
            .map(|body| String::from_utf8_lossy(body).into_owned())
            .collect();
        assert!(
            text.contains("\"ru\"") && text.contains("\"en\""),
            "both languages"
        );
    }
}
