//! The walker every body schema is written with: it reads a `serde_json::Value` field
//! by field, records every fault under its dotted JSON path and keeps going, so one
//! validation names every field at fault.
//!
//! Each reader has the shape `fn(&mut Checker, path, &Value) -> Option<T>` and keeps one
//! promise: when it returns `None` for a present value, it has recorded why. Kind
//! modules read all their fields first and build their struct last, so a `?` on a
//! required field never hides a later fault. What the fields mean lives in the kind
//! modules; this module knows only shapes (strings, codes, dates, maps, lists).

use serde_json::{Map, Value};

use super::Mode;
use super::codes::ClosedCode;
use super::lang::{LangMap, is_language_tag};
use super::values::{Date, Period, Quantity};
use crate::limits::{
    CODE_MAX_BYTES, LIST_MAX_ITEMS, SHORT_TEXT_MAX_CHARS, SUMMARY_MAX_CHARS, TEXT_MAX_CHARS,
    TITLE_MAX_CHARS, TITLE_MIN_CHARS,
};
use crate::validation::{Expected, Fault, Shape};
use crate::{RecordId, ValidationErrors};

/// Most languages one language map may carry; a bound on work and size, far above the
/// two or three languages a school writes in.
const LANGUAGES_MAX: usize = LIST_MAX_ITEMS;

/// Longest licence id; SPDX ids are far shorter, and codes share the same bound.
const LICENSE_MAX_BYTES: usize = CODE_MAX_BYTES;

/// Longest media type (`application/vnd…`); RFC 6838 allows 127 characters on each side.
const MEDIA_TYPE_MAX_BYTES: usize = 255;

/// Length of a BLAKE3 hash in hex.
const HASH_HEX_LEN: usize = 64;

/// Collects the faults of one body and knows how strict to be.
pub(super) struct Checker {
    mode: Mode,
    errors: ValidationErrors,
}

impl Checker {
    /// A checker with no faults yet.
    pub(super) fn new(mode: Mode) -> Self {
        Checker {
            mode,
            errors: ValidationErrors::default(),
        }
    }

    /// Records one fault at `path`.
    pub(super) fn fail(&mut self, path: &str, fault: impl Into<Fault>) {
        self.errors.push(path, fault);
    }

    /// How many faults are recorded so far.
    pub(super) fn fault_count(&self) -> usize {
        self.errors.errors.len()
    }

    /// The parsed value when nothing is at fault, else every fault.
    pub(super) fn finish<T>(self, parsed: Option<T>) -> Result<T, ValidationErrors> {
        let mut errors = self.errors;
        match parsed {
            Some(value) => errors.into_result(value),
            None => {
                // Readers record a fault whenever they return None, so this is only a
                // guard against a schema bug turning into a silent acceptance.
                if errors.is_empty() {
                    errors.push("", "body could not be read");
                }
                Err(errors)
            }
        }
    }
}

/// The path of field `name` inside `parent` (`evidence` + `level` → `evidence.level`).
pub(super) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// The path of item `index` of the list at `parent` (`goals[1]`).
pub(super) fn item(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// A JSON object being read. It remembers which fields the schema asked for, so that
/// [`Object::finish`] can name the rest as unknown in [`Mode::Local`].
///
/// `null` counts as absent: clients that serialise `None` as `null` are not punished.
pub(super) struct Object<'a> {
    map: &'a Map<String, Value>,
    path: String,
    known: Vec<&'static str>,
}

impl<'a> Object<'a> {
    /// Starts reading the object at `path`; records a fault when `value` is not one.
    pub(super) fn read(checker: &mut Checker, path: &str, value: &'a Value) -> Option<Self> {
        match value.as_object() {
            Some(map) => Some(Object {
                map,
                path: path.to_string(),
                known: Vec::new(),
            }),
            None => {
                checker.fail(path, Fault::WrongType(Expected::Object));
                None
            }
        }
    }

