//! Finding every occurrence of the rules' keywords, ASCII case-insensitively.
//!
//! Several hundred keywords make one Aho-Corasick DFA of about 2 MB, too large for the
//! cache, and too many patterns for a vectorised prefilter: every byte then waits on a
//! table load from memory. Here the DFA only knows [`MAX_ANCHOR`] bytes of each keyword,
//! its *anchor* (about a thousand states of `u16`, some 100 KB, the busy rows in L1); the
//! rest of a keyword is compared where its anchor occurs. The anchor is the keyword's
//! rarest run of bytes by the byte-pair frequencies of source code ([`PAIR_RARITY`]), so
//! that few anchors occur where their keyword does not (`database_url` is looked for by
//! its `_url`, not by `data`, a word of every other file). The buffer is cut into
//! [`STREAMS`] parts that one loop advances together, so that their table loads overlap
//! instead of queueing one behind the other.
//!
//! On a processor with AVX-512 VBMI the anchors are found by [`vector`] instead, which
//! dismisses most bytes 64 at a time; the automaton remains for other processors and for
//! keywords that are not ASCII. Both report the same occurrences (the tests run both).

use std::collections::VecDeque;
use std::fmt;

#[cfg(target_arch = "x86_64")]
mod vector;

/// The most bytes of a keyword the DFA matches (fewer if the table would not fit `u16`
/// state ids).
const MAX_ANCHOR: usize = 4;
/// Parts of a buffer scanned at once (the loop of [`Keywords::find`] is written for four).
const STREAMS: usize = 4;
/// Buffers shorter than this are scanned as one part.
const MIN_SPLIT: usize = 1024;
/// Entries of the transition table: every `u16` index, so that none is bounds-checked.
const TABLE: usize = 1 << 16;

/// The keywords' automaton.
pub(super) struct Keywords {
    /// Input class of each byte; both cases of an ASCII letter share one, class 0 is every
    /// byte no anchor holds.
    classes: [u8; 256],
    /// `trans[state + class]`: state ids are premultiplied by the number of classes.
    trans: Box<[u16; TABLE]>,
    /// States below this id end at least one anchor; they come first.
    match_limit: u16,
    /// The start state.
    start: u16,
    /// Number of classes (the stride of a state's row).
    stride: usize,
    /// Number of states.
    states: usize,
    /// Length of the anchors the DFA matches (shorter keywords are their own anchor).
    anchor_len: usize,
    /// For each matching state (by row), the keywords whose anchor ends there.
    outputs: Vec<Box<[Anchored]>>,
    /// `2^32 / stride`, rounded up: a state's row is `(state * reciprocal) >> 32`.
    reciprocal: u64,
    /// The keywords, lowercase.
    words: Vec<Box<[u8]>>,
    /// The vectorised search, where the processor runs it.
    #[cfg(target_arch = "x86_64")]
    vector: Option<vector::Vector>,
}

/// A keyword whose anchor ends at a matching state.
#[derive(Debug, Clone, Copy)]
struct Anchored {
    /// The keyword.
    word: u32,
    /// Where its anchor starts in it.
    offset: u32,
    /// The anchor's length.
    len: u32,
}

impl fmt::Debug for Keywords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keywords")
            .field("words", &self.words.len())
            .field("anchor_len", &self.anchor_len)
            .field("states", &self.states)
            .field("classes", &self.stride)
            .field("vectorised", &self.vectorised())
            .finish()
    }
}

impl Keywords {
    /// How many bytes of each keyword the automaton matches before comparing the rest.
    #[cfg(test)]
    pub(super) fn anchor_len(&self) -> usize {
        self.anchor_len
    }

    /// Whether [`Keywords::find`] runs the vectorised search rather than the automaton.
    pub(super) fn vectorised(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        return self.vector.is_some();
        #[cfg(not(target_arch = "x86_64"))]
        return false;
    }

    /// An automaton for `words` (ASCII, matched case-insensitively; empty ones never
    /// match). `None` when even one-byte anchors make too many states, which takes more
    /// than a hundred distinct non-ASCII bytes.
    pub(super) fn new(words: &[&[u8]]) -> Option<Keywords> {
        (1..=MAX_ANCHOR)
            .rev()
            .find_map(|anchor_len| Keywords::with_anchors(words, anchor_len))
    }

