//! Small value types shared by several kinds: calendar dates, periods and measured
//! quantities. Dates are parsed here by hand (the format is fixed and core takes no
//! date crate); no time zones, no times of day.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A calendar date, written `YYYY-MM-DD` (ISO 8601). Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a text is not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD`.
    #[error("must be a date like 2027-05-31")]
    Shape,
    /// Well formed but not on the calendar (`2027-02-30`).
    #[error("is not a calendar date")]
    NotOnCalendar,
}

impl Date {
    /// The date, when it is on the calendar (years 1–9999).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }
}

fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Date, DateError> {
        let bytes = text.as_bytes();
        let digits_at = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
        if bytes.len() != 10
            || bytes[4] != b'-'
            || bytes[7] != b'-'
            || !digits_at(0..4)
            || !digits_at(5..7)
            || !digits_at(8..10)
        {
            return Err(DateError::Shape);
        }
        // All ten bytes are ASCII here, so slicing the str at these offsets is safe.
        let number = |range: std::ops::Range<usize>| {
            text[range].parse::<u16>().map_err(|_| DateError::Shape)
        };
        let year = number(0..4)?;
        let month = u8::try_from(number(5..7)?).map_err(|_| DateError::Shape)?;
        let day = u8::try_from(number(8..10)?).map_err(|_| DateError::Shape)?;
        Date::new(year, month, day).ok_or(DateError::NotOnCalendar)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A period `{from, to}`, both days included; `from` is never after `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
}

impl Period {
    /// Whether `date` falls within the period.
    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && date <= self.to
    }
}

/// A measured value as the school wrote it: a number (`42`, `3.8`) or a short text
/// (`"45%"`, `"3,8 балла"`). Numbers keep their exact JSON form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Quantity {
    /// A JSON number.
    Number(serde_json::Number),
    /// A short text.
    Text(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_calendar_dates_only() {
        /// Year, month and day, or why not.
        type Parsed = Result<(u16, u8, u8), DateError>;
        let cases: &[(&str, Parsed)] = &[
            ("2027-05-31", Ok((2027, 5, 31))),
            ("2028-02-29", Ok((2028, 2, 29))),
            ("2000-02-29", Ok((2000, 2, 29))),
            ("2027-02-29", Err(DateError::NotOnCalendar)),
            ("1900-02-29", Err(DateError::NotOnCalendar)),
            ("2027-04-31", Err(DateError::NotOnCalendar)),
            ("2027-13-01", Err(DateError::NotOnCalendar)),
            ("2027-00-10", Err(DateError::NotOnCalendar)),
            ("0000-01-01", Err(DateError::NotOnCalendar)),
            ("31.05.2027", Err(DateError::Shape)),
            ("2027-5-31", Err(DateError::Shape)),
            ("2027-05-31T10:00", Err(DateError::Shape)),
            ("２０２７-05-31", Err(DateError::Shape)),
            ("", Err(DateError::Shape)),
        ];
        for (text, expected) in cases {
            let parsed = text
                .parse::<Date>()
                .map(|date| (date.year(), date.month(), date.day()));
            assert_eq!(&parsed, expected, "{text}");
        }
    }

    #[test]
    fn displays_orders_and_serialises_as_iso() {
        let early = Date::new(2026, 9, 1);
        let late = Date::new(2027, 5, 31);
        assert!(early < late);
        assert_eq!(
            early.map(|date| date.to_string()).as_deref(),
            Some("2026-09-01")
        );
        assert_eq!(
            serde_json::to_string(&late).unwrap_or_default(),
            "\"2027-05-31\""
        );
    }
}
