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
//! **whole file**, or at least whole lines: two rules look at the rest of the line around a
//! number (a bare 9-digit SSN needs `ssn`/`social security` before it, a bare or dashed
//! 10-digit NHS number needs `nhs` on its line, both within 120 bytes), and a value cut by a
//! chunk boundary is not found. Ranges are byte offsets into the buffer given.
//!
//! # Cost
//!
//! There is no regular expression: the numeric detectors run only where a digit run of a
//! plausible length starts (digits are found eight bytes at a time), phone numbers in E.164
//! form only at a `+` and e-mail addresses only at an `@` (both found with `memchr`), and
//! each candidate is examined within a bounded window. Text without digits, `+` or `@`
//! costs a few SIMD/SWAR passes.

use std::cmp::Reverse;

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
    /// A phone number, international (`+` and country code) or in a US or UK national format.
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

// ---------------------------------------------------------------------------------------
// Byte helpers and boundaries
// ---------------------------------------------------------------------------------------

fn byte_at(h: &[u8], i: usize) -> Option<u8> {
    h.get(i).copied()
}

fn byte_before(h: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|j| byte_at(h, j))
}

fn digit_at(h: &[u8], i: usize) -> bool {
    h.get(i).is_some_and(u8::is_ascii_digit)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn all_digits(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_digit)
}

fn digit_run_end(h: &[u8], mut i: usize) -> usize {
    while digit_at(h, i) {
        i += 1;
    }
    i
}

/// Bytes that glue numbers together when a digit lies beyond them: version strings and IP
/// addresses (`.`), dates and UUID groups (`-`), times (`:`), dates and fractions (`/`).
const GLUE: &[u8] = b".-:/";

/// True when nothing before `start` makes the value part of something longer: no letter,
/// digit or `_` right before it, and no glue byte that itself follows a digit.
fn clean_left(h: &[u8], start: usize) -> bool {
    match byte_before(h, start) {
        None => true,
        Some(b) if is_word_byte(b) => false,
        Some(b) if GLUE.contains(&b) => !start.checked_sub(2).is_some_and(|j| digit_at(h, j)),
        Some(_) => true,
    }
}

/// The mirror of [`clean_left`] for the byte at `end`.
fn clean_right(h: &[u8], end: usize) -> bool {
    match byte_at(h, end) {
        None => true,
        Some(b) if is_word_byte(b) => false,
        Some(b) if GLUE.contains(&b) => !digit_at(h, end + 1),
        Some(_) => true,
    }
}

const ONES: u64 = u64::MAX / 255;

/// True when one of the eight bytes of `word` is an ASCII digit (exact; lanes never carry).
fn word_has_digit(word: u64) -> bool {
    // Bit Twiddling Hacks' `hasbetween(x, 0x2F, 0x3A)`: per byte, 185 - (x & 0x7F) keeps its
    // high bit iff x & 0x7F <= 0x39, (x & 0x7F) + 80 gets it iff x & 0x7F >= 0x30, and !x
    // has it iff x < 0x80.
    let low7 = word & (ONES * 0x7F);
    ((ONES * (0x7F + 0x3A)).wrapping_sub(low7) & !word & low7.wrapping_add(ONES * (0x7F - 0x2F)))
        & (ONES * 0x80)
        != 0
}

/// The position of the first ASCII digit at or after `from`.
fn find_digit(h: &[u8], from: usize) -> Option<usize> {
    let rest = h.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut offset = from;
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        if word_has_digit(u64::from_le_bytes(bytes)) {
            return chunk
                .iter()
                .position(u8::is_ascii_digit)
                .map(|p| offset + p);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| offset + p)
}

/// Up to 32 ASCII digits gathered from a number written in groups.
struct Digits {
    buf: [u8; 32],
    len: usize,
}

impl Digits {
    fn new() -> Self {
        Digits {
            buf: [0; 32],
            len: 0,
        }
    }

    /// Appends `digits`; false (and nothing appended) when they do not fit.
    fn extend(&mut self, digits: &[u8]) -> bool {
        let Some(dst) = self.buf.get_mut(self.len..self.len + digits.len()) else {
            return false;
        };
        dst.copy_from_slice(digits);
        self.len += digits.len();
        true
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Patterns people type instead of a real number: six or more equal digits in a row
/// (`000000`), or six or more consecutive ascending or descending digits (`123456`, `987654`).
/// A real number contains either with a probability of about 10⁻⁴.
fn looks_made_up(digits: &[u8]) -> bool {
    const RUN: usize = 6;
    let (mut same, mut up, mut down) = (1, 1, 1);
    for pair in digits.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        same = if b == a { same + 1 } else { 1 };
        up = if b == a.wrapping_add(1) { up + 1 } else { 1 };
        down = if b.wrapping_add(1) == a { down + 1 } else { 1 };
        if same >= RUN || up >= RUN || down >= RUN {
            return true;
        }
    }
    false
}

// ---------------------------------------------------------------------------------------
// Context keywords
// ---------------------------------------------------------------------------------------

/// How far (in bytes, within the same line) a context keyword may be from the number.
const KEYWORD_WINDOW: usize = 120;

const SSN_KEYWORDS: &[&[u8]] = &[
    b"ssn",
    b"social security",
    b"social_security",
    b"social-security",
    b"socialsecurity",
];
const NHS_KEYWORDS: &[&[u8]] = &[b"nhs"];

/// The part of the line holding `start..end` from `before` bytes before `start` to `after`
/// bytes after `end`.
fn line_window(h: &[u8], start: usize, end: usize, before: usize, after: usize) -> &[u8] {
    let lo = start.saturating_sub(before);
    let hi = end.saturating_add(after).min(h.len());
    let from = memchr::memrchr(b'\n', &h[lo..start]).map_or(lo, |i| lo + i + 1);
    let to = memchr::memchr(b'\n', &h[end..hi]).map_or(hi, |i| end + i);
    &h[from..to]
}

/// True when `text` contains one of `keywords` (ASCII case-insensitive) that starts a word:
/// after a non-letter, or as the upper-case hump of a camelCase name (`patientNhs`). This
/// keeps `ssn` in `classname` from counting.
fn mentions_keyword(text: &[u8], keywords: &[&[u8]]) -> bool {
    keywords.iter().any(|kw| {
        text.windows(kw.len()).enumerate().any(|(i, w)| {
            w.eq_ignore_ascii_case(kw)
                && match i.checked_sub(1).map(|j| text[j]) {
                    None => true,
                    Some(p) if !p.is_ascii_alphabetic() => true,
                    Some(p) => p.is_ascii_lowercase() && w[0].is_ascii_uppercase(),
                }
        })
    })
}

/// `ssn` or `social security` on the same line, before `start`.
fn ssn_keyword_before(h: &[u8], start: usize) -> bool {
    mentions_keyword(
        line_window(h, start, start, KEYWORD_WINDOW, 0),
        SSN_KEYWORDS,
    )
}

/// `nhs` on the same line, before or after the number.
fn nhs_keyword_near(h: &[u8], start: usize, end: usize) -> bool {
    mentions_keyword(
        line_window(h, start, end, KEYWORD_WINDOW, KEYWORD_WINDOW),
        NHS_KEYWORDS,
    )
}

// ---------------------------------------------------------------------------------------
// Numbers: cards, SSNs, NHS numbers, IBANs, national phone numbers
// ---------------------------------------------------------------------------------------

fn scan_digit_runs(h: &[u8], out: &mut Vec<PiiMatch>) {
    let mut i = 0;
    while let Some(start) = find_digit(h, i) {
        let end = digit_run_end(h, start);
        examine_digit_run(h, start, end, out);
        i = end;
    }
}

/// Tries every numeric detector on the digit run `start..end` (a maximal run).
fn examine_digit_run(h: &[u8], start: usize, end: usize, out: &mut Vec<PiiMatch>) {
    let len = end - start;
    // An IBAN: the run holds its check digits, its country code is right before.
    if start >= 2 && h[start - 2].is_ascii_uppercase() && h[start - 1].is_ascii_uppercase() {
        if len >= 2
            && let Some(iban_end) = iban_at(h, start - 2)
        {
            out.push(PiiMatch::new(PiiKind::Iban, start - 2, iban_end));
        }
        return; // glued to letters: nothing else starts here
    }
    match byte_before(h, start) {
        Some(b'(') if len == 3 => {
            if let Some(phone_end) = us_national_phone_at(h, start - 1) {
                out.push(PiiMatch::new(PiiKind::PhoneNumber, start - 1, phone_end));
            }
        }
        // International numbers are read from their `+`; other signed numbers are not PII.
        Some(b'+') => return,
        _ => {}
    }
    if !matches!(len, 3..=5 | 9 | 10 | 13..=19) || !clean_left(h, start) {
        return;
    }
    let digits = &h[start..end];
    if clean_right(h, end) {
        let kind = match len {
            // Written without separators, 17-19 digits are far more often 64-bit integers.
            13..=16 if card_number_valid(digits) && card_context_ok(h, start, end) => {
                Some(PiiKind::PaymentCard)
            }
            9 if ssn_valid(digits) && ssn_keyword_before(h, start) => Some(PiiKind::UsSsn),
            10 if nhs_valid(digits) && nhs_keyword_near(h, start, end) => {
                Some(PiiKind::UkNhsNumber)
            }
            _ => None,
        };
        if let Some(kind) = kind {
            out.push(PiiMatch::new(kind, start, end));
        }
    }
    if len <= 5
        && let Some(grouped) = Grouped::parse(h, start, end)
        && let Some(kind) = grouped.kind(h)
    {
        out.push(PiiMatch::new(kind, start, grouped.end()));
    }
}

const MAX_GROUPS: usize = 6;

/// A number written as digit groups joined by one kind of single separator (` ` or `-`).
struct Grouped {
    sep: u8,
    groups: [(usize, usize); MAX_GROUPS],
    count: usize,
}

impl Grouped {
    /// Reads the groups starting with the run `start..first_end`. None unless there are at
    /// least two groups and the whole sequence stands alone: not continuing a sequence before
    /// it with the same separator, no more than [`MAX_GROUPS`] groups, clean on the right.
    fn parse(h: &[u8], start: usize, first_end: usize) -> Option<Grouped> {
        let sep = match byte_at(h, first_end) {
            Some(s @ (b' ' | b'-')) if digit_at(h, first_end + 1) => s,
            _ => return None,
        };
        if byte_before(h, start) == Some(sep) && start >= 2 && digit_at(h, start - 2) {
            return None;
        }
        let mut grouped = Grouped {
            sep,
            groups: [(start, first_end); MAX_GROUPS],
            count: 1,
        };
        let mut pos = first_end;
        while byte_at(h, pos) == Some(sep) && digit_at(h, pos + 1) {
            if grouped.count == MAX_GROUPS {
                return None;
            }
            let group_end = digit_run_end(h, pos + 1);
            grouped.groups[grouped.count] = (pos + 1, group_end);
            grouped.count += 1;
            pos = group_end;
        }
        clean_right(h, pos).then_some(grouped)
    }

    fn end(&self) -> usize {
        self.groups[self.count - 1].1
    }

    fn lengths(&self) -> ([usize; MAX_GROUPS], usize) {
        let mut lengths = [0; MAX_GROUPS];
        for (len, (s, e)) in lengths.iter_mut().zip(&self.groups[..self.count]) {
            *len = e - s;
        }
        (lengths, self.count)
    }

    fn digits(&self, h: &[u8]) -> Option<Digits> {
        let mut digits = Digits::new();
        for &(s, e) in &self.groups[..self.count] {
            if !digits.extend(h.get(s..e)?) {
                return None;
            }
        }
        Some(digits)
    }

