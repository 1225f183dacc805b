//! Phone numbers: international ones read from their `+` (E.164 calling codes and number
//! lengths), the US and UK national forms, any national form in a field named for a phone
//! (`"phone": "07456 71008"`, a CSV `phone` column), minus the fictional ranges.

use super::bytes::{
    Digits, all_digits, byte_at, byte_before, clean_left, clean_right, digit_at, digit_run_end,
    is_word_byte, looks_made_up,
};
use super::context::{field_named, names_phone};

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
        && !uk_drama(nsn)
        && !looks_made_up(nsn)
}

/// True for a 10-digit UK national significant number in one of Ofcom's drama ranges.
fn uk_drama(nsn: &[u8]) -> bool {
    nsn.len() == 10 && UK_DRAMA_PREFIXES.iter().any(|p| nsn.starts_with(p))
}

/// A UK number in national form, grouped as `07xxx xxxxxx`, `07xxx xxx xxx` (mobiles:
/// 071–075, 077–079 and the Isle of Man's 07624) or `02x xxxx xxxx` (London, Southampton,
/// Coventry, Northern Ireland, Cardiff).
pub(super) fn uk_national_phone_valid(digits: &[u8], groups: &[usize]) -> bool {
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
pub(super) fn us_national_phone_at(h: &[u8], open: usize) -> Option<usize> {
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
pub(super) fn international_phone_at(h: &[u8], plus: usize) -> Option<usize> {
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
    // After a trunk `(0)`, a `0` starting the next group is the trunk written twice
    // (`+49 (0) 030 901820`).
    let mut after_trunk = false;
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
        let skip = usize::from(after_trunk && byte_at(h, pos) == Some(b'0'));
        after_trunk = false;
        if !digits.extend(h.get(pos + skip..group_end)?) || digits.len > MAX_DIGITS {
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
                // `(0)` is the trunk prefix, and so is the `0` of `(061)`: neither is dialled
                // from abroad.
                let area = h.get(inner..close)?;
                after_trunk = area == b"0";
                let area = area.strip_prefix(b"0").unwrap_or(area);
                if !digits.extend(area) || digits.len > MAX_DIGITS {
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
    let end = extension_end(h, pos).unwrap_or(pos);
    (clean_right(h, end) && phone_e164_valid(digits.as_slice())).then_some(end)
}

/// The end of an extension written right after a number ending at `end`: `x1234`,
/// ` x 12`, ` ext. 12`, `#12` (one to six digits).
fn extension_end(h: &[u8], end: usize) -> Option<usize> {
    let mut pos = end + usize::from(byte_at(h, end) == Some(b' '));
    let rest = h.get(pos..)?;
    let mark = if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"ext") {
        3
    } else if matches!(rest.first(), Some(b'x' | b'X' | b'#')) {
        1
    } else {
        return None;
    };
    pos += mark;
    if mark == 3 && byte_at(h, pos) == Some(b'.') {
        pos += 1;
    }
    if byte_at(h, pos) == Some(b' ') {
        pos += 1;
    }
    let digits_end = digit_run_end(h, pos);
    (1..=6).contains(&(digits_end - pos)).then_some(digits_end)
}

/// How many digit groups a national number may have.
const MAX_NATIONAL_GROUPS: usize = 6;

/// A phone number in a national form whose field is named for a phone ([`names_phone`]:
/// `"phone": "…"`, `tel: …`, a CSV or SQL `phone` column), starting at `start` (its first
/// digit, or the `(` of an area code). Returns its end.
///
/// The form: an optional area code in parentheses (`(098)-4863851`, `(0802) 120657`), then
/// digit groups joined by one kind of single separator (space, `-`, `.`, `/`), then an
/// optional extension (`x1234`, ` ext. 12`); 7 to 13 digits without the extension, 9 or
/// more when written without separators. Dates,
/// IPv4 addresses, made-up runs and the fictional ranges are not numbers
/// ([`national_digits_valid`]). Without the field's name nothing is reported: a bare digit
/// run is an id far more often than a phone number.
pub(super) fn national_phone_at(h: &[u8], start: usize) -> Option<usize> {
    let paren = byte_at(h, start) == Some(b'(');
    // Most digit runs are short and stand alone: no number starts there. Written without
    // separators, a national number has nine digits or more (an area code and a local number).
    let first_end = digit_run_end(h, start + usize::from(paren));
    if !paren
        && first_end - start < 9
        && !(matches!(byte_at(h, first_end), Some(b' ' | b'-' | b'.' | b'/'))
            && digit_at(h, first_end + 1))
    {
        return None;
    }
    if paren {
        if byte_before(h, start).is_some_and(is_word_byte) {
            return None;
        }
    } else if !clean_left(h, start) {
        return None;
    }
    // Not the rest of a number begun before: `867-5309` of `(415) 867-5309`, `71008` of
    // `07456 71008`.
    let before = match byte_before(h, start) {
        Some(b' ' | b'-' | b'.') => start.checked_sub(2).and_then(|i| byte_at(h, i)),
        other => other,
    };
    if before.is_some_and(|b| b.is_ascii_digit() || b == b')') {
        return None;
    }
    if follows_plus(h, start) {
        return None; // read from its `+`
    }
    let mut digits = Digits::new();
    let mut groups = [0usize; MAX_NATIONAL_GROUPS];
    let mut count = 0;
    let mut pos = start;
    if paren {
        let close = digit_run_end(h, start + 1);
        if !(2..=5).contains(&(close - start - 1)) || byte_at(h, close) != Some(b')') {
            return None;
        }
        digits.extend(&h[start + 1..close]);
        groups[0] = close - start - 1;
        count = 1;
        pos = close + 1;
        if matches!(byte_at(h, pos), Some(b' ' | b'-' | b'.')) {
            pos += 1;
        }
        if !digit_at(h, pos) {
            return None;
        }
    }
    let mut sep = None;
    loop {
        let group_end = digit_run_end(h, pos);
        if count == MAX_NATIONAL_GROUPS || !digits.extend(&h[pos..group_end]) {
            return None;
        }
        groups[count] = group_end - pos;
        count += 1;
        pos = group_end;
        match byte_at(h, pos) {
            Some(s @ (b' ' | b'-' | b'.' | b'/'))
                if digit_at(h, pos + 1) && sep.is_none_or(|sep| sep == s) =>
            {
                sep = Some(s);
                pos += 1;
            }
            _ => break,
        }
    }
    let end = extension_end(h, pos).unwrap_or(pos);
    let shape = NationalShape {
        groups: &groups[..count],
        paren,
        sep,
    };
    (clean_right(h, end)
        && national_digits_valid(digits.as_slice(), &shape)
        && field_named(h, start, names_phone))
    .then_some(end)
}

/// True when `start` is inside a number that began with `+` a few bytes before
/// (`+49 (0) 0837 486435`).
fn follows_plus(h: &[u8], start: usize) -> bool {
    let lo = start.saturating_sub(8);
    h[lo..start]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b' ' | b'(' | b')' | b'-' | b'.' | b'+'))
        .any(|&b| b == b'+')
}

/// How a national number is written.
struct NationalShape<'a> {
    /// Digits per group, the parenthesised area code first.
    groups: &'a [usize],
    /// Whether the first group is in parentheses.
    paren: bool,
    /// The separator between the groups after the parentheses.
    sep: Option<u8>,
}