    fn with_anchors(words: &[&[u8]], anchor_len: usize) -> Option<Keywords> {
        let words: Vec<Box<[u8]>> = words
            .iter()
            .map(|w| w.to_ascii_lowercase().into())
            .collect();
        let anchors: Vec<(usize, &[u8])> = words
            .iter()
            .map(|word| {
                let offset = rarest(word, anchor_len);
                (offset, &word[offset..(offset + anchor_len).min(word.len())])
            })
            .collect();
        let mut classes = [0u8; 256];
        let mut stride = 1usize;
        for (_, anchor) in &anchors {
            for &b in *anchor {
                if classes[usize::from(b)] == 0 {
                    classes[usize::from(b)] = u8::try_from(stride).ok()?;
                    stride += 1;
                }
            }
        }
        for upper in b'A'..=b'Z' {
            classes[usize::from(upper)] = classes[usize::from(upper.to_ascii_lowercase())];
        }

        // The trie of anchors: children by class, and the keywords whose anchor ends at
        // each node.
        let mut children: Vec<Vec<(u8, usize)>> = vec![Vec::new()];
        let mut ends: Vec<Vec<Anchored>> = vec![Vec::new()];
        for (index, &(offset, anchor)) in anchors.iter().enumerate() {
            if anchor.is_empty() {
                continue;
            }
            let mut node = 0;
            for &b in anchor {
                let class = classes[usize::from(b)];
                node = match children[node].iter().find(|(c, _)| *c == class) {
                    Some(&(_, child)) => child,
                    None => {
                        children.push(Vec::new());
                        ends.push(Vec::new());
                        let child = children.len() - 1;
                        children[node].push((class, child));
                        child
                    }
                };
            }
            ends[node].push(Anchored {
                word: u32::try_from(index).ok()?,
                offset: u32::try_from(offset).ok()?,
                len: u32::try_from(anchor.len()).ok()?,
            });
        }
        let states = children.len();
        if states * stride > TABLE {
            return None;
        }

        // Aho-Corasick: failure links breadth first, then every transition filled in, and
        // each state's output extended by its failure state's.
        let mut trans = vec![0usize; states * stride];
        let mut fail = vec![0usize; states];
        let mut outputs: Vec<Vec<Anchored>> = vec![Vec::new(); states];
        let mut queue = VecDeque::new();
        for &(class, child) in &children[0] {
            trans[usize::from(class)] = child;
            queue.push_back(child);
        }
        while let Some(node) = queue.pop_front() {
            let back = fail[node];
            let mut output = std::mem::take(&mut ends[node]);
            output.extend_from_slice(&outputs[back]);
            outputs[node] = output;
            for class in 0..stride {
                trans[node * stride + class] = trans[back * stride + class];
            }
            for &(class, child) in &children[node] {
                let class = usize::from(class);
                fail[child] = if node == 0 {
                    0
                } else {
                    trans[back * stride + class]
                };
                trans[node * stride + class] = child;
                queue.push_back(child);
            }
        }

        // Renumber: matching states first, so that one comparison tells them apart.
        let mut order: Vec<usize> = (0..states).filter(|&s| !outputs[s].is_empty()).collect();
        let matching = order.len();
        order.extend((0..states).filter(|&s| outputs[s].is_empty()));
        let mut id = vec![0usize; states];
        for (new, &old) in order.iter().enumerate() {
            id[old] = new;
        }
        let mut table: Box<[u16; TABLE]> = vec![0u16; TABLE].into_boxed_slice().try_into().ok()?;
        for (new, &old) in order.iter().enumerate() {
            for class in 0..stride {
                table[new * stride + class] =
                    u16::try_from(id[trans[old * stride + class]] * stride).ok()?;
            }
        }
        #[cfg(target_arch = "x86_64")]
        let vector = vector::Vector::new(&anchors);
        let outputs = order[..matching]
            .iter()
            .map(|&old| std::mem::take(&mut outputs[old]).into_boxed_slice())
            .collect();
        Some(Keywords {
            classes,
            trans: table,
            match_limit: u16::try_from(matching * stride).ok()?,
            start: u16::try_from(id[0] * stride).ok()?,
            stride,
            states,
            anchor_len,
            outputs,
            reciprocal: (1u64 << 32).div_ceil(stride as u64),
            words,
            #[cfg(target_arch = "x86_64")]
            vector,
        })
    }

