//! `key_rotation` — Смена ключа школы: a school moves from its old key to a new one.
//!
//! Both keys sign: the old key signs the record (its header author must be `from`,
//! checked by [`crate::governance::check_envelope`] where the header is known), and the
//! new key signs [`rotation_message`] inside the body (`to_signature`), checked here
//! with `verify_strict`. So nobody can claim someone else's key as their successor, and
//! nobody but the holder of the old key can hand a school's identity on.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::governance::school_id;
use super::read::{Checker, Object, string};
use crate::record::SIGNATURE_BYTES;
use crate::{SchoolId, SchoolKey};

/// Domain-separation prefix of the new key's signature: distinct from the record
/// prefix (`ensemble/record/v1\0`) and from libp2p's, so this signature can never be
/// replayed as any other statement the key makes. 24 bytes, the last a zero byte.
pub const ROTATION_DOMAIN: &[u8] = b"ensemble/1/key-rotation\0";

/// A school's move from one key to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyRotation {
    /// The old key: the record's author.
    pub from: SchoolId,
    /// The new key. Never equal to `from`.
    pub to: SchoolId,
    /// The new key's signature over [`rotation_message`]`(from, to)`.
    pub to_signature: RotationSignature,
}

/// An ed25519 signature written like ids: multibase base32 (`b` + lowercase RFC 4648
/// base32 without padding), 104 characters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RotationSignature(pub [u8; SIGNATURE_BYTES]);

/// Length of a signature's text form: `b` plus 103 base32 characters.
pub const SIGNATURE_TEXT_LEN: usize = 104;

/// Why a rotation's new-key signature does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    /// `from` and `to` are the same key.
    #[error("the new key is the old key")]
    SameKey,
    /// `to` is not a usable ed25519 public key (not a curve point, or of small order).
    #[error("the new key is not a usable ed25519 key")]
    BadKey,
    /// The signature does not verify under `to`.
    #[error("does not verify under the new key")]
    BadSignature,
}

/// Why a signature text does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a signature: 'b' and 103 lowercase base32 characters")]
pub struct SignatureTextError;

/// The bytes the new key signs, exactly: [`ROTATION_DOMAIN`] ‖ `from` (32 bytes) ‖ `to`
/// (32 bytes), 88 bytes in all. No network id: a school's identity spans networks, and
/// the statement "`to` succeeds `from`" means the same in each of them.
pub fn rotation_message(from: &SchoolId, to: &SchoolId) -> Vec<u8> {
    let mut message = Vec::with_capacity(ROTATION_DOMAIN.len() + 2 * from.as_bytes().len());
    message.extend_from_slice(ROTATION_DOMAIN);
    message.extend_from_slice(from.as_bytes());
    message.extend_from_slice(to.as_bytes());
    message
}

impl KeyRotation {
    /// A rotation from school id `from` to `new_key`, signed by the new key. The record
    /// carrying it must be signed by the old key (`from`).
    pub fn new(from: SchoolId, new_key: &SchoolKey) -> KeyRotation {
        let to = new_key.school_id();
        let signature = new_key.sign_raw(&rotation_message(&from, &to));
        KeyRotation {
            from,
            to,
            to_signature: RotationSignature(signature),
        }
    }

    /// The body JSON, ready for a draft signed by the old key.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::json!({
            "from": self.from.to_string(),
            "to": self.to.to_string(),
            "to_signature": self.to_signature.to_string(),
        })
        .to_string()
        .into_bytes()
    }

    /// Checks the new key's signature strictly (`verify_strict`: canonical encodings,
    /// no small-order keys).
    pub fn verify(&self) -> Result<(), RotationError> {
        if self.from == self.to {
            return Err(RotationError::SameKey);
        }
        let key =
            VerifyingKey::from_bytes(self.to.as_bytes()).map_err(|_| RotationError::BadKey)?;
        if key.is_weak() {
            return Err(RotationError::BadKey);
        }
        let signature = Signature::from_bytes(&self.to_signature.0);
        key.verify_strict(&rotation_message(&self.from, &self.to), &signature)
            .map_err(|_| RotationError::BadSignature)
    }
}

