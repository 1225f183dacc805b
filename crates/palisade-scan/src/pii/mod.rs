//! Personal-data detectors: e-mail addresses, payment card numbers, IBANs, US social security
//! numbers, UK NHS numbers and phone numbers.
//!
//! [`PiiDetector::find`] reports every value it is confident about as a [`PiiMatch`] (a
//! [`PiiKind`] and a byte range). The detectors are tuned for **precision**: a finding in a
//! test fixture that is not really personal data is noise users learn to ignore. So every
//! candidate must pass its checksum *and* its structural rules (issuer prefixes, per-country
//! lengths, number plans), and the values that are published for testing or reserved for
//! documentation are not reported: the payment providers' test card numbers, `example.com`
//! and the other reserved domains, the fictional phone ranges (NANP `555`, Ofcom drama
//! numbers), the famous invalid SSNs, the NHS test range, and so on. Each rule below says
//! what it skips and why.
//!
//! # Input
//!
//! `find` takes any byte buffer (invalid UTF-8 and NUL bytes are fine) and is meant to get a
//! **whole file**, or at least whole lines: some rules look at the rest of the line around a
//! number (a bare 9-digit SSN needs `ssn`/`social security` before it, a bare or dashed
//! 10-digit NHS number needs `nhs` on its line, both within 120 bytes), a phone number in a
//! national form (`07456 71008`, `810.524.8265`) needs a field named for a phone, and a
//! value cut by a chunk boundary is not found. A field is named by the label before its
//! value or by its column: the first line of the buffer when that is a CSV header, or the
//! column list of an SQL `INSERT` within 4 KiB before the value. A buffer that starts in the
//! middle of a file has no CSV header. Ranges are byte offsets into the buffer given.
//!
//! # Cost
//!
//! There is no regular expression: the numeric detectors run only where a digit run of a
//! plausible length starts (digits are found eight bytes at a time), phone numbers in E.164
//! form only at a `+` and e-mail addresses only at an `@` (both found with `memchr`), and
//! each candidate is examined within a bounded window. Text without digits, `+` or `@`
//! costs a few SIMD/SWAR passes.
//!
//! Each detector has its module (`card`, `iban`, `ssn`, `nhs`, `phone`, `email`); `numbers`
//! tries the numeric ones on every digit run, over the helpers in `bytes` and `context`.

mod bytes;
mod card;
mod context;
mod email;
mod iban;
mod nhs;
mod numbers;
mod phone;
mod ssn;

#[cfg(test)]
mod testing;

use std::cmp::Reverse;

use email::email_around;
use numbers::scan_digit_runs;
use phone::international_phone_at;

/// A kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    /// An e-mail address at a real-looking domain.
    Email,
    /// A payment card number (PAN) with a known issuer prefix and a valid Luhn check digit.
    PaymentCard,
    /// An international bank account number (ISO 13616) with valid mod-97 check digits.
    Iban,
    /// A US social security number.
    UsSsn,
    /// A UK NHS number (England, Wales, Isle of Man; also Scottish CHI and Northern Irish
    /// H&C numbers, which share its format and check digit).
    UkNhsNumber,
    /// A phone number: international (`+` and country code), in the US `(NNN) NNN-NNNN` or a
    /// UK grouped national form, or in any national form where its field is named a phone.
    PhoneNumber,
}

impl PiiKind {
    const ALL: [PiiKind; 6] = [
        PiiKind::Email,
        PiiKind::PaymentCard,
        PiiKind::Iban,
        PiiKind::UsSsn,
        PiiKind::UkNhsNumber,
        PiiKind::PhoneNumber,
    ];

    /// The stable rule id, e.g. `"pii-payment-card"`.
    pub fn id(self) -> &'static str {
        match self {
            PiiKind::Email => "pii-email",
            PiiKind::PaymentCard => "pii-payment-card",
            PiiKind::Iban => "pii-iban",
            PiiKind::UsSsn => "pii-us-ssn",
            PiiKind::UkNhsNumber => "pii-uk-nhs-number",
            PiiKind::PhoneNumber => "pii-phone-number",
        }
    }

    /// A human name, e.g. `"Payment card number"`.
    pub fn name(self) -> &'static str {
        match self {
            PiiKind::Email => "Email address",
            PiiKind::PaymentCard => "Payment card number",
            PiiKind::Iban => "IBAN (bank account number)",
            PiiKind::UsSsn => "US Social Security number",
            PiiKind::UkNhsNumber => "UK NHS number",
            PiiKind::PhoneNumber => "Phone number",
        }
    }

    /// Every kind, in declaration order.
    pub fn all() -> &'static [PiiKind] {
        &Self::ALL
    }
}

