//! Byte helpers the detectors share: where a value starts and ends, where digits are
//! (eight bytes at a time), and the runs people type instead of a real number.

pub(super) fn byte_at(h: &[u8], i: usize) -> Option<u8> {
    h.get(i).copied()
}

pub(super) fn byte_before(h: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|j| byte_at(h, j))
}

pub(super) fn digit_at(h: &[u8], i: usize) -> bool {
    h.get(i).is_some_and(u8::is_ascii_digit)
}

pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub(super) fn all_digits(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_digit)
}

pub(super) fn digit_run_end(h: &[u8], mut i: usize) -> usize {
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
pub(super) fn clean_left(h: &[u8], start: usize) -> bool {
    match byte_before(h, start) {
        None => true,
        Some(b) if is_word_byte(b) => false,
        Some(b) if GLUE.contains(&b) => !start.checked_sub(2).is_some_and(|j| digit_at(h, j)),
        Some(_) => true,
    }
}

/// The mirror of [`clean_left`] for the byte at `end`.
pub(super) fn clean_right(h: &[u8], end: usize) -> bool {
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
pub(super) fn find_digit(h: &[u8], from: usize) -> Option<usize> {
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
pub(super) struct Digits {
    buf: [u8; 32],
    pub(super) len: usize,
}

impl Digits {
    pub(super) fn new() -> Self {
        Digits {
            buf: [0; 32],
            len: 0,
        }
    }

    /// Appends `digits`; false (and nothing appended) when they do not fit.
    pub(super) fn extend(&mut self, digits: &[u8]) -> bool {
        let Some(dst) = self.buf.get_mut(self.len..self.len + digits.len()) else {
            return false;
        };
        dst.copy_from_slice(digits);
        self.len += digits.len();
        true
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Patterns people type instead of a real number: six or more equal digits in a row
/// (`000000`), or six or more consecutive ascending or descending digits (`123456`, `987654`).
/// A real number contains either with a probability of about 10⁻⁴.
pub(super) fn looks_made_up(digits: &[u8]) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::testing::interesting_bytes;
    use proptest::prelude::*;
    use proptest::sample::Index;

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

    proptest! {
        #[test]
        fn find_digit_agrees_with_a_scalar_scan(bytes in interesting_bytes(), from in any::<Index>()) {
            let from = from.index(bytes.len() + 1);
            let expected = bytes[from..].iter().position(u8::is_ascii_digit).map(|p| p + from);
            prop_assert_eq!(find_digit(&bytes, from), expected);
        }
    }
}
