//! The period a figure covers: a calendar month in the organisation's time
//! zone, or any half-open range of instants.

use jiff::{Timestamp, ToSpan, civil, tz::TimeZone};

/// A half-open range of instants, `[start, end)`, with the label it is shown under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// First instant inside.
    pub start: Timestamp,
    /// First instant after.
    pub end: Timestamp,
    /// How it is shown: `2026-10` for a month.
    pub label: String,
}

/// A period that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PeriodError {
    /// Not `YYYY-MM`.
    #[error("`{0}` is not a month: write it as YYYY-MM, e.g. 2026-10")]
    NotAMonth(String),
    /// The month does not exist in the time zone's calendar.
    #[error("month `{month}` has no start in time zone {zone}: {source}")]
    Zone {
        /// The month asked for.
        month: String,
        /// The zone's name.
        zone: String,
        /// What went wrong.
        source: jiff::Error,
    },
    /// The month starts at or after the instant it is measured at.
    #[error(
        "month `{month}` has not started yet at {now}: nothing in it can be measured; the latest month that can be measured is {latest}"
    )]
    NotYet {
        /// The month asked for.
        month: String,
        /// The instant it would be measured at.
        now: Timestamp,
        /// The month holding that instant, `YYYY-MM`.
        latest: String,
    },
}

