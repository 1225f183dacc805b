//! Context keywords: the words that must stand on a number's line before a bare SSN or
//! NHS number counts, and that name a card number among big integers.

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
const CARD_KEYWORDS: &[&[u8]] = &[b"card", b"credit", b"debit", b"pan", b"ccnum", b"cc_num"];

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
pub(super) fn ssn_keyword_before(h: &[u8], start: usize) -> bool {
    mentions_keyword(
        line_window(h, start, start, KEYWORD_WINDOW, 0),
        SSN_KEYWORDS,
    )
}

/// `nhs` on the same line, before or after the number.
pub(super) fn nhs_keyword_near(h: &[u8], start: usize, end: usize) -> bool {
    mentions_keyword(
        line_window(h, start, end, KEYWORD_WINDOW, KEYWORD_WINDOW),
        NHS_KEYWORDS,
    )
}

/// A card named on the same line, before or after the number: `card`, `credit`, `debit`,
/// `pan`, `ccnum` (`"card_number": …`, `creditCard = …`, `PAN: …`).
pub(super) fn card_keyword_near(h: &[u8], start: usize, end: usize) -> bool {
    mentions_keyword(
        line_window(h, start, end, KEYWORD_WINDOW, KEYWORD_WINDOW),
        CARD_KEYWORDS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::PiiKind;
    use crate::pii::testing::{assert_found, assert_none};

    #[test]
    fn keyword_window_is_bounded() {
        let far = format!("ssn{}536228745", " ".repeat(KEYWORD_WINDOW + 10));
        assert_none(&far, PiiKind::UsSsn);
        let near = format!("ssn{}536228745", " ".repeat(KEYWORD_WINDOW - 10));
        assert_found(&near, PiiKind::UsSsn, "536228745");
    }
}