/// One match: the kind and the byte range of the value in the haystack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiMatch {
    /// What was found.
    pub kind: PiiKind,
    /// Offset of the value's first byte.
    pub start: usize,
    /// Offset one past the value's last byte.
    pub end: usize,
}

impl PiiMatch {
    fn new(kind: PiiKind, start: usize, end: usize) -> Self {
        PiiMatch { kind, start, end }
    }
}

/// Compiled detectors; build once, share across threads (`Send + Sync`).
///
/// Every table the detectors use (issuer prefixes, the IBAN registry, calling codes, domain
/// lists) is static data, so construction is free and cannot fail.
#[derive(Debug, Clone, Default)]
pub struct PiiDetector {
    _private: (),
}

impl PiiDetector {
    /// Builds the detectors. Cannot fail.
    pub fn new() -> Self {
        PiiDetector { _private: () }
    }

    /// All personal data in `haystack`, sorted by start and non-overlapping.
    ///
    /// When two candidates overlap, the one that starts first wins, then the longer one
    /// (an IBAN over the digits inside it, an international phone number over the national
    /// number inside it, an e-mail address over a number in its local part).
    pub fn find(&self, haystack: &[u8]) -> Vec<PiiMatch> {
        let mut found = Vec::new();
        scan_digit_runs(haystack, &mut found);
        for plus in memchr::memchr_iter(b'+', haystack) {
            if let Some(end) = international_phone_at(haystack, plus) {
                found.push(PiiMatch::new(PiiKind::PhoneNumber, plus, end));
            }
        }
        for at in memchr::memchr_iter(b'@', haystack) {
            if let Some((start, end)) = email_around(haystack, at) {
                found.push(PiiMatch::new(PiiKind::Email, start, end));
            }
        }
        keep_non_overlapping(found)
    }
}

