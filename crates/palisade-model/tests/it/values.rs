//! Working hours, durations and days.

use jiff::civil::Weekday;
use palisade_model::{Day, GrantDuration, WorkingHours};

#[test]
fn office_hours_contain_what_they_should() {
    let h = WorkingHours::parse("Mon-Fri 09:00-18:00").unwrap();
    assert!(h.contains(Weekday::Monday, 9 * 60));
    assert!(h.contains(Weekday::Friday, 18 * 60 - 1));
    assert!(!h.contains(Weekday::Friday, 18 * 60));
    assert!(!h.contains(Weekday::Saturday, 12 * 60));
    assert!(!h.contains(Weekday::Monday, 2 * 60)); // the 2 AM login
    assert_eq!(h.weekly_minutes(), 5 * 9 * 60);
}

#[test]
fn night_shifts_run_into_the_next_day() {
    let h = WorkingHours::parse("Mon-Fri 22:00-07:00").unwrap();
    assert!(h.contains(Weekday::Monday, 23 * 60));
    assert!(h.contains(Weekday::Tuesday, 6 * 60)); // Monday's shift
    assert!(h.contains(Weekday::Saturday, 3 * 60)); // Friday's shift
    assert!(!h.contains(Weekday::Monday, 3 * 60)); // Sunday had no shift
    assert!(!h.contains(Weekday::Monday, 12 * 60));
    assert_eq!(h.weekly_minutes(), 5 * 9 * 60);
}

#[test]
fn several_segments_days_lists_and_wrapping_ranges() {
    let h = WorkingHours::parse("Mon-Thu 08:00-16:00; Fri 08:00-12:00").unwrap();
    assert_eq!(h.segments().len(), 2);
    assert!(h.contains(Weekday::Friday, 11 * 60));
    assert!(!h.contains(Weekday::Friday, 13 * 60));
    let h = WorkingHours::parse("Mon,Wed,Fri 10:00-14:00").unwrap();
    assert!(h.contains(Weekday::Wednesday, 10 * 60));
    assert!(!h.contains(Weekday::Tuesday, 10 * 60));
    let h = WorkingHours::parse("Sun-Thu 09:00-17:00").unwrap();
    assert!(h.contains(Weekday::Sunday, 10 * 60));
    assert!(!h.contains(Weekday::Friday, 10 * 60));
    let h = WorkingHours::parse("Sat 00:00-24:00").unwrap();
    assert!(h.contains(Weekday::Saturday, 23 * 60 + 59));
    assert!(
        WorkingHours::parse("always")
            .unwrap()
            .contains(Weekday::Sunday, 3 * 60)
    );
}

#[test]
fn hours_errors_say_where_and_what() {
    let cases = [
        ("Mon-Fry 09:00-17:00", 4, "unknown day `Fry`"),
        ("Mon-Fri 9-17", 8, "expected a time like"),
        ("Mon-Fri 09:00-25:00", 14, "not a time of day"),
        ("Mon-Fri 09:00-09:00", 8, "is empty"),
        ("Mon-Fri", 0, "expected days and a time range"),
        (
            "Mon-Fri 09:00-12:00 13:00-17:00",
            8,
            "separate parts with `;`",
        ),
        (
            "Mon-Fri 09:00-17:00; Sat 9:60-12:00",
            25,
            "not a time of day",
        ),
    ];
    for (text, offset, msg) in cases {
        let e = WorkingHours::parse(text).unwrap_err();
        assert_eq!(e.offset, offset, "{text}: {e:?}");
        assert!(e.message.contains(msg), "{text}: {}", e.message);
        assert!(e.offset + e.len <= text.len());
    }
}

#[test]
fn durations_parse_and_print() {
    let d = |s: &str| s.parse::<GrantDuration>().map(|d| d.minutes());
    assert_eq!(d("30m"), Ok(30));
    assert_eq!(d("4h"), Ok(240));
    assert_eq!(d("1h30m"), Ok(90));
    assert_eq!(d("2d"), Ok(2880));
    assert!(d("4").unwrap_err().contains("missing unit"));
    assert!(d("h").unwrap_err().contains("no number"));
    assert!(d("0m").unwrap_err().contains("longer than zero"));
    assert!(d("400d").unwrap_err().contains("longer than a year"));
    assert!(d("4 hours").is_err());
    assert_eq!(GrantDuration::from_minutes(90).to_string(), "1h30m");
    assert_eq!(GrantDuration::from_minutes(1440 + 60).to_string(), "1d1h");
}

#[test]
fn days_parse_and_count() {
    let a: Day = "2026-01-01".parse().unwrap();
    let b: Day = "2026-12-31".parse().unwrap();
    assert_eq!(a.days_until(b), 364);
    assert_eq!(b.days_until(a), -364);
    assert!(
        "2026-02-30"
            .parse::<Day>()
            .unwrap_err()
            .contains("YYYY-MM-DD")
    );
}
