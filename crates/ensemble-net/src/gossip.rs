//! Gossipsub settings: mesh degrees, message ids and the behaviour's configuration.
//!
//! Pure functions; the swarm module turns them into a running behaviour.

use std::time::Duration;

use ensemble_core::{
    RecordId, SignedRecord,
    limits::{MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_WIRE_BYTES},
    record::SIGNATURE_BYTES,
};
use libp2p::gossipsub;

use crate::Error;

/// Room for gossipsub's envelope around the record bytes (source peer id, sequence
/// number, topic name, signature, key, protobuf framing): `max_transmit_size` bounds
/// the whole RPC frame, not just the payload. 4 KiB is several times the envelope of our
/// longest topic name.
const GOSSIP_ENVELOPE_BYTES: usize = 4 * 1024;

/// The 2-byte header length that opens a wire record.
const WIRE_LENGTH_PREFIX_BYTES: usize = 2;

/// Largest gossipsub frame, the same on every node (the limit applies on the receiver).
pub(crate) const MAX_TRANSMIT_BYTES: usize = MAX_WIRE_BYTES;

// The largest valid record plus gossipsub's envelope must fit in one frame, or a valid
// record could be refused by the transport instead of judged by the node.
const _: () = assert!(
    WIRE_LENGTH_PREFIX_BYTES
        + MAX_HEADER_BYTES
        + SIGNATURE_BYTES
        + MAX_BODY_BYTES
        + GOSSIP_ENVELOPE_BYTES
        <= MAX_TRANSMIT_BYTES
);

/// Gossipsub mesh degrees. They must be set together: setting one alone leaves the
/// others at defaults that may contradict it, and gossipsub only validates per-topic
/// overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MeshParams {
    /// Minimum outbound peers kept in a mesh (D_out).
    pub outbound_min: usize,
    /// Below this many mesh peers the heartbeat grafts more (D_lo).
    pub low: usize,
    /// Target mesh size (D).
    pub n: usize,
    /// Above this many mesh peers the heartbeat prunes (D_hi).
    pub high: usize,
}

/// Mesh degrees for federations of 2–20 nodes per topic: a mesh forms with two peers,
/// aims for four, and tolerates twelve before pruning.
pub(crate) const MESH: MeshParams = MeshParams {
    outbound_min: 1,
    low: 2,
    n: 4,
    high: 12,
};

impl MeshParams {
    /// Checks the invariants gossipsub's heartbeat relies on (it subtracts these
    /// numbers and panics in debug builds when they contradict).
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let MeshParams {
            outbound_min,
            low,
            n,
            high,
        } = *self;
        if !(outbound_min <= low && low <= n && n <= high) {
            return Err(Error::Config(format!(
                "gossipsub mesh degrees must satisfy outbound_min <= low <= n <= high, \
                 got {outbound_min} <= {low} <= {n} <= {high}"
            )));
        }
        if 2 * outbound_min > n {
            return Err(Error::Config(format!(
                "gossipsub mesh outbound_min ({outbound_min}) must be at most half of n ({n})"
            )));
        }
        Ok(())
    }
}

/// Domain separation for message ids, so they never collide with other BLAKE3 uses.
const MESSAGE_ID_CONTEXT: &str = "ensemble 2025 gossip message id v1";

/// The gossipsub message id of a record on a topic: BLAKE3 over the topic and the
/// record id. The topic is part of it because one record is published on two topics
/// (its network's and its author's school topic) and gossipsub refuses a second publish
/// of a known id.
pub fn message_id(topic: &str, record_id: &RecordId) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_derive_key(MESSAGE_ID_CONTEXT);
    hasher.update(&[1]); // tag: a decodable record
    hasher.update(&(topic.len() as u64).to_be_bytes());
    hasher.update(topic.as_bytes());
    hasher.update(record_id.as_bytes());
    *hasher.finalize().as_bytes()
}

/// The id of bytes that do not decode as a record (they are rejected by the node; the
/// id only has to be stable): BLAKE3 over the topic and the raw bytes.
fn undecodable_message_id(topic: &str, data: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_derive_key(MESSAGE_ID_CONTEXT);
    hasher.update(&[0]); // tag: raw bytes
    hasher.update(&(topic.len() as u64).to_be_bytes());
    hasher.update(topic.as_bytes());
    hasher.update(data);
    *hasher.finalize().as_bytes()
}

/// The message id of any gossip payload on a topic: [`message_id`] for bytes that
/// decode as a record, a content hash for bytes that do not. Public so that the
/// fuzzer and tests judge payloads exactly as gossipsub ids them, without a swarm.
pub fn payload_message_id(topic: &str, data: &[u8]) -> [u8; 32] {
    match SignedRecord::from_wire(data) {
        Ok(record) => message_id(topic, &record.id()),
        Err(_) => undecodable_message_id(topic, data),
    }
}

/// gossipsub's `message_id_fn`.
pub(crate) fn gossip_message_id(message: &gossipsub::Message) -> gossipsub::MessageId {
    gossipsub::MessageId::new(&payload_message_id(message.topic.as_str(), &message.data))
}

