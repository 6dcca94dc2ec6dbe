//! Points in time as events write them: RFC 3339 with an explicit offset
//! (`2027-02-10T15:00:00+03:00`). Parsed by hand, like [`Date`], since the format is
//! fixed and core takes no date crate; kept as written (bodies are never re-serialised
//! differently) together with the instant it names, so that times in different offsets
//! compare correctly.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::read::{Checker, string};
use super::values::Date;

/// Milliseconds in a second.
const MS_PER_SECOND: i64 = 1_000;
/// Seconds in a minute.
const SECONDS_PER_MINUTE: i64 = 60;
/// Seconds in an hour.
const SECONDS_PER_HOUR: i64 = 3_600;
/// Seconds in a day.
const SECONDS_PER_DAY: i64 = 86_400;
/// Latest hour of an offset: RFC 3339 offsets are within ±23:59.
const OFFSET_HOURS_MAX: i64 = 23;
/// Length of `YYYY-MM-DDTHH:MM:SS`, the part before any fraction or offset.
const BASE_LEN: usize = 19;
/// Most fraction digits read; only milliseconds are kept.
const FRACTION_DIGITS_MAX: usize = 9;
/// Fraction digits kept: milliseconds.
const FRACTION_DIGITS_KEPT: u32 = 3;
/// Length of the `YYYY-MM-DD` part.
const DATE_LEN: usize = 10;
/// Latest hour of a day.
const HOUR_MAX: i64 = 23;
/// Days in a 400-year Gregorian era.
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 (the algorithm's epoch) to 1970-01-01.
const UNIX_EPOCH_SHIFT_DAYS: i64 = 719_468;

/// An instant written in RFC 3339 with an offset. Equal when written the same; ordered
/// by the instant, then by the text (so two spellings of one instant still order
/// deterministically).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateTime {
    text: String,
    unix_ms: i64,
}

/// Why a text is not an RFC 3339 time with offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateTimeError {
    /// Not `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
    #[error("must be a time with offset like 2027-02-10T15:00:00+03:00")]
    Shape,
    /// A local time without `Z` or an offset: which instant it names is unknown.
    #[error("needs an offset like +03:00 or Z")]
    MissingOffset,
    /// Well formed but not a real date, time of day or offset.
    #[error("is not a real date, time or offset")]
    OutOfRange,
}

impl DateTime {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub fn unix_ms(&self) -> i64 {
        self.unix_ms
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant in UTC, iCalendar's basic form: `20270210T120000Z`.
    pub fn utc_basic(&self) -> String {
        utc_basic(self.unix_ms)
    }

    /// Whether this instant is after the unix time `ms` (milliseconds).
    pub fn is_after_ms(&self, ms: u64) -> bool {
        i128::from(self.unix_ms) > i128::from(ms)
    }
}

/// `unix_ms` in UTC as `YYYYMMDDTHHMMSSZ`.
pub fn utc_basic(unix_ms: i64) -> String {
    let seconds = unix_ms.div_euclid(MS_PER_SECOND);
    let (days, second_of_day) = (
        seconds.div_euclid(SECONDS_PER_DAY),
        seconds.rem_euclid(SECONDS_PER_DAY),
    );
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        second_of_day / SECONDS_PER_HOUR,
        second_of_day % SECONDS_PER_HOUR / SECONDS_PER_MINUTE,
        second_of_day % SECONDS_PER_MINUTE
    )
}

