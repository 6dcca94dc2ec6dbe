//! Instants written as RFC 3339 text with an offset (`2027-02-10T15:00:00+03:00`), and
//! the civil-calendar arithmetic that turns them, and unix milliseconds, into UTC dates.
//!
//! Core takes no date crate: the format is fixed and small, and the same few lines of
//! calendar arithmetic (Howard Hinnant's `days_from_civil`) serve both directions. No
//! time zone database is needed because every instant carries its own offset.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::values::Date;

/// Milliseconds in a second.
const MS_PER_SECOND: i64 = 1_000;
/// Seconds in a minute.
const SECONDS_PER_MINUTE: i64 = 60;
/// Seconds in an hour.
const SECONDS_PER_HOUR: i64 = 3_600;
/// Milliseconds in a day: dates are whole UTC days.
pub const MS_PER_DAY: u64 = 86_400_000;
/// Digits of a fraction of a second kept: milliseconds, the unit of `created_at`.
const MS_DIGITS: usize = 3;
/// Longest fraction of a second accepted; more digits carry no meaning here.
const FRACTION_MAX_DIGITS: usize = 9;
/// Length of `YYYY-MM-DDTHH:MM:SS`, the part before the fraction and the offset.
const DATE_TIME_LEN: usize = 19;
/// Length of a numeric offset `+HH:MM`.
const OFFSET_LEN: usize = 6;
/// Largest hour, minute and second values (leap seconds are not accepted: nothing here
/// needs a time that precise, and accepting `:60` would give one instant two spellings).
const HOUR_MAX: i64 = 23;
/// See [`HOUR_MAX`].
const MINUTE_MAX: i64 = 59;
/// See [`HOUR_MAX`].
const SECOND_MAX: i64 = 59;

/// An instant: RFC 3339 text with an offset, kept as written, and its unix time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    text: String,
    unix_ms: u64,
}

/// Why a text is not an RFC 3339 instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Not `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    #[error("must be a time with an offset like 2027-02-10T15:00:00+03:00")]
    Shape,
    /// Well formed but not on the calendar or the clock (`2027-02-30`, `25:00`).
    #[error("is not a calendar date and time")]
    NotOnCalendar,
    /// Before 1970-01-01T00:00:00Z, which no record can be about.
    #[error("must not be before 1970")]
    BeforeEpoch,
}

impl Timestamp {
    /// Unix time in milliseconds (a fraction beyond milliseconds is dropped).
    pub fn unix_ms(&self) -> u64 {
        self.unix_ms
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Timestamp, TimestampError> {
        if !text.is_ascii() || text.len() < DATE_TIME_LEN {
            return Err(TimestampError::Shape);
        }
        let (date_time, rest) = text.split_at(DATE_TIME_LEN);
        let bytes = date_time.as_bytes();
        if !matches!(bytes[10], b'T' | b't') || bytes[13] != b':' || bytes[16] != b':' {
            return Err(TimestampError::Shape);
        }
        let date: Date = date_time[..10].parse().map_err(|error| match error {
            super::values::DateError::Shape => TimestampError::Shape,
            super::values::DateError::NotOnCalendar => TimestampError::NotOnCalendar,
        })?;
        let hour = two_digits(&date_time[11..13])?;
        let minute = two_digits(&date_time[14..16])?;
        let second = two_digits(&date_time[17..19])?;
        if hour > HOUR_MAX || minute > MINUTE_MAX || second > SECOND_MAX {
            return Err(TimestampError::NotOnCalendar);
        }
        let (millis, offset) = split_fraction(rest)?;
        let offset_seconds = parse_offset(offset)?;
        let seconds = days_from_civil(date) * SECONDS_PER_HOUR * 24
            + hour * SECONDS_PER_HOUR
            + minute * SECONDS_PER_MINUTE
            + second
            - offset_seconds;
        let unix_ms = seconds * MS_PER_SECOND + millis;
        let unix_ms = u64::try_from(unix_ms).map_err(|_| TimestampError::BeforeEpoch)?;
        Ok(Timestamp {
            text: text.to_string(),
            unix_ms,
        })
    }
}

/// Two ASCII digits as a number.
fn two_digits(text: &str) -> Result<i64, TimestampError> {
    if text.len() != 2 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(TimestampError::Shape);
    }
    text.parse().map_err(|_| TimestampError::Shape)
}

/// Splits an optional `.fraction` off the front of `rest`: its milliseconds and what
/// follows (the offset).
fn split_fraction(rest: &str) -> Result<(i64, &str), TimestampError> {
    let Some(fraction) = rest.strip_prefix('.') else {
        return Ok((0, rest));
    };
    let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > FRACTION_MAX_DIGITS {
        return Err(TimestampError::Shape);
    }
    // Pad or cut to exactly three digits: `.5` is 500 ms, `.123456` is 123 ms.
    let kept: String = fraction[..digits]
        .chars()
        .chain(std::iter::repeat('0'))
        .take(MS_DIGITS)
        .collect();
    let millis = kept.parse().map_err(|_| TimestampError::Shape)?;
    Ok((millis, &fraction[digits..]))
}

