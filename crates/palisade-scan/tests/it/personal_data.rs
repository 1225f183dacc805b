//! Personal data in fixtures as seed scripts and data generators write it: phone numbers in
//! each country's national form under a field named for a phone, and cards of every brand
//! and length. Every value is made up at test time from the real formats (random digits,
//! valid check digits), so the tests hold for the class and not for a list of examples.

use palisade_scan::pii::{PiiDetector, PiiKind};
use proptest::prelude::*;
use proptest::sample::select;

/// The text of every match of `kind` in `text`.
fn found(text: &str, kind: PiiKind) -> Vec<&str> {
    PiiDetector::new()
        .find(text.as_bytes())
        .into_iter()
        .filter(|m| m.kind == kind)
        .map(|m| &text[m.start..m.end])
        .collect()
}

/// `value` as the field `field` of one customer record, in one of the layouts fixtures
/// use: 0 JSON, 1 YAML, 2 SQL `INSERT`, 3 CSV (the field named only in the header), 4 a
/// multi-row SQL `INSERT` (the field named only in the column list, lines above).
fn record(layout: u8, field: &str, value: &str) -> String {
    match layout {
        0 => {
            format!("[\n  {{\"id\": 8234, \"name\": \"Jane Roe\", \"{field}\": \"{value}\"}}\n]\n")
        }
        1 => format!("- id: 8234\n  name: Jane Roe\n  {field}: \"{value}\"\n"),
        2 => format!(
            "INSERT INTO customers (id, name, {field}) VALUES (8234, 'Roe, Jane', '{value}');\n"
        ),
        3 => format!("id,name,{field}\n8234,\"Roe, Jane\",{value}\n"),
        _ => format!(
            "INSERT INTO customers (id, name, {field}) VALUES\n  (8233, 'Doe, John', NULL),\n  \
             (8234, 'Roe, Jane', '{value}');\n"
        ),
    }
}

/// Six or more equal digits, or six consecutive ascending or descending ones: the runs the
/// detectors take for typed-in placeholders.
fn made_up(digits: &[u8]) -> bool {
    let run = |step: i8| {
        digits.windows(6).any(|w| {
            w.windows(2)
                .all(|p| i16::from(p[1]) - i16::from(p[0]) == i16::from(step))
        })
    };
    run(0) || run(1) || run(-1)
}

/// `template` with each `#` replaced by a random digit, `N` by 2–9, `A` by 2–7 and `M` by
/// 0–8 (the NANP's area code and exchange rules).
fn fill(template: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), template.len()).prop_map(move |random| {
        template
            .bytes()
            .zip(random)
            .map(|(t, r)| match t {
                b'#' => char::from(b'0' + r % 10),
                b'N' => char::from(b'2' + r % 8),
                b'A' => char::from(b'2' + r % 6),
                b'M' => char::from(b'0' + r % 9),
                other => char::from(other),
            })
            .collect()
    })
}

/// National forms of the US (with and without extensions and the `001`/`1` prefixes),
/// Germany, France, Italy, the Netherlands, India and Brazil. `(NNN)NNN-NNNN` is left
/// out: the US form with an area code in parentheses is reported without a field name.
const NATIONAL_FORMATS: &[&str] = &[
    "AM#-N##-####",
    "AM#.N##.####",
    "AM#-N##-####x####",
    "AM#.N##.####x###",
    "AM#-N##-#### ext. ##",
    "001-AM#-N##-####",
    "001-AM#-N##-####x#####",
    "1-AM#-N##-####",
    "0N#########",
    "0N########",
    "0N### N####",
    "0N## ######",
    "0N/#######",
    "0N ## ## ## ##",
    "3##########",
    "3#########",
    "0N#########",
    "(0N#)-#######",
    "0N#-#######",
    "(0N##) ######",
    "0N##-######",
    "N#########",
    "0N########",
    "(0N#) #### ####",
    "(0N#) 9#### ####",
];

/// The digits of a national number, without its extension.
fn national_digits(value: &str) -> Vec<u8> {
    let main = value
        .split(['x', 'e'])
        .next()
        .expect("split yields one part at least");
    main.bytes().filter(u8::is_ascii_digit).collect()
}

/// A national number the detector must take for one: not a made-up run, and in the NANP
/// forms no `N11` service code or `555` exchange.
fn national_number() -> impl Strategy<Value = String> {
    select(NATIONAL_FORMATS).prop_flat_map(fill).prop_filter(
        "a made-up or reserved number",
        |value| {
            let digits = national_digits(value);
            let nanp = match digits.as_slice() {
                [b'0', b'0', b'1', rest @ ..] | [b'1', rest @ ..] if rest.len() == 10 => Some(rest),
                d if d.len() == 10 && d[0] != b'0' => Some(d),
                _ => None,
            };
            let reserved =
                nanp.is_some_and(|d| &d[1..3] == b"11" || &d[4..6] == b"11" || &d[3..6] == b"555");
            !made_up(&digits) && !reserved
        },
    )
}

