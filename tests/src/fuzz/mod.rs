//! The fuzz targets' bodies: one plain function per target, taking the fuzzer's bytes.
//!
//! `tests/fuzz/fuzz_targets/<target>.rs` calls [`run`] under libFuzzer, and the `it`
//! test binary (module `fuzz`) runs every file of `tests/fuzz/corpus/<target>/` and
//! `tests/fuzz/regressions/<target>/` through the same call, so a crash found once
//! stays fixed in `cargo test --workspace`.
//!
//! Each function asserts the decoder's invariants, not only "no panic": a record that
//! verifies re-encodes to its own bytes under a stable id; a body accepted locally is
//! accepted as received; a bundle's accepted records verify one by one; sync messages
//! survive a CBOR round trip; a gossip payload's message id and verdict agree with its
//! decoding; a config either validates into sane options or names its fault; a web
//! form's faults name its fields. A failed invariant panics, which libFuzzer reports
//! as a crash. Everything is deterministic: the clock is [`NOW_MS`].

pub mod seeds;

use std::path::PathBuf;

use ensemble_api::web::decode::{self as web_decode, WebForm};
use ensemble_core::body::{self, Mode};
use ensemble_core::bundle::{self, BundleError};
use ensemble_core::limits::MAX_WIRE_BYTES;
use ensemble_core::record::is_network_id;
use ensemble_core::{
    Kind, RecordError, RecordId, SchoolId, SignedRecord, TopicFamily, ValidationErrors,
    VerifiedRecord, topic, verify_batch,
};
use ensemble_net::sync_wire::{
    MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES, SyncRequest, SyncResponse,
};
use ensemble_node::config::{self, ConfigError, File};

/// The fuzz targets, by the name of their file in `tests/fuzz/fuzz_targets/` and their
/// corpus and regression directories.
pub const TARGETS: [&str; 8] = [
    "wire_record",
    "body",
    "bundle",
    "sync_request",
    "sync_response",
    "gossip",
    "config",
    "web_form",
];

/// The fixed "local clock" every target verifies against (2026-01-01T01:00Z), so that a
/// crash reproduces whatever the date; seeds are signed an hour earlier.
pub const NOW_MS: u64 = 1_767_229_200_000;

/// The network the gossip target's topics and the seeds' records belong to.
pub const NETWORK: &str = "ru-tat";

/// The data directory handed to the config target (never created).
const CONFIG_DATA_DIR: &str = "/nonexistent/ensemble-fuzz";

/// Size of the wire record's header-length prefix.
const WIRE_PREFIX_BYTES: usize = 2;

/// Keys a config fault may begin with.
const CONFIG_KEYS: &[&str] = &[
    "school.name",
    "school.region",
    "school.roles",
    "school.network",
    "network.idle_timeout_secs",
    "network.max_connections*",
    "api.listen",
    "sync.interval_secs",
];

/// Shortest idle timeout and sync interval a valid config may give.
const MIN_IDLE_TIMEOUT_SECS: u64 = 60;

/// Runs `data` through the target named `target`; panics on a broken invariant.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "wire_record" => wire_record(data),
        "body" => body(data),
        "bundle" => bundle(data),
        "sync_request" => sync_request(data),
        "sync_response" => sync_response(data),
        "gossip" => gossip(data),
        "config" => config(data),
        "web_form" => web_form(data),
        other => panic!("no fuzz target named {other}"),
    }
}

/// The wire record decoder and verification (`SignedRecord::from_wire`, `verify`,
/// `verify_batch`).
pub fn wire_record(data: &[u8]) {
    let Ok(record) = SignedRecord::from_wire(data) else {
        return;
    };
    let header_len = usize::from(u16::from_be_bytes([data[0], data[1]]));
    let header_bytes = &data[WIRE_PREFIX_BYTES..WIRE_PREFIX_BYTES + header_len];
    // Decoding is strict, so the header has exactly one encoding: its own bytes.
    assert_eq!(
        record.header().encode(),
        header_bytes,
        "decoded header re-encodes differently"
    );
    let again = SignedRecord::from_wire(data).expect("a record decodes twice");
    assert_eq!(again.id(), record.id(), "record id is not stable");
    judge_alone_and_in_batch(record, data);
}

