//! Which bytes can follow a keyword inside a match of a rule's pattern, so that an
//! occurrence of the keyword followed by any other byte is dropped before the rule's regex
//! runs around it.
//!
//! `keyboard` holds `key`, but no match of `api_key = "…"`'s pattern holds `key` followed
//! by `b`. Every match holds one of its rule's keywords (the window analysis checks that
//! before a rule runs around them), and so a first one: the keyword occurrence that ends
//! first in it. Only occurrences that could be a match's first keyword are kept. The byte
//! after such an occurrence is either in the match, and so in the set worked out here, or
//! the match ends with the keyword, and then the keyword gets no set at all. (A match's
//! reach is bounded around any keyword it holds, so around its first one too.)
//!
//! The set comes from the pattern's position automaton (Glushkov's construction), which
//! has one state per byte or class of the pattern and no ε-moves. It is widened wherever
//! that is simpler and still sound: look-around assertions are ignored, a bounded
//! repetition repeats without bound, and a Unicode class takes any leading byte of a
//! character other than ASCII followed by any number of continuation bytes. Each state,
//! paired with the state of an Aho–Corasick automaton over the keywords (the
//! `aho-corasick` crate's, ASCII letters of either case alike), is explored from the
//! start; where a keyword has just been read, the
//! pattern's next states tell what may come next.

use std::collections::{HashMap, HashSet};

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

/// A set of bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, byte: u8) {
        self.0[usize::from(byte / 64)] |= 1 << (byte % 64);
    }

    fn insert_range(&mut self, from: u8, to: u8) {
        for byte in from..=to {
            self.insert(byte);
        }
    }

    fn union(&mut self, other: &ByteSet) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine |= theirs;
        }
    }

    /// Whether the set holds `byte`.
    pub(super) fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte / 64)] >> (byte % 64) & 1 == 1
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&b| self.contains(b))
    }
}

/// Most states of a position automaton worked on; a larger pattern gets no sets.
const MAX_POSITIONS: usize = 4096;
/// Most moves between states (a nest of repetitions of many optional parts links every
/// last state of each to every first); a pattern with more gets no sets.
const MAX_EDGES: usize = 1 << 21;
/// Most (state, keyword-automaton state) pairs the exploration may meet, and most bytes
/// of keywords, so that a user's rule with very many keywords cannot make its tables
/// large.
const MAX_TABLE: usize = 1 << 20;
const MAX_KEYWORD_BYTES: usize = 1 << 12;
/// Most steps of the exploration (pairs of states taken); a larger one gets no sets, so
/// that a pattern of a user's rule cannot make a scan wait on it.
const MAX_STEPS: usize = 1 << 22;

/// For each of `keywords` (lowercase), the bytes that can follow it where it is the first
/// keyword a match of `pattern` ([`super::window::parse`]) holds, or `None` when that is
/// any byte: a match may end with it, or the pattern is too large to work out. All `None`
/// when the pattern does not parse.
pub(super) fn follow(pattern: &str, keywords: &[Vec<u8>]) -> Vec<Option<ByteSet>> {
    super::window::parse(pattern)
        .as_ref()
        .and_then(Positions::of)
        .and_then(|automaton| automaton.after(keywords))
        .unwrap_or_else(|| vec![None; keywords.len()])
}

/// A pattern's position automaton: from the start, the `first` states; from state `p`,
/// its `next` states; a match may end at a `last` state (or at the start, if `empty`).
#[derive(Debug, Default)]
struct Positions {
    /// The bytes each state reads.
    bytes: Vec<ByteSet>,
    next: Vec<Vec<usize>>,
    /// Moves made so far, against [`MAX_EDGES`].
    edges: usize,
    first: Vec<usize>,
    last: Vec<bool>,
}

/// A part of the pattern as the construction sees it.
struct Part {
    first: Vec<usize>,
    last: Vec<usize>,
    empty: bool,
}

impl Part {
    /// A part that matches only the empty string.
    fn empty() -> Part {
        Part {
            first: Vec::new(),
            last: Vec::new(),
            empty: true,
        }
    }

    /// A part of one state.
    fn one(state: usize) -> Part {
        Part {
            first: vec![state],
            last: vec![state],
            empty: false,
        }
    }
}

impl Positions {
    fn of(hir: &Hir) -> Option<Positions> {
        let mut automaton = Positions::default();
        let whole = automaton.build(hir)?;
        automaton.first = whole.first;
        automaton.last = vec![false; automaton.bytes.len()];
        for p in whole.last {
            automaton.last[p] = true;
        }
        for next in &mut automaton.next {
            next.sort_unstable();
            next.dedup();
        }
        Some(automaton)
    }

