//! The record envelope: a signed deterministic binary header plus a JSON body that the
//! header commits to by hash.
//!
//! Layout (all integers big-endian; `docs/protocol.md` has the full description and
//! test vectors):
//!
//! ```text
//! header  = version u8 | network_len u8 | network | kind u8 | author [32] | seq u64
//!         | backlink_flag u8 [| backlink 32] | created_at u64 | doc_flag u8 [| doc 32]
//!         | payload_hash [32] | payload_len u32
//! signed  = ed25519(SIGNATURE_DOMAIN | header)
//! id      = BLAKE3(header | signature)
//! wire    = header_len u16 | header | signature [64] | body (empty when purged)
//! ```
//!
//! Decoding is strict: every byte is accounted for, flags are 0 or 1, limits are
//! checked before anything is allocated from attacker-controlled lengths.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::body::{self, Body, Mode};
use crate::identity::SIGNATURE_DOMAIN;
use crate::limits::{
    FORMAT_VERSION, MAX_BODY_BYTES, MAX_CLOCK_SKEW_MS, MAX_HEADER_BYTES, MAX_NETWORK_ID_BYTES,
    MAX_WIRE_BYTES,
};
use crate::{Kind, RecordId, SchoolId, SchoolKey, ValidationErrors};

/// Size of the framing in front of the header.
const WIRE_PREFIX_BYTES: usize = 2;
/// Size of an ed25519 signature.
pub const SIGNATURE_BYTES: usize = 64;

/// A record header: everything that is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Format version; [`FORMAT_VERSION`] for records this build writes.
    pub version: u8,
    /// The network the record was published in (a slug such as `ru-tat`).
    pub network: String,
    /// What the body is.
    pub kind: Kind,
    /// The author school.
    pub author: SchoolId,
    /// Position in the author's log, contiguous from 1.
    pub seq: u64,
    /// Id of the author's previous record; `None` exactly when `seq == 1`.
    pub backlink: Option<RecordId>,
    /// Unix time in milliseconds.
    pub created_at: u64,
    /// The document this record is a version of; `None` on a document's first version.
    pub doc: Option<RecordId>,
    /// BLAKE3 of the body bytes.
    pub payload_hash: [u8; 32],
    /// Length of the body bytes.
    pub payload_len: u32,
}