    /// What this grouped number is, if anything.
    fn kind(&self, h: &[u8]) -> Option<PiiKind> {
        let (lengths, count) = self.lengths();
        let lengths = &lengths[..count];
        let shape_kind = match (self.sep, lengths) {
            // Card groupings: 4-4-4-4 (and 17-19 digit extensions), Amex 4-6-5, Diners 4-6-4.
            (_, [4, 4, 4, 4] | [4, 4, 4, 4, 1..=3] | [4, 6, 5] | [4, 6, 4]) => PiiKind::PaymentCard,
            (b'-', [3, 2, 4]) => PiiKind::UsSsn,
            (_, [3, 3, 4]) => PiiKind::UkNhsNumber,
            (b' ', [5, 6] | [5, 3, 3] | [3, 4, 4]) => PiiKind::PhoneNumber,
            _ => return None,
        };
        let digits = self.digits(h)?;
        let digits = digits.as_slice();
        let valid = match shape_kind {
            PiiKind::PaymentCard => {
                card_number_valid(digits) && card_context_ok(h, self.groups[0].0, self.end())
            }
            PiiKind::UsSsn => ssn_valid(digits),
            // `NNN-NNN-NNNN` is also how US phone numbers are written: dashes need `nhs`.
            PiiKind::UkNhsNumber => {
                nhs_valid(digits)
                    && (self.sep == b' ' || nhs_keyword_near(h, self.groups[0].0, self.end()))
            }
            PiiKind::PhoneNumber => uk_national_phone_valid(digits, lengths),
            PiiKind::Email | PiiKind::Iban => false,
        };
        valid.then_some(shape_kind)
    }
}

// --- Payment cards -----------------------------------------------------------------------

/// An issuer identification number range: card numbers whose first `prefix_len` digits lie
/// in `lo..=hi` belong to `issuer` and have one of `lengths` digits.
struct IinRange {
    issuer: &'static str,
    lo: u32,
    hi: u32,
    prefix_len: usize,
    lengths: &'static [usize],
}

const LEN_16_19: &[usize] = &[16, 17, 18, 19];
const LEN_14_19: &[usize] = &[14, 15, 16, 17, 18, 19];
const LEN_13_19: &[usize] = &[13, 14, 15, 16, 17, 18, 19];

/// Issuer prefixes and lengths. Maestro is listed only with the ranges no other scheme uses.
#[rustfmt::skip]
const IIN_RANGES: &[IinRange] = &[
    IinRange { issuer: "Visa", lo: 4, hi: 4, prefix_len: 1, lengths: &[13, 16, 19] },
    IinRange { issuer: "Mastercard", lo: 51, hi: 55, prefix_len: 2, lengths: &[16] },
    IinRange { issuer: "Mastercard", lo: 2221, hi: 2720, prefix_len: 4, lengths: &[16] },
    IinRange { issuer: "American Express", lo: 34, hi: 34, prefix_len: 2, lengths: &[15] },
    IinRange { issuer: "American Express", lo: 37, hi: 37, prefix_len: 2, lengths: &[15] },
    IinRange { issuer: "Discover", lo: 6011, hi: 6011, prefix_len: 4, lengths: LEN_16_19 },
    IinRange { issuer: "Discover", lo: 644, hi: 649, prefix_len: 3, lengths: LEN_16_19 },
    IinRange { issuer: "Discover", lo: 65, hi: 65, prefix_len: 2, lengths: LEN_16_19 },
    IinRange { issuer: "JCB", lo: 3528, hi: 3589, prefix_len: 4, lengths: LEN_16_19 },
    IinRange { issuer: "Diners Club", lo: 300, hi: 305, prefix_len: 3, lengths: LEN_14_19 },
    IinRange { issuer: "Diners Club", lo: 36, hi: 36, prefix_len: 2, lengths: LEN_14_19 },
    IinRange { issuer: "Diners Club", lo: 38, hi: 39, prefix_len: 2, lengths: LEN_14_19 },
    IinRange { issuer: "UnionPay", lo: 62, hi: 62, prefix_len: 2, lengths: LEN_16_19 },
    IinRange { issuer: "Maestro", lo: 5018, hi: 5018, prefix_len: 4, lengths: LEN_13_19 },
    IinRange { issuer: "Maestro", lo: 5020, hi: 5020, prefix_len: 4, lengths: LEN_13_19 },
    IinRange { issuer: "Maestro", lo: 5038, hi: 5038, prefix_len: 4, lengths: LEN_13_19 },
    IinRange { issuer: "Maestro", lo: 5893, hi: 5893, prefix_len: 4, lengths: LEN_13_19 },
    IinRange { issuer: "Maestro", lo: 6304, hi: 6304, prefix_len: 4, lengths: LEN_13_19 },
    IinRange { issuer: "Maestro", lo: 6759, hi: 6759, prefix_len: 4, lengths: LEN_13_19 },
    IinRange { issuer: "Maestro", lo: 6761, hi: 6763, prefix_len: 4, lengths: LEN_13_19 },
];

/// Published test card numbers. They pass every check but belong to nobody, and they are
/// exactly what test fixtures contain, so they are not reported.
#[rustfmt::skip]
const PUBLISHED_TEST_CARDS: &[&[u8]] = &[
    // Stripe, docs.stripe.com/testing (cards by brand, by country, declines, 3-D Secure).
    b"4242424242424242", b"4000056655665556", b"5555555555554444", b"2223003122003222",
    b"5200828282828210", b"5105105105105100", b"378282246310005", b"371449635398431",
    b"6011111111111117", b"6011000990139424", b"6011981111111113", b"3056930009020004",
    b"36227206271667", b"6555900000604105", b"3566002020360505", b"6200000000000005",
    b"6200000000000047", b"6205500000000000004", b"4012888888881881", b"30569309025904",
    b"38520000023237", b"3530111333300000", b"4000002500003155", b"4000002760003184",
    b"4000003800000446", b"4000000760000002", b"4000001240000000", b"4000004840008001",
    // Braintree, developer.paypal.com/braintree/docs/reference/general/testing.
    b"378734493671000", b"6304000000000000", b"4009348888881881", b"4500600000000061",
    b"4000111111111511", b"4111111111111111", b"4000111111111115", b"2223000048400011",
    b"4005519200000004", b"4012000033330026", b"4012000077777777", b"4217651111111119",
    b"36259600000004",
    // Adyen, docs.adyen.com/development-resources/testing/test-card-numbers and the
    // point-of-sale test cards.
    b"4111111145551142", b"4988438843884305", b"4166676667666746", b"4646464646464644",
    b"4000620000000007", b"4000060000000006", b"4293189100000008", b"4988080000000000",
    b"4444333322221111", b"4001590000000001", b"4000180000000002", b"2222400070000005",
    b"5555341244441115", b"5577000055770004", b"5555444433331111", b"2222410740360010",
    b"2222410700000002", b"2222400010000008", b"2223000048410010", b"2222400060000007",
    b"2223520443560010", b"2222400030000004", b"5100060000000002", b"5100290029002909",
    b"5454545454545454", b"370000000000002", b"370000000100018", b"36006666333344",
    b"36070500001020", b"6011601160116611", b"6445644564456445", b"3569990010095841",
    b"6250946000000016", b"6243030000000001", b"5413330089099999", b"5413330089020037",
    b"4151500000000008", b"5520330000000001",
    // Authorize.net and PayPal Payflow sandbox numbers, also common in fixtures.
    b"4222222222222", b"4007000000027", b"4012888818888", b"5424000000000015",
    b"6011000000000012", b"38000000000006", b"5500000000000004", b"340000000000009",
    b"30000000000004", b"6011000000000004",
];

/// The Luhn (mod 10) check over ASCII digits. False for an empty or non-digit input.
pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() || !all_digits(digits) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The issuer whose prefix and length fit `digits`, if any.
pub(crate) fn card_issuer(digits: &[u8]) -> Option<&'static str> {
    IIN_RANGES.iter().find_map(|range| {
        let prefix = digits.get(..range.prefix_len)?;
        let value = prefix.iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })?;
        ((range.lo..=range.hi).contains(&value) && range.lengths.contains(&digits.len()))
            .then_some(range.issuer)
    })
}

/// True for a published test card number ([`PUBLISHED_TEST_CARDS`]) or a synthetic-looking
/// one: a made-up run ([`looks_made_up`]) or a number whose first twelve digits repeat a
/// pattern of at most four digits (`4242 4242 4242 …`, `6011 6011 6011 …`).
pub(crate) fn is_test_card(digits: &[u8]) -> bool {
    let periodic = (1..=4)
        .any(|p| digits.len() >= 12 && (0..12 - p).all(|i| digits.get(i) == digits.get(i + p)));
    periodic
        || looks_made_up(digits)
        // Last digits first: they differ between most entries, and comparing one byte is
        // cheaper than a call to memcmp.
        || PUBLISHED_TEST_CARDS
            .iter()
            .any(|card| card.last() == digits.last() && *card == digits)
}

/// A payment card number worth reporting: 13–19 ASCII digits with a known issuer prefix and
/// length, a valid Luhn check digit, and not a test number ([`is_test_card`]).
pub(crate) fn card_number_valid(digits: &[u8]) -> bool {
    (13..=19).contains(&digits.len())
        && luhn_valid(digits)
        && card_issuer(digits).is_some()
        && !is_test_card(digits)
}

/// True unless the candidate at `start..end` is a negative number (`-4386812962460287`) or
/// one entry of a table of big integers ([`among_long_numbers`]).
fn card_context_ok(h: &[u8], start: usize, end: usize) -> bool {
    byte_before(h, start) != Some(b'-') && !among_long_numbers(h, start, end)
}

/// How far around a card candidate [`among_long_numbers`] looks.
const NUMBER_TABLE_WINDOW: usize = 256;

/// True when another number of 14 or more digits that does not even look like a card (Luhn
/// and issuer prefix) lies within [`NUMBER_TABLE_WINDOW`] bytes of `start..end`. The candidate
/// is then one entry of a table of big integers (constants, field-element limbs, test
/// vectors) that passes the checks by chance, as one in ten such integers does. Shorter
/// numbers (dates, millisecond timestamps, phone numbers) do not count.
fn among_long_numbers(h: &[u8], start: usize, end: usize) -> bool {
    let window = &h[..end.saturating_add(NUMBER_TABLE_WINDOW).min(h.len())];
    let mut i = start.saturating_sub(NUMBER_TABLE_WINDOW);
    while let Some(s) = find_digit(window, i) {
        let e = digit_run_end(window, s);
        let other = &window[s..e];
        let card_like = luhn_valid(other) && card_issuer(other).is_some();
        if (e <= start || s >= end) && other.len() >= 14 && !card_like {
            return true;
        }
        i = e;
    }
    false
}

// --- US social security numbers ------------------------------------------------------------

/// Nine ASCII digits forming an SSN that can have been issued and is not a placeholder:
/// area not 000, 666 or 900–999, group not 00, serial not 0000; not one of the famous
/// published ones: 078-05-1120 (the Woolworth wallet insert), 219-09-9999 (a Social Security
/// Board pamphlet), 457-55-5462 (advertised by LifeLock's CEO) and 123-45-6789; not groups
/// of one repeated digit each (`111-22-3333`, `555-55-5555`); not a made-up run.
pub(crate) fn ssn_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 || !all_digits(digits) {
        return false;
    }
    let (area, group, serial) = (&digits[..3], &digits[3..5], &digits[5..]);
    let repeated = |part: &[u8]| part.iter().all(|&d| d == part[0]);
    area != b"000"
        && area != b"666"
        && area[0] != b'9'
        && group != b"00"
        && serial != b"0000"
        && !matches!(
            digits,
            b"078051120" | b"219099999" | b"457555462" | b"123456789"
        )
        && !(repeated(area) && repeated(group) && repeated(serial))
        && !looks_made_up(digits)
}

// --- UK NHS numbers ------------------------------------------------------------------------

