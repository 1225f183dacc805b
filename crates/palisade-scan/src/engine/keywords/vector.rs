//! The keyword search with AVX-512 byte lookups, on processors that have them.
//!
//! The automaton of [`super::Keywords`] takes a dependent table load for every byte. Here
//! most bytes are dismissed 64 at a time. Each anchor goes to one of [`BUCKETS`] buckets
//! (by its first byte, so that a bucket's anchors share it). A position passes when, for
//! some bucket, each of the four bytes from it and each of the three pairs of neighbouring
//! bytes (hashed to seven bits) is one that an anchor of the bucket holds there. VBMI's
//! `vpermi2b` looks up 64 bytes in a 128-entry table in one instruction, so the filter
//! costs some two dozen instructions per 64 bytes. The positions that pass, about five in a
//! hundred in source code, are looked up in a hash table of the anchors and their keywords
//! compared in full.
//!
//! An anchor shorter than four bytes (the anchor of a keyword that short) goes to one of
//! the last [`SHORT_BUCKETS`], which accept any byte after it; only positions that pass
//! there try the short anchors.

// The filter loads 64 bytes at a time into vector registers and is called behind a
// runtime check of the processor's features: both need `unsafe`. Each use says why it
// holds.
#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m512i, _mm512_add_epi8, _mm512_and_si512, _mm512_andnot_si512, _mm512_loadu_si512,
    _mm512_or_si512, _mm512_permutex2var_epi8, _mm512_set1_epi8, _mm512_test_epi8_mask,
};

/// Buckets of anchors: 8 per pass of lookups, two passes.
const BUCKETS: usize = 16;
/// The last buckets, which hold the anchors shorter than four bytes.
const SHORT_BUCKETS: usize = 2;
/// The bits of the second pass's buckets that are [`SHORT_BUCKETS`].
const SHORT_BITS: u8 = !(u8::MAX >> SHORT_BUCKETS);
/// Bytes a block reads: 64 positions and the three bytes after the last.
const BLOCK: usize = 64 + 3;
/// Bytes filtered before the positions that passed are looked up.
const CHUNK: usize = 64 * 8;

/// Whether this processor can run [`Vector`].
pub(super) fn supported() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vbmi")
        && std::arch::is_x86_feature_detected!("popcnt")
        && std::arch::is_x86_feature_detected!("bmi1")
}

/// The filter's tables and the anchors' hash table.
pub(super) struct Vector {
    /// `bytes[pass][offset][byte]`: the buckets (bit `b` of pass `p` is bucket `8p + b`)
    /// with an anchor holding `byte` (either case) `offset` bytes from its start, or
    /// shorter than `offset + 1`.
    bytes: [[[u8; 128]; 4]; 2],
    /// `pairs[pass][offset][pair(a, b)]`: the same for the anchors' byte pairs at `offset`
    /// and `offset + 1`.
    pairs: [[[u8; 128]; 3]; 2],
    /// One bit per value of a key's 16-bit hash ([`seen`]), set for the anchors' keys:
    /// most positions that pass the filter stop at a clear bit, a branch that is rarely
    /// mispredicted, instead of probing the table.
    seen: Box<[u64; 1024]>,
    /// Open addressing by [`key`], a power of two of them; a slot with no entries is
    /// empty.
    slots: Box<[Slot]>,
    /// The keywords of each slot, `slot.first..slot.first + slot.count`.
    entries: Vec<Entry>,
    /// Lengths of the anchors shorter than four bytes, ascending.
    short_lens: Vec<usize>,
}

/// A slot of the anchors' hash table.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    key: u32,
    first: u32,
    count: u32,
}

/// A keyword whose anchor has a slot's key.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The keyword.
    word: u32,
    /// Where its anchor starts in it.
    offset: u32,
}

/// The seven-bit hash of a pair of bytes, as the filter computes it (`a + 3b`; the
/// lookup reads the low seven bits).
fn pair(a: u8, b: u8) -> usize {
    usize::from(a.wrapping_add(b.wrapping_mul(3)) & 0x7f)
}

/// The table key of up to four bytes: each byte with bit 5 set (so that an ASCII letter's
/// cases meet; a few punctuation bytes meet their neighbours too, which the comparison of
/// the whole keyword settles), then the bytes packed little-endian. No key byte of an
/// anchor is zero, so anchors of different lengths never share a key.
fn key(bytes: &[u8]) -> u32 {
    let len = bytes.len().min(4);
    let mut four = [0u8; 4];
    four[..len].copy_from_slice(&bytes[..len]);
    (u32::from_le_bytes(four) | 0x2020_2020) & (u32::MAX >> (32 - 8 * len))
}