/// `Z` or `±HH:MM` as seconds east of UTC.
fn parse_offset(offset: &str) -> Result<i64, TimestampError> {
    if offset == "Z" || offset == "z" {
        return Ok(0);
    }
    let bytes = offset.as_bytes();
    if offset.len() != OFFSET_LEN || bytes[3] != b':' {
        return Err(TimestampError::Shape);
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return Err(TimestampError::Shape),
    };
    let hours = two_digits(&offset[1..3])?;
    let minutes = two_digits(&offset[4..6])?;
    if hours > HOUR_MAX || minutes > MINUTE_MAX {
        return Err(TimestampError::NotOnCalendar);
    }
    Ok(sign * (hours * SECONDS_PER_HOUR + minutes * SECONDS_PER_MINUTE))
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Days from 1970-01-01 to `date` (negative before it). Hinnant's `days_from_civil`:
/// years are shifted to start in March so that the leap day ends the year.
pub fn days_from_civil(date: Date) -> i64 {
    super::time::days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    )
}

/// The UTC calendar date of unix time `unix_ms`; `None` past year 9999.
pub fn utc_date(unix_ms: u64) -> Option<Date> {
    let days = i64::try_from(unix_ms / MS_PER_DAY).ok()?;
    let (year, month, day) = super::time::civil_from_days(days);
    Date::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc_3339_with_offsets() {
        let cases: &[(&str, Result<u64, TimestampError>)] = &[
            ("1970-01-01T00:00:00Z", Ok(0)),
            ("1970-01-01T03:00:00+03:00", Ok(0)),
            ("2027-02-10T15:00:00+03:00", Ok(1_802_260_800_000)),
            ("2027-02-10T12:00:00Z", Ok(1_802_260_800_000)),
            ("2027-02-10t12:00:00z", Ok(1_802_260_800_000)),
            ("2027-02-10T12:00:00.5Z", Ok(1_802_260_800_500)),
            ("2027-02-10T12:00:00.123456789Z", Ok(1_802_260_800_123)),
            ("2027-02-10T07:30:00-04:30", Ok(1_802_260_800_000)),
            ("2028-02-29T00:00:00Z", Ok(1_835_395_200_000)),
            ("2027-02-10T15:00:00", Err(TimestampError::Shape)),
            ("2027-02-10 15:00:00Z", Err(TimestampError::Shape)),
            ("2027-02-10T15:00Z", Err(TimestampError::Shape)),
            ("2027-02-10T15:00:00.Z", Err(TimestampError::Shape)),
            ("2027-02-10T15:00:00+0300", Err(TimestampError::Shape)),
            ("2027-02-10", Err(TimestampError::Shape)),
            ("2027-02-30T15:00:00Z", Err(TimestampError::NotOnCalendar)),
            ("2027-02-10T24:00:00Z", Err(TimestampError::NotOnCalendar)),
            ("2027-02-10T23:60:00Z", Err(TimestampError::NotOnCalendar)),
            ("2027-02-10T23:59:60Z", Err(TimestampError::NotOnCalendar)),
            (
                "2027-02-10T12:00:00+24:00",
                Err(TimestampError::NotOnCalendar),
            ),
            ("1969-12-31T23:59:59Z", Err(TimestampError::BeforeEpoch)),
            (
                "1970-01-01T00:00:00+00:01",
                Err(TimestampError::BeforeEpoch),
            ),
            ("", Err(TimestampError::Shape)),
            ("２０２７-02-10T15:00:00Z", Err(TimestampError::Shape)),
        ];
        for (text, expected) in cases {
            let parsed = text.parse::<Timestamp>().map(|stamp| stamp.unix_ms());
            assert_eq!(&parsed, expected, "{text}");
        }
    }

    #[test]
    fn keeps_its_text_and_serialises_as_written() {
        let Ok(stamp) = "2027-02-10T15:00:00+03:00".parse::<Timestamp>() else {
            panic!("refused");
        };
        assert_eq!(stamp.as_str(), "2027-02-10T15:00:00+03:00");
        assert_eq!(
            serde_json::to_string(&stamp).unwrap_or_default(),
            "\"2027-02-10T15:00:00+03:00\""
        );
    }

    #[test]
    fn utc_dates_round_trip_through_days() {
        for text in [
            "1970-01-01",
            "1999-12-31",
            "2000-02-29",
            "2026-09-01",
            "2027-03-01",
            "2100-02-28",
            "9999-12-31",
        ] {
            let Ok(date) = text.parse::<Date>() else {
                panic!("{text}");
            };
            let days = days_from_civil(date);
            let Ok(days) = u64::try_from(days) else {
                panic!("{text} before 1970");
            };
            let start = days * MS_PER_DAY;
            assert_eq!(utc_date(start), Some(date), "{text} start");
            assert_eq!(utc_date(start + MS_PER_DAY - 1), Some(date), "{text} end");
        }
        assert_eq!(utc_date(u64::MAX), None);
    }
}
