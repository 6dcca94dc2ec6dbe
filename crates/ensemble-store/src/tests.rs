use super::*;
use ensemble_core::sign;

const NETWORK: &str = "ru-tat";

fn practice_body(title: &str) -> Vec<u8> {
    serde_json::json!({
        "title": {"ru": title},
        "summary": {"ru": "Краткое описание практики"},
        "problem": {"ru": "Учащиеся не понимают прочитанный текст"},
        "subjects": ["russian"],
        "grades": [5, 6],
        "method": {"ru": "Приёмы до, во время и после чтения"},
        "language": ["ru"],
        "license": "CC-BY-4.0"
    })
    .to_string()
    .into_bytes()
}

fn draft(title: &str, doc: Option<RecordId>) -> Draft {
    Draft {
        network: NETWORK.into(),
        kind: Kind::Practice,
        doc,
        body: practice_body(title),
    }
}

fn retraction(doc: RecordId) -> Draft {
    Draft {
        network: NETWORK.into(),
        kind: Kind::Retraction,
        doc: None,
        body: serde_json::json!({"doc": doc.to_string()})
            .to_string()
            .into_bytes(),
    }
}

fn at(seq: u64, backlink: Option<RecordId>) -> LogPosition {
    LogPosition { seq, backlink }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open store");
    (dir, store)
}

#[test]
fn own_records_chain_and_survive_reopen() {
    let (dir, store) = open();
    let key = SchoolKey::from_seed([1; 32]);
    let first = store
        .append(&key, draft("Первая практика", None), 1_000, 0)
        .expect("append");
    let second = store
        .append(&key, draft("Вторая практика", None), 2_000, 0)
        .expect("append");
    assert_eq!(first.seq(), 1);
    assert_eq!(second.seq(), 2);
    assert_eq!(second.header().backlink, Some(first.id()));
    drop(store);
    let store = Store::open(dir.path()).expect("reopen");
    let held = store.get(&second.id()).expect("get").expect("held");
    assert_eq!(held.record, second);
    assert_eq!(store.head(&key.school_id()).expect("head"), 2);
    assert_eq!(
        store.counts().expect("counts").get(&Kind::Practice),
        Some(&2)
    );
}

#[test]
fn foreign_records_out_of_order_fill_the_head_when_the_gap_closes() {
    let (_dir, store) = open();
    let key = SchoolKey::from_seed([2; 32]);
    let one = sign(&key, draft("Раз раз", None), at(1, None), 1).expect("sign");
    let two = sign(&key, draft("Два два", None), at(2, Some(one.id())), 2).expect("sign");
    let three = sign(&key, draft("Три три", None), at(3, Some(two.id())), 3).expect("sign");
    assert_eq!(
        store.ingest(&three).expect("ingest"),
        Ingested::Stored { gap: true }
    );
    assert_eq!(store.head(&key.school_id()).expect("head"), 0);
    assert_eq!(
        store.ingest(&one).expect("ingest"),
        Ingested::Stored { gap: false }
    );
    assert_eq!(store.head(&key.school_id()).expect("head"), 1);
    assert_eq!(
        store.ingest(&two).expect("ingest"),
        Ingested::Stored { gap: false }
    );
    assert_eq!(store.head(&key.school_id()).expect("head"), 3);
    assert_eq!(store.ingest(&two).expect("ingest"), Ingested::Duplicate);
    assert!(store.forked_authors().expect("forks").is_empty());
    let (page, truncated) = store
        .range(&key.school_id(), 1, 3, 2, usize::MAX)
        .expect("range");
    assert_eq!(page.iter().map(|r| r.seq()).collect::<Vec<_>>(), vec![1, 2]);
    assert!(truncated);
}