/// The `key_rotation` body moving `old`'s school to `new`: what `ensemble key rotate`
/// publishes, signed (as a record) by `old`.
pub fn key_rotation_body(old: &SchoolKey, new: &SchoolKey) -> Vec<u8> {
    KeyRotation::new(old.school_id(), new).to_json()
}

impl fmt::Display for RotationSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoded = data_encoding::BASE32_NOPAD
            .encode(&self.0)
            .to_ascii_lowercase();
        write!(f, "b{encoded}")
    }
}

impl fmt::Debug for RotationSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RotationSignature({self})")
    }
}

impl FromStr for RotationSignature {
    type Err = SignatureTextError;

    fn from_str(text: &str) -> Result<RotationSignature, SignatureTextError> {
        let rest = text
            .strip_prefix('b')
            .filter(|_| text.len() == SIGNATURE_TEXT_LEN)
            .ok_or(SignatureTextError)?;
        // Uppercase would give a second spelling of the same bytes.
        if rest.bytes().any(|byte| byte.is_ascii_uppercase()) {
            return Err(SignatureTextError);
        }
        let bytes = data_encoding::BASE32_NOPAD
            .decode(rest.to_ascii_uppercase().as_bytes())
            .map_err(|_| SignatureTextError)?;
        bytes
            .try_into()
            .map(RotationSignature)
            .map_err(|_| SignatureTextError)
    }
}

impl Serialize for RotationSignature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Reads a `key_rotation` body and verifies the new key's signature.
pub(super) fn read(checker: &mut Checker, value: &Value) -> Option<KeyRotation> {
    let mut object = Object::read(checker, "", value)?;
    let from = object.req(checker, "from", school_id);
    let to = object.req(checker, "to", school_id);
    let to_signature = object.req(checker, "to_signature", signature);
    object.finish(checker);
    let rotation = KeyRotation {
        from: from?,
        to: to?,
        to_signature: to_signature?,
    };
    match rotation.verify() {
        Ok(()) => Some(rotation),
        Err(RotationError::SameKey) => {
            checker.fail("to", "must differ from from");
            None
        }
        Err(RotationError::BadKey) => {
            checker.fail("to", RotationError::BadKey.to_string());
            None
        }
        Err(RotationError::BadSignature) => {
            checker.fail("to_signature", RotationError::BadSignature.to_string());
            None
        }
    }
}

