//! `event` — Мероприятие / Event (webinars, master classes, seminars, conferences,
//! contests, festivals, open lessons, consultations, PLC meetings, internships) and
//! `event_registration` — one person's registration, its cancellation, or the
//! organizer's confirmation that they attended.
//!
//! Here only the bodies are checked, including the rules that need no other record:
//! `ends_at` not before `starts_at`, `registration_until` not after `starts_at`,
//! exactly one organizer. Capacity, the waiting list and the event's state are derived
//! from many records by [`crate::events`].

use serde::Serialize;
use serde_json::Value;

use super::codes::{DeliveryMode, EventKind, RegistrationStatus};
use super::lang::LangMap;
use super::person::{Person, read_person};
use super::practice::{Material, read_material};
use super::read::{
    Checker, Object, TEXT, TITLE, boolean, closed, code, grade, lang_map, language_tags,
    machine_translated, positive, record_id, url,
};
use super::time::{DateTime, date_time};
use crate::RecordId;

/// A network event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Webinar, master class, seminar…
    pub kind: EventKind,
    /// Title (3–160 characters per language).
    pub title: LangMap,
    /// What it is about.
    pub description: Option<LangMap>,
    /// When it starts.
    pub starts_at: DateTime,
    /// When it ends; never before `starts_at`.
    pub ends_at: DateTime,
    /// Online, in person or both.
    pub mode: DeliveryMode,
    /// The join link.
    pub url: Option<String>,
    /// Where, in person.
    pub place: Option<LangMap>,
    /// Who it is for (role codes).
    pub audience: Vec<String>,
    /// Subject codes.
    pub subjects: Vec<String>,
    /// Grades concerned.
    pub grades: Vec<u8>,
    /// Problem codes.
    pub problems: Vec<String>,
    /// Deficit codes it helps to overcome.
    pub deficits: Vec<String>,
    /// A community or mentoring agreement that holds the event; absent = the school.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organizer: Option<Organizer>,
    /// How many places; absent = no limit.
    pub capacity: Option<u32>,
    /// Registrations close at; never after `starts_at`.
    pub registration_until: Option<DateTime>,
    /// Working languages (BCP 47); at least one.
    pub language: Vec<String>,
    /// Cancelled (set in a new version).
    pub cancelled: bool,
    /// Link to the recording.
    pub recording: Option<String>,
    /// Files, by hash or link.
    pub materials: Vec<Material>,
    /// The person who wrote it; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// Who holds an event besides the publishing school. Written `{"community": doc id}`
/// or `{"agreement": doc id}`, exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Organizer {
    /// A professional learning community (its doc id).
    Community(RecordId),
    /// A mentoring agreement (its acceptance's doc id).
    Agreement(RecordId),
}

impl Organizer {
    /// The doc id named.
    pub fn doc(self) -> RecordId {
        match self {
            Organizer::Community(doc) | Organizer::Agreement(doc) => doc,
        }
    }
}

/// A person's registration for an event, its cancellation, or their attendance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRegistration {
    /// The event's doc id.
    pub event: RecordId,
    /// The person registered.
    pub by: Person,
    /// Registered, cancelled or attended (the last only from the organizer school).
    pub status: RegistrationStatus,
}

/// Reads an `event` body.
pub(super) fn read_event(checker: &mut Checker, value: &Value) -> Option<Event> {
    let mut object = Object::read(checker, "", value)?;
    let kind = object.req(checker, "kind", closed::<EventKind>);
    let title = object.req(checker, "title", lang_map(TITLE));
    let description = object.opt(checker, "description", lang_map(TEXT));
    let starts_at = object.req(checker, "starts_at", date_time);
    let ends_at = object.req(checker, "ends_at", date_time);
    let mode = object.req(checker, "mode", closed::<DeliveryMode>);
    let join_url = object.opt(checker, "url", url);
    let place = object.opt(checker, "place", lang_map(TEXT));
    let audience = object.list(checker, "audience", code);
    let subjects = object.list(checker, "subjects", code);
    let grades = object.list(checker, "grades", grade);
    let problems = object.list(checker, "problems", code);
    let deficits = object.list(checker, "deficits", code);
    let organizer = object.opt(checker, "organizer", read_organizer);
    let capacity = object.opt(checker, "capacity", positive);
    let registration_until = object.opt(checker, "registration_until", date_time);
    let language = object.req(checker, "language", language_tags);
    let cancelled = object.opt(checker, "cancelled", boolean);
    let recording = object.opt(checker, "recording", url);
    let materials = object.list(checker, "materials", read_material);
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    if let (Some(starts), Some(ends)) = (&starts_at, &ends_at)
        && ends.unix_ms() < starts.unix_ms()
    {
        checker.fail("ends_at", "must not be before starts_at");
        return None;
    }
    if let (Some(starts), Some(until)) = (&starts_at, &registration_until)
        && until.unix_ms() > starts.unix_ms()
    {
        checker.fail("registration_until", "must not be after starts_at");
        return None;
    }
    Some(Event {
        kind: kind?,
        title: title?,
        description,
        starts_at: starts_at?,
        ends_at: ends_at?,
        mode: mode?,
        url: join_url,
        place,
        audience,
        subjects,
        grades,
        problems,
        deficits,
        organizer,
        capacity,
        registration_until,
        language: language?,
        cancelled: cancelled.unwrap_or(false),
        recording,
        materials,
        by,
        machine_translated,
    })
}