/// Both cases of a lowercase ASCII letter, or the byte alone.
fn cases(b: u8) -> impl Iterator<Item = u8> {
    let upper = b.to_ascii_uppercase();
    std::iter::once(b).chain((upper != b).then_some(upper))
}

impl Vector {
    /// The filter for `anchors` (per keyword, where its anchor starts and its bytes,
    /// lowercase), or `None` when this processor lacks the instructions, or an anchor is
    /// longer than four bytes or holds a byte other than ASCII.
    pub(super) fn new(anchors: &[(usize, &[u8])]) -> Option<Vector> {
        if !supported()
            || anchors
                .iter()
                .any(|(_, anchor)| anchor.len() > 4 || !anchor.is_ascii())
        {
            return None;
        }
        // Anchors by first byte, the largest groups first, each to the bucket with the
        // fewest anchors so far: four-byte ones to the first buckets, shorter ones to the
        // last [`SHORT_BUCKETS`].
        let mut bucket = vec![0; anchors.len()];
        for short in [false, true] {
            let mut groups: std::collections::BTreeMap<u8, Vec<usize>> = Default::default();
            for (word, (_, anchor)) in anchors.iter().enumerate() {
                if !anchor.is_empty() && (anchor.len() < 4) == short {
                    groups.entry(anchor[0]).or_default().push(word);
                }
            }
            let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
            groups.sort_by_key(|group| std::cmp::Reverse(group.len()));
            let range = if short {
                BUCKETS - SHORT_BUCKETS..BUCKETS
            } else {
                0..BUCKETS - SHORT_BUCKETS
            };
            let mut load = vec![0usize; range.len()];
            for group in groups {
                let (least, _) = load.iter().enumerate().min_by_key(|&(_, n)| *n)?;
                load[least] += group.len();
                for word in group {
                    bucket[word] = range.start + least;
                }
            }
        }

        let mut bytes = [[[0u8; 128]; 4]; 2];
        let mut pairs = [[[0u8; 128]; 3]; 2];
        for (word, (_, anchor)) in anchors.iter().enumerate() {
            if anchor.is_empty() {
                continue;
            }
            let (pass, bit) = (bucket[word] / 8, 1u8 << (bucket[word] % 8));
            for (offset, table) in bytes[pass].iter_mut().enumerate() {
                match anchor.get(offset) {
                    Some(&b) => cases(b).for_each(|c| table[usize::from(c)] |= bit),
                    None => table.iter_mut().for_each(|entry| *entry |= bit),
                }
            }
            for (offset, table) in pairs[pass].iter_mut().enumerate() {
                match (anchor.get(offset), anchor.get(offset + 1)) {
                    (Some(&a), Some(&b)) => {
                        for a in cases(a) {
                            cases(b).for_each(|b| table[pair(a, b)] |= bit);
                        }
                    }
                    _ => table.iter_mut().for_each(|entry| *entry |= bit),
                }
            }
        }

        let mut keyed: Vec<(u32, Entry)> = anchors
            .iter()
            .enumerate()
            .filter(|(_, (_, anchor))| !anchor.is_empty())
            .map(|(word, &(offset, anchor))| {
                Some((
                    key(anchor),
                    Entry {
                        word: u32::try_from(word).ok()?,
                        offset: u32::try_from(offset).ok()?,
                    },
                ))
            })
            .collect::<Option<_>>()?;
        keyed.sort_by_key(|&(key, entry)| (key, entry.word));
        let distinct = keyed.windows(2).filter(|w| w[0].0 != w[1].0).count() + 1;
        let size = (distinct * 2).next_power_of_two().max(16);
        let mut slots = vec![Slot::default(); size].into_boxed_slice();
        let mut entries = Vec::with_capacity(keyed.len());
        let mut seen = Box::new([0u64; 1024]);
        for run in keyed.chunk_by(|a, b| a.0 == b.0) {
            let key = run[0].0;
            let bit = seen_bit(key);
            seen[bit / 64] |= 1 << (bit % 64);
            let mut at = home(key, size);
            while slots[at].count != 0 {
                at = (at + 1) % size;
            }
            slots[at] = Slot {
                key,
                first: u32::try_from(entries.len()).ok()?,
                count: u32::try_from(run.len()).ok()?,
            };
            entries.extend(run.iter().map(|&(_, entry)| entry));
        }
        let mut short_lens: Vec<usize> = anchors
            .iter()
            .map(|(_, anchor)| anchor.len())
            .filter(|&len| (1..4).contains(&len))
            .collect();
        short_lens.sort_unstable();
        short_lens.dedup();
        Some(Vector {
            bytes,
            pairs,
            seen,
            slots,
            entries,
            short_lens,
        })
    }