impl Period {
    /// The calendar month `YYYY-MM` in `zone`: from its first midnight to the next month's.
    pub fn month(month: &str, zone: &TimeZone) -> Result<Period, PeriodError> {
        let not = || PeriodError::NotAMonth(month.to_owned());
        let (y, m) = month.split_once('-').ok_or_else(not)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(not());
        }
        let year: i16 = y.parse().map_err(|_| not())?;
        let mon: i8 = m.parse().map_err(|_| not())?;
        let first = civil::Date::new(year, mon, 1).map_err(|_| not())?;
        let next = first.checked_add(1.month()).map_err(|_| not())?;
        let at = |d: civil::Date| {
            d.to_zoned(zone.clone())
                .map(|z| z.timestamp())
                .map_err(|source| PeriodError::Zone {
                    month: month.to_owned(),
                    zone: zone.iana_name().unwrap_or("(fixed offset)").to_owned(),
                    source,
                })
        };
        Ok(Period {
            start: at(first)?,
            end: at(next)?,
            label: format!("{year:04}-{mon:02}"),
        })
    }

    /// The calendar month `YYYY-MM` in `zone` as it can be measured at `now`:
    /// a month that has not started yet is refused, naming the latest one
    /// that can be measured; the month holding `now` ends at `now` (see
    /// [`Period::is_to_date`]), so that its weeks still to come are not
    /// counted as weeks with nothing in them.
    pub fn month_to(month: &str, zone: &TimeZone, now: Timestamp) -> Result<Period, PeriodError> {
        let mut p = Period::month(month, zone)?;
        if p.start >= now {
            let last = now
                .checked_sub(1.nanosecond())
                .unwrap_or(now)
                .to_zoned(zone.clone())
                .date();
            return Err(PeriodError::NotYet {
                month: p.label,
                now,
                latest: format!("{:04}-{:02}", last.year(), last.month()),
            });
        }
        if p.end > now {
            p.end = now;
        }
        Ok(p)
    }

    /// The month a caller names ([`Period::month_to`]), or without one the
    /// last full month before `now`.
    pub fn month_or_last_full(
        month: Option<&str>,
        zone: &TimeZone,
        now: Timestamp,
    ) -> Result<Period, PeriodError> {
        match month {
            Some(m) => Period::month_to(m, zone, now),
            None => Period::last_full_month(zone, now),
        }
    }

    /// The last full month before `now`, in `zone`.
    pub fn last_full_month(zone: &TimeZone, now: Timestamp) -> Result<Period, PeriodError> {
        let this_month = now.to_zoned(zone.clone()).date().first_of_month();
        let last = this_month
            .checked_sub(1.month())
            .map_err(|_| PeriodError::NotAMonth(format!("the month before {this_month}")))?;
        Period::month(&format!("{:04}-{:02}", last.year(), last.month()), zone)
    }

    /// Whether `self`, a month, ends before the calendar month does: it is
    /// measured up to the instant it was asked at, not whole.
    pub fn is_to_date(&self, zone: &TimeZone) -> bool {
        Period::month(&self.label, zone).is_ok_and(|whole| whole.end > self.end)
    }

    /// The `n` calendar months that end with `self` (a month), oldest first;
    /// `self` is the last, as it is (a month measured to date stays so).
    /// Trends and "is it worsening" compare across them.
    pub fn months_back(&self, n: usize, zone: &TimeZone) -> Result<Vec<Period>, PeriodError> {
        let mut out = Vec::with_capacity(n);
        let mut label = self.label.clone();
        for _ in 0..n {
            let p = Period::month(&label, zone)?;
            let start = p.start.to_zoned(zone.clone()).date();
            let prev = start
                .checked_sub(1.month())
                .map_err(|_| PeriodError::NotAMonth(label.clone()))?;
            label = format!("{:04}-{:02}", prev.year(), prev.month());
            out.push(if out.is_empty() { self.clone() } else { p });
        }
        out.reverse();
        Ok(out)
    }

    /// Whether `t` falls inside.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }

    /// Its length in days (a month: 28 to 31, or a DST-shortened day off).
    pub fn days(&self) -> f64 {
        (self.end.as_second() - self.start.as_second()) as f64 / 86_400.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_runs_from_its_first_local_midnight_to_the_next() {
        let london = TimeZone::get("Europe/London").expect("bundled");
        let oct = Period::month("2026-10", &london).expect("valid");
        // October starts in summer time (UTC+1) and ends in winter time.
        assert_eq!(oct.start.to_string(), "2026-09-30T23:00:00Z");
        assert_eq!(oct.end.to_string(), "2026-11-01T00:00:00Z");
        assert!((oct.days() - 31.0417).abs() < 0.001);
        assert!(oct.contains(oct.start));
        assert!(!oct.contains(oct.end));
    }

    #[test]
    fn months_back_ends_with_the_month_itself() {
        let utc = TimeZone::UTC;
        let feb = Period::month("2026-02", &utc).expect("valid");
        let labels: Vec<_> = feb
            .months_back(3, &utc)
            .expect("valid")
            .into_iter()
            .map(|p| p.label)
            .collect();
        assert_eq!(labels, ["2025-12", "2026-01", "2026-02"]);
    }

    #[test]
    fn a_month_not_started_yet_is_refused_and_the_current_one_ends_now() {
        let utc = TimeZone::UTC;
        let now: Timestamp = "2026-12-07T13:00:00Z".parse().expect("instant");
        let err = Period::month_to("2027-03", &utc, now).expect_err("future");
        let msg = err.to_string();
        assert!(msg.contains("has not started yet"), "{msg}");
        assert!(
            msg.contains("latest month that can be measured is 2026-12"),
            "{msg}"
        );
        let dec = Period::month_to("2026-12", &utc, now).expect("current");
        assert_eq!(dec.end, now);
        assert!(dec.is_to_date(&utc));
        assert_eq!(dec.months_back(2, &utc).expect("valid")[1], dec);
        let nov = Period::month_to("2026-11", &utc, now).expect("past");
        assert_eq!(nov, Period::month("2026-11", &utc).expect("valid"));
        assert!(!nov.is_to_date(&utc));
        // A month starting exactly now has nothing in it yet.
        let first: Timestamp = "2026-12-01T00:00:00Z".parse().expect("instant");
        let err = Period::month_to("2026-12", &utc, first).expect_err("empty");
        assert!(err.to_string().contains("is 2026-11"), "{err}");
    }

    #[test]
    fn a_month_that_is_not_yyyy_mm_is_refused_with_the_form_to_use() {
        for bad in ["2026-13", "2026-1", "26-10", "October", "2026-10-01", ""] {
            let err = Period::month(bad, &TimeZone::UTC).expect_err(bad);
            assert!(err.to_string().contains("YYYY-MM"), "{bad}: {err}");
        }
    }
}
