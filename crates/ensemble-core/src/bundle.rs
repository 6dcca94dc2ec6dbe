//! Export bundles: a self-describing file of wire records for backup, migration and
//! sneakernet. Every record in a bundle is verified again on import.
//!
//! ```text
//! bundle = MAGIC | (record_len u32 | wire record)*
//! ```

use crate::limits::MAX_WIRE_BYTES;

/// First bytes of every bundle (format version 1).
pub const MAGIC: &[u8] = b"ENSEMBLE-BUNDLE/1\n";

/// Why a bundle could not be read at all (single bad records are reported by import).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The file does not start with [`MAGIC`].
    #[error("not an Ensemble bundle (missing the ENSEMBLE-BUNDLE/1 header)")]
    NotABundle,
    /// A length prefix runs past the end of the file or over the record limit.
    #[error("bundle is truncated or corrupt at byte {0}")]
    Truncated(usize),
}

/// Starts a bundle.
pub fn new_bundle() -> Vec<u8> {
    MAGIC.to_vec()
}

/// Appends one wire record to a bundle.
pub fn push_record(bundle: &mut Vec<u8>, wire: &[u8]) {
    // Wire records are at most MAX_WIRE_BYTES, far below u32::MAX.
    bundle.extend_from_slice(&(wire.len() as u32).to_be_bytes());
    bundle.extend_from_slice(wire);
}

/// Splits a bundle into its wire records (not yet decoded or verified).
pub fn split(bundle: &[u8]) -> Result<Vec<&[u8]>, BundleError> {
    let mut rest = bundle.strip_prefix(MAGIC).ok_or(BundleError::NotABundle)?;
    let mut records = Vec::new();
    while !rest.is_empty() {
        let offset = bundle.len() - rest.len();
        if rest.len() < 4 {
            return Err(BundleError::Truncated(offset));
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if len > MAX_WIRE_BYTES || rest.len() < 4 + len {
            return Err(BundleError::Truncated(offset));
        }
        records.push(&rest[4..4 + len]);
        rest = &rest[4 + len..];
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_what_was_pushed_and_refuses_damage() {
        let mut bundle = new_bundle();
        push_record(&mut bundle, b"one");
        push_record(&mut bundle, b"three");
        assert_eq!(split(&bundle), Ok(vec![&b"one"[..], &b"three"[..]]));
        assert_eq!(split(b"garbage"), Err(BundleError::NotABundle));
        let cut = &bundle[..bundle.len() - 1];
        assert!(matches!(split(cut), Err(BundleError::Truncated(_))));
    }
}