    /// Whether field `name` is present and not null.
    pub(super) fn has(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|value| !value.is_null())
    }

    /// Reads an optional field; `None` when absent or at fault.
    pub(super) fn opt<T>(
        &mut self,
        checker: &mut Checker,
        name: &'static str,
        read: impl FnOnce(&mut Checker, &str, &'a Value) -> Option<T>,
    ) -> Option<T> {
        let (path, value) = self.take(name);
        value.and_then(|value| read(checker, &path, value))
    }

    /// Reads a required field; records "is required" when it is absent.
    pub(super) fn req<T>(
        &mut self,
        checker: &mut Checker,
        name: &'static str,
        read: impl FnOnce(&mut Checker, &str, &'a Value) -> Option<T>,
    ) -> Option<T> {
        let (path, value) = self.take(name);
        match value {
            Some(value) => read(checker, &path, value),
            None => {
                checker.fail(&path, Fault::Required);
                None
            }
        }
    }

    /// Reads an optional list of at most [`LIST_MAX_ITEMS`]; empty when absent.
    pub(super) fn list<T>(
        &mut self,
        checker: &mut Checker,
        name: &'static str,
        read_item: impl FnMut(&mut Checker, &str, &'a Value) -> Option<T>,
    ) -> Vec<T> {
        self.opt(checker, name, |checker, path, value| {
            list(checker, path, value, 0, LIST_MAX_ITEMS, read_item)
        })
        .unwrap_or_default()
    }

    /// Reads a required list of 1 to [`LIST_MAX_ITEMS`] items.
    pub(super) fn req_list<T>(
        &mut self,
        checker: &mut Checker,
        name: &'static str,
        read_item: impl FnMut(&mut Checker, &str, &'a Value) -> Option<T>,
    ) -> Option<Vec<T>> {
        self.req(checker, name, |checker, path, value| {
            list(checker, path, value, 1, LIST_MAX_ITEMS, read_item)
        })
    }

    /// Ends reading: in [`Mode::Local`] every field the schema did not ask for is a
    /// fault; in [`Mode::Received`] such fields are a newer version's and pass.
    pub(super) fn finish(self, checker: &mut Checker) {
        if checker.mode == Mode::Received {
            return;
        }
        for key in self.map.keys() {
            if !self.known.contains(&key.as_str()) {
                checker.fail(&join(&self.path, key), Fault::UnknownField);
            }
        }
    }

    fn take(&mut self, name: &'static str) -> (String, Option<&'a Value>) {
        self.known.push(name);
        let value = self.map.get(name).filter(|value| !value.is_null());
        (join(&self.path, name), value)
    }
}

/// Reads a list of `min..=max` items; faulty items are reported and left out.
pub(super) fn list<'a, T>(
    checker: &mut Checker,
    path: &str,
    value: &'a Value,
    min: usize,
    max: usize,
    mut read_item: impl FnMut(&mut Checker, &str, &'a Value) -> Option<T>,
) -> Option<Vec<T>> {
    let Some(items) = value.as_array() else {
        checker.fail(path, Fault::WrongType(Expected::List));
        return None;
    };
    if items.len() < min {
        if min == 1 {
            checker.fail(path, Fault::Empty);
        } else {
            checker.fail(path, Fault::TooFew { min });
        }
    }
    if items.len() > max {
        checker.fail(path, Fault::TooMany { max });
    }
    Some(
        items
            .iter()
            .enumerate()
            .filter_map(|(index, value)| read_item(checker, &item(path, index), value))
            .collect(),
    )
}

/// Any JSON string.
pub(super) fn string<'a>(checker: &mut Checker, path: &str, value: &'a Value) -> Option<&'a str> {
    let text = value.as_str();
    if text.is_none() {
        checker.fail(path, Fault::WrongType(Expected::String));
    }
    text
}

/// A non-blank string of at most `max` characters.
pub(super) fn plain_text(max: usize) -> impl Fn(&mut Checker, &str, &Value) -> Option<String> {
    move |checker, path, value| {
        let text = string(checker, path, value)?;
        if text.trim().is_empty() {
            checker.fail(path, Fault::Empty);
            return None;
        }
        if text.chars().count() > max {
            checker.fail(path, Fault::Length { min: 0, max });
            return None;
        }
        Some(text.to_string())
    }
}

/// A short plain string: a name, a position, an indicator.
pub(super) fn short_text(checker: &mut Checker, path: &str, value: &Value) -> Option<String> {
    plain_text(SHORT_TEXT_MAX_CHARS)(checker, path, value)
}

/// Whether `text` is a lowercase slug `[a-z0-9]+(-[a-z0-9]+)*` of at most
/// [`CODE_MAX_BYTES`].
pub fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= CODE_MAX_BYTES
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        })
}