/// The NHS number mod-11 check over ten ASCII digits: weights 10..2 on the first nine,
/// check = 11 − (sum mod 11), 11 becomes 0 and 10 means no valid number.
pub(crate) fn nhs_check_digit_valid(digits: &[u8]) -> bool {
    if digits.len() != 10 || !all_digits(digits) {
        return false;
    }
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10u32).rev())
        .map(|(&b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    u32::from(digits[9] - b'0') == check
}

/// An NHS number worth reporting: a valid check digit, in an issued range, and not a made-up
/// run such as `0000000000` (every repeated digit passes the mod-11 check). Issued ranges:
/// 4xx, 6xx and 7xx for England, Wales and the Isle of Man; 320–399 for Northern Ireland's
/// H&C numbers; 010–311 for Scotland's CHI numbers, which start with the holder's birth date
/// (DDMMYY), so those must start with a real day and month. 5, 8 and 9 are not issued; 9xx is
/// what NHS test data uses, including the data dictionary's example 943 476 5919.
pub(crate) fn nhs_valid(digits: &[u8]) -> bool {
    if !nhs_check_digit_valid(digits) || looks_made_up(digits) {
        return false;
    }
    let two = |i: usize| (digits[i] - b'0') * 10 + (digits[i + 1] - b'0');
    match digits[0] {
        b'4' | b'6' | b'7' => true,
        b'3' if digits[1] >= b'2' => true,
        b'0'..=b'3' => (1..=31).contains(&two(0)) && (1..=12).contains(&two(2)),
        _ => false,
    }
}

// --- IBANs ---------------------------------------------------------------------------------

/// One country of the SWIFT IBAN registry: its total IBAN length and its BBAN structure,
/// as runs of `n` (digits), `a` (upper-case letters) and `c` (letters or digits).
struct IbanSpec {
    country: [u8; 2],
    len: u8,
    bban: &'static str,
}

/// The SWIFT IBAN registry (release 101), every country. Sorted by country code.
#[rustfmt::skip]
const IBAN_SPECS: &[IbanSpec] = &[
    IbanSpec { country: *b"AD", len: 24, bban: "8n12c" },     // Andorra
    IbanSpec { country: *b"AE", len: 23, bban: "19n" },       // United Arab Emirates
    IbanSpec { country: *b"AL", len: 28, bban: "8n16c" },     // Albania
    IbanSpec { country: *b"AT", len: 20, bban: "16n" },       // Austria
    IbanSpec { country: *b"AZ", len: 28, bban: "4a20c" },     // Azerbaijan
    IbanSpec { country: *b"BA", len: 20, bban: "16n" },       // Bosnia and Herzegovina
    IbanSpec { country: *b"BE", len: 16, bban: "12n" },       // Belgium
    IbanSpec { country: *b"BG", len: 22, bban: "4a6n8c" },    // Bulgaria
    IbanSpec { country: *b"BH", len: 22, bban: "4a14c" },     // Bahrain
    IbanSpec { country: *b"BI", len: 27, bban: "23n" },       // Burundi
    IbanSpec { country: *b"BR", len: 29, bban: "23n1a1c" },   // Brazil
    IbanSpec { country: *b"BY", len: 28, bban: "4c4n16c" },   // Belarus
    IbanSpec { country: *b"CH", len: 21, bban: "5n12c" },     // Switzerland
    IbanSpec { country: *b"CR", len: 22, bban: "18n" },       // Costa Rica
    IbanSpec { country: *b"CY", len: 28, bban: "8n16c" },     // Cyprus
    IbanSpec { country: *b"CZ", len: 24, bban: "20n" },       // Czechia
    IbanSpec { country: *b"DE", len: 22, bban: "18n" },       // Germany
    IbanSpec { country: *b"DJ", len: 27, bban: "23n" },       // Djibouti
    IbanSpec { country: *b"DK", len: 18, bban: "14n" },       // Denmark
    IbanSpec { country: *b"DO", len: 28, bban: "4c20n" },     // Dominican Republic
    IbanSpec { country: *b"EE", len: 20, bban: "16n" },       // Estonia
    IbanSpec { country: *b"EG", len: 29, bban: "25n" },       // Egypt
    IbanSpec { country: *b"ES", len: 24, bban: "20n" },       // Spain
    IbanSpec { country: *b"FI", len: 18, bban: "14n" },       // Finland
    IbanSpec { country: *b"FK", len: 18, bban: "2a12n" },     // Falkland Islands
    IbanSpec { country: *b"FO", len: 18, bban: "14n" },       // Faroe Islands
    IbanSpec { country: *b"FR", len: 27, bban: "10n11c2n" },  // France
    IbanSpec { country: *b"GB", len: 22, bban: "4a14n" },     // United Kingdom
    IbanSpec { country: *b"GE", len: 22, bban: "2a16n" },     // Georgia
    IbanSpec { country: *b"GI", len: 23, bban: "4a15c" },     // Gibraltar
    IbanSpec { country: *b"GL", len: 18, bban: "14n" },       // Greenland
    IbanSpec { country: *b"GR", len: 27, bban: "7n16c" },     // Greece
    IbanSpec { country: *b"GT", len: 28, bban: "24c" },       // Guatemala
    IbanSpec { country: *b"HN", len: 28, bban: "4a20n" },     // Honduras
    IbanSpec { country: *b"HR", len: 21, bban: "17n" },       // Croatia
    IbanSpec { country: *b"HU", len: 28, bban: "24n" },       // Hungary
    IbanSpec { country: *b"IE", len: 22, bban: "4a14n" },     // Ireland
    IbanSpec { country: *b"IL", len: 23, bban: "19n" },       // Israel
    IbanSpec { country: *b"IQ", len: 23, bban: "4a15n" },     // Iraq
    IbanSpec { country: *b"IS", len: 26, bban: "22n" },       // Iceland
    IbanSpec { country: *b"IT", len: 27, bban: "1a10n12c" },  // Italy
    IbanSpec { country: *b"JO", len: 30, bban: "4a4n18c" },   // Jordan
    IbanSpec { country: *b"KW", len: 30, bban: "4a22c" },     // Kuwait
    IbanSpec { country: *b"KZ", len: 20, bban: "3n13c" },     // Kazakhstan
    IbanSpec { country: *b"LB", len: 28, bban: "4n20c" },     // Lebanon
    IbanSpec { country: *b"LC", len: 32, bban: "4a24c" },     // Saint Lucia
    IbanSpec { country: *b"LI", len: 21, bban: "5n12c" },     // Liechtenstein
    IbanSpec { country: *b"LT", len: 20, bban: "16n" },       // Lithuania
    IbanSpec { country: *b"LU", len: 20, bban: "3n13c" },     // Luxembourg
    IbanSpec { country: *b"LV", len: 21, bban: "4a13c" },     // Latvia
    IbanSpec { country: *b"LY", len: 25, bban: "21n" },       // Libya
    IbanSpec { country: *b"MC", len: 27, bban: "10n11c2n" },  // Monaco
    IbanSpec { country: *b"MD", len: 24, bban: "20c" },       // Moldova
    IbanSpec { country: *b"ME", len: 22, bban: "18n" },       // Montenegro
    IbanSpec { country: *b"MK", len: 19, bban: "3n10c2n" },   // North Macedonia
    IbanSpec { country: *b"MN", len: 20, bban: "16n" },       // Mongolia
    IbanSpec { country: *b"MR", len: 27, bban: "23n" },       // Mauritania
    IbanSpec { country: *b"MT", len: 31, bban: "4a5n18c" },   // Malta
    IbanSpec { country: *b"MU", len: 30, bban: "4a19n3a" },   // Mauritius
    IbanSpec { country: *b"NI", len: 28, bban: "4a20n" },     // Nicaragua
    IbanSpec { country: *b"NL", len: 18, bban: "4a10n" },     // Netherlands
    IbanSpec { country: *b"NO", len: 15, bban: "11n" },       // Norway
    IbanSpec { country: *b"OM", len: 23, bban: "3n16c" },     // Oman
    IbanSpec { country: *b"PK", len: 24, bban: "4a16c" },     // Pakistan
    IbanSpec { country: *b"PL", len: 28, bban: "24n" },       // Poland
    IbanSpec { country: *b"PS", len: 29, bban: "4a21c" },     // Palestine
    IbanSpec { country: *b"PT", len: 25, bban: "21n" },       // Portugal
    IbanSpec { country: *b"QA", len: 29, bban: "4a21c" },     // Qatar
    IbanSpec { country: *b"RO", len: 24, bban: "4a16c" },     // Romania
    IbanSpec { country: *b"RS", len: 22, bban: "18n" },       // Serbia
    IbanSpec { country: *b"RU", len: 33, bban: "14n15c" },    // Russia
    IbanSpec { country: *b"SA", len: 24, bban: "2n18c" },     // Saudi Arabia
    IbanSpec { country: *b"SC", len: 31, bban: "4a20n3a" },   // Seychelles
    IbanSpec { country: *b"SD", len: 18, bban: "14n" },       // Sudan
    IbanSpec { country: *b"SE", len: 24, bban: "20n" },       // Sweden
    IbanSpec { country: *b"SI", len: 19, bban: "15n" },       // Slovenia
    IbanSpec { country: *b"SK", len: 24, bban: "20n" },       // Slovakia
    IbanSpec { country: *b"SM", len: 27, bban: "1a10n12c" },  // San Marino
    IbanSpec { country: *b"SO", len: 23, bban: "19n" },       // Somalia
    IbanSpec { country: *b"ST", len: 25, bban: "21n" },       // Sao Tome and Principe
    IbanSpec { country: *b"SV", len: 28, bban: "4a20n" },     // El Salvador
    IbanSpec { country: *b"TL", len: 23, bban: "19n" },       // Timor-Leste
    IbanSpec { country: *b"TN", len: 24, bban: "20n" },       // Tunisia
    IbanSpec { country: *b"TR", len: 26, bban: "6n16c" },     // Turkey
    IbanSpec { country: *b"UA", len: 29, bban: "6n19c" },     // Ukraine
    IbanSpec { country: *b"VA", len: 22, bban: "18n" },       // Vatican City
    IbanSpec { country: *b"VG", len: 24, bban: "4a16n" },     // British Virgin Islands
    IbanSpec { country: *b"XK", len: 20, bban: "16n" },       // Kosovo
    IbanSpec { country: *b"YE", len: 30, bban: "4a4n18c" },   // Yemen
];

/// Example IBANs that fixtures copy: the SWIFT IBAN registry's example for each country and
/// the examples of bank documentation, Wikipedia and python-stdnum. All valid. Sorted.
#[rustfmt::skip]
const EXAMPLE_IBANS: &[&[u8]] = &[
    b"AD1200012030200359100100", b"AE070331234567890123456", b"AL47212110090000000235698741",
    b"AT611904300234573201", b"AZ21NABZ00000000137010001944", b"BA391290079401028494",
    b"BE31435411161155", b"BE68539007547034", b"BG80BNBG96611020345678",
    b"BH67BMAG00001299123456", b"BI4210000100010000332045181", b"BR1800360305000010009795493C1",
    b"BR9700360305000010009795493P1", b"BY13NBRB3600900000002Z00AB00", b"CH9300762011623852957",
    b"CR05015202001026284066", b"CY17002001280000001200527600", b"CZ6508000000192000145399",
    b"DE89370400440532013000", b"DJ2100010000000154000100186", b"DK5000400440116243",
    b"DO28BAGR00000001212453611324", b"EE382200221020145685", b"EG380019000500000000263180002",
    b"ES7712341234161234567890", b"ES9121000418450200051332", b"FI2112345600000785",
    b"FK88SC123456789012", b"FO6264600001631634", b"FR1420041010050500013M02606",
    b"FR7630006000011234567890189", b"GB29NWBK60161331926819", b"GB33BUKB20201555555555",
    b"GB82WEST12345698765432", b"GE29NB0000000101904917", b"GI75NWBK000000007099453",
    b"GL8964710001000206", b"GR1601101050000010547023795", b"GR1601101250000000012300695",
    b"GT82TRAJ01020000001210029690", b"HN88CABF00000000000250005469", b"HR1210010051863000160",
    b"HU42117730161111101800000000", b"IE29AIBK93115212345678", b"IL620108000000099999999",
    b"IQ98NBIQ850123456789012", b"IS140159260076545510730339", b"IT60X0542811101000000123456",
    b"JO94CBJO0010000000000131000302", b"KW81CBKU0000000000001234560101",
    b"KZ86125KZT5004100100", b"LB62099900000001001901229114",
    b"LC55HEMM000100010012001200023015", b"LI21088100002324013AA", b"LT121000011101001000",
    b"LU280019400644750000", b"LV80BANK0000435195001", b"LY83002048000020100120361",
    b"MC5811222000010123456789030", b"MD24AG000225100013104168", b"ME25505000012345678951",
    b"ME25510000000006234133", b"MK07250120000058984", b"MN121234123456789123",
    b"MR1300020001010000123456753", b"MT84MALT011000012345MTLCAST001S",
    b"MU17BOMM0101101030300200000MUR", b"NI45BAPR00000013000003558124", b"NL91ABNA0417164300",
    b"NO9386011117947", b"OM810180000001299123456", b"PK36SCBL0000001123456702",
    b"PL61109010140000071219812874", b"PS92PALS000000000400123456702",
    b"PT50000201231234567890154", b"QA58DOHB00001234567890ABCDEFG", b"RO49AAAA1B31007593840000",
    b"RS35260005601001611379", b"RU0304452522540817810538091310419",
    b"SA0380000000608010167519", b"SC18SSCB11010000000000001497USD", b"SD2129010501234001",
    b"SE4550000000058398257466", b"SI56263300012039086", b"SK3112000000198742637541",
    b"SM86U0322509800000000270100", b"SO211000001001000100141", b"ST68000100010051845310112",
    b"SV62CENR00000000000000700025", b"TL380080012345678910157", b"TN5910006035183598478831",
    b"TR330006100519786457841326", b"UA213223130000026007233566001", b"VA59001123000012345678",
    b"VG96VPVG0000012345678901", b"XK051212012345678906", b"YE15CBYE0001018861234567891234",
];

fn iban_spec(country: &[u8]) -> Option<&'static IbanSpec> {
    IBAN_SPECS
        .binary_search_by(|spec| spec.country.as_slice().cmp(country))
        .ok()
        .map(|i| &IBAN_SPECS[i])
}

/// True when `bban` follows `structure` (see [`IbanSpec`]).
fn bban_matches(bban: &[u8], structure: &str) -> bool {
    let mut pos = 0;
    let mut count = 0;
    for c in structure.bytes() {
        if c.is_ascii_digit() {
            count = count * 10 + usize::from(c - b'0');
            continue;
        }
        let class: fn(&u8) -> bool = match c {
            b'n' => u8::is_ascii_digit,
            b'a' => u8::is_ascii_uppercase,
            _ => u8::is_ascii_alphanumeric,
        };
        match bban.get(pos..pos + count) {
            Some(run) if run.iter().all(class) => pos += count,
            _ => return false,
        }
        count = 0;
    }
    pos == bban.len()
}

/// ISO 7064 MOD 97-10 over the IBAN moved to `BBAN + country + check digits`, letters
/// counted as 10..35. Valid IBANs give 1.
fn iban_mod97(iban: &[u8]) -> Option<u32> {
    let (head, bban) = (iban.get(..4)?, iban.get(4..)?);
    // Reduce only when the accumulator nears 2^64 / 100, not after every character.
    let r = bban.iter().chain(head).try_fold(0u64, |r, &b| {
        let r = match b {
            b'0'..=b'9' => r * 10 + u64::from(b - b'0'),
            b'A'..=b'Z' => r * 100 + u64::from(b - b'A') + 10,
            b'a'..=b'z' => r * 100 + u64::from(b - b'a') + 10,
            _ => return None,
        };
        Some(if r >= 1 << 56 { r % 97 } else { r })
    })?;
    u32::try_from(r % 97).ok()
}

/// A compact (no spaces) IBAN worth reporting: a registry country written in upper case, two
/// check digits, the country's exact length and BBAN structure, mod-97 remainder 1, and not
/// one of the published examples ([`EXAMPLE_IBANS`]).
pub(crate) fn iban_valid(iban: &[u8]) -> bool {
    let Some(spec) = iban.get(..2).and_then(iban_spec) else {
        return false;
    };
    iban.len() == usize::from(spec.len)
        && all_digits(&iban[2..4])
        && bban_matches(&iban[4..], spec.bban)
        && iban_mod97(iban) == Some(1)
        && EXAMPLE_IBANS.binary_search(&iban).is_err()
}

/// An IBAN whose country code starts at `start`, compact or in the print form (groups of
/// four separated by single spaces). Returns its end.
fn iban_at(h: &[u8], start: usize) -> Option<usize> {
    if byte_before(h, start).is_some_and(is_word_byte) {
        return None;
    }
    let len = usize::from(iban_spec(h.get(start..start + 2)?)?.len);
    let mut compact = [0u8; 34];
    let spaced = byte_at(h, start + 4) == Some(b' ');
    let mut pos = start;
    for n in 0..len {
        if spaced && n > 0 && n % 4 == 0 {
            if byte_at(h, pos) != Some(b' ') {
                return None;
            }
            pos += 1;
        }
        let b = byte_at(h, pos).filter(u8::is_ascii_alphanumeric)?;
        *compact.get_mut(n)? = b;
        pos += 1;
    }
    if byte_at(h, pos).is_some_and(is_word_byte) {
        return None;
    }
    iban_valid(&compact[..len]).then_some(pos)
}

// --- Phone numbers -----------------------------------------------------------------------

