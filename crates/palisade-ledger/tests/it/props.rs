//! Properties of the Merkle tree over random trees of up to 2000 leaves:
//! the frontier and the planner agree with the in-memory tree, every proof
//! verifies, and any flipped bit breaks it.

use std::collections::HashMap;

use palisade_ledger::merkle::{
    Frontier, Hash, MemoryTree, NodeId, consistency_proof_plan, inclusion_proof_plan, leaf_hash,
    peak_ids, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// A tree of `size` leaves derived from `seed`, built twice: as a
/// [`MemoryTree`] and as the node map a store would hold after pushing each
/// leaf through a [`Frontier`] (checking the roots agree at every size).
fn build(size: u64, seed: u64) -> (MemoryTree, HashMap<NodeId, Hash>) {
    let mut tree = MemoryTree::new();
    let mut nodes = HashMap::new();
    let mut frontier = Frontier::new();
    for i in 0..size {
        let mut entry = seed.to_le_bytes().to_vec();
        entry.extend_from_slice(&i.to_le_bytes());
        let leaf = leaf_hash(&entry);
        tree.append_leaf_hash(leaf);
        frontier.push_with(leaf, |id, hash| {
            assert!(
                nodes.insert(id, hash).is_none(),
                "node {id:?} created twice"
            );
        });
        assert_eq!(frontier.root(), tree.root(), "root at size {}", i + 1);
        assert_eq!(frontier.size(), i + 1);
    }
    (tree, nodes)
}

fn flip(bytes: &mut [u8], bit: usize) {
    bytes[bit / 8] ^= 1 << (bit % 8);
}

/// The left/right order in which the verifier combines an inclusion proof's
/// hashes, which is all it takes from the size: `None` if no proof exists.
fn inclusion_shape(index: u64, size: u64) -> Option<Vec<bool>> {
    let plan = inclusion_proof_plan(index, size).ok()?;
    Some(plan.elements().iter().map(|r| r.start > index).collect())
}

/// Likewise for a consistency proof: whether the first root seeds the path
/// (size1 a power of two), then for each combining hash whether it lies in
/// the first tree. `None` if the sizes admit no non-empty proof.
fn consistency_shape(size1: u64, size2: u64) -> Option<(bool, Vec<bool>)> {
    if size1 >= size2 {
        return None;
    }
    let plan = consistency_proof_plan(size1, size2).ok()?;
    let seeded = size1.is_power_of_two();
    let combining = if seeded {
        plan.elements()
    } else {
        &plan.elements()[1..]
    };
    Some((seeded, combining.iter().map(|r| r.end <= size1).collect()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn frontier_peaks_are_stored_nodes(size in 0u64..2000, seed: u64) {
        let (tree, nodes) = build(size, seed);
        let peaks: Vec<Hash> = peak_ids(size).iter().map(|id| nodes[id]).collect();
        let frontier = Frontier::from_peaks(size, peaks).unwrap();
        prop_assert_eq!(frontier.root(), tree.root());
        // Every perfect node of the tree is in the map, and no other.
        let perfect: usize = (0..64).map(|l| (size >> l) as usize).sum();
        prop_assert_eq!(nodes.len(), perfect);
    }

    #[test]
    fn inclusion_proofs_agree_verify_and_break_on_any_flip(
        size in 1u64..2000,
        seed: u64,
        prefix: Index,
        leaf: Index,
    ) {
        let (tree, nodes) = build(size, seed);
        // A proof in the full tree and one in an earlier tree.
        let earlier = 1 + prefix.index(size as usize) as u64;
        for at in [size, earlier] {
            let index = leaf.index(at as usize) as u64;
            let plan = inclusion_proof_plan(index, at).unwrap();
            let proof = plan.assemble_from_map(&nodes).unwrap();
            prop_assert_eq!(&proof, &tree.inclusion_proof(index, at).unwrap());
            prop_assert!(plan.nodes().len() <= 2 * (64 - at.leading_zeros()) as usize);
            let root = tree.root_at(at).unwrap();
            let leaf_h = tree.node(NodeId::leaf(index)).unwrap();
            prop_assert_eq!(verify_inclusion(&leaf_h, index, at, &proof, &root), Ok(()));

            for bit in 0..256 {
                let mut bad = leaf_h;
                flip(&mut bad, bit);
                prop_assert!(verify_inclusion(&bad, index, at, &proof, &root).is_err());
                let mut bad = root;
                flip(&mut bad, bit);
                prop_assert!(verify_inclusion(&leaf_h, index, at, &proof, &bad).is_err());
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    flip(&mut bad[i], bit);
                    prop_assert!(verify_inclusion(&leaf_h, index, at, &bad, &root).is_err());
                }
            }
            for bit in 0..64 {
                let other = index ^ (1 << bit);
                prop_assert!(verify_inclusion(&leaf_h, other, at, &proof, &root).is_err());
                // The size is not authenticated by the proof: another size
                // verifies exactly when it orders the hashes the same way.
                let other = at ^ (1 << bit);
                let same = inclusion_shape(index, other) == inclusion_shape(index, at);
                let ok = verify_inclusion(&leaf_h, index, other, &proof, &root).is_ok();
                prop_assert_eq!(ok, same, "size {} -> {}", at, other);
            }
        }
    }

    #[test]
    fn consistency_proofs_agree_verify_and_break_on_any_flip(
        size in 1u64..2000,
        seed: u64,
        a: Index,
        b: Index,
    ) {
        let (tree, nodes) = build(size, seed);
        let x = 1 + a.index(size as usize) as u64;
        let y = 1 + b.index(size as usize) as u64;
        let (size1, size2) = (x.min(y), x.max(y));
        let plan = consistency_proof_plan(size1, size2).unwrap();
        let proof = plan.assemble_from_map(&nodes).unwrap();
        prop_assert_eq!(&proof, &tree.consistency_proof(size1, size2).unwrap());
        prop_assert!(plan.nodes().len() <= 2 * (64 - size2.leading_zeros()) as usize + 2);
        let root1 = tree.root_at(size1).unwrap();
        let root2 = tree.root_at(size2).unwrap();
        prop_assert_eq!(verify_consistency(size1, size2, &root1, &root2, &proof), Ok(()));
        if size1 == size2 {
            prop_assert!(proof.is_empty());
            return Ok(());
        }
        for bit in 0..256 {
            let mut bad = root1;
            flip(&mut bad, bit);
            prop_assert!(verify_consistency(size1, size2, &bad, &root2, &proof).is_err());
            let mut bad = root2;
            flip(&mut bad, bit);
            prop_assert!(verify_consistency(size1, size2, &root1, &bad, &proof).is_err());
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                flip(&mut bad[i], bit);
                prop_assert!(verify_consistency(size1, size2, &root1, &root2, &bad).is_err());
            }
        }
        let shape = consistency_shape(size1, size2);
        for bit in 0..64 {
            for (s1, s2) in [(size1 ^ (1 << bit), size2), (size1, size2 ^ (1 << bit))] {
                let ok = verify_consistency(s1, s2, &root1, &root2, &proof).is_ok();
                let same = consistency_shape(s1, s2) == shape;
                prop_assert_eq!(ok, same, "sizes {} {} -> {} {}", size1, size2, s1, s2);
            }
        }
    }
}