/// A vocabulary code. Unknown codes pass (a newer node may ship more terms); only the
/// shape is checked.
pub(super) fn code(checker: &mut Checker, path: &str, value: &Value) -> Option<String> {
    let text = string(checker, path, value)?;
    if !is_code(text) {
        checker.fail(path, Fault::Format(Shape::Code));
        return None;
    }
    Some(text.to_string())
}

/// A value of a closed enumeration: unknown values are faults.
pub(super) fn closed<T: ClosedCode>(checker: &mut Checker, path: &str, value: &Value) -> Option<T> {
    let text = string(checker, path, value)?;
    let found = T::from_code(text);
    if found.is_none() {
        let expected: Vec<&str> = T::ALL.iter().map(|term| term.as_str()).collect();
        checker.fail(
            path,
            Fault::UnknownValue {
                value: text.to_string(),
                expected,
            },
        );
    }
    found
}

/// `true` or `false`.
pub(super) fn boolean(checker: &mut Checker, path: &str, value: &Value) -> Option<bool> {
    let flag = value.as_bool();
    if flag.is_none() {
        checker.fail(path, Fault::WrongType(Expected::Boolean));
    }
    flag
}

/// A whole number in `min..=max`.
pub(super) fn whole(min: u64, max: u64) -> impl Fn(&mut Checker, &str, &Value) -> Option<u64> {
    move |checker, path, value| {
        let number = match value {
            Value::Number(number) if number.is_u64() => number.as_u64(),
            // A negative integer is a whole number, just out of range.
            Value::Number(number) if number.is_i64() => {
                checker.fail(
                    path,
                    Fault::Range {
                        min: Some(min as i64),
                        max: None,
                    },
                );
                return None;
            }
            _ => None,
        };
        let Some(number) = number else {
            checker.fail(path, Fault::WrongType(Expected::WholeNumber));
            return None;
        };
        if number < min {
            checker.fail(
                path,
                Fault::Range {
                    min: Some(min as i64),
                    max: None,
                },
            );
            return None;
        }
        if number > max {
            checker.fail(
                path,
                Fault::Range {
                    min: None,
                    max: Some(max as i64),
                },
            );
            return None;
        }
        Some(number)
    }
}

/// A positive count that fits in `u32` (capacities, class sizes).
pub(super) fn positive(checker: &mut Checker, path: &str, value: &Value) -> Option<u32> {
    whole(1, u64::from(u32::MAX))(checker, path, value)
        .and_then(|number| u32::try_from(number).ok())
}

/// A count of zero or more.
pub(super) fn count(checker: &mut Checker, path: &str, value: &Value) -> Option<u64> {
    whole(0, u64::MAX)(checker, path, value)
}

/// Lowest grade: 0 is pre-school.
pub const GRADE_MIN: u8 = 0;
/// Highest grade of general education.
pub const GRADE_MAX: u8 = 11;

/// A grade, 0 (pre-school) to 11.
pub(super) fn grade(checker: &mut Checker, path: &str, value: &Value) -> Option<u8> {
    whole(u64::from(GRADE_MIN), u64::from(GRADE_MAX))(checker, path, value)
        .and_then(|number| u8::try_from(number).ok())
}