    /// Calls `found(keyword, start)` for every occurrence of every keyword in `data`
    /// (keywords by their index in the list given to [`Keywords::new`]), in no particular
    /// order: with the vectorised search where the processor has it, else the automaton.
    pub(super) fn find(&self, data: &[u8], found: &mut dyn FnMut(usize, usize)) {
        #[cfg(target_arch = "x86_64")]
        if let Some(vector) = &self.vector {
            vector.find(data, &self.words, found);
            return;
        }
        self.find_by_automaton(data, found);
    }

    /// [`Keywords::find`] with the automaton, whatever the processor.
    fn find_by_automaton(&self, data: &[u8], found: &mut dyn FnMut(usize, usize)) {
        if data.len() < MIN_SPLIT {
            self.find_in(data, 0, data.len(), self.start, found);
            return;
        }
        // Part j covers the anchors ending in [j * chunk, (j + 1) * chunk); it starts
        // `anchor_len - 1` bytes early, so its state is right from its first end on. The
        // loop takes the parts' first `steps` bytes together, then each finishes alone.
        let chunk = data.len().div_ceil(STREAMS);
        let early = self.anchor_len - 1;
        let from: [usize; STREAMS] = std::array::from_fn(|j| (j * chunk).saturating_sub(early));
        let to: [usize; STREAMS] = std::array::from_fn(|j| ((j + 1) * chunk).min(data.len()));
        let steps = (0..STREAMS)
            .map(|j| to[j].saturating_sub(from[j]))
            .min()
            .unwrap_or(0);
        let part = |j: usize| &data[from[j]..from[j] + steps];
        let trans: &[u16; TABLE] = &self.trans;
        let classes = &self.classes;
        let next = |state: u16, byte: u8| {
            trans[usize::from(state.wrapping_add(u16::from(classes[usize::from(byte)])))]
        };
        let limit = self.match_limit;
        let mut states = [self.start; STREAMS];
        let [mut s0, mut s1, mut s2, mut s3] = states;
        let bytes = part(0).iter().zip(part(1)).zip(part(2)).zip(part(3));
        for (step, (((&b0, &b1), &b2), &b3)) in bytes.enumerate() {
            s0 = next(s0, b0);
            s1 = next(s1, b1);
            s2 = next(s2, b2);
            s3 = next(s3, b3);
            if s0 < limit || s1 < limit || s2 < limit || s3 < limit {
                for (j, state) in [s0, s1, s2, s3].into_iter().enumerate() {
                    let end = from[j] + step;
                    if state < limit && end >= j * chunk {
                        self.matched(data, end, state, found);
                    }
                }
            }
        }
        states = [s0, s1, s2, s3];
        for j in 0..STREAMS {
            self.find_in(data, from[j] + steps, to[j], states[j], found);
        }
    }

    /// One part: the bytes in `[from, to)`, from `state`.
    fn find_in(
        &self,
        data: &[u8],
        from: usize,
        to: usize,
        mut state: u16,
        found: &mut dyn FnMut(usize, usize),
    ) {
        let Some(part) = data.get(from..to) else {
            return;
        };
        let trans: &[u16; TABLE] = &self.trans;
        for (i, &b) in part.iter().enumerate() {
            state = trans[usize::from(state.wrapping_add(u16::from(self.classes[usize::from(b)])))];
            if state < self.match_limit {
                self.matched(data, from + i, state, found);
            }
        }
    }

    /// The anchors of matching `state` end at `end`: reports the keywords there.
    #[cold]
    #[inline(never)]
    fn matched(&self, data: &[u8], end: usize, state: u16, found: &mut dyn FnMut(usize, usize)) {
        // `state / stride`, without a division (exact for 16-bit states).
        let row = ((u64::from(state) * self.reciprocal) >> 32) as usize;
        for anchored in &self.outputs[row] {
            let word = &self.words[anchored.word as usize];
            let (offset, len) = (anchored.offset as usize, anchored.len as usize);
            let Some(start) = (end + 1 - len).checked_sub(offset) else {
                continue;
            };
            let same = |from: usize, part: &[u8]| {
                data.get(from..from + part.len())
                    .is_some_and(|there| there.eq_ignore_ascii_case(part))
            };
            if same(start, &word[..offset]) && same(end + 1, &word[offset + len..]) {
                found(anchored.word as usize, start);
            }
        }
    }
}

