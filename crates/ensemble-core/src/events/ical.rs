//! iCalendar (RFC 5545) for network events: one `VEVENT` per event and a `VCALENDAR`
//! feed of many, so that teachers see network events in the calendar they already use.
//!
//! Pure text rendering: no clock (DTSTAMP is the time of the event's current version,
//! so the same records always give the same bytes), no I/O. Texts are taken in the
//! reader's language from the language maps ([`LangMap::best`]); TEXT values are escaped
//! (`\\`, `\;`, `\,`, `\n`), lines end in CRLF and are folded at 75 octets without ever
//! splitting a UTF-8 character.

use super::EventState;
use crate::RecordId;
use crate::body::{Event, LangMap, utc_basic};

/// Longest content line, in octets, without its CRLF (RFC 5545 § 3.1).
pub const LINE_MAX_OCTETS: usize = 75;
/// The product that wrote the calendar (RFC 5545 § 3.7.3).
pub const PRODID: &str = "-//Ensemble//Ensemble network events//EN";
/// Appended to an event's doc id to make its UID globally unique and stable across
/// versions (RFC 5545 § 3.8.4.7).
pub const UID_DOMAIN: &str = "ensemble.invalid";
/// Line ending of every content line.
const CRLF: &str = "\r\n";

/// What one `VEVENT` is made of: the event's current body and where it stands among
/// its versions.
#[derive(Debug, Clone, Copy)]
pub struct CalendarEvent<'a> {
    /// The event's doc id: the UID, stable across versions.
    pub doc: RecordId,
    /// How many versions came before this one: the SEQUENCE.
    pub sequence: u32,
    /// When this version was made (unix ms): the DTSTAMP.
    pub updated_at: u64,
    /// The version's body.
    pub event: &'a Event,
}

impl<'a> CalendarEvent<'a> {
    /// The calendar form of a derived event.
    pub fn from_state(state: &'a EventState) -> CalendarEvent<'a> {
        CalendarEvent {
            doc: state.event,
            sequence: state.sequence,
            updated_at: state.updated_at,
            event: &state.body,
        }
    }
}

/// One `VEVENT`, CRLF-terminated, texts in `lang` where the event has them.
pub fn vevent(item: &CalendarEvent, lang: &str) -> String {
    let event = item.event;
    let mut out = String::new();
    line(&mut out, "BEGIN:VEVENT");
    line(&mut out, &format!("UID:{}@{UID_DOMAIN}", item.doc));
    line(&mut out, &format!("SEQUENCE:{}", item.sequence));
    let stamp = i64::try_from(item.updated_at).unwrap_or(i64::MAX);
    line(&mut out, &format!("DTSTAMP:{}", utc_basic(stamp)));
    line(
        &mut out,
        &format!("DTSTART:{}", event.starts_at.utc_basic()),
    );
    line(&mut out, &format!("DTEND:{}", event.ends_at.utc_basic()));
    text_property(&mut out, "SUMMARY", &event.title, lang);
    if let Some(description) = &event.description {
        text_property(&mut out, "DESCRIPTION", description, lang);
    }
    if let Some(place) = &event.place {
        text_property(&mut out, "LOCATION", place, lang);
    }
    if let Some(url) = &event.url {
        // A URI value, not TEXT: no escaping (validation already refused whitespace
        // and control characters in it).
        line(&mut out, &format!("URL:{url}"));
    }
    let status = if event.cancelled {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    line(&mut out, &format!("STATUS:{status}"));
    line(&mut out, "END:VEVENT");
    out
}

/// A `VCALENDAR` feed of `items`, in the order given, texts in `lang`.
pub fn calendar(items: &[CalendarEvent], lang: &str) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, &format!("PRODID:{PRODID}"));
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    for item in items {
        out.push_str(&vevent(item, lang));
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// `text` escaped as an RFC 5545 TEXT value: backslash, semicolon and comma get a
/// backslash, every line break (`\r\n`, `\n`, `\r`) becomes `\n`, and other control
/// characters (which TEXT forbids) are dropped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// `line` folded into content lines of at most [`LINE_MAX_OCTETS`] octets, each ending
/// in CRLF; continuation lines begin with one space (which counts toward the limit).
/// Folds fall between characters, never inside a multi-byte UTF-8 sequence.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / LINE_MAX_OCTETS * 3 + 2);
    let mut rest = line;
    let mut limit = LINE_MAX_OCTETS;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str(CRLF);
            return out;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str(CRLF);
        out.push(' ');
        rest = &rest[cut..];
        // The leading space of a continuation line takes one octet of its 75.
        limit = LINE_MAX_OCTETS - 1;
    }
}

fn line(out: &mut String, content: &str) {
    out.push_str(&fold(content));
}

/// `NAME;LANGUAGE=xx:escaped text`, in the reader's language when the map has it.
fn text_property(out: &mut String, name: &str, map: &LangMap, lang: &str) {
    let Some(text) = map.best(lang) else {
        return;
    };
    let tag = map
        .0
        .iter()
        .find(|(_, candidate)| candidate.as_str() == text)
        .map(|(tag, _)| tag.as_str());
    let content = match tag {
        Some(tag) => format!("{name};LANGUAGE={tag}:{}", escape_text(text)),
        None => format!("{name}:{}", escape_text(text)),
    };
    line(out, &content);
}
