//! Digit runs: every numeric detector (cards, SSNs, NHS numbers, IBANs, national phone
//! numbers) is tried where a run of digits of a plausible length starts, plain or written
//! in groups.

use super::bytes::{
    Digits, byte_at, byte_before, clean_left, clean_right, digit_at, digit_run_end, find_digit,
};
use super::card::{card_context_ok, card_number_valid};
use super::context::{field_named, names_card, nhs_keyword_near, ssn_keyword_before};
use super::iban::iban_at;
use super::nhs::nhs_valid;
use super::phone::{national_phone_at, uk_national_phone_valid, us_national_phone_at};
use super::ssn::ssn_valid;
use super::{PiiKind, PiiMatch};

pub(super) fn scan_digit_runs(h: &[u8], out: &mut Vec<PiiMatch>) {
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
        Some(b'(') => {
            let us = if len == 3 {
                us_national_phone_at(h, start - 1)
            } else {
                None
            };
            if let Some(phone_end) = us.or_else(|| national_phone_at(h, start - 1)) {
                out.push(PiiMatch::new(PiiKind::PhoneNumber, start - 1, phone_end));
            }
        }
        // International numbers are read from their `+`; other signed numbers are not PII.
        Some(b'+') => return,
        _ => {
            if len <= 13
                && let Some(phone_end) = national_phone_at(h, start)
            {
                out.push(PiiMatch::new(PiiKind::PhoneNumber, start, phone_end));
            }
        }
    }
    if !matches!(len, 3..=5 | 9 | 10 | 13..=19) || !clean_left(h, start) {
        return;
    }
    let digits = &h[start..end];
    if clean_right(h, end) {
        let kind = match len {
            // Written without separators, 17-19 digits are far more often 64-bit integers.
            13..=16 if card_number_valid(digits) && card_context_ok(h, start, end, false) => {
                Some(PiiKind::PaymentCard)
            }
            // ... unless their own field is named a card (`"card_number": "4…"`).
            17..=19
                if card_number_valid(digits)
                    && byte_before(h, start) != Some(b'-')
                    && field_named(h, start, names_card) =>
            {
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
            // Card groupings: 4-4-4-4 (and 17-19 digit extensions), Amex 4-6-5, Diners 4-6-4,
            // and 13-15 digits in fours, as forms and receipts group every card.
            (_, [4, 4, 4, 4] | [4, 4, 4, 4, 1..=3] | [4, 6, 5] | [4, 6, 4] | [4, 4, 4, 1..=3]) => {
                PiiKind::PaymentCard
            }
            (b'-', [3, 2, 4]) => PiiKind::UsSsn,
            (_, [3, 3, 4]) => PiiKind::UkNhsNumber,
            (b' ', [5, 6] | [5, 3, 3] | [3, 4, 4]) => PiiKind::PhoneNumber,
            _ => return None,
        };
        let digits = self.digits(h)?;
        let digits = digits.as_slice();
        let valid = match shape_kind {
            PiiKind::PaymentCard => {
                card_number_valid(digits) && card_context_ok(h, self.groups[0].0, self.end(), true)
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