    /// Calls `found(keyword, start)` for every occurrence in `data` of every keyword of
    /// `words` (lowercase, by their index), in no particular order.
    pub(super) fn find(
        &self,
        data: &[u8],
        words: &[Box<[u8]>],
        found: &mut dyn FnMut(usize, usize),
    ) {
        // SAFETY: a `Vector` exists only where `supported` found the features the
        // function is compiled for.
        unsafe { self.find_avx512(data, words, found) }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,popcnt,bmi1")]
    fn find_avx512(&self, data: &[u8], words: &[Box<[u8]>], found: &mut dyn FnMut(usize, usize)) {
        let tables = Tables::new(self);
        // The positions that pass, a chunk at a time, are written down without a branch
        // per position (see `flatten`), then looked up in a loop whose branches are
        // predictable: a position no anchor starts at is the common case.
        let mut long = [0u32; CHUNK + 64];
        let mut short = [0u32; CHUNK + 64];
        let mut at = 0;
        while at < data.len() {
            let chunk = at;
            let (mut longs, mut shorts) = (0, 0);
            while at < data.len() && at < chunk + CHUNK {
                let passed = tables.filter_at(data, at);
                let offset = (at - chunk) as u32;
                (longs, shorts) =
                    flatten_both(passed, offset, (&mut long, longs), (&mut short, shorts));
                at += 64;
            }
            for &offset in &long[..longs] {
                let position = chunk + offset as usize;
                if let Some(four) = data.get(position..position + 4) {
                    self.try_key(key(four), data, position, words, found);
                }
            }
            for &offset in &short[..shorts] {
                let position = chunk + offset as usize;
                for &len in &self.short_lens {
                    if let Some(bytes) = data.get(position..position + len) {
                        self.try_key(key(bytes), data, position, words, found);
                    }
                }
            }
        }
    }

    /// Reports the keywords whose anchor has `key` and starts at `position`, if an
    /// anchor may have it.
    #[inline]
    fn try_key(
        &self,
        key: u32,
        data: &[u8],
        position: usize,
        words: &[Box<[u8]>],
        found: &mut dyn FnMut(usize, usize),
    ) {
        if self.may_hold(key) {
            self.probe(key, data, position, words, found);
        }
    }

    /// Whether an anchor may have `key` (false for most keys no anchor has).
    #[inline]
    fn may_hold(&self, key: u32) -> bool {
        let bit = seen_bit(key);
        self.seen[bit / 64] >> (bit % 64) & 1 == 1
    }

    /// Reports the keywords whose anchor has `key` and starts at `position`, where the
    /// whole keyword is in `data`.
    #[cold]
    #[inline(never)]
    fn probe(
        &self,
        key: u32,
        data: &[u8],
        position: usize,
        words: &[Box<[u8]>],
        found: &mut dyn FnMut(usize, usize),
    ) {
        let mut at = home(key, self.slots.len());
        loop {
            let slot = self.slots[at];
            if slot.count == 0 {
                return;
            }
            if slot.key == key {
                let first = slot.first as usize;
                for entry in &self.entries[first..first + slot.count as usize] {
                    let word = &words[entry.word as usize];
                    let Some(start) = position.checked_sub(entry.offset as usize) else {
                        continue;
                    };
                    if data
                        .get(start..start + word.len())
                        .is_some_and(|there| there.eq_ignore_ascii_case(word))
                    {
                        found(entry.word as usize, start);
                    }
                }
                return;
            }
            at = (at + 1) & (self.slots.len() - 1);
        }
    }
}

/// The bit of `key` in [`Vector::seen`].
fn seen_bit(key: u32) -> usize {
    (key.wrapping_mul(0x85eb_ca6b) >> 16) as usize
}

/// Writes the positions `offset + i` of the set bits `i` of `bits` into `out` from
/// `count` on, and returns the new count. The first four are written whatever their
/// number (`out` has room for 64 past its last position), so that the usual block, with
/// four or fewer, takes no branch that depends on it.
#[inline]
fn flatten(mut bits: u64, offset: u32, out: &mut [u32], count: usize) -> usize {
    let total = bits.count_ones() as usize;
    let window = &mut out[count..count + 64];
    for slot in &mut window[..4] {
        *slot = offset + bits.trailing_zeros();
        bits &= bits.wrapping_sub(1);
    }
    if total > 4 {
        for slot in &mut window[4..total] {
            *slot = offset + bits.trailing_zeros();
            bits &= bits.wrapping_sub(1);
        }
    }
    count + total
}

/// [`flatten`] for a block's two masks, in one call.
///
/// Compiled apart from the vector code: inlined there, the compiler turns the unrolled
/// `tzcnt`s into a vector bit count that costs several times more.
#[inline(never)]
#[target_feature(enable = "popcnt,bmi1")]
fn flatten_both(
    (long, short): (u64, u64),
    offset: u32,
    (long_out, longs): (&mut [u32], usize),
    (short_out, shorts): (&mut [u32], usize),
) -> (usize, usize) {
    let longs = flatten(long, offset, long_out, longs);
    let shorts = if short == 0 {
        shorts
    } else {
        flatten(short, offset, short_out, shorts)
    };
    (longs, shorts)
}

/// The home slot of `key` in a table of `size` slots, a power of two: its hash's top bits.
fn home(key: u32, size: usize) -> usize {
    (key.wrapping_mul(0x9e37_79b1) >> (32 - size.trailing_zeros())) as usize
}

/// The filter's tables in vector registers: for each pass, the four byte tables and the
/// three pair tables, each as its low and high 64 entries.
struct Tables {
    bytes: [[(__m512i, __m512i); 4]; 2],
    pairs: [[(__m512i, __m512i); 3]; 2],
}

impl Tables {
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,popcnt,bmi1")]
    fn new(vector: &Vector) -> Tables {
        // By index, so that no table is copied on the way.
        Tables {
            bytes: std::array::from_fn(|p| std::array::from_fn(|o| halves(&vector.bytes[p][o]))),
            pairs: std::array::from_fn(|p| std::array::from_fn(|o| halves(&vector.pairs[p][o]))),
        }
    }