impl Ord for DateTime {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.unix_ms, &self.text).cmp(&(other.unix_ms, &other.text))
    }
}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for DateTime {
    type Err = DateTimeError;

    fn from_str(text: &str) -> Result<DateTime, DateTimeError> {
        let bytes = text.as_bytes();
        if bytes.len() < BASE_LEN || !text.is_ascii() {
            return Err(DateTimeError::Shape);
        }
        let date: Date = text[..DATE_LEN].parse().map_err(|error| match error {
            super::values::DateError::Shape => DateTimeError::Shape,
            super::values::DateError::NotOnCalendar => DateTimeError::OutOfRange,
        })?;
        if !matches!(bytes[DATE_LEN], b'T' | b't') || bytes[13] != b':' || bytes[16] != b':' {
            return Err(DateTimeError::Shape);
        }
        let hour = two_digits(bytes, 11)?;
        let minute = two_digits(bytes, 14)?;
        let second = two_digits(bytes, 17)?;
        let mut rest = &text[BASE_LEN..];
        let mut millis = 0;
        if let Some(after_dot) = rest.strip_prefix('.') {
            let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > FRACTION_DIGITS_MAX {
                return Err(DateTimeError::Shape);
            }
            for (index, byte) in after_dot
                .bytes()
                .take(digits.min(FRACTION_DIGITS_KEPT as usize))
                .enumerate()
            {
                // Up to three digits, as milliseconds; the exponent is at most 2.
                let exponent = FRACTION_DIGITS_KEPT - 1 - index as u32;
                millis += i64::from(byte - b'0') * 10_i64.pow(exponent);
            }
            rest = &after_dot[digits..];
        }
        let offset_seconds = match rest.as_bytes() {
            [] => return Err(DateTimeError::MissingOffset),
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let hours = two_digits(rest.as_bytes(), 1)?;
                let minutes = two_digits(rest.as_bytes(), 4)?;
                if hours > OFFSET_HOURS_MAX || minutes >= SECONDS_PER_MINUTE {
                    return Err(DateTimeError::OutOfRange);
                }
                let magnitude = hours * SECONDS_PER_HOUR + minutes * SECONDS_PER_MINUTE;
                if *sign == b'-' { -magnitude } else { magnitude }
            }
            _ => return Err(DateTimeError::Shape),
        };
        // No leap seconds: a schedule never names 23:59:60.
        if hour > HOUR_MAX || minute >= SECONDS_PER_MINUTE || second >= SECONDS_PER_MINUTE {
            return Err(DateTimeError::OutOfRange);
        }
        let days = days_from_civil(
            i64::from(date.year()),
            i64::from(date.month()),
            i64::from(date.day()),
        );
        let local_seconds =
            days * SECONDS_PER_DAY + hour * SECONDS_PER_HOUR + minute * SECONDS_PER_MINUTE + second;
        Ok(DateTime {
            text: text.to_string(),
            unix_ms: (local_seconds - offset_seconds) * MS_PER_SECOND + millis,
        })
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Reads an RFC 3339 time with offset at `path`.
pub(super) fn date_time(checker: &mut Checker, path: &str, value: &Value) -> Option<DateTime> {
    let text = string(checker, path, value)?;
    match text.parse::<DateTime>() {
        Ok(time) => Some(time),
        Err(error) => {
            checker.fail(path, error.to_string());
            None
        }
    }
}

fn two_digits(bytes: &[u8], at: usize) -> Result<i64, DateTimeError> {
    match (bytes.get(at), bytes.get(at + 1)) {
        (Some(tens), Some(ones)) if tens.is_ascii_digit() && ones.is_ascii_digit() => {
            Ok(i64::from(tens - b'0') * 10 + i64::from(ones - b'0'))
        }
        _ => Err(DateTimeError::Shape),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - UNIX_EPOCH_SHIFT_DAYS
}

/// The date of a day count since 1970-01-01 (the inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + UNIX_EPOCH_SHIFT_DAYS;
    let era = shifted.div_euclid(DAYS_PER_ERA);
    let day_of_era = shifted - era * DAYS_PER_ERA;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc_3339_with_offset() {
        let cases: &[(&str, Result<i64, DateTimeError>)] = &[
            ("1970-01-01T00:00:00Z", Ok(0)),
            ("1970-01-01T03:00:00+03:00", Ok(0)),
            ("1969-12-31T23:00:00-01:00", Ok(0)),
            ("2027-02-10T15:00:00+03:00", Ok(1_802_260_800_000)),
            ("2027-02-10t12:00:00.5z", Ok(1_802_260_800_500)),
            ("2027-02-10T12:00:00.123456789Z", Ok(1_802_260_800_123)),
            ("2027-02-10T15:00:00", Err(DateTimeError::MissingOffset)),
            ("2027-02-10 15:00:00+03:00", Err(DateTimeError::Shape)),
            ("2027-02-10T15:00+03:00", Err(DateTimeError::Shape)),
            ("2027-02-10T15:00:00+0300", Err(DateTimeError::Shape)),
            ("2027-02-10T15:00:00.+03:00", Err(DateTimeError::Shape)),
            ("2027-02-10", Err(DateTimeError::Shape)),
            ("10.02.2027 15:00", Err(DateTimeError::Shape)),
            ("2027-02-30T15:00:00Z", Err(DateTimeError::OutOfRange)),
            ("2027-02-10T24:00:00Z", Err(DateTimeError::OutOfRange)),
            ("2027-02-10T15:60:00Z", Err(DateTimeError::OutOfRange)),
            ("2027-02-10T15:00:60Z", Err(DateTimeError::OutOfRange)),
            ("2027-02-10T15:00:00+24:00", Err(DateTimeError::OutOfRange)),
            ("2027-02-10T15:00:00＋03:00", Err(DateTimeError::Shape)),
        ];
        for (text, expected) in cases {
            let parsed = text.parse::<DateTime>().map(|time| time.unix_ms());
            assert_eq!(&parsed, expected, "{text}");
        }
    }

    #[test]
    fn orders_by_instant_and_renders_utc() {
        let parse = |text: &str| match text.parse::<DateTime>() {
            Ok(time) => time,
            Err(error) => panic!("{text}: {error}"),
        };
        let moscow = parse("2027-02-10T15:00:00+03:00");
        let london = parse("2027-02-10T13:00:00Z");
        assert!(moscow < london);
        assert_eq!(moscow.utc_basic(), "20270210T120000Z");
        assert_eq!(
            parse("2028-02-29T23:30:00-01:00").utc_basic(),
            "20280301T003000Z"
        );
        assert_eq!(
            parse("1999-12-31T23:59:59Z").utc_basic(),
            "19991231T235959Z"
        );
        assert_eq!(
            serde_json::to_string(&moscow).unwrap_or_default(),
            "\"2027-02-10T15:00:00+03:00\""
        );
        assert!(moscow.is_after_ms(1_802_260_799_999));
        assert!(!moscow.is_after_ms(1_802_260_800_000));
    }

    #[test]
    fn day_counts_round_trip_over_four_centuries() {
        for days in (-146_097..146_097).step_by(37) {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
    }
}
