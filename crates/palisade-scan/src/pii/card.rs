//! Payment card numbers: issuer prefixes and lengths, the Luhn check, and the published
//! test numbers that are not reported.

use super::bytes::{all_digits, byte_before, digit_run_end, find_digit, looks_made_up};
use super::context::card_keyword_near;

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
/// one entry of a table of big integers ([`among_long_numbers`]). A number written in
/// groups (`4539 1488 0343 6467`) or named a card on its line (`"card_number": …`) is no
/// table's entry: big integers are neither grouped nor called cards.
pub(super) fn card_context_ok(h: &[u8], start: usize, end: usize, grouped: bool) -> bool {
    byte_before(h, start) != Some(b'-')
        && (grouped || card_keyword_near(h, start, end) || !among_long_numbers(h, start, end))
}

/// How far around a card candidate [`among_long_numbers`] looks.
const NUMBER_TABLE_WINDOW: usize = 256;

/// True when another number of 14 or more digits that does not even look like a card (Luhn
/// and issuer prefix) lies within [`NUMBER_TABLE_WINDOW`] bytes of `start..end`. The candidate
/// is then one entry of a table of big integers (constants, field-element limbs, test
/// vectors) that passes the checks by chance, as one in ten such integers does. Shorter
/// numbers (dates, millisecond timestamps, phone numbers) do not count, nor do digits glued
/// to a letter: they are part of another value, not an integer of a table (an IBAN's
/// `DE89370400440532013000`, `GB82WEST12345698765432`, a reference like `ORD20240101123456`).
/// Numbers are read whole, also where the window's edges cut them.
fn among_long_numbers(h: &[u8], start: usize, end: usize) -> bool {
    let window_end = end.saturating_add(NUMBER_TABLE_WINDOW).min(h.len());
    let mut i = start.saturating_sub(NUMBER_TABLE_WINDOW);
    while i > 0 && h[i - 1].is_ascii_digit() {
        i -= 1;
    }
    while let Some(s) = find_digit(&h[..window_end], i) {
        let e = digit_run_end(h, s);
        let other = &h[s..e];
        let card_like = luhn_valid(other) && card_issuer(other).is_some();
        let glued = byte_before(h, s).is_some_and(|b| b.is_ascii_alphabetic())
            || h.get(e).is_some_and(|b| b.is_ascii_alphabetic());
        if (e <= start || s >= end) && other.len() >= 14 && !card_like && !glued {
            return true;
        }
        i = e;
    }
    false
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::pii::testing::{
        assert_found, assert_none, embed, found_kind, grouped, mutate, printable,
    };
    use crate::pii::{PiiDetector, PiiKind, PiiMatch};
    use proptest::prelude::*;
    use proptest::sample::Index;

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

    /// Valid card numbers: a random prefix from [`IIN_RANGES`], a random body and the Luhn
    /// digit, minus the few that look synthetic.
    pub(in crate::pii) fn card_number() -> impl Strategy<Value = Vec<u8>> {
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
    pub(in crate::pii) fn format_card(digits: &[u8], style: u8) -> Vec<u8> {
        match (style, card_shape(digits.len())) {
            (0, _) if digits.len() <= 16 => digits.to_vec(),
            (0 | 1, Some(shape)) => grouped(digits, shape, b' '),
            (_, Some(shape)) => grouped(digits, shape, b'-'),
            (_, None) => digits.to_vec(),
        }
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
    }
}