    fn state(&mut self, bytes: ByteSet) -> Option<usize> {
        if self.bytes.len() >= MAX_POSITIONS {
            return None;
        }
        self.bytes.push(bytes);
        self.next.push(Vec::new());
        Some(self.bytes.len() - 1)
    }

    fn link(&mut self, from: &[usize], to: &[usize]) -> Option<()> {
        self.edges = self
            .edges
            .saturating_add(from.len().saturating_mul(to.len()));
        if self.edges > MAX_EDGES {
            return None;
        }
        for &p in from {
            self.next[p].extend_from_slice(to);
        }
        Some(())
    }

    fn build(&mut self, hir: &Hir) -> Option<Part> {
        Some(match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Part::empty(),
            HirKind::Literal(literal) => {
                let mut ends = None;
                for &byte in literal.0.iter() {
                    let mut set = ByteSet::default();
                    set.insert(byte);
                    let state = self.state(set)?;
                    ends = match ends {
                        None => Some((state, state)),
                        Some((first, before)) => {
                            self.link(&[before], &[state])?;
                            Some((first, state))
                        }
                    };
                }
                match ends {
                    Some((first, last)) => Part {
                        first: vec![first],
                        last: vec![last],
                        empty: false,
                    },
                    None => Part::empty(),
                }
            }
            HirKind::Class(class) => {
                let mut set = ByteSet::default();
                let mut wide = false;
                match class {
                    Class::Bytes(class) => {
                        for range in class.ranges() {
                            set.insert_range(range.start(), range.end());
                        }
                    }
                    Class::Unicode(class) => {
                        for range in class.ranges() {
                            let (start, end) = (u32::from(range.start()), u32::from(range.end()));
                            if start < 0x80 {
                                set.insert_range(start as u8, end.min(0x7f) as u8);
                            }
                            if end >= 0x80 {
                                wide = true;
                            }
                        }
                    }
                }
                if !wide {
                    return Some(Part::one(self.state(set)?));
                }
                // A character other than ASCII: any leading byte, then any number of
                // continuation bytes.
                set.insert_range(0xc0, 0xff);
                let lead = self.state(set)?;
                let mut continuation = ByteSet::default();
                continuation.insert_range(0x80, 0xbf);
                let continuation = self.state(continuation)?;
                self.link(&[lead, continuation], &[continuation])?;
                Part {
                    first: vec![lead],
                    last: vec![lead, continuation],
                    empty: false,
                }
            }
            HirKind::Capture(capture) => self.build(&capture.sub)?,
            HirKind::Repetition(repetition) => {
                if repetition.max == Some(0) {
                    return Some(Part::empty());
                }
                let sub = self.build(&repetition.sub)?;
                if repetition.max != Some(1) {
                    self.link(&sub.last, &sub.first)?;
                }
                Part {
                    empty: sub.empty || repetition.min == 0,
                    ..sub
                }
            }
            HirKind::Concat(parts) => {
                let mut whole = Part::empty();
                for part in parts {
                    let part = self.build(part)?;
                    self.link(&whole.last, &part.first)?;
                    if whole.empty {
                        whole.first.extend_from_slice(&part.first);
                    }
                    if part.empty {
                        whole.last.extend_from_slice(&part.last);
                    } else {
                        whole.last = part.last;
                    }
                    whole.empty &= part.empty;
                }
                whole
            }
            HirKind::Alternation(parts) => {
                let mut whole = Part {
                    empty: false,
                    ..Part::empty()
                };
                for part in parts {
                    let part = self.build(part)?;
                    whole.first.extend_from_slice(&part.first);
                    whole.last.extend_from_slice(&part.last);
                    whole.empty |= part.empty;
                }
                whole
            }
        })
    }

    /// The bytes that can follow each keyword where it is the first keyword a match
    /// holds (`None` for any byte), or `None` when the work is over a budget.
    fn after(&self, keywords: &[Vec<u8>]) -> Option<Vec<Option<ByteSet>>> {
        let bytes: usize = keywords.iter().map(Vec::len).sum();
        if keywords.iter().any(Vec::is_empty)
            || bytes > MAX_KEYWORD_BYTES
            // An automaton over the keywords has at most one state per byte of them,
            // besides its start.
            || (self.bytes.len() + 1).saturating_mul(bytes + 1) > MAX_TABLE
        {
            return None;
        }
        // Which keywords the bytes read so far end with, either case of an ASCII letter
        // alike; overlapping (standard) semantics, so that a state knows every keyword
        // that ends there.
        let words = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(keywords)
            .ok()?;
        let mut after: Vec<Option<ByteSet>> = vec![Some(ByteSet::default()); keywords.len()];
        // (position, keyword state): the position is `start` before any byte is read.
        let start = self.bytes.len();
        let from = words.start_state(Anchored::No).ok()?;
        // The keyword states each position's bytes can lead to from each keyword state,
        // and the pairs already met, each worked out once.
        let mut leads: HashMap<(usize, StateID), Vec<StateID>> = HashMap::new();
        let mut seen: HashSet<(usize, StateID)> = HashSet::from([(start, from)]);
        let mut work = vec![(start, from)];
        // What the states after each state read, worked out once per state.
        let mut next_bytes: Vec<Option<ByteSet>> = vec![None; start];
        let mut steps = 0usize;
        while let Some((state, word)) = work.pop() {
            let next = if state == start {
                &self.first
            } else {
                &self.next[state]
            };
            for &q in next {
                let targets = leads.entry((q, word)).or_insert_with(|| {
                    // A pass over the 256 bytes.
                    steps += 64;
                    let mut targets: Vec<StateID> = self.bytes[q]
                        .bytes()
                        .map(|b| words.next_state(Anchored::No, word, b))
                        .collect();
                    targets.sort_unstable();
                    targets.dedup();
                    targets
                });
                steps += 1 + targets.len();
                if steps > MAX_STEPS {
                    return None;
                }
                for &to in targets.iter() {
                    if words.is_match(to) {
                        // The match's first keywords end at `q`: what may come next. Later
                        // ones need no set, as these are kept whenever the match is.
                        let following = *next_bytes[q].get_or_insert_with(|| {
                            steps += self.next[q].len();
                            let mut union = ByteSet::default();
                            for &r in &self.next[q] {
                                union.union(&self.bytes[r]);
                            }
                            union
                        });
                        for i in 0..words.match_len(to) {
                            steps += 1;
                            let k = words.match_pattern(to, i).as_usize();
                            if self.last[q] {
                                after[k] = None;
                            } else if let Some(set) = &mut after[k] {
                                set.union(&following);
                            }
                        }
                        continue;
                    }
                    if seen.insert((q, to)) {
                        work.push((q, to));
                    }
                }
            }
        }
        Some(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(bytes: &[u8]) -> ByteSet {
        let mut set = ByteSet::default();
        for &b in bytes {
            set.insert(b);
        }
        set
    }

    /// The set of one keyword alone.
    fn one(pattern: &str, keyword: &str) -> Option<ByteSet> {
        follow(pattern, &[keyword.as_bytes().to_vec()])[0]
    }

    #[test]
    fn what_follows_a_keyword_is_what_the_pattern_puts_after_it() {
        assert_eq!(one(r"key[ \t]*=", "key"), Some(set(b" \t=")));
        // Either case, and an optional part read past.
        assert_eq!(
            one(r#"(?i)api_?key["']?[ \t]*[:=]"#, "key"),
            Some(set(b"\"' \t:="))
        );
        // A keyword that ends a match may be followed by anything.
        assert_eq!(one(r"[a-z]+_key", "key"), None);
        assert_eq!(one(r"token(?:_id)?", "token"), None);
    }

    #[test]
    fn a_keyword_inside_a_repeated_class_may_be_followed_by_the_class() {
        // `keyboard_token=` holds `key` followed by `b`.
        let after = one(r"[a-z_]*(?:key|token)=", "key").expect("a set");
        assert!(after.contains(b'b') && after.contains(b'=') && !after.contains(b' '));
        // A keyword spelled across parts of the pattern.
        assert_eq!(one(r"ke(?:y|ys)[ ]?:", "key"), Some(set(b"s :")));
    }

    #[test]
    fn only_a_match_s_first_keyword_counts() {
        // `aaab` with `aa` as the keyword: its first occurrence is followed by `a` (the
        // second, by `b`, overlaps it).
        assert_eq!(one(r"aaab", "aa"), Some(set(b"a")));
        // A value may hold the keyword anywhere, or end with it; the name before it
        // always holds it first.
        assert_eq!(one(r"api_key[ ]*=[ ]*[a-z0-9]*", "key"), Some(set(b" =")));
        // Where the first may be in the value, the value's bytes count.
        assert_eq!(one(r"(?:api_)?[a-z]*=[a-z]*", "key"), None);
        // With two keywords, a match whose name holds the other one first puts no
        // constraint on where this one comes later.
        let pattern = r"(?:credentials?|[a-z]_?key)[ ]*=[ ]*[a-z0-9]*";
        assert_eq!(one(pattern, "key"), None);
        let both = follow(pattern, &[b"key".to_vec(), b"credential".to_vec()]);
        assert_eq!(both, vec![Some(set(b" =")), Some(set(b"s ="))]);
    }

    #[test]
    fn a_pattern_too_large_to_work_out_gets_no_sets() {
        let long = format!("{}key=", "a".repeat(MAX_POSITIONS));
        assert_eq!(one(&long, "key"), None);
        // Many keywords across a pattern with many states: within the step budget or
        // not, the answer is a set that holds what follows, or none.
        let words: Vec<String> = (0..200).map(|i| format!("w{i:03}")).collect();
        let pattern = format!("(?:{})[a-z0-9]{{0,300}}=", words.join("|"));
        let keywords: Vec<Vec<u8>> = words.iter().map(|w| w.clone().into_bytes()).collect();
        for set in follow(&pattern, &keywords).into_iter().flatten() {
            assert!(set.contains(b'=') && set.contains(b'a'));
        }
        assert_eq!(one("(", "key"), None, "a pattern that does not parse");
        // Nested repetitions of many optional parts: too many moves between states.
        let nested = format!(
            "key{}{}{}=",
            "(?:".repeat(30),
            "a?".repeat(400),
            ")*".repeat(30)
        );
        assert_eq!(one(&nested, "key"), None);
        // Keywords too many to build their automaton for.
        let many: Vec<Vec<u8>> = (0..2000).map(|i| format!("k{i:04}").into_bytes()).collect();
        assert!(follow("k0001=", &many).iter().all(Option::is_none));
    }

    #[test]
    fn characters_other_than_ascii_widen_the_set_but_stay_sound() {
        // With Unicode on, (?i)k also matches the Kelvin sign, three bytes.
        let after = one(r"(?i)key\w", "key").expect("a set");
        assert!(after.contains(b'a') && after.contains(0xe2) && !after.contains(b' '));
        assert!(
            !after.contains(0x84),
            "a continuation byte cannot start a character"
        );
    }

    /// A small pattern over the bytes `a`, `b`, `=` and `y`.
    fn pattern() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("a".to_owned()),
            Just("b".to_owned()),
            Just("=".to_owned()),
            Just("y".to_owned()),
            Just("[ab]".to_owned()),
            Just("[=y]".to_owned()),
            Just(r"\b".to_owned()),
        ];
        leaf.prop_recursive(4, 16, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(|parts| parts.concat()),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(?:{a}|{b})")),
                (inner, 0..5usize).prop_map(|(a, op)| {
                    let op = ["?", "*", "+", "{0,2}", "{2}"][op];
                    format!("(?:{a}){op}")
                }),
            ]
        })
    }

    proptest::proptest! {
        /// In every string up to six bytes long that the pattern matches whole, the byte
        /// after the first keyword to end is in that keyword's set, and a keyword that ends
        /// the string has none.
        #[test]
        fn the_byte_after_a_match_s_first_keyword_is_in_its_set(
            pattern in pattern(),
            keywords in proptest::collection::vec("[ab=y]{1,3}", 1..3),
        ) {
            let keywords: Vec<Vec<u8>> = keywords.into_iter().map(String::into_bytes).collect();
            let sets = follow(&pattern, &keywords);
            let whole = regex::bytes::Regex::new(&format!("^(?:{pattern})$")).expect("compiles");
            let mut strings: Vec<Vec<u8>> = vec![Vec::new()];
            let mut all = Vec::new();
            for _ in 0..6 {
                strings = strings
                    .iter()
                    .flat_map(|s| b"ab=y".iter().map(move |&c| [s.as_slice(), &[c]].concat()))
                    .collect();
                all.extend(strings.iter().cloned());
            }
            for text in all.iter().filter(|t| whole.is_match(t)) {
                // Where the first keyword ends, and which keywords end there.
                let Some(end) = (1..=text.len())
                    .find(|&e| keywords.iter().any(|k| text[..e].ends_with(k)))
                else {
                    continue;
                };
                for (k, keyword) in keywords.iter().enumerate() {
                    if !text[..end].ends_with(keyword) {
                        continue;
                    }
                    match (text.get(end), &sets[k]) {
                        (_, None) => {}
                        (None, Some(_)) => proptest::prop_assert!(
                            false,
                            "{pattern}: {:?} ends {:?} but has a set",
                            String::from_utf8_lossy(keyword),
                            String::from_utf8_lossy(text)
                        ),
                        (Some(&byte), Some(set)) => proptest::prop_assert!(
                            set.contains(byte),
                            "{pattern}: {:?} followed by {:?} in {:?}",
                            String::from_utf8_lossy(keyword),
                            char::from(byte),
                            String::from_utf8_lossy(text)
                        ),
                    }
                }
            }
        }
    }
}