/// Every record body parser: the first byte picks the kind, the rest is the body.
pub fn body(data: &[u8]) {
    let Some((selector, json)) = data.split_first() else {
        return;
    };
    let kind = Kind::ALL[usize::from(*selector) % Kind::ALL.len()];
    let local = body::validate(kind, json, Mode::Local);
    let received = body::validate(kind, json, Mode::Received);
    for errors in [local.as_ref().err(), received.as_ref().err()]
        .into_iter()
        .flatten()
    {
        assert_faults_named(errors);
    }
    match (&local, &received) {
        (Ok(local), Ok(received)) => assert_eq!(local, received, "modes disagree on the body"),
        (Ok(_), Err(errors)) => {
            panic!("a {kind} body accepted locally is refused as received: {errors}")
        }
        // Not checked: that Received's faults are a subset of Local's. An unknown field
        // in Local mode makes its part faulty, and a faulty part deliberately suppresses
        // the faults derived from it (evidence level vs. measures), which Received then
        // reports. The fuzzer found that on its first run; it is the rule, not a bug.
        (Err(_), Err(_)) | (Err(_), Ok(_)) => {}
    }
    if let Ok(parsed) = received {
        assert_eq!(parsed.kind(), kind);
        let _ = parsed.title();
        let _ = parsed.references();
    }
}

/// The export bundle reader: `bundle::split`, then every record verified as import does.
pub fn bundle(data: &[u8]) {
    let parts = match bundle::split(data) {
        Ok(parts) => parts,
        Err(BundleError::NotABundle) => {
            assert!(!data.starts_with(bundle::MAGIC), "a bundle refused as none");
            return;
        }
        Err(BundleError::Truncated(offset)) => {
            assert!(
                offset >= bundle::MAGIC.len() && offset < data.len(),
                "truncation reported at {offset} of {} bytes",
                data.len()
            );
            return;
        }
    };
    // Splitting loses nothing: the parts rebuild the file byte for byte.
    let mut rebuilt = bundle::new_bundle();
    for part in &parts {
        assert!(part.len() <= MAX_WIRE_BYTES);
        bundle::push_record(&mut rebuilt, part);
    }
    assert_eq!(rebuilt, data, "split and push_record disagree");
    let decoded: Vec<(&[u8], SignedRecord)> = parts
        .iter()
        .filter_map(|part| {
            SignedRecord::from_wire(part)
                .ok()
                .map(|record| (*part, record))
        })
        .collect();
    let (wires, records): (Vec<&[u8]>, Vec<SignedRecord>) = decoded.into_iter().unzip();
    let alone: Vec<Result<VerifiedRecord, RecordError>> = records
        .iter()
        .map(|record| record.clone().verify(NOW_MS))
        .collect();
    let batch = verify_batch(records, NOW_MS);
    assert_eq!(batch.len(), alone.len());
    for ((wire, batched), single) in wires.into_iter().zip(batch).zip(alone) {
        assert_eq!(
            batched.as_ref().map(VerifiedRecord::id),
            single.as_ref().map(VerifiedRecord::id),
            "batch and single verification disagree"
        );
        if let Ok(record) = batched {
            assert_eq!(
                record.to_wire(),
                wire,
                "an imported record re-encodes differently"
            );
        }
    }
}

/// The sync request decoder (CBOR, as the request-response codec reads it).
pub fn sync_request(data: &[u8]) {
    if data.len() as u64 > MAX_SYNC_REQUEST_BYTES {
        return;
    }
    let Ok(request) = cbor4ii::serde::from_slice::<SyncRequest>(data) else {
        return;
    };
    let encoded = cbor4ii::serde::to_vec(Vec::new(), &request).expect("a request encodes");
    let again: SyncRequest =
        cbor4ii::serde::from_slice(&encoded).expect("a re-encoded request decodes");
    assert_eq!(again, request, "a request changes in a CBOR round trip");
}

