//! The vocabularies every node ships: codes with Russian and English labels, and the
//! interface words of `domain.md`.
//!
//! Bodies carry codes only; people see labels. Open vocabularies (subjects, problems,
//! methods…) may grow: a node meeting a code it does not know shows the code as is
//! ([`label`]). The closed enumerations of the schema ([`crate::body::codes`]) are
//! listed here too, for their labels; a test keeps both in step.
//!
//! Wording rule: the interface never says «ШНОР», «слабая школа» or «неуспешная
//! школа»; it says «школа, получающая поддержку» or «школа-партнёр». A test enforces it.
//!
//! The vocabularies of people, communities, events and routes live in [`plc`].

mod domain;
pub mod plc;

pub use domain::*;

/// One code with its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// The code as written in bodies (`formative-assessment`).
    pub code: &'static str,
    /// Russian label.
    pub ru: &'static str,
    /// English label.
    pub en: &'static str,
}

/// A named list of terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vocabulary {
    /// Its name (`subjects`, `report_statuses`).
    pub name: &'static str,
    /// Its terms, in display order.
    pub terms: &'static [Term],
}

impl Term {
    /// The label for a reader of `lang`: English for `en`/`en-*`, Russian otherwise
    /// (the network's working language is the better fallback for `tt`, `ba`, `be`…).
    pub fn label(&self, lang: &str) -> &'static str {
        if lang == "en" || lang.starts_with("en-") {
            self.en
        } else {
            self.ru
        }
    }
}

impl Vocabulary {
    /// The term for `code`.
    pub fn term(&self, code: &str) -> Option<&'static Term> {
        self.terms.iter().find(|term| term.code == code)
    }
}

/// The licence new practices get unless the author picks another.
pub const DEFAULT_LICENSE: &str = "CC-BY-4.0";

pub(crate) const fn term(code: &'static str, ru: &'static str, en: &'static str) -> Term {
    Term { code, ru, en }
}

/// Record kinds, as shown to people.
pub static KINDS: &[Term] = &[
    term("school_profile", "Профиль школы", "School profile"),
    term("practice", "Педагогическая практика", "Practice record"),
    term("feedback", "Отзыв коллеги", "Colleague's feedback"),
    term(
        "mentoring_request",
        "Запрос на поддержку",
        "Mentoring request",
    ),
    term(
        "mentoring_offer",
        "Предложение наставничества",
        "Mentoring offer",
    ),
    term(
        "mentoring_acceptance",
        "Соглашение о наставничестве",
        "Mentoring agreement",
    ),
    term("progress_report", "Отчёт о ходе работы", "Progress report"),
    term(
        "mentoring_closure",
        "Завершение наставничества",
        "Closing a partnership",
    ),
    term("retraction", "Отзыв записи", "Withdrawal"),
    term("network_charter", "Устав сети", "Network charter"),
    term("membership_grant", "Допуск в сеть", "Membership grant"),
    term(
        "membership_revocation",
        "Исключение из сети",
        "Membership revocation",
    ),
    term("key_rotation", "Смена ключа школы", "School key rotation"),
    term(
        "community",
        "Профессиональное обучающееся сообщество",
        "Learning community",
    ),
    term(
        "community_membership",
        "Подпись соглашения",
        "Signing the agreement",
    ),
    term("community_entry", "Запись сообщества", "Community entry"),
    term("event", "Мероприятие", "Event"),
    term(
        "event_registration",
        "Регистрация на мероприятие",
        "Event registration",
    ),
    term(
        "self_education_route",
        "Образовательный маршрут",
        "Self-education route",
    ),
];

