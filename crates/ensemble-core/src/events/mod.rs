//! Network events as every node derives them, and their calendar form: the event's
//! current version and state (scheduled, full, cancelled, past), who holds a place, who
//! waits, who cancelled, who attended ([`derive_event`]); and the iCalendar (RFC 5545)
//! rendering of one event or a feed of many ([`ical`]).
//!
//! Like the mentoring thread and the community, the state is the same for the same set
//! of records in any order, and nothing here does I/O or reads a clock: callers pass
//! the records they hold as [`Held`](crate::held::Held) values (retracted ones left
//! out) and `now`.
//!
//! Code map: this file names the rules; `state` derives the state; `ical` renders.

pub mod ical;
mod state;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use state::{EventState, EventStatus, Place, Registrant, derive_event};

use crate::RecordId;
use crate::mentoring::Refusal;

/// A rule of an event. Its code ([`Rule::as_str`]) is stable: clients and other nodes
/// match on it. Refusals share the mentoring workflow's [`Refusal`] shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// `not-event-author`: a version of the event by another school.
    NotEventAuthor,
    /// `registration-closed`: a registration made after `registration_until`.
    RegistrationClosed,
    /// `attended-not-by-organizer`: an `attended` record from another school than the
    /// organizer.
    AttendedNotByOrganizer,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 3] = [
        Rule::NotEventAuthor,
        Rule::RegistrationClosed,
        Rule::AttendedNotByOrganizer,
    ];

    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NotEventAuthor => "not-event-author",
            Rule::RegistrationClosed => "registration-closed",
            Rule::AttendedNotByOrganizer => "attended-not-by-organizer",
        }
    }

    /// The rule in plain English, as a user is told it.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::NotEventAuthor => "only the school that published the event may edit it",
            Rule::RegistrationClosed => "registration for the event had closed",
            Rule::AttendedNotByOrganizer => {
                "only the organizer school may confirm that a person attended"
            }
        }
    }

    /// A refusal of `record` under this rule.
    pub fn refuse(self, record: RecordId) -> Refusal {
        Refusal {
            record,
            rule: self.as_str(),
            reason: self.reason().to_string(),
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