/// The offset of the `len` bytes of `word` least likely in source code: the highest sum of
/// [`PAIR_RARITY`] over their byte pairs, the first of equals. Only speed depends on it.
fn rarest(word: &[u8], len: usize) -> usize {
    if word.len() <= len {
        return 0;
    }
    let rarity = |at: usize| -> u32 {
        word[at..at + len]
            .windows(2)
            .map(|pair| {
                let row = PAIR_RARITY[pair_symbol(pair[0])].as_bytes();
                char::from(row[pair_symbol(pair[1])])
                    .to_digit(36)
                    .unwrap_or(0)
            })
            .sum()
    };
    let mut best = 0;
    for at in 1..=word.len() - len {
        if rarity(at) > rarity(best) {
            best = at;
        }
    }
    best
}

/// The symbols of [`PAIR_RARITY`]'s rows and columns, in order: whitespace, any other
/// byte, some punctuation, digits (all as `0`) and the letters (either case).
const PAIR_SYMBOLS: &[u8; 36] = b" #$-./0:=_abcdefghijklmnopqrstuvwxyz";

/// The index of a byte's symbol in [`PAIR_SYMBOLS`].
fn pair_symbol(b: u8) -> usize {
    let symbol = match b.to_ascii_lowercase() {
        b'\t' | b'\n' | b'\r' => b' ',
        b'1'..=b'9' => b'0',
        other => other,
    };
    PAIR_SYMBOLS.iter().position(|&s| s == symbol).unwrap_or(1)
}

/// How rare each pair of symbols ([`PAIR_SYMBOLS`], first symbol by row, second by
/// column) is in source code: `-log2` of its frequency, scaled to one base-36 digit (`0`
/// most common, `z` rarest). Measured on a sample of the sources of crates.io crates; it
/// only steers which bytes of a keyword the automaton looks for.
const PAIR_RARITY: [&str; 36] = [
    "05ebe98b8d9b8ba9de9igbaba8ga89acacgf",
    "34fecb9cggdeabcdhfcngebceckaacegdeei",
    "rmtqzuhzztgpmnqmtqmzmllollzohituqrzz",
    "fbmeqzezowgifihkjkhqliikihoigikminvp",
    "cewqhndqonfheghghhdnkhgiggqeehglhqqp",
    "9bzwp9kztjikfijkiljrohjmjfpihjknjozs",
    "86zedk4fnbccccccqlhskllmmlrkikeilaqs",
    "8dsvthk6olefbeddgfcnnheecfodbegghlpi",
    "8esuvznzdwqusswrwuvwzzutzuqrswztoutu",
    "hewztzckzeccadcdefbmgdddcbibabddfhol",
    "ddzhincitdgcaafecjdpg9banbj9a7efddeh",
    "adzlglcjtidhficimqddncmidfkgfkbongfl",
    "ddzijgbgqcbfdgaegbczccfl7hibeaeikfhq",
    "aawffncbrbbgec8gfibnjfhjagheehgjffgs",
    "88ofehc9oaaca9dcdkfoi9b8hcc688hcdben",
    "bbzkducgmfcghgcbfoazrdhcajsdegfvroiu",
    "cczhhigcoefkinbjkhdvnhkefeoeehfoprlk",
    "dezilpkhsebllk9noocwmkgmdjoegegnkzeo",
    "fdzmllfetfceb9cbbohqjba78dld99hdvguc",
    "plzpqvpqzenqssfwurturznokuzsjslwvzzt",
    "gdzmkqiiueikjkcmlsewnnlgoknmgkhnonqs",
    "cckkhjhfscbhjc9bghawkbjlbgkjebckilfo",
    "edziihdesdafhh9kkoczogcjbboidgbmjqgo",
    "9buififbqcbjb89daicrefjebdli98dfgrhn",
    "cdwijkliuefcbbhbepdkdcb7daw7dcacahpl",
    "ebskkmggudajfg9hlgdzgbfibemaea9gkjfz",
    "dfzrownnzljrmmqqpzpvvgszmszklkcwmzzz",
    "aatielccqc9gcc6edi9wggdc9hhabbcfiict",
    "9awfdgfbq9cjdi7ifcatgddhccffa7akimck",
    "79pfejebq99ecc7fj88ukggjadk9ccbkgfal",
    "hjzpptbmzkgaehbfdzcwtadakcjba9qpvhvl",
    "gizpmoflviblkiaknpdzrkjlefgklgqpqkus",
    "hezolsmhvfdnlofkpeawrljfelneblnojpqm",
    "dczjjl9hufikgjghqkiwzkeoffjnkdnsnool",
    "ccsjhomevcjjjmilmqivojefhbsicfnknvmn",
    "kjzospnowjisnocorokzumnmhozmgqrqumpo",
];