/// Field names that say phone, in the languages of the formats above.
const PHONE_FIELDS: &[&str] = &[
    "phone",
    "phone_number",
    "homePhone",
    "mobile_phone",
    "tel",
    "telephone",
    "mobile",
    "cell",
    "fax",
    "contact_number",
    "telefon",
    "telefone",
    "celular",
    "telefoon",
    "Téléphone",
];

/// Field names of numbers that are no phone numbers.
const OTHER_FIELDS: &[&str] = &[
    "order_ref",
    "account_id",
    "reference",
    "serial",
    "invoice",
    "hotel_id",
    "cellar",
];

proptest! {
    #[test]
    fn phone_numbers_in_national_formats_are_found_where_the_field_says_phone(
        number in national_number(),
        field in select(PHONE_FIELDS),
        layout in 0u8..5,
    ) {
        let text = record(layout, field, &number);
        let phones = found(&text, PiiKind::PhoneNumber);
        prop_assert_eq!(phones, vec![number.as_str()], "{}", text);
    }

    #[test]
    fn national_phone_shapes_stay_silent_where_the_field_says_something_else(
        number in national_number(),
        field in select(OTHER_FIELDS),
        layout in 0u8..5,
    ) {
        let text = record(layout, field, &number);
        prop_assert!(found(&text, PiiKind::PhoneNumber).is_empty(), "{}", text);
        let prose = format!("the batch {number} was shipped\n");
        prop_assert!(found(&prose, PiiKind::PhoneNumber).is_empty(), "{}", prose);
    }

    #[test]
    fn international_numbers_with_trunks_and_extensions_are_found(
        number in select(&[
            "+1-AM#-N##-####x####",
            "+1 AM# N## #### ext. ##",
            "+49 (0) 0N## ######",
            "+49 (0)N## #######",
            "+55 (0N#) #### ####",
            "+55 (0N#) 9#### ####",
            "+33 (0)N ## ## ## ##",
            "+31(0)N## ######",
        ][..]).prop_flat_map(fill)
            .prop_filter("a made-up or reserved number", |value| {
                let digits = national_digits(value);
                let reserved = value.starts_with("+1")
                    && (&digits[2..4] == b"11" || &digits[5..7] == b"11" || &digits[4..7] == b"555");
                !made_up(&digits[2..]) && !reserved
            }),
        layout in 0u8..5,
    ) {
        let text = record(layout, "contact", &number);
        let phones = found(&text, PiiKind::PhoneNumber);
        prop_assert_eq!(phones, vec![number.as_str()], "{}", text);
    }
}

#[test]
fn placeholder_and_fictional_numbers_stay_silent_in_phone_fields() {
    for value in [
        "0123456789",
        "0000000000",
        "212-555-0142",
        "(212) 555-0199",
        "+1-415-555-0123x12",
        "07700 900123",
        "020 7946 0123",
        "2024-01-02",
        "02/01/2024",
        "192.168.10.200",
        "1.2.3",
        "42",
    ] {
        for layout in 0..5 {
            let text = record(layout, "phone", value);
            assert!(
                found(&text, PiiKind::PhoneNumber).is_empty(),
                "{text}: {:?}",
                found(&text, PiiKind::PhoneNumber)
            );
        }
    }
}

/// Issuer prefixes (first digits, lowest and highest) and the lengths of their numbers.
const BRANDS: &[(&str, u32, u32, &[usize])] = &[
    ("Visa", 4, 4, &[13, 16, 19]),
    ("Mastercard", 51, 55, &[16]),
    ("Mastercard 2-series", 2221, 2720, &[16]),
    ("American Express", 34, 34, &[15]),
    ("American Express", 37, 37, &[15]),
    ("Discover", 6011, 6011, &[16, 19]),
    ("Discover", 65, 65, &[16]),
    ("JCB", 3528, 3589, &[16, 19]),
    ("Diners Club", 300, 305, &[14, 16]),
    ("Diners Club", 36, 36, &[14]),
    ("Diners Club", 38, 39, &[14, 16]),
    ("UnionPay", 62, 62, &[16, 19]),
    ("Maestro", 6759, 6759, &[13, 16, 19]),
];