/// A measured value: a number, or a short string such as `"45%"` or `"3,8"`.
pub(super) fn quantity(checker: &mut Checker, path: &str, value: &Value) -> Option<Quantity> {
    match value {
        Value::Number(number) => Some(Quantity::Number(number.clone())),
        Value::String(_) => short_text(checker, path, value).map(Quantity::Text),
        _ => {
            checker.fail(path, Fault::WrongType(Expected::NumberOrString));
            None
        }
    }
}

/// An ISO 8601 calendar date, `2027-05-31`.
pub(super) fn date(checker: &mut Checker, path: &str, value: &Value) -> Option<Date> {
    let text = string(checker, path, value)?;
    match text.parse::<Date>() {
        Ok(date) => Some(date),
        Err(error) => {
            checker.fail(
                path,
                Fault::Rule {
                    code: "format",
                    message: error.to_string(),
                },
            );
            None
        }
    }
}

/// A period `{from, to}` with `from` not after `to`.
pub(super) fn period(checker: &mut Checker, path: &str, value: &Value) -> Option<Period> {
    let mut object = Object::read(checker, path, value)?;
    let from = object.req(checker, "from", date);
    let to = object.req(checker, "to", date);
    object.finish(checker);
    let (from, to) = (from?, to?);
    if from > to {
        checker.fail(
            path,
            Fault::Rule {
                code: "order",
                message: "from must not be after to".into(),
            },
        );
        return None;
    }
    Some(Period { from, to })
}

/// A record id (or doc id) in its 53-character text form.
pub(super) fn record_id(checker: &mut Checker, path: &str, value: &Value) -> Option<RecordId> {
    let text = string(checker, path, value)?;
    match text.parse::<RecordId>() {
        Ok(id) => Some(id),
        Err(error) => {
            checker.fail(
                path,
                Fault::Rule {
                    code: "format",
                    message: format!("is not a record id: {error}"),
                },
            );
            None
        }
    }
}

/// A BCP 47 language tag such as `ru`, `en-GB` or `tt-Cyrl`.
pub(super) fn language_tag(checker: &mut Checker, path: &str, value: &Value) -> Option<String> {
    let text = string(checker, path, value)?;
    if !is_language_tag(text) {
        checker.fail(path, Fault::Format(Shape::LanguageTag));
        return None;
    }
    Some(text.to_string())
}

/// One language tag or a list of them, read as a list of at least one.
pub(super) fn language_tags(
    checker: &mut Checker,
    path: &str,
    value: &Value,
) -> Option<Vec<String>> {
    if value.is_string() {
        return language_tag(checker, path, value).map(|tag| vec![tag]);
    }
    list(checker, path, value, 1, LIST_MAX_ITEMS, language_tag)
}

/// How long each text of a language map may be, in characters.
#[derive(Debug, Clone, Copy)]
pub(super) struct TextBounds {
    min: usize,
    max: usize,
}

/// Titles and names: 3 to 160 characters.
pub(super) const TITLE: TextBounds = TextBounds {
    min: TITLE_MIN_CHARS,
    max: TITLE_MAX_CHARS,
};
/// Summaries: up to 1,000 characters.
pub(super) const SUMMARY: TextBounds = TextBounds {
    min: 1,
    max: SUMMARY_MAX_CHARS,
};
/// Every other text: up to 4,000 characters.
pub(super) const TEXT: TextBounds = TextBounds {
    min: 1,
    max: TEXT_MAX_CHARS,
};

