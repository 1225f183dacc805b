//! A whole tree in memory, for tests and benchmarks.
//!
//! Its proofs follow RFC 9162's recursive definitions (`PATH` and
//! `SUBPROOF`) directly, independently of [`super::plan`], so the two can
//! check each other.

use super::{EMPTY_ROOT, Hash, NodeId, PlanError, leaf_hash, node_hash, split_point};

/// An in-memory append-only Merkle tree that keeps every perfect node.
///
/// Memory: about 64 bytes per leaf.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of the perfect node at level `l`, index `i`.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Appends an entry (hashing it as a leaf) and returns its index.
    pub fn append(&mut self, entry: &[u8]) -> u64 {
        self.append_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf by its hash and returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        let index = self.levels[0].len();
        self.levels[0].push(leaf);
        // A node at `i` with `i` odd completes its parent.
        let (mut level, mut i) = (0usize, index);
        while i & 1 == 1 {
            let parent = node_hash(&self.levels[level][i - 1], &self.levels[level][i]);
            level += 1;
            i >>= 1;
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(parent);
        }
        index as u64
    }

    /// The hash of a perfect node, if the tree has it.
    pub fn node(&self, id: NodeId) -> Option<Hash> {
        let index = usize::try_from(id.index).ok()?;
        self.levels.get(usize::from(id.level))?.get(index).copied()
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        self.mth(0, self.size())
    }

    /// The root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, PlanError> {
        self.check_size(size)?;
        Ok(self.mth(0, size))
    }

    /// The inclusion proof of leaf `index` in the tree of its first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, PlanError> {
        self.check_size(size)?;
        if index >= size {
            return Err(PlanError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    /// The consistency proof between the trees of its first `size1` and
    /// `size2` leaves (empty when the sizes are equal; size 0 is refused).
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, PlanError> {
        self.check_size(size2)?;
        if size1 > size2 {
            return Err(PlanError::SizeOrder { size1, size2 });
        }
        if size1 == 0 {
            return Err(PlanError::ConsistencyFromEmpty);
        }
        let mut proof = Vec::new();
        if size1 < size2 {
            self.subproof(size1, 0, size2, true, &mut proof);
        }
        Ok(proof)
    }

    fn check_size(&self, size: u64) -> Result<(), PlanError> {
        let held = self.size();
        if size > held {
            return Err(PlanError::SizeBeyondTree { size, held });
        }
        Ok(())
    }

    /// MTH(D[lo:hi]), from stored perfect nodes.
    fn mth(&self, lo: u64, hi: u64) -> Hash {
        let n = hi - lo;
        if n == 0 {
            return EMPTY_ROOT;
        }
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][(lo >> level) as usize];
        }
        let k = split_point(n);
        node_hash(&self.mth(lo, lo + k), &self.mth(lo + k, hi))
    }

    /// PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1.
    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) {
        let n = hi - lo;
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m < lo + k {
            self.path(m, lo, lo + k, out);
            out.push(self.mth(lo + k, hi));
        } else {
            self.path(m, lo + k, hi, out);
            out.push(self.mth(lo, lo + k));
        }
    }

    /// SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1.
    fn subproof(&self, m: u64, lo: u64, hi: u64, b: bool, out: &mut Vec<Hash>) {
        let n = hi - lo;
        if m == n {
            if !b {
                out.push(self.mth(lo, hi));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, lo, lo + k, b, out);
            out.push(self.mth(lo + k, hi));
        } else {
            self.subproof(m - k, lo + k, hi, false, out);
            out.push(self.mth(lo, lo + k));
        }
    }
}