/// Why a record was refused. [`RecordError::is_reject`] tells a peer's fault (gossipsub
/// `Reject`) from a record this node merely cannot use (`Ignore`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Framing or header bytes that do not decode.
    #[error("malformed record: {0}")]
    Malformed(&'static str),
    /// A part over its limit.
    #[error("{what} is {size} bytes, the limit is {limit}")]
    TooLarge {
        /// Which part.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A newer format version than this build understands.
    #[error("record format version {0} is not supported by this node")]
    UnsupportedVersion(u8),
    /// A kind code this build does not know (a newer node's kind).
    #[error("unknown record kind code {0}")]
    UnknownKind(u8),
    /// `created_at` too far ahead of the local clock.
    #[error("record is dated {ahead_ms} ms in the future")]
    FromTheFuture {
        /// How far ahead of the local clock.
        ahead_ms: u64,
    },
    /// The author key is a weak (small-order) point.
    #[error("author key is weak")]
    WeakKey,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The body does not match the header's hash or length.
    #[error("body does not match the header's payload hash or length")]
    PayloadMismatch,
    /// The body is not a valid body of its kind.
    #[error("invalid {kind} body: {errors}")]
    InvalidBody {
        /// The record's kind.
        kind: Kind,
        /// Every field at fault.
        errors: ValidationErrors,
    },
}

impl RecordError {
    /// True when the record is invalid for every node (bad signature, malformed,
    /// oversize, from the future); false when it is only unusable here (unknown newer
    /// version or kind).
    pub fn is_reject(&self) -> bool {
        !matches!(
            self,
            RecordError::UnsupportedVersion(_) | RecordError::UnknownKind(_)
        )
    }
}

impl Header {
    /// The canonical header bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(200);
        out.push(self.version);
        // The network id is bounded by MAX_NETWORK_ID_BYTES (< 256) when built through
        // `sign`; `min` keeps a hand-built header from wrapping.
        let network = &self.network.as_bytes()[..self.network.len().min(MAX_NETWORK_ID_BYTES)];
        out.push(network.len() as u8);
        out.extend_from_slice(network);
        out.push(self.kind.code());
        out.extend_from_slice(self.author.as_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        push_optional_id(&mut out, self.backlink.as_ref());
        out.extend_from_slice(&self.created_at.to_be_bytes());
        push_optional_id(&mut out, self.doc.as_ref());
        out.extend_from_slice(&self.payload_hash);
        out.extend_from_slice(&self.payload_len.to_be_bytes());
        out
    }

    /// Decodes canonical header bytes, strictly.
    pub fn decode(bytes: &[u8]) -> Result<Header, RecordError> {
        if bytes.len() > MAX_HEADER_BYTES {
            return Err(RecordError::TooLarge {
                what: "header",
                size: bytes.len(),
                limit: MAX_HEADER_BYTES,
            });
        }
        let mut reader = Reader { bytes, at: 0 };
        let version = reader.u8()?;
        if version != FORMAT_VERSION {
            return Err(if version > FORMAT_VERSION {
                RecordError::UnsupportedVersion(version)
            } else {
                RecordError::Malformed("format version 0 does not exist")
            });
        }
        let network_len = reader.u8()? as usize;
        let network = std::str::from_utf8(reader.take(network_len)?)
            .map_err(|_| RecordError::Malformed("network id is not UTF-8"))?
            .to_string();
        if !is_network_id(&network) {
            return Err(RecordError::Malformed("network id is not a lowercase slug"));
        }
        let kind_code = reader.u8()?;
        let kind = Kind::from_code(kind_code).ok_or(RecordError::UnknownKind(kind_code))?;
        let author = SchoolId(reader.array()?);
        let seq = reader.u64()?;
        let backlink = reader.optional_id()?;
        let created_at = reader.u64()?;
        let doc = reader.optional_id()?;
        let payload_hash = reader.array()?;
        let payload_len = reader.u32()?;
        if reader.at != bytes.len() {
            return Err(RecordError::Malformed("trailing bytes after the header"));
        }
        if seq == 0 {
            return Err(RecordError::Malformed("seq starts at 1"));
        }
        if (seq == 1) != backlink.is_none() {
            return Err(RecordError::Malformed(
                "backlink must be absent exactly at seq 1",
            ));
        }
        if payload_len as usize > MAX_BODY_BYTES {
            return Err(RecordError::TooLarge {
                what: "body",
                size: payload_len as usize,
                limit: MAX_BODY_BYTES,
            });
        }
        Ok(Header {
            version,
            network,
            kind,
            author,
            seq,
            backlink,
            created_at,
            doc,
            payload_hash,
            payload_len,
        })
    }
}

/// True for a valid network id: 1–64 bytes of `a-z`, `0-9` and inner `-`.
pub fn is_network_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_NETWORK_ID_BYTES
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

fn push_optional_id(out: &mut Vec<u8>, id: Option<&RecordId>) {
    match id {
        None => out.push(0),
        Some(id) => {
            out.push(1);
            out.extend_from_slice(id.as_bytes());
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], RecordError> {
        let end = self
            .at
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(RecordError::Malformed("header is truncated"))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, RecordError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, RecordError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, RecordError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn optional_id(&mut self) -> Result<Option<RecordId>, RecordError> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(RecordId(self.array()?))),
            _ => Err(RecordError::Malformed("an optional-id flag must be 0 or 1")),
        }
    }
}

