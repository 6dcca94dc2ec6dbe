//! Valid inputs for every fuzz target, built from the real encoders: a signed record of
//! every kind (and a later version, and a purged one), a small bundle, sync requests and
//! responses, every file in `node-config/`, filled web forms.
//!
//! They start the fuzzer off inside each format instead of at random bytes; the
//! committed corpus under `tests/fuzz/corpus/` began as these seeds, minimised with
//! `cargo fuzz cmin` (see `tests/fuzz/README.md`). The `it` test checks that every seed
//! is what it claims (records verify, bodies validate, forms have no faults).

use std::path::Path;

use ensemble_core::{Draft, Kind, LogPosition, RecordId, SchoolKey, VerifiedRecord, bundle, sign};
use ensemble_net::sync_wire::{Head, PullRange, SyncRequest, SyncResponse};
use serde_bytes::{ByteArray, ByteBuf};
use serde_json::{Value, json};

use super::{NETWORK, NOW_MS};

/// When the seed records were signed: an hour before [`NOW_MS`].
pub const SIGNED_AT_MS: u64 = NOW_MS - 3_600_000;

/// The key seed of the school that signs the seed records.
const AUTHOR_SEED: [u8; 32] = [0x42; 32];

/// One seed: the target it is for, a file name, and the bytes.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The target (one of [`super::TARGETS`]).
    pub target: &'static str,
    /// A file name, unique within the target.
    pub name: String,
    /// The input.
    pub data: Vec<u8>,
}

