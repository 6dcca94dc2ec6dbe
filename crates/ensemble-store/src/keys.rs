//! Key and value layouts of the trees (see the table in the crate docs).

use ensemble_core::{Kind, RecordId, SchoolId};

use crate::Error;

pub(crate) fn read_u64(bytes: &[u8]) -> Result<u64, Error> {
    let array: [u8; 8] = bytes
        .try_into()
        .map_err(|_| Error::Corrupt("expected an 8-byte integer".into()))?;
    Ok(u64::from_be_bytes(array))
}

fn read_32(bytes: &[u8]) -> Result<[u8; 32], Error> {
    bytes
        .get(..32)
        .and_then(|slice| slice.try_into().ok())
        .ok_or_else(|| Error::Corrupt("expected a 32-byte id".into()))
}

pub(crate) fn read_school(bytes: &[u8]) -> Result<SchoolId, Error> {
    read_32(bytes).map(SchoolId)
}

pub(crate) fn read_record_id(bytes: &[u8]) -> Result<RecordId, Error> {
    read_32(bytes).map(RecordId)
}

/// author ‖ seq: the prefix of every record key at one log position.
pub(crate) fn position_prefix(author: &SchoolId, seq: u64) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(author.as_bytes());
    key[32..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// author ‖ seq ‖ id.
pub(crate) fn record_key(author: &SchoolId, seq: u64, id: &RecordId) -> [u8; 72] {
    let mut key = [0u8; 72];
    key[..40].copy_from_slice(&position_prefix(author, seq));
    key[40..].copy_from_slice(id.as_bytes());
    key
}

pub(crate) fn split_record_key(key: &[u8]) -> Result<(SchoolId, u64, RecordId), Error> {
    if key.len() != 72 {
        return Err(Error::Corrupt("record key length".into()));
    }
    Ok((
        read_school(&key[..32])?,
        read_u64(&key[32..40])?,
        read_record_id(&key[40..])?,
    ))
}

/// header_len u16 ‖ header ‖ signature.
pub(crate) fn record_value(header: &[u8], signature: &[u8; 64]) -> Vec<u8> {
    let mut value = Vec::with_capacity(2 + header.len() + 64);
    // Headers are at most MAX_HEADER_BYTES (512): they fit a u16.
    value.extend_from_slice(&(header.len() as u16).to_be_bytes());
    value.extend_from_slice(header);
    value.extend_from_slice(signature);
    value
}

pub(crate) fn split_record_value(value: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    if value.len() < 2 {
        return Err(Error::Corrupt("record value length".into()));
    }
    let header_len = u16::from_be_bytes([value[0], value[1]]) as usize;
    if value.len() != 2 + header_len + 64 {
        return Err(Error::Corrupt("record value length".into()));
    }
    Ok((&value[2..2 + header_len], &value[2 + header_len..]))
}

/// kind ‖ created_at ‖ id.
pub(crate) fn kind_time_key(kind: Kind, created_at: u64, id: &RecordId) -> [u8; 41] {
    let mut key = [0u8; 41];
    key[0] = kind.code();
    key[1..9].copy_from_slice(&created_at.to_be_bytes());
    key[9..].copy_from_slice(id.as_bytes());
    key
}

pub(crate) fn split_kind_time_key(key: &[u8]) -> Result<(u64, RecordId), Error> {
    if key.len() != 41 {
        return Err(Error::Corrupt("kind index key length".into()));
    }
    Ok((read_u64(&key[1..9])?, read_record_id(&key[9..])?))
}

/// a ‖ b, two record ids.
pub(crate) fn pair_key(first: &RecordId, second: &RecordId) -> [u8; 64] {
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(first.as_bytes());
    key[32..].copy_from_slice(second.as_bytes());
    key
}

/// doc ‖ author.
pub(crate) fn pair_key_school(doc: &RecordId, author: &SchoolId) -> [u8; 64] {
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(doc.as_bytes());
    key[32..].copy_from_slice(author.as_bytes());
    key
}

/// created_at ‖ id: compares as the (created_at, id) pair that picks the latest version.
pub(crate) fn latest_value(created_at: u64, id: &RecordId) -> [u8; 40] {
    let mut value = [0u8; 40];
    value[..8].copy_from_slice(&created_at.to_be_bytes());
    value[8..].copy_from_slice(id.as_bytes());
    value
}

pub(crate) fn latest_id(value: &[u8]) -> Result<RecordId, Error> {
    if value.len() != 40 {
        return Err(Error::Corrupt("docs value length".into()));
    }
    read_record_id(&value[8..])
}

/// network ‖ 0xff: 0xff never occurs in a network slug, so no network is a prefix of
/// another's keys.
pub(crate) fn network_prefix(network: &str) -> Vec<u8> {
    let mut key = network.as_bytes().to_vec();
    key.push(0xff);
    key
}

pub(crate) fn author_network_key(network: &str, author: &SchoolId) -> Vec<u8> {
    let mut key = network_prefix(network);
    key.extend_from_slice(author.as_bytes());
    key
}

/// A listing cursor: hex of created_at ‖ id of the last record returned.
pub(crate) fn format_cursor(created_at: u64, id: &RecordId) -> String {
    latest_value(created_at, id)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub(crate) fn parse_cursor(cursor: &str) -> Result<(u64, RecordId), Error> {
    let bad = || Error::InvalidCursor(cursor.to_string());
    if cursor.len() != 80 || !cursor.is_ascii() {
        return Err(bad());
    }
    let bytes: Vec<u8> = (0..40)
        .map(|index| u8::from_str_radix(&cursor[index * 2..index * 2 + 2], 16).map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    Ok((read_u64(&bytes[..8])?, read_record_id(&bytes[8..])?))
}