    /// [`Tables::filter`] for the 64 positions from `at`, of which the last block may
    /// have fewer: it is read followed by zeros and the positions past the end dropped
    /// (a match that would need bytes past it is refused by the bounds of the lookup and
    /// of the comparison).
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,popcnt,bmi1")]
    fn filter_at(&self, data: &[u8], at: usize) -> (u64, u64) {
        if let Some(block) = data.get(at..at + BLOCK) {
            return self.filter(block);
        }
        let rest = &data[at..];
        let mut padded = [0u8; BLOCK];
        padded[..rest.len()].copy_from_slice(rest);
        let (long, short) = self.filter(&padded);
        let inside = if rest.len() >= 64 {
            u64::MAX
        } else {
            (1u64 << rest.len()) - 1
        };
        (long & inside, short & inside)
    }

    /// The positions of `block`'s first 64 that pass the filter for a bucket of
    /// four-byte anchors, and those that pass it for the short anchors' bucket, as bit
    /// masks.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,popcnt,bmi1")]
    fn filter(&self, block: &[u8]) -> (u64, u64) {
        let v = [0, 1, 2, 3].map(|offset| load(&block[offset..offset + 64]));
        // The lookups read a byte's low seven bits: a byte at or above 0x80 passes where
        // its ASCII namesake does (no anchor holds it, so the full comparison drops it),
        // and where a short anchor accepts any byte after it.
        let hashed = [0, 1, 2].map(|offset| {
            let next = v[offset + 1];
            _mm512_add_epi8(
                v[offset],
                _mm512_add_epi8(_mm512_add_epi8(next, next), next),
            )
        });
        let pass = |pass: usize| {
            let mut buckets = _mm512_set1_epi8(-1);
            for (offset, &(low, high)) in self.bytes[pass].iter().enumerate() {
                let found = _mm512_permutex2var_epi8(low, v[offset], high);
                buckets = _mm512_and_si512(buckets, found);
            }
            for (offset, &(low, high)) in self.pairs[pass].iter().enumerate() {
                let found = _mm512_permutex2var_epi8(low, hashed[offset], high);
                buckets = _mm512_and_si512(buckets, found);
            }
            buckets
        };
        let (low, high) = (pass(0), pass(1));
        let short = _mm512_set1_epi8(SHORT_BITS as i8);
        let long = _mm512_or_si512(low, _mm512_andnot_si512(short, high));
        (
            _mm512_test_epi8_mask(long, long),
            _mm512_test_epi8_mask(high, short),
        )
    }
}

/// A 128-entry table as the two registers `vpermi2b` reads.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,popcnt,bmi1")]
fn halves(table: &[u8; 128]) -> (__m512i, __m512i) {
    (load(&table[..64]), load(&table[64..]))
}

/// The first 64 bytes of `bytes` in a register.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,popcnt,bmi1")]
fn load(bytes: &[u8]) -> __m512i {
    assert!(bytes.len() >= 64);
    // SAFETY: `bytes` holds at least the 64 bytes read; the load needs no alignment.
    unsafe { _mm512_loadu_si512(bytes.as_ptr().cast()) }
}