#[test]
fn two_records_at_one_position_are_kept_and_flag_the_author() {
    let (_dir, store) = open();
    let key = SchoolKey::from_seed([3; 32]);
    let one = sign(&key, draft("Одна версия", None), at(1, None), 1).expect("sign");
    let other = sign(&key, draft("Другая версия", None), at(1, None), 2).expect("sign");
    assert_eq!(
        store.ingest(&one).expect("ingest"),
        Ingested::Stored { gap: false }
    );
    assert_eq!(store.ingest(&other).expect("ingest"), Ingested::Fork);
    assert!(store.get(&one.id()).expect("get").is_some());
    assert!(store.get(&other.id()).expect("get").is_some());
    assert_eq!(
        store.forked_authors().expect("forks"),
        vec![key.school_id()]
    );
    let (both, _) = store
        .range(&key.school_id(), 1, 1, 10, usize::MAX)
        .expect("range");
    assert_eq!(both.len(), 2);
}

#[test]
fn a_backlink_that_disagrees_is_a_fork() {
    let (_dir, store) = open();
    let key = SchoolKey::from_seed([4; 32]);
    let one = sign(&key, draft("Первая запись", None), at(1, None), 1).expect("sign");
    let stray = sign(
        &key,
        draft("Чужая ветка", None),
        at(2, Some(RecordId([9; 32]))),
        2,
    )
    .expect("sign");
    store.ingest(&one).expect("ingest");
    assert_eq!(store.ingest(&stray).expect("ingest"), Ingested::Fork);
    assert_eq!(
        store.forked_authors().expect("forks"),
        vec![key.school_id()]
    );
}

#[test]
fn latest_version_wins_and_versions_are_listed() {
    let (_dir, store) = open();
    let key = SchoolKey::from_seed([5; 32]);
    let first = store
        .append(&key, draft("Версия один", None), 1_000, 0)
        .expect("append");
    let second = store
        .append(&key, draft("Версия два", Some(first.id())), 2_000, 0)
        .expect("append");
    assert_eq!(second.doc(), first.id());
    assert_eq!(
        store.latest_id(&first.id()).expect("latest"),
        Some(second.id())
    );
    let latest = store.latest(Kind::Practice).expect("latest");
    assert_eq!(
        latest.iter().map(|r| r.id()).collect::<Vec<_>>(),
        vec![second.id()]
    );
    let versions = store.versions(&first.id()).expect("versions");
    assert_eq!(
        versions.iter().map(|r| r.id()).collect::<Vec<_>>(),
        vec![first.id(), second.id()]
    );
}

#[test]
fn retraction_purges_bodies_and_blocks_reinsertion() {
    let (_dir, store) = open();
    let key = SchoolKey::from_seed([6; 32]);
    let first = store
        .append(&key, draft("Отзываемая", None), 1_000, 0)
        .expect("append");
    let second = store
        .append(&key, draft("Отзываемая 2", Some(first.id())), 2_000, 0)
        .expect("append");
    let withdrawal = store
        .append(&key, retraction(first.id()), 3_000, 0)
        .expect("append");
    for id in [first.id(), second.id()] {
        let held = store.get(&id).expect("get").expect("held");
        assert!(held.retracted);
        assert_eq!(held.record.body_bytes(), None, "body of {id} purged");
    }
    assert!(store.is_retracted(&first.id()).expect("retracted"));
    assert!(store.latest(Kind::Practice).expect("latest").is_empty());

    // A fresh node that gets the retraction first refuses the old bodies afterwards.
    let (_dir2, fresh) = open();
    fresh.ingest(&withdrawal).expect("ingest");
    assert_eq!(fresh.ingest(&first).expect("ingest"), Ingested::Retracted);
    assert_eq!(
        fresh
            .get(&first.id())
            .expect("get")
            .expect("held")
            .record
            .body_bytes(),
        None
    );
}

#[test]
fn a_retraction_by_another_school_changes_nothing() {
    let (_dir, store) = open();
    let author = SchoolKey::from_seed([7; 32]);
    let other = SchoolKey::from_seed([8; 32]);
    let practice = store
        .append(&author, draft("Чужая практика", None), 1_000, 0)
        .expect("append");
    store
        .append(&other, retraction(practice.id()), 2_000, 0)
        .expect("append");
    let held = store.get(&practice.id()).expect("get").expect("held");
    assert!(!held.retracted);
    assert!(held.record.body_bytes().is_some());
}

