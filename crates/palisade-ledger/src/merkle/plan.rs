//! Proof planning: which perfect nodes a proof needs, decided from the sizes
//! alone, so that a store can fetch them all in one query.

use std::collections::HashMap;
use std::ops::Range;

use super::{Hash, NodeId, fold_right, split_point};

/// Why a proof could not be planned or assembled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The leaf asked about is not in the tree.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The leaf index asked about.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The first tree is larger than the second.
    #[error("first tree size {size1} is larger than second tree size {size2}")]
    SizeOrder {
        /// The first (older) tree size.
        size1: u64,
        /// The second (newer) tree size.
        size2: u64,
    },
    /// A consistency proof from the empty tree was asked for; it proves nothing.
    #[error("no consistency proof from the empty tree: every tree extends it")]
    ConsistencyFromEmpty,
    /// The tree asked about is larger than the tree held.
    #[error("tree size {size} is beyond the {held} leaves held")]
    SizeBeyondTree {
        /// The size asked about.
        size: u64,
        /// The number of leaves held.
        held: u64,
    },
    /// A node the plan needs was not supplied.
    #[error("node at level {} index {} is missing", .0.level, .0.index)]
    MissingNode(NodeId),
}

/// The shape of a proof: each proof hash, in proof order, as the range of
/// leaves `[start, end)` whose RFC 9162 subtree hash it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProofPlan {
    elements: Vec<Range<u64>>,
}

impl ProofPlan {
    /// The leaf range of each proof hash, in proof order.
    pub fn elements(&self) -> &[Range<u64>] {
        &self.elements
    }

    /// The number of hashes the proof will have.
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Whether the proof is empty.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// Every perfect node the proof needs, sorted and without duplicates: at
    /// most about two per tree level.
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = self
            .elements
            .iter()
            .flat_map(|range| perfect_nodes(range.clone()))
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }

    /// Builds the proof, asking `node` for each perfect node's hash; a range
    /// that is not itself perfect is hashed from its perfect parts.
    pub fn assemble(
        &self,
        mut node: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Vec<Hash>, PlanError> {
        let mut parts = Vec::with_capacity(64);
        self.elements
            .iter()
            .map(|range| {
                parts.clear();
                for id in perfect_nodes(range.clone()) {
                    parts.push(node(id).ok_or(PlanError::MissingNode(id))?);
                }
                Ok(fold_right(&parts).expect("a proof range is never empty"))
            })
            .collect()
    }

    /// Builds the proof from a map of perfect node hashes.
    pub fn assemble_from_map(&self, nodes: &HashMap<NodeId, Hash>) -> Result<Vec<Hash>, PlanError> {
        self.assemble(|id| nodes.get(&id).copied())
    }
}

/// Splits the leaf range `[start, end)` into perfect nodes, left to right.
///
/// For a range that is a subtree of the RFC 9162 tree (every proof element
/// is), the subtree's hash is the right-leaning combination of these nodes'
/// hashes. An empty range gives no nodes.
pub fn perfect_nodes(range: Range<u64>) -> Vec<NodeId> {
    let Range { mut start, end } = range;
    let mut nodes = Vec::new();
    while start < end {
        // The largest node that starts at `start` (alignment) and fits.
        let align = if start == 0 {
            63
        } else {
            start.trailing_zeros()
        };
        let fit = 63 - (end - start).leading_zeros();
        let level = align.min(fit);
        nodes.push(NodeId::new(level as u8, start >> level));
        start += 1 << level;
    }
    nodes
}

/// Plans the RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of
/// `size` leaves.
pub fn inclusion_proof_plan(index: u64, size: u64) -> Result<ProofPlan, PlanError> {
    if index >= size {
        return Err(PlanError::IndexOutOfRange { index, size });
    }
    // Walk from the root down to the leaf; each step's sibling is one proof
    // hash. The proof lists them bottom up, hence the reversal.
    let mut elements = Vec::with_capacity(64);
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            elements.push(mid..hi);
            hi = mid;
        } else {
            elements.push(lo..mid);
            lo = mid;
        }
    }
    elements.reverse();
    Ok(ProofPlan { elements })
}

/// Plans the RFC 9162 §2.1.4.1 consistency proof between the trees of `size1`
/// and `size2` leaves; equal sizes give an empty plan.
///
/// Size 0 is refused ([`PlanError::ConsistencyFromEmpty`]): see the module
/// documentation for this policy.
pub fn consistency_proof_plan(size1: u64, size2: u64) -> Result<ProofPlan, PlanError> {
    if size1 > size2 {
        return Err(PlanError::SizeOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(PlanError::ConsistencyFromEmpty);
    }
    // SUBPROOF(m, D[lo:hi], b) unrolled: each step appends one hash after
    // the ones of its sub-step, so collect top down and reverse.
    let mut elements = Vec::with_capacity(64);
    let (mut lo, mut hi, mut m) = (0u64, size2, size1);
    let mut whole_old_tree = true;
    loop {
        let n = hi - lo;
        if m == n {
            if !whole_old_tree {
                elements.push(lo..hi);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            elements.push(lo + k..hi);
            hi = lo + k;
        } else {
            elements.push(lo..lo + k);
            lo += k;
            m -= k;
            whole_old_tree = false;
        }
    }
    elements.reverse();
    Ok(ProofPlan { elements })
}
