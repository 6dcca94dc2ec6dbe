//! The interface languages and every phrase of the web interface in Russian and
//! English. Domain words (UI words, vocabulary labels) come from
//! [`ensemble_core::vocab`], shared with the API; the phrases here are the page chrome.
//!
//! Wording rule (`domain.md`): never «ШНОР», «слабая школа», «неуспешная школа»; a test
//! checks every phrase.

use ensemble_core::body::LangMap;
use ensemble_core::vocab;

/// The language a page is rendered in.
// `Copy`: a `Lang` is passed by value into every render helper, and `Default` is what a
// request without a language cookie or path gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Lang {
    /// Russian, the default: the network's working language.
    #[default]
    Ru,
    /// English.
    En,
}

impl Lang {
    /// From a cookie or path value; anything else is `None`.
    // Exact and case-sensitive: the values come from our own links and cookie, so anything
    // else is a bad link or cookie; the cookie then falls back to Russian, a path to 404.
    pub(crate) fn parse(code: &str) -> Option<Lang> {
        match code {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code: `ru` or `en`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The other language (the switch offers it).
    pub(crate) fn other(self) -> Lang {
        match self {
            Lang::Ru => Lang::En,
            Lang::En => Lang::Ru,
        }
    }

    /// A phrase in this language.
    // Tuple order is fixed (Russian, English), so adding a language means changing `Text`
    // and every phrase at once; the compiler then lists what is missing.
    pub(crate) fn t(self, text: Text) -> &'static str {
        match self {
            Lang::Ru => text.0,
            Lang::En => text.1,
        }
    }

    /// A UI word of `domain.md` (`vocab::UI_WORDS`).
    pub(crate) fn word(self, code: &str) -> String {
        vocab::ui_word(code, self.code())
    }

    /// The label of a vocabulary code; the code itself when unknown.
    pub(crate) fn label(self, vocabulary: &str, code: &str) -> String {
        vocab::label(vocabulary, code, self.code())
    }

    /// The best text of a language map for this reader, or "".
    // `LangMap::best` falls back to Russian, then English, then any text, so a practice
    // written only in Tatar still shows; "" is for a map with no text at all.
    pub(crate) fn pick(self, map: &LangMap) -> String {
        map.best(self.code()).unwrap_or_default().to_string()
    }

    /// "applied in N schools", with the Russian prepositional plural.
    pub(crate) fn applied_in(self, schools: u32) -> String {
        match self {
            Lang::Ru => {
                // Russian takes the singular prepositional for 1, 21, 31… but not 11: «в 21 школе»,
                // «в 11 школах». The test below holds both edge cases.
                let noun = if schools % 10 == 1 && schools % 100 != 11 {
                    "школе"
                } else {
                    "школах"
                };
                format!("Применена в {schools} {noun}")
            }
            Lang::En if schools == 1 => "Applied in 1 school".to_string(),
            Lang::En => format!("Applied in {schools} schools"),
        }
    }

    /// "found: N".
    pub(crate) fn found(self, total: usize) -> String {
        match self {
            Lang::Ru => format!("Найдено практик: {total}"),
            Lang::En => format!("Practices found: {total}"),
        }
    }

    /// Grades as people write them: «5, 6 кл.» / "grades 5, 6".
    pub(crate) fn grades(self, grades: &[u8]) -> String {
        if grades.is_empty() {
            return String::new();
        }
        let list = grades
            .iter()
            .map(|grade| {
                // Grade 0 stands for pre-school in the practice schema; a bare "0" would read as a
                // typo to a teacher.
                if *grade == 0 {
                    self.t(PRESCHOOL).to_string()
                } else {
                    grade.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        match self {
            Lang::Ru => format!("{list} кл."),
            Lang::En => format!("grades {list}"),
        }
    }
}

///
/// A pair rather than a map: every phrase must exist in both languages, which a missing
/// map entry would only reveal at run time.
/// A phrase: Russian, English.
pub(crate) type Text = (&'static str, &'static str);

/// Languages a practice or request may be written in (primary subtags), each named in
/// itself and in English (English in Russian): offered by the write forms and by the
/// catalog's language filter.
// One list for the write forms and the catalog's filter, so every language a form can
// produce is also one a reader can filter on.
pub(crate) const CONTENT_LANGUAGES: &[(&str, &str)] = &[
    ("ru", "Русский / Russian"),
    ("en", "English / Английский"),
    ("tt", "Татарча / Tatar"),
    ("ba", "Башҡортса / Bashkir"),
    ("be", "Беларуская / Belarusian"),
    ("kk", "Қазақша / Kazakh"),
];

// The phrases below are the page chrome. The test at the bottom reads this part of the
// source for forbidden wording, so a new phrase is checked the day it is added.
pub(crate) const SEARCH: Text = ("Найти", "Search");
pub(crate) const SEARCH_PLACEHOLDER: Text = (
    "например, смысловое чтение",
    "for example, reading strategies",
);
pub(crate) const ANY: Text = ("— любой —", "— any —");
pub(crate) const SUBJECT: Text = ("Предмет", "Subject");
pub(crate) const SUBJECTS: Text = ("Предметы", "Subjects");
pub(crate) const GRADE: Text = ("Класс", "Grade");
pub(crate) const GRADES: Text = ("Классы", "Grades");
pub(crate) const PRESCHOOL: Text = ("дошк.", "pre-school");
pub(crate) const PROBLEM: Text = ("Проблема", "Problem");
pub(crate) const PROBLEMS: Text = ("Проблемы", "Problems");
pub(crate) const METHOD: Text = ("Метод", "Method");
pub(crate) const METHODS: Text = ("Методы", "Methods");
pub(crate) const EVIDENCE: Text = ("Уровень доказательности", "Evidence level");
pub(crate) const EVIDENCE_AT_LEAST: Text =
    ("Уровень доказательности не ниже", "Evidence level at least");
pub(crate) const LANGUAGE: Text = ("Язык", "Language");
pub(crate) const SCHOOL: Text = ("Школа", "School");
pub(crate) const REGION: Text = ("Регион", "Region");
pub(crate) const NOTHING_FOUND: Text = (
    "Ничего не найдено. Попробуйте убрать часть фильтров.",
    "Nothing found. Try removing some filters.",
);
pub(crate) const NEXT_PAGE: Text = ("Следующая страница →", "Next page →");
pub(crate) const SUMMARY: Text = ("Кратко", "Summary");
pub(crate) const LEVELS: Text = ("Уровни образования", "Education levels");
pub(crate) const STEPS: Text = ("План внедрения", "Implementation plan");
pub(crate) const EXPECTED_OUTCOMES: Text = ("Ожидаемые результаты", "Expected outcomes");
pub(crate) const CONDITIONS: Text = ("Условия", "Conditions");
pub(crate) const CONTEXT: Text = ("Контекст", "Context");
pub(crate) const SMALL_SCHOOL: Text = ("Малокомплектная школа", "Small school");
pub(crate) const CLASS_SIZE: Text = ("Наполняемость класса", "Class size");
pub(crate) const MONITORING: Text = ("Мониторинг", "Monitoring");
// "Claimed by the author", not a bare "level": the level is what the author states,
// and readers should weigh it as such.
pub(crate) const CLAIMED_LEVEL: Text = ("Заявлено автором", "Claimed by the author");
pub(crate) const MEASURE: Text = ("Показатель", "Measure");
pub(crate) const INSTRUMENT: Text = ("Инструмент", "Instrument");
pub(crate) const GROUP_SIZE: Text = ("Учащихся", "Students");
pub(crate) const BASELINE: Text = ("До", "Before");
pub(crate) const RESULT: Text = ("После", "After");
pub(crate) const DATE: Text = ("Дата", "Date");
pub(crate) const LIMITATIONS: Text = ("Ограничения", "Limitations");
pub(crate) const ADJUSTMENTS: Text = ("Корректировки", "Adjustments");
pub(crate) const MATERIALS: Text = ("Материалы", "Materials");
pub(crate) const KEYWORDS: Text = ("Ключевые слова", "Keywords");
pub(crate) const LICENCE: Text = ("Лицензия", "Licence");
pub(crate) const AUTHORS: Text = ("Авторы", "Authors");
pub(crate) const BASED_ON: Text = ("Основана на", "Based on");
pub(crate) const RECORD_ID: Text = ("Идентификатор записи", "Record id");
pub(crate) const DOCUMENT_ID: Text = ("Документ", "Document");
pub(crate) const PUBLISHED: Text = ("Опубликовано", "Published");
pub(crate) const VERSIONS: Text = ("Версии", "Versions");
pub(crate) const SHOWN_VERSION: Text = ("показана", "shown");
pub(crate) const LATEST_VERSION: Text = ("последняя", "latest");
// A link to an old version stays valid (versions are immutable records); the note tells
// the reader a newer one exists rather than redirecting them.
pub(crate) const OLDER_VERSION_NOTE: Text = (
    "Это одна из ранних версий практики.",
    "This is an earlier version of the practice.",
);
pub(crate) const FEEDBACK: Text = ("Отзывы коллег", "Colleagues' feedback");
pub(crate) const NO_FEEDBACK: Text = ("Отзывов пока нет.", "No feedback yet.");
pub(crate) const PERIOD: Text = ("Период", "Period");
pub(crate) const RESULTS: Text = ("Результаты", "Results");
pub(crate) const ASK_QUESTION: Text = ("Задать вопрос автору", "Ask the author a question");
pub(crate) const SEND: Text = ("Отправить", "Send");
pub(crate) const FEEDBACK_KIND: Text = ("Вид отзыва", "Kind of feedback");
pub(crate) const YOUR_TEXT: Text = ("Текст", "Text");
pub(crate) const WHAT_YOU_DID: Text = (
    "Что вы сделали и что получилось",
    "What you did and how it went",
);
pub(crate) const YOUR_CONTEXT: Text = ("Ваша школа и классы", "Your school and classes");
pub(crate) const YOUR_ROLE: Text = ("Ваша должность", "Your position");
pub(crate) const FROM: Text = ("с", "from");
pub(crate) const TO: Text = ("по", "to");
// Names the token rather than a password: a node has no user accounts, and whoever
// holds the data directory's token acts for the school.
pub(crate) const SIGN_IN_TO_ACT: Text = (
    "Чтобы задать вопрос, отчитаться о применении или подписаться на школу, войдите с токеном узла:",
    "To ask a question, report applying the practice or follow the school, sign in with the node's token:",
);
pub(crate) const SIGN_IN: Text = ("Войти", "Sign in");
pub(crate) const SIGN_OUT: Text = ("Выйти", "Sign out");
pub(crate) const TOKEN: Text = ("Токен узла", "Node token");
pub(crate) const TOKEN_HINT: Text = (
    "Токен записан в файле api-token в каталоге данных узла.",
    "The token is in the api-token file of the node's data directory.",
);
pub(crate) const WRONG_TOKEN: Text = ("Неверный токен.", "Wrong token.");
pub(crate) const SIGN_IN_NEEDED: Text = (
    "Для этого действия нужно войти с токеном узла.",
    "This action needs you to sign in with the node's token.",
);
// The post failed the CSRF token or Origin check. The text suggests a reload: an honest
// user meets this with an old page, and a reload brings a fresh form.
pub(crate) const FORBIDDEN: Text = (
    "Форма устарела или отправлена с другого сайта. Обновите страницу и повторите.",
    "The form is stale or was sent from another site. Reload the page and try again.",
);
pub(crate) const NOT_FOUND: Text = ("Не найдено", "Not found");
pub(crate) const ERROR: Text = ("Ошибка", "Error");
pub(crate) const FIX_ERRORS: Text = (
    "Исправьте поля, отмеченные ниже.",
    "Please correct the fields marked below.",
);
pub(crate) const EDIT: Text = ("Изменить", "Edit");
pub(crate) const NEW_PRACTICE: Text = ("Новая практика", "New practice");
pub(crate) const EDIT_PRACTICE: Text = ("Новая версия практики", "New version of the practice");
pub(crate) const NEW_REQUEST: Text = ("Новый запрос на поддержку", "New support request");
pub(crate) const EDIT_REQUEST: Text = ("Новая версия запроса", "New version of the request");
pub(crate) const IN_RUSSIAN: Text = ("по-русски", "in Russian");
pub(crate) const IN_ENGLISH: Text = ("по-английски", "in English");
pub(crate) const TITLE: Text = ("Название", "Title");
pub(crate) const PROBLEM_TEXT: Text =
    ("Проблема, которую решает практика", "The problem it solves");
pub(crate) const METHOD_TEXT: Text = ("Метод", "Method");
pub(crate) const ONE_PER_LINE: Text = ("по одному в строке", "one per line");
pub(crate) const COMMA_SEPARATED: Text = ("через запятую", "comma-separated");
pub(crate) const MATERIAL_LINES: Text = (
    "название | https://ссылка — по одному в строке",
    "name | https://link — one per line",
);
// "With consent": authors are named people, and a practice is copied to every node of
// the network.
pub(crate) const AUTHOR_LINES: Text = (
    "ФИО — должность, по одному в строке (с согласия)",
    "Name — position, one per line (with consent)",
);
pub(crate) const NO_EVIDENCE: Text = ("— нет —", "— none —");
pub(crate) const HOLD_CTRL: Text = ("несколько значений — с Ctrl", "hold Ctrl for several");
pub(crate) const GOALS: Text = ("Цели (1–3)", "Goals (1–3)");
pub(crate) const GOAL: Text = ("Цель", "Goal");
pub(crate) const INDICATOR: Text = ("Показатель", "Indicator");
pub(crate) const TARGET: Text = ("Целевое значение", "Target");
pub(crate) const DEADLINE: Text = ("Срок", "Deadline");
pub(crate) const DEFICITS: Text = ("Профессиональные дефициты", "Professional deficits");
pub(crate) const RISK_FACTORS: Text = ("Факторы риска", "Risk factors");
pub(crate) const FORMATS: Text = ("Форматы", "Formats");
pub(crate) const MODE: Text = ("Формат работы", "Mode");
pub(crate) const COMMITMENT: Text = ("Что школа готова вложить", "What the school commits");
pub(crate) const VISIBILITY: Text = ("Кто видит запрос", "Who sees the request");
pub(crate) const REQUEST_PROBLEM: Text = ("Описание проблемы", "Problem statement");
pub(crate) const STATE: Text = ("Состояние", "State");
pub(crate) const OFFERS: Text = ("Предложения", "Offers");
pub(crate) const NO_OFFERS: Text = ("Предложений пока нет.", "No offers yet.");
pub(crate) const FIT: Text = ("Соответствие", "Fit");
pub(crate) const NO_REQUESTS: Text = ("Открытых запросов нет.", "No open requests.");
pub(crate) const OPEN_REQUESTS: Text = ("Открытые запросы", "Open requests");
pub(crate) const OTHER_REQUESTS: Text = ("Остальные запросы", "Other requests");
pub(crate) const REPORTS: Text = ("Отчётов", "Reports");
pub(crate) const NO_PARTNERSHIPS: Text = ("Партнёрств нет.", "No partnerships.");
pub(crate) const NO_REPORT_YET: Text = ("Отчётов пока нет", "No report yet");
pub(crate) const PROFILE: Text = ("Профиль", "Profile");
pub(crate) const ROLES: Text = ("Роли", "Roles");
pub(crate) const MUNICIPALITY: Text = ("Муниципалитет", "Municipality");
pub(crate) const SETTLEMENT: Text = ("Местность", "Settlement");
pub(crate) const LANGUAGES: Text = ("Языки обучения", "Languages of instruction");
pub(crate) const EXPERTISE: Text = ("Экспертиза", "Expertise");
pub(crate) const CONTACT: Text = ("Контактное лицо (должность)", "Contact (position)");
pub(crate) const WEBSITE: Text = ("Сайт", "Website");
pub(crate) const PRACTICES: Text = ("Практики", "Practices");
pub(crate) const NO_PRACTICES: Text = ("Практик пока нет.", "No practices yet.");
pub(crate) const FOLLOWING: Text = ("Вы подписаны", "Following");
pub(crate) const THIS_SCHOOL: Text = ("Это наша школа", "This is our school");
pub(crate) const PEERS: Text = ("Подключённые узлы", "Connected peers");
pub(crate) const NO_PEERS: Text = ("Нет подключений.", "No peers connected.");
pub(crate) const SYNC: Text = ("Синхронизация", "Sync");
pub(crate) const NO_SYNC: Text = ("Синхронизаций ещё не было.", "No sync rounds yet.");
pub(crate) const FOLLOWS: Text = ("Подписки", "Follows");
pub(crate) const NO_FOLLOWS: Text = ("Подписок нет.", "Following no school.");
pub(crate) const RECORDS_HELD: Text = ("Записей на узле", "Records held");
pub(crate) const NETWORK: Text = ("Сеть", "Network");
pub(crate) const PEER_ID: Text = ("Идентификатор узла", "Peer id");
pub(crate) const SCHOOL_ID: Text = ("Идентификатор школы", "School id");
pub(crate) const LAST_SYNC: Text = ("Последняя", "Last");
pub(crate) const RECEIVED: Text = ("Получено записей", "Records received");
// For records whose author's profile this node does not hold yet; the id alone would
// mean nothing to a teacher.
pub(crate) const UNKNOWN_SCHOOL: Text = ("неизвестная школа", "unknown school");
// Risk factors describe a school's difficulties; they are shown only to partners and
// the school's region, and other readers see this note instead of an empty section.
pub(crate) const RISK_PROFILE_HIDDEN: Text = (
    "Профиль рисков виден только партнёрам и своему региону.",
    "The risk profile is shown only to partners and the school's region.",
);
pub(crate) const BY_STATUS: Text = ("По состоянию", "By status");
// Each label is written in the language it switches to, so a reader who cannot read
// the current page can still find the way back.
pub(crate) const SWITCH_TO: Text = ("English", "Русский");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_of_applied_in() {
        let cases = [
            (Lang::Ru, 0, "Применена в 0 школах"),
            (Lang::Ru, 1, "Применена в 1 школе"),
            (Lang::Ru, 2, "Применена в 2 школах"),
            (Lang::Ru, 11, "Применена в 11 школах"),
            (Lang::Ru, 21, "Применена в 21 школе"),
            (Lang::En, 1, "Applied in 1 school"),
            (Lang::En, 3, "Applied in 3 schools"),
        ];
        for (lang, schools, expected) in cases {
            assert_eq!(lang.applied_in(schools), expected);
        }
    }

    #[test]
    fn grades_read_naturally() {
        assert_eq!(Lang::Ru.grades(&[5, 6]), "5, 6 кл.");
        assert_eq!(Lang::En.grades(&[0, 1]), "grades pre-school, 1");
        assert_eq!(Lang::En.grades(&[]), "");
    }

    #[test]
    fn no_phrase_uses_forbidden_wording() {
        // The phrases are the source between the first constant and the tests; the
        // words are spelled out in pieces so that this test does not find itself.
        let source = include_str!("i18n.rs");
        let start = source.find("pub(crate) const SEARCH").unwrap_or_default();
        let phrases = source[start..]
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .to_lowercase();
        for word in [["шн", "ор"], ["слабая ", "школа"], ["неуспешная ", "школа"]]
        {
            let word = word.concat();
            assert!(!phrases.contains(&word), "a phrase says {word}");
        }
    }

    #[test]
    fn languages_parse_and_switch() {
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("EN"), None);
        assert_eq!(Lang::Ru.other(), Lang::En);
        assert_eq!(Lang::En.t(SEARCH), "Search");
        assert_eq!(Lang::Ru.word("practice_catalog"), "Каталог практик");
    }
}
