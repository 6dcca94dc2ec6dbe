//! `by` — the attribution of a person (domain.md § Attribution): who, inside the
//! school whose key signed the record, wrote it. The school vouches for its people; no
//! person holds a key. Absent `by` means the school itself.
//!
//! This module owns the [`Person`] struct, the text form of a [`PersonId`] and the
//! reader every body with a person-shaped field reuses (`by`, `facilitator`, `owner`,
//! `attendees`). Accounts, passwords and which role may do what live in the node.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::codes::PersonRole;
use super::read::{Checker, Object, closed, plain_text, string};

/// Shortest person id, in characters: 16 base32 or hex characters carry 64–80 random
/// bits, plenty within one school and across a network's schools.
pub const PERSON_ID_MIN_CHARS: usize = 16;
/// Longest person id, in characters: room for 128 random bits in hex.
pub const PERSON_ID_MAX_CHARS: usize = 32;
/// Shortest name of a person, in characters.
pub const PERSON_NAME_MIN_CHARS: usize = 3;
/// Longest name of a person, in characters: a full Russian name with patronymic fits
/// many times over.
pub const PERSON_NAME_MAX_CHARS: usize = 120;
/// Longest position (`учитель математики`), in characters.
pub const POSITION_MAX_CHARS: usize = 120;
/// Random bytes in a generated person id: 128 bits, 26 base32 characters.
const PERSON_ID_RANDOM_BYTES: usize = 16;

/// A person's id: random, stable within their school, never derived from their name.
/// Text form: 16–32 characters of lowercase ASCII letters and digits (lowercase base32
/// or hex both fit). Who a person is across the network is the pair (school id,
/// person id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonId(String);

/// Why a text is not a person id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PersonIdError {
    /// Shorter than 16 or longer than 32 characters.
    #[error("must be {PERSON_ID_MIN_CHARS} to {PERSON_ID_MAX_CHARS} characters")]
    Length,
    /// A character other than `a`–`z` and `0`–`9`.
    #[error("must be lowercase letters a-z and digits only")]
    Alphabet,
    /// The system's random source failed.
    #[error("no randomness available")]
    Random,
}

impl PersonId {
    /// A fresh random id: 128 bits in lowercase base32 (26 characters).
    pub fn random() -> Result<PersonId, PersonIdError> {
        let mut bytes = [0u8; PERSON_ID_RANDOM_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| PersonIdError::Random)?;
        Ok(PersonId::from_random_bytes(&bytes))
    }