/// The sync response decoder, and the records of a page judged as sync ingests them.
pub fn sync_response(data: &[u8]) {
    if data.len() as u64 > MAX_SYNC_RESPONSE_BYTES {
        return;
    }
    let Ok(response) = cbor4ii::serde::from_slice::<SyncResponse>(data) else {
        return;
    };
    let encoded = cbor4ii::serde::to_vec(Vec::new(), &response).expect("a response encodes");
    let again: SyncResponse =
        cbor4ii::serde::from_slice(&encoded).expect("a re-encoded response decodes");
    assert_eq!(again, response, "a response changes in a CBOR round trip");
    if let SyncResponse::Records { records, .. } = response {
        for wire in &records {
            if let Ok(record) = SignedRecord::from_wire(wire) {
                judge_alone_and_in_batch(record, wire);
            }
        }
    }
}

/// The gossip message handler without a swarm: the first byte picks the topic, the rest
/// is the payload; its message id and verdict must agree with its decoding.
pub fn gossip(data: &[u8]) {
    let Some((selector, payload)) = data.split_first() else {
        return;
    };
    let topics = gossip_topics();
    let index = usize::from(*selector) % topics.len();
    let topic = &topics[index];
    let other_topic = &topics[(index + 1) % topics.len()];
    let id = ensemble_net::payload_message_id(topic, payload);
    assert_eq!(
        id,
        ensemble_net::payload_message_id(topic, payload),
        "message id not stable"
    );
    assert_ne!(
        id,
        ensemble_net::payload_message_id(other_topic, payload),
        "one payload, two topics, one id"
    );
    match SignedRecord::from_wire(payload) {
        Err(error) => {
            // Undecodable bytes are a peer's fault unless they are from a newer format.
            let newer = matches!(
                error,
                RecordError::UnsupportedVersion(_) | RecordError::UnknownKind(_)
            );
            assert_eq!(error.is_reject(), !newer, "verdict of {error}");
        }
        Ok(record) => {
            assert_eq!(id, ensemble_net::message_id(topic, &record.id()));
            judge_alone_and_in_batch(record, payload);
        }
    }
}

/// The config file parser: TOML text into [`File`], validated into options.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = match File::parse(text) {
        Ok(file) => file,
        Err(message) => {
            assert!(!message.0.is_empty(), "a parse error without a message");
            return;
        }
    };
    let options = match file.into_options(PathBuf::from(CONFIG_DATA_DIR)) {
        Ok(options) => options,
        Err(ConfigError::Invalid(faults)) => {
            assert!(!faults.is_empty(), "an invalid config without a fault");
            for fault in &faults {
                assert!(
                    CONFIG_KEYS.iter().any(|key| fault.starts_with(key)),
                    "config fault names no key: {fault}"
                );
            }
            return;
        }
        Err(other) => panic!("validation gave a non-validation error: {other}"),
    };
    // What the loader accepts, the node can publish as its profile at start.
    assert!(
        ensemble_core::body::configured_profile(&options.name, &options.region, &options.roles)
            .is_ok(),
        "accepted a profile the node could not publish: {options:?}"
    );
    assert!(is_network_id(&options.network));
    assert!(options.idle_timeout.as_secs() >= MIN_IDLE_TIMEOUT_SECS);
    assert!(!options.sync_interval.is_zero());
    assert!(options.max_connections >= 1 && options.max_connections_per_peer >= 1);
    // The file `ensemble init` writes for these options reads back to them.
    let initial = config::render_initial(
        &options.name,
        &options.region,
        &options.roles,
        &options.network,
    );
    let back = File::parse(&initial)
        .unwrap_or_else(|error| panic!("the initial file does not parse: {error}\n{initial}"))
        .into_options(PathBuf::from(CONFIG_DATA_DIR))
        .unwrap_or_else(|error| panic!("the initial file does not validate: {error}\n{initial}"));
    assert_eq!(
        (&back.name, &back.region, &back.roles, &back.network),
        (
            &options.name,
            &options.region,
            &options.roles,
            &options.network
        ),
        "the initial file changes the options"
    );
}

