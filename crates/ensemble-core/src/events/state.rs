//! [`derive_event`]: one event's state and registrations from the records a node holds.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Rule;
use crate::body::{Body, Event, EventRegistration, PersonId, RegistrationStatus};
use crate::held::{Held, OrderKey};
use crate::mentoring::Refusal;
use crate::{RecordId, SchoolId};

/// Where an event stands. Serialises as its [`EventStatus::as_str`] code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventStatus {
    /// Ahead, with places left (or no limit).
    Scheduled,
    /// Ahead, every place taken: new registrations wait.
    Full,
    /// Cancelled by its organizer.
    Cancelled,
    /// Over: `now` is at or after `ends_at`.
    Past,
}

impl EventStatus {
    /// Every state.
    pub const ALL: [EventStatus; 4] = [
        EventStatus::Scheduled,
        EventStatus::Full,
        EventStatus::Cancelled,
        EventStatus::Past,
    ];

    /// The code: `scheduled`, `full`, `cancelled`, `past` (vocabulary `event_states`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Scheduled => "scheduled",
            EventStatus::Full => "full",
            EventStatus::Cancelled => "cancelled",
            EventStatus::Past => "past",
        }
    }
}

impl std::fmt::Display for EventStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one person's registration stands (vocabulary `place_states`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Place {
    /// Holds a place.
    Confirmed,
    /// On the waiting list.
    Waiting,
    /// Cancelled their registration.
    Cancelled,
}

/// An event as every node derives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventState {
    /// The event's doc id.
    pub event: RecordId,
    /// The school that published it; only its versions and `attended` records count.
    pub organizer: SchoolId,
    /// The current version's record id: the latest (created_at, id) by the organizer.
    pub current: RecordId,
    /// The current version's `created_at` (unix ms): the calendar's DTSTAMP.
    pub updated_at: u64,
    /// How many versions came before the current one: the calendar's SEQUENCE.
    pub sequence: u32,
    /// The current version's body.
    pub body: Event,
    /// Scheduled, full, cancelled or past.
    pub status: EventStatus,
    /// People holding a place, in arrival order.
    pub confirmed: Vec<Registrant>,
    /// People waiting for a place, in arrival order: the first gets the next free one.
    pub waiting: Vec<Registrant>,
    /// People who cancelled, by (school, person).
    pub cancelled: Vec<Registrant>,
    /// Person ids the organizer confirmed as attending, in order.
    pub attended: Vec<PersonId>,
    /// Records that broke a rule, oldest first.
    pub refused: Vec<Refusal>,
}

/// One person's registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registrant {
    /// Their school: the author of their registration records.
    pub school: SchoolId,
    /// Their id within the school.
    pub person: PersonId,
    /// Their name, from their latest registration record.
    pub name: String,
    /// Confirmed, waiting or cancelled.
    pub place: Place,
    /// When their current registration began (unix ms): the waiting list's order.
    pub since: u64,
    /// Whether the organizer confirmed they attended.
    pub attended: bool,
}

impl EventState {
    /// Where `person` of `school` stands, if they ever registered.
    pub fn place_of(&self, school: SchoolId, person: &PersonId) -> Option<Place> {
        self.confirmed
            .iter()
            .chain(&self.waiting)
            .chain(&self.cancelled)
            .find(|registrant| registrant.school == school && &registrant.person == person)
            .map(|registrant| registrant.place)
    }
}