/// Sorts by start (then longest first) and drops every match overlapping a kept one.
fn keep_non_overlapping(mut found: Vec<PiiMatch>) -> Vec<PiiMatch> {
    found.sort_unstable_by_key(|m| (m.start, Reverse(m.end), m.kind));
    let mut kept: Vec<PiiMatch> = Vec::with_capacity(found.len());
    let mut free_from = 0;
    for m in found {
        if m.start >= free_from {
            free_from = m.end;
            kept.push(m);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::testing::{assert_nothing, found, interesting_bytes};
    use proptest::prelude::*;
    use proptest::sample::select;

    #[test]
    fn kinds_have_stable_ids_and_names() {
        let ids: Vec<&str> = PiiKind::all().iter().map(|k| k.id()).collect();
        assert_eq!(
            ids,
            [
                "pii-email",
                "pii-payment-card",
                "pii-iban",
                "pii-us-ssn",
                "pii-uk-nhs-number",
                "pii-phone-number"
            ]
        );
        assert_eq!(PiiKind::PaymentCard.name(), "Payment card number");
        assert!(PiiKind::all().iter().all(|k| !k.name().is_empty()));
    }

    #[test]
    fn detector_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PiiDetector>();
    }

    #[test]
    fn matches_are_sorted_and_do_not_overlap() {
        let text = "card 4539 1488 0343 6467, mail jane.smith@gmail.com, iban GB48 BARC 2003 5399 \
                    4858 27, ssn 536-22-8745, tel +44 20 7183 8750, nhs 401 023 2137";
        let kinds: Vec<PiiKind> = found(text).iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                PiiKind::PaymentCard,
                PiiKind::Email,
                PiiKind::Iban,
                PiiKind::UsSsn,
                PiiKind::PhoneNumber,
                PiiKind::UkNhsNumber
            ]
        );
        let all = PiiDetector::new().find(text.as_bytes());
        assert!(all.windows(2).all(|w| w[0].end <= w[1].start));
    }

    #[test]
    fn overlapping_candidates_keep_the_earliest_longest() {
        // The card number is also the local part of an address: the address wins.
        assert_eq!(
            found("4539148803436467@gmail.com"),
            [(PiiKind::Email, "4539148803436467@gmail.com")]
        );
        // The national number inside an international one is not reported separately.
        assert_eq!(
            found("+1 (415) 867-5309"),
            [(PiiKind::PhoneNumber, "+1 (415) 867-5309")]
        );
    }

    #[test]
    fn empty_and_plain_text_find_nothing() {
        assert_nothing("");
        assert_nothing("fn main() { println!(\"hello, world\"); }");
    }

    #[test]
    fn common_source_text_finds_nothing() {
        for text in [
            "version = \"1.2.3.4\"",
            "id: 550e8400-e29b-41d4-a716-446655440000",
            "created_at: 2024-01-02T03:04:05.123456789Z",
            "let big = 123456789012345678901234567890;",
            "0x7fffffffffffffff",
            "sha256: 4539148803436467a4539148803436467b",
            "rgb(255, 255, 255)",
            "timeout_ms = 4010232137",
            "phone = \"+44 20 7946 0958\" # drama number",
        ] {
            assert_nothing(text);
        }
    }

    /// About `size` bytes of source-like text: code, comments, versions, dates, UUIDs, hashes,
    /// IP addresses, decimals; one line in 25 holds an address, a card, a phone number or an
    /// IBAN.
    fn source_like_corpus(size: usize) -> Vec<u8> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut out = Vec::with_capacity(size + 256);
        while out.len() < size {
            let r = next();
            let (a, b, c) = (r % 1000, (r >> 10) % 100, (r >> 20) % 10_000);
            let line = match (r >> 40) % 100 {
                0..=9 => format!("    let value_{a} = compute({b}, {c}, \"label\");\n"),
                10..=14 => format!("    // see https://docs.rs/regex/1.{b}.{a} for the details\n"),
                15..=19 => format!(
                    "    \"created\": \"2024-0{}-1{}T0{}:{b:02}:{b:02}Z\",\n",
                    a % 9 + 1,
                    b % 9,
                    c % 10
                ),
                20..=24 => format!(
                    "    \"id\": \"550e8400-e29b-41d4-a716-{:012x}\",\n",
                    r & 0xFFFF_FFFF_FFFF
                ),
                25..=29 => format!("version = \"{a}.{b}.{c}\"\n"),
                30..=34 => format!("    addr = \"10.{}.{}.{}:{c}\"\n", a % 256, b, c % 256),
                35..=39 => format!("    let digest = \"{r:016x}{:016x}\";\n", r.rotate_left(17)),
                40..=49 => format!("    for i in 0..{a} {{ total += i * {b}; }}\n"),
                50..=59 => "    if self.is_empty() { return Err(Error::Empty); }\n".to_owned(),
                60..=69 => "    /// Returns the number of elements in the collection.\n".to_owned(),
                70..=74 => format!("    assert_eq!(parse(\"{c}\"), Ok({c}));\n"),
                75..=79 => format!("    timeout_ms: {}{c:04}\n", a + 1),
                80..=84 => format!("    \"price\": {a}.{b:02}, \"qty\": {c},\n"),
                85..=89 => format!("    @decorator({a})\n"),
                90..=95 => format!("    x{a} = y{b} + z{c};\n"),
                96 => format!("    author = \"Jane Roe <jane.roe{a}@gmail.com>\"\n"),
                97 => "    card = \"4539 1488 0343 6467\"\n".to_owned(),
                98 => format!("    phone = \"+44 20 7183 {c:04}\"\n"),
                _ => "    iban = \"GB48 BARC 2003 5399 4858 27\"\n".to_owned(),
            };
            out.extend_from_slice(line.as_bytes());
        }
        out
    }

    /// Nanoseconds this thread has run, where Linux tells (`/proc/thread-self/schedstat`): on
    /// a busy machine CPU time says more about the detectors than wall time does.
    fn thread_cpu_ns() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        stat.split_whitespace().next()?.parse().ok()
    }

    #[allow(clippy::print_stdout)] // the figure is what the ignored test is run for
    fn measure(label: &str, data: &[u8]) {
        let detector = PiiDetector::new();
        let _ = detector.find(&data[..data.len().min(1 << 20)]); // warm up
        let (wall, cpu) = (std::time::Instant::now(), thread_cpu_ns());
        let found = detector.find(data);
        let wall = wall.elapsed().as_secs_f64();
        let cpu = cpu.zip(thread_cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e9);
        let mb = data.len() as f64 / 1e6;
        let per_cpu = cpu.map_or(String::new(), |s| {
            format!(", {:.0} MB/s of CPU time", mb / s)
        });
        println!(
            "{label}: {mb:.1} MB, {:.0} MB/s wall{per_cpu}, {} matches",
            mb / wall,
            found.len()
        );
    }

    #[test]
    #[ignore = "prints a throughput figure; run with --release -- --ignored --nocapture"]
    fn throughput() {
        let corpus = source_like_corpus(50 << 20);
        measure("source-like text", &corpus);
        let prose: Vec<u8> = b"the quick brown fox jumps over the lazy dog; "
            .iter()
            .copied()
            .cycle()
            .take(50 << 20)
            .collect();
        measure("text without digits, + or @", &prose);
    }

    /// One customer record of a fixture: a card, an IBAN and other long numbers, in one of
    /// three layouts (0 JSON, 1 YAML, 2 CSV row), and the card as written.
    #[derive(Debug, Clone)]
    struct Record {
        card: String,
        iban: String,
        /// A bare integer of 14 to 20 digits (an id, a nanosecond timestamp).
        id: String,
        /// Digits glued to letters: an order reference.
        reference: String,
        created_ms: u64,
    }

    fn record() -> impl Strategy<Value = Record> {
        (
            card::tests::card_number(),
            0u8..3,
            iban::tests::iban(),
            any::<bool>(),
            proptest::collection::vec(0u8..10, 14..=20),
            select(&["ORD", "INV", "TXN", "REF-A"][..]),
            proptest::collection::vec(0u8..10, 12..=18),
            1_500_000_000_000u64..1_900_000_000_000,
        )
            .prop_map(
                |(card, style, iban, spaced, id, prefix, reference, created_ms)| {
                    let digits = |d: Vec<u8>| d.iter().map(|&d| char::from(b'0' + d)).collect();
                    let mut id: String = digits(id);
                    if id.starts_with('0') {
                        id.replace_range(0..1, "9");
                    }
                    Record {
                        card: String::from_utf8(card::tests::format_card(&card, style))
                            .expect("ASCII"),
                        iban: String::from_utf8(iban::tests::format_iban(&iban, spaced))
                            .expect("ASCII"),
                        id,
                        reference: format!("{prefix}{}", digits(reference)),
                        created_ms,
                    }
                },
            )
    }

    /// `records` as one fixture file of `layout`: JSON lines, YAML documents or CSV (whose
    /// rows leave the bare ids out: only a header names the columns).
    fn fixture(records: &[Record], layout: u8) -> String {
        let mut out = String::new();
        if layout == 2 {
            out.push_str("name,card,iban,reference,created_ms\n");
        }
        for (i, r) in records.iter().enumerate() {
            let line = match layout {
                0 => format!(
                    "{{\"id\": {}, \"name\": \"Customer {i}\", \"card_number\": \"{}\", \
                     \"iban\": \"{}\", \"order\": \"{}\", \"created_ms\": {}}}\n",
                    r.id, r.card, r.iban, r.reference, r.created_ms
                ),
                1 => format!(
                    "- id: {}\n  name: Customer {i}\n  card: \"{}\"\n  iban: {}\n  \
                     order: {}\n  created_ms: {}\n",
                    r.id, r.card, r.iban, r.reference, r.created_ms
                ),
                _ => format!(
                    "Customer {i},{},{},{},{}\n",
                    r.card, r.iban, r.reference, r.created_ms
                ),
            };
            out.push_str(&line);
        }
        out
    }

    proptest! {
        #[test]
        fn cards_are_found_beside_ibans_and_other_long_numbers(
            records in proptest::collection::vec(record(), 1..8),
            layout in 0u8..3,
        ) {
            let text = fixture(&records, layout);
            let cards = crate::pii::testing::found_kind(&text, PiiKind::PaymentCard);
            for r in &records {
                prop_assert!(cards.contains(&r.card.as_str()), "{:?} not in {cards:?}:\n{text}", r.card);
            }
            let ibans = crate::pii::testing::found_kind(&text, PiiKind::Iban);
            prop_assert!(records.iter().all(|r| ibans.contains(&r.iban.as_str())), "{ibans:?}");
            // And so a scan reports them in a fixture, where personal data must not live.
            static CONFIG: std::sync::OnceLock<crate::scan::ScanConfig> = std::sync::OnceLock::new();
            let config = CONFIG.get_or_init(|| {
                crate::setup::build(&crate::setup::SetupOptions {
                    pii: true,
                    ..Default::default()
                })
                .expect("built-in setup")
            });
            let mut report = crate::scan::Report::default();
            config.scan_buffer(
                crate::scan::Buffer::whole("tests/fixtures/customers.txt", text.as_bytes()),
                text.len(),
                &mut report,
            );
            let reported = report.findings.iter().filter(|f| f.rule == "pii-payment-card").count();
            prop_assert!(reported >= records.len(), "{reported} cards reported of {}", records.len());
        }

        #[test]
        fn find_returns_sorted_disjoint_in_bounds_ranges(bytes in interesting_bytes()) {
            let found = PiiDetector::new().find(&bytes);
            for m in &found {
                prop_assert!(m.start < m.end && m.end <= bytes.len(), "{:?}", m);
            }
            for pair in found.windows(2) {
                prop_assert!(pair[0].end <= pair[1].start, "{:?}", pair);
            }
        }
    }
}