/// A decoded record whose signature has not been checked yet. Only
/// [`SignedRecord::verify`] and [`verify_batch`] turn it into a [`VerifiedRecord`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRecord {
    header: Header,
    header_bytes: Vec<u8>,
    signature: [u8; SIGNATURE_BYTES],
    body: Option<Vec<u8>>,
    id: RecordId,
}

impl SignedRecord {
    /// Decodes wire bytes. Checks framing and sizes; not the signature.
    pub fn from_wire(bytes: &[u8]) -> Result<SignedRecord, RecordError> {
        if bytes.len() > MAX_WIRE_BYTES {
            return Err(RecordError::TooLarge {
                what: "record",
                size: bytes.len(),
                limit: MAX_WIRE_BYTES,
            });
        }
        if bytes.len() < WIRE_PREFIX_BYTES {
            return Err(RecordError::Malformed("record is truncated"));
        }
        let header_len = u16::from_be_bytes([bytes[0], bytes[1]]) as usize;
        if header_len > MAX_HEADER_BYTES {
            return Err(RecordError::TooLarge {
                what: "header",
                size: header_len,
                limit: MAX_HEADER_BYTES,
            });
        }
        let signature_end = WIRE_PREFIX_BYTES + header_len + SIGNATURE_BYTES;
        if bytes.len() < signature_end {
            return Err(RecordError::Malformed("record is truncated"));
        }
        let header_bytes = bytes[WIRE_PREFIX_BYTES..WIRE_PREFIX_BYTES + header_len].to_vec();
        let header = Header::decode(&header_bytes)?;
        let mut signature = [0u8; SIGNATURE_BYTES];
        signature.copy_from_slice(&bytes[WIRE_PREFIX_BYTES + header_len..signature_end]);
        let body = &bytes[signature_end..];
        let body = (!body.is_empty()).then(|| body.to_vec());
        Ok(SignedRecord::assemble(
            header,
            header_bytes,
            signature,
            body,
        ))
    }

    /// Rebuilds a record from stored parts (header bytes, signature, optional body).
    pub fn from_parts(
        header_bytes: &[u8],
        signature: [u8; SIGNATURE_BYTES],
        body: Option<Vec<u8>>,
    ) -> Result<SignedRecord, RecordError> {
        let header = Header::decode(header_bytes)?;
        Ok(SignedRecord::assemble(
            header,
            header_bytes.to_vec(),
            signature,
            body,
        ))
    }

    fn assemble(
        header: Header,
        header_bytes: Vec<u8>,
        signature: [u8; SIGNATURE_BYTES],
        body: Option<Vec<u8>>,
    ) -> SignedRecord {
        let id = record_id(&header_bytes, &signature);
        SignedRecord {
            header,
            header_bytes,
            signature,
            body,
            id,
        }
    }

    /// The record id (computed from bytes; not yet trusted).
    pub fn id(&self) -> RecordId {
        self.id
    }

    /// The decoded header (not yet trusted).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Every check except the signature: clock, body hash and length, body schema.
    /// Returns the parsed body when one is present.
    fn check_contents(&self, now_ms: u64) -> Result<Option<Body>, RecordError> {
        if self.header.created_at > now_ms.saturating_add(MAX_CLOCK_SKEW_MS) {
            return Err(RecordError::FromTheFuture {
                ahead_ms: self.header.created_at - now_ms,
            });
        }
        let Some(body_bytes) = &self.body else {
            return Ok(None);
        };
        if body_bytes.len() != self.header.payload_len as usize
            || *blake3::hash(body_bytes).as_bytes() != self.header.payload_hash
        {
            return Err(RecordError::PayloadMismatch);
        }
        body::validate(self.header.kind, body_bytes, Mode::Received)
            .map(Some)
            .map_err(|errors| RecordError::InvalidBody {
                kind: self.header.kind,
                errors,
            })
    }

    fn verifying_key(&self) -> Result<VerifyingKey, RecordError> {
        let key = VerifyingKey::from_bytes(self.header.author.as_bytes())
            .map_err(|_| RecordError::BadSignature)?;
        if key.is_weak() {
            return Err(RecordError::WeakKey);
        }
        Ok(key)
    }

