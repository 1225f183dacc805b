//! Small value types of the model with their own syntax: calendar days,
//! working hours and grant durations.

use std::borrow::Cow;
use std::fmt;

use jiff::civil::{Date, Weekday};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar day, written as a TOML date (`2026-03-01`) or the same in a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub Date);

impl Day {
    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        // Both dates are valid civil dates, so the span always fits in days.
        let span = self.0.until(later.0).unwrap_or_default();
        i64::from(span.get_days())
    }

    /// The day `days` after this one (`None` past the calendar's end).
    pub fn plus_days(self, days: i64) -> Option<Day> {
        self.0
            .checked_add(jiff::Span::new().try_days(days).ok()?)
            .ok()
            .map(Day)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for Day {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<Date>()
            .map(Day)
            .map_err(|e| format!("invalid date `{s}`: {e}; write it as YYYY-MM-DD"))
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match toml::Value::deserialize(d)? {
            toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(date), None, None) => {
                    Date::new(date.year as i16, date.month as i8, date.day as i8)
                        .map(Day)
                        .map_err(|e| D::Error::custom(format!("invalid date {dt}: {e}")))
                }
                _ => Err(D::Error::custom(format!(
                    "expected a date like 2026-03-01, found the date-time {dt}; drop the time of day"
                ))),
            },
            toml::Value::String(s) => s.parse().map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "expected a date like 2026-03-01, found {}",
                other.type_str()
            ))),
        }
    }
}

impl JsonSchema for Day {
    fn schema_name() -> Cow<'static, str> {
        "Day".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A calendar day, YYYY-MM-DD.",
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        })
    }
}

/// How long a just-in-time grant may last: `30m`, `4h`, `1h30m`, `2d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GrantDuration {
    minutes: u32,
}

impl GrantDuration {
    /// The duration in minutes.
    pub fn minutes(self) -> u32 {
        self.minutes
    }

    /// A duration of `minutes`.
    pub fn from_minutes(minutes: u32) -> Self {
        GrantDuration { minutes }
    }
}

impl fmt::Display for GrantDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, h, m) = (
            self.minutes / 1440,
            self.minutes % 1440 / 60,
            self.minutes % 60,
        );
        if d > 0 {
            write!(f, "{d}d")?;
        }
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 || self.minutes == 0 {
            write!(f, "{m}m")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for GrantDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hint = "write it as a number and a unit, e.g. `30m`, `4h`, `1h30m` or `2d`";
        let mut total: u64 = 0;
        let mut digits = String::new();
        let mut seen_unit = false;
        for c in s.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                'm' | 'h' | 'd' => {
                    if digits.is_empty() {
                        return Err(format!(
                            "invalid duration `{s}`: `{c}` has no number before it; {hint}"
                        ));
                    }
                    let n: u64 = digits
                        .parse()
                        .map_err(|_| format!("invalid duration `{s}`: number too large"))?;
                    let scale = match c {
                        'm' => 1,
                        'h' => 60,
                        _ => 1440,
                    };
                    total = total.saturating_add(n.saturating_mul(scale));
                    digits.clear();
                    seen_unit = true;
                }
                ' ' => {}
                other => {
                    return Err(format!(
                        "invalid duration `{s}`: unexpected `{other}`; {hint}"
                    ));
                }
            }
        }
        if !digits.is_empty() || !seen_unit {
            return Err(format!("invalid duration `{s}`: missing unit; {hint}"));
        }
        if total == 0 {
            return Err(format!(
                "invalid duration `{s}`: a grant must last longer than zero"
            ));
        }
        // A year is far beyond any sane just-in-time grant; it also keeps the
        // value comfortably inside u32.
        if total > 366 * 1440 {
            return Err(format!(
                "invalid duration `{s}`: longer than a year is not just-in-time access"
            ));
        }
        Ok(GrantDuration {
            minutes: total as u32,
        })
    }
}

impl Serialize for GrantDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GrantDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for GrantDuration {
    fn schema_name() -> Cow<'static, str> {
        "GrantDuration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration such as 30m, 4h, 1h30m or 2d.",
            "type": "string",
            "pattern": "^( *[0-9]+ *[mhd])+ *$"
        })
    }
}

/// Declared working hours, e.g. `Mon-Fri 09:00-18:00` or
/// `Mon-Thu 08:00-16:00; Fri 08:00-12:00`. A range whose end is before its
/// start runs past midnight into the next day (`Mon-Fri 22:00-06:00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    segments: Vec<HoursSegment>,
}

/// One `days start-end` part of working hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoursSegment {
    /// Bit `n` set means weekday `n` (Monday = 0).
    pub days: u8,
    /// Start, minutes after midnight.
    pub start: u16,
    /// End, minutes after midnight (1440 for `24:00`); at or before `start`
    /// means the range runs into the next day.
    pub end: u16,
}

/// Why working hours could not be parsed, and where in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursError {
    /// Byte offset of the problem in the text.
    pub offset: usize,
    /// Length in bytes of the offending part (at least 1 where the text has one).
    pub len: usize,
    /// What is wrong and how to write it.
    pub message: String,
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn weekday_index(day: Weekday) -> u8 {
    day.to_monday_zero_offset() as u8
}