/// `partial` completed with its Luhn check digit.
fn with_luhn_digit(mut partial: Vec<u8>) -> Vec<u8> {
    let sum: u32 = partial
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                if d > 4 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    partial.push(b'0' + u8::try_from((10 - sum % 10) % 10).expect("a digit"));
    partial
}

/// A card of a random brand and length from `prefixes`: the prefix, random digits, the
/// Luhn digit; never a made-up run.
fn card_from(
    prefixes: &'static [(&'static str, u32, u32, &'static [usize])],
) -> impl Strategy<Value = Vec<u8>> {
    (
        select(prefixes),
        any::<u32>(),
        any::<prop::sample::Index>(),
        proptest::collection::vec(0u8..10, 19),
    )
        .prop_map(|((_, lo, hi, lengths), pick, len, body)| {
            let prefix = (lo + pick % (hi - lo + 1)).to_string().into_bytes();
            let len = lengths[len.index(lengths.len())];
            let mut digits = prefix;
            while digits.len() < len - 1 {
                digits.push(b'0' + body[digits.len()]);
            }
            with_luhn_digit(digits)
        })
        .prop_filter("a made-up run", |d| !made_up(d))
}

/// `digits` as written: 0 plain, 1 in fours with spaces, 2 in fours with dashes, 3 the
/// brand's own grouping (Amex 4-6-5, Diners 4-6-4) where it has one.
fn written(digits: &[u8], style: u8) -> String {
    let text = String::from_utf8(digits.to_vec()).expect("ASCII digits");
    let fours = |sep: &str| {
        text.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("ASCII"))
            .collect::<Vec<_>>()
            .join(sep)
    };
    match (style, digits.len()) {
        (0, _) => text,
        (1, _) => fours(" "),
        (2, _) => fours("-"),
        (_, 14 | 15) => format!("{} {} {}", &text[..4], &text[4..10], &text[10..]),
        _ => fours(" "),
    }
}

proptest! {
    #[test]
    fn cards_of_every_brand_and_length_are_found(
        card in card_from(BRANDS),
        style in 0u8..4,
        field in select(&["card_number", "credit_card", "cc_number", "pan", "card"][..]),
        layout in 0u8..5,
    ) {
        let value = written(&card, style);
        let text = record(layout, field, &value);
        let cards = found(&text, PiiKind::PaymentCard);
        prop_assert_eq!(cards, vec![value.as_str()], "{}", text);
    }

    #[test]
    fn cards_failing_the_luhn_check_stay_silent(
        card in card_from(BRANDS),
        delta in 1u8..10,
        style in 0u8..4,
        layout in 0u8..5,
    ) {
        let mut bad = card;
        let last = bad.len() - 1;
        bad[last] = b'0' + (bad[last] - b'0' + delta) % 10;
        let text = record(layout, "card_number", &written(&bad, style));
        prop_assert!(found(&text, PiiKind::PaymentCard).is_empty(), "{}", text);
    }

    #[test]
    fn long_integers_that_pass_as_cards_stay_silent_where_the_field_says_something_else(
        card in card_from(&[("Visa", 4, 4, &[17, 18, 19]), ("UnionPay", 62, 62, &[17, 18, 19])]),
        field in select(OTHER_FIELDS),
        layout in 0u8..5,
    ) {
        let value = String::from_utf8(card).expect("ASCII digits");
        let text = record(layout, field, &value);
        prop_assert!(found(&text, PiiKind::PaymentCard).is_empty(), "{}", text);
    }

    #[test]
    fn order_ids_stay_silent(
        id in select(&["ORD-####-######", "INV#########", "REF-##########", "################"][..])
            .prop_flat_map(fill),
        field in select(&["order_ref", "order_id", "invoice"][..]),
        layout in 0u8..5,
    ) {
        let text = record(layout, field, &id);
        let all = PiiDetector::new().find(text.as_bytes());
        let card_like = id.len() == 16; // a bare 16-digit id may be a valid card by chance
        prop_assert!(
            all.iter().all(|m| m.kind == PiiKind::PaymentCard && card_like),
            "{}: {:?}", text, all
        );
    }

    /// JCB's range is 3528–3589; numbers starting 3500–3527 or 3590–3599 pass the Luhn
    /// check as often as any but no scheme issues them.
    #[test]
    fn numbers_with_a_prefix_no_issuer_uses_are_not_cards(
        card in card_from(&[("none", 3500, 3527, &[16]), ("none", 3590, 3599, &[16])]),
        style in 0u8..3,
        layout in 0u8..5,
    ) {
        let text = record(layout, "card_number", &written(&card, style));
        prop_assert!(found(&text, PiiKind::PaymentCard).is_empty(), "{}", text);
    }
}