/// ITU-T E.164 country calling codes and the lengths their national significant numbers
/// (fixed line, mobile, VoIP, personal and UAN numbers) can have, from libphonenumber's
/// metadata (v9.0). Sorted by code. Non-geographic codes (800, 808, 870, 88x, 979) are left
/// out: their numbers are services, not people.
#[rustfmt::skip]
const CALLING_CODES: &[(u16, &[u8])] = &[
    (1, &[7, 10]), // NANP: US CA and the Caribbean
    (7, &[10]),    // RU KZ
    (20, &[8, 9, 10]), (27, &[5, 6, 7, 8, 9, 10]), (30, &[10]), (31, &[5, 6, 9, 11]),
    (32, &[8, 9]), (33, &[9]), (34, &[9]), (36, &[8, 9]), (39, &[6, 7, 8, 9, 10, 11, 12]),
    (40, &[6, 9]), (41, &[9]), (43, &[4, 5, 6, 7, 8, 9, 10, 11, 12, 13]), (44, &[9, 10]),
    (45, &[8]), (46, &[7, 8, 9]), (47, &[5, 8]), (48, &[6, 7, 8, 9]),
    (49, &[4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]), (51, &[8, 9]), (52, &[10]),
    (53, &[6, 7, 8, 10]), (54, &[10, 11]), (55, &[10, 11]), (56, &[9]), (57, &[8, 10]),
    (58, &[10]), (60, &[8, 9, 10]), (61, &[5, 6, 7, 8, 9]), (62, &[7, 8, 9, 10, 11, 12]),
    (63, &[6, 8, 9, 10]), (64, &[5, 6, 7, 8, 9, 10]), (65, &[8, 11]), (66, &[8, 9]),
    (81, &[9, 10]), (82, &[5, 6, 8, 9, 10, 11]), (84, &[7, 8, 9, 10]), (86, &[7, 8, 9, 10, 11]),
    (90, &[7, 10]), (91, &[10]), (92, &[9, 10, 11, 12]), (93, &[9]), (94, &[9]),
    (95, &[6, 7, 8, 9, 10]), (98, &[4, 5, 6, 7, 10]), (211, &[9]), (212, &[9]), (213, &[8, 9]),
    (216, &[8]), (218, &[9]), (220, &[7, 9]), (221, &[9]), (222, &[8]), (223, &[8]),
    (224, &[8, 9]), (225, &[10]), (226, &[8]), (227, &[8]), (228, &[8]), (229, &[10]),
    (230, &[7, 8]), (231, &[7, 8, 9]), (232, &[8]), (233, &[9]), (234, &[10, 11, 12, 13, 14]),
    (235, &[8]), (236, &[8]), (237, &[9]), (238, &[7]), (239, &[7]), (240, &[9]), (241, &[7, 8]),
    (242, &[9]), (243, &[7, 8, 9, 10]), (244, &[9]), (245, &[7, 9]), (246, &[7]), (247, &[5, 6]),
    (248, &[7]), (249, &[9]), (250, &[8, 9]), (251, &[9]), (252, &[6, 7, 8, 9]), (253, &[8]),
    (254, &[7, 8, 9]), (255, &[9]), (256, &[9]), (257, &[8]), (258, &[8, 9]), (260, &[9]),
    (261, &[9]), (262, &[9]), (263, &[9, 10]), (264, &[8, 9]), (265, &[7, 9]), (266, &[8]),
    (267, &[7, 8]), (268, &[8]), (269, &[7]), (290, &[4, 5]), (291, &[7]), (297, &[7]),
    (298, &[6]), (299, &[6]), (350, &[8]), (351, &[9]), (352, &[4, 5, 6, 7, 8, 9, 10, 11]),
    (353, &[7, 8, 9, 10]), (354, &[7, 9]), (355, &[8, 9]), (356, &[8]), (357, &[8]),
    (358, &[5, 6, 7, 8, 9, 10, 11, 12]), (359, &[6, 7, 8, 9]), (370, &[8]), (371, &[8]),
    (372, &[7, 8]), (373, &[8]), (374, &[8]), (375, &[9]), (376, &[6, 9]), (377, &[8, 9]),
    (378, &[8, 10]), (380, &[9]), (381, &[6, 7, 8, 9, 10, 11, 12]), (382, &[8]),
    (383, &[8, 9, 10, 11, 12]), (385, &[8, 9]), (386, &[8]), (387, &[8, 9]), (389, &[8]),
    (420, &[9]), (421, &[6, 7, 9]), (423, &[7, 9]), (500, &[5]), (501, &[7]), (502, &[8]),
    (503, &[8]), (504, &[8]), (505, &[8]), (506, &[8]), (507, &[7, 8]), (508, &[6, 9]),
    (509, &[8]), (590, &[9]), (591, &[8]), (592, &[7]), (593, &[8, 9]), (594, &[9]),
    (595, &[6, 7, 8, 9]), (596, &[9]), (597, &[6, 7]), (598, &[4, 5, 8]), (599, &[7, 8]),
    (670, &[7, 8]), (672, &[6]), (673, &[7]), (674, &[7]), (675, &[7, 8]), (676, &[5, 7]),
    (677, &[5, 7]), (678, &[5, 7]), (679, &[7]), (680, &[7]), (681, &[6]), (682, &[5]),
    (683, &[4, 7]), (685, &[5, 6, 7, 10]), (686, &[5, 8]), (687, &[6]), (688, &[5, 6, 7]),
    (689, &[6, 8]), (690, &[4, 5, 6, 7]), (691, &[7]), (692, &[7]), (850, &[8, 10]), (852, &[8]),
    (853, &[8]), (855, &[8, 9]), (856, &[8, 9, 10]), (880, &[6, 7, 8, 9, 10]),
    (886, &[8, 9, 10, 11]), (960, &[7]), (961, &[7, 8]), (962, &[8, 9]), (963, &[8, 9]),
    (964, &[8, 9, 10]), (965, &[8]), (966, &[9]), (967, &[7, 8, 9]), (968, &[8]), (970, &[8, 9]),
    (971, &[8, 9]), (972, &[8, 9, 10, 11, 12]), (973, &[8]), (974, &[7, 8]), (975, &[7, 8]),
    (976, &[8, 9, 10]), (977, &[8, 10]), (992, &[9]), (993, &[8]), (994, &[9]), (995, &[9]),
    (996, &[9]), (998, &[9]),
];

/// Ofcom's numbers for drama (TV, film, radio, books): the national significant number
/// starts with one of these seven digits and has three more. London 020 7946 0xxx, Belfast
/// 028 9649 6xxx, Cardiff 029 2018 0xxx, the 0113..0161 496 0xxx cities, 01632 960xxx,
/// mobile 07700 900xxx, freephone 08081 570xxx, premium 0909 8790xxx, UK-wide 03069 990xxx.
#[rustfmt::skip]
const UK_DRAMA_PREFIXES: &[&[u8]] = &[
    b"1134960", b"1144960", b"1154960", b"1164960", b"1174960", b"1184960", b"1214960",
    b"1314960", b"1414960", b"1514960", b"1614960", b"2079460", b"2896496", b"2920180",
    b"1632960", b"7700900", b"8081570", b"9098790", b"3069990",
];

/// A NANP number (10 digits: area code, exchange, line) that can belong to a person: area code and
/// exchange start with 2–9 and are not `N11` service codes, the area code is not `N9X`
/// (reserved), not toll-free (800, 833 … 888) or premium (900), and the exchange is not 555
/// (555-0100–0199 is reserved for fiction and the rest of 555 is unassigned or directory
/// services).
pub(crate) fn nanp_valid(nsn: &[u8]) -> bool {
    let [a0, a1, a2, e0, e1, e2, ..] = *nsn else {
        return false;
    };
    nsn.len() == 10
        && all_digits(nsn)
        && (b'2'..=b'9').contains(&a0)
        && !(a1 == b'1' && a2 == b'1')
        && a1 != b'9'
        && (b'2'..=b'9').contains(&e0)
        && !(e1 == b'1' && e2 == b'1')
        && &nsn[3..6] != b"555"
        && !matches!(
            &nsn[..3],
            b"800" | b"833" | b"844" | b"855" | b"866" | b"877" | b"888"
        )
        && &nsn[..3] != b"900"
        && !looks_made_up(nsn)
}

/// A UK national significant number (no trunk `0`) that can belong to a person: 9 or 10
/// digits starting with 1 or 2 (geographic), 3 (UK-wide), 5 (corporate) or 7 (mobile and
/// personal), outside Ofcom's drama ranges. Freephone (8) and premium (9) numbers are
/// services.
pub(crate) fn uk_nsn_valid(nsn: &[u8]) -> bool {
    matches!(nsn.len(), 9 | 10)
        && all_digits(nsn)
        && matches!(nsn[0], b'1' | b'2' | b'3' | b'5' | b'7')
        && !(nsn.len() == 10 && UK_DRAMA_PREFIXES.iter().any(|p| nsn.starts_with(p)))
        && !looks_made_up(nsn)
}

/// A UK number in national form, grouped as `07xxx xxxxxx`, `07xxx xxx xxx` (mobiles:
/// 071–075, 077–079 and the Isle of Man's 07624) or `02x xxxx xxxx` (London, Southampton,
/// Coventry, Northern Ireland, Cardiff).
fn uk_national_phone_valid(digits: &[u8], groups: &[usize]) -> bool {
    let (Some(b'0'), Some(nsn)) = (digits.first(), digits.get(1..)) else {
        return false;
    };
    let shape_ok = match groups {
        [5, 6] | [5, 3, 3] => {
            matches!(
                nsn.get(..2),
                Some(b"71" | b"72" | b"73" | b"74" | b"75" | b"77" | b"78" | b"79")
            ) || nsn.starts_with(b"7624")
        }
        [3, 4, 4] => {
            matches!(nsn.get(..2), Some(b"20" | b"23" | b"24" | b"28" | b"29"))
                && nsn.get(2).is_some_and(|d| (b'2'..=b'9').contains(d))
        }
        _ => false,
    };
    shape_ok && nsn.len() == 10 && uk_nsn_valid(nsn)
}

/// A US number written `(area) exchange-line`, e.g. `(212) 736-5000` (the space is
/// optional), with its `(` at `open`. Returns its end.
fn us_national_phone_at(h: &[u8], open: usize) -> Option<usize> {
    if byte_before(h, open).is_some_and(is_word_byte) || byte_at(h, open + 4) != Some(b')') {
        return None;
    }
    let exchange = if byte_at(h, open + 5) == Some(b' ') {
        open + 6
    } else {
        open + 5
    };
    let end = exchange + 8;
    if digit_run_end(h, exchange) != exchange + 3
        || byte_at(h, exchange + 3) != Some(b'-')
        || digit_run_end(h, exchange + 4) != end
        || !clean_right(h, end)
    {
        return None;
    }
    let mut digits = Digits::new();
    let all = digits.extend(h.get(open + 1..open + 4)?)
        && digits.extend(h.get(exchange..exchange + 3)?)
        && digits.extend(h.get(exchange + 4..end)?);
    (all && nanp_valid(digits.as_slice())).then_some(end)
}

/// The country calling code `digits` (after the `+`) starts with, its length and the
/// allowed national number lengths. Calling codes are prefix-free, so the first hit is it.
fn calling_code(digits: &[u8]) -> Option<(u16, usize, &'static [u8])> {
    (1..=3).find_map(|len| {
        let code = digits.get(..len)?.iter().try_fold(0u16, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u16::from(b - b'0'))
        })?;
        let i = CALLING_CODES
            .binary_search_by_key(&code, |&(c, _)| c)
            .ok()?;
        Some((code, len, CALLING_CODES[i].1))
    })
}

/// The digits of an international number (without `+` and separators) that can belong to a
/// person: 8–15 digits, a known calling code followed by a national number of a length that
/// country uses, no leading `0` (except Italy, whose fixed lines keep it), not a made-up run,
/// and the NANP and UK number plan rules ([`nanp_valid`], [`uk_nsn_valid`]).
pub(crate) fn phone_e164_valid(digits: &[u8]) -> bool {
    if !(8..=15).contains(&digits.len()) || !all_digits(digits) {
        return false;
    }
    let Some((code, code_len, lengths)) = calling_code(digits) else {
        return false;
    };
    let nsn = &digits[code_len..];
    let len_ok = u8::try_from(nsn.len()).is_ok_and(|n| lengths.contains(&n));
    if !len_ok || (nsn[0] == b'0' && code != 39) || looks_made_up(nsn) {
        return false;
    }
    match code {
        1 => nanp_valid(nsn),
        44 => uk_nsn_valid(nsn),
        _ => true,
    }
}

/// An international number whose `+` is at `plus`: digit groups separated by single spaces,
/// dashes or dots, with at most one parenthesised group right after the country code (an area
/// code, or the UK-style trunk `(0)`, which is dropped). Returns its end.
fn international_phone_at(h: &[u8], plus: usize) -> Option<usize> {
    if byte_before(h, plus).is_some_and(|b| is_word_byte(b) || b == b'+') {
        return None;
    }
    if !matches!(byte_at(h, plus + 1), Some(b'1'..=b'9')) {
        return None;
    }
    const MAX_DIGITS: usize = 15;
    let mut digits = Digits::new();
    let mut pos = plus + 1;
    let mut groups = 0;
    loop {
        let group_end = digit_run_end(h, pos);
        // A dot after a long first group, or before a final single digit, makes a signed
        // decimal (`+35236450.6`); `+CC.NUMBER` (the EPP/whois form) is a phone number.
        let dotted = byte_before(h, pos) == Some(b'.');
        if (dotted && group_end - pos == 1 && !digit_at(h, group_end + 1))
            || (groups == 0 && group_end - pos > 3 && byte_at(h, group_end) == Some(b'.'))
        {
            return None;
        }
        if !digits.extend(h.get(pos..group_end)?) || digits.len > MAX_DIGITS {
            return None;
        }
        groups += 1;
        pos = group_end;
        let sep = byte_at(h, pos).filter(|b| matches!(b, b' ' | b'-' | b'.'));
        let after_sep = pos + usize::from(sep.is_some());
        match byte_at(h, after_sep) {
            Some(b) if b.is_ascii_digit() && sep.is_some() => pos = after_sep,
            Some(b'(') if groups == 1 && matches!(sep, None | Some(b' ')) => {
                let inner = after_sep + 1;
                let close = digit_run_end(h, inner);
                if !(1..=4).contains(&(close - inner)) || byte_at(h, close) != Some(b')') {
                    break;
                }
                let area = h.get(inner..close)?;
                if area != b"0" && (!digits.extend(area) || digits.len > MAX_DIGITS) {
                    return None;
                }
                let mut next = close + 1;
                if matches!(byte_at(h, next), Some(b' ' | b'-' | b'.')) {
                    next += 1;
                }
                if !digit_at(h, next) {
                    return None;
                }
                pos = next;
            }
            _ => break,
        }
    }
    (clean_right(h, pos) && phone_e164_valid(digits.as_slice())).then_some(pos)
}

// ---------------------------------------------------------------------------------------
// E-mail addresses
// ---------------------------------------------------------------------------------------

/// The longest local part (RFC 5321).
const LOCAL_MAX: usize = 64;
/// The longest domain (RFC 1035).
const DOMAIN_MAX: usize = 253;

/// RFC 5322 `atext` plus the dot.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-.".contains(&b)
}

/// RFC 5322 allows these in a local part, but in source code they almost always end
/// something before an address (`--author=jane@…`, `path/jane@…`, `'jane@…'`), so the
/// reported address starts after the last one. An apostrophe between letters (`o'brien`)
/// stays part of the address.
fn is_local_delimiter(h: &[u8], i: usize) -> bool {
    match h[i] {
        b'\'' => {
            !(byte_before(h, i).is_some_and(|b| b.is_ascii_alphanumeric())
                && byte_at(h, i + 1).is_some_and(|b| b.is_ascii_alphanumeric()))
        }
        b'=' | b'/' | b'|' | b'`' | b'?' | b'!' | b'#' | b'&' | b'*' | b'^' | b'~' => true,
        b'{' | b'}' | b'$' | b'%' => true,
        _ => false,
    }
}

