//! Timestamps and dates. The clock lives at the edge; everything here takes `now` as input.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// A point in time from the runtime's clock, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Now(pub i64);

impl Now {
    /// RFC 3339 in UTC with milliseconds, as every timestamp column stores it (so that text
    /// order is time order).
    pub fn rfc3339(self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// Accepts an ISO 8601 date (`2026-12-31`) or an RFC 3339 date-time; returns it as stored:
/// the date as given, a date-time normalised to UTC.
pub fn parse_date_or_datetime(s: &str) -> Option<String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if s.len() == 10 {
            return Some(d.format("%Y-%m-%d").to_string());
        }
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// The calendar day `days` before `day` (both `YYYY-MM-DD`).
pub fn days_before(day: &str, days: i64) -> Option<String> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some((d - chrono::Duration::days(days)).format("%Y-%m-%d").to_string())
}

/// An RFC 3339 instant as milliseconds since the epoch.
pub fn parse_instant(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

/// Minutes from `start` to `end` (RFC 3339) to two decimals (0.6 s), never negative: what a
/// time entry lasted.
pub fn exact_minutes(start: &str, end: &str) -> Option<f64> {
    let ms = (parse_instant(end)? - parse_instant(start)?).max(0);
    Some((ms as f64 / 600.0).round() / 100.0)
}

/// Whole minutes from `start` to `end` (RFC 3339), rounded to the nearest minute, never negative.
pub fn minutes_between(start: &str, end: &str) -> Option<i64> {
    let a = DateTime::parse_from_rfc3339(start).ok()?;
    let b = DateTime::parse_from_rfc3339(end).ok()?;
    let ms = (b - a).num_milliseconds().max(0);
    Some((ms + 30_000) / 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_formats_with_millis_in_utc() {
        assert_eq!(Now(0).rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Now(1_768_471_200_123).rfc3339(), "2026-01-15T10:00:00.123Z");
    }

    #[test]
    fn dates_and_datetimes_are_accepted() {
        assert_eq!(parse_date_or_datetime("2026-12-31").as_deref(), Some("2026-12-31"));
        assert_eq!(parse_date_or_datetime("2026-12-31T10:00:00+02:00").as_deref(), Some("2026-12-31T08:00:00.000Z"));
        for bad in ["2026-13-01", "31-12-2026", "2026-2-1", "tomorrow", "", "2026-12-31T25:00:00Z"] {
            assert_eq!(parse_date_or_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_before_crosses_months() {
        assert_eq!(days_before("2026-03-01", 1).as_deref(), Some("2026-02-28"));
        assert_eq!(days_before("2026-03-01", 29).as_deref(), Some("2026-01-31"));
        assert_eq!(days_before("nope", 1), None);
    }

    #[test]
    fn exact_minutes_keep_two_decimals() {
        assert_eq!(exact_minutes("2026-01-15T10:00:00Z", "2026-01-15T12:15:00Z"), Some(135.0));
        assert_eq!(exact_minutes("2026-01-15T10:00:00Z", "2026-01-15T10:00:30Z"), Some(0.5));
        assert_eq!(exact_minutes("2026-01-15T10:00:00Z", "2026-01-15T10:00:01Z"), Some(0.02));
        assert_eq!(exact_minutes("2026-01-15T10:00:00Z", "2026-01-15T09:00:00Z"), Some(0.0));
        assert_eq!(parse_instant("2026-01-15T10:00:00.5Z"), Some(1_768_471_200_500));
    }

    #[test]
    fn minutes_between_rounds_and_clamps() {
        assert_eq!(minutes_between("2026-01-15T10:00:00Z", "2026-01-15T16:30:00Z"), Some(390));
        assert_eq!(minutes_between("2026-01-15T10:00:00Z", "2026-01-15T10:00:31Z"), Some(1));
        assert_eq!(minutes_between("2026-01-15T10:00:00Z", "2026-01-15T09:00:00Z"), Some(0));
        assert_eq!(minutes_between("x", "2026-01-15T09:00:00Z"), None);
    }
}
