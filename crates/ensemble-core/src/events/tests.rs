//! Event derivation and calendar tests: capacity, the waiting list, cancellations, the
//! registration deadline, attendance, every order of the records, and iCalendar
//! escaping and folding.

use std::collections::BTreeSet;

use serde_json::json;

use super::ical::{CalendarEvent, LINE_MAX_OCTETS, calendar, escape_text, fold, vevent};
use super::*;
use crate::Kind;
use crate::body::event::testing::{registration, webinar};
use crate::body::person::testing::person_id;
use crate::body::testing::with;
use crate::held::Held;
use crate::held::testing::{at, held, permutations, record, school};

/// The school that publishes the event.
const ORGANIZER: u8 = 1;
/// Schools whose teachers register.
const NORTH: u8 = 2;
const SOUTH: u8 = 3;
const LATECOMER: u8 = 4;
/// A school trying to edit someone else's event.
const STRANGER: u8 = 5;

/// The event's first version.
const EVENT: u8 = 50;
/// Day 29 of the scenes is 2027-02-09; registration closes at 23:59 Moscow time.
const DEADLINE_DAY: u64 = 29;
const DEADLINE_MINUTE: u64 = 20 * 60 + 59;
/// 2027-02-10T13:30:00Z, when the webinar ends, in scene minutes of day 30.
const END_MINUTE: u64 = 13 * 60 + 30;

fn event_version(id: u8, day: u64, body: serde_json::Value) -> Held {
    let doc = (id != EVENT).then_some(EVENT);
    held(id, doc, ORGANIZER, at(day, 0), Kind::Event, body)
}

fn register(id: u8, school: u8, person: u8, day: u64, minute: u64, status: &str) -> Held {
    let body = registration(record(EVENT), person, status);
    held(
        id,
        None,
        school,
        at(day, minute),
        Kind::EventRegistration,
        body,
    )
}

fn derive(records: &[Held], now: u64) -> EventState {
    match derive_event(record(EVENT), records, now) {
        Some(state) => state,
        None => panic!("no event"),
    }
}

fn who(registrants: &[Registrant]) -> Vec<(u8, String)> {
    registrants
        .iter()
        .map(|registrant| (registrant.school.0[0], registrant.person.to_string()))
        .collect()
}

fn rules(state: &EventState) -> Vec<(RecordId, &'static str)> {
    state
        .refused
        .iter()
        .map(|refusal| (refusal.record, refusal.rule))
        .collect()
}

/// A webinar with two places, edited once, and registrations that fill it, wait,
/// cancel, repeat, come late and are confirmed as attended.
fn busy() -> Vec<Held> {
    let edited = with(
        &webinar(Some(2)),
        "/description",
        json!({"ru": "Добавили разбор листов самооценки из 6 класса."}),
    );
    vec![
        event_version(EVENT, 0, webinar(Some(2))),
        event_version(51, 2, edited),
        held(
            52,
            Some(EVENT),
            STRANGER,
            at(3, 0),
            Kind::Event,
            webinar(None),
        ),
        register(60, NORTH, 1, 1, 0, "registered"),
        register(61, NORTH, 2, 1, 10, "registered"),
        register(62, SOUTH, 3, 1, 20, "registered"),
        register(63, SOUTH, 4, 1, 30, "registered"),
        register(64, NORTH, 2, 3, 0, "cancelled"),
        register(65, NORTH, 1, 4, 0, "registered"),
        register(
            66,
            LATECOMER,
            5,
            DEADLINE_DAY,
            DEADLINE_MINUTE + 1,
            "registered",
        ),
        register(67, NORTH, 1, 31, 0, "attended"),
        register(68, ORGANIZER, 1, 31, 0, "attended"),
    ]
}

#[test]
fn rule_and_state_codes() {
    let codes: BTreeSet<&str> = Rule::ALL.iter().map(|rule| rule.as_str()).collect();
    assert_eq!(codes.len(), Rule::ALL.len());
    for rule in Rule::ALL {
        assert_eq!(
            serde_json::to_string(&rule).unwrap_or_default(),
            format!("\"{rule}\"")
        );
    }
    let vocabulary = crate::vocab::vocabulary("event_states").map(|vocabulary| {
        vocabulary
            .terms
            .iter()
            .map(|term| term.code)
            .collect::<Vec<_>>()
    });
    let states: Vec<&str> = EventStatus::ALL
        .iter()
        .map(|state| state.as_str())
        .collect();
    assert_eq!(vocabulary, Some(states));
}