impl WorkingHours {
    /// Parses working hours; `always` means every minute of every day.
    pub fn parse(text: &str) -> Result<WorkingHours, HoursError> {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("always") || trimmed == "24/7" {
            return Ok(WorkingHours {
                segments: vec![HoursSegment {
                    days: 0x7f,
                    start: 0,
                    end: 1440,
                }],
            });
        }
        let mut segments = Vec::new();
        let mut offset = 0;
        for part in text.split(';') {
            let segment = parse_segment(part, offset).map_err(|mut e| {
                // Keep the reported range on whole characters.
                e.offset = e.offset.min(text.len());
                while !text.is_char_boundary(e.offset) {
                    e.offset -= 1;
                }
                let mut end = (e.offset + e.len).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                e.len = end - e.offset;
                e
            })?;
            segments.push(segment);
            offset += part.len() + 1;
        }
        Ok(WorkingHours { segments })
    }

    /// The parsed segments.
    pub fn segments(&self) -> &[HoursSegment] {
        &self.segments
    }

    /// Whether `minute` (after midnight) of `day` falls inside these hours.
    pub fn contains(&self, day: Weekday, minute: u16) -> bool {
        let today = weekday_index(day);
        let yesterday = (today + 6) % 7;
        self.segments.iter().any(|s| {
            if s.start < s.end {
                s.days & (1 << today) != 0 && minute >= s.start && minute < s.end
            } else {
                (s.days & (1 << today) != 0 && minute >= s.start)
                    || (s.days & (1 << yesterday) != 0 && minute < s.end)
            }
        })
    }

    /// Minutes of work in a week.
    pub fn weekly_minutes(&self) -> u32 {
        self.segments
            .iter()
            .map(|s| {
                let len = if s.start < s.end {
                    s.end - s.start
                } else {
                    1440 - s.start + s.end
                };
                s.days.count_ones() * u32::from(len)
            })
            .sum()
    }
}

fn err(offset: usize, len: usize, message: impl Into<String>) -> HoursError {
    HoursError {
        offset,
        len: len.max(1),
        message: message.into(),
    }
}

fn parse_segment(part: &str, base: usize) -> Result<HoursSegment, HoursError> {
    let lead = part.len() - part.trim_start().len();
    let body = part.trim();
    let base = base + lead;
    let example = "write them like `Mon-Fri 09:00-18:00` or `Mon-Thu 08:00-16:00; Fri 08:00-12:00`";
    let Some(space) = body.find(char::is_whitespace) else {
        return Err(err(
            base,
            body.len(),
            format!("expected days and a time range, found `{body}`; {example}"),
        ));
    };
    let (days_text, range_text) = (&body[..space], body[space..].trim_start());
    let range_base = base + body.len() - range_text.len();
    if range_text.contains(char::is_whitespace) {
        return Err(err(
            range_base,
            range_text.len(),
            format!(
                "unexpected text after the time range `{range_text}`; separate parts with `;`: {example}"
            ),
        ));
    }
    let mut days = 0u8;
    let mut off = base;
    for spec in days_text.split(',') {
        days |= parse_days(spec, off)?;
        off += spec.len() + 1;
    }
    let Some((a, b)) = range_text.split_once('-') else {
        return Err(err(
            range_base,
            range_text.len(),
            format!("expected a time range like `09:00-18:00`, found `{range_text}`"),
        ));
    };
    let start = parse_time(a, range_base)?;
    let end = parse_time(b, range_base + a.len() + 1)?;
    if start == end {
        return Err(err(
            range_base,
            range_text.len(),
            format!("the range `{range_text}` is empty: start and end are the same time"),
        ));
    }
    if start == 1440 {
        return Err(err(
            range_base,
            a.len(),
            "a range cannot start at 24:00; start at 00:00 of the next day",
        ));
    }
    Ok(HoursSegment { days, start, end })
}

fn parse_days(spec: &str, base: usize) -> Result<u8, HoursError> {
    let day = |text: &str, at: usize| -> Result<u8, HoursError> {
        DAYS.iter()
            .position(|d| d.eq_ignore_ascii_case(text))
            .map(|i| i as u8)
            .ok_or_else(|| {
                err(
                    at,
                    text.len(),
                    format!("unknown day `{text}`; days are Mon, Tue, Wed, Thu, Fri, Sat, Sun"),
                )
            })
    };
    match spec.split_once('-') {
        Some((a, b)) => {
            let (from, to) = (day(a, base)?, day(b, base + a.len() + 1)?);
            let mut bits = 0u8;
            let mut d = from;
            loop {
                bits |= 1 << d;
                if d == to {
                    break;
                }
                d = (d + 1) % 7;
            }
            Ok(bits)
        }
        None => Ok(1 << day(spec, base)?),
    }
}

fn parse_time(text: &str, base: usize) -> Result<u16, HoursError> {
    let bad = || {
        err(
            base,
            text.len(),
            format!("expected a time like `09:00`, found `{text}`"),
        )
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(err(
            base,
            text.len(),
            format!("`{text}` is not a time of day (00:00 to 24:00)"),
        ));
    }
    Ok(h * 60 + m)
}