#[cfg(test)]
mod tests {
    use super::*;

    use aho_corasick::AhoCorasick;
    use proptest::prelude::*;

    /// The occurrences [`Keywords::find`] reports, sorted, after checking that the
    /// automaton reports the same (where `find` runs the vectorised search, both are
    /// tested on every input).
    fn occurrences(keywords: &Keywords, data: &[u8]) -> Vec<(usize, usize)> {
        let mut all = Vec::new();
        keywords.find(data, &mut |word, start| all.push((start, word)));
        all.sort_unstable();
        let mut automaton = Vec::new();
        keywords.find_by_automaton(data, &mut |word, start| automaton.push((start, word)));
        automaton.sort_unstable();
        assert_eq!(all, automaton, "vectorised search and automaton differ");
        all
    }

    fn expected(words: &[&[u8]], data: &[u8]) -> Vec<(usize, usize)> {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words)
            .expect("the automaton builds");
        let mut all: Vec<(usize, usize)> = ac
            .find_overlapping_iter(data)
            .map(|m| (m.start(), m.pattern().as_usize()))
            .collect();
        all.sort_unstable();
        all
    }

    const WORDS: &[&[u8]] = &[
        b"pass",
        b"password",
        b"passwd",
        b"key",
        b"api_key",
        b"akia",
        b"ghp_",
        b"ssh://",
        b"$2a$",
        b"a3-",
        b"aaa",
        b"aaaa",
        b"aaaaaaaa",
        b"_mmk",
        b"sk-",
        b"k-e",
        b"database_url",
        b"x-auth-key",
        b"base",
    ];

    #[test]
    fn the_anchor_is_the_rarest_run() {
        assert_eq!(rarest(b"database_url", 4), 8);
        assert_eq!(rarest(b"key", 4), 0);
        assert_eq!(pair_symbol(b'Q'), pair_symbol(b'q'));
        assert_eq!(pair_symbol(b'7'), pair_symbol(b'0'));
        assert_eq!(pair_symbol(0xff), 1);
        assert!(
            PAIR_RARITY
                .iter()
                .all(|row| row.len() == PAIR_SYMBOLS.len() && row.chars().all(|c| c.is_digit(36)))
        );
    }

    #[test]
    fn the_row_of_a_state_is_its_quotient_by_the_stride() {
        for stride in 1..=256u64 {
            let reciprocal = (1u64 << 32).div_ceil(stride);
            for state in 0..=u64::from(u16::MAX) {
                assert_eq!(
                    (state * reciprocal) >> 32,
                    state / stride,
                    "{state} / {stride}"
                );
            }
        }
    }

    #[test]
    fn every_occurrence_is_found_once_in_any_case_and_across_parts() {
        let keywords = Keywords::new(WORDS).expect("the automaton builds");
        let mut data = Vec::new();
        for i in 0..400 {
            data.extend_from_slice(
                b"xx PassWord=1 API_KEY aKiA ghp_ ssh://$2a$aaaaaaaaa _MMK sk-e ",
            );
            data.extend_from_slice(&[b'q'; 7][..i % 7]);
        }
        for len in [0, 1, 2, 3, 5, 100, 1023, 1024, 1025, 4097, data.len()] {
            let data = &data[..len];
            assert_eq!(occurrences(&keywords, data), expected(WORDS, data), "{len}");
        }
    }

    #[test]
    fn the_vectorised_search_runs_wherever_the_processor_has_it() {
        let keywords = Keywords::new(WORDS).expect("the automaton builds");
        #[cfg(target_arch = "x86_64")]
        assert_eq!(keywords.vectorised(), vector::supported());
        #[cfg(not(target_arch = "x86_64"))]
        assert!(!keywords.vectorised());
        // A keyword other than ASCII leaves the search to the automaton.
        let keywords = Keywords::new(&[b"key", "cl\u{e9}".as_bytes()]).expect("it builds");
        assert!(!keywords.vectorised());
        assert_eq!(
            occurrences(&keywords, "a CL\u{e9} key".as_bytes()),
            vec![(2, 1), (7, 0)]
        );
    }

    #[test]
    fn keywords_beside_bytes_other_than_ascii_and_at_every_offset_of_a_block() {
        // Short keywords (anchors under four bytes) followed by a byte other than ASCII,
        // by the end of the data, or by a zero; long ones across the 64-byte blocks and the
        // chunks they are looked up in, and at the very end.
        let keywords = Keywords::new(WORDS).expect("the automaton builds");
        let pieces: [&[u8]; 6] = [
            "key\u{2019}s ".as_bytes(),
            "pat\u{e9}re ".as_bytes(),
            b"KEY\0",
            "\u{e9}akia\u{ff}".as_bytes(),
            b"x-auth-key",
            b"sk-",
        ];
        for lead in 0..140 {
            let mut data = vec![b'.'; lead];
            for piece in pieces {
                data.extend_from_slice(piece);
                data.extend(std::iter::repeat_n(b' ', lead % 61));
            }
            for end in [data.len(), data.len() - lead % 61] {
                let data = &data[..end];
                assert_eq!(
                    occurrences(&keywords, data),
                    expected(WORDS, data),
                    "{lead}"
                );
            }
        }
    }

    #[test]
    fn a_keyword_in_the_last_bytes_is_found_whatever_the_length() {
        // The vectorised search takes 64 positions at a time and the three bytes after
        // them; whatever is left at the end (up to 66 bytes) is its own case, where only a
        // keyword of one or two bytes can start in its last two.
        let words: &[&[u8]] = &[b"q", b"k-", b"sk-", b"akia"];
        let keywords = Keywords::new(words).expect("the automaton builds");
        for len in 4..300 {
            for word in words {
                let mut data = vec![b'.'; len - word.len()];
                data.extend_from_slice(word);
                assert_eq!(
                    occurrences(&keywords, &data),
                    expected(words, &data),
                    "{len}"
                );
            }
        }
    }

    #[test]
    fn shorter_anchors_when_the_table_would_not_fit() {
        // 2000 pseudo-random eight-byte keywords over 69 distinct bytes: too many states
        // for 4-byte anchors.
        let alphabet: Vec<u8> = (b'!'..=b'~').filter(|b| !b.is_ascii_uppercase()).collect();
        let mut seed = 12345u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            alphabet[(seed >> 16) as usize % alphabet.len()]
        };
        let owned: Vec<Vec<u8>> = (0..2000)
            .map(|_| (0..8).map(|_| next()).collect())
            .collect();
        let words: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let keywords = Keywords::new(&words).expect("the automaton builds");
        assert!(keywords.anchor_len < MAX_ANCHOR);
        let data: Vec<u8> = (0..5000)
            .map(|i| alphabet[(i * 31 + i / 7) % alphabet.len()])
            .collect();
        assert_eq!(occurrences(&keywords, &data), expected(&words, &data));
    }

    proptest! {
        #[test]
        fn the_same_occurrences_as_an_overlapping_aho_corasick_search(
            pieces in prop::collection::vec((0..WORDS.len() + 6, any::<bool>()), 0..600),
        ) {
            let keywords = Keywords::new(WORDS).expect("the automaton builds");
            let mut data = Vec::new();
            for (piece, upper) in pieces {
                let bytes: &[u8] = match WORDS.get(piece) {
                    Some(word) => &word[..word.len() - usize::from(upper && word.len() > 3)],
                    None => &"a_pw=:$k- _url\u{e9}\u{2019}".as_bytes()[piece - WORDS.len()..],
                };
                if upper {
                    data.extend(bytes.iter().map(u8::to_ascii_uppercase));
                } else {
                    data.extend_from_slice(bytes);
                }
            }
            prop_assert_eq!(occurrences(&keywords, &data), expected(WORDS, &data));
        }

        /// Keyword sets of any size and make-up (one to eight bytes of a small alphabet
        /// with punctuation, so that anchors share bytes and buckets crowd), over text
        /// that repeats pieces of them among bytes of any value.
        #[test]
        fn any_keyword_set_is_found_as_an_overlapping_aho_corasick_search_finds_it(
            words in prop::collection::vec(
                prop::collection::vec(prop::sample::select(b"abkeyZ_-=:. 0".to_vec()), 1..9),
                1..80,
            ),
            pieces in prop::collection::vec((any::<prop::sample::Index>(), 0..9usize, any::<u8>()), 0..400),
        ) {
            let words: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
            let keywords = Keywords::new(&words).expect("the automaton builds");
            let mut data = Vec::new();
            for (word, cut, byte) in pieces {
                let word = word.get(&words);
                data.extend_from_slice(&word[..cut.min(word.len())]);
                data.push(byte);
            }
            prop_assert_eq!(occurrences(&keywords, &data), expected(&words, &data));
        }
    }
}
