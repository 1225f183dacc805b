//! The frontier of an appending log: the roots of the perfect subtrees that
//! make up the binary decomposition of its size (a compact range from 0).

use super::{EMPTY_ROOT, Hash, NodeId, fold_right, node_hash};

/// Why a [`Frontier`] could not be rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrontierError {
    /// The number of peaks given is not the number of one bits of the size.
    #[error("a tree of size {size} has {expected} peaks, but {got} were given")]
    PeakCount {
        /// The tree size.
        size: u64,
        /// The number of peaks that size has.
        expected: usize,
        /// The number given.
        got: usize,
    },
}

/// The perfect nodes whose hashes a [`Frontier`] of `size` leaves holds, left to right.
///
/// Load these from a store and pass their hashes, in this order, to
/// [`Frontier::from_peaks`] to resume appending.
pub fn peak_ids(size: u64) -> Vec<NodeId> {
    let mut ids = Vec::with_capacity(size.count_ones() as usize);
    let mut start = 0u64;
    for level in (0..64u8).rev() {
        if size >> level & 1 == 1 {
            ids.push(NodeId::new(level, start >> level));
            start += 1 << level;
        }
    }
    ids
}

/// The state of an append-only Merkle tree sufficient to append and to compute
/// its root: one hash per one bit of its size (at most 64).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// Peak hashes, left to right: the largest (leftmost) subtree first.
    peaks: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the frontier of a tree of `size` leaves from the hashes of the
    /// nodes [`peak_ids`] lists, in that order.
    pub fn from_peaks(size: u64, peaks: Vec<Hash>) -> Result<Self, FrontierError> {
        let expected = size.count_ones() as usize;
        if peaks.len() != expected {
            return Err(FrontierError::PeakCount {
                size,
                expected,
                got: peaks.len(),
            });
        }
        Ok(Frontier { size, peaks })
    }

    /// The number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The peak hashes, left to right, matching [`peak_ids`] of [`Frontier::size`].
    pub fn peaks(&self) -> &[Hash] {
        &self.peaks
    }

    /// The tree's root: the right-leaning combination of the peaks.
    pub fn root(&self) -> Hash {
        fold_right(&self.peaks).unwrap_or(EMPTY_ROOT)
    }

    /// Appends a leaf and returns every perfect node it completes, bottom up:
    /// the leaf itself (level 0) first, then each parent that became full.
    ///
    /// # Panics
    ///
    /// If the tree already holds `u64::MAX` leaves, which no real log reaches.
    pub fn push(&mut self, leaf_hash: Hash) -> Vec<(NodeId, Hash)> {
        let mut created = Vec::with_capacity(1 + self.size.trailing_ones() as usize);
        self.push_with(leaf_hash, |id, hash| created.push((id, hash)));
        created
    }

    /// Appends a leaf like [`Frontier::push`], handing each completed perfect
    /// node to `sink` instead of collecting them.
    ///
    /// # Panics
    ///
    /// If the tree already holds `u64::MAX` leaves.
    pub fn push_with(&mut self, leaf_hash: Hash, mut sink: impl FnMut(NodeId, Hash)) {
        let index = self.size;
        let next = index
            .checked_add(1)
            .expect("a tree cannot hold more than u64::MAX leaves");
        let mut id = NodeId::leaf(index);
        let mut hash = leaf_hash;
        sink(id, hash);
        // Each trailing one bit of the old size is a full left sibling peak
        // that now merges with the new right subtree.
        for _ in 0..index.trailing_ones() {
            let left = self.peaks.pop().expect("one peak per one bit of the size");
            hash = node_hash(&left, &hash);
            id = NodeId::new(id.level + 1, id.index >> 1);
            sink(id, hash);
        }
        self.peaks.push(hash);
        self.size = next;
    }
}
