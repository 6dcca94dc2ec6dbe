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

pub mod plc;

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

/// Education levels.
pub static LEVELS: &[Term] = &[
    term("preschool", "Дошкольное", "Pre-school"),
    term("primary", "Начальное общее (1–4)", "Primary"),
    term("basic", "Основное общее (5–9)", "Lower secondary"),
    term("secondary", "Среднее общее (10–11)", "Upper secondary"),
    term("vocational", "СПО", "Vocational"),
    term(
        "supplementary",
        "Дополнительное образование детей",
        "Supplementary education",
    ),
];

/// School subjects and areas of work.
pub static SUBJECTS: &[Term] = &[
    term("russian", "Русский язык", "Russian language"),
    term(
        "literature",
        "Литература / литературное чтение",
        "Literature / literary reading",
    ),
    term(
        "native-language",
        "Родной язык и литература",
        "Native language and literature",
    ),
    term("foreign-language", "Иностранный язык", "Foreign language"),
    term("mathematics", "Математика", "Mathematics"),
    term("algebra", "Алгебра", "Algebra"),
    term("geometry", "Геометрия", "Geometry"),
    term(
        "probability-statistics",
        "Вероятность и статистика",
        "Probability and statistics",
    ),
    term("informatics", "Информатика", "Computer science"),
    term("world-around", "Окружающий мир", "The world around us"),
    term("history", "История", "History"),
    term("social-studies", "Обществознание", "Social studies"),
    term("geography", "География", "Geography"),
    term("physics", "Физика", "Physics"),
    term("chemistry", "Химия", "Chemistry"),
    term("biology", "Биология", "Biology"),
    term("art", "Изобразительное искусство", "Visual arts"),
    term("music", "Музыка", "Music"),
    term("technology", "Труд (технология)", "Technology"),
    term(
        "physical-education",
        "Физическая культура",
        "Physical education",
    ),
    term("safety", "ОБЗР", "Safety and defence basics"),
    term(
        "ethics",
        "ОРКСЭ / ОДНКНР",
        "Religious cultures and secular ethics",
    ),
    term(
        "extracurricular",
        "Внеурочная деятельность",
        "Extracurricular activities",
    ),
    term("upbringing", "Воспитательная работа", "Character education"),
    term(
        "school-leadership",
        "Управление школой",
        "School leadership",
    ),
];

/// Problems a practice solves or a school faces.
pub static PROBLEMS: &[Term] = &[
    term("reading-literacy", "Смысловое чтение", "Reading literacy"),
    term(
        "basic-skills-gaps",
        "Пробелы в базовых умениях",
        "Gaps in basic skills",
    ),
    term(
        "low-motivation",
        "Низкая учебная мотивация",
        "Low motivation to learn",
    ),
    term(
        "transition",
        "Трудности адаптации (1, 5, 10 кл.)",
        "Transition difficulties (grades 1, 5, 10)",
    ),
    term(
        "classroom-climate",
        "Дисциплина и климат",
        "Discipline and classroom climate",
    ),
    term(
        "special-needs",
        "Обучение детей с ОВЗ",
        "Teaching students with special educational needs",
    ),
    term(
        "russian-as-second-language",
        "Русский как неродной",
        "Russian as a second language",
    ),
    term(
        "math-literacy",
        "Математическая грамотность",
        "Mathematical literacy",
    ),
    term(
        "science-literacy",
        "Естественнонаучная грамотность",
        "Science literacy",
    ),
    term(
        "financial-literacy",
        "Финансовая грамотность",
        "Financial literacy",
    ),
    term(
        "global-competence",
        "Глобальные компетенции",
        "Global competence",
    ),
    term(
        "creative-thinking",
        "Креативное мышление",
        "Creative thinking",
    ),
    term(
        "exam-preparation",
        "Подготовка к ГИА",
        "Preparation for state exams",
    ),
    term(
        "parent-engagement",
        "Вовлечение родителей",
        "Parent engagement",
    ),
];

/// Teachers' professional deficits.
pub static DEFICITS: &[Term] = &[
    term("subject-knowledge", "Предметные", "Subject knowledge"),
    term("teaching-methods", "Методические", "Teaching methods"),
    term(
        "formative-assessment",
        "Оценочные (формирующее оценивание)",
        "Assessment (formative assessment)",
    ),
    term(
        "pedagogical-psychology",
        "Психолого-педагогические",
        "Educational psychology",
    ),
    term("inclusion", "Работа с детьми с ОВЗ", "Inclusive education"),
    term(
        "bilingual-learners",
        "Работа с билингвами",
        "Teaching bilingual learners",
    ),
    term("digital", "Цифровые", "Digital skills"),
    term(
        "communication-parents",
        "Коммуникативные / работа с родителями",
        "Communication and work with parents",
    ),
    term("upbringing", "Воспитательные", "Character education"),
    term("leadership", "Управленческие", "Leadership and management"),
];

