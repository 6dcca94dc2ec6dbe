//! Validation errors that name every field at fault, in one value.

use std::fmt;

use serde::Serialize;

/// One field at fault: a JSON path (`title.ru`, `evidence.measures[0].n`), what is wrong
/// as a typed [`Fault`] (its stable code and numbers, for interfaces that word it in
/// their own language) and the English sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted JSON path of the field.
    pub field: String,
    /// The stable code of the fault ([`Fault::code`]).
    pub code: &'static str,
    /// What is wrong, typed.
    #[serde(skip)]
    pub fault: Fault,
    /// What is wrong with it in English, lowercase, no trailing period.
    pub message: String,
}

/// What is wrong with a field. Each variant has a stable code ([`Fault::code`]) and
/// carries the numbers its sentence needs, so the web interface translates faults by
/// code, never by matching English text. Rules particular to one kind, whose sentences
/// name other fields, are [`Fault::Rule`]: a code and the English sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `required`: a required field is absent.
    Required,
    /// `unknown-field`: a field the schema does not know (local writes only).
    UnknownField,
    /// `wrong-type`: the value is not of the JSON type expected.
    WrongType(Expected),
    /// `empty`: a text or list that must not be empty is.
    Empty,
    /// `no-text`: a language map with no non-empty text.
    NoText,
    /// `too-few`: fewer list items than the minimum.
    TooFew {
        /// The minimum.
        min: usize,
    },
    /// `too-many`: more list items (or languages) than the maximum.
    TooMany {
        /// The maximum.
        max: usize,
    },
    /// `length`: a text outside its bounds in characters.
    Length {
        /// The minimum (0: only the maximum applies).
        min: usize,
        /// The maximum.
        max: usize,
    },
    /// `range`: a number outside its bounds.
    Range {
        /// The lowest allowed, when the value is below it.
        min: Option<i64>,
        /// The highest allowed, when the value is above it.
        max: Option<i64>,
    },
    /// `format`: a text that is not of the expected shape.
    Format(Shape),
    /// `unknown-value`: a value outside a closed vocabulary.
    UnknownValue {
        /// The value given.
        value: String,
        /// The values allowed.
        expected: Vec<&'static str>,
    },
    /// A rule of one kind's schema: its code and its English sentence.
    Rule {
        /// The stable code.
        code: &'static str,
        /// The sentence.
        message: String,
    },
}

/// The JSON type a [`Fault::WrongType`] expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// An object.
    Object,
    /// A string.
    String,
    /// A list.
    List,
    /// `true` or `false`.
    Boolean,
    /// A whole number.
    WholeNumber,
    /// A number or a string.
    NumberOrString,
    /// A language map `{"ru": "…"}`.
    LanguageMap,
}

/// The shape a [`Fault::Format`] expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A vocabulary code: lowercase letters, digits and single hyphens.
    Code,
    /// A BCP 47 language tag.
    LanguageTag,
    /// An `http(s)://` link.
    Link,
    /// A web address with a host.
    WebAddress,
    /// A licence id.
    Licence,
    /// A BLAKE3 hash or an id.
    Hash,
    /// A media type.
    MediaType,
}

