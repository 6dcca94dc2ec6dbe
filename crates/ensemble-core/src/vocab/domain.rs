//! The domain vocabularies of `domain.md` — levels, subjects, problems, deficits, risk
//! factors, methods, formats, licences, evidence levels — and the closed codes of the
//! record bodies, each term with its Russian and English label. Data only; lookups live
//! in the parent module.

use super::{Term, term};

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