    fn signed_message(&self) -> Vec<u8> {
        let mut message = Vec::with_capacity(SIGNATURE_DOMAIN.len() + self.header_bytes.len());
        message.extend_from_slice(SIGNATURE_DOMAIN);
        message.extend_from_slice(&self.header_bytes);
        message
    }

    /// Verifies the signature (strictly), the clock bound, the body's hash and schema.
    pub fn verify(self, now_ms: u64) -> Result<VerifiedRecord, RecordError> {
        let body = self.check_contents(now_ms)?;
        let key = self.verifying_key()?;
        let signature = Signature::from_bytes(&self.signature);
        key.verify_strict(&self.signed_message(), &signature)
            .map_err(|_| RecordError::BadSignature)?;
        Ok(VerifiedRecord { record: self, body })
    }
}

/// Verifies many records at once: content checks one by one, signatures in one ed25519
/// batch (after the weak-key check each); when the batch fails, each record is
/// verified alone so that only the bad ones are refused.
pub fn verify_batch(
    records: Vec<SignedRecord>,
    now_ms: u64,
) -> Vec<Result<VerifiedRecord, RecordError>> {
    let mut results: Vec<Option<Result<VerifiedRecord, RecordError>>> = Vec::new();
    let mut candidates = Vec::new();
    for record in records {
        let checked = record
            .check_contents(now_ms)
            .and_then(|body| record.verifying_key().map(|key| (key, body)));
        match checked {
            Ok((key, body)) => {
                candidates.push((results.len(), key, body, record));
                results.push(None);
            }
            Err(error) => results.push(Some(Err(error))),
        }
    }
    let messages: Vec<Vec<u8>> = candidates
        .iter()
        .map(|(_, _, _, record)| record.signed_message())
        .collect();
    let message_refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let signatures: Vec<Signature> = candidates
        .iter()
        .map(|(_, _, _, record)| Signature::from_bytes(&record.signature))
        .collect();
    let keys: Vec<VerifyingKey> = candidates.iter().map(|(_, key, _, _)| *key).collect();
    let batch_ok = !candidates.is_empty()
        && ed25519_dalek::verify_batch(&message_refs, &signatures, &keys).is_ok();
    for ((slot, key, body, record), message) in candidates.into_iter().zip(messages) {
        let signature = Signature::from_bytes(&record.signature);
        // A batch that passes proves every signature valid under the cofactored
        // equation; verify_strict alone also refuses non-canonical encodings, which
        // `Signature::from_bytes` plus the batch's canonical-s check already refuse.
        let valid = batch_ok || key.verify_strict(&message, &signature).is_ok();
        results[slot] = Some(if valid {
            Ok(VerifiedRecord { record, body })
        } else {
            Err(RecordError::BadSignature)
        });
    }
    results
        .into_iter()
        .map(|result| result.unwrap_or(Err(RecordError::Malformed("internal: unverified"))))
        .collect()
}

fn record_id(header_bytes: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> RecordId {
    let mut hasher = blake3::Hasher::new();
    hasher.update(header_bytes);
    hasher.update(signature);
    RecordId(*hasher.finalize().as_bytes())
}

/// A record whose signature, limits and body have been checked. The only type the
/// store accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedRecord {
    record: SignedRecord,
    body: Option<Body>,
}

/// What the author wants to publish; [`sign`] adds the log position and signature.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The network to publish in.
    pub network: String,
    /// The body's kind.
    pub kind: Kind,
    /// The document this is a new version of, if any.
    pub doc: Option<RecordId>,
    /// The body JSON, exactly as it will be hashed and stored.
    pub body: Vec<u8>,
}

/// The author's log position for a new record.
#[derive(Debug, Clone, Copy)]
pub struct LogPosition {
    /// The next sequence number.
    pub seq: u64,
    /// The previous record's id, `None` at seq 1.
    pub backlink: Option<RecordId>,
}