    /// The id written for `bytes` of randomness (tests and seeded generators).
    pub fn from_random_bytes(bytes: &[u8; PERSON_ID_RANDOM_BYTES]) -> PersonId {
        PersonId(
            data_encoding::BASE32_NOPAD
                .encode(bytes)
                .to_ascii_lowercase(),
        )
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PersonId {
    type Err = PersonIdError;

    fn from_str(text: &str) -> Result<PersonId, PersonIdError> {
        if !(PERSON_ID_MIN_CHARS..=PERSON_ID_MAX_CHARS).contains(&text.chars().count()) {
            return Err(PersonIdError::Length);
        }
        if !text
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        {
            return Err(PersonIdError::Alphabet);
        }
        Ok(PersonId(text.to_string()))
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for PersonId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A person named in a body: the author (`by`), a facilitator, an owner, an attendee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Random id, stable within the school.
    pub person: PersonId,
    /// Name, published with consent (3–120 characters).
    pub name: String,
    /// Teacher, methodologist, admin or expert.
    pub role: PersonRole,
    /// Position, e.g. «учитель математики» (up to 120 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
}

/// Reads a person object `{person, name, role, position}` at `path`.
pub(super) fn read_person(checker: &mut Checker, path: &str, value: &Value) -> Option<Person> {
    let mut object = Object::read(checker, path, value)?;
    let person = object.req(checker, "person", person_id);
    let name = object.req(checker, "name", person_name);
    let role = object.req(checker, "role", closed::<PersonRole>);
    let position = object.opt(checker, "position", plain_text(POSITION_MAX_CHARS));
    object.finish(checker);
    Some(Person {
        person: person?,
        name: name?,
        role: role?,
        position,
    })
}

fn person_id(checker: &mut Checker, path: &str, value: &Value) -> Option<PersonId> {
    let text = string(checker, path, value)?;
    match text.parse::<PersonId>() {
        Ok(id) => Some(id),
        Err(error) => {
            checker.fail(path, error.to_string());
            None
        }
    }
}

fn person_name(checker: &mut Checker, path: &str, value: &Value) -> Option<String> {
    let name = plain_text(PERSON_NAME_MAX_CHARS)(checker, path, value)?;
    if name.trim().chars().count() < PERSON_NAME_MIN_CHARS {
        checker.fail(
            path,
            format!("must be {PERSON_NAME_MIN_CHARS} to {PERSON_NAME_MAX_CHARS} characters"),
        );
        return None;
    }
    Some(name)
}

/// Test persons shared by the body and rule tests.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::{Value, json};

    /// A well-formed person id, distinct per `seed` (26 characters).
    pub(crate) fn person_id(seed: u8) -> String {
        format!("p{seed:03}{}", "a".repeat(22))
    }

    /// A teacher named after `seed`.
    pub(crate) fn teacher(seed: u8) -> Value {
        json!({
            "person": person_id(seed),
            "name": format!("Учитель № {seed}"),
            "role": "teacher",
            "position": "учитель математики"
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::testing::teacher;
    use super::*;
    use crate::Kind;
    use crate::body::Body;
    use crate::body::testing::{check, cyrillic, id, message, with};

    /// A retraction is the smallest body that carries `by`.
    fn retraction_by(by: Value) -> Value {
        json!({"doc": id(1), "by": by})
    }

    #[test]
    fn person_ids() {
        let cases: &[(&str, Result<(), PersonIdError>)] = &[
            ("0123456789abcdef", Ok(())),
            ("mzxw6ytboi2dcmrtgq3tmobzgaxa", Ok(())),
            ("0123456789abcdef0123456789abcdef", Ok(())),
            ("0123456789abcde", Err(PersonIdError::Length)),
            (
                "0123456789abcdef0123456789abcdef0",
                Err(PersonIdError::Length),
            ),
            ("0123456789ABCDEF", Err(PersonIdError::Alphabet)),
            ("0123456789abcde-", Err(PersonIdError::Alphabet)),
            ("ивановиванов0000", Err(PersonIdError::Alphabet)),
        ];
        for (text, expected) in cases {
            assert_eq!(&text.parse::<PersonId>().map(|_| ()), expected, "{text}");
        }
        let generated = PersonId::from_random_bytes(&[7; PERSON_ID_RANDOM_BYTES]);
        assert_eq!(generated.as_str().len(), 26);
        assert_eq!(
            generated.as_str().parse::<PersonId>(),
            Ok(generated.clone())
        );
        let random = PersonId::random()
            .map(|id| id.to_string())
            .unwrap_or_default();
        assert_eq!(
            random.parse::<PersonId>().map(|id| id.to_string()),
            Ok(random)
        );
    }

    #[test]
    fn a_person_round_trips_and_omits_an_absent_position() {
        let Ok(Body::Retraction(retraction)) =
            check(Kind::Retraction, &retraction_by(teacher(1)), &[]).0
        else {
            panic!("refused");
        };
        let Some(by) = retraction.by else {
            panic!("no by");
        };
        assert_eq!(by.role, PersonRole::Teacher);
        assert_eq!(serde_json::to_value(&by).ok(), Some(teacher(1)));
        let bare = json!({"person": "0123456789abcdef", "name": "Ан Ли", "role": "expert"});
        let Ok(Body::Retraction(retraction)) =
            check(Kind::Retraction, &retraction_by(bare.clone()), &[]).0
        else {
            panic!("refused");
        };
        assert_eq!(serde_json::to_value(&retraction.by).ok(), Some(bare));
    }

    #[test]
    fn by_is_optional_on_person_written_kinds_and_absent_by_is_not_serialised() {
        let minimal: Vec<(Kind, Value)> = vec![
            (Kind::Retraction, json!({"doc": id(1)})),
            (
                Kind::Feedback,
                json!({"target": id(2), "kind": "comment", "text": {"ru": "Спасибо"}}),
            ),
            (
                Kind::MentoringClosure,
                json!({"agreement": id(3), "outcome": "completed", "summary": {"ru": "Итоги"}}),
            ),
            (
                Kind::ProgressReport,
                json!({"agreement": id(3), "period": {"from": "2027-01-09", "to": "2027-03-31"}, "status": "on-track"}),
            ),
            (
                Kind::MentoringAcceptance,
                json!({"request": id(4), "offer": id(5), "autonomy": {"ru": "Школа решает сама"}}),
            ),
            (
                Kind::MentoringOffer,
                json!({"title": {"ru": "Взаимопосещения"}, "expertise": ["lesson-study"], "subjects": ["mathematics"], "formats": ["webinar"], "mode": "online"}),
            ),
        ];
        for (kind, body) in minimal {
            let Ok(without_by) = check(kind, &body, &[]).0 else {
                panic!("{kind} refused");
            };
            let serialised = serde_json::to_value(&without_by).unwrap_or_default();
            assert!(serialised.get("by").is_none(), "{kind}: {serialised}");
            let Ok(with_by) = check(kind, &with(&body, "/by", teacher(9)), &[]).0 else {
                panic!("{kind} refused by");
            };
            let serialised = serde_json::to_value(&with_by).unwrap_or_default();
            assert_eq!(serialised.get("by"), Some(&teacher(9)), "{kind}");
        }
    }

    #[test]
    fn faults() {
        let base = retraction_by(teacher(1));
        let cases: Vec<(Value, &[&str], &str)> = vec![
            (
                with(&base, "/by/person", json!("short")),
                &["by.person"],
                "must be 16 to 32 characters",
            ),
            (
                with(&base, "/by/person", json!("Ivanov-Ivan-2027")),
                &["by.person"],
                "must be lowercase letters a-z and digits only",
            ),
            (
                with(&base, "/by/person", json!(12)),
                &["by.person"],
                "must be a string",
            ),
            (
                with(&base, "/by/name", json!("Ян")),
                &["by.name"],
                "must be 3 to 120 characters",
            ),
            (
                with(
                    &base,
                    "/by/name",
                    json!(cyrillic(PERSON_NAME_MAX_CHARS + 1)),
                ),
                &["by.name"],
                "must be at most 120 characters",
            ),
            (
                with(&base, "/by/role", json!("director")),
                &["by.role"],
                "unknown value \"director\", expected one of teacher, methodologist, admin, expert",
            ),
            (
                with(
                    &base,
                    "/by/position",
                    json!(cyrillic(POSITION_MAX_CHARS + 1)),
                ),
                &["by.position"],
                "must be at most 120 characters",
            ),
            (
                with(&base, "/by/email", json!("a@b.ru")),
                &["by.email"],
                "is not a known field",
            ),
            (
                with(&base, "/by", json!("Иванова")),
                &["by"],
                "must be an object",
            ),
            (
                with(&base, "/by", json!({})),
                &["by.person", "by.name", "by.role"],
                "",
            ),
        ];
        for (body, expected, text) in cases {
            let result = check(Kind::Retraction, &body, expected);
            if !text.is_empty() {
                assert_eq!(message(&result, expected[0]), text);
            }
        }
    }
}