/// A school's risk profile (after the "500+" programme).
pub static RISK_FACTORS: &[Term] = &[
    term(
        "low-equipment",
        "Низкий уровень оснащения",
        "Poor equipment",
    ),
    term(
        "staff-shortage",
        "Дефицит педагогических кадров",
        "Teacher shortage",
    ),
    term(
        "low-teacher-competence",
        "Недостаточная предметная и методическая компетентность",
        "Insufficient subject and teaching expertise",
    ),
    term(
        "low-adaptivity",
        "Низкая адаптивность учебного процесса",
        "Teaching not adapted to students' needs",
    ),
    term(
        "no-inschool-pd",
        "Несформированность внутришкольной системы повышения квалификации",
        "No in-school professional development system",
    ),
    term(
        "students-at-risk",
        "Высокая доля обучающихся с рисками учебной неуспешности",
        "High share of students at risk of falling behind",
    ),
    term(
        "language-barriers",
        "Языковые и культурные барьеры",
        "Language and cultural barriers",
    ),
    term(
        "weak-environment",
        "Пониженное качество образовательной среды",
        "Lower-quality learning environment",
    ),
    term(
        "special-needs-share",
        "Высокая доля обучающихся с ОВЗ",
        "High share of students with special educational needs",
    ),
    term(
        "low-parent-engagement",
        "Низкая вовлечённость родителей",
        "Low parent engagement",
    ),
    term(
        "low-motivation",
        "Низкая учебная мотивация",
        "Low motivation to learn",
    ),
    term(
        "low-discipline",
        "Низкий уровень дисциплины",
        "Poor discipline",
    ),
];

/// Teaching methods.
pub static METHODS: &[Term] = &[
    term(
        "formative-assessment",
        "Формирующее оценивание",
        "Formative assessment",
    ),
    term(
        "reading-strategies",
        "Стратегии смыслового чтения",
        "Reading strategies",
    ),
    term(
        "differentiated-instruction",
        "Дифференцированное обучение",
        "Differentiated instruction",
    ),
    term(
        "cooperative-learning",
        "Обучение в малых группах",
        "Cooperative learning",
    ),
    term(
        "project-based-learning",
        "Проектное обучение",
        "Project-based learning",
    ),
    term(
        "inquiry-based-learning",
        "Исследовательское обучение",
        "Inquiry-based learning",
    ),
    term(
        "critical-thinking",
        "ТРКМЧП",
        "Critical thinking through reading and writing",
    ),
    term(
        "flipped-classroom",
        "Перевёрнутый класс",
        "Flipped classroom",
    ),
    term(
        "lesson-study",
        "Исследование урока (Lesson Study)",
        "Lesson study",
    ),
    term(
        "peer-observation",
        "Взаимопосещение уроков",
        "Peer observation",
    ),
    term("tutoring", "Тьюторское сопровождение", "Tutoring"),
    term(
        "game-based-learning",
        "Игровое обучение",
        "Game-based learning",
    ),
    term(
        "adaptive-practice",
        "Адаптивные цифровые тренажёры",
        "Adaptive digital practice",
    ),
];

/// Formats of mentoring and professional learning.
pub static FORMATS: &[Term] = &[
    term("internship", "Стажировка", "Internship"),
    term(
        "peer-observation",
        "Взаимопосещение уроков",
        "Peer observation",
    ),
    term("co-planning", "Совместное планирование", "Co-planning"),
    term("open-lesson", "Открытый урок", "Open lesson"),
    term("master-class", "Мастер-класс", "Master class"),
    term("webinar", "Вебинар", "Webinar"),
    term("seminar", "Семинар", "Seminar"),
    term("consultation", "Консультация", "Consultation"),
    term(
        "joint-plc",
        "Совместный ПОС",
        "Joint professional learning community",
    ),
    term(
        "teacher-mentoring",
        "Наставничество «учитель–учитель»",
        "Teacher-to-teacher mentoring",
    ),
    term(
        "leadership-coaching",
        "Управленческий коучинг",
        "Leadership coaching",
    ),
    term(
        "programme-review",
        "Экспертиза программ",
        "Programme review",
    ),
    term(
        "virtual-conference",
        "Виртуальная конференция",
        "Virtual conference",
    ),
    term("contest", "Конкурс", "Contest"),
    term("network-project", "Сетевой проект", "Network project"),
    term("festival", "Фестиваль проектов", "Project festival"),
];

/// Licences a practice may carry. Other well-formed SPDX ids are accepted as well.
pub static LICENCES: &[Term] = &[
    term(
        "CC-BY-4.0",
        "Свободное использование с указанием автора (CC BY 4.0)",
        "Free use with attribution (CC BY 4.0)",
    ),
    term(
        "CC-BY-SA-4.0",
        "Свободное использование с указанием автора и на тех же условиях (CC BY-SA 4.0)",
        "Free use with attribution, share alike (CC BY-SA 4.0)",
    ),
    term(
        "CC-BY-NC-4.0",
        "Некоммерческое использование с указанием автора (CC BY-NC 4.0)",
        "Non-commercial use with attribution (CC BY-NC 4.0)",
    ),
    term(
        "CC-BY-NC-SA-4.0",
        "Некоммерческое использование с указанием автора и на тех же условиях (CC BY-NC-SA 4.0)",
        "Non-commercial use with attribution, share alike (CC BY-NC-SA 4.0)",
    ),
    term(
        "all-rights-reserved",
        "Все права защищены",
        "All rights reserved",
    ),
];

