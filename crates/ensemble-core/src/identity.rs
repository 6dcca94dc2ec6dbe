//! The school key: one ed25519 key per school node, which signs records and is also
//! the node's libp2p identity.

use ed25519_dalek::{Signer, SigningKey};

use crate::SchoolId;

/// Domain-separation prefix for record signatures: a signature over a record header
/// can never be mistaken for a signature over anything else the same key signs
/// (libp2p's own handshake signatures use a different prefix).
pub const SIGNATURE_DOMAIN: &[u8] = b"ensemble/record/v1\0";

/// Why a key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The operating system's random source failed.
    #[error("the system random source failed: {0}")]
    Random(String),
    /// A key file that is not exactly 32 bytes.
    #[error("a school key is 32 bytes, this one is {0}")]
    Length(usize),
}

/// A school's signing key.
#[derive(Clone)]
pub struct SchoolKey {
    signing: SigningKey,
}

impl SchoolKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SchoolKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|error| KeyError::Random(error.to_string()))?;
        Ok(SchoolKey::from_seed(seed))
    }

    /// The key for a 32-byte seed (the key file's content; fixed seeds in tests).
    pub fn from_seed(seed: [u8; 32]) -> SchoolKey {
        SchoolKey {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The key for a key file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<SchoolKey, KeyError> {
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Length(bytes.len()))?;
        Ok(SchoolKey::from_seed(seed))
    }

    /// The 32-byte seed, for the key file and for deriving the libp2p identity.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The school id (public key).
    pub fn school_id(&self) -> SchoolId {
        SchoolId(self.signing.verifying_key().to_bytes())
    }

    /// Signs `message` as is. Crate-internal: every caller puts its own constant domain
    /// prefix first (the key rotation's `ROTATION_DOMAIN`), so no two statements the key
    /// makes can be confused.
    pub(crate) fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// Signs header bytes behind the domain prefix.
    pub(crate) fn sign_header(&self, header_bytes: &[u8]) -> [u8; 64] {
        let mut message = Vec::with_capacity(SIGNATURE_DOMAIN.len() + header_bytes.len());
        message.extend_from_slice(SIGNATURE_DOMAIN);
        message.extend_from_slice(header_bytes);
        self.signing.sign(&message).to_bytes()
    }
}

impl std::fmt::Debug for SchoolKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SchoolKey({})", self.school_id())
    }
}