#[test]
fn listing_pages_with_a_stable_cursor() {
    let (_dir, store) = open();
    let key = SchoolKey::from_seed([9; 32]);
    let mut ids = Vec::new();
    for index in 0..5u64 {
        let title = format!("Практика номер {index}");
        ids.push(
            store
                .append(&key, draft(&title, None), 1_000 + index, 0)
                .expect("append")
                .id(),
        );
    }
    ids.reverse();
    let first = store
        .list(Some(Kind::Practice), None, None, 2)
        .expect("list");
    assert_eq!(
        first.records.iter().map(|r| r.id()).collect::<Vec<_>>(),
        ids[..2]
    );
    let cursor = first.next.expect("more pages");
    // A record added after the first page does not shift the pages that follow.
    store
        .append(&key, draft("Новая практика", None), 9_000, 0)
        .expect("append");
    let second = store
        .list(Some(Kind::Practice), None, Some(&cursor), 2)
        .expect("list");
    assert_eq!(
        second.records.iter().map(|r| r.id()).collect::<Vec<_>>(),
        ids[2..4]
    );
    let third = store
        .list(Some(Kind::Practice), None, second.next.as_deref(), 2)
        .expect("list");
    assert_eq!(
        third.records.iter().map(|r| r.id()).collect::<Vec<_>>(),
        ids[4..]
    );
    assert!(third.next.is_none());
    assert!(matches!(
        store.list(None, None, Some("nonsense"), 2),
        Err(Error::InvalidCursor(_))
    ));
}

#[test]
fn follows_and_blocks_persist() {
    let (dir, store) = open();
    let school = SchoolKey::from_seed([10; 32]).school_id();
    assert!(store.follow(&school).expect("follow"));
    assert!(!store.follow(&school).expect("follow"));
    assert!(store.block(&Block::School(school)).expect("block"));
    assert!(
        store
            .block(&Block::Peer("12D3KooWtest".into()))
            .expect("block")
    );
    drop(store);
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(store.follows().expect("follows"), vec![school]);
    assert!(store.is_blocked(&school).expect("blocked"));
    assert_eq!(store.blocks().expect("blocks").len(), 2);
    assert!(store.unblock(&Block::School(school)).expect("unblock"));
    assert!(!store.is_blocked(&school).expect("blocked"));
    assert!(store.unfollow(&school).expect("unfollow"));
    assert!(store.follows().expect("follows").is_empty());
}

#[test]
fn append_refuses_a_seq_already_signed() {
    let (_dir, store) = open();
    let key = SchoolKey::from_seed([11; 32]);
    store
        .append(&key, draft("Первая", None), 1_000, 0)
        .expect("append");
    // The node signed up to seq 5 before this store lost records: seq 2 is taken.
    let refused = store.append(&key, draft("Вторая", None), 2_000, 5);
    assert!(
        matches!(refused, Err(Error::OwnLogBehind { held: 1, signed: 5 })),
        "{refused:?}"
    );
    assert_eq!(store.max_seq(&key.school_id()).expect("max"), 1);
    let next = store
        .append(&key, draft("Вторая", None), 2_000, 1)
        .expect("the mark at what is held lets the log continue");
    assert_eq!(next.seq(), 2);
}

/// A store with `count` practices of one school and a retracted document.
fn filled(count: u64) -> (tempfile::TempDir, Store, SchoolKey) {
    let (dir, store) = open();
    let key = SchoolKey::from_seed([12; 32]);
    let first = store
        .append(&key, draft("Отзываемая", None), 500, 0)
        .expect("append");
    store
        .append(&key, retraction(first.id()), 600, 0)
        .expect("append");
    for index in 0..count {
        store
            .append(
                &key,
                draft(&format!("Практика {index}"), None),
                1_000 + index,
                0,
            )
            .expect("append");
    }
    (dir, store, key)
}

