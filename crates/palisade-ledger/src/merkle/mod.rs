//! The RFC 9162 (RFC 6962) Merkle tree of the ledger, without storage.
//!
//! Hashing is SHA-256 with domain separation: a leaf is `SHA-256(0x00 ||
//! entry)`, an interior node `SHA-256(0x01 || left || right)`, and the empty
//! tree's root `SHA-256("")`. The tree over `n` leaves splits at the largest
//! power of two below `n`, so it is left-full: every node of it is either a
//! *perfect* subtree (a power-of-two run of leaves starting at a multiple of
//! its size, addressed by [`NodeId`]) or a right-edge node whose hash is the
//! right-leaning combination of the perfect subtrees that decompose it.
//!
//! A store keeps only perfect nodes, which never change once written:
//! - [`Frontier`] is the compact state of an appending log (the peaks of the
//!   binary decomposition of its size). [`Frontier::push`] returns every
//!   perfect node an append completes, for the store to persist, and
//!   [`peak_ids`] says which nodes to load to resume after a restart.
//! - [`inclusion_proof_plan`] and [`consistency_proof_plan`] say, without
//!   reading anything, which perfect nodes a proof needs
//!   ([`ProofPlan::nodes`]: O(log n) of them, fetched in one query), and
//!   [`ProofPlan::assemble`] builds the proof from them.
//! - [`verify_inclusion`] and [`verify_consistency`] are the RFC 9162
//!   §2.1.3.2 and §2.1.4.2 verifiers.
//! - [`MemoryTree`] holds a whole tree in memory, for tests and benchmarks.
//!
//! # Policy for the cases RFC 9162 leaves to the library
//!
//! These match the transparency-dev/merkle conformance vectors, all of which
//! pass:
//! - **Empty tree.** Its root is `SHA-256("")` ([`empty_root`]). Nothing is
//!   included in it: an inclusion proof against size 0 is always rejected.
//! - **Consistency from size 0** is always rejected
//!   ([`ProofError::ConsistencyFromEmpty`]), whatever the proof and roots,
//!   and even when both sizes are 0. Every tree extends the empty tree, so
//!   such a "proof" proves nothing; a caller that holds no earlier checkpoint
//!   must simply trust the first one it sees (or its witnesses) instead of
//!   pretending to check it. No plan is made for it either.
//! - **Equal sizes** (`size1 == size2 > 0`): the proof must be empty and the
//!   two roots byte-identical. The roots are compared as given, whatever
//!   their length, since two identical trees are consistent by definition.
//! - **Size order.** `size1 > size2` is rejected.
//! - **Malformed hashes.** A leaf hash or proof hash that is not 32 bytes is
//!   an error naming it; a root of the wrong length cannot match.
//!
//! Note that an inclusion or consistency proof authenticates the roots, not
//! the sizes: for some pairs of sizes the very same proof hashes and roots
//! verify under both (the verifier only uses a size to pick the left/right
//! order of the hashes). Sizes must therefore come from the same signed
//! checkpoint as the root, as [`crate::receipt`] does.

mod frontier;
mod memory;
mod plan;
mod verify;

pub use frontier::{Frontier, FrontierError, peak_ids};
pub use memory::MemoryTree;
pub use plan::{PlanError, ProofPlan, consistency_proof_plan, inclusion_proof_plan, perfect_nodes};
pub use verify::{ProofError, verify_consistency, verify_inclusion};

use sha2::{Digest, Sha256};

/// A SHA-256 hash: of a leaf, of a node or of a whole tree.
pub type Hash = [u8; 32];

/// The length in bytes of a [`Hash`](type@Hash).
pub const HASH_LEN: usize = 32;

/// The root of the empty tree, `SHA-256("")`.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of a leaf holding `entry`: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(entry);
    hasher.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut block = [0u8; 1 + 2 * HASH_LEN];
    block[0] = 0x01;
    block[1..1 + HASH_LEN].copy_from_slice(left);
    block[1 + HASH_LEN..].copy_from_slice(right);
    Sha256::digest(block).into()
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    EMPTY_ROOT
}

/// A perfect subtree: the `2^level` leaves `[index << level, (index + 1) << level)`.
///
/// Level 0 nodes are the leaves themselves. Perfect nodes never change once
/// their last leaf is appended, which is what lets a store keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves: the node covers `2^level` leaves.
    pub level: u8,
    /// Position among the nodes of the same level, from 0 on the left.
    pub index: u64,
}

impl NodeId {
    /// The node at `level` and `index`.
    pub const fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }

    /// The leaf at `index` (a node of level 0).
    pub const fn leaf(index: u64) -> Self {
        NodeId { level: 0, index }
    }

    /// The first leaf the node covers (saturating at `u64::MAX` for ids past any tree).
    pub const fn start(self) -> u64 {
        shl_saturating(self.index, self.level)
    }

    /// One past the last leaf the node covers (saturating at `u64::MAX`).
    pub const fn end(self) -> u64 {
        shl_saturating(self.index.saturating_add(1), self.level)
    }

    /// The number of leaves the node covers (saturating at `u64::MAX`).
    pub const fn width(self) -> u64 {
        shl_saturating(1, self.level)
    }

    /// The two children of a node above level 0.
    pub const fn children(self) -> Option<(NodeId, NodeId)> {
        if self.level == 0 {
            return None;
        }
        let level = self.level - 1;
        let left = self.index.saturating_mul(2);
        Some((
            NodeId::new(level, left),
            NodeId::new(level, left.saturating_add(1)),
        ))
    }
}

/// `x << level`, saturating at `u64::MAX` instead of losing bits.
const fn shl_saturating(x: u64, level: u8) -> u64 {
    if x == 0 {
        return 0;
    }
    if level >= 64 || x.leading_zeros() < level as u32 {
        return u64::MAX;
    }
    x << level
}

/// The largest power of two strictly below `n`, for `n >= 2` (RFC 9162's `k`).
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Folds the perfect parts of a range, left to right, into the range's hash.
pub(crate) fn fold_right(parts: &[Hash]) -> Option<Hash> {
    let (last, rest) = parts.split_last()?;
    Some(
        rest.iter()
            .rev()
            .fold(*last, |acc, left| node_hash(left, &acc)),
    )
}
