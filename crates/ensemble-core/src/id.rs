//! Text forms of the two 32-byte names in Ensemble: school ids (ed25519 public keys)
//! and record ids (BLAKE3 hashes).
//!
//! Both use multibase base32 (RFC 4648, lowercase, no padding) with the `b` prefix:
//! 53 ASCII characters, safe in URLs, topics, file names and spoken aloud.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length of the text form: `b` plus 52 base32 characters.
pub const ID_TEXT_LEN: usize = 53;

/// Why a text id could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Wrong length or missing `b` prefix.
    #[error("expected 53 characters starting with 'b', got {0} characters")]
    Shape(usize),
    /// Not lowercase base32.
    #[error("not lowercase base32")]
    Encoding,
}

fn encode(bytes: &[u8; 32]) -> String {
    let mut text = String::with_capacity(ID_TEXT_LEN);
    text.push('b');
    text.push_str(
        &data_encoding::BASE32_NOPAD
            .encode(bytes)
            .to_ascii_lowercase(),
    );
    text
}

fn decode(text: &str) -> Result<[u8; 32], IdError> {
    let Some(rest) = text.strip_prefix('b') else {
        return Err(IdError::Shape(text.chars().count()));
    };
    if text.len() != ID_TEXT_LEN {
        return Err(IdError::Shape(text.chars().count()));
    }
    if rest.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(IdError::Encoding);
    }
    let bytes = data_encoding::BASE32_NOPAD
        .decode(rest.to_ascii_uppercase().as_bytes())
        .map_err(|_| IdError::Encoding)?;
    bytes.try_into().map_err(|_| IdError::Encoding)
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The raw 32 bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&encode(&self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                decode(text.trim()).map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_string())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A school's id: its ed25519 public key. The same key is the node's libp2p identity.
    SchoolId
);
id_type!(
    /// A record's id: BLAKE3 over the header bytes and the signature.
    RecordId
);

impl SchoolId {
    /// The first 8 characters after the prefix: enough to tell schools apart in logs.
    pub fn short(&self) -> String {
        encode(&self.0)[1..9].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_bad_text() {
        let id = RecordId([7; 32]);
        let text = id.to_string();
        assert_eq!(text.len(), ID_TEXT_LEN);
        assert!(text.starts_with('b'));
        assert_eq!(text.parse::<RecordId>(), Ok(id));
        assert_eq!("x".parse::<RecordId>(), Err(IdError::Shape(1)));
        assert_eq!(
            text.to_uppercase()
                .replacen('B', "b", 1)
                .parse::<RecordId>(),
            Err(IdError::Encoding)
        );
        let bad = format!("b{}", "1".repeat(52));
        assert_eq!(bad.parse::<RecordId>(), Err(IdError::Encoding));
    }
}