/// A language map `{"ru": "…", "en": "…"}` with at least one non-blank text, each
/// within `bounds`. Blank texts are kept (a translation not yet written) but not
/// measured.
pub(super) fn lang_map(
    bounds: TextBounds,
) -> impl Fn(&mut Checker, &str, &Value) -> Option<LangMap> {
    move |checker, path, value| {
        let Some(map) = value.as_object() else {
            checker.fail(path, Fault::WrongType(Expected::LanguageMap));
            return None;
        };
        if map.len() > LANGUAGES_MAX {
            checker.fail(
                path,
                Fault::rule(format!("must have at most {LANGUAGES_MAX} languages")),
            );
        }
        let mut texts = LangMap::default();
        let mut faulty = false;
        for (lang, text) in map {
            let text_path = join(path, lang);
            if !is_language_tag(lang) {
                checker.fail(
                    &text_path,
                    Fault::rule("is not a language tag like ru or en-GB"),
                );
                faulty = true;
                continue;
            }
            let Some(text) = string(checker, &text_path, text) else {
                faulty = true;
                continue;
            };
            let chars = text.trim().chars().count();
            if chars > 0 && (chars < bounds.min || text.chars().count() > bounds.max) {
                // A minimum of one character is "not empty", said elsewhere: only
                // real minimums (titles) are part of the sentence.
                let min = if bounds.min > 1 { bounds.min } else { 0 };
                checker.fail(
                    &text_path,
                    Fault::Length {
                        min,
                        max: bounds.max,
                    },
                );
                faulty = true;
                continue;
            }
            texts.0.insert(lang.clone(), text.to_string());
        }
        if !faulty && texts.is_empty() {
            checker.fail(path, Fault::NoText);
            return None;
        }
        (!faulty).then_some(texts)
    }
}

/// A web address: only `https://` and `http://` are accepted, so no `javascript:`,
/// `data:` or `file:` link ever reaches a page.
pub(super) fn url(checker: &mut Checker, path: &str, value: &Value) -> Option<String> {
    let text = short_text(checker, path, value)?;
    let lower = text.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        checker.fail(path, Fault::Format(Shape::Link));
        return None;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        checker.fail(path, Fault::Format(Shape::WebAddress));
        return None;
    }
    Some(text)
}

/// A licence: an SPDX-like id (`CC-BY-4.0`) or `all-rights-reserved`. Ids this build
/// does not list pass when well formed.
pub(super) fn license(checker: &mut Checker, path: &str, value: &Value) -> Option<String> {
    let text = string(checker, path, value)?;
    let well_formed = !text.is_empty()
        && text.len() <= LICENSE_MAX_BYTES
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'+' | b'-'));
    if !well_formed {
        checker.fail(path, Fault::Format(Shape::Licence));
        return None;
    }
    Some(text.to_string())
}

/// A file hash: 64 hex characters (BLAKE3) or a 53-character id.
pub(super) fn file_hash(checker: &mut Checker, path: &str, value: &Value) -> Option<String> {
    let text = string(checker, path, value)?;
    let hex = text.len() == HASH_HEX_LEN && text.bytes().all(|byte| byte.is_ascii_hexdigit());
    if !hex && text.parse::<RecordId>().is_err() {
        checker.fail(path, Fault::Format(Shape::Hash));
        return None;
    }
    Some(text.to_string())
}

/// A media type such as `application/pdf`.
pub(super) fn media_type(checker: &mut Checker, path: &str, value: &Value) -> Option<String> {
    let text = string(checker, path, value)?;
    let token = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&byte))
    };
    let well_formed = text.len() <= MEDIA_TYPE_MAX_BYTES
        && text
            .split_once('/')
            .is_some_and(|(kind, subtype)| token(kind) && token(subtype));
    if !well_formed {
        checker.fail(path, Fault::Format(Shape::MediaType));
        return None;
    }
    Some(text.to_string())
}

/// The `machine_translated` list every kind accepts beside its language maps.
pub(super) fn machine_translated(object: &mut Object<'_>, checker: &mut Checker) -> Vec<String> {
    object.list(checker, "machine_translated", language_tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_lowercase_slugs() {
        for good in ["a", "ru-tat", "formative-assessment", "e2", "by-minsk"] {
            assert!(is_code(good), "{good}");
        }
        let long = "a".repeat(CODE_MAX_BYTES + 1);
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "Ru",
            "ru_tat",
            "ру",
            "a b",
            long.as_str(),
        ] {
            assert!(!is_code(bad), "{bad}");
        }
    }
}