/// The web form decoders: the first byte picks the form (bits 1–7) and the language
/// (bit 0), the rest is the posted `application/x-www-form-urlencoded` body.
pub fn web_form(data: &[u8]) {
    let Some((selector, posted)) = data.split_first() else {
        return;
    };
    let form = WebForm::ALL[usize::from(*selector >> 1) % WebForm::ALL.len()];
    let english = selector & 1 == 1;
    let decoded = web_decode::decode(form, posted, english);
    for (field, message) in &decoded.faults {
        assert!(
            !message.trim().is_empty(),
            "a fault without a message at {field:?}"
        );
        assert!(
            field.is_empty() || decoded.fields.contains(&field.as_str()),
            "{form:?}: a fault at {field:?}, which is not a field of the form ({message})"
        );
        // A write form builds every part of its body from its own inputs, so each
        // fault belongs beside one of them, not above the form.
        assert!(
            decoded.kind.is_none() || !field.is_empty(),
            "{form:?}: a fault shown at no field: {message}"
        );
    }
    // Values are hostile: the rendered inputs never carry markup of their own.
    assert!(
        !decoded.html.to_ascii_lowercase().contains("<script"),
        "posted text reached the page unescaped"
    );
    if let (Some(kind), Some(bytes)) = (decoded.kind, &decoded.body)
        && decoded.faults.is_empty()
    {
        // No fault shown means the body is publishable, here and on every other node.
        body::validate(kind, bytes, Mode::Local).expect("a fault-free form validates");
        body::validate(kind, bytes, Mode::Received).expect("a fault-free form is received");
    }
    if let Some(params) = &decoded.search {
        // Links the page builds from the parameters lead back to the same parameters.
        let link = params.query_string();
        let followed = web_decode::decode(WebForm::Search, link.as_bytes(), english);
        assert_eq!(
            followed.search.as_ref(),
            Some(params),
            "search link round trip ({link})"
        );
    }
}

/// The topics the gossip target's first byte picks from: the network's two and a
/// school topic.
pub fn gossip_topics() -> [String; 3] {
    [
        topic::network(NETWORK, TopicFamily::Catalog),
        topic::network(NETWORK, TopicFamily::Mentoring),
        topic::school(&SchoolId([0x11; 32])),
    ]
}

/// A decoded record judged alone and in a batch of two, as ingest does: the verdicts
/// agree, and a record that verifies is exactly its wire bytes under its id.
fn judge_alone_and_in_batch(record: SignedRecord, wire: &[u8]) {
    let id = record.id();
    let alone = record.clone().verify(NOW_MS);
    let batch = verify_batch(vec![record.clone(), record], NOW_MS);
    for batched in &batch {
        assert_eq!(
            batched.as_ref().map(VerifiedRecord::id),
            alone.as_ref().map(VerifiedRecord::id),
            "batch and single verification disagree"
        );
    }
    let verified = match alone {
        Ok(verified) => verified,
        Err(error) => {
            assert!(!error.to_string().is_empty());
            return;
        }
    };
    assert_eq!(verified.id(), id);
    assert_eq!(
        verified.to_wire(),
        wire,
        "a verified record re-encodes differently"
    );
    assert_eq!(verified.body().is_some(), verified.body_bytes().is_some());
    if let Some(parsed) = verified.body() {
        assert_eq!(parsed.kind(), verified.kind());
    }
    // A purged record (after a retraction) stays verifiable under the same id.
    let purged = verified.without_body().to_wire();
    let purged = SignedRecord::from_wire(&purged)
        .and_then(|record| record.verify(NOW_MS))
        .expect("a purged record verifies");
    assert_eq!(purged.id(), id);
    // What the store rebuilds from its parts is the record that was verified.
    let trusted = VerifiedRecord::from_trusted_parts(
        verified.header_bytes(),
        *verified.signature(),
        verified.body_bytes().map(<[u8]>::to_vec),
    )
    .expect("stored parts rebuild");
    assert_eq!(trusted, verified);
    let _: RecordId = verified.doc();
}

fn assert_faults_named(errors: &ValidationErrors) {
    assert!(!errors.errors.is_empty(), "a refusal without a fault");
    for fault in &errors.errors {
        assert!(
            !fault.message.is_empty(),
            "a fault without a message at {:?}",
            fault.field
        );
    }
}