/// Where the local part ending at the `@` at `at` starts. None for template placeholders
/// (`${USER}@`, `{{ user }}@`, `%s@`, `%(user)s@`) and for nothing at all (`@scope/pkg`,
/// `@decorator`).
fn local_part_start(h: &[u8], at: usize) -> Option<usize> {
    // A local part has at most 64 bytes: its start, or the delimiter before it, lies within
    // the 65 bytes before the `@`.
    let limit = at.saturating_sub(LOCAL_MAX + 1);
    let mut raw = at;
    while raw > limit && is_atext(h[raw - 1]) {
        raw -= 1;
    }
    let mut start = match (raw..at).rev().find(|&i| is_local_delimiter(h, i)) {
        Some(i) if matches!(h[i], b'{' | b'}' | b'$' | b'%') => return None,
        Some(i) => i + 1,
        // No delimiter, and the run goes on beyond what a local part can be.
        None if raw == limit && byte_before(h, raw).is_some_and(is_atext) => return None,
        None => raw,
    };
    while start < at && matches!(h[start], b'.' | b'-' | b'+') {
        start += 1;
    }
    (start < at).then_some(start)
}

/// Where the domain starting at `from` ends (trailing dots, as in a sentence, excluded).
fn domain_end(h: &[u8], from: usize) -> Option<usize> {
    let mut end = from;
    while byte_at(h, end).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        end += 1;
        if end - from > DOMAIN_MAX + 1 {
            return None;
        }
    }
    while end > from && h[end - 1] == b'.' {
        end -= 1;
    }
    (end > from).then_some(end)
}

fn local_part_ok(local: &[u8]) -> bool {
    local.len() <= LOCAL_MAX
        && local
            .first()
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        && !local.ends_with(b".")
        && !local.windows(2).any(|w| w == b"..")
}

/// Top-level domains accepted for e-mail: the country codes and the generic TLDs people's
/// addresses actually use. A whitelist, because after an `@` in source code a "TLD" is
/// usually something else: `weights@x.shape`, `icon@2x.png`, `pkg@1.2.3`.
#[rustfmt::skip]
const EMAIL_TLDS: &[&str] = &[
    "ac", "academy", "ad", "ae", "aero", "af", "ag", "agency", "ai", "al", "am", "amsterdam",
    "ao", "app", "aq", "ar", "art", "as", "asia", "at", "au", "aw", "ax", "az", "ba", "bank",
    "bayern", "bb", "bd", "be", "berlin", "bf", "bg", "bh", "bi", "biz", "bj", "blog", "bm",
    "bn", "bo", "br", "bs", "bt", "bv", "bw", "by", "bz", "ca", "capital", "care", "cat", "cc",
    "cd", "center", "centre", "cf", "cg", "ch", "church", "ci", "ck", "cl", "cloud", "club",
    "cm", "cn", "co", "college", "com", "company", "consulting", "coop", "cr", "cu", "cv", "cw",
    "cx", "cy", "cymru", "cz", "de", "design", "dev", "digital", "dj", "dk", "dm", "do", "dz",
    "earth", "ec", "eco", "edu", "ee", "eg", "email", "engineering", "er", "es", "et", "eu",
    "expert", "family", "fi", "finance", "fit", "fj", "fk", "fm", "fo", "fr", "fun", "ga",
    "games", "gay", "gb", "gd", "ge", "gf", "gg", "gh", "gi", "gl", "global", "gm", "gmbh",
    "gn", "gov", "gp", "gq", "gr", "green", "group", "gs", "gt", "gu", "guru", "gw", "gy",
    "hamburg", "health", "hk", "hm", "hn", "host", "hr", "ht", "hu", "icu", "id", "ie", "il",
    "im", "in", "inc", "info", "ink", "int", "io", "iq", "ir", "is", "it", "je", "jm", "jo",
    "jobs", "jp", "ke", "kg", "kh", "ki", "km", "kn", "koeln", "kp", "kr", "kw", "ky", "kz",
    "la", "land", "law", "lb", "lc", "legal", "li", "life", "link", "live", "lk", "llc",
    "london", "lr", "ls", "lt", "ltd", "lu", "lv", "ly", "ma", "mc", "md", "me", "media", "mg",
    "mh", "mil", "mk", "ml", "mm", "mn", "mo", "mobi", "mp", "mq", "mr", "ms", "mt", "mu",
    "museum", "mv", "mw", "mx", "my", "mz", "na", "name", "nc", "ne", "net", "network", "news",
    "nf", "ng", "ni", "ninja", "nl", "no", "np", "nr", "nrw", "nu", "nyc", "nz", "om", "one",
    "online", "org", "pa", "page", "paris", "pe", "pf", "pg", "ph", "photo", "photography",
    "photos", "pk", "pl", "plus", "pm", "pn", "post", "pr", "press", "pro", "ps", "pt", "pw",
    "py", "qa", "re", "ro", "rocks", "rs", "ru", "rw", "sa", "sb", "sc", "school", "scot", "sd",
    "se", "services", "sg", "sh", "shop", "si", "site", "sj", "sk", "sl", "sm", "sn", "so",
    "social", "software", "solutions", "space", "sr", "ss", "st", "store", "studio", "su", "sv",
    "swiss", "sx", "sy", "systems", "sz", "tc", "td", "team", "tech", "tel", "tf", "tg", "th",
    "tj", "tk", "tl", "tm", "tn", "to", "today", "tokyo", "tools", "top", "tr", "travel", "tt",
    "tv", "tw", "tz", "ua", "ug", "uk", "university", "us", "uy", "uz", "va", "vc", "ve",
    "ventures", "vg", "vi", "vip", "vn", "vu", "wales", "website", "wf", "wien", "wiki", "work",
    "works", "world", "ws", "xyz", "ye", "yt", "za", "zm", "zone", "zw",
];

/// Names reserved for documentation, testing and private networks (RFC 2606, RFC 6761,
/// RFC 6762 `.local`, ICANN's `.internal`, and common private suffixes). Checked against the
/// last label; a domain with an `example` label anywhere (`example.com`, `mail.example.org`,
/// `example.co.uk`) is a placeholder too.
#[rustfmt::skip]
const RESERVED_TLDS: &[&str] = &[
    "alt", "arpa", "corp", "example", "home", "internal", "intranet", "invalid", "lan", "local",
    "localdomain", "localhost", "onion", "private", "test",
];

/// Domains that only appear as placeholders (`user@domain.com`, `foo@bar.com`,
/// `name@company.com`); subdomains included.
#[rustfmt::skip]
const PLACEHOLDER_DOMAINS: &[&str] = &[
    "acme.com", "bar.com", "company.com", "domain.com", "foo.com", "foobar.com",
    "mycompany.com", "mydomain.com", "mysite.com", "sample.com", "site.com", "test.com",
    "website.com", "yourcompany.com", "yourdomain.com", "yoursite.com",
];

/// Local parts that only appear as placeholders (`email@email.com`, `user@gmail.com`,
/// `john.doe@…`).
#[rustfmt::skip]
const PLACEHOLDER_LOCALS: &[&str] = &[
    "bar", "baz", "e-mail", "email", "example", "first.last", "firstname", "firstname.lastname",
    "foo", "foobar", "jane.doe", "janedoe", "john.doe", "johndoe", "lastname", "mail", "me",
    "name", "name.surname", "nobody", "null", "sample", "somebody", "someone", "test", "user",
    "username", "you", "your", "your-email",
    "your-name", "your.email", "your.name", "your_email", "your_name", "youremail", "yourname",
];

/// Addresses of machines and of roles, not of people: `git@host` (SSH remotes), mail daemons,
/// and the shared mailboxes projects publish (`security@`, `support@`, `team@` …).
#[rustfmt::skip]
const NON_PERSONAL_LOCALS: &[&str] = &[
    "abuse", "admin", "administrator", "billing", "careers", "coc", "community", "conduct",
    "contact", "dev", "developers", "devnull", "enquiries", "feedback", "git", "hello", "help",
    "hostmaster", "info", "inquiries", "jobs", "legal", "mailer-daemon", "maintainers",
    "marketing", "newsletter", "noc", "office", "open-source", "opensource", "oss", "postmaster",
    "press", "privacy", "report", "root", "sales", "secure", "security", "support", "team",
    "webmaster",
];

/// Domains whose addresses are not people's: mailing lists, and the SSH algorithm names
/// written as addresses (`chacha20-poly1305@openssh.com`). Subdomains included.
#[rustfmt::skip]
const NON_PERSONAL_DOMAINS: &[&str] = &[
    "googlegroups.com", "libssh.org", "openssh.com", "simulator.amazonses.com",
];

/// Local-part endings of mailing lists (`openssl-dev@`, `tz-announce@`, `foo-request@`).
#[rustfmt::skip]
const LIST_SUFFIXES: &[&str] = &[
    "-admin", "-announce", "-bugs", "-commits", "-core", "-dev", "-devel", "-discuss", "-help",
    "-list", "-owner", "-request", "-security", "-sig", "-team", "-users",
];

/// True when `text` equals one of `list`, ignoring ASCII case.
fn is_one_of(text: &[u8], list: &[&str]) -> bool {
    list.iter().any(|w| text.eq_ignore_ascii_case(w.as_bytes()))
}

