//! US social security numbers: the issued ranges and the famous published ones.

use super::bytes::{all_digits, looks_made_up};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::PiiKind;
    use crate::pii::testing::{assert_found, assert_none};

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
}
