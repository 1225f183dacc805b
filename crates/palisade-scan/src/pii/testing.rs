//! What the detectors' tests share: matches as text, assertions, and the pieces the
//! property tests build values from.

use proptest::prelude::*;
use proptest::sample::select;

use super::{PiiDetector, PiiKind};

/// Every match as (kind, matched text).
pub(super) fn found(text: &str) -> Vec<(PiiKind, &str)> {
    PiiDetector::new()
        .find(text.as_bytes())
        .iter()
        .map(|m| (m.kind, &text[m.start..m.end]))
        .collect()
}

/// The text of every match of `kind`.
pub(super) fn found_kind(text: &str, kind: PiiKind) -> Vec<&str> {
    found(text)
        .into_iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, t)| t)
        .collect()
}

pub(super) fn assert_found(text: &str, kind: PiiKind, value: &str) {
    let all = found(text);
    assert!(
        all.contains(&(kind, value)),
        "expected {kind:?} {value:?} in {text:?}, got {all:?}"
    );
}

pub(super) fn assert_none(text: &str, kind: PiiKind) {
    let hits = found_kind(text, kind);
    assert!(
        hits.is_empty(),
        "expected no {kind:?} in {text:?}, got {hits:?}"
    );
}

pub(super) fn assert_nothing(text: &str) {
    let all = found(text);
    assert!(all.is_empty(), "expected nothing in {text:?}, got {all:?}");
}

/// `digits` in groups of `shape`, joined by `sep`.
pub(super) fn grouped(digits: &[u8], shape: &[usize], sep: u8) -> Vec<u8> {
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

/// `pre`, `. `, `value`, ` .`, `post`, and where `value` landed. The `. ` and ` .`
/// guards keep arbitrary printable text from touching the value.
pub(super) fn embed(pre: &[u8], value: &[u8], post: &[u8]) -> (Vec<u8>, usize, usize) {
    let mut hay = pre.to_vec();
    hay.extend_from_slice(b". ");
    let start = hay.len();
    hay.extend_from_slice(value);
    let end = hay.len();
    hay.extend_from_slice(b" .");
    hay.extend_from_slice(post);
    (hay, start, end)
}

pub(super) fn printable() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0x20u8..0x7f, 0..40)
}

/// Changes the character at `index` to another one of the same class.
pub(super) fn mutate(value: &mut [u8], index: usize, delta: u8) {
    let b = value[index];
    value[index] = if b.is_ascii_digit() {
        b'0' + (b - b'0' + 1 + delta % 9) % 10
    } else {
        b'A' + (b - b'A' + 1 + delta % 25) % 26
    };
}

pub(super) fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
    const ALPHABET: &[u8] = b"0123456789012345678945 +-.()@:/_\n\0\xff\xc3aAeEgGxXbBnNhHsS.com";
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1024),
        proptest::collection::vec(select(ALPHABET.to_vec()), 0..1024),
    ]
}
