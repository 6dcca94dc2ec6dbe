//! Language maps — the form of every text meant for people — and the language-tag check.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The language readers fall back to first: the network's working language.
pub const FALLBACK_LANGUAGE: &str = "ru";

/// The language readers fall back to second.
pub const SECOND_FALLBACK_LANGUAGE: &str = "en";

/// A language map `{"ru": "…", "en": "…"}`: language tag → text. Serialises as the
/// plain JSON object. A blank text counts as absent (a translation not yet written).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LangMap(pub BTreeMap<String, String>);

impl LangMap {
    /// A map with one text.
    pub fn single(lang: &str, text: &str) -> LangMap {
        LangMap::default().with(lang, text)
    }

    /// This map with `text` set for `lang`.
    pub fn with(mut self, lang: &str, text: &str) -> LangMap {
        self.0.insert(lang.to_string(), text.to_string());
        self
    }

    /// The non-blank text in exactly `lang`.
    pub fn get(&self, lang: &str) -> Option<&str> {
        self.0
            .get(lang)
            .map(String::as_str)
            .filter(|text| !text.trim().is_empty())
    }

    /// The text to show a reader who prefers `preferred`: that language (exactly, then
    /// any regional variant of it, `en` → `en-GB`), else Russian, else English, else any
    /// non-blank text. `None` only when the map has no text at all.
    pub fn best(&self, preferred: &str) -> Option<&str> {
        let primary = preferred.split('-').next().unwrap_or(preferred);
        self.get(preferred)
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(lang, text)| {
                        lang.split('-').next() == Some(primary) && !text.trim().is_empty()
                    })
                    .map(|(_, text)| text.as_str())
            })
            .or_else(|| self.get(FALLBACK_LANGUAGE))
            .or_else(|| self.get(SECOND_FALLBACK_LANGUAGE))
            .or_else(|| {
                self.0
                    .values()
                    .map(String::as_str)
                    .find(|text| !text.trim().is_empty())
            })
    }

    /// True when no language has a non-blank text.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(|text| text.trim().is_empty())
    }

    /// Every non-blank text, one per line, for search indexing.
    pub fn all_text(&self) -> String {
        self.0
            .values()
            .map(|text| text.trim())
            .filter(|text| !text.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `ru` for text with Cyrillic letters, else `en`: the language of a one-line text a
/// user typed (a school name, a retraction reason, a form field), used to key it in a
/// [`LangMap`] when the form does not ask.
pub fn language_of(text: &str) -> &'static str {
    if text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)) {
        "ru"
    } else {
        "en"
    }
}

/// The primary subtag of a BCP 47 tag, lowercased (`en` of `en-GB`): languages are
/// matched and faceted on it.
pub fn primary_subtag(tag: &str) -> String {
    tag.split('-').next().unwrap_or(tag).to_ascii_lowercase()
}

/// A simple BCP 47 check: a primary language of 2–3 lowercase letters, then optionally
/// a script (`Cyrl`, 4 letters) and/or a region (`RU`, 2 letters, or `419`, 3 digits).
/// Enough for the tags schools write; extensions and variants are not expected.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(primary) = parts.next() else {
        return false;
    };
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|byte| byte.is_ascii_lowercase()) {
        return false;
    }
    let mut seen_script = false;
    let mut seen_region = false;
    for part in parts {
        let letters = part.bytes().all(|byte| byte.is_ascii_alphabetic());
        let digits = part.bytes().all(|byte| byte.is_ascii_digit());
        if part.len() == 4 && letters && !seen_script && !seen_region {
            seen_script = true;
        } else if ((part.len() == 2 && letters) || (part.len() == 3 && digits)) && !seen_region {
            seen_region = true;
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_prefers_the_reader_then_russian_then_english_then_any() {
        let both = LangMap::single("ru", "Смысловое чтение").with("en", "Reading literacy");
        assert_eq!(both.best("en"), Some("Reading literacy"));
        assert_eq!(both.best("en-GB"), Some("Reading literacy"));
        assert_eq!(both.best("tt"), Some("Смысловое чтение"));

        let regional = LangMap::single("en-GB", "Colour").with("tt", "Төс");
        assert_eq!(regional.best("en"), Some("Colour"));
        assert_eq!(regional.best("de"), Some("Colour"));

        let blank_russian = LangMap::single("ru", "  ").with("en", "Only English");
        assert_eq!(blank_russian.best("ru"), Some("Only English"));
        assert_eq!(blank_russian.get("ru"), None);

        let tatar = LangMap::single("tt", "Уку");
        assert_eq!(tatar.best("ru"), Some("Уку"));
        assert_eq!(LangMap::default().best("ru"), None);
    }

    #[test]
    fn emptiness_and_search_text_ignore_blank_translations() {
        assert!(LangMap::default().is_empty());
        assert!(LangMap::single("ru", " ").is_empty());
        let map = LangMap::single("ru", "Формирующее оценивание")
            .with("en", "Formative assessment")
            .with("tt", "");
        assert!(!map.is_empty());
        assert_eq!(
            map.all_text(),
            "Formative assessment\nФормирующее оценивание"
        );
    }

    #[test]
    fn serialises_as_a_plain_object() {
        let map = LangMap::single("ru", "Текст");
        assert_eq!(
            serde_json::to_string(&map).unwrap_or_default(),
            r#"{"ru":"Текст"}"#
        );
    }

    #[test]
    fn language_tags() {
        for good in [
            "ru",
            "en",
            "tt",
            "sah",
            "en-GB",
            "sr-Latn",
            "tt-Cyrl-RU",
            "es-419",
            "be-by",
        ] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in [
            "",
            "r",
            "RU",
            "russian",
            "ru_RU",
            "ru-",
            "en-GB-Latn",
            "ru-RU-RU",
            "ру",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