#[test]
fn capacity_waiting_list_cancellation_and_deadline() {
    let state = derive(&busy(), at(20, 0));
    assert_eq!(state.organizer, school(ORGANIZER));
    assert_eq!(state.current, record(51));
    assert_eq!(state.sequence, 1);
    assert_eq!(state.status, EventStatus::Full);
    // Teacher 2's cancellation freed a place for teacher 3, the first waiter; teacher 1
    // registering twice kept their first turn.
    assert_eq!(
        who(&state.confirmed),
        vec![(NORTH, person_id(1)), (SOUTH, person_id(3))]
    );
    assert_eq!(state.confirmed[0].since, at(1, 0));
    assert_eq!(who(&state.waiting), vec![(SOUTH, person_id(4))]);
    assert_eq!(who(&state.cancelled), vec![(NORTH, person_id(2))]);
    assert_eq!(
        state.place_of(school(SOUTH), &state.waiting[0].person),
        Some(Place::Waiting)
    );
    assert_eq!(state.attended.len(), 1);
    assert!(state.confirmed[0].attended && !state.confirmed[1].attended);
    assert_eq!(
        rules(&state),
        vec![
            (record(52), "not-event-author"),
            (record(66), "registration-closed"),
            (record(67), "attended-not-by-organizer"),
        ]
    );
}

#[test]
fn a_cancellation_frees_a_place_and_registering_again_goes_to_the_back() {
    let mut records = busy();
    records.push(register(69, SOUTH, 3, 5, 0, "cancelled"));
    records.push(register(70, SOUTH, 3, 6, 0, "registered"));
    let state = derive(&records, at(20, 0));
    assert_eq!(
        who(&state.confirmed),
        vec![(NORTH, person_id(1)), (SOUTH, person_id(4))]
    );
    assert_eq!(who(&state.waiting), vec![(SOUTH, person_id(3))]);
    // Cancelling after the deadline is still allowed and frees a place.
    records.push(register(
        71,
        NORTH,
        1,
        DEADLINE_DAY,
        DEADLINE_MINUTE + 5,
        "cancelled",
    ));
    let state = derive(&records, at(DEADLINE_DAY, DEADLINE_MINUTE + 10));
    assert_eq!(
        who(&state.confirmed),
        vec![(SOUTH, person_id(4)), (SOUTH, person_id(3))]
    );
    assert_eq!(state.status, EventStatus::Full);
}

#[test]
fn a_registration_at_the_deadline_counts() {
    let records = vec![
        event_version(EVENT, 0, webinar(None)),
        register(60, NORTH, 1, DEADLINE_DAY, DEADLINE_MINUTE, "registered"),
    ];
    let state = derive(&records, at(1, 0));
    assert_eq!(who(&state.confirmed), vec![(NORTH, person_id(1))]);
    assert!(state.refused.is_empty());
    assert_eq!(state.status, EventStatus::Scheduled);
}

#[test]
fn states_over_time_and_cancellation() {
    let records = busy();
    let cases = [
        (at(20, 0), EventStatus::Full),
        (at(DEADLINE_DAY + 1, END_MINUTE - 1), EventStatus::Full),
        (at(DEADLINE_DAY + 1, END_MINUTE), EventStatus::Past),
    ];
    for (now, expected) in cases {
        assert_eq!(derive(&records, now).status, expected, "{now}");
    }
    let mut open = records.clone();
    open.push(register(69, SOUTH, 3, 5, 0, "cancelled"));
    open.push(register(70, SOUTH, 4, 5, 5, "cancelled"));
    open.push(register(72, NORTH, 1, 5, 10, "cancelled"));
    assert_eq!(derive(&open, at(20, 0)).status, EventStatus::Scheduled);
    let mut cancelled = records;
    let body = with(&webinar(Some(2)), "/cancelled", json!(true));
    cancelled.push(event_version(53, 10, body));
    let state = derive(&cancelled, at(DEADLINE_DAY + 2, 0));
    assert_eq!(state.status, EventStatus::Cancelled);
    assert_eq!(state.sequence, 2);
}

#[test]
fn no_first_version_no_event() {
    let records = vec![register(60, NORTH, 1, 1, 0, "registered")];
    assert!(derive_event(record(EVENT), &records, at(1, 0)).is_none());
}

#[test]
fn the_state_is_the_same_for_every_order_of_the_records() {
    let records = busy();
    let expected = derive(&records, at(20, 0));
    let (head, tail) = records.split_at(7);
    let mut head = head.to_vec();
    let mut visited = 0;
    permutations(&mut head, &mut |order| {
        let all: Vec<Held> = order.iter().chain(tail).cloned().collect();
        assert_eq!(derive(&all, at(20, 0)), expected);
        visited += 1;
    });
    assert_eq!(visited, 5040);
    let mut seed: u64 = 0xe7e47;
    let mut doubled = records.clone();
    doubled.extend(records.iter().skip(3).take(4).cloned());
    for _ in 0..300 {
        for index in (1..doubled.len()).rev() {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let other = (seed >> 33) as usize % (index + 1);
            doubled.swap(index, other);
        }
        assert_eq!(derive(&doubled, at(20, 0)), expected);
    }
}