/// A signature in its text form.
fn signature(checker: &mut Checker, path: &str, value: &Value) -> Option<RotationSignature> {
    let text = string(checker, path, value)?;
    match text.parse() {
        Ok(signature) => Some(signature),
        Err(error) => {
            checker.fail(path, error.to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Kind;
    use crate::body::testing::{check, message, with, without};
    use crate::body::{Body, Mode, validate};

    fn key(seed: u8) -> SchoolKey {
        SchoolKey::from_seed([seed; 32])
    }

    fn valid() -> Value {
        let body = key_rotation_body(&key(1), &key(2));
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    }

    #[test]
    fn a_built_rotation_passes_and_names_both_keys() {
        let bytes = key_rotation_body(&key(1), &key(2));
        let Ok(Body::KeyRotation(rotation)) = validate(Kind::KeyRotation, &bytes, Mode::Local)
        else {
            panic!("refused");
        };
        assert_eq!(rotation.from, key(1).school_id());
        assert_eq!(rotation.to, key(2).school_id());
        assert_eq!(rotation.to_signature.to_string().len(), SIGNATURE_TEXT_LEN);
        assert_eq!(rotation.verify(), Ok(()));
    }

    #[test]
    fn the_signed_message_is_prefix_from_to() {
        let (from, to) = (key(1).school_id(), key(2).school_id());
        let message = rotation_message(&from, &to);
        assert_eq!(ROTATION_DOMAIN.len(), 24);
        assert_eq!(message.len(), 88);
        assert_eq!(&message[..24], b"ensemble/1/key-rotation\0");
        assert_eq!(&message[24..56], from.as_bytes());
        assert_eq!(&message[56..], to.as_bytes());
    }

    #[test]
    fn each_required_field() {
        for field in ["from", "to", "to_signature"] {
            let result = check(
                Kind::KeyRotation,
                &without(&valid(), &format!("/{field}")),
                &[field],
            );
            assert_eq!(message(&result, field), "is required");
        }
    }

    #[test]
    fn faults() {
        let base = valid();
        let other = key_rotation_body(&key(1), &key(3));
        let other: Value = serde_json::from_slice(&other).unwrap_or(Value::Null);
        // Signed by key 2 over (1 → 2), then claimed for (3 → 2): the message differs.
        let stolen = with(&base, "/from", json!(key(3).school_id().to_string()));
        let signature = base["to_signature"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/from", json!("b12")), &["from"]),
            (with(&base, "/to", json!(7)), &["to"]),
            (with(&base, "/to", base["from"].clone()), &["to"]),
            (
                with(&base, "/to_signature", json!("b12")),
                &["to_signature"],
            ),
            (
                with(&base, "/to_signature", json!(signature.to_uppercase())),
                &["to_signature"],
            ),
            (
                with(&base, "/to_signature", other["to_signature"].clone()),
                &["to_signature"],
            ),
            (stolen, &["to_signature"]),
            (with(&base, "/to", other["to"].clone()), &["to_signature"]),
            (with(&base, "/extra", json!(1)), &["extra"]),
        ];
        for (body, expected) in cases {
            check(Kind::KeyRotation, &body, expected);
        }
        let same = check(
            Kind::KeyRotation,
            &with(&base, "/to", base["from"].clone()),
            &["to"],
        );
        assert_eq!(message(&same, "to"), "must differ from from");
        let forged = check(
            Kind::KeyRotation,
            &with(&base, "/to_signature", other["to_signature"].clone()),
            &["to_signature"],
        );
        assert_eq!(
            message(&forged, "to_signature"),
            "does not verify under the new key"
        );
    }

    #[test]
    fn a_small_order_new_key_is_refused() {
        // The identity point: a weak key any signature "verifies" under without
        // verify_strict; it must never become a school's key.
        let mut weak = [0u8; 32];
        weak[0] = 1;
        let body = with(&valid(), "/to", json!(SchoolId(weak).to_string()));
        let result = check(Kind::KeyRotation, &body, &["to"]);
        assert_eq!(
            message(&result, "to"),
            "the new key is not a usable ed25519 key"
        );
    }

    #[test]
    fn the_documented_example_is_byte_for_byte_what_the_code_builds() {
        // `docs/protocol.md` and `docs/governance.md` show this body and message; ed25519
        // signatures are deterministic, so the text is fixed for seeds 1 (old) and 2 (new).
        let example = concat!(
            r#"{"from":"brkeohxlubhyzl7ks3mwtzos5olfgocn7dwkbeg7toseadnapn5oa","#,
            r#""to":"bqe4xodvipulv6vvdkrtmgtd6ztfy3curwtxdpis56yhvxd6jwoka","#,
            r#""to_signature":"blpzwp2w4qiyw5modcwd72oapwbidrdzshxp4ghyh62mugtloz6j7xonmvokq4yaokgbrnufsmffq3i4op542jvhfhmorpktwborycaq"}"#,
        );
        assert_eq!(
            String::from_utf8_lossy(&key_rotation_body(&key(1), &key(2))),
            example
        );
        let message: String = rotation_message(&key(1).school_id(), &key(2).school_id())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(
            message,
            concat!(
                "656e73656d626c652f312f6b65792d726f746174696f6e00",
                "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c",
                "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394",
            )
        );
    }

    #[test]
    fn signature_text_round_trips() {
        let signature = RotationSignature([0xa5; SIGNATURE_BYTES]);
        assert_eq!(signature.to_string().parse(), Ok(signature));
        assert_eq!("b".parse::<RotationSignature>(), Err(SignatureTextError));
        let padded = format!("{signature}=");
        assert_eq!(padded.parse::<RotationSignature>(), Err(SignatureTextError));
    }
}
