//! The test vectors of docs/protocol.md, checked byte for byte: the document is the
//! source of truth, and this test fails if the code or the document drifts.

use ensemble_core::{Draft, Kind, LogPosition, RecordId, SchoolKey, SignedRecord, sign};

const PROTOCOL: &str = include_str!("../../../docs/protocol.md");

struct Vector {
    name: &'static str,
    seed: u8,
    kind: Kind,
    seq: u64,
    backlink: Option<[u8; 32]>,
    doc: Option<[u8; 32]>,
    created_at: u64,
    body: &'static str,
}

const VECTORS: [Vector; 3] = [
    Vector {
        name: "vector-1",
        seed: 1,
        kind: Kind::Practice,
        seq: 1,
        backlink: None,
        doc: None,
        created_at: 1_790_000_000_000,
        body: r#"{"title":{"ru":"Смысловое чтение"},"summary":{"ru":"Кратко"},"problem":{"ru":"Не понимают текст"},"subjects":["russian"],"grades":[5],"method":{"ru":"Инсерт"},"language":["ru"],"license":"CC-BY-4.0"}"#,
    },
    Vector {
        name: "vector-2",
        seed: 2,
        kind: Kind::Retraction,
        seq: 2,
        backlink: Some([0xaa; 32]),
        doc: None,
        created_at: 1_790_000_000_001,
        body: r#"{"doc":"bnz7ve5pa27y5gwjtztbpxhn64pxo6obr63tpycgdrztpqa3bfcqa"}"#,
    },
    Vector {
        name: "vector-3",
        seed: 3,
        kind: Kind::SchoolProfile,
        seq: 7,
        backlink: Some([0x11; 32]),
        doc: Some([0x22; 32]),
        created_at: 1_790_000_123_456,
        body: r#"{"name":{"ru":"Гимназия №5","en":"Gymnasium No. 5"},"region":"ru-tat","roles":["mentor"]}"#,
    },
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The value of `key:` inside the named vector's block of the document.
fn documented(vector: &str, key: &str) -> String {
    let start = PROTOCOL
        .find(&format!("<!-- {vector} -->"))
        .unwrap_or_else(|| panic!("{vector} missing from docs/protocol.md"));
    let block = &PROTOCOL[start..];
    let block = &block[..block.find("```\n\n").unwrap_or(block.len())];
    let line = block
        .lines()
        .find(|line| line.starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("{vector}: no {key} line"));
    line[key.len() + 1..].trim().to_string()
}

#[test]
fn documented_vectors_match_the_code() {
    for vector in &VECTORS {
        let key = SchoolKey::from_seed([vector.seed; 32]);
        let record = sign(
            &key,
            Draft {
                network: "ru-tat".into(),
                kind: vector.kind,
                doc: vector.doc.map(RecordId),
                body: vector.body.as_bytes().to_vec(),
            },
            LogPosition {
                seq: vector.seq,
                backlink: vector.backlink.map(RecordId),
            },
            vector.created_at,
        )
        .expect("vector body is valid");
        let got = [
            ("author", record.author().to_string()),
            ("header", hex(record.header_bytes())),
            ("signature", hex(record.signature())),
            ("id", record.id().to_string()),
        ];
        if std::env::var_os("PRINT_VECTORS").is_some() {
            for (name, value) in &got {
                println!("{} {name}: {value}", vector.name);
            }
            continue;
        }
        for (name, value) in got {
            assert_eq!(
                documented(vector.name, name),
                value,
                "{} {name}",
                vector.name
            );
        }
        assert_eq!(
            documented(vector.name, "body"),
            vector.body,
            "{} body",
            vector.name
        );
        // The wire form decodes and verifies back to the same record.
        let decoded = SignedRecord::from_wire(&record.to_wire())
            .expect("decodes")
            .verify(vector.created_at)
            .expect("verifies");
        assert_eq!(decoded, record);
    }
}

#[test]
fn tampering_with_any_part_is_detected() {
    let vector = &VECTORS[0];
    let key = SchoolKey::from_seed([vector.seed; 32]);
    let record = sign(
        &key,
        Draft {
            network: "ru-tat".into(),
            kind: vector.kind,
            doc: None,
            body: vector.body.as_bytes().to_vec(),
        },
        LogPosition {
            seq: 1,
            backlink: None,
        },
        vector.created_at,
    )
    .expect("valid");
    let wire = record.to_wire();
    let header_len = u16::from_be_bytes([wire[0], wire[1]]) as usize;
    // A flipped bit in the signed header, the signature, or the body.
    for position in [10, 2 + header_len + 5, wire.len() - 3] {
        let mut tampered = wire.clone();
        tampered[position] ^= 0x01;
        let outcome =
            SignedRecord::from_wire(&tampered).and_then(|record| record.verify(vector.created_at));
        let error = outcome.expect_err("tampering must be detected");
        assert!(error.is_reject(), "position {position}: {error}");
    }
}