/// Signs a draft at a log position. The body is validated strictly (unknown fields
/// refused) because it comes from the local user, who can fix it.
pub fn sign(
    key: &SchoolKey,
    draft: Draft,
    position: LogPosition,
    created_at: u64,
) -> Result<VerifiedRecord, RecordError> {
    if !is_network_id(&draft.network) {
        return Err(RecordError::Malformed("network id is not a lowercase slug"));
    }
    if draft.body.len() > MAX_BODY_BYTES {
        return Err(RecordError::TooLarge {
            what: "body",
            size: draft.body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    let body = body::validate(draft.kind, &draft.body, Mode::Local).map_err(|errors| {
        RecordError::InvalidBody {
            kind: draft.kind,
            errors,
        }
    })?;
    let header = Header {
        version: FORMAT_VERSION,
        network: draft.network,
        kind: draft.kind,
        author: key.school_id(),
        seq: position.seq,
        backlink: position.backlink,
        created_at,
        doc: draft.doc,
        payload_hash: *blake3::hash(&draft.body).as_bytes(),
        payload_len: draft.body.len() as u32,
    };
    let header_bytes = header.encode();
    let signature = key.sign_header(&header_bytes);
    let record = SignedRecord::assemble(header, header_bytes, signature, Some(draft.body));
    Ok(VerifiedRecord {
        record,
        body: Some(body),
    })
}

impl VerifiedRecord {
    /// The record id.
    pub fn id(&self) -> RecordId {
        self.record.id
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.record.header
    }

    /// The canonical header bytes.
    pub fn header_bytes(&self) -> &[u8] {
        &self.record.header_bytes
    }

    /// The signature bytes.
    pub fn signature(&self) -> &[u8; SIGNATURE_BYTES] {
        &self.record.signature
    }

    /// The body bytes, `None` when purged.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.record.body.as_deref()
    }

    /// The parsed body, `None` when purged.
    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }

    /// The author.
    pub fn author(&self) -> SchoolId {
        self.record.header.author
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.record.header.kind
    }

    /// The position in the author's log.
    pub fn seq(&self) -> u64 {
        self.record.header.seq
    }

    /// The document id: the header's `doc`, or this record's own id for a first version.
    pub fn doc(&self) -> RecordId {
        self.record.header.doc.unwrap_or(self.record.id)
    }

    /// The wire bytes (with the body when present).
    pub fn to_wire(&self) -> Vec<u8> {
        let body = self.record.body.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(
            WIRE_PREFIX_BYTES + self.record.header_bytes.len() + SIGNATURE_BYTES + body.len(),
        );
        // Header length is at most MAX_HEADER_BYTES (checked on decode, and a signed
        // header is far below it), so it fits a u16.
        out.extend_from_slice(&(self.record.header_bytes.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.record.header_bytes);
        out.extend_from_slice(&self.record.signature);
        out.extend_from_slice(body);
        out
    }

    /// The same record with its body purged (after a retraction). Still verifiable.
    pub fn without_body(&self) -> VerifiedRecord {
        let mut record = self.record.clone();
        record.body = None;
        VerifiedRecord { record, body: None }
    }

    /// Rebuilds a record the store had verified before, without verifying it again.
    /// Only for bytes read back from this node's own store.
    pub fn from_trusted_parts(
        header_bytes: &[u8],
        signature: [u8; SIGNATURE_BYTES],
        body: Option<Vec<u8>>,
    ) -> Result<VerifiedRecord, RecordError> {
        let record = SignedRecord::from_parts(header_bytes, signature, body)?;
        let body = match &record.body {
            Some(bytes) => Some(
                body::validate(record.header.kind, bytes, Mode::Received).map_err(|errors| {
                    RecordError::InvalidBody {
                        kind: record.header.kind,
                        errors,
                    }
                })?,
            ),
            None => None,
        };
        Ok(VerifiedRecord { record, body })
    }
}
