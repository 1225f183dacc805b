//! UK NHS numbers (and the Scottish CHI and Northern Irish H&C numbers that share their
//! format): the mod-11 check digit and the issued ranges.

use super::bytes::{all_digits, looks_made_up};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::testing::{assert_found, assert_none, embed, grouped, mutate, printable};
    use crate::pii::{PiiDetector, PiiKind, PiiMatch};
    use proptest::prelude::*;
    use proptest::sample::Index;

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

    proptest! {
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
    }
}
