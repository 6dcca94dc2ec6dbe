//! Today's UTC date, for expiry and `valid_until`, by core's civil-date rule.

use ensemble_core::body::Date;

use crate::node::NodeError;

/// Today (UTC), for expiry and `valid_until`.
pub(super) fn today() -> Result<Date, NodeError> {
    date_of(ensemble_core::now_ms())
        .ok_or_else(|| NodeError::Config("the system clock is outside years 1–9999".into()))
}

/// The UTC calendar date of a unix time in milliseconds: core's one civil-date rule.
fn date_of(unix_ms: u64) -> Option<Date> {
    ensemble_core::body::utc_date(unix_ms)
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
            (ensemble_core::body::MS_PER_DAY - 1, "1970-01-01"),
            (ensemble_core::body::MS_PER_DAY, "1970-01-02"),
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