/// Derives the state of event `event` (its doc id) from `held`, in any order, at
/// `now_ms`. `None` when the event's first version is not among them.
///
/// The rules, each refusal naming its [`Rule`]:
/// - Versions are the `event` records of this doc by the first version's author (the
///   organizer); another school's are `not-event-author`. The latest is current.
/// - A person is (school of the registration record, `by.person`). Their latest
///   `registered`/`cancelled` record decides whether they want a place; a run of
///   `registered` records keeps its first record's time, so registering twice does not
///   lose one's turn, and cancelling then registering again goes to the back.
/// - `registered` records made after the current version's `registration_until` are
///   `registration-closed`; cancelling stays possible.
/// - Places go in order of (created_at, id) of each person's current registration: the
///   first `capacity` are confirmed, the rest wait. A cancellation frees a place for
///   the first waiter.
/// - `attended` records count only from the organizer (`attended-not-by-organizer`);
///   they mark the person id as attended and leave places unchanged.
/// - The state is the first that holds of: `cancelled`, `past` (`now_ms` at or after
///   `ends_at`), `full` (confirmed places reach `capacity`), `scheduled`.
pub fn derive_event(event: RecordId, held: &[Held], now_ms: u64) -> Option<EventState> {
    let first = held
        .iter()
        .find(|record| record.id == event && matches!(record.body, Body::Event(_)))?;
    let organizer = first.author;
    let mut refused: Vec<(OrderKey, Refusal)> = Vec::new();

    let mut versions: Vec<&Held> = Vec::new();
    let mut foreign: BTreeSet<(OrderKey, RecordId)> = BTreeSet::new();
    for record in held {
        if record.doc != event || !matches!(record.body, Body::Event(_)) {
            continue;
        }
        if record.author == organizer {
            versions.push(record);
        } else {
            foreign.insert((record.key(), record.id));
        }
    }
    for (key, id) in foreign {
        refused.push((key, Rule::NotEventAuthor.refuse(id)));
    }
    versions.sort_by_key(|record| record.key());
    versions.dedup_by_key(|record| record.id);
    let version_ids: BTreeSet<RecordId> = versions.iter().map(|record| record.id).collect();
    // `versions` holds at least the first version.
    let current = versions[versions.len() - 1];
    let Body::Event(body) = &current.body else {
        return None;
    };

    let mut by_person: BTreeMap<(SchoolId, PersonId), Vec<(&Held, &EventRegistration)>> =
        BTreeMap::new();
    let mut attended: BTreeMap<PersonId, OrderKey> = BTreeMap::new();
    let mut seen: BTreeSet<RecordId> = BTreeSet::new();
    for record in held {
        let Body::EventRegistration(registration) = &record.body else {
            continue;
        };
        let names_event = registration.event == event || version_ids.contains(&registration.event);
        if !names_event || !seen.insert(record.id) {
            continue;
        }
        match registration.status {
            RegistrationStatus::Attended if record.author != organizer => {
                refused.push((record.key(), Rule::AttendedNotByOrganizer.refuse(record.id)));
            }
            RegistrationStatus::Attended => {
                let first_seen = attended
                    .entry(registration.by.person.clone())
                    .or_insert(record.key());
                *first_seen = (*first_seen).min(record.key());
            }
            RegistrationStatus::Registered
                if body
                    .registration_until
                    .as_ref()
                    .is_some_and(|until| after(record.created_at, until.unix_ms())) =>
            {
                refused.push((record.key(), Rule::RegistrationClosed.refuse(record.id)));
            }
            RegistrationStatus::Registered | RegistrationStatus::Cancelled => {
                by_person
                    .entry((record.author, registration.by.person.clone()))
                    .or_default()
                    .push((record, registration));
            }
        }
    }

    let mut active: Vec<(OrderKey, Registrant)> = Vec::new();
    let mut cancelled = Vec::new();
    for ((school, person), mut records) in by_person {
        records.sort_by_key(|(record, _)| record.key());
        let mut since: Option<OrderKey> = None;
        for (record, registration) in &records {
            match registration.status {
                RegistrationStatus::Registered => {
                    since.get_or_insert(record.key());
                }
                _ => since = None,
            }
        }
        let Some((latest, registration)) = records.last() else {
            continue;
        };
        let registrant = Registrant {
            attended: attended.contains_key(&person),
            school,
            person,
            name: registration.by.name.clone(),
            place: Place::Cancelled,
            since: since.map_or(latest.created_at, |key| key.0),
        };
        match since {
            Some(key) => active.push((key, registrant)),
            None => cancelled.push(registrant),
        }
    }
    active.sort_by_key(|(key, _)| *key);
    // No capacity: every registration holds a place.
    let places = body.capacity.map_or(usize::MAX, |capacity| {
        usize::try_from(capacity).unwrap_or(usize::MAX)
    });
    let mut confirmed = Vec::new();
    let mut waiting = Vec::new();
    for (index, (_, mut registrant)) in active.into_iter().enumerate() {
        if index < places {
            registrant.place = Place::Confirmed;
            confirmed.push(registrant);
        } else {
            registrant.place = Place::Waiting;
            waiting.push(registrant);
        }
    }

    let status = if body.cancelled {
        EventStatus::Cancelled
    } else if after_or_at(now_ms, body.ends_at.unix_ms()) {
        EventStatus::Past
    } else if confirmed.len() >= places {
        EventStatus::Full
    } else {
        EventStatus::Scheduled
    };
    let mut attended: Vec<(OrderKey, PersonId)> = attended
        .into_iter()
        .map(|(person, key)| (key, person))
        .collect();
    attended.sort();
    refused.sort_by_key(|(key, _)| *key);
    Some(EventState {
        event,
        organizer,
        current: current.id,
        updated_at: current.created_at,
        sequence: u32::try_from(versions.len() - 1).unwrap_or(u32::MAX),
        body: body.clone(),
        status,
        confirmed,
        waiting,
        cancelled,
        attended: attended.into_iter().map(|(_, person)| person).collect(),
        refused: refused.into_iter().map(|(_, refusal)| refusal).collect(),
    })
}

/// Whether the unix time `ms` is after the instant `unix_ms` (which may be negative).
fn after(ms: u64, unix_ms: i64) -> bool {
    i128::from(ms) > i128::from(unix_ms)
}

/// Whether the unix time `ms` is at or after the instant `unix_ms`.
fn after_or_at(ms: u64, unix_ms: i64) -> bool {
    i128::from(ms) >= i128::from(unix_ms)
}
