//! The vocabularies of people, professional learning communities, network events and
//! self-education routes: person roles, the seven steps of the PLC design cycle (seed
//! 004), entry types, event kinds, registration and route statuses, and the derived
//! states of events and memberships.
//!
//! Kept apart from the mentoring and catalog vocabularies of the parent module so that
//! neither file needs a table of contents; [`super::vocabulary`] and [`super::all`]
//! search both lists, and the parent's tests check every term of both.

use super::{Term, Vocabulary, term};

/// Positions of people acting through their school's node (`by.role`).
pub static PERSON_ROLES: &[Term] = &[
    term("teacher", "Учитель", "Teacher"),
    term("methodologist", "Методист", "Methodologist"),
    term("admin", "Администратор", "Administrator"),
    term("expert", "Эксперт", "Expert"),
];

/// Who a professional learning community is open to.
pub static COMMUNITY_SCOPES: &[Term] = &[
    term("school", "Сообщество школы", "School community"),
    term("network", "Сетевое сообщество", "Network community"),
];

/// A signature of a community's agreement.
pub static MEMBERSHIP_STATUSES: &[Term] = &[
    term("joined", "Подписал(а) соглашение", "Signed the agreement"),
    term("left", "Вышел(ла) из сообщества", "Left the community"),
];

/// The seven steps of the PLC design cycle, after seed 004 («Проектирование
/// профессионального обучающегося сообщества»); the norms of its first step live in the
/// community's agreement.
pub static PLC_STEPS: &[Term] = &[
    term("goals", "Цели и задачи работы ПОС", "Goals and objectives"),
    term(
        "method",
        "Техника, методика, инструмент",
        "Technique, method or instrument",
    ),
    term("plan", "План внедрения решения", "Implementation plan"),
    term(
        "outcomes",
        "Образовательные результаты обучающихся",
        "Pupils' learning outcomes",
    ),
    term(
        "monitoring",
        "Схема мониторинга образовательных результатов",
        "Monitoring scheme",
    ),
    term(
        "analysis",
        "Анализ данных и корректировка преподавания",
        "Data analysis and adjustment of teaching",
    ),
    term(
        "sharing",
        "Оформление результатов и обмен практиками",
        "Writing up results and sharing practices",
    ),
];

/// What a community entry records.
pub static ENTRY_TYPES: &[Term] = &[
    term("goal", "Цель", "Goal"),
    term("method", "Методика", "Method"),
    term("plan-item", "Пункт плана", "Plan item"),
    term("outcome", "Образовательный результат", "Learning outcome"),
    term("measurement", "Измерение", "Measurement"),
    term("analysis", "Анализ", "Analysis"),
    term("adjustment", "Корректировка", "Adjustment"),
    term("meeting", "Заседание", "Meeting"),
];

/// Kinds of network events.
pub static EVENT_KINDS: &[Term] = &[
    term("webinar", "Вебинар", "Webinar"),
    term("master-class", "Мастер-класс", "Master class"),
    term("seminar", "Семинар", "Seminar"),
    term("conference", "Конференция", "Conference"),
    term("contest", "Конкурс", "Contest"),
    term("festival", "Фестиваль", "Festival"),
    term("open-lesson", "Открытый урок", "Open lesson"),
    term("consultation", "Консультация", "Consultation"),
    term("plc-meeting", "Заседание ПОС", "PLC meeting"),
    term("internship", "Стажировка", "Internship"),
];

/// A person's registration for an event.
pub static REGISTRATION_STATUSES: &[Term] = &[
    term("registered", "Зарегистрирован(а)", "Registered"),
    term(
        "cancelled",
        "Регистрация отменена",
        "Registration cancelled",
    ),
    term("attended", "Участвовал(а)", "Attended"),
];

/// Types of steps of a self-education route.
pub static ROUTE_STEP_TYPES: &[Term] = &[
    term("practice", "Изучение практики", "Practice"),
    term("event", "Мероприятие", "Event"),
    term("community", "Работа в ПОС", "Community work"),
    term("mentoring", "Наставничество", "Mentoring"),
    term("course", "Курсы повышения квалификации", "Course"),
    term("other", "Другое", "Other"),
];

/// How far a route step has got.
pub static ROUTE_STEP_STATUSES: &[Term] = &[
    term("planned", "Запланировано", "Planned"),
    term("in-progress", "В работе", "In progress"),
    term("done", "Выполнено", "Done"),
];

/// States of an event (derived from records, never stored).
pub static EVENT_STATES: &[Term] = &[
    term("scheduled", "Запланировано", "Scheduled"),
    term("full", "Мест нет", "Full"),
    term("cancelled", "Отменено", "Cancelled"),
    term("past", "Прошло", "Past"),
];

/// Where one person's registration stands (derived from records, never stored).
pub static PLACE_STATES: &[Term] = &[
    term("confirmed", "Место подтверждено", "Place confirmed"),
    term("waiting", "В листе ожидания", "On the waiting list"),
    term(
        "cancelled",
        "Регистрация отменена",
        "Registration cancelled",
    ),
];

/// Every vocabulary of this module, by name.
pub static VOCABULARIES: &[Vocabulary] = &[
    Vocabulary {
        name: "person_roles",
        terms: PERSON_ROLES,
    },
    Vocabulary {
        name: "community_scopes",
        terms: COMMUNITY_SCOPES,
    },
    Vocabulary {
        name: "membership_statuses",
        terms: MEMBERSHIP_STATUSES,
    },
    Vocabulary {
        name: "plc_steps",
        terms: PLC_STEPS,
    },
    Vocabulary {
        name: "entry_types",
        terms: ENTRY_TYPES,
    },
    Vocabulary {
        name: "event_kinds",
        terms: EVENT_KINDS,
    },
    Vocabulary {
        name: "registration_statuses",
        terms: REGISTRATION_STATUSES,
    },
    Vocabulary {
        name: "route_step_types",
        terms: ROUTE_STEP_TYPES,
    },
    Vocabulary {
        name: "route_step_statuses",
        terms: ROUTE_STEP_STATUSES,
    },
    Vocabulary {
        name: "event_states",
        terms: EVENT_STATES,
    },
    Vocabulary {
        name: "place_states",
        terms: PLACE_STATES,
    },
];