#[test]
fn a_sound_store_passes_the_integrity_check() {
    let (_dir, store, _) = filled(5);
    let integrity = store.check_integrity();
    assert!(integrity.is_sound(), "{:?}", integrity.faults);
    assert_eq!(integrity.census, store.census().expect("census"));
    assert_eq!(integrity.census.records, 7);
    assert_eq!(integrity.census.indexed, 7);
    assert_eq!(integrity.census.heads_total, 7);
}

#[test]
fn the_integrity_check_names_lost_records_and_corrupt_bytes() {
    let (_dir, store, key) = filled(5);
    let author = key.school_id();
    // Lose seq 4 from `records`, as a log cut short would: the head and the index
    // still name it.
    let lost = store.ids_at(&author, 4).expect("ids")[0];
    store
        .records
        .remove(keys::record_key(&author, 4, &lost))
        .expect("remove");
    // Flip a byte of another record's body.
    let damaged = store.ids_at(&author, 6).expect("ids")[0];
    let mut body = store
        .bodies
        .get(damaged.as_bytes())
        .expect("get")
        .expect("body")
        .to_vec();
    body[0] ^= 0x01;
    store
        .bodies
        .insert(damaged.as_bytes(), body)
        .expect("insert");
    let integrity = store.check_integrity();
    assert_eq!(integrity.fault_count, 3, "{:?}", integrity.faults);
    assert!(integrity.faults.iter().any(|fault| matches!(
        fault,
        Fault::HeadBeyondRecords {
            head: 7,
            held: 3,
            ..
        }
    )));
    assert!(
        integrity
            .faults
            .iter()
            .any(|fault| matches!(fault, Fault::DanglingIndex { .. }))
    );
    assert!(integrity.faults.iter().any(|fault| matches!(
        fault,
        Fault::BadRecord {
            reason: RecordFault::BodyMismatch | RecordFault::WrongId,
            ..
        }
    )));
    assert_ne!(
        store.census().expect("census"),
        Census {
            records: 7,
            indexed: 7,
            authors: 1,
            heads_total: 7
        },
        "the census sees the loss without a walk"
    );
}

#[test]
fn a_missing_body_is_a_fault_unless_retracted() {
    let (_dir, store, key) = filled(1);
    let practice = store.ids_at(&key.school_id(), 3).expect("ids")[0];
    store.bodies.remove(practice.as_bytes()).expect("remove");
    let integrity = store.check_integrity();
    assert_eq!(integrity.fault_count, 1, "{:?}", integrity.faults);
}

/// Cost of the start-up checks: `cargo test -p ensemble-store -- --ignored
/// --nocapture integrity_cost`. Prints milliseconds for the census and the walk.
#[test]
#[ignore = "a measurement, not a check"]
fn integrity_cost() {
    for count in [10_000u64, 100_000] {
        let (dir, store) = open();
        let key = SchoolKey::from_seed([13; 32]);
        let mut backlink = None;
        let mut batch = Vec::new();
        for seq in 1..=count {
            let record = sign(
                &key,
                draft(&format!("Практика номер {seq}"), None),
                at(seq, backlink),
                seq,
            )
            .expect("sign");
            backlink = Some(record.id());
            batch.push(record);
            if batch.len() == 1_000 {
                store.ingest_batch(&batch).expect("ingest");
                batch.clear();
            }
        }
        store.ingest_batch(&batch).expect("ingest");
        drop(store);
        let started = std::time::Instant::now();
        let store = Store::open(dir.path()).expect("reopen");
        let opened = started.elapsed();
        let started = std::time::Instant::now();
        let census = store.census().expect("census");
        let census_time = started.elapsed();
        let started = std::time::Instant::now();
        let integrity = store.check_integrity();
        let walk_time = started.elapsed();
        assert!(integrity.is_sound());
        assert_eq!(census.records, count);
        println!(
            "records={count} open_ms={} census_ms={} walk_ms={}",
            opened.as_millis(),
            census_time.as_millis(),
            walk_time.as_millis()
        );
    }
}