/// Evidence levels of a practice.
pub static EVIDENCE_LEVELS: &[Term] = &[
    term("E0", "Описание опыта", "Description only"),
    term(
        "E1",
        "Рефлексия и работы учащихся",
        "Reflection and student work",
    ),
    term("E2", "Данные «до/после»", "Before-after data"),
    term("E3", "Сравнение с сопоставимой группой", "Comparison group"),
    term(
        "E4",
        "Воспроизведено в других школах",
        "Replicated elsewhere",
    ),
    term("E5", "Независимая внешняя оценка", "Independent evaluation"),
];

/// Roles of a school in the network.
pub static ROLES: &[Term] = &[
    term("mentor", "Школа-наставник", "Mentor school"),
    term(
        "supported",
        "Школа, получающая поддержку",
        "School receiving support",
    ),
    term("hub", "Региональный узел", "Regional hub"),
    term("school", "Школа", "School"),
];

/// Urban or rural.
pub static SETTLEMENT: &[Term] = &[
    term("urban", "Городская местность", "Urban"),
    term("rural", "Сельская местность", "Rural"),
];

/// Kinds of colleague's feedback.
pub static FEEDBACK_KINDS: &[Term] = &[
    term("comment", "Комментарий", "Comment"),
    term("question", "Вопрос автору", "Question"),
    term("advice", "Совет", "Advice"),
    term(
        "replication",
        "Отчёт о применении практики",
        "Replication report",
    ),
    term("endorsement", "Рекомендация", "Endorsement"),
    term("acknowledgement", "Подтверждение отчёта", "Acknowledgement"),
    term("flag", "Жалоба", "Report to moderators"),
];

/// Positions of feedback authors.
pub static AUTHOR_ROLES: &[Term] = &[
    term("teacher", "Учитель", "Teacher"),
    term("methodologist", "Методист", "Methodologist"),
    term("expert", "Эксперт", "Expert"),
    term("regional", "Специалист региона", "Regional specialist"),
];

/// How mentoring is delivered.
pub static MODES: &[Term] = &[
    term("online", "Дистанционно", "Online"),
    term("offline", "Очно", "In person"),
    term("mixed", "Смешанный формат", "Blended"),
];

/// Who may see a request.
pub static VISIBILITY: &[Term] = &[
    term("network", "Вся сеть", "Whole network"),
    term("region", "Только регион", "Region only"),
];

/// Status of a progress report.
pub static REPORT_STATUSES: &[Term] = &[
    term("on-track", "По плану", "On track"),
    term("at-risk", "Есть риски", "At risk"),
    term("off-track", "Отставание", "Off track"),
];

/// Status of a planned activity.
pub static ACTIVITY_STATUSES: &[Term] = &[
    term("planned", "Запланировано", "Planned"),
    term("done", "Проведено", "Done"),
    term("moved", "Перенесено", "Rescheduled"),
    term("cancelled", "Отменено", "Cancelled"),
];

/// Progress on a professional deficit.
pub static DEFICIT_STATUSES: &[Term] = &[
    term("closed", "Преодолён", "Closed"),
    term("partly", "Частично преодолён", "Partly closed"),
    term("open", "Сохраняется", "Open"),
];

/// How a partnership ended.
pub static OUTCOMES: &[Term] = &[
    term("completed", "Завершено", "Completed"),
    term("terminated", "Прекращено", "Terminated"),
];

/// States of a mentoring request (derived from records, never stored).
pub static REQUEST_STATES: &[Term] = &[
    term("open", "Открыт", "Open"),
    term("in-negotiation", "На согласовании", "In negotiation"),
    term("matched", "Пара сформирована", "Matched"),
    term("closed", "Закрыт", "Closed"),
    term("withdrawn", "Отозван", "Withdrawn"),
    term("expired", "Срок истёк", "Expired"),
];

/// States of a mentoring agreement (derived from records, never stored).
pub static AGREEMENT_STATES: &[Term] = &[
    term("active", "Действует", "Active"),
    term("completed", "Завершено", "Completed"),
    term("terminated", "Прекращено", "Terminated"),
];

/// Who may write into a network.
pub static NETWORK_POLICIES: &[Term] = &[
    term("open", "Открытая сеть", "Open network"),
    term("members", "Только участники", "Members only"),
];

/// Roles a membership grant gives.
pub static MEMBER_ROLES: &[Term] = &[
    term("school", "Школа-участник", "Member school"),
    term("mentor", "Школа-наставник", "Mentor school"),
    term("hub", "Региональный узел", "Regional hub"),
];

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