/// Every vocabulary, by name.
pub static VOCABULARIES: &[Vocabulary] = &[
    Vocabulary {
        name: "levels",
        terms: LEVELS,
    },
    Vocabulary {
        name: "subjects",
        terms: SUBJECTS,
    },
    Vocabulary {
        name: "problems",
        terms: PROBLEMS,
    },
    Vocabulary {
        name: "deficits",
        terms: DEFICITS,
    },
    Vocabulary {
        name: "risk_factors",
        terms: RISK_FACTORS,
    },
    Vocabulary {
        name: "methods",
        terms: METHODS,
    },
    Vocabulary {
        name: "formats",
        terms: FORMATS,
    },
    Vocabulary {
        name: "licences",
        terms: LICENCES,
    },
    Vocabulary {
        name: "evidence_levels",
        terms: EVIDENCE_LEVELS,
    },
    Vocabulary {
        name: "roles",
        terms: ROLES,
    },
    Vocabulary {
        name: "settlement",
        terms: SETTLEMENT,
    },
    Vocabulary {
        name: "feedback_kinds",
        terms: FEEDBACK_KINDS,
    },
    Vocabulary {
        name: "author_roles",
        terms: AUTHOR_ROLES,
    },
    Vocabulary {
        name: "modes",
        terms: MODES,
    },
    Vocabulary {
        name: "visibility",
        terms: VISIBILITY,
    },
    Vocabulary {
        name: "report_statuses",
        terms: REPORT_STATUSES,
    },
    Vocabulary {
        name: "activity_statuses",
        terms: ACTIVITY_STATUSES,
    },
    Vocabulary {
        name: "deficit_statuses",
        terms: DEFICIT_STATUSES,
    },
    Vocabulary {
        name: "outcomes",
        terms: OUTCOMES,
    },
    Vocabulary {
        name: "request_states",
        terms: REQUEST_STATES,
    },
    Vocabulary {
        name: "agreement_states",
        terms: AGREEMENT_STATES,
    },
    Vocabulary {
        name: "network_policies",
        terms: NETWORK_POLICIES,
    },
    Vocabulary {
        name: "member_roles",
        terms: MEMBER_ROLES,
    },
    Vocabulary {
        name: "kinds",
        terms: KINDS,
    },
];

/// Every vocabulary of this module and of [`plc`].
pub fn all() -> impl Iterator<Item = &'static Vocabulary> {
    VOCABULARIES.iter().chain(plc::VOCABULARIES)
}

/// The vocabulary called `name`.
pub fn vocabulary(name: &str) -> Option<&'static Vocabulary> {
    all().find(|vocabulary| vocabulary.name == name)
}

/// The label of `code` in vocabulary `vocab` for a reader of `lang` (see
/// [`Term::label`]); the code itself when the vocabulary or the code is unknown.
pub fn label(vocab: &str, code: &str, lang: &str) -> String {
    vocabulary(vocab)
        .and_then(|vocabulary| vocabulary.term(code))
        .map_or_else(|| code.to_string(), |term| term.label(lang).to_string())
}

/// The interface words, keyed by a snake_case code.
pub static UI_WORDS: &[Term] = &[
    term("practice_catalog", "Каталог практик", "Practice catalog"),
    term(
        "support_requests",
        "Запросы на поддержку",
        "Support requests",
    ),
    term(
        "mentoring_offers",
        "Предложения наставничества",
        "Mentoring offers",
    ),
    term("partnerships", "Партнёрства", "Partnerships"),
    term("schools", "Школы", "Schools"),
    term("school_node", "Узел школы", "School node"),
    term("publish", "Опубликовать", "Publish"),
    term("withdraw", "Отозвать", "Withdraw"),
    term("follow", "Подписаться", "Follow"),
    term("respond", "Откликнуться", "Respond"),
    term("accept", "Принять", "Accept"),
    term(
        "applied_this_practice",
        "Я применил(а) эту практику",
        "I applied this practice",
    ),
    term("endorse", "Рекомендовать", "Endorse"),
    term("report", "Пожаловаться", "Report"),
    term("open", "Открыт", "Open"),
    term("in_negotiation", "На согласовании", "In negotiation"),
    term("matched", "Пара сформирована", "Matched"),
    term("active", "Действует", "Active"),
    term("completed", "Завершено", "Completed"),
    term("terminated", "Прекращено", "Terminated"),
    term("withdrawn", "Отозвано", "Withdrawn"),
    term("expired", "Срок истёк", "Expired"),
    term("on_track", "По плану", "On track"),
    term("at_risk", "Есть риски", "At risk"),
    term("off_track", "Отставание", "Off track"),
    term("mentor_school", "Школа-наставник", "Mentor school"),
    term(
        "school_receiving_support",
        "Школа, получающая поддержку",
        "School receiving support",
    ),
    term("partner_school", "Школа-партнёр", "Partner school"),
    term("regional_hub", "Региональный узел", "Regional hub"),
    term(
        "signature_verified",
        "Подпись проверена",
        "Signature verified",
    ),
    term(
        "machine_translated",
        "Машинный перевод",
        "Machine-translated",
    ),
];