/// A valid body of every kind, in [`Kind::ALL`] order.
pub fn bodies() -> Vec<(Kind, Value)> {
    let id = |byte: u8| RecordId([byte; 32]).to_string();
    vec![
        (
            Kind::SchoolProfile,
            json!({
                "name": {"ru": "Средняя школа № 5 г. Елабуги", "en": "School No. 5, Yelabuga"},
                "short_name": "СОШ № 5",
                "region": "ru-tat",
                "settlement": "urban",
                "small_school": false,
                "levels": ["primary", "basic", "secondary"],
                "languages": ["ru", "tt"],
                "roles": ["mentor"],
                "expertise": ["reading-literacy", "formative-assessment"],
                "description": {"ru": "Сетевой проект по смысловому чтению."},
                "website": "https://school5.example.org"
            }),
        ),
        (
            Kind::Practice,
            json!({
                "title": {"ru": "Стратегии смыслового чтения на уроках биологии", "en": "Reading strategies in biology"},
                "summary": {"ru": "Приёмы «инсерт» и «кластер»: доля справившихся выросла с 41 до 63 %."},
                "problem": {"ru": "Семиклассники не выделяют главное в тексте параграфа."},
                "problems": ["reading-literacy"],
                "subjects": ["biology"],
                "grades": [7],
                "levels": ["basic"],
                "method": {"ru": "На каждом уроке один приём работы с текстом."},
                "methods": ["reading-strategies"],
                "steps": [{"ru": "Сентябрь: входная диагностика."}, {"en": "December: final check."}],
                "context": {"settlement": "rural", "small_school": false, "class_size": 18},
                "evidence": {
                    "level": "E2",
                    "measures": [{
                        "name": {"ru": "Доля выполнивших задания"},
                        "n": 46, "baseline": "41%", "result": 63, "date": "2025-12-20"
                    }]
                },
                "materials": [
                    {"name": "Памятка.pdf", "media_type": "application/pdf", "size": 184320,
                     "hash": "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
                    {"name": "Видео", "url": "https://school5.example.org/lesson.mp4"}
                ],
                "keywords": ["смысловое чтение"],
                "language": ["ru"],
                "license": "CC-BY-4.0",
                "authors": [{"name": "А. Р. Гайнутдинова", "role": "учитель биологии"}],
                "based_on": [id(11)]
            }),
        ),
        (
            Kind::Feedback,
            json!({
                "target": id(20),
                "kind": "replication",
                "text": {"ru": "Применили в двух шестых классах."},
                "replication": {
                    "subjects": ["biology"],
                    "grades": [6],
                    "period": {"from": "2025-09-12", "to": "2025-11-20"},
                    "measures": [{"name": {"ru": "Доля"}, "n": 23, "baseline": 35, "result": 52}]
                }
            }),
        ),
        (
            Kind::MentoringRequest,
            json!({
                "title": {"ru": "Формирующее оценивание на уроках математики"},
                "problem": {"ru": "Отметки без обратной связи."},
                "deficits": ["formative-assessment"],
                "subjects": ["mathematics"],
                "grades": [5, 6],
                "goals": [{"text": {"ru": "Листы самооценки на каждом уроке"}, "baseline": 0, "target": "75%"}],
                "formats": ["peer-observation", "co-planning"],
                "mode": "mixed",
                "period": {"from": "2026-01-10", "to": "2026-05-31"},
                "language": "ru"
            }),
        ),
        (
            Kind::MentoringOffer,
            json!({
                "title": {"ru": "Взаимопосещения уроков математики"},
                "request": id(30),
                "expertise": ["formative-assessment"],
                "subjects": ["mathematics"],
                "formats": ["peer-observation"],
                "mode": "online",
                "capacity": {"schools": 2}
            }),
        ),
        (
            Kind::MentoringAcceptance,
            json!({
                "request": id(30),
                "offer": id(31),
                "autonomy": ensemble_core::body::default_autonomy()
            }),
        ),
        (
            Kind::ProgressReport,
            json!({
                "agreement": id(32),
                "period": {"from": "2026-01-10", "to": "2026-03-31"},
                "status": "on-track"
            }),
        ),
        (
            Kind::MentoringClosure,
            json!({
                "agreement": id(32),
                "outcome": "completed",
                "summary": {"ru": "Листы самооценки используются на 75 % уроков."}
            }),
        ),
        (
            Kind::Retraction,
            json!({"doc": id(40), "reason": {"ru": "Опубликовано повторно."}}),
        ),
    ]
}

/// Signed records: the first version of each kind's body in one author's log, then a
/// second version of the practice.
pub fn records() -> Vec<VerifiedRecord> {
    let key = SchoolKey::from_seed(AUTHOR_SEED);
    let mut records: Vec<VerifiedRecord> = Vec::new();
    let mut doc_of_practice = None;
    let next = |kind: Kind, body: &Value, doc: Option<RecordId>, records: &[VerifiedRecord]| {
        let position = LogPosition {
            seq: records.len() as u64 + 1,
            backlink: records.last().map(VerifiedRecord::id),
        };
        let draft = Draft {
            network: NETWORK.to_string(),
            kind,
            doc,
            body: body.to_string().into_bytes(),
        };
        sign(&key, draft, position, SIGNED_AT_MS)
            .unwrap_or_else(|error| panic!("seed {kind} does not sign: {error}"))
    };
    for (kind, body) in bodies() {
        let record = next(kind, &body, None, &records);
        if kind == Kind::Practice {
            doc_of_practice = Some(record.id());
        }
        records.push(record);
    }
    let practice = bodies()
        .into_iter()
        .find(|(kind, _)| *kind == Kind::Practice)
        .map(|(_, body)| body)
        .expect("a practice body");
    let version = next(Kind::Practice, &practice, doc_of_practice, &records);
    records.push(version);
    records
}

/// Every seed of every target; `node_config` is the repository's `node-config/`.
pub fn all(node_config: &Path) -> Vec<Seed> {
    let mut seeds = Vec::new();
    let mut add = |target: &'static str, name: String, data: Vec<u8>| {
        seeds.push(Seed { target, name, data });
    };
    let records = records();
    for record in &records {
        let name = format!("{}-{}", record.seq(), record.kind());
        add("wire_record", name.clone(), record.to_wire());
        for (index, _) in super::gossip_topics().iter().enumerate() {
            let mut data = vec![index as u8];
            data.extend_from_slice(&record.to_wire());
            add("gossip", format!("{name}-topic{index}"), data);
        }
    }
    add(
        "wire_record",
        "purged".into(),
        records[1].without_body().to_wire(),
    );
    for (kind, body) in bodies() {
        let mut data = vec![kind.code() - 1];
        data.extend_from_slice(body.to_string().as_bytes());
        add("body", kind.to_string(), data);
    }
    let mut small = bundle::new_bundle();
    for record in &records {
        bundle::push_record(&mut small, &record.to_wire());
    }
    add("bundle", "all-kinds".into(), small);
    add("bundle", "empty".into(), bundle::new_bundle());

    let author = ByteArray::new(records[0].author().0);
    let requests = [
        SyncRequest::Heads {
            networks: vec![NETWORK.to_string()],
            follows: vec![author],
            digest: ByteArray::new([7; 32]),
        },
        SyncRequest::Pull {
            ranges: vec![PullRange {
                author,
                from_seq: 1,
                to_seq: 10,
            }],
        },
    ];
    for (index, request) in requests.iter().enumerate() {
        add("sync_request", format!("request{index}"), cbor(request));
    }
    let responses = [
        SyncResponse::InSync,
        SyncResponse::Heads {
            heads: vec![Head {
                author,
                seq: records.len() as u64,
                forks: vec![3],
                id: Some(ByteArray::new(records[0].id().0)),
            }],
        },
        SyncResponse::Records {
            records: records
                .iter()
                .map(|record| ByteBuf::from(record.to_wire()))
                .collect(),
            truncated: true,
        },
        SyncResponse::Refused {
            reason: "busy".into(),
        },
    ];
    for (index, response) in responses.iter().enumerate() {
        add("sync_response", format!("response{index}"), cbor(response));
    }

    for path in config_files(node_config) {
        let text = std::fs::read(&path).unwrap_or_else(|error| panic!("{path:?}: {error}"));
        let name = path
            .strip_prefix(node_config)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('/', "-");
        add("config", name, text);
    }

    for (index, (form, posted)) in web_forms().into_iter().enumerate() {
        for english in [false, true] {
            let mut data = vec![(form << 1) | u8::from(english)];
            data.extend_from_slice(posted.as_bytes());
            add(
                "web_form",
                format!("form{index}-{}", u8::from(english)),
                data,
            );
        }
    }
    seeds
}