impl Fault {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Fault::Required => "required",
            Fault::UnknownField => "unknown-field",
            Fault::WrongType(_) => "wrong-type",
            Fault::Empty => "empty",
            Fault::NoText => "no-text",
            Fault::TooFew { .. } => "too-few",
            Fault::TooMany { .. } => "too-many",
            Fault::Length { .. } => "length",
            Fault::Range { .. } => "range",
            Fault::Format(_) => "format",
            Fault::UnknownValue { .. } => "unknown-value",
            Fault::Rule { code, .. } => code,
        }
    }

    /// A rule of one kind's schema, with the code `invalid`: what older call sites and
    /// one-off checks say.
    pub fn rule(message: impl Into<String>) -> Fault {
        Fault::Rule {
            code: "invalid",
            message: message.into(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Required => f.write_str("is required"),
            Fault::UnknownField => f.write_str("is not a known field"),
            Fault::WrongType(expected) => f.write_str(match expected {
                Expected::Object => "must be an object",
                Expected::String => "must be a string",
                Expected::List => "must be a list",
                Expected::Boolean => "must be true or false",
                Expected::WholeNumber => "must be a whole number",
                Expected::NumberOrString => "must be a number or a string",
                Expected::LanguageMap => "must be a language map like {\"ru\": \"…\"}",
            }),
            Fault::Empty => f.write_str("must not be empty"),
            Fault::NoText => f.write_str("must have a non-empty text in at least one language"),
            Fault::TooFew { min } => write!(f, "must have at least {min} items"),
            Fault::TooMany { max } => write!(f, "must have at most {max} items"),
            Fault::Length { min: 0, max } => write!(f, "must be at most {max} characters"),
            Fault::Length { min, max } => write!(f, "must be {min} to {max} characters"),
            Fault::Range { min: Some(min), .. } => write!(f, "must be at least {min}"),
            Fault::Range { max: Some(max), .. } => write!(f, "must be at most {max}"),
            Fault::Range { .. } => f.write_str("is out of range"),
            Fault::Format(shape) => f.write_str(match shape {
                Shape::Code => {
                    return write!(
                        f,
                        "must be a code of lowercase letters, digits and single hyphens, at most {} bytes",
                        crate::limits::CODE_MAX_BYTES
                    );
                }
                Shape::LanguageTag => "must be a language tag like ru or en-GB",
                Shape::Link => "must start with https:// or http://",
                Shape::WebAddress => "is not a web address",
                Shape::Licence => "must be a licence id like CC-BY-4.0 or all-rights-reserved",
                Shape::Hash => "must be 64 hex characters or a 53-character id",
                Shape::MediaType => "must be a media type like application/pdf",
            }),
            Fault::UnknownValue { value, expected } => write!(
                f,
                "unknown value {value:?}, expected one of {}",
                expected.join(", ")
            ),
            Fault::Rule { message, .. } => f.write_str(message),
        }
    }
}

impl From<&str> for Fault {
    fn from(message: &str) -> Fault {
        Fault::rule(message)
    }
}

impl From<String> for Fault {
    fn from(message: String) -> Fault {
        Fault::rule(message)
    }
}

/// Every field at fault in one body. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ValidationErrors {
    /// The faults, in document order.
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    /// Records one fault.
    pub fn push(&mut self, field: impl Into<String>, fault: impl Into<Fault>) {
        let fault = fault.into();
        self.errors.push(FieldError {
            field: field.into(),
            code: fault.code(),
            message: fault.to_string(),
            fault,
        });
    }

    /// True when nothing is at fault.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when nothing is at fault, else `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The names of the fields at fault.
    pub fn fields(&self) -> Vec<&str> {
        self.errors
            .iter()
            .map(|error| error.field.as_str())
            .collect()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", error.field, error.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_carries_its_code_and_english_sentence() {
        let cases = [
            (Fault::Required, "required", "is required"),
            (Fault::UnknownField, "unknown-field", "is not a known field"),
            (
                Fault::WrongType(Expected::List),
                "wrong-type",
                "must be a list",
            ),
            (Fault::Empty, "empty", "must not be empty"),
            (
                Fault::TooFew { min: 2 },
                "too-few",
                "must have at least 2 items",
            ),
            (
                Fault::TooMany { max: 32 },
                "too-many",
                "must have at most 32 items",
            ),
            (
                Fault::Length { min: 3, max: 160 },
                "length",
                "must be 3 to 160 characters",
            ),
            (
                Fault::Length { min: 0, max: 1000 },
                "length",
                "must be at most 1000 characters",
            ),
            (
                Fault::Range {
                    min: Some(1),
                    max: None,
                },
                "range",
                "must be at least 1",
            ),
            (
                Fault::Format(Shape::Link),
                "format",
                "must start with https:// or http://",
            ),
            (
                Fault::rule("from must not be after to"),
                "invalid",
                "from must not be after to",
            ),
        ];
        for (fault, code, message) in cases {
            let mut errors = ValidationErrors::default();
            errors.push("field", fault);
            assert_eq!(errors.errors[0].code, code);
            assert_eq!(errors.errors[0].message, message);
        }
    }
}
