//! Ledger entries: one canonical encoding, and nothing else accepted.

use jiff::Timestamp;
use palisade_ledger::entry::{Entry, EntryError, format_time};
use palisade_ledger::merkle;
use serde_json::json;

fn sample() -> Entry {
    Entry::new(
        42,
        "2026-11-22T09:30:00.123456789Z".parse().unwrap(),
        "alice@example.com",
        "access.grant",
        "grant/7f3a",
        json!({"role": "db-read", "minutes": 60, "approvers": ["bob"], "ratio": 0.5}),
    )
}

const SAMPLE: &str = concat!(
    r#"{"actor":"alice@example.com","#,
    r#""data":{"approvers":["bob"],"minutes":60,"ratio":0.5,"role":"db-read"},"#,
    r#""index":42,"kind":"access.grant","subject":"grant/7f3a","#,
    r#""time":"2026-11-22T09:30:00.123456Z"}"#
);

#[test]
fn canonical_bytes_are_sorted_compact_json_with_microsecond_time() {
    let entry = sample();
    assert_eq!(
        String::from_utf8(entry.canonical_bytes().unwrap()).unwrap(),
        SAMPLE
    );
    assert_eq!(
        entry.leaf_hash().unwrap(),
        merkle::leaf_hash(SAMPLE.as_bytes())
    );
}

#[test]
fn canonical_bytes_round_trip() {
    let entry = sample();
    let decoded = Entry::from_canonical(SAMPLE.as_bytes()).unwrap();
    assert_eq!(decoded, entry);
}

#[test]
fn time_is_always_written_with_six_digits() {
    let t: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
    assert_eq!(format_time(t).unwrap(), "2026-01-02T03:04:05.000000Z");
    let t: Timestamp = "1969-12-31T23:59:59.999999Z".parse().unwrap();
    assert_eq!(format_time(t).unwrap(), "1969-12-31T23:59:59.999999Z");
    // `Entry::new` truncates towards the past, also before 1970.
    let t: Timestamp = "1969-12-31T23:59:59.9999995Z".parse().unwrap();
    let e = Entry::new(0, t, "a", "k", "s", json!(null));
    assert_eq!(format_time(e.time).unwrap(), "1969-12-31T23:59:59.999999Z");
}

#[test]
fn sub_microsecond_times_are_refused_not_rounded() {
    let mut entry = sample();
    entry.time = "2026-11-22T09:30:00.000000001Z".parse().unwrap();
    assert!(matches!(
        entry.canonical_bytes(),
        Err(EntryError::TimePrecision { .. })
    ));
}

#[test]
fn times_before_year_zero_are_refused() {
    let mut entry = sample();
    entry.time = "-000001-01-01T00:00:00Z".parse().unwrap();
    assert!(matches!(
        entry.canonical_bytes(),
        Err(EntryError::TimeRange { .. })
    ));
}

#[test]
fn unsafe_numbers_are_refused() {
    let mut entry = sample();
    entry.data = json!({"big": u64::MAX});
    let err = entry.canonical_bytes().unwrap_err();
    assert!(err.to_string().contains("/data/big"), "{err}");
    entry.data = json!(null);
    entry.index = (1 << 53) + 1;
    assert!(matches!(
        entry.canonical_bytes(),
        Err(EntryError::Canonical(_))
    ));
}

#[test]
fn every_other_spelling_is_refused() {
    let cases: &[(&str, &str)] = &[
        ("whitespace", &SAMPLE.replace(",\"index\"", ", \"index\"")),
        (
            "member order",
            &SAMPLE.replace(
                r#"{"actor":"alice@example.com","#,
                r#"{"zz":1,"actor":"alice@example.com","#,
            ),
        ),
        ("time without fraction", &SAMPLE.replace(".123456Z", "Z")),
        (
            "time with offset",
            &SAMPLE.replace("09:30:00.123456Z", "10:30:00.123456+01:00"),
        ),
        (
            "number spelling",
            &SAMPLE.replace("\"minutes\":60", "\"minutes\":60.0"),
        ),
        ("escaped character", &SAMPLE.replace("bob", "\\u0062ob")),
        (
            "duplicate member",
            &SAMPLE.replace(r#""index":42,"#, r#""index":42,"index":42,"#),
        ),
        ("trailing newline", &format!("{SAMPLE}\n")),
    ];
    for (what, text) in cases {
        let result = Entry::from_canonical(text.as_bytes());
        assert!(result.is_err(), "{what} accepted");
    }
    let err = Entry::from_canonical(SAMPLE.replace(".123456Z", "Z").as_bytes()).unwrap_err();
    match err {
        EntryError::NotCanonical { offset, .. } => {
            assert_eq!(
                &SAMPLE[..offset],
                &SAMPLE[..SAMPLE.find(".123456Z").unwrap()]
            );
        }
        other => panic!("{other}"),
    }
}

#[test]
fn malformed_json_says_where() {
    let err = Entry::from_canonical(b"{\"index\":1,\n\"time\":}").unwrap_err();
    assert!(matches!(err, EntryError::Json(_)));
    assert!(err.to_string().contains("line 2"), "{err}");
    let err = Entry::from_canonical(br#"{"index":1}"#).unwrap_err();
    assert!(matches!(err, EntryError::Shape(_)));
    assert!(err.to_string().contains("missing field"), "{err}");
    let err = Entry::from_canonical(br#"{"extra":1}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
}