/// The gossipsub configuration every Ensemble node uses: strict signing, application
/// validation, content ids, our mesh degrees and frame size.
pub(crate) fn config(
    mesh: MeshParams,
    heartbeat_interval: Duration,
    heartbeat_initial_delay: Duration,
) -> Result<gossipsub::Config, Error> {
    mesh.validate()?;
    if heartbeat_interval.is_zero() {
        return Err(Error::Config("heartbeat_interval must be positive".into()));
    }
    gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Strict)
        .validate_messages()
        .message_id_fn(gossip_message_id)
        .max_transmit_size(MAX_TRANSMIT_BYTES)
        .mesh_outbound_min(mesh.outbound_min)
        .mesh_n_low(mesh.low)
        .mesh_n(mesh.n)
        .mesh_n_high(mesh.high)
        .heartbeat_interval(heartbeat_interval)
        .heartbeat_initial_delay(heartbeat_initial_delay)
        .build()
        .map_err(|error| Error::Config(format!("gossipsub: {error}")))
}

#[cfg(test)]
mod tests {
    use ensemble_core::{Kind, SchoolId, record::Header};

    use super::*;

    fn check(mesh: MeshParams, ok: bool) {
        assert_eq!(mesh.validate().is_ok(), ok, "{mesh:?}");
        assert_eq!(
            config(mesh, Duration::from_secs(1), Duration::from_millis(100)).is_ok(),
            ok,
            "{mesh:?}"
        );
    }

    fn mesh(outbound_min: usize, low: usize, n: usize, high: usize) -> MeshParams {
        MeshParams {
            outbound_min,
            low,
            n,
            high,
        }
    }

    #[test]
    fn mesh_parameters_are_validated() {
        check(MESH, true);
        check(mesh(2, 4, 6, 12), true); // gossipsub's defaults
        check(mesh(0, 0, 0, 0), true);
        check(mesh(1, 2, 2, 2), true);
        check(mesh(1, 5, 4, 12), false); // low > n: the trap of setting mesh_n alone
        check(mesh(1, 2, 13, 12), false); // n > high
        check(mesh(3, 2, 4, 12), false); // outbound_min > low
        check(mesh(3, 3, 5, 12), false); // 2 * outbound_min > n
    }

    #[test]
    fn zero_heartbeat_is_refused() {
        assert!(matches!(
            config(MESH, Duration::ZERO, Duration::ZERO),
            Err(Error::Config(_))
        ));
    }

    /// Wire bytes of an unsigned (but decodable) record: `from_wire` checks framing, not
    /// signatures, and that is all the message id needs.
    fn wire_record(seq: u64) -> Vec<u8> {
        let header = Header {
            version: ensemble_core::limits::FORMAT_VERSION,
            network: "test-net".into(),
            kind: Kind::ALL[0],
            author: SchoolId([3; 32]),
            seq,
            backlink: (seq > 1).then_some(RecordId([9; 32])),
            created_at: 1_700_000_000_000,
            doc: None,
            payload_hash: [0; 32],
            payload_len: 0,
        };
        let header_bytes = header.encode();
        let mut wire = (header_bytes.len() as u16).to_be_bytes().to_vec();
        wire.extend_from_slice(&header_bytes);
        wire.extend_from_slice(&[5; 64]);
        wire
    }

    fn gossip(topic: &str, data: Vec<u8>) -> gossipsub::Message {
        gossipsub::Message {
            source: None,
            data,
            sequence_number: None,
            topic: gossipsub::TopicHash::from_raw(topic),
        }
    }

    #[test]
    fn message_id_is_topic_and_record_id() {
        let wire = wire_record(1);
        let record = SignedRecord::from_wire(&wire).expect("decodable record");
        let on_network = gossip_message_id(&gossip("ensemble/1/net/catalog", wire.clone()));
        let on_school = gossip_message_id(&gossip("ensemble/1/school/x", wire.clone()));

        assert_eq!(
            on_network.0,
            message_id("ensemble/1/net/catalog", &record.id()).to_vec()
        );
        assert_ne!(on_network, on_school, "one record, two topics, two ids");
        assert_eq!(
            on_network,
            gossip_message_id(&gossip("ensemble/1/net/catalog", wire)),
            "the id is stable"
        );
        assert_ne!(
            on_network,
            gossip_message_id(&gossip("ensemble/1/net/catalog", wire_record(2))),
            "different records, different ids"
        );
    }

    #[test]
    fn undecodable_data_gets_a_stable_content_id() {
        let a = gossip_message_id(&gossip("t", b"garbage".to_vec()));
        assert_eq!(a, gossip_message_id(&gossip("t", b"garbage".to_vec())));
        assert_ne!(a, gossip_message_id(&gossip("t", b"garbage2".to_vec())));
        assert_ne!(a, gossip_message_id(&gossip("u", b"garbage".to_vec())));
    }
}