#[test]
fn text_escaping() {
    let cases = [
        ("plain", "plain"),
        ("a;b,c", "a\\;b\\,c"),
        ("C:\\школа", "C:\\\\школа"),
        ("строка 1\nстрока 2", "строка 1\\nстрока 2"),
        ("windows\r\nline", "windows\\nline"),
        ("old mac\rline", "old mac\\nline"),
        ("tab\tand\u{7}bell", "tab\tandbell"),
        (
            "«Соглашение»: нормы; решения, правила",
            "«Соглашение»: нормы\\; решения\\, правила",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(escape_text(text), expected, "{text:?}");
    }
}

/// The content lines of folded text, without CRLFs; asserts every line ends in CRLF.
fn physical_lines(folded: &str) -> Vec<&str> {
    assert!(folded.ends_with("\r\n"), "{folded:?}");
    assert!(!folded.replace("\r\n", "").contains(['\r', '\n']));
    folded.trim_end_matches("\r\n").split("\r\n").collect()
}

fn unfold(folded: &str) -> String {
    folded.trim_end_matches("\r\n").replace("\r\n ", "")
}

#[test]
fn folding_at_75_octets_never_splits_a_character() {
    let prefix = "SUMMARY:";
    let two_byte = format!("{prefix}{}ж{}", "a".repeat(66), "b".repeat(10));
    let four_byte = format!("{prefix}{}😀{}", "a".repeat(65), "b".repeat(10));
    let cases = [
        // 'ж' would occupy octets 75–76: the first line stops at 74.
        (two_byte, 74),
        // The emoji would occupy octets 74–77: the first line stops at 73.
        (four_byte, 73),
        (format!("{prefix}{}", "a".repeat(67)), 75),
        // Eight ASCII octets, then two-octet letters: 74 is the last boundary.
        (format!("{prefix}{}", "ж".repeat(200)), 74),
    ];
    for (line, first_octets) in cases {
        let folded = fold(&line);
        let lines = physical_lines(&folded);
        assert_eq!(lines[0].len(), first_octets, "{line}");
        for continuation in &lines[1..] {
            assert!(continuation.starts_with(' '));
        }
        assert!(lines.iter().all(|part| part.len() <= LINE_MAX_OCTETS));
        assert_eq!(unfold(&folded), line);
    }
    assert_eq!(fold("VERSION:2.0"), "VERSION:2.0\r\n");
}

fn webinar_state() -> EventState {
    derive(&busy(), at(20, 0))
}

#[test]
fn one_vevent() {
    let state = webinar_state();
    let item = CalendarEvent::from_state(&state);
    let text = vevent(&item, "en");
    let expected = [
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}@ensemble.invalid", record(EVENT)),
        "SEQUENCE:1".to_string(),
        "DTSTAMP:20270113T000000Z".to_string(),
        "DTSTART:20270210T120000Z".to_string(),
        "DTEND:20270210T133000Z".to_string(),
        "SUMMARY;LANGUAGE=en:Formative assessment: self-assessment sheets in maths lessons"
            .to_string(),
        "DESCRIPTION;LANGUAGE=ru:Добавили разбор листов самооценки из 6 класса.".to_string(),
        "URL:https://meet.school5-elabuga.edu.ru/webinar-12".to_string(),
        "STATUS:CONFIRMED".to_string(),
        "END:VEVENT".to_string(),
    ];
    assert_eq!(unfold(&text).split("\r\n").collect::<Vec<_>>(), expected);
    assert!(
        physical_lines(&text)
            .iter()
            .all(|line| line.len() <= LINE_MAX_OCTETS)
    );
    let russian = vevent(&item, "ru");
    assert!(unfold(&russian).contains(
        "SUMMARY;LANGUAGE=ru:Формирующее оценивание: листы самооценки на уроке математики"
    ));
}

#[test]
fn a_cancelled_event_and_a_feed() {
    let mut records = busy();
    let body = with(&webinar(Some(2)), "/cancelled", json!(true));
    let body = with(
        &body,
        "/place",
        json!({"ru": "Елабуга, ул. Мира, 5; каб. 21"}),
    );
    records.push(event_version(53, 10, body));
    let cancelled = derive(&records, at(20, 0));
    let scheduled = webinar_state();
    let feed = calendar(
        &[
            CalendarEvent::from_state(&scheduled),
            CalendarEvent::from_state(&cancelled),
        ],
        "ru",
    );
    let lines: Vec<String> = unfold(&feed).split("\r\n").map(str::to_string).collect();
    assert_eq!(
        lines[..5],
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Ensemble//Ensemble network events//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH"
        ]
    );
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    assert_eq!(
        lines.iter().filter(|line| *line == "BEGIN:VEVENT").count(),
        2
    );
    assert!(lines.contains(&"STATUS:CANCELLED".to_string()));
    assert!(lines.contains(&"SEQUENCE:2".to_string()));
    assert!(
        lines.contains(&"LOCATION;LANGUAGE=ru:Елабуга\\, ул. Мира\\, 5\\; каб. 21".to_string())
    );
    assert!(
        lines.contains(&"DESCRIPTION;LANGUAGE=ru:Покажем листы самооценки\\, разберём типичные ошибки\\; вопросы — в чате\\, ответы\\; до встречи.\\nЗапись будет.".to_string())
    );
    assert!(
        physical_lines(&feed)
            .iter()
            .all(|line| line.len() <= LINE_MAX_OCTETS)
    );
}