/// Reads an `event_registration` body.
pub(super) fn read_registration(checker: &mut Checker, value: &Value) -> Option<EventRegistration> {
    let mut object = Object::read(checker, "", value)?;
    let event = object.req(checker, "event", record_id);
    let by = object.req(checker, "by", read_person);
    let status = object.req(checker, "status", closed::<RegistrationStatus>);
    object.finish(checker);
    Some(EventRegistration {
        event: event?,
        by: by?,
        status: status?,
    })
}

fn read_organizer(checker: &mut Checker, path: &str, value: &Value) -> Option<Organizer> {
    let mut object = Object::read(checker, path, value)?;
    let community = object.opt(checker, "community", record_id);
    let agreement = object.opt(checker, "agreement", record_id);
    let named = usize::from(object.has("community")) + usize::from(object.has("agreement"));
    object.finish(checker);
    if named != 1 {
        checker.fail(path, "must name exactly one of community and agreement");
        return None;
    }
    community
        .map(Organizer::Community)
        .or(agreement.map(Organizer::Agreement))
}

/// Realistic event bodies for the body and rule tests.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::{Value, json};

    use crate::RecordId;
    use crate::body::person::testing::teacher;

    /// A webinar on 2027-02-10, 15:00–16:30 Moscow time, registrations until the day
    /// before; `capacity` places when given.
    pub(crate) fn webinar(capacity: Option<u32>) -> Value {
        let mut body = json!({
            "kind": "webinar",
            "title": {"ru": "Формирующее оценивание: листы самооценки на уроке математики", "en": "Formative assessment: self-assessment sheets in maths lessons"},
            "description": {"ru": "Покажем листы самооценки, разберём типичные ошибки; вопросы — в чате, ответы; до встречи.\nЗапись будет."},
            "starts_at": "2027-02-10T15:00:00+03:00",
            "ends_at": "2027-02-10T16:30:00+03:00",
            "mode": "online",
            "url": "https://meet.school5-elabuga.edu.ru/webinar-12",
            "audience": ["teacher", "methodologist"],
            "subjects": ["mathematics"],
            "grades": [5, 6],
            "deficits": ["formative-assessment"],
            "registration_until": "2027-02-09T23:59:00+03:00",
            "language": ["ru"]
        });
        if let (Some(capacity), Value::Object(map)) = (capacity, &mut body) {
            map.insert("capacity".to_string(), json!(capacity));
        }
        body
    }

    /// A registration of teacher `seed` for `event` with `status`.
    pub(crate) fn registration(event: RecordId, seed: u8, status: &str) -> Value {
        json!({"event": event.to_string(), "by": teacher(seed), "status": status})
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::testing::{registration, webinar};
    use super::*;
    use crate::Kind;
    use crate::body::Body;
    use crate::body::testing::{check, id, message, with, without};

    #[test]
    fn realistic_events_pass() {
        let open_lesson = json!({
            "kind": "open-lesson",
            "title": {"ru": "Открытый урок: кластер и инсерт на биологии в 6 классе"},
            "starts_at": "2027-03-02T10:00:00+03:00",
            "ends_at": "2027-03-02T10:45:00+03:00",
            "mode": "mixed",
            "url": "https://school5-elabuga.edu.ru/live",
            "place": {"ru": "г. Елабуга, ул. Мира, 5, кабинет 21"},
            "organizer": {"community": id(30)},
            "capacity": 12,
            "language": "ru",
            "recording": "https://school5-elabuga.edu.ru/media/open-lesson.mp4",
            "materials": [{"name": "План урока", "url": "https://school5-elabuga.edu.ru/plan.pdf"}]
        });
        let Ok(body) = check(Kind::Event, &open_lesson, &[]).0 else {
            panic!("refused");
        };
        assert_eq!(body.references(), vec![RecordId([30; 32])]);
        assert!(body.title().is_some());
        let Body::Event(event) = body else {
            panic!("not an event");
        };
        assert_eq!(
            event.organizer,
            Some(Organizer::Community(RecordId([30; 32])))
        );
        assert!(!event.cancelled);
        assert_eq!(
            serde_json::to_value(event.organizer).ok(),
            Some(json!({"community": id(30)}))
        );
        let Ok(Body::Event(webinar)) = check(Kind::Event, &webinar(Some(2)), &[]).0 else {
            panic!("refused");
        };
        assert_eq!(webinar.capacity, Some(2));
        assert_eq!(webinar.starts_at.utc_basic(), "20270210T120000Z");
        let Ok(body) = check(
            Kind::EventRegistration,
            &registration(RecordId([31; 32]), 4, "registered"),
            &[],
        )
        .0
        else {
            panic!("refused");
        };
        assert_eq!(body.references(), vec![RecordId([31; 32])]);
        assert_eq!(body.title(), None);
    }

    #[test]
    fn each_required_field() {
        for field in ["kind", "title", "starts_at", "ends_at", "mode", "language"] {
            let result = check(
                Kind::Event,
                &without(&webinar(None), &format!("/{field}")),
                &[field],
            );
            assert_eq!(message(&result, field), "is required");
        }
        for field in ["event", "by", "status"] {
            let body = registration(RecordId([31; 32]), 4, "registered");
            let result = check(
                Kind::EventRegistration,
                &without(&body, &format!("/{field}")),
                &[field],
            );
            assert_eq!(message(&result, field), "is required");
        }
    }

    #[test]
    fn faults() {
        let base = webinar(Some(30));
        let cases: Vec<(Value, &[&str], &str)> = vec![
            (with(&base, "/kind", json!("lecture")), &["kind"], ""),
            (
                with(&base, "/starts_at", json!("2027-02-10T15:00:00")),
                &["starts_at"],
                "needs an offset like +03:00 or Z",
            ),
            (
                with(&base, "/ends_at", json!("10.02.2027 16:30")),
                &["ends_at"],
                "must be a time with offset like 2027-02-10T15:00:00+03:00",
            ),
            (
                with(&base, "/ends_at", json!("2027-02-10T14:59:00+03:00")),
                &["ends_at"],
                "must not be before starts_at",
            ),
            (
                with(&base, "/ends_at", json!("2027-02-10T12:00:00Z")),
                &[],
                "",
            ),
            (
                with(
                    &base,
                    "/registration_until",
                    json!("2027-02-10T15:00:01+03:00"),
                ),
                &["registration_until"],
                "must not be after starts_at",
            ),
            (with(&base, "/mode", json!("hybrid")), &["mode"], ""),
            (
                with(&base, "/url", json!("javascript:alert(1)")),
                &["url"],
                "must start with https:// or http://",
            ),
            (
                with(&base, "/recording", json!("ftp://x.ru/a.mp4")),
                &["recording"],
                "",
            ),
            (
                with(&base, "/capacity", json!(0)),
                &["capacity"],
                "must be at least 1",
            ),
            (
                with(&base, "/capacity", json!(2.5)),
                &["capacity"],
                "must be a whole number",
            ),
            (
                with(&base, "/cancelled", json!("yes")),
                &["cancelled"],
                "must be true or false",
            ),
            (
                with(&base, "/language", json!([])),
                &["language"],
                "must not be empty",
            ),
            (
                with(&base, "/audience", json!(["Учителя"])),
                &["audience[0]"],
                "",
            ),
            (
                with(
                    &base,
                    "/organizer",
                    json!({"community": id(1), "agreement": id(2)}),
                ),
                &["organizer"],
                "must name exactly one of community and agreement",
            ),
            (
                with(&base, "/organizer", json!({})),
                &["organizer"],
                "must name exactly one of community and agreement",
            ),
            (
                with(&base, "/organizer", json!({"agreement": "x"})),
                &["organizer.agreement"],
                "",
            ),
            (
                with(&base, "/materials", json!([{"name": "Файл"}])),
                &["materials[0]"],
                "",
            ),
            (with(&base, "/place", json!("Елабуга")), &["place"], ""),
        ];
        for (body, expected, text) in cases {
            let result = check(Kind::Event, &body, expected);
            if !text.is_empty() {
                assert_eq!(message(&result, expected[0]), text);
            }
        }
        let base = registration(RecordId([31; 32]), 4, "registered");
        let cases: Vec<(Value, &[&str])> = vec![
            (with(&base, "/status", json!("waiting")), &["status"]),
            (with(&base, "/event", json!("webinar-12")), &["event"]),
            (with(&base, "/by", json!(null)), &["by"]),
            (with(&base, "/by/name", json!("Ли")), &["by.name"]),
        ];
        for (body, expected) in cases {
            check(Kind::EventRegistration, &body, expected);
        }
    }
}
