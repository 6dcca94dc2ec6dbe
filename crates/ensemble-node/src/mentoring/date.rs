//! Today's UTC date, for expiry and `valid_until`, without a calendar crate.

use ensemble_core::body::Date;

use crate::node::NodeError;

/// A day in milliseconds.
const DAY_MS: u64 = 86_400_000;

/// Today (UTC), for expiry and `valid_until`.
pub(super) fn today() -> Result<Date, NodeError> {
    date_of(ensemble_core::now_ms())
        .ok_or_else(|| NodeError::Config("the system clock is outside years 1–9999".into()))
}

/// The UTC calendar date of a unix time in milliseconds.
fn date_of(unix_ms: u64) -> Option<Date> {
    // Days to civil date, after Howard Hinnant's `civil_from_days`.
    let days = i64::try_from(unix_ms / DAY_MS).ok()? + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Date::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        match text.parse() {
            Ok(date) => date,
            Err(error) => panic!("{text}: {error}"),
        }
    }

    #[test]
    fn unix_milliseconds_become_utc_dates() {
        let cases = [
            (0, "1970-01-01"),
            (DAY_MS - 1, "1970-01-01"),
            (DAY_MS, "1970-01-02"),
            (951_782_400_000, "2000-02-29"),
            (951_868_800_000, "2000-03-01"),
            (1_788_220_800_000, "2026-09-01"),
            (1_798_761_599_999, "2026-12-31"),
            (1_798_761_600_000, "2027-01-01"),
            (4_107_542_400_000, "2100-03-01"),
        ];
        for (unix_ms, expected) in cases {
            assert_eq!(date_of(unix_ms), Some(date(expected)), "{unix_ms}");
        }
    }
}