/// True when `domain` is `suffix` or a subdomain of it, ignoring ASCII case.
fn is_domain_or_sub(domain: &[u8], suffix: &str) -> bool {
    let suffix = suffix.as_bytes();
    domain.len() >= suffix.len()
        && domain[domain.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        && (domain.len() == suffix.len() || domain[domain.len() - suffix.len() - 1] == b'.')
}

/// True when an address is valid but not personal data ([`email_around`] has already checked
/// its shape):
/// - a reserved domain ([`RESERVED_TLDS`], any `example` label);
/// - a placeholder: [`PLACEHOLDER_DOMAINS`], [`PLACEHOLDER_LOCALS`], `example…@`, one
///   letter at one letter (`x@y.com`), one repeated letter (`xxxx@dot.ca.gov`, `bbb@zzz.org`);
/// - not a person: [`NON_PERSONAL_LOCALS`], [`NON_PERSONAL_DOMAINS`], `lists.…` domains,
///   mailing-list names ([`LIST_SUFFIXES`]), no-reply addresses (`noreply@`, `no-reply@`,
///   `do-not-reply@`, any `….noreply.…` domain such as GitHub's `users.noreply.github.com`);
/// - a mail Message-ID: a timestamp or hash, then a dot or dash (`20200505095915.11275-1-…@`,
///   `5ce86123a7b9….1538583282.git.…@`, `4FD05F05-F98B-…@`), or dotted numbers only
///   (`15090.61304.110929.45684@`).
pub(crate) fn email_is_excluded(local: &[u8], domain: &[u8]) -> bool {
    let labels = || domain.split(|&b| b == b'.');
    let first_label = labels().next().unwrap_or_default();
    let tld = labels().next_back().unwrap_or_default();
    let reserved = is_one_of(tld, RESERVED_TLDS)
        || labels().any(|label| label.eq_ignore_ascii_case(b"example"));

    // At least two letters for a local part (`xx@`), three for a domain (`qq.com` is real).
    let one_repeated_char =
        |text: &[u8], min: usize| text.len() >= min && text.iter().all(|&b| b == text[0]);
    let placeholder = PLACEHOLDER_DOMAINS
        .iter()
        .any(|p| is_domain_or_sub(domain, p))
        || is_one_of(local, PLACEHOLDER_LOCALS)
        || local
            .get(..7)
            .is_some_and(|head| head.eq_ignore_ascii_case(b"example"))
        || (local.len() == 1 && first_label.len() == 1)
        || one_repeated_char(local, 2)
        || one_repeated_char(first_label, 3);

    let squashed = local.iter().filter(|b| !matches!(b, b'.' | b'-' | b'_'));
    let squashed_starts_with = |prefix: &[u8]| {
        let mut rest = squashed.clone();
        prefix
            .iter()
            .all(|p| rest.next().is_some_and(|b| b.eq_ignore_ascii_case(p)))
    };
    let ends_with = |suffix: &str| {
        local.len() > suffix.len()
            && local[local.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let not_a_person = is_one_of(local, NON_PERSONAL_LOCALS)
        || NON_PERSONAL_DOMAINS
            .iter()
            .any(|d| is_domain_or_sub(domain, d))
        || (first_label.eq_ignore_ascii_case(b"lists") && labels().count() > 2)
        || LIST_SUFFIXES.iter().any(|s| ends_with(s))
        || squashed_starts_with(b"noreply")
        || squashed_starts_with(b"donotreply")
        || labels().any(|label| is_one_of(label, &["noreply", "no-reply"]));

    let stamp = local.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let message_id = (stamp >= 8
        && local[..stamp].iter().any(u8::is_ascii_digit)
        && matches!(local.get(stamp), Some(b'.' | b'-')))
        || (local.iter().filter(|&&b| b == b'.').count() >= 2
            && local.iter().all(|&b| b.is_ascii_digit() || b == b'.'));

    reserved || placeholder || not_a_person || message_id
}

/// Labels of letters, digits and inner hyphens; at least two; a whitelisted TLD
/// ([`EMAIL_TLDS`]); and not an image scale suffix (`icon@2x.png`, `logo@1.5x.webp`).
fn domain_ok(domain: &[u8]) -> bool {
    let labels = domain.split(|&b| b == b'.');
    let mut count = 0;
    for label in labels.clone() {
        count += 1;
        if label.is_empty()
            || label.len() > 63
            || label.starts_with(b"-")
            || label.ends_with(b"-")
            || !label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return false;
        }
    }
    let Some(tld) = domain.rsplit(|&b| b == b'.').next() else {
        return false;
    };
    let tld_known = EMAIL_TLDS
        .binary_search_by(|known| known.bytes().cmp(tld.iter().map(u8::to_ascii_lowercase)))
        .is_ok();
    count >= 2 && tld_known && !is_image_scale(domain)
}

/// `2x.png`, `1.5x.webp`: the `@2x` suffix of high-resolution image file names.
fn is_image_scale(domain: &[u8]) -> bool {
    let int_end = domain
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(domain.len());
    if int_end == 0 {
        return false;
    }
    let mut i = int_end;
    if domain.get(i) == Some(&b'.') && digit_at(domain, i + 1) {
        i = digit_run_end(domain, i + 1);
    }
    matches!(domain.get(i), Some(b'x' | b'X')) && domain.get(i + 1) == Some(&b'.')
}

/// True when the `://` of a URL comes before `local_start` in the same token and nothing
/// (`/`, `?`, `#`) ends its authority: `ssh://git@host`, `postgres://user:pw@host` are
/// credentials and hosts, not e-mail addresses.
fn in_url_authority(h: &[u8], local_start: usize) -> bool {
    let lo = local_start.saturating_sub(512);
    let mut s = local_start;
    while s > lo && !h[s - 1].is_ascii_whitespace() && !b"\"'<>()[]{}`,;|".contains(&h[s - 1]) {
        s -= 1;
    }
    let before = &h[s..local_start];
    memchr::memmem::rfind(before, b"://")
        .is_some_and(|i| !before[i + 3..].iter().any(|b| b"/?#".contains(b)))
}

/// True when the word before the `:` at `colon` is `mailto`, `mail`, `email` or `e-mail`.
fn mail_label_before(h: &[u8], colon: usize) -> bool {
    let mut s = colon;
    while s > 0 && colon - s < 16 && (h[s - 1].is_ascii_alphanumeric() || h[s - 1] == b'-') {
        s -= 1;
    }
    let word = &h[s..colon];
    word.eq_ignore_ascii_case(b"mailto")
        || word.len() >= 4 && word[word.len() - 4..].eq_ignore_ascii_case(b"mail")
}

/// The e-mail address around the `@` at `at`, if there is one worth reporting.
fn email_around(h: &[u8], at: usize) -> Option<(usize, usize)> {
    let start = local_part_start(h, at)?;
    let end = domain_end(h, at + 1)?;
    let (local, domain) = (&h[start..at], &h[at + 1..end]);
    if !local_part_ok(local) || !domain_ok(domain) {
        return None;
    }
    // What follows: `host:path` is an scp/SSH remote (`git@github.com:org/repo`).
    match byte_at(h, end) {
        Some(b'_' | b'@') => return None,
        Some(b':')
            if byte_at(h, end + 1).is_some_and(|b| is_word_byte(b) || b"/~.".contains(&b)) =>
        {
            return None;
        }
        _ => {}
    }
    // What precedes: `user:password@host` unless the label is `mailto:`/`email:`; a second
    // `@`; the `)` of `%(user)s@`.
    match byte_before(h, start) {
        Some(b':') if !mail_label_before(h, start - 1) => return None,
        Some(b'@' | b')' | b']') => return None,
        _ => {}
    }
    if in_url_authority(h, start) || email_is_excluded(local, domain) {
        return None;
    }
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::{Index, select};

    // --- helpers ---------------------------------------------------------------------------

    /// Every match as (kind, matched text).
    fn found(text: &str) -> Vec<(PiiKind, &str)> {
        PiiDetector::new()
            .find(text.as_bytes())
            .iter()
            .map(|m| (m.kind, &text[m.start..m.end]))
            .collect()
    }

    /// The text of every match of `kind`.
    fn found_kind(text: &str, kind: PiiKind) -> Vec<&str> {
        found(text)
            .into_iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, t)| t)
            .collect()
    }

    fn assert_found(text: &str, kind: PiiKind, value: &str) {
        let all = found(text);
        assert!(
            all.contains(&(kind, value)),
            "expected {kind:?} {value:?} in {text:?}, got {all:?}"
        );
    }

    fn assert_none(text: &str, kind: PiiKind) {
        let hits = found_kind(text, kind);
        assert!(
            hits.is_empty(),
            "expected no {kind:?} in {text:?}, got {hits:?}"
        );
    }

    fn assert_nothing(text: &str) {
        let all = found(text);
        assert!(all.is_empty(), "expected nothing in {text:?}, got {all:?}");
    }

    /// The Luhn digit that completes `partial`.
    fn luhn_check_digit(partial: &[u8]) -> u8 {
        let sum: u32 = partial
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 0 {
                    let doubled = d * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                } else {
                    d
                }
            })
            .sum();
        b'0' + u8::try_from((10 - sum % 10) % 10).expect("a digit")
    }

    /// `country` + computed check digits + `bban`.
    fn with_iban_check(country: &[u8], bban: &[u8]) -> Vec<u8> {
        let mut probe = country.to_vec();
        probe.extend_from_slice(b"00");
        probe.extend_from_slice(bban);
        let check = 98 - iban_mod97(&probe).expect("alphanumeric");
        let mut iban = country.to_vec();
        iban.extend_from_slice(format!("{check:02}").as_bytes());
        iban.extend_from_slice(bban);
        iban
    }

    /// The nine digits plus their NHS check digit, unless no check digit exists.
    fn with_nhs_check(nine: &[u8]) -> Option<Vec<u8>> {
        let sum: u32 = nine
            .iter()
            .zip((2..=10u32).rev())
            .map(|(&b, w)| u32::from(b - b'0') * w)
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => return None,
            c => c,
        };
        let mut digits = nine.to_vec();
        digits.push(b'0' + u8::try_from(check).expect("a digit"));
        Some(digits)
    }

    /// `digits` in groups of `shape`, joined by `sep`.
    fn grouped(digits: &[u8], shape: &[usize], sep: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let mut pos = 0;
        for (i, &len) in shape.iter().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            out.extend_from_slice(&digits[pos..pos + len]);
            pos += len;
        }
        out
    }

    /// The usual grouping for a card of this length, if there is one.
    fn card_shape(len: usize) -> Option<&'static [usize]> {
        Some(match len {
            14 => &[4, 6, 4],
            15 => &[4, 6, 5],
            16 => &[4, 4, 4, 4],
            17 => &[4, 4, 4, 4, 1],
            18 => &[4, 4, 4, 4, 2],
            19 => &[4, 4, 4, 4, 3],
            _ => return None,
        })
    }

    /// `pre`, `. `, `value`, ` .`, `post`, and where `value` landed. The `. ` and ` .`
    /// guards keep arbitrary printable text from touching the value.
    fn embed(pre: &[u8], value: &[u8], post: &[u8]) -> (Vec<u8>, usize, usize) {
        let mut hay = pre.to_vec();
        hay.extend_from_slice(b". ");
        let start = hay.len();
        hay.extend_from_slice(value);
        let end = hay.len();
        hay.extend_from_slice(b" .");
        hay.extend_from_slice(post);
        (hay, start, end)
    }

    // --- the API -----------------------------------------------------------------------------

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

    // --- payment cards -----------------------------------------------------------------------

    #[test]
    fn luhn_known_answers() {
        assert!(luhn_valid(b"4539148803436467"));
        assert!(luhn_valid(b"79927398713"));
        assert!(!luhn_valid(b"4539148803436468"));
        assert!(!luhn_valid(b"79927398710"));
        assert!(!luhn_valid(b""));
        assert!(!luhn_valid(b"4539 1488"));
    }

    #[test]
    fn issuers_by_prefix_and_length() {
        assert_eq!(card_issuer(b"4539148803436467"), Some("Visa"));
        assert_eq!(card_issuer(b"4049163528170"), Some("Visa"));
        assert_eq!(card_issuer(b"5221763309812340"), Some("Mastercard"));
        assert_eq!(card_issuer(b"2271539048621176"), Some("Mastercard"));
        assert_eq!(card_issuer(b"349815763102473"), Some("American Express"));
        assert_eq!(card_issuer(b"6011549213870652"), Some("Discover"));
        assert_eq!(card_issuer(b"3530118462905715"), Some("JCB"));
        assert_eq!(card_issuer(b"36194288375123"), Some("Diners Club"));
        assert_eq!(card_issuer(b"6214830927456182030"), Some("UnionPay"));
        assert_eq!(card_issuer(b"6759412085733167"), Some("Maestro"));
        // Visa has no 15-digit numbers, Amex no 16-digit ones, 1 and 9 are nobody's.
        assert_eq!(card_issuer(b"453914880343646"), None);
        assert_eq!(card_issuer(b"3498157631024731"), None);
        assert_eq!(card_issuer(b"1234567812345670"), None);
        assert_eq!(card_issuer(b"9234567812345670"), None);
    }

    #[test]
    fn cards_are_found_plain_and_grouped() {
        for (text, value) in [
            ("4539148803436467", "4539148803436467"),
            ("card: 4539 1488 0343 6467", "4539 1488 0343 6467"),
            ("card: 4539-1488-0343-6467.", "4539-1488-0343-6467"),
            ("{\"pan\":\"5221763309812340\"}", "5221763309812340"),
            ("amex 3498 157631 02473", "3498 157631 02473"),
            ("2271539048621176,12/27,123", "2271539048621176"),
            ("discover=6011549213870652", "6011549213870652"),
            ("jcb 3530118462905715", "3530118462905715"),
            ("diners (36194288375123)", "36194288375123"),
            (
                "unionpay 6214 8309 2745 6182 030",
                "6214 8309 2745 6182 030",
            ),
            ("visa13 4049163528170", "4049163528170"),
            ("maestro 6759412085733167 exp", "6759412085733167"),
            ("4539148803436467 123", "4539148803436467"),
        ] {
            assert_found(text, PiiKind::PaymentCard, value);
        }
    }

    #[test]
    fn published_test_cards_are_not_reported() {
        for text in [
            "4111111111111111",
            "4242 4242 4242 4242",
            "5555555555554444",
            "5105-1051-0510-5100",
            "378282246310005",
            "3714 496353 98431",
            "6011111111111117",
            "3566002020360505",
            "4012888888881881",
            "4000056655665556",
            "2223003122003222",
            "4222222222222",
        ] {
            assert_none(text, PiiKind::PaymentCard);
        }
    }

    #[test]
    fn published_test_card_list_is_meaningful() {
        // Every entry would be reported if it were not listed (or caught as synthetic).
        for card in PUBLISHED_TEST_CARDS {
            assert!(luhn_valid(card), "{}", String::from_utf8_lossy(card));
            assert!(
                card_issuer(card).is_some(),
                "{}",
                String::from_utf8_lossy(card)
            );
            assert!(!card_number_valid(card));
        }
    }

    #[test]
    fn synthetic_card_numbers_are_not_reported() {
        for card in [
            // Luhn-valid, right issuer, but a pattern nobody is issued.
            &b"4444444444444448"[..],
            b"5454545454545454",
            b"4000000000000002",
            b"4123456789012349",
            b"6011601160116011",
        ] {
            let mut probe = card[..card.len() - 1].to_vec();
            probe.push(luhn_check_digit(&probe));
            assert!(is_test_card(&probe), "{}", String::from_utf8_lossy(&probe));
            assert!(!card_number_valid(&probe));
        }
    }

    #[test]
    fn card_negatives() {
        for text in [
            // Luhn fails.
            "4539148803436468",
            "4539 1488 0343 6468",
            // Luhn passes but no issuer starts with 1, 7, 8, 9.
            "1234567812345670",
            "7992739871300004",
            // Part of a longer digit or letter run.
            "45391488034364670",
            "x4539148803436467",
            "4539148803436467abc",
            "id_4539148803436467",
            "sha=a4539148803436467f",
            // A decimal fraction or a dotted/dashed/timed sequence.
            "0.4539148803436467",
            "4539148803436467.5",
            "1-4539148803436467",
            "12:4539148803436467",
            // Grouping that is not a card's, or a separator mix.
            "45391 48803 43646 7",
            "4539 1488-0343 6467",
            "4539  1488 0343 6467",
            // One more group with the same separator: a longer number.
            "1234 4539 1488 0343 6467",
            "4539 1488 0343 6467 1234 5678",
            // Nanosecond timestamps and snowflake ids.
            "1704153845123456789",
            // Signed: not a card.
            "+4539148803436467",
            // Negative numbers.
            "mantissa -4539148803436467, base 2",
            // 17-19 digits without separators: a 64-bit integer more likely than a card.
            "6214830927456182030",
            "current_block = 4488286894823169796;",
        ] {
            assert_none(text, PiiKind::PaymentCard);
        }
    }

    #[test]
    fn cards_in_tables_of_big_integers_are_not_reported() {
        // Field-element limbs: one in ten such integers passes Luhn and an issuer prefix.
        let limbs =
            "from_limbs([\n    2251799813685247,\n    2241493124984347,\n    425987919032274,\n])";
        assert!(card_number_valid(b"2241493124984347"));
        assert_none(limbs, PiiKind::PaymentCard);
        assert_none(
            "check(5503284107318959, 446, 11270725851789228032)",
            PiiKind::PaymentCard,
        );
        // Other cards, test cards, dates, millisecond timestamps and phone numbers do not make
        // a table.
        for text in [
            "4539148803436467,5221763309812340,4111111111111111",
            "{\"pan\": \"4539148803436467\", \"created_ms\": 1704153845123, \"exp\": \"2027-12\"}",
            "name,card,phone\nJane,4539 1488 0343 6467,+44 20 7183 8750",
        ] {
            assert!(
                found_kind(text, PiiKind::PaymentCard).contains(&"4539148803436467")
                    || found_kind(text, PiiKind::PaymentCard).contains(&"4539 1488 0343 6467"),
                "{text}"
            );
        }
    }

    // --- IBANs -----------------------------------------------------------------------------

    #[test]
    fn iban_registry_table_is_consistent() {
        assert_eq!(IBAN_SPECS.len(), 89);
        assert!(
            IBAN_SPECS.windows(2).all(|w| w[0].country < w[1].country),
            "sorted, unique"
        );
        for spec in IBAN_SPECS {
            let mut total = 4;
            let mut count = 0;
            for c in spec.bban.bytes() {
                if c.is_ascii_digit() {
                    count = count * 10 + usize::from(c - b'0');
                } else {
                    assert!(matches!(c, b'n' | b'a' | b'c'));
                    total += count;
                    count = 0;
                }
            }
            assert_eq!(
                total,
                usize::from(spec.len),
                "{}",
                String::from_utf8_lossy(&spec.country)
            );
        }
        let len = |cc: &[u8]| iban_spec(cc).map(|s| s.len);
        assert_eq!(len(b"GB"), Some(22));
        assert_eq!(len(b"DE"), Some(22));
        assert_eq!(len(b"FR"), Some(27));
        assert_eq!(len(b"NO"), Some(15));
        assert_eq!(len(b"MT"), Some(31));
        assert_eq!(len(b"LC"), Some(32));
        assert_eq!(len(b"RU"), Some(33));
        assert_eq!(len(b"US"), None);
    }

    #[test]
    fn example_ibans_are_valid_but_excluded() {
        assert!(
            EXAMPLE_IBANS.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
        assert!(EXAMPLE_IBANS.len() > 90);
        for iban in EXAMPLE_IBANS {
            assert_eq!(
                iban_mod97(iban),
                Some(1),
                "{}",
                String::from_utf8_lossy(iban)
            );
            assert!(!iban_valid(iban));
        }
        assert_none("IBAN: GB82 WEST 1234 5698 7654 32", PiiKind::Iban);
        assert_none("DE89370400440532013000", PiiKind::Iban);
    }

    #[test]
    fn ibans_are_found() {
        assert!(iban_valid(b"GB48BARC20035399485827"));
        for (text, value) in [
            ("GB48BARC20035399485827", "GB48BARC20035399485827"),
            (
                "IBAN: GB48 BARC 2003 5399 4858 27.",
                "GB48 BARC 2003 5399 4858 27",
            ),
            (
                "iban=DE44500105175407324931&bic=X",
                "DE44500105175407324931",
            ),
            ("DE44 5001 0517 5407 3249 31", "DE44 5001 0517 5407 3249 31"),
            ("\"NL66RABO0318472953\"", "NL66RABO0318472953"),
            ("NO58 6011 0987 654", "NO58 6011 0987 654"),
            (
                "FR03 1751 2000 0877 4123 0PA8 219",
                "FR03 1751 2000 0877 4123 0PA8 219",
            ),
            ("IT61X0306909606100000012345", "IT61X0306909606100000012345"),
            (
                "LC39ABCD123456789012345678901234",
                "LC39ABCD123456789012345678901234",
            ),
        ] {
            assert_found(text, PiiKind::Iban, value);
        }
    }

    #[test]
    fn iban_negatives() {
        for text in [
            // Check digits wrong.
            "GB49BARC20035399485827",
            // One character changed.
            "GB48BARC20035399485828",
            // Length wrong for the country.
            "GB48BARC2003539948582",
            "GB48BARC200353994858271",
            // Unknown country, lower-case country code.
            "XX48BARC20035399485827",
            "gb48BARC20035399485827",
            // Structure wrong: Germany's BBAN is digits only.
            "DE44A00105175407324931",
            // Glued to a longer word, or groups of the wrong size.
            "XGB48BARC20035399485827",
            "GB48BARC20035399485827X",
            "GB48 BARC 2003 5399 4858 271",
            "GB48 BARC2003 5399 4858 27",
        ] {
            assert_none(text, PiiKind::Iban);
        }
        assert!(
            !iban_valid(b"GB48 BARC 2003 5399 4858 27"),
            "iban_valid takes the compact form"
        );
    }

    // --- SSNs ------------------------------------------------------------------------------

    #[test]
    fn ssn_rules() {
        assert!(ssn_valid(b"536228745"));
        for bad in [
            &b"000228745"[..],
            b"666228745",
            b"900228745",
            b"999228745",
            b"536008745",
            b"536220000",
            b"078051120",
            b"219099999",
            b"123456789",
            b"457555462",
            b"111223333",
            b"555555555",
            b"53622874",
            b"53622874x",
        ] {
            assert!(!ssn_valid(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn ssns_are_found() {
        assert_found("SSN 536-22-8745", PiiKind::UsSsn, "536-22-8745");
        assert_found("applicant: 536-22-8745.", PiiKind::UsSsn, "536-22-8745");
        assert_found("ssn=536228745", PiiKind::UsSsn, "536228745");
        assert_found(
            "Social Security Number: 536228745",
            PiiKind::UsSsn,
            "536228745",
        );
        assert_found("{\"userSsn\": \"536228745\"}", PiiKind::UsSsn, "536228745");
    }

    #[test]
    fn ssn_negatives() {
        for text in [
            "078-05-1120",
            "219-09-9999",
            "123-45-6789",
            "666-22-8745",
            "ssn : 111-22-3333",
            "912-22-8745",
            "536-00-8745",
            "536-22-0000",
            // Bare nine digits need the keyword before them, on the same line.
            "536228745",
            "id 536228745",
            "536228745 ssn",
            "ssn:\n536228745",
            "classname 536228745",
            // Spaces are not an SSN separator; longer dashed sequences are something else.
            "536 22 8745",
            "1-536-22-8745",
            "536-22-8745-1",
            "2024-536-22-8745",
        ] {
            assert_none(text, PiiKind::UsSsn);
        }
    }

    // --- NHS numbers -----------------------------------------------------------------------

    #[test]
    fn nhs_check_digit_rules() {
        assert!(nhs_check_digit_valid(b"4010232137"));
        assert!(
            nhs_check_digit_valid(b"9434765919"),
            "the data dictionary example"
        );
        assert!(!nhs_check_digit_valid(b"4010232138"));
        // 712308456: 11 - (sum % 11) is 10, so no check digit makes it valid.
        assert_eq!(with_nhs_check(b"712308456"), None);
        assert!(
            (0..10)
                .all(|d| !nhs_check_digit_valid(&[b"712308456".as_slice(), &[b'0' + d]].concat()))
        );
        assert!(nhs_valid(b"4010232137"));
        assert!(!nhs_valid(b"9434765919"), "9xx is test data");
        assert!(!nhs_valid(b"5555555555"));
        assert!(nhs_check_digit_valid(b"1111111111") && !nhs_valid(b"1111111111"));
        // Scottish CHI numbers start with a birth date; Northern Ireland's 32x-39x do not.
        for chi in [&b"1401555071"[..], b"0101901232"] {
            assert!(nhs_valid(chi), "{}", String::from_utf8_lossy(chi));
        }
        for no_date in [&b"0011555076"[..], b"1413555071", b"3113555078"] {
            assert!(
                nhs_check_digit_valid(no_date),
                "{}",
                String::from_utf8_lossy(no_date)
            );
            assert!(!nhs_valid(no_date), "{}", String::from_utf8_lossy(no_date));
        }
        assert!(
            nhs_valid(b"3201555088") && nhs_valid(b"3999123451"),
            "H&C numbers"
        );
    }

    #[test]
    fn nhs_numbers_are_found() {
        assert_found("401 023 2137", PiiKind::UkNhsNumber, "401 023 2137");
        assert_found(
            "patient 485 777 3457 admitted",
            PiiKind::UkNhsNumber,
            "485 777 3457",
        );
        assert_found("NHS number: 4010232137", PiiKind::UkNhsNumber, "4010232137");
        assert_found("4010232137 (nhs)", PiiKind::UkNhsNumber, "4010232137");
        assert_found("nhs_no,640-192-8379", PiiKind::UkNhsNumber, "640-192-8379");
        assert_found(
            "patientNhsNumber = 7381952041",
            PiiKind::UkNhsNumber,
            "7381952041",
        );
    }

    #[test]
    fn nhs_negatives() {
        for text in [
            // Ten bare digits are too common without `nhs` on the line.
            "4010232137",
            "order 4010232137",
            "nhs\n4010232137",
            // Dashed 3-3-4 is how US phone numbers look: needs `nhs` too.
            "640-192-8379",
            // Wrong check digit, test range, unissued range.
            "401 023 2138",
            "943 476 5919",
            "NHS 9434765919",
            "NHS 5123456786",
            // Longer sequences.
            "1 401 023 2137",
            "401 023 2137 5",
            "NHS 40102321370",
        ] {
            assert_none(text, PiiKind::UkNhsNumber);
        }
    }

    // --- phone numbers ---------------------------------------------------------------------

    #[test]
    fn calling_code_table_is_sorted() {
        assert!(CALLING_CODES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(calling_code(b"4420"), Some((44, 2, &[9u8, 10][..])));
        assert_eq!(calling_code(b"14155550"), Some((1, 1, &[7u8, 10][..])));
        assert_eq!(
            calling_code(b"35312345"),
            Some((353, 3, &[7u8, 8, 9, 10][..]))
        );
        assert_eq!(calling_code(b"80012345"), None);
    }

    #[test]
    fn number_plan_rules() {
        assert!(nanp_valid(b"4158675309"));
        assert!(!nanp_valid(b"4155550123"), "555-01xx is fictional");
        assert!(!nanp_valid(b"4155551212"), "555 is not personal");
        assert!(!nanp_valid(b"1158675309"), "area code starts with 2-9");
        assert!(!nanp_valid(b"4151675309"), "exchange starts with 2-9");
        assert!(!nanp_valid(b"4118675309"), "N11 is a service code");
        assert!(!nanp_valid(b"8008675309"), "toll free");
        assert!(!nanp_valid(b"415867530"));
        assert!(uk_nsn_valid(b"7911483620"));
        assert!(uk_nsn_valid(b"2071838750"));
        assert!(!uk_nsn_valid(b"7700900123"), "Ofcom drama mobile");
        assert!(!uk_nsn_valid(b"2079460123"), "Ofcom drama London");
        assert!(!uk_nsn_valid(b"1134960999"), "Ofcom drama Leeds");
        assert!(!uk_nsn_valid(b"1632960001"), "Ofcom drama, no area");
        assert!(!uk_nsn_valid(b"8081570123"), "freephone");
        assert!(phone_e164_valid(b"447911483620"));
        assert!(phone_e164_valid(b"4930901820"));
        assert!(phone_e164_valid(b"390612345678") || phone_e164_valid(b"390622334455"));
        assert!(!phone_e164_valid(b"4412345"), "too short");
        assert!(!phone_e164_valid(b"4479114836207890"), "too long");
        assert!(
            !phone_e164_valid(b"330612345678"),
            "France has 9-digit national numbers"
        );
    }

    #[test]
    fn phone_numbers_are_found() {
        for (text, value) in [
            ("call +44 7911 483620", "+44 7911 483620"),
            ("+447911483620", "+447911483620"),
            ("+44 (0)20 7183 8750", "+44 (0)20 7183 8750"),
            ("+44 20 7183 8750.", "+44 20 7183 8750"),
            ("tel:+1-415-867-5309", "+1-415-867-5309"),
            ("+1 (415) 867-5309", "+1 (415) 867-5309"),
            ("+1.415.867.5309", "+1.415.867.5309"),
            ("\"phone\": \"+1.4158675309\"", "+1.4158675309"),
            ("\"phone\": \"+14158675309\"", "+14158675309"),
            ("+49 30 901820", "+49 30 901820"),
            ("+49 (30) 901820", "+49 (30) 901820"),
            ("+33 6 71 89 42 10", "+33 6 71 89 42 10"),
            ("+353 87 193 4826", "+353 87 193 4826"),
            ("office: (415) 867-5309", "(415) 867-5309"),
            ("(415)867-5309", "(415)867-5309"),
            ("mobile 07911 483620", "07911 483620"),
            ("mobile 07911 483 620", "07911 483 620"),
            ("020 7183 8750", "020 7183 8750"),
            ("029 2087 4000", "029 2087 4000"),
        ] {
            assert_found(text, PiiKind::PhoneNumber, value);
        }
    }

    #[test]
    fn phone_negatives() {
        for text in [
            // Fictional and reserved ranges.
            "+1 415 555 0123",
            "(212) 555-0199",
            "+1-800-867-5309",
            "07700 900123",
            "+44 7700 900123",
            "020 7946 0123",
            "+44 20 7946 0999",
            "+44 113 496 0555",
            "+44 1632 960001",
            "028 9649 6123",
            // Placeholder digit runs.
            "+1 234 567 8900",
            "+44 7000 000000",
            "+12345678901",
            // Not phone numbers.
            "v1.2.3.4",
            "version 10.4.22.1",
            "192.168.100.200",
            "2024-01-02T03:04:05+01:00",
            "2024-01-02 03:04:05",
            "550e8400-e29b-41d4-a716-446655440000",
            "12345678-1234-1234-1234-123456789012",
            "0x4158675309",
            "deadbeef 07911483620 cafe",
            "1+4158675309",
            "a+4915112345678",
            "x = y +4915112345678901234",
            "+0 20 7183 8750",
            "1e+10",
            // Signed decimals.
            "Decimal('+35236450.6')",
            "z +6073641856.9",
            "+447911483620.25",
            // National forms other than the two supported ones.
            "415-867-5309",
            "415.867.5309",
            "07911483620",
            "0207 183 8750",
            // Longer digit runs around national forms.
            "(415) 867-53091",
            "1 07911 483620 7",
        ] {
            assert_none(text, PiiKind::PhoneNumber);
        }
    }

    // --- e-mail ----------------------------------------------------------------------------

    #[test]
    fn emails_are_found() {
        for (text, value) in [
            ("jane.smith@gmail.com", "jane.smith@gmail.com"),
            (
                "Author: Jane Smith <jane.smith@protonmail.com>",
                "jane.smith@protonmail.com",
            ),
            ("contact dave+tag@yahoo.co.uk.", "dave+tag@yahoo.co.uk"),
            ("mailto:bob.jones@fastmail.fm", "bob.jones@fastmail.fm"),
            ("Email:carol_w@outlook.com", "carol_w@outlook.com"),
            (
                "--author=alice.w@company-mail.de",
                "alice.w@company-mail.de",
            ),
            ("o'brien@acme-widgets.ie", "o'brien@acme-widgets.ie"),
            ("'kim.lee@hotmail.com'", "kim.lee@hotmail.com"),
            ("`ana@posteo.de`", "ana@posteo.de"),
            (
                "https://example.org/invite?email=maria.g@gmail.com",
                "maria.g@gmail.com",
            ),
            ("12345678@qq.com", "12345678@qq.com"),
            (
                "/signup?utm_source=newsletter-2024-spring-campaign&utm_medium=email&utm_content=hero&ref=jane.w@gmx.de",
                "jane.w@gmx.de",
            ),
            ("PETER.PAN@GMAIL.COM", "PETER.PAN@GMAIL.COM"),
        ] {
            assert_found(text, PiiKind::Email, value);
        }
    }

    #[test]
    fn reserved_and_placeholder_emails_are_not_reported() {
        for text in [
            "jane@example.com",
            "jane@mail.example.org",
            "jane@example.net",
            "jane@example.co.uk",
            "jane@acme.example",
            "jane@server.test",
            "jane@foo.invalid",
            "jane@host.localhost",
            "jane@localhost",
            "jane@printer.local",
            "jane@build.internal",
            "user@domain.com",
            "foo@bar.com",
            "name@company.com",
            "email@email.com",
            "user@gmail.com",
            "john.doe@gmail.com",
            "someone@yourdomain.com",
            "noreply@github.com",
            "no-reply@accounts.google.com",
            "do-not-reply@bank.co.uk",
            "12345+octocat@users.noreply.github.com",
            "mailer-daemon@googlemail.com",
            "security@bytecodealliance.org",
            "team@tokio.rs",
            "x@x.com",
            "your@email.com",
            "name.surname@email.com",
            "openssl-dev@openssl.org",
            "tz-announce@iana.org",
            "rustls-mod@googlegroups.com",
            "debian-devel@lists.debian.org",
            "chacha20-poly1305@openssh.com",
            "xxxxxxxxxx@dot.ca.gov",
            "bbb@zzz.org",
            "exampleUser2@site.awsapps.com",
            "python-list@python.org",
            "email-sig@python.org",
            "15090.61304.110929.45684@aaa.zzz.org",
            "<4FD05F05-F98B-44DC-8111-C6009C925F0C@gmail.com>",
            "5ce86123a7b9dad925ac583d88d2f921040e859b.1538583282.git.puwen@hygon.cn",
            "Link: https://lore.kernel.org/r/20200505095915.11275-7-mszeredi@redhat.com",
        ] {
            assert_none(text, PiiKind::Email);
        }
    }

    #[test]
    fn exclusions_are_what_rejects_reserved_and_placeholder_addresses() {
        // Each is well formed; only the exclusion lists keep it out.
        for (local, domain) in [
            ("jane", "example.com"),
            ("jane", "mail.example.org"),
            ("jane", "example.co.uk"),
            ("jane", "build.internal"),
            ("jane", "printer.local"),
            ("jane", "server.test"),
            ("jane", "mail.domain.com"),
            ("jane", "foo.com"),
            ("user", "gmail.com"),
            ("John.Doe", "gmail.com"),
            ("noreply", "github.com"),
            ("no_reply.alerts", "bank.co.uk"),
            ("12345+octocat", "users.noreply.github.com"),
            ("git", "gitlab.com"),
        ] {
            assert!(
                email_is_excluded(local.as_bytes(), domain.as_bytes()),
                "{local}@{domain}"
            );
        }
        // The same local parts at ordinary domains are reported.
        for text in [
            "jane@gmail.com",
            "jane@build.acme-corp.com",
            "jane@mail.domains.com",
        ] {
            assert_found(text, PiiKind::Email, text);
        }
    }

    #[test]
    fn fictional_phone_ranges_end_where_they_end() {
        for (fictional, real) in [
            ("+1 415 555 0123", "+1 415 556 0123"),
            ("(212) 555-0199", "(212) 556-0199"),
            ("07700 900123", "07700 901123"),
            ("+44 7700 900999", "+44 7700 901000"),
            ("020 7946 0123", "020 7946 1123"),
            ("+44 113 496 0555", "+44 113 496 1555"),
            ("+44 29 2018 0999", "+44 29 2018 1999"),
        ] {
            assert_none(fictional, PiiKind::PhoneNumber);
            assert_found(real, PiiKind::PhoneNumber, real);
        }
    }

    #[test]
    fn things_that_only_look_like_emails_are_not_reported() {
        for text in [
            // SSH remotes and URL credentials.
            "git@github.com:palisade/palisade.git",
            "deploy@build.acme-corp.com:/srv/app",
            "ssh://deploy@gitlab.acme-corp.com/group/repo.git",
            "postgres://admin:s3cret@db.acme-corp.com:5432/app",
            "https://jane@bitbucket.org/team/repo",
            "proxy=user:hunter2@proxy.acme-corp.com:8080",
            // Packages, decorators, image digests, image scale suffixes.
            "\"@types/node\": \"^20\"",
            "npm i @babel/core@7.24.0",
            "lodash@4.17.21",
            "    @app.route('/users')",
            "alpine@sha256:9b2e0c9e8f2b",
            "icon@2x.png",
            "logo@1.5x.webp",
            // Templates.
            "${USER}@gmail.com",
            "{{ user }}@gmail.com",
            "%s@gmail.com",
            "%(name)s@gmail.com",
            // Not a known top-level domain: code.
            "weights@x.shape",
            "a@b.transpose",
            // Malformed.
            "jane..smith@gmail.com",
            "jane.@gmail.com",
            "jane@gmail",
            "jane@-gmail.com",
            "jane@gmail.c0m",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@gmail.com",
        ] {
            assert_none(text, PiiKind::Email);
        }
    }

    #[test]
    fn domain_lists_are_sorted() {
        assert!(EMAIL_TLDS.windows(2).all(|w| w[0] < w[1]));
        for tld in [
            "com", "net", "org", "edu", "gov", "io", "uk", "de", "fr", "jp", "cn", "in",
        ] {
            assert!(EMAIL_TLDS.binary_search(&tld).is_ok(), "{tld}");
        }
        assert!(
            EMAIL_TLDS
                .iter()
                .all(|t| t.bytes().all(|b| b.is_ascii_lowercase()))
        );
        assert!(!EMAIL_TLDS.iter().any(|t| RESERVED_TLDS.contains(t)));
    }

    // --- mixed negatives -------------------------------------------------------------------

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

    #[test]
    fn keyword_window_is_bounded() {
        let far = format!("ssn{}536228745", " ".repeat(KEYWORD_WINDOW + 10));
        assert_none(&far, PiiKind::UsSsn);
        let near = format!("ssn{}536228745", " ".repeat(KEYWORD_WINDOW - 10));
        assert_found(&near, PiiKind::UsSsn, "536228745");
    }

    #[test]
    fn digit_finder_agrees_with_a_scalar_scan() {
        let text: Vec<u8> = (0u8..=255).chain(b"abc/:9".iter().copied()).collect();
        for from in 0..=text.len() {
            let expected = text[from..]
                .iter()
                .position(u8::is_ascii_digit)
                .map(|p| p + from);
            assert_eq!(find_digit(&text, from), expected, "from {from}");
        }
        for b in 0u8..=255 {
            let word = u64::from_le_bytes([b'a', b'b', b, b'c', b'd', b'e', b'f', b'g']);
            assert_eq!(word_has_digit(word), b.is_ascii_digit(), "byte {b}");
        }
    }

    // --- properties ------------------------------------------------------------------------

    fn printable() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(0x20u8..0x7f, 0..40)
    }

    /// Valid card numbers: a random prefix from [`IIN_RANGES`], a random body and the Luhn
    /// digit, minus the few that look synthetic.
    fn card_number() -> impl Strategy<Value = Vec<u8>> {
        (
            0..IIN_RANGES.len(),
            any::<u32>(),
            any::<Index>(),
            proptest::collection::vec(0u8..10, 19),
        )
            .prop_map(|(r, pick, len_pick, body)| {
                let range = &IIN_RANGES[r];
                let prefix = range.lo + pick % (range.hi - range.lo + 1);
                let len = range.lengths[len_pick.index(range.lengths.len())];
                let mut digits = format!("{prefix:0width$}", width = range.prefix_len).into_bytes();
                while digits.len() < len - 1 {
                    digits.push(b'0' + body[digits.len()]);
                }
                digits.push(luhn_check_digit(&digits));
                digits
            })
            .prop_filter("looks synthetic", |d| card_number_valid(d))
    }

    /// Plain, or grouped by spaces or dashes; 17-19 digits are only reported grouped.
    fn format_card(digits: &[u8], style: u8) -> Vec<u8> {
        match (style, card_shape(digits.len())) {
            (0, _) if digits.len() <= 16 => digits.to_vec(),
            (0 | 1, Some(shape)) => grouped(digits, shape, b' '),
            (_, Some(shape)) => grouped(digits, shape, b'-'),
            (_, None) => digits.to_vec(),
        }
    }

    /// Valid IBANs of every registry country: a random BBAN of the country's structure and
    /// computed check digits.
    fn iban() -> impl Strategy<Value = Vec<u8>> {
        (
            0..IBAN_SPECS.len(),
            proptest::collection::vec(any::<u8>(), 30),
        )
            .prop_map(|(i, noise)| {
                let spec = &IBAN_SPECS[i];
                let mut bban = Vec::new();
                let mut count = 0;
                for c in spec.bban.bytes() {
                    if c.is_ascii_digit() {
                        count = count * 10 + usize::from(c - b'0');
                        continue;
                    }
                    for _ in 0..count {
                        let r = noise[bban.len()];
                        bban.push(match c {
                            b'n' => b'0' + r % 10,
                            b'a' => b'A' + r % 26,
                            _ => b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[usize::from(r % 36)],
                        });
                    }
                    count = 0;
                }
                with_iban_check(&spec.country, &bban)
            })
            .prop_filter("a published example", |iban| iban_valid(iban))
    }

    fn format_iban(iban: &[u8], spaced: bool) -> Vec<u8> {
        if !spaced {
            return iban.to_vec();
        }
        iban.chunks(4).collect::<Vec<_>>().join(&b' ')
    }

    /// Valid NHS numbers from every issued range: England, Wales and the Isle of Man (4, 6,
    /// 7), Northern Ireland (320-399) and Scotland (CHI, starting with a birth date).
    fn nhs_number() -> impl Strategy<Value = Vec<u8>> {
        (
            0u8..3,
            1u8..=28,
            1u8..=12,
            proptest::collection::vec(0u8..10, 9),
        )
            .prop_filter_map(
                "no check digit, or made up",
                |(region, day, month, random)| {
                    let mut nine: Vec<u8> = random.iter().map(|d| b'0' + d).collect();
                    match region {
                        // England, Wales, Isle of Man.
                        0 => nine[0] = b"467"[usize::from(random[0] % 3)],
                        // Northern Ireland: 320-399.
                        1 => nine[..2].copy_from_slice(&[b'3', b'2' + random[1] % 8]),
                        // Scotland: a birth date, DDMMYY.
                        _ => nine[..4].copy_from_slice(format!("{day:02}{month:02}").as_bytes()),
                    }
                    with_nhs_check(&nine).filter(|d| nhs_valid(d))
                },
            )
    }

    /// `(context before, formatted number)`: spaced needs no keyword, bare and dashed do.
    fn format_nhs(digits: &[u8], style: u8) -> (Vec<u8>, Vec<u8>) {
        match style {
            0 => (Vec::new(), grouped(digits, &[3, 3, 4], b' ')),
            1 => (b"NHS number: ".to_vec(), digits.to_vec()),
            _ => (b"nhs_no=".to_vec(), grouped(digits, &[3, 3, 4], b'-')),
        }
    }

    /// Changes the character at `index` to another one of the same class.
    fn mutate(value: &mut [u8], index: usize, delta: u8) {
        let b = value[index];
        value[index] = if b.is_ascii_digit() {
            b'0' + (b - b'0' + 1 + delta % 9) % 10
        } else {
            b'A' + (b - b'A' + 1 + delta % 25) % 26
        };
    }

    fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
        const ALPHABET: &[u8] = b"0123456789012345678945 +-.()@:/_\n\0\xff\xc3aAeEgGxXbBnNhHsS.com";
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..1024),
            proptest::collection::vec(select(ALPHABET.to_vec()), 0..1024),
        ]
    }

    proptest! {
        #[test]
        fn generated_cards_are_found_with_their_exact_range(
            card in card_number(), style in 0u8..3, pre in printable(), post in printable(),
        ) {
            let (hay, start, end) = embed(&pre, &format_card(&card, style), &post);
            let found = PiiDetector::new().find(&hay);
            prop_assert!(
                found.contains(&PiiMatch::new(PiiKind::PaymentCard, start, end)),
                "{:?}: {:?}", String::from_utf8_lossy(&hay), found
            );
        }

        #[test]
        fn a_changed_card_digit_is_not_reported(
            card in card_number(), index in any::<Index>(), delta in any::<u8>(), style in 0u8..3,
            pre in printable(), post in printable(),
        ) {
            let mut bad = card.clone();
            let at = index.index(bad.len());
            mutate(&mut bad, at, delta);
            prop_assert!(!luhn_valid(&bad));
            let (hay, _, _) = embed(&pre, &format_card(&bad, style), &post);
            let found = PiiDetector::new().find(&hay);
            prop_assert!(found.iter().all(|m| m.kind != PiiKind::PaymentCard), "{:?}", found);
        }

        #[test]
        fn generated_ibans_are_found_with_their_exact_range(
            iban in iban(), spaced in any::<bool>(), pre in printable(), post in printable(),
        ) {
            let (hay, start, end) = embed(&pre, &format_iban(&iban, spaced), &post);
            let found = PiiDetector::new().find(&hay);
            prop_assert!(
                found.contains(&PiiMatch::new(PiiKind::Iban, start, end)),
                "{:?}: {:?}", String::from_utf8_lossy(&hay), found
            );
        }

        #[test]
        fn a_changed_iban_character_is_not_reported(
            iban in iban(), index in any::<Index>(), delta in any::<u8>(), spaced in any::<bool>(),
            pre in printable(), post in printable(),
        ) {
            let mut bad = iban.clone();
            let at = 2 + index.index(bad.len() - 2);
            mutate(&mut bad, at, delta);
            prop_assert!(!iban_valid(&bad));
            let (hay, _, _) = embed(&pre, &format_iban(&bad, spaced), &post);
            let found = PiiDetector::new().find(&hay);
            prop_assert!(found.iter().all(|m| m.kind != PiiKind::Iban), "{:?}", found);
        }

        #[test]
        fn generated_nhs_numbers_are_found_with_their_exact_range(
            nhs in nhs_number(), style in 0u8..3, pre in printable(), post in printable(),
        ) {
            let (context, value) = format_nhs(&nhs, style);
            let (hay, start, end) = embed(&pre, &[context.as_slice(), &value].concat(), &post);
            let start = start + context.len();
            let found = PiiDetector::new().find(&hay);
            prop_assert!(
                found.contains(&PiiMatch::new(PiiKind::UkNhsNumber, start, end)),
                "{:?}: {:?}", String::from_utf8_lossy(&hay), found
            );
        }

        #[test]
        fn a_changed_nhs_digit_is_not_reported(
            nhs in nhs_number(), index in any::<Index>(), delta in any::<u8>(), style in 0u8..3,
            pre in printable(), post in printable(),
        ) {
            let mut bad = nhs.clone();
            let at = index.index(bad.len());
            mutate(&mut bad, at, delta);
            prop_assert!(!nhs_check_digit_valid(&bad));
            let (context, value) = format_nhs(&bad, style);
            let (hay, _, _) = embed(&pre, &[context.as_slice(), &value].concat(), &post);
            let found = PiiDetector::new().find(&hay);
            prop_assert!(found.iter().all(|m| m.kind != PiiKind::UkNhsNumber), "{:?}", found);
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

        #[test]
        fn find_digit_agrees_with_a_scalar_scan(bytes in interesting_bytes(), from in any::<Index>()) {
            let from = from.index(bytes.len() + 1);
            let expected = bytes[from..].iter().position(u8::is_ascii_digit).map(|p| p + from);
            prop_assert_eq!(find_digit(&bytes, from), expected);
        }
    }

    // --- throughput ------------------------------------------------------------------------

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
}