/// Filled forms: (index into `WebForm::ALL`, urlencoded body).
pub fn web_forms() -> Vec<(u8, String)> {
    vec![
        (
            0,
            "csrf=x&title_ru=%D0%A3%D1%82%D1%80%D0%B5%D0%BD%D0%BD%D0%B8%D0%B9+%D0%BA%D1%80%D1%83%D0%B3\
             &summary_ru=%D0%9F%D1%8F%D1%82%D0%B8%D0%BC%D0%B8%D0%BD%D1%83%D1%82%D0%BD%D1%8B%D0%B9+%D0%BA%D1%80%D1%83%D0%B3\
             &problem_ru=%D0%90%D0%B4%D0%B0%D0%BF%D1%82%D0%B0%D1%86%D0%B8%D1%8F\
             &method_ru=%D0%A0%D0%B8%D1%82%D1%83%D0%B0%D0%BB\
             &subjects=upbringing&grades=1&grades=2&language=ru&license=CC-BY-4.0\
             &steps_ru=%D0%A8%D0%B0%D0%B3+1%0D%0A%D0%A8%D0%B0%D0%B3+2\
             &evidence_level=E1&measure_name=Share&measure_n=25&measure_baseline=10&measure_result=12%2C5&measure_date=2025-12-01\
             &materials=Guide+%7C+https%3A%2F%2Fexample.org%2Fguide.pdf&keywords=a%2C+b\
             &authors=Ivanova+%E2%80%94+teacher"
                .replace(' ', ""),
        ),
        (
            1,
            "title_ru=%D0%9D%D1%83%D0%B6%D0%BD%D0%B0+%D0%BF%D0%BE%D0%BC%D0%BE%D1%89%D1%8C\
             &problem_ru=%D0%9D%D0%B5%D1%82+%D0%BE%D0%B1%D1%80%D0%B0%D1%82%D0%BD%D0%BE%D0%B9+%D1%81%D0%B2%D1%8F%D0%B7%D0%B8\
             &deficits=formative-assessment&subjects=mathematics&grades=5\
             &goal1_text=Self-assessment+sheets&goal1_baseline=0&goal1_target=75%25&goal1_deadline=2026-05-31\
             &formats=peer-observation&mode=mixed&period_from=2026-01-10&period_to=2026-05-31\
             &language=ru&visibility=region"
                .replace(' ', ""),
        ),
        (2, "question_text=How+long+does+it+take%3F&question_kind=question".into()),
        (
            3,
            "text=Applied+it&subjects=biology&grades=6&period_from=2025-09-01&period_to=2025-12-01\
             &context=Rural+school&results=Better&measure_name=Share&measure_n=23\
             &measure_baseline=35&measure_result=52"
                .replace(' ', ""),
        ),
        (
            4,
            "q=%D1%81%D0%BC%D1%8B%D1%81%D0%BB%D0%BE%D0%B2%D0%BE%D0%B5+%D1%87%D1%82%D0%B5%D0%BD%D0%B8%D0%B5\
             &subject=biology&grade=7&evidence=e2&lang=ru&limit=20&cursor=20"
                .replace(' ', ""),
        ),
    ]
}

/// Writes every seed to `out/<target>/<name>`.
pub fn write(out: &Path, node_config: &Path) -> std::io::Result<usize> {
    let seeds = all(node_config);
    for seed in &seeds {
        let dir = out.join(seed.target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(&seed.name), &seed.data)?;
    }
    Ok(seeds.len())
}

fn cbor<T: serde::Serialize>(message: &T) -> Vec<u8> {
    cbor4ii::serde::to_vec(Vec::new(), message).expect("a sync message encodes")
}

fn config_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{dir:?}: {error}"));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
