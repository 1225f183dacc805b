//! Every log source the monitor reads (GitHub and GitLab audit JSON, sshd
//! syslog, `journalctl -o json`, NDJSON mapped in the model) takes any bytes:
//! it never panics, never stops early, and every record it reads is either an
//! event or a counted problem; put in time order, no event is lost. Palisade's
//! own ledger entries, decoded from any bytes, are read into an event or a
//! problem without a panic. The first byte picks the source.
#![no_main]

use std::io::Cursor;
use std::sync::LazyLock;

use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;
use palisade_model::Model;
use palisade_monitor::order::{Order, Ordered};
use palisade_monitor::read::{SourceKind, Stream};

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    let text = format!(
        "{}\n{}",
        include_str!("../../examples/acme/palisade.toml"),
        r#"
[[monitor.ndjson]]
name = "vpn"
time = "ts"
time_format = "epoch_ms"
actor = "user.email"
actor_kind = "email"
action = "event"
resource = "gateway"
source_address = "ip"
outcome = "result"
success_values = ["allowed"]
"#
    );
    palisade_model::parse(&text).expect("the example model with a mapping")
});

fuzz_target!(|data: &[u8]| {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    if pick % 6 == 5 {
        if let Ok(entry) = palisade_ledger::Entry::from_canonical(input) {
            let _ = palisade_monitor::parse::ledger::event(&entry);
        }
        return;
    }
    let kind = match pick % 6 {
        0 => SourceKind::Github,
        1 => SourceKind::Gitlab,
        2 => SourceKind::Sshd,
        3 => SourceKind::Journald,
        _ => SourceKind::Ndjson("vpn".to_owned()),
    };
    let mut stream = Stream::open(
        &kind,
        Cursor::new(input),
        "fuzz.log",
        &MODEL,
        2026,
        TimeZone::UTC,
    )
    .expect("every source opens");
    let mut outcomes = 0u64;
    for (_line, _outcome) in stream.by_ref() {
        outcomes += 1;
    }
    let stats = stream.stats();
    let problems: u64 = stats.problems.values().sum();
    assert_eq!(stats.records, stats.events + problems, "{stats:?}");
    assert_eq!(outcomes, stats.records, "{stats:?}");
    assert!(stats.other <= stats.events);

    // The same input in time order (newest first or not, a window of a
    // minute): every event comes out once, none is made up.
    let order = if pick & 0x80 == 0 { Order::Auto } else { Order::NewestFirst };
    let stream = Stream::open(
        &kind,
        Cursor::new(input),
        "fuzz.log",
        &MODEL,
        2026,
        TimeZone::UTC,
    )
    .expect("every source opens");
    let mut ordered = Ordered::new(stream, order, jiff::SignedDuration::from_mins(1));
    let mut n = 0u64;
    for event in ordered.by_ref() {
        event.expect("the spool of a small input is written and read back");
        n += 1;
    }
    assert_eq!(n, ordered.inner().stats().events);
});