/// The digits of a national number that can belong to a person: 7 to 13 of them, not a
/// made-up run, not a date (`2024-01-02`, `02/01/2024`) or an IPv4 address; after an
/// international prefix `00` an E.164 number ([`phone_e164_valid`]); written the North
/// American way (`NNN-NNN-NNNN`, `(NNN) NNN-NNNN`, `1-NNN-NNN-NNNN`) a valid NANP number
/// ([`nanp_valid`]), and bare ten digits not in the NANP's fictional `555` exchange; eleven
/// digits after a trunk `0` outside Ofcom's drama ranges.
fn national_digits_valid(digits: &[u8], shape: &NationalShape) -> bool {
    if !(7..=13).contains(&digits.len()) || looks_made_up(digits) {
        return false;
    }
    let dated = matches!(shape.sep, Some(b'-' | b'/' | b'.'))
        && !shape.paren
        && matches!(shape.groups, [4, 2, 2] | [2, 2, 4] | [1 | 2, 1 | 2, 4]);
    let ipv4 = shape.sep == Some(b'.')
        && !shape.paren
        && shape.groups.len() == 4
        && shape.groups.iter().all(|&g| g <= 3);
    if dated || ipv4 {
        return false;
    }
    if let Some(rest) = digits.strip_prefix(b"00") {
        return phone_e164_valid(rest);
    }
    let north_american = digits[0] != b'0'
        && matches!(
            (shape.paren, shape.groups),
            (_, [3, 3, 4]) | (false, [1, 3, 3, 4]) | (true, [3, 7])
        );
    match digits.len() {
        10 if north_american => nanp_valid(digits),
        11 if north_american && digits[0] == b'1' => nanp_valid(&digits[1..]),
        10 if digits[0] != b'0' && shape.groups.len() == 1 => &digits[3..6] != b"555",
        11 if digits[0] == b'0' => !uk_drama(&digits[1..]),
        _ => !north_american,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::PiiKind;
    use crate::pii::testing::{assert_found, assert_none};

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
}