/// The interface word `code` for a reader of `lang`; the code itself when unknown.
pub fn ui_word(code: &str, lang: &str) -> String {
    UI_WORDS
        .iter()
        .find(|term| term.code == code)
        .map_or_else(|| code.to_string(), |term| term.label(lang).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::is_code;

    /// Words the interface must never use about a school.
    const FORBIDDEN: &[&str] = &[
        "шнор",
        "слабая школа",
        "неуспешная школа",
        "слабые школы",
        "неуспешные школы",
    ];

    fn all_terms() -> impl Iterator<Item = (&'static str, &'static Term)> {
        all()
            .flat_map(|vocabulary| {
                vocabulary
                    .terms
                    .iter()
                    .map(move |term| (vocabulary.name, term))
            })
            .chain(UI_WORDS.iter().map(|term| ("ui_words", term)))
    }

    #[test]
    fn names_and_codes_are_unique_and_well_formed() {
        let mut names: Vec<&str> = all().map(|vocabulary| vocabulary.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all().count());
        static UI_WORDS_VOCABULARY: Vocabulary = Vocabulary {
            name: "ui_words",
            terms: UI_WORDS,
        };
        for vocabulary in all().chain([&UI_WORDS_VOCABULARY]) {
            let mut codes: Vec<&str> = vocabulary.terms.iter().map(|term| term.code).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(
                codes.len(),
                vocabulary.terms.len(),
                "duplicate code in {}",
                vocabulary.name
            );
            for term in vocabulary.terms {
                // Licences are SPDX ids, evidence levels `E0`–`E5`, kinds and UI words
                // snake_case; everything else is a body code and must be a slug.
                let slug_expected = !matches!(
                    vocabulary.name,
                    "licences" | "evidence_levels" | "kinds" | "ui_words"
                );
                assert!(
                    !slug_expected || is_code(term.code),
                    "{}: {}",
                    vocabulary.name,
                    term.code
                );
            }
        }
    }

    #[test]
    fn every_term_has_both_labels_and_no_forbidden_wording() {
        for (name, term) in all_terms() {
            assert!(
                !term.ru.trim().is_empty() && !term.en.trim().is_empty(),
                "{name}: {}",
                term.code
            );
            let cyrillic = term
                .ru
                .chars()
                .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c)));
            let abbreviation = term
                .ru
                .chars()
                .all(|c| c.is_uppercase() || !c.is_alphabetic());
            assert!(
                cyrillic || abbreviation,
                "{name}: {} has no Russian label",
                term.code
            );
            assert!(
                !term
                    .en
                    .chars()
                    .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c))),
                "{name}: {}",
                term.code
            );
            let ru = term.ru.to_lowercase();
            for word in FORBIDDEN {
                assert!(!ru.contains(word), "{name}: {} says {word}", term.code);
            }
        }
    }

    #[test]
    fn every_kind_has_a_label() {
        for kind in crate::Kind::ALL {
            assert_ne!(label("kinds", kind.as_str(), "ru"), kind.as_str());
        }
    }

    #[test]
    fn labels_by_language_with_the_code_as_fallback() {
        let cases = [
            (
                "deficits",
                "formative-assessment",
                "ru",
                "Оценочные (формирующее оценивание)",
            ),
            (
                "deficits",
                "formative-assessment",
                "en",
                "Assessment (formative assessment)",
            ),
            (
                "methods",
                "formative-assessment",
                "en-GB",
                "Formative assessment",
            ),
            ("report_statuses", "at-risk", "tt", "Есть риски"),
            (
                "licences",
                DEFAULT_LICENSE,
                "ru",
                "Свободное использование с указанием автора (CC BY 4.0)",
            ),
            ("subjects", "astronomy", "ru", "astronomy"),
            ("no-such-vocabulary", "mathematics", "en", "mathematics"),
        ];
        for (vocab, code, lang, expected) in cases {
            assert_eq!(label(vocab, code, lang), expected, "{vocab}/{code}/{lang}");
        }
        assert_eq!(ui_word("practice_catalog", "ru"), "Каталог практик");
        assert_eq!(ui_word("practice_catalog", "en"), "Practice catalog");
        assert_eq!(ui_word("no_such_word", "en"), "no_such_word");
        assert_eq!(
            vocabulary("formats").map(|formats| formats.terms.len()),
            Some(16)
        );
    }
}
